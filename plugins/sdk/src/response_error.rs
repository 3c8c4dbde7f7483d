//! Mapping of a failed HTTP response to a [`ProviderError`].
//!
//! | status | error |
//! |---|---|
//! | 401 | `unauthorized` |
//! | 403 with `Retry-After` or an exhausted rate limit, or 429 | `rate-limited` (with the wait) |
//! | other 403 | `forbidden` |
//! | 404, 410 | `not-found` |
//! | 400, 409, 422 | `invalid-input` |
//! | 408, 5xx | `unavailable` (with `Retry-After` when sent) |
//! | anything else | `other` |

use crate::timestamp::{now_unix, parse_http_date};
use crate::{Headers, HttpResponse, ProviderError};

/// Longest provider message quoted in an error.
const MAX_DETAIL: usize = 300;

/// Maps a non-success response to an error whose message names `service` (e.g. "GitHub")
/// and quotes the provider's own message when the body carries one.
pub fn error_from_response(service: &str, response: &HttpResponse) -> ProviderError {
    let status = response.status;
    let detail = provider_message(&response.body)
        .map(|m| format!(": {m}"))
        .unwrap_or_default();
    let headers = &response.headers;
    let retry_after = || retry_after_seconds(headers, None);
    match status {
        401 => ProviderError::Unauthorized(format!(
            "{service} rejected the credential (HTTP 401){detail}"
        )),
        403 | 429 if is_rate_limited(status, headers) => ProviderError::RateLimited {
            message: format!("{service} rate limit reached (HTTP {status}){detail}"),
            retry_after: retry_after(),
        },
        403 => ProviderError::forbidden(
            format!("{service} refused the request (HTTP 403){detail}"),
            Vec::new(),
        ),
        404 | 410 => ProviderError::NotFound(format!(
            "{service} found no such resource, or the credential cannot see it (HTTP {status}){detail}"
        )),
        400 | 409 | 422 => ProviderError::InvalidInput(format!(
            "{service} rejected the request (HTTP {status}){detail}"
        )),
        408 | 500..=599 => ProviderError::Unavailable {
            message: format!("{service} is unavailable (HTTP {status}){detail}"),
            retry_after: retry_after(),
        },
        _ => ProviderError::Other(format!(
            "{service} answered with unexpected HTTP status {status}{detail}"
        )),
    }
}

/// Whether a response is a rate-limit refusal: any 429, or a 403 that carries
/// `Retry-After` or a remaining quota of zero (GitHub's primary and secondary limits).
pub fn is_rate_limited(status: u16, headers: &Headers) -> bool {
    match status {
        429 => true,
        403 => {
            headers.contains("retry-after")
                || ["x-ratelimit-remaining", "ratelimit-remaining"]
                    .iter()
                    .any(|name| headers.get(name).map(str::trim) == Some("0"))
        }
        _ => false,
    }
}

/// Seconds to wait before retrying, from `Retry-After` (seconds or an HTTP date) or
/// `X-RateLimit-Reset` / `RateLimit-Reset` (Unix time, or seconds when small).
///
/// Dates are measured against `now` (Unix seconds), else the response's `Date` header,
/// else the component's clock.
pub fn retry_after_seconds(headers: &Headers, now: Option<i64>) -> Option<u32> {
    let now = || {
        now.or_else(|| headers.get("date").and_then(parse_http_date))
            .or_else(now_unix)
    };
    let clamp = |seconds: i64| u32::try_from(seconds.max(0)).unwrap_or(u32::MAX);
    if let Some(value) = headers.get("retry-after").map(str::trim) {
        if let Ok(seconds) = value.parse::<u64>() {
            return Some(u32::try_from(seconds).unwrap_or(u32::MAX));
        }
        if let Some(at) = parse_http_date(value) {
            return Some(clamp(at - now()?));
        }
    }
    let reset = ["x-ratelimit-reset", "ratelimit-reset"]
        .iter()
        .find_map(|name| headers.get(name)?.trim().parse::<i64>().ok())?;
    // Epoch values are large; a small value is already a delay in seconds.
    if reset > 1_000_000_000 {
        Some(clamp(reset - now()?))
    } else {
        Some(clamp(reset))
    }
}

