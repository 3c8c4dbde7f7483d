//! Failures a test injects into a running mock: the next API calls are throttled or fail
//! with a server error. Each provider renders a fault its own way (GitHub: 403 with
//! `X-RateLimit-Remaining: 0`, or `Retry-After`; GitLab and Bitbucket: 429).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

/// One injected failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The primary quota is exhausted; it resets in `reset_in` seconds
    /// (GitHub: 403, `X-RateLimit-Remaining: 0`, `X-RateLimit-Reset`).
    RateLimit {
        /// Seconds until the quota resets.
        reset_in: u64,
    },
    /// A secondary (abuse) limit: 403 with `Retry-After` (GitHub).
    SecondaryRateLimit {
        /// Seconds in `Retry-After`.
        retry_after: u64,
    },
    /// HTTP 429 with `Retry-After`.
    TooManyRequests {
        /// Seconds in `Retry-After`.
        retry_after: u64,
    },
    /// A server error (`500..=599`), with `Retry-After` when given.
    ServerError {
        /// The status code.
        status: u16,
        /// Seconds in `Retry-After`, if any.
        retry_after: Option<u64>,
    },
}

/// The queue of pending faults of one mock; cheap to clone, shared with the server.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    queue: Arc<Mutex<VecDeque<Fault>>>,
}

impl Faults {
    /// Makes the next `times` API calls fail with `fault` (after any already queued).
    pub fn inject(&self, fault: Fault, times: usize) {
        let mut queue = self.lock();
        queue.extend(std::iter::repeat_n(fault, times));
    }

    /// The fault for the call being served, if one is pending.
    pub fn take(&self) -> Option<Fault> {
        self.lock().pop_front()
    }

    /// Drops every pending fault.
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// How many calls will still fail.
    pub fn pending(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Fault>> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_are_served_in_order_then_stop() {
        let faults = Faults::default();
        faults.inject(Fault::TooManyRequests { retry_after: 3 }, 2);
        faults.inject(
            Fault::ServerError {
                status: 502,
                retry_after: None,
            },
            1,
        );
        assert_eq!(faults.pending(), 3);
        assert_eq!(
            faults.take(),
            Some(Fault::TooManyRequests { retry_after: 3 })
        );
        assert_eq!(
            faults.take(),
            Some(Fault::TooManyRequests { retry_after: 3 })
        );
        assert!(matches!(
            faults.take(),
            Some(Fault::ServerError { status: 502, .. })
        ));
        assert_eq!(faults.take(), None);
        faults.inject(Fault::RateLimit { reset_in: 1 }, 5);
        faults.clear();
        assert_eq!(faults.take(), None);
    }
}
