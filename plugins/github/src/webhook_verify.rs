//! `verify-webhook`: authenticates a GitHub delivery (`X-Hub-Signature-256`) and hands the
//! body to [`webhook_events`](crate::webhook_events) for normalization. Pure: no I/O.

use git_access_plugin_sdk::{api_url::percent_decode, signature, Headers, ProviderError};

use crate::bindings::types::{Delivery, GitEvent};
use crate::webhook_events;

/// Verifies the signature of `delivery` under `secret` in constant time, then normalizes it.
///
/// A missing or wrong signature is `unauthorized`; missing event headers or a body that is
/// not a GitHub payload are `invalid-input`.
pub fn verify_webhook(secret: &str, delivery: &Delivery) -> Result<GitEvent, ProviderError> {
    let headers: Headers = delivery
        .headers
        .iter()
        .map(|h| (h.name.as_str(), h.value.as_str()))
        .collect();
    verify_signature(secret, &headers, &delivery.body)?;

    let event = required_header(&headers, "x-github-event")?;
    let delivery_id = required_header(&headers, "x-github-delivery")?;
    let json = payload_json(&headers, &delivery.body)?;
    webhook_events::normalize(event, delivery_id, &json)
}

/// Checks `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, raw body)>`.
fn verify_signature(secret: &str, headers: &Headers, body: &[u8]) -> Result<(), ProviderError> {
    if secret.is_empty() {
        // An empty key would let anyone sign; refuse rather than accept.
        return Err(ProviderError::InvalidInput(
            "no webhook secret is configured for this application".to_string(),
        ));
    }
    let header = headers.get("x-hub-signature-256").ok_or_else(|| {
        ProviderError::Unauthorized(
            "the delivery has no X-Hub-Signature-256 header; the webhook must be configured \
             with the application's secret"
                .to_string(),
        )
    })?;
    let hex = header.trim().strip_prefix("sha256=").ok_or_else(|| {
        ProviderError::Unauthorized("X-Hub-Signature-256 does not start with `sha256=`".to_string())
    })?;
    signature::verify_hmac_sha256_hex(secret.as_bytes(), body, hex)?;
    Ok(())
}

fn required_header<'a>(headers: &'a Headers, name: &str) -> Result<&'a str, ProviderError> {
    headers
        .get(name)
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ProviderError::InvalidInput(format!("the delivery has no {name} header")))
}

/// The JSON of the delivery: the body itself, or the `payload` field of a form-encoded body
/// (webhooks created with content type `application/x-www-form-urlencoded`).
fn payload_json<'b>(
    headers: &Headers,
    body: &'b [u8],
) -> Result<std::borrow::Cow<'b, [u8]>, ProviderError> {
    let form = headers
        .get("content-type")
        .is_some_and(|ct| ct.trim().starts_with("application/x-www-form-urlencoded"));
    if !form {
        return Ok(std::borrow::Cow::Borrowed(body));
    }
    let text = std::str::from_utf8(body).map_err(|_| malformed("the form body is not UTF-8"))?;
    let payload = text
        .split('&')
        .find_map(|pair| pair.strip_prefix("payload="))
        .ok_or_else(|| malformed("the form body has no `payload` field"))?;
    Ok(std::borrow::Cow::Owned(
        percent_decode(payload, true).into_bytes(),
    ))
}

fn malformed(why: &str) -> ProviderError {
    ProviderError::InvalidInput(format!("malformed GitHub delivery: {why}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::types::{EventDetail, Header};

    fn delivery(headers: &[(&str, &str)], body: &[u8]) -> Delivery {
        Delivery {
            headers: headers
                .iter()
                .map(|(n, v)| Header {
                    name: n.to_string(),
                    value: v.to_string(),
                })
                .collect(),
            body: body.to_vec(),
        }
    }

    #[test]
    fn docs_vector_verifies() {
        let headers: Headers = [(
            "X-Hub-Signature-256",
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
        )]
        .into_iter()
        .collect();
        assert_eq!(
            verify_signature("It's a Secret to Everybody", &headers, b"Hello, World!"),
            Ok(())
        );
        assert!(matches!(
            verify_signature("It's a Secret to Everybody", &headers, b"Hello, World"),
            Err(ProviderError::Unauthorized(_))
        ));
    }

    #[test]
    fn missing_or_malformed_signatures_are_unauthorized() {
        let body = br#"{"zen":"Keep it logically awesome."}"#;
        for headers in [
            vec![("X-GitHub-Event", "ping"), ("X-GitHub-Delivery", "1")],
            vec![
                ("X-Hub-Signature-256", "sha1=abcd"),
                ("X-GitHub-Event", "ping"),
            ],
            vec![
                ("X-Hub-Signature-256", "sha256=nothex"),
                ("X-GitHub-Event", "ping"),
            ],
            vec![(
                "X-Hub-Signature",
                "sha1=cf93f9ba3c8d3a789e61f91e1e5c6a360d036e98",
            )],
        ] {
            assert!(
                matches!(
                    verify_webhook("s", &delivery(&headers, body)),
                    Err(ProviderError::Unauthorized(_))
                ),
                "{headers:?}"
            );
        }
    }

    #[test]
    fn empty_secret_is_refused() {
        let body = b"{}";
        let sig = format!("sha256={}", signature::hmac_sha256_hex(b"", body));
        assert!(matches!(
            verify_webhook("", &delivery(&[("X-Hub-Signature-256", &sig)], body)),
            Err(ProviderError::InvalidInput(_))
        ));
    }

    #[test]
    fn signed_but_incomplete_deliveries_are_invalid_input() {
        let body = br#"{"zen":"x","hook_id":1}"#;
        let sig = format!("sha256={}", signature::hmac_sha256_hex(b"k", body));
        let missing_event = delivery(
            &[("X-Hub-Signature-256", &sig), ("X-GitHub-Delivery", "d")],
            body,
        );
        assert!(matches!(
            verify_webhook("k", &missing_event),
            Err(ProviderError::InvalidInput(m)) if m.contains("x-github-event")
        ));
        let not_json = b"not json";
        let sig = format!("sha256={}", signature::hmac_sha256_hex(b"k", not_json));
        let bad_body = delivery(
            &[
                ("X-Hub-Signature-256", &sig),
                ("X-GitHub-Delivery", "d"),
                ("X-GitHub-Event", "ping"),
            ],
            not_json,
        );
        assert!(matches!(
            verify_webhook("k", &bad_body),
            Err(ProviderError::InvalidInput(_))
        ));
    }

    #[test]
    fn form_encoded_deliveries() {
        let body = b"payload=%7B%22zen%22%3A%22Design+for+failure.%22%2C%22hook_id%22%3A7%7D";
        let sig = format!("sha256={}", signature::hmac_sha256_hex(b"k", body));
        let event = verify_webhook(
            "k",
            &delivery(
                &[
                    ("x-hub-signature-256", &sig),
                    ("x-github-delivery", "abc"),
                    ("x-github-event", "ping"),
                    ("content-type", "application/x-www-form-urlencoded"),
                ],
                body,
            ),
        )
        .unwrap();
        assert_eq!(event.delivery_id, "abc");
        assert!(matches!(event.detail, EventDetail::Ping));
    }
}