/// The provider's own error message from a JSON body: `message`, `error_description`,
/// `error` (string) or `error.message`, shortened.
fn provider_message(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let text = value
        .get("message")
        .and_then(|m| m.as_str())
        .or_else(|| value.get("error_description").and_then(|m| m.as_str()))
        .or_else(|| value.get("error").and_then(|m| m.as_str()))
        .or_else(|| value.pointer("/error/message").and_then(|m| m.as_str()))?;
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let mut short: String = text.chars().take(MAX_DETAIL).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    Some(short)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake_transport::response;

    #[test]
    fn maps_statuses() {
        let r = response(401, &[], r#"{"message":"Bad credentials"}"#);
        assert_eq!(
            error_from_response("GitHub", &r),
            ProviderError::Unauthorized(
                "GitHub rejected the credential (HTTP 401): Bad credentials".into()
            )
        );
        let r = response(403, &[], r#"{"message":"Resource not accessible"}"#);
        assert!(matches!(
            error_from_response("GitHub", &r),
            ProviderError::Forbidden { missing, .. } if missing.is_empty()
        ));
        assert!(matches!(
            error_from_response("X", &response(404, &[], "")),
            ProviderError::NotFound(_)
        ));
        assert!(matches!(
            error_from_response("X", &response(422, &[], "{}")),
            ProviderError::InvalidInput(_)
        ));
        assert!(matches!(
            error_from_response("X", &response(418, &[], "")),
            ProviderError::Other(_)
        ));
        assert_eq!(
            error_from_response("X", &response(503, &[("Retry-After", "30")], "")),
            ProviderError::Unavailable {
                message: "X is unavailable (HTTP 503)".into(),
                retry_after: Some(30)
            }
        );
    }

    #[test]
    fn github_primary_rate_limit() {
        let r = response(
            403,
            &[
                ("X-RateLimit-Remaining", "0"),
                ("X-RateLimit-Reset", "1700000060"),
                ("Date", "Tue, 14 Nov 2023 22:13:20 GMT"),
            ],
            r#"{"message":"API rate limit exceeded"}"#,
        );
        match error_from_response("GitHub", &r) {
            ProviderError::RateLimited {
                message,
                retry_after,
            } => {
                assert_eq!(retry_after, Some(60));
                assert!(message.contains("API rate limit exceeded"));
            }
            other => panic!("expected rate-limited, got {other:?}"),
        }
    }

    #[test]
    fn secondary_rate_limit_and_429() {
        let r = response(403, &[("retry-after", "120")], "{}");
        assert!(matches!(
            error_from_response("GitHub", &r),
            ProviderError::RateLimited {
                retry_after: Some(120),
                ..
            }
        ));
        let r = response(429, &[("RateLimit-Reset", "7")], "");
        assert!(matches!(
            error_from_response("GitLab", &r),
            ProviderError::RateLimited {
                retry_after: Some(7),
                ..
            }
        ));
    }

    #[test]
    fn retry_after_http_date_and_past_reset() {
        let headers: Headers = [("Retry-After", "Sun, 06 Nov 1994 08:50:37 GMT")]
            .into_iter()
            .collect();
        assert_eq!(retry_after_seconds(&headers, Some(784_111_777)), Some(60));
        let headers: Headers = [("X-RateLimit-Reset", "1700000000")].into_iter().collect();
        assert_eq!(retry_after_seconds(&headers, Some(1_800_000_000)), Some(0));
        assert_eq!(retry_after_seconds(&Headers::new(), Some(0)), None);
    }

    #[test]
    fn quotes_nested_and_long_messages() {
        let r = response(400, &[], r#"{"error":{"message":"bad workspace"}}"#);
        assert_eq!(
            error_from_response("Bitbucket", &r),
            ProviderError::InvalidInput(
                "Bitbucket rejected the request (HTTP 400): bad workspace".into()
            )
        );
        let long = format!(r#"{{"message":"{}"}}"#, "x".repeat(1000));
        let ProviderError::NotFound(message) = error_from_response("X", &response(404, &[], &long))
        else {
            panic!("expected not-found");
        };
        assert!(message.len() < 400);
    }
}
