//! A webhook receiver on loopback that records every request it gets, to stand in for
//! git-access's public webhook endpoint when a test wants to see what a mock delivered.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::{
    body::Bytes,
    extract::Request,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::any,
    Router,
};

use crate::server::{MockError, MockProvider, MockServer};

/// Largest body the sink reads (GitHub caps payloads at 25 MB).
const MAX_BODY: usize = 25 * 1024 * 1024;

/// One request the sink received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// Method.
    pub method: String,
    /// Path and query.
    pub path: String,
    /// Every header, names lowercase.
    pub headers: Vec<(String, String)>,
    /// The exact body bytes.
    pub body: Vec<u8>,
}

impl Received {
    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The sink's state; serve it with [`WebhookSink::start`].
#[derive(Debug, Clone, Default)]
pub struct WebhookSink {
    received: Arc<Mutex<Vec<Received>>>,
}

impl WebhookSink {
    /// Starts a sink on a free loopback port; every path answers `200`.
    pub async fn start() -> Result<MockServer<Self>, MockError> {
        MockServer::start(Self::default()).await
    }

    /// Everything received so far, oldest first.
    pub fn received(&self) -> Vec<Received> {
        self.lock().clone()
    }

    /// Waits (blocking) until at least `count` requests arrived, or `timeout` passed;
    /// returns what arrived.
    pub fn wait_for(&self, count: usize, timeout: Duration) -> Vec<Received> {
        let deadline = Instant::now() + timeout;
        loop {
            let received = self.received();
            if received.len() >= count || Instant::now() >= deadline {
                return received;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Received>> {
        self.received.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl MockProvider for WebhookSink {
    const NAME: &'static str = "webhook-sink";

    fn base_path(&self) -> &str {
        ""
    }

    fn router(&self, _base_url: &str) -> Router {
        let sink = self.clone();
        let record = move |request: Request| {
            let sink = sink.clone();
            async move { sink.record(request).await }
        };
        Router::new()
            .route("/", any(record.clone()))
            .route("/{*path}", any(record))
    }

    fn not_found(&self) -> Response {
        StatusCode::NOT_FOUND.into_response()
    }
}

impl WebhookSink {
    async fn record(&self, request: Request) -> Response {
        let (parts, body) = request.into_parts();
        let body: Bytes = match axum::body::to_bytes(body, MAX_BODY).await {
            Ok(bytes) => bytes,
            Err(_) => return StatusCode::PAYLOAD_TOO_LARGE.into_response(),
        };
        let headers = parts
            .headers
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        self.lock().push(Received {
            method: parts.method.to_string(),
            path: parts
                .uri
                .path_and_query()
                .map_or_else(|| parts.uri.path().to_owned(), |p| p.as_str().to_owned()),
            headers,
            body: body.to_vec(),
        });
        (StatusCode::OK, "ok").into_response()
    }
}
