//! The progress bar of `report`: one line on standard error, redrawn at most ten times a
//! second, erased when done; only when standard error is a terminal (never in a pipe, a file or
//! CI logs).

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

const WIDTH: usize = 30;
const REDRAW: Duration = Duration::from_millis(100);

/// A bar over `total` units (bytes read, objects evaluated), or nothing off a terminal.
pub struct Progress {
    enabled: bool,
    label: String,
    total: u64,
    done: u64,
    unit: Unit,
    last: Option<Instant>,
    drawn: bool,
}

#[derive(Clone, Copy)]
pub enum Unit {
    Bytes,
    Objects,
}

impl Progress {
    /// Enabled exactly when standard error is a terminal.
    pub fn new(label: &str, total: u64, unit: Unit) -> Progress {
        Progress {
            enabled: std::io::stderr().is_terminal(),
            label: label.to_owned(),
            total,
            done: 0,
            unit,
            last: None,
            drawn: false,
        }
    }

    pub fn advance(&mut self, by: u64) {
        self.done = self.done.saturating_add(by);
        if self.total > 0 {
            self.done = self.done.min(self.total);
        }
        if !self.enabled {
            return;
        }
        let now = Instant::now();
        if self.last.is_some_and(|t| now.duration_since(t) < REDRAW)
            && (self.total == 0 || self.done < self.total)
        {
            return;
        }
        self.last = Some(now);
        self.draw();
    }

    fn draw(&mut self) {
        let line = if self.total == 0 {
            // Standard input: its size is unknown, so a count without a bar.
            match self.unit {
                Unit::Bytes => format!("{} {}", self.label, mib(self.done)),
                Unit::Objects => format!("{} {} objects", self.label, self.done),
            }
        } else {
            let filled = self
                .done
                .saturating_mul(WIDTH as u64)
                .checked_div(self.total)
                .map_or(WIDTH, |f| usize::try_from(f).unwrap_or(WIDTH));
            let bar: String = "#".repeat(filled) + &"-".repeat(WIDTH.saturating_sub(filled));
            let amount = match self.unit {
                Unit::Bytes => format!("{} / {}", mib(self.done), mib(self.total)),
                Unit::Objects => format!("{} / {} objects", self.done, self.total),
            };
            format!("{} [{bar}] {amount}", self.label)
        };
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[2K{line}");
        let _ = err.flush();
        self.drawn = true;
    }

    /// Erase the bar.
    pub fn finish(&mut self) {
        if self.enabled && self.drawn {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
            self.drawn = false;
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}
