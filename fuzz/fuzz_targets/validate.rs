//! Fuzzes the `validate` entry point with arbitrary payloads. Besides "no panic", checks that
//! every answer is a well-formed ValidationResponse and that a rejection message is bounded.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let out = security_context_policy::validate(data);
    let v: serde_json::Value = serde_json::from_slice(&out).expect("validate answers JSON");
    assert!(v["accepted"].is_boolean(), "no verdict in {v}");
    if let Some(m) = v["message"].as_str() {
        assert!(m.len() <= 4096, "unbounded message: {} bytes", m.len());
    }
    for w in v["warnings"].as_array().into_iter().flatten() {
        assert!(w.as_str().is_some_and(|w| w.len() <= 256), "warning over 256 bytes: {w}");
    }
});
