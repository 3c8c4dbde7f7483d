//! The HTTP side of the protocol: status codes, the `{"error": ...}` body and
//! `Retry-After`, for provider errors and for the gateway's own errors.

use serde_json::{json, Value};
use spin_sdk::http::Response;

use crate::bindings::types::ProviderError;
use crate::wire::{self, Convert};

/// What a call produced, ready to be written as a response.
pub struct Reply {
    status: u16,
    body: Value,
    retry_after: Option<u32>,
}

impl Reply {
    /// `200` with the `ok` value.
    pub fn ok(body: Value) -> Self {
        Self {
            status: 200,
            body,
            retry_after: None,
        }
    }
}

/// A failure before or instead of a provider call.
pub enum CallError {
    /// No contract function has this name (404, `unsupported`).
    UnknownFunction(String),
    /// The function exists but not for this HTTP method (405, `invalid_input`).
    MethodNotAllowed(String),
    /// Bad JSON, or a missing or mistyped member (400, `invalid_input`).
    InvalidInput(String),
    /// The provider returned an error.
    Provider(ProviderError),
    /// The ok value could not be encoded (500, `other`); a gateway bug.
    Encode(String),
}

impl From<ProviderError> for CallError {
    fn from(error: ProviderError) -> Self {
        CallError::Provider(error)
    }
}

impl From<CallError> for Reply {
    fn from(error: CallError) -> Self {
        let (status, retry_after, error) = match error {
            CallError::UnknownFunction(name) => (
                404,
                None,
                json!({"type": "unsupported", "value": format!("unknown function '{name}'")}),
            ),
            CallError::MethodNotAllowed(name) => (
                405,
                None,
                json!({"type": "invalid_input", "value": format!("use POST to call '{name}'")}),
            ),
            CallError::InvalidInput(message) => (
                400,
                None,
                json!({"type": "invalid_input", "value": message}),
            ),
            CallError::Encode(message) => (500, None, json!({"type": "other", "value": message})),
            CallError::Provider(error) => {
                let (status, retry_after) = match &error {
                    ProviderError::Unauthorized(_) => (401, None),
                    ProviderError::Forbidden(_) => (403, None),
                    ProviderError::NotFound(_) => (404, None),
                    ProviderError::InvalidInput(_) => (400, None),
                    ProviderError::RateLimited(detail) => (429, detail.retry_after),
                    ProviderError::Unavailable(detail) => (503, detail.retry_after),
                    ProviderError::Unsupported(_) => (501, None),
                    ProviderError::Other(_) => (502, None),
                };
                let error: wire::ProviderError = error.convert();
                let error = serde_json::to_value(error).unwrap_or_else(
                    |e| json!({"type": "other", "value": format!("could not encode the error: {e}")}),
                );
                (status, retry_after, error)
            }
        };
        Reply {
            status,
            body: json!({ "error": error }),
            retry_after,
        }
    }
}

/// Writes a reply as an HTTP response.
pub fn respond(reply: Reply) -> Response {
    let body = serde_json::to_vec(&reply.body).unwrap_or_else(|_| b"null".to_vec());
    let mut builder = Response::builder();
    builder
        .status(reply.status)
        .header("content-type", "application/json");
    if let Some(seconds) = reply.retry_after {
        builder.header("retry-after", seconds.to_string());
    }
    builder.body(body).build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::types::RetryDetail;

    #[test]
    fn statuses_bodies_and_retry_after() {
        let reply = Reply::from(CallError::UnknownFunction("x".into()));
        assert_eq!(reply.status, 404);
        assert_eq!(
            reply.body,
            json!({"error": {"type": "unsupported", "value": "unknown function 'x'"}})
        );
        let cases = [
            (ProviderError::Unauthorized(String::new()), 401),
            (ProviderError::NotFound(String::new()), 404),
            (ProviderError::InvalidInput(String::new()), 400),
            (ProviderError::Unsupported(String::new()), 501),
            (ProviderError::Other(String::new()), 502),
        ];
        for (error, status) in cases {
            assert_eq!(Reply::from(CallError::from(error)).status, status);
        }
        let limited = Reply::from(CallError::from(ProviderError::RateLimited(RetryDetail {
            message: "slow".into(),
            retry_after: Some(7),
        })));
        assert_eq!((limited.status, limited.retry_after), (429, Some(7)));
        assert_eq!(
            limited.body,
            json!({"error": {"type": "rate_limited", "value": {"message": "slow", "retry_after": 7}}})
        );
        let down = Reply::from(CallError::from(ProviderError::Unavailable(RetryDetail {
            message: "down".into(),
            retry_after: None,
        })));
        assert_eq!((down.status, down.retry_after), (503, None));
        assert_eq!(
            Reply::from(CallError::InvalidInput("bad".into())).status,
            400
        );
    }
}
