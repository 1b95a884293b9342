//! Settings validation tests (filled below).
