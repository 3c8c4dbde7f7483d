//! Webhook deliveries a mock fires at a hook's URL, and the log of what it fired.
//!
//! Mocks deliver only to loopback addresses (`127.0.0.0/8`, `localhost`, `[::1]`): a hook
//! pointing anywhere else is recorded as not attempted, so no test can reach the internet
//! through a mock. Sending blocks; async callers wrap it in `spawn_blocking`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// Longest a delivery may take, as GitHub's 10-second timeout.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);

/// One delivery as the mock sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The provider's delivery id (e.g. `X-GitHub-Delivery`).
    pub id: String,
    /// The provider's event name (e.g. `push`).
    pub event: String,
    /// Where it was sent.
    pub url: String,
    /// Every request header, in order.
    pub headers: Vec<(String, String)>,
    /// The exact body bytes (signatures cover these).
    pub body: Vec<u8>,
    /// What happened.
    pub outcome: DeliveryOutcome,
}

impl Delivery {
    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What happened to a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// The receiver answered with this status.
    Delivered {
        /// HTTP status of the receiver's answer.
        status: u16,
    },
    /// The receiver could not be reached.
    Failed(String),
    /// The mock did not try (the URL is not on loopback).
    NotAttempted(String),
}

/// Deliveries fired by one mock, oldest first; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct DeliveryLog {
    entries: Arc<Mutex<Vec<Delivery>>>,
}

impl DeliveryLog {
    /// Every delivery so far.
    pub fn entries(&self) -> Vec<Delivery> {
        self.lock().clone()
    }

    /// Appends a delivery.
    pub fn push(&self, delivery: Delivery) {
        self.lock().push(delivery);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Delivery>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A fresh UUID-shaped delivery id (unique within the process).
pub fn new_delivery_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(1);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        (nanos >> 32) as u32,
        (nanos >> 16) as u16,
        (nanos as u16) & 0xfff,
        (n >> 48) as u16 & 0xfff,
        n & 0xffff_ffff_ffff
    )
}

/// Whether `url` is `http(s)://` to a loopback host.
pub fn is_loopback(url: &str) -> bool {
    let Some((scheme, rest)) = url.split_once("://") else {
        return false;
    };
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return false;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return false;
    }
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next().unwrap_or_default()
    } else {
        authority.split(':').next().unwrap_or_default()
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// POSTs `body` with `headers` to `url` if it is on loopback, and says what happened.
pub fn post(url: &str, headers: &[(String, String)], body: &[u8]) -> DeliveryOutcome {
    if !is_loopback(url) {
        return DeliveryOutcome::NotAttempted(format!(
            "{url} is not a loopback address; the mock delivers only to loopback"
        ));
    }
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .timeout_global(Some(DELIVERY_TIMEOUT))
        .build()
        .into();
    let mut request = agent.post(url);
    for (name, value) in headers {
        request = request.header(name.as_str(), value.as_str());
    }
    match request.send(body) {
        Ok(response) => DeliveryOutcome::Delivered {
            status: response.status().as_u16(),
        },
        Err(error) => DeliveryOutcome::Failed(error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_is_delivered_to() {
        for url in [
            "http://127.0.0.1:8080/hooks",
            "http://localhost/x",
            "https://[::1]:3000/",
            "http://127.1.2.3",
        ] {
            assert!(is_loopback(url), "{url}");
        }
        for url in [
            "https://example.com/hooks",
            "http://10.0.0.1/",
            "http://127.0.0.1@example.com/",
            "ftp://127.0.0.1/",
            "not a url",
        ] {
            assert!(!is_loopback(url), "{url}");
        }
        assert!(matches!(
            post("https://example.com/hook", &[], b"{}"),
            DeliveryOutcome::NotAttempted(_)
        ));
    }

    #[test]
    fn delivery_ids_are_unique_uuids() {
        let a = new_delivery_id();
        let b = new_delivery_id();
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(a.matches('-').count(), 4);
    }
}
