//! `verify-webhook`: authenticates a Bitbucket Cloud delivery and hands the body to
//! [`webhook_events`](crate::webhook_events) for normalization. Pure: no I/O.
//!
//! Bitbucket signs deliveries of hooks that have a secret with
//! `X-Hub-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>` (SHA-256 in the header
//! GitHub uses for SHA-1), checked here in constant time. The event is `X-Event-Key`; the
//! delivery id, used to drop replays, is `X-Request-UUID` (deliveries without one are
//! identified by a digest of their body).

use git_access_plugin_sdk::{signature, Headers, ProviderError};
use sha2::{Digest, Sha256};

use crate::bindings::types::{Delivery, GitEvent};
use crate::webhook_events;

/// Verifies the signature of `delivery` under `secret` in constant time, then normalizes it.
///
/// A missing or wrong signature is `unauthorized`; a missing event header or a body that
/// is not a Bitbucket payload is `invalid-input`.
pub fn verify_webhook(secret: &str, delivery: &Delivery) -> Result<GitEvent, ProviderError> {
    let headers: Headers = delivery
        .headers
        .iter()
        .map(|h| (h.name.as_str(), h.value.as_str()))
        .collect();
    verify_signature(secret, &headers, &delivery.body)?;

    let event = headers
        .get("x-event-key")
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            ProviderError::InvalidInput("the delivery has no X-Event-Key header".to_string())
        })?;
    let delivery_id = headers
        .get("x-request-uuid")
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| format!("sha256:{}", hex::encode(Sha256::digest(&delivery.body))));
    let json: serde_json::Value = serde_json::from_slice(&delivery.body).map_err(|e| {
        ProviderError::InvalidInput(format!(
            "malformed Bitbucket delivery: the body is not JSON: {e}"
        ))
    })?;
    webhook_events::normalize(event, &delivery_id, &json)
}

/// Checks `X-Hub-Signature: sha256=<hex>` against the raw body.
fn verify_signature(secret: &str, headers: &Headers, body: &[u8]) -> Result<(), ProviderError> {
    if secret.is_empty() {
        // An empty key would let anyone sign; refuse rather than accept.
        return Err(ProviderError::InvalidInput(
            "no webhook secret is configured for this application".to_string(),
        ));
    }
    let header = headers.get("x-hub-signature").ok_or_else(|| {
        ProviderError::Unauthorized(
            "the delivery has no X-Hub-Signature header; the webhook must be configured with \
             the application's secret"
                .to_string(),
        )
    })?;
    let hex = header.trim().strip_prefix("sha256=").ok_or_else(|| {
        ProviderError::Unauthorized("X-Hub-Signature does not start with `sha256=`".to_string())
    })?;
    signature::verify_hmac_sha256_hex(secret.as_bytes(), body, hex)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::types::{EventDetail, Header};

    const PUSH: &[u8] = br#"{"actor":{"nickname":"ann"},"repository":{"full_name":"acme/api"},"push":{"changes":[{"new":{"type":"branch","name":"main","target":{"hash":"b"}},"old":{"type":"branch","name":"main","target":{"hash":"a"}},"commits":[{"hash":"b"}]}]}}"#;

    fn signed(secret: &str, body: &[u8]) -> String {
        format!(
            "sha256={}",
            signature::hmac_sha256_hex(secret.as_bytes(), body)
        )
    }

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
    fn good_signature_verifies() {
        let sig = signed("s3cret", PUSH);
        let event = verify_webhook(
            "s3cret",
            &delivery(
                &[
                    ("X-Hub-Signature", &sig),
                    ("X-Event-Key", "repo:push"),
                    ("X-Request-UUID", "req-1"),
                    ("X-Hook-UUID", "{hook}"),
                ],
                PUSH,
            ),
        )
        .unwrap();
        assert_eq!(event.delivery_id, "req-1");
        assert_eq!(event.provider_event, "repo:push");
        assert!(matches!(event.detail, EventDetail::Push(_)));
        let event = verify_webhook(
            "s3cret",
            &delivery(
                &[("x-hub-signature", &sig), ("x-event-key", "repo:push")],
                PUSH,
            ),
        )
        .unwrap();
        assert!(event.delivery_id.starts_with("sha256:"));
    }

    #[test]
    fn tampered_wrong_secret_and_missing_signatures_are_unauthorized() {
        let sig = signed("s3cret", PUSH);
        let mut tampered = PUSH.to_vec();
        tampered[20] ^= 1;
        let wrong = signed("other", PUSH);
        let github_style = signed("s3cret", PUSH);
        type Case<'a> = (Vec<(&'a str, &'a str)>, &'a [u8]);
        let cases: Vec<Case> = vec![
            (
                vec![("X-Hub-Signature", &sig), ("X-Event-Key", "repo:push")],
                &tampered,
            ),
            (
                vec![("X-Hub-Signature", &wrong), ("X-Event-Key", "repo:push")],
                PUSH,
            ),
            (vec![("X-Event-Key", "repo:push")], PUSH),
            (
                vec![
                    ("X-Hub-Signature-256", &github_style),
                    ("X-Event-Key", "repo:push"),
                ],
                PUSH,
            ),
            (
                vec![
                    ("X-Hub-Signature", "sha1=abcd"),
                    ("X-Event-Key", "repo:push"),
                ],
                PUSH,
            ),
        ];
        for (headers, body) in cases {
            assert!(
                matches!(
                    verify_webhook("s3cret", &delivery(&headers, body)),
                    Err(ProviderError::Unauthorized(_))
                ),
                "{headers:?}"
            );
        }
        assert!(matches!(
            verify_webhook("", &delivery(&[("X-Hub-Signature", &sig)], PUSH)),
            Err(ProviderError::InvalidInput(_))
        ));
    }

    #[test]
    fn signed_but_incomplete_deliveries_are_invalid_input() {
        let sig = signed("k", PUSH);
        assert!(matches!(
            verify_webhook("k", &delivery(&[("X-Hub-Signature", &sig)], PUSH)),
            Err(ProviderError::InvalidInput(m)) if m.contains("X-Event-Key")
        ));
        let sig = signed("k", b"nope");
        assert!(matches!(
            verify_webhook(
                "k",
                &delivery(
                    &[("X-Hub-Signature", &sig), ("X-Event-Key", "repo:push")],
                    b"nope"
                )
            ),
            Err(ProviderError::InvalidInput(_))
        ));
    }
}
