//! What the mocks' OAuth token endpoints share: the client credentials of a token request
//! (RFC 6749 §2.3.1: HTTP Basic, else `client_id` and `client_secret` parameters, as GitLab
//! and Bitbucket accept them), fresh token values, and the access-token lifetime a test
//! sets.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::http::{header, HeaderMap};
use base64::Engine;

use crate::deliveries::new_delivery_id;

/// Longest access-token lifetime a test may set (ten years), so expiry times stay in range.
const MAX_LIFETIME_SECONDS: u64 = 10 * 365 * 24 * 3600;

/// An access token and refresh token the token endpoint just issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedTokens {
    /// The access token.
    pub access_token: String,
    /// Its refresh token.
    pub refresh_token: String,
    /// Seconds the access token works (`expires_in`).
    pub expires_in: i64,
    /// Scopes granted.
    pub scopes: Vec<String>,
}

/// The client id and secret of a token request: HTTP Basic first, else the
/// `client_id`/`client_secret` parameters (both needed). `None` when neither is there.
pub(crate) fn client_credentials(
    headers: &HeaderMap,
    params: &BTreeMap<String, String>,
) -> Option<(String, String)> {
    basic(headers).or_else(|| {
        Some((
            params.get("client_id")?.clone(),
            params.get("client_secret")?.clone(),
        ))
    })
}

/// `Authorization: Basic base64(id:secret)`.
fn basic(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let pair = String::from_utf8(bytes).ok()?;
    let (id, secret) = pair.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

/// A fresh token value, unique within the process, with the provider's `prefix` (e.g. `ghr_`).
pub(crate) fn new_token(prefix: &str) -> String {
    format!("{prefix}{}", new_delivery_id().replace('-', ""))
}

/// An access-token lifetime in whole seconds, as `expires_in` reports it (sub-second parts
/// are dropped; at most ten years).
pub(crate) fn lifetime_seconds(lifetime: Duration) -> i64 {
    i64::try_from(lifetime.as_secs().min(MAX_LIFETIME_SECONDS)).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn basic_wins_over_parameters() {
        let mut params = BTreeMap::new();
        params.insert("client_id".to_owned(), "form-id".to_owned());
        assert_eq!(
            client_credentials(&HeaderMap::new(), &params),
            None,
            "a client id alone is no credential"
        );
        params.insert("client_secret".to_owned(), "form-secret".to_owned());
        assert_eq!(
            client_credentials(&HeaderMap::new(), &params),
            Some(("form-id".to_owned(), "form-secret".to_owned()))
        );
        let mut headers = HeaderMap::new();
        // key:se:cret — the secret may hold a colon.
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("basic a2V5OnNlOmNyZXQ="),
        );
        assert_eq!(
            client_credentials(&headers, &params),
            Some(("key".to_owned(), "se:cret".to_owned()))
        );
    }

    #[test]
    fn lifetimes_are_whole_seconds_within_range() {
        assert_eq!(lifetime_seconds(Duration::from_millis(1999)), 1);
        assert_eq!(lifetime_seconds(Duration::from_secs(7200)), 7200);
        assert_eq!(
            lifetime_seconds(Duration::MAX),
            i64::try_from(MAX_LIFETIME_SECONDS).unwrap_or_default()
        );
        assert!(new_token("ghr_").starts_with("ghr_") && new_token("x").len() > 20);
    }
}
