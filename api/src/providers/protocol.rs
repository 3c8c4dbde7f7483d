//! The gateway's JSON protocol as seen by the caller (`plugins/gateway/README.md`):
//! where each function lives and how to read a reply.
//!
//! Success is a 2xx with the function's `ok` value as JSON. Failure is
//! `{"error": {"type": "<case>", "value": <payload>}}` with a status per case; the body is
//! authoritative, the status and `Retry-After` header only fill gaps.

use serde::Deserialize;
use serde_json::Value;

use super::CallError;

/// Media type of a `verify-webhook` call that carries the delivery body raw: the JSON
/// arguments without `delivery.body` on the first line, then a line feed, then the body's
/// bytes as received (no base64, no JSON escaping).
pub const RAW_DELIVERY: &str = "application/vnd.git-access.raw-delivery";

/// URL of `function` on provider `id`, reached by Spin service chaining.
pub fn function_url(id: &str, function: &str) -> String {
    format!("http://provider-{id}.spin.internal/{function}")
}

/// The WIT `provider-error` variant.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum ProviderError {
    /// The credential is invalid, expired or revoked.
    Unauthorized(String),
    /// The credential lacks permissions.
    Forbidden {
        /// Human explanation.
        message: String,
        /// Missing permissions, in provider vocabulary.
        #[serde(default)]
        missing: Vec<String>,
    },
    /// The thing asked for does not exist or is hidden.
    NotFound(String),
    /// The provider throttled the call.
    RateLimited {
        /// Human explanation.
        message: String,
        /// Seconds to wait, if known.
        #[serde(default)]
        retry_after: Option<u32>,
    },
    /// An argument is invalid.
    InvalidInput(String),
    /// The provider is down or failed.
    Unavailable {
        /// Human explanation.
        message: String,
        /// Seconds to wait, if known.
        #[serde(default)]
        retry_after: Option<u32>,
    },
    /// The plugin does not implement the call.
    Unsupported(String),
    /// Anything else.
    Other(String),
}

/// The failure body: `{"error": <provider-error>}`.
#[derive(Deserialize)]
struct ErrorBody {
    error: ProviderError,
}

/// Reads a gateway reply to a call on `url`.
pub fn interpret(
    url: &str,
    status: u16,
    retry_after_header: Option<&str>,
    body: &[u8],
) -> Result<Value, CallError> {
    let protocol_error = |what: &str| CallError::Protocol {
        url: url.to_owned(),
        status,
        what: what.to_owned(),
    };
    if (200..300).contains(&status) {
        return serde_json::from_slice(body).map_err(|_| protocol_error("a body that is not JSON"));
    }
    let ErrorBody { mut error } = serde_json::from_slice(body)
        .map_err(|_| protocol_error("a body that is not a gateway error"))?;
    let header_seconds = retry_after_header.and_then(|value| value.trim().parse::<u32>().ok());
    if let ProviderError::RateLimited { retry_after, .. }
    | ProviderError::Unavailable { retry_after, .. } = &mut error
    {
        *retry_after = retry_after.or(header_seconds);
    }
    Err(CallError::Provider(error))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const URL: &str = "http://provider-github.spin.internal/validate-token";

    fn error(status: u16, header: Option<&str>, body: Value) -> ProviderError {
        match interpret(URL, status, header, body.to_string().as_bytes()) {
            Err(CallError::Provider(e)) => e,
            other => panic!("expected a provider error, got {other:?}"),
        }
    }

    #[test]
    fn builds_service_chaining_urls() {
        assert_eq!(function_url("github", "validate-token"), URL);
        assert_eq!(
            function_url("gitea-2", "info"),
            "http://provider-gitea-2.spin.internal/info"
        );
    }

    #[test]
    fn success_is_the_json_value() {
        let body = br#"{"account":"octocat","missing":[]}"#;
        assert_eq!(
            interpret(URL, 200, None, body).unwrap(),
            json!({"account": "octocat", "missing": []})
        );
        assert_eq!(interpret(URL, 200, None, b"null").unwrap(), Value::Null);
    }

    #[test]
    fn reads_every_error_case() {
        assert_eq!(
            error(
                401,
                None,
                json!({"error": {"type": "unauthorized", "value": "Bad credentials"}})
            ),
            ProviderError::Unauthorized("Bad credentials".into())
        );
        assert_eq!(
            error(
                403,
                None,
                json!({"error": {"type": "forbidden", "value": {"message": "m", "missing": ["admin:repo_hook"]}}})
            ),
            ProviderError::Forbidden {
                message: "m".into(),
                missing: vec!["admin:repo_hook".into()]
            }
        );
        assert_eq!(
            error(
                404,
                None,
                json!({"error": {"type": "not_found", "value": "x"}})
            ),
            ProviderError::NotFound("x".into())
        );
        assert_eq!(
            error(
                400,
                None,
                json!({"error": {"type": "invalid_input", "value": "x"}})
            ),
            ProviderError::InvalidInput("x".into())
        );
        assert_eq!(
            error(
                501,
                None,
                json!({"error": {"type": "unsupported", "value": "x"}})
            ),
            ProviderError::Unsupported("x".into())
        );
        assert_eq!(
            error(502, None, json!({"error": {"type": "other", "value": "x"}})),
            ProviderError::Other("x".into())
        );
        assert_eq!(
            error(
                429,
                None,
                json!({"error": {"type": "rate_limited", "value": {"message": "slow down", "retry_after": 30}}})
            ),
            ProviderError::RateLimited {
                message: "slow down".into(),
                retry_after: Some(30)
            }
        );
    }

    #[test]
    fn retry_after_header_fills_a_missing_value_only() {
        let body = json!({"error": {"type": "unavailable", "value": {"message": "down", "retry_after": null}}});
        assert_eq!(
            error(503, Some(" 12 "), body.clone()),
            ProviderError::Unavailable {
                message: "down".into(),
                retry_after: Some(12)
            }
        );
        assert_eq!(
            error(503, Some("Wed, 21 Oct 2026 07:28:00 GMT"), body),
            ProviderError::Unavailable {
                message: "down".into(),
                retry_after: None
            }
        );
        let body =
            json!({"error": {"type": "rate_limited", "value": {"message": "m", "retry_after": 5}}});
        assert_eq!(
            error(429, Some("60"), body),
            ProviderError::RateLimited {
                message: "m".into(),
                retry_after: Some(5)
            }
        );
    }

    #[test]
    fn bodies_outside_the_protocol_are_protocol_errors() {
        for (status, body) in [
            (200, &b"<html>"[..]),
            (404, &b"Not Found"[..]),
            (500, &br#"{"error": {"type": "exploded"}}"#[..]),
            (500, &br#"{"message": "x"}"#[..]),
        ] {
            match interpret(URL, status, None, body) {
                Err(CallError::Protocol { status: s, url, .. }) => {
                    assert_eq!(s, status);
                    assert_eq!(url, URL);
                }
                other => panic!("{status}: {other:?}"),
            }
        }
    }
}
