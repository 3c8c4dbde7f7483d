//! A small blocking HTTP client over `wasi:http` (through `waki`).
//!
//! Requests and responses are plain data so plugin code that builds requests or reads
//! responses can be tested natively; only [`HttpRequest::send`] needs a component.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::{error_from_response, pagination, Headers, ProviderError};

/// Time allowed to open a connection to the provider.
#[cfg(target_family = "wasm")]
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// HTTP request method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// GET
    Get,
    /// POST
    Post,
    /// PUT
    Put,
    /// PATCH
    Patch,
    /// DELETE
    Delete,
    /// HEAD
    Head,
}

impl Method {
    /// The method name as sent on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Head => "HEAD",
        }
    }
}

/// An outgoing request. Build it, then [`send`](Self::send) it.
#[derive(Clone)]
pub struct HttpRequest {
    method: Method,
    url: String,
    headers: Headers,
    body: Vec<u8>,
}

impl HttpRequest {
    /// A request with no headers and an empty body.
    pub fn new(method: Method, url: impl Into<String>) -> Self {
        Self {
            method,
            url: url.into(),
            headers: Headers::new(),
            body: Vec::new(),
        }
    }

    /// A GET request.
    pub fn get(url: impl Into<String>) -> Self {
        Self::new(Method::Get, url)
    }

    /// A POST request.
    pub fn post(url: impl Into<String>) -> Self {
        Self::new(Method::Post, url)
    }

    /// A PUT request.
    pub fn put(url: impl Into<String>) -> Self {
        Self::new(Method::Put, url)
    }

    /// A PATCH request.
    pub fn patch(url: impl Into<String>) -> Self {
        Self::new(Method::Patch, url)
    }

    /// A DELETE request.
    pub fn delete(url: impl Into<String>) -> Self {
        Self::new(Method::Delete, url)
    }

    /// Sets a header, replacing any earlier value.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.set(name, value);
        self
    }

    /// Sets `Authorization: Bearer <token>`; an empty token sends no `Authorization`.
    pub fn bearer_auth(self, token: &str) -> Self {
        if token.is_empty() {
            return self;
        }
        self.header("Authorization", format!("Bearer {token}"))
    }

    /// Sets the body and its `Content-Type`.
    pub fn body(self, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        let mut request = self.header("Content-Type", content_type);
        request.body = body.into();
        request
    }

    /// Sets a JSON body.
    pub fn json<T: Serialize + ?Sized>(self, value: &T) -> Result<Self, ProviderError> {
        let body = serde_json::to_vec(value)
            .map_err(|e| ProviderError::Other(format!("could not encode the request body: {e}")))?;
        Ok(self.body("application/json", body))
    }

    /// The method.
    pub fn method(&self) -> Method {
        self.method
    }

    /// The URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The headers.
    pub fn headers(&self) -> &Headers {
        &self.headers
    }

    /// The body bytes.
    pub fn body_bytes(&self) -> &[u8] {
        &self.body
    }

    /// Sends the request and reads the whole response.
    ///
    /// Any status is `Ok`; use [`HttpResponse::error_for_status`] to turn failures into
    /// errors. A request the sandbox refuses (host not in `allowed_outbound_hosts`) or a
    /// malformed URL is `invalid-input`; a provider that cannot be reached is `unavailable`.
    pub fn send(self) -> Result<HttpResponse, ProviderError> {
        transport::send(self)
    }
}

impl std::fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Credentials travel in headers; never print their values.
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(name, value)| {
                let secret = ["authorization", "private-token", "cookie"]
                    .iter()
                    .any(|s| name.eq_ignore_ascii_case(s));
                (name, if secret { "<redacted>" } else { value })
            })
            .collect();
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &headers)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// Something that sends requests: [`WasiHttp`] inside a component, a fake in tests.
///
/// Plugin logic that takes a `&dyn Transport` can be tested natively against canned
/// responses, and runs unchanged over `wasi:http` in the component.
pub trait Transport {
    /// Sends the request and reads the whole response (any status is `Ok`).
    fn send(&self, request: HttpRequest) -> Result<HttpResponse, ProviderError>;
}

/// The real transport: [`HttpRequest::send`] over `wasi:http`.
#[derive(Debug, Clone, Copy, Default)]
pub struct WasiHttp;

