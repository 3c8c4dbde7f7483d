//! `verify-webhook`: authenticates a GitLab delivery and hands the body to
//! [`webhook_events`](crate::webhook_events) for normalization. Pure: no I/O.
//!
//! GitLab does not sign deliveries: it sends the hook's secret token back in
//! `X-Gitlab-Token`, compared here in constant time. The delivery id, used to drop
//! replays, is `Idempotency-Key` (stable across GitLab's retries), else
//! `X-Gitlab-Event-UUID`; deliveries from GitLab versions that send neither are
//! identified by a digest of their body.

use git_access_plugin_sdk::{signature, Headers, ProviderError};
use sha2::{Digest, Sha256};

use crate::bindings::types::{Delivery, GitEvent};
use crate::webhook_events;

/// Headers that identify a delivery, most stable first.
const DELIVERY_ID_HEADERS: &[&str] = &["idempotency-key", "x-gitlab-event-uuid"];

/// Verifies the token of `delivery` against `secret` in constant time, then normalizes it.
///
/// A missing or wrong token is `unauthorized`; a missing event header or a body that is
/// not a GitLab payload is `invalid-input`.
pub fn verify_webhook(secret: &str, delivery: &Delivery) -> Result<GitEvent, ProviderError> {
    let headers: Headers = delivery
        .headers
        .iter()
        .map(|h| (h.name.as_str(), h.value.as_str()))
        .collect();
    verify_token(secret, &headers)?;

    let event = headers
        .get("x-gitlab-event")
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            ProviderError::InvalidInput("the delivery has no X-Gitlab-Event header".to_string())
        })?;
    let delivery_id = DELIVERY_ID_HEADERS
        .iter()
        .find_map(|name| headers.get(name).map(str::trim).filter(|v| !v.is_empty()))
        .map(str::to_string)
        .unwrap_or_else(|| format!("sha256:{}", hex::encode(Sha256::digest(&delivery.body))));
    let json: serde_json::Value = serde_json::from_slice(&delivery.body).map_err(|e| {
        ProviderError::InvalidInput(format!(
            "malformed GitLab delivery: the body is not JSON: {e}"
        ))
    })?;
    webhook_events::normalize(event, &delivery_id, &json)
}

/// Checks `X-Gitlab-Token` against the secret.
fn verify_token(secret: &str, headers: &Headers) -> Result<(), ProviderError> {
    if secret.is_empty() {
        // An empty secret would accept any delivery without a token; refuse instead.
        return Err(ProviderError::InvalidInput(
            "no webhook secret is configured for this application".to_string(),
        ));
    }
    let token = headers.get("x-gitlab-token").ok_or_else(|| {
        ProviderError::Unauthorized(
            "the delivery has no X-Gitlab-Token header; the webhook must be configured with \
             the application's secret token"
                .to_string(),
        )
    })?;
    if signature::constant_time_eq(token.as_bytes(), secret.as_bytes()) {
        Ok(())
    } else {
        Err(ProviderError::Unauthorized(
            "webhook token rejected: X-Gitlab-Token does not match the webhook secret".to_string(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::types::{EventDetail, Header};

    const PUSH: &[u8] = br#"{"object_kind":"push","ref":"refs/heads/main","before":"a","after":"b","user_username":"ann","project":{"id":1,"path_with_namespace":"acme/api"},"commits":[],"total_commits_count":0}"#;

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
    fn good_token_verifies_and_names_the_delivery() {
        let event = verify_webhook(
            "s3cret",
            &delivery(
                &[
                    ("X-Gitlab-Token", "s3cret"),
                    ("X-Gitlab-Event", "Push Hook"),
                    ("X-Gitlab-Event-UUID", "evt-1"),
                    ("Idempotency-Key", "idem-1"),
                ],
                PUSH,
            ),
        )
        .unwrap();
        assert_eq!(event.delivery_id, "idem-1");
        assert_eq!(event.provider_event, "Push Hook");
        assert!(matches!(event.detail, EventDetail::Push(_)));
        let event = verify_webhook(
            "s3cret",
            &delivery(
                &[
                    ("x-gitlab-token", "s3cret"),
                    ("x-gitlab-event", "Push Hook"),
                    ("x-gitlab-event-uuid", "evt-2"),
                ],
                PUSH,
            ),
        )
        .unwrap();
        assert_eq!(event.delivery_id, "evt-2");
        let event = verify_webhook(
            "s3cret",
            &delivery(
                &[
                    ("X-Gitlab-Token", "s3cret"),
                    ("X-Gitlab-Event", "Push Hook"),
                ],
                PUSH,
            ),
        )
        .unwrap();
        assert!(event.delivery_id.starts_with("sha256:"));
        assert_eq!(event.delivery_id.len(), 7 + 64);
    }

    #[test]
    fn wrong_missing_or_empty_tokens_are_unauthorized() {
        for headers in [
            vec![("X-Gitlab-Event", "Push Hook")],
            vec![("X-Gitlab-Token", "wrong"), ("X-Gitlab-Event", "Push Hook")],
            vec![("X-Gitlab-Token", ""), ("X-Gitlab-Event", "Push Hook")],
            vec![
                ("X-Gitlab-Token", "s3cret "),
                ("X-Gitlab-Event", "Push Hook"),
            ],
        ] {
            assert!(
                matches!(
                    verify_webhook("s3cret", &delivery(&headers, PUSH)),
                    Err(ProviderError::Unauthorized(_))
                ),
                "{headers:?}"
            );
        }
        assert!(matches!(
            verify_webhook("", &delivery(&[("X-Gitlab-Token", "")], PUSH)),
            Err(ProviderError::InvalidInput(_))
        ));
    }

    #[test]
    fn authenticated_but_incomplete_deliveries_are_invalid_input() {
        assert!(matches!(
            verify_webhook("k", &delivery(&[("X-Gitlab-Token", "k")], PUSH)),
            Err(ProviderError::InvalidInput(m)) if m.contains("X-Gitlab-Event")
        ));
        assert!(matches!(
            verify_webhook(
                "k",
                &delivery(
                    &[("X-Gitlab-Token", "k"), ("X-Gitlab-Event", "Push Hook")],
                    b"not json"
                )
            ),
            Err(ProviderError::InvalidInput(_))
        ));
    }
}
