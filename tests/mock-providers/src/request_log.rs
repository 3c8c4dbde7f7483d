//! The record of requests a mock server received, for tests to assert on.
//!
//! Only what a test needs to tell calls apart is kept: method, path, status and the account
//! the request authenticated as. Headers, query strings and bodies are never stored, so a
//! token or secret sent to a mock cannot leak through its log.

use std::sync::{Arc, Mutex, PoisonError};

use axum::{
    extract::{Request, State},
    middleware::Next,
    response::Response,
};

/// One request as the mock saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// HTTP method, e.g. `GET`.
    pub method: String,
    /// Request path as received, including any API prefix (e.g. `/api/v3/user`), without
    /// the query string.
    pub path: String,
    /// Status code of the response.
    pub status: u16,
    /// Login of the account the request authenticated as, if it did.
    pub account: Option<String>,
}

/// Response extension a provider handler sets to say whom a request authenticated as; the
/// log middleware moves it into the [`RecordedRequest`].
#[derive(Debug, Clone)]
pub struct AuthenticatedAs(pub String);

/// Shared, append-only log of the requests one mock server received.
#[derive(Debug, Clone, Default)]
pub struct RequestLog {
    entries: Arc<Mutex<Vec<RecordedRequest>>>,
}

impl RequestLog {
    /// A snapshot of every request received so far, oldest first.
    pub fn entries(&self) -> Vec<RecordedRequest> {
        self.lock().clone()
    }

    /// How many requests had this method and exact path.
    pub fn count(&self, method: &str, path: &str) -> usize {
        self.lock()
            .iter()
            .filter(|r| r.method.eq_ignore_ascii_case(method) && r.path == path)
            .count()
    }

    /// Forgets every recorded request.
    pub fn clear(&self) {
        self.lock().clear();
    }

    fn push(&self, request: RecordedRequest) {
        self.lock().push(request);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<RecordedRequest>> {
        // A panicking test thread must not hide the log from the others.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Axum middleware that appends every request to the log before its response is sent.
pub(crate) async fn record(
    State(log): State<RequestLog>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    let account = response
        .extensions()
        .get::<AuthenticatedAs>()
        .map(|a| a.0.clone());
    let status = response.status().as_u16();
    tracing::info!(%method, %path, status, account = account.as_deref(), "request");
    log.push(RecordedRequest {
        method,
        path,
        status,
        account,
    });
    response
}