impl Transport for WasiHttp {
    fn send(&self, request: HttpRequest) -> Result<HttpResponse, ProviderError> {
        request.send()
    }
}

/// A response, fully read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Response headers.
    pub headers: Headers,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body decoded as JSON; a body that does not fit `T` is `other`.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ProviderError> {
        serde_json::from_slice(&self.body).map_err(|e| {
            ProviderError::Other(format!(
                "the provider answered HTTP {} with a body git-access could not read: {e}",
                self.status
            ))
        })
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// `Ok(self)` for 2xx, else the mapped error (see [`error_from_response`]).
    pub fn error_for_status(self, service: &str) -> Result<Self, ProviderError> {
        if self.is_success() {
            Ok(self)
        } else {
            Err(error_from_response(service, &self))
        }
    }

    /// The `next` URL of the `Link` headers, if any.
    pub fn next_link(&self) -> Option<String> {
        pagination::next_link(&self.headers)
    }
}

#[cfg(target_family = "wasm")]
mod transport {
    use super::{HttpRequest, HttpResponse, Method, CONNECT_TIMEOUT};
    use crate::{Headers, ProviderError};
    use waki::header::{HeaderName, HeaderValue};
    use waki::ErrorCode;

    pub(super) fn send(request: HttpRequest) -> Result<HttpResponse, ProviderError> {
        // Checked here so that waki only ever fails for transport reasons.
        let origin = crate::api_url::HttpUrl::parse(&request.url)?.origin();
        // A connection that breaks before any answer is retried once when repeating the
        // request cannot do harm (idempotent methods); anything else is reported.
        let idempotent = matches!(
            request.method,
            Method::Get | Method::Head | Method::Put | Method::Delete
        );
        match send_once(request.clone(), &origin) {
            Err(Attempt::Broken(_)) if idempotent => {
                send_once(request, &origin).map_err(Attempt::into_error)
            }
            other => other.map_err(Attempt::into_error),
        }
    }

    /// Why one attempt failed: a connection that broke before any answer (worth one more
    /// try for idempotent requests), or a final error.
    enum Attempt {
        Broken(ProviderError),
        Final(ProviderError),
    }

    impl Attempt {
        fn into_error(self) -> ProviderError {
            match self {
                Attempt::Broken(e) | Attempt::Final(e) => e,
            }
        }
    }

    impl From<ProviderError> for Attempt {
        fn from(e: ProviderError) -> Self {
            Attempt::Final(e)
        }
    }

