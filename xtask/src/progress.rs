//! Progress lines for long steps: one line before, one with the elapsed time after.

use std::time::Instant;

/// A long step being timed.
pub struct Step {
    label: String,
    started: Instant,
}

impl Step {
    /// Announces the step on stderr and starts its clock.
    pub fn start(label: &str) -> Self {
        eprintln!("==> {label}");
        Self {
            label: label.to_owned(),
            started: Instant::now(),
        }
    }

    /// Reports the step finished, with its duration.
    pub fn done(self) {
        eprintln!(
            "    done in {:.1}s: {}",
            self.started.elapsed().as_secs_f64(),
            self.label
        );
    }
}
