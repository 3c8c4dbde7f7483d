//! A fake [`Transport`] for plugins' native tests: canned responses by method and URL
//! fragment, and a log of what was sent. Enabled by the `test-support` feature, which
//! plugins turn on for their dev-dependencies only.

use std::cell::RefCell;

use crate::{HttpRequest, HttpResponse, ProviderError, Transport};

/// A response with this status, headers and body, for tests of response handling.
pub fn response(status: u16, headers: &[(&str, &str)], body: &str) -> HttpResponse {
    HttpResponse {
        status,
        headers: headers.iter().copied().collect(),
        body: body.as_bytes().to_vec(),
    }
}

/// Answers each request with the first route whose method matches and whose URL contains
/// the route's fragment; 404 with `{"message":"Not Found"}` otherwise.
#[derive(Default)]
pub struct FakeTransport {
    routes: Vec<(&'static str, String, HttpResponse)>,
    sent: RefCell<Vec<HttpRequest>>,
}

impl FakeTransport {
    /// A fake with no routes.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a route: `method` and a fragment of the URL (path and query).
    pub fn on(
        mut self,
        method: &'static str,
        fragment: &str,
        status: u16,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Self {
        self.routes.push((
            method,
            fragment.to_string(),
            response(status, headers, body),
        ));
        self
    }

    /// Every request sent, in order.
    pub fn sent(&self) -> Vec<HttpRequest> {
        self.sent.borrow().clone()
    }

    /// `METHOD url` of every request sent.
    pub fn sent_lines(&self) -> Vec<String> {
        self.sent
            .borrow()
            .iter()
            .map(|r| format!("{} {}", r.method().as_str(), r.url()))
            .collect()
    }
}

impl Transport for FakeTransport {
    fn send(&self, request: HttpRequest) -> Result<HttpResponse, ProviderError> {
        let found = self
            .routes
            .iter()
            .find(|(method, fragment, _)| {
                *method == request.method().as_str() && request.url().contains(fragment)
            })
            .map(|(_, _, response)| response.clone());
        self.sent.borrow_mut().push(request);
        Ok(found.unwrap_or(HttpResponse {
            status: 404,
            headers: Default::default(),
            body: br#"{"message":"Not Found"}"#.to_vec(),
        }))
    }
}