    fn send_once(request: HttpRequest, origin: &str) -> Result<HttpResponse, Attempt> {
        let method = match request.method {
            Method::Get => waki::Method::Get,
            Method::Post => waki::Method::Post,
            Method::Put => waki::Method::Put,
            Method::Patch => waki::Method::Patch,
            Method::Delete => waki::Method::Delete,
            Method::Head => waki::Method::Head,
        };
        let mut builder = waki::Client::new()
            .request(method, &request.url)
            .connect_timeout(CONNECT_TIMEOUT);
        for (name, value) in request.headers.iter() {
            let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                ProviderError::InvalidInput(format!("invalid header name `{name}`"))
            })?;
            let value = HeaderValue::from_str(value).map_err(|_| {
                ProviderError::InvalidInput(format!("invalid value for header `{name}`"))
            })?;
            builder = builder.header(name, value);
        }
        // waki streams every body, so without a length even an empty one goes out chunked,
        // and a server that answers before reading the last chunk may reset the connection
        // under its answer. An empty body says `content-length: 0` and sends nothing. A
        // body with content keeps the chunked framing: with a length, the host may finish
        // the body as soon as the last byte is written, and waki's flush after the write
        // then finds the stream closed.
        if request.body.is_empty()
            && !request
                .headers
                .iter()
                .any(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        {
            builder = builder.header(
                HeaderName::from_static("content-length"),
                HeaderValue::from_static("0"),
            );
        }
        if !request.body.is_empty() {
            builder = builder.body(request.body);
        }
        let response = builder.send().map_err(|e| {
            let code = e.downcast_ref::<ErrorCode>();
            let error = transport_error(origin, code, e.to_string());
            match code {
                Some(ErrorCode::HttpProtocolError | ErrorCode::ConnectionTerminated) => {
                    Attempt::Broken(error)
                }
                _ => Attempt::Final(error),
            }
        })?;
        let status = response.status_code();
        let headers: Headers = response
            .headers()
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_string(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = response.body().map_err(|e| {
            ProviderError::unavailable(format!("the response from {origin} broke off: {e}"))
        })?;
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }

    /// Plain words for the common transport failures.
    fn describe(code: &ErrorCode) -> String {
        match code {
            ErrorCode::DnsTimeout | ErrorCode::DnsError(_) => {
                "its host name could not be resolved".to_string()
            }
            ErrorCode::DestinationNotFound | ErrorCode::DestinationUnavailable => {
                "the server is not reachable".to_string()
            }
            ErrorCode::ConnectionRefused => "the connection was refused".to_string(),
            ErrorCode::ConnectionTimeout => "the connection timed out".to_string(),
            ErrorCode::ConnectionReadTimeout | ErrorCode::ConnectionWriteTimeout => {
                "the server stopped answering".to_string()
            }
            ErrorCode::ConnectionTerminated => "the connection was closed".to_string(),
            ErrorCode::HttpResponseTimeout => "it did not answer in time".to_string(),
            ErrorCode::TlsCertificateError => "its TLS certificate was not accepted".to_string(),
            ErrorCode::TlsProtocolError | ErrorCode::TlsAlertReceived(_) => {
                "the TLS handshake failed".to_string()
            }
            other => format!("{other:?}"),
        }
    }

    fn transport_error(origin: &str, code: Option<&ErrorCode>, message: String) -> ProviderError {
        match code {
            Some(ErrorCode::HttpRequestDenied) => ProviderError::InvalidInput(format!(
                "the request to {origin} was denied: that host is not in this provider's \
                 allowed outbound hosts"
            )),
            Some(ErrorCode::HttpRequestUriInvalid) => {
                ProviderError::InvalidInput(format!("the URL for {origin} is invalid"))
            }
            Some(code) => {
                ProviderError::unavailable(format!("could not reach {origin}: {}", describe(code)))
            }
            None => ProviderError::unavailable(format!("could not reach {origin}: {message}")),
        }
    }
}

#[cfg(not(target_family = "wasm"))]
mod transport {
    use super::{HttpRequest, HttpResponse};
    use crate::ProviderError;

    pub(super) fn send(request: HttpRequest) -> Result<HttpResponse, ProviderError> {
        Err(ProviderError::unavailable(format!(
            "cannot send {} {}: outbound HTTP needs wasi:http, which exists only inside a \
             WebAssembly component",
            request.method.as_str(),
            request.url
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_requests_without_leaking_tokens() {
        let request = HttpRequest::get("https://api.example.com/user")
            .bearer_auth("ghp_secret")
            .header("accept", "application/json")
            .header("Accept", "application/vnd.github+json");
        assert_eq!(request.method(), Method::Get);
        assert_eq!(
            request.headers().get("authorization"),
            Some("Bearer ghp_secret")
        );
        assert_eq!(request.headers().get_all("accept").count(), 1);
        let printed = format!("{request:?}");
        assert!(!printed.contains("ghp_secret"), "{printed}");
        assert!(HttpRequest::get("x").bearer_auth("").headers().is_empty());
    }

    #[test]
    fn json_bodies_and_responses() {
        let request = HttpRequest::post("https://x/hooks")
            .json(&serde_json::json!({"active": true}))
            .unwrap();
        assert_eq!(
            request.headers().get("content-type"),
            Some("application/json")
        );
        assert_eq!(request.body_bytes(), br#"{"active":true}"#);

        let response = HttpResponse {
            status: 200,
            headers: [("Link", "<https://x/?page=2>; rel=\"next\"")]
                .into_iter()
                .collect(),
            body: br#"{"login":"octocat"}"#.to_vec(),
        };
        let user: serde_json::Value = response.json().unwrap();
        assert_eq!(user["login"], "octocat");
        assert_eq!(response.next_link().as_deref(), Some("https://x/?page=2"));
        let response = response.error_for_status("GitHub").unwrap();
        assert!(matches!(
            response.json::<Vec<u8>>(),
            Err(ProviderError::Other(_))
        ));
    }

    #[test]
    fn native_send_is_unavailable() {
        assert!(matches!(
            HttpRequest::get("https://api.github.com/user").send(),
            Err(ProviderError::Unavailable { .. })
        ));
    }
}
