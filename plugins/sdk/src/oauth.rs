//! What every plugin's OAuth authorization-code flow shares (RFC 6749, PKCE RFC 7636):
//! checking the client settings, adding the PKCE parameters, and reading the token
//! endpoint's JSON answer. Each plugin keeps its URLs, its defaults and how it names the
//! provider's own error codes.

use serde::Deserialize;

use crate::api_url::HttpUrl;
use crate::{timestamp, ProviderError};

/// `Ok` when `value` is not blank; else "the OAuth `what` is required".
pub fn require(what: &str, value: &str) -> Result<(), ProviderError> {
    if value.trim().is_empty() {
        Err(ProviderError::InvalidInput(format!(
            "the OAuth {what} is required"
        )))
    } else {
        Ok(())
    }
}

/// The redirect URI, trimmed, when it is an absolute http(s) URL.
pub fn redirect_uri(raw: &str) -> Result<&str, ProviderError> {
    let uri = raw.trim();
    HttpUrl::parse(uri).map_err(|_| {
        ProviderError::InvalidInput(format!(
            "the OAuth redirect URI `{uri}` must be an absolute http(s) URL"
        ))
    })?;
    Ok(uri)
}

/// Whether `value` has the RFC 7636 verifier / S256 challenge alphabet and length.
pub fn is_pkce_value(value: &str) -> bool {
    (43..=128).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

/// Adds `code_challenge` and `code_challenge_method=S256` to an authorization URL's
/// query, when the caller sent a challenge.
pub fn push_challenge<'a>(
    pairs: &mut Vec<(&'a str, &'a str)>,
    challenge: Option<&'a str>,
) -> Result<(), ProviderError> {
    let Some(challenge) = challenge else {
        return Ok(());
    };
    if !is_pkce_value(challenge) {
        return Err(ProviderError::InvalidInput(
            "the PKCE code challenge must be the base64url S256 digest of the verifier (43 characters)"
                .to_string(),
        ));
    }
    pairs.push(("code_challenge", challenge));
    pairs.push(("code_challenge_method", "S256"));
    Ok(())
}

/// Adds `code_verifier` to a token request's form, when the caller sent one.
pub fn push_verifier<'a>(
    pairs: &mut Vec<(&'a str, &'a str)>,
    verifier: Option<&'a str>,
) -> Result<(), ProviderError> {
    let Some(verifier) = verifier else {
        return Ok(());
    };
    if !is_pkce_value(verifier) {
        return Err(ProviderError::InvalidInput(
            "the PKCE code verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~"
                .to_string(),
        ));
    }
    pairs.push(("code_verifier", verifier));
    Ok(())
}

/// The requested scopes, trimmed and without blanks; `defaults` when none were asked for.
pub fn scopes_or<'a>(requested: &'a [String], defaults: &[&'a str]) -> Vec<&'a str> {
    if requested.is_empty() {
        return defaults.to_vec();
    }
    requested
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect()
}

/// A token endpoint's JSON answer: tokens, or an OAuth `error`.
#[derive(Debug, Default, Deserialize)]
pub struct TokenAnswer {
    /// Access token.
    pub access_token: Option<String>,
    /// Refresh token.
    pub refresh_token: Option<String>,
    /// Seconds the access token lives.
    pub expires_in: Option<i64>,
    /// Granted scopes, space- or comma-separated (Bitbucket names it `scopes`).
    #[serde(alias = "scopes")]
    pub scope: Option<String>,
    /// OAuth error code.
    pub error: Option<String>,
    /// Its description.
    pub error_description: Option<String>,
}

/// Tokens from a successful exchange, in the contract's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tokens {
    /// Access token.
    pub access_token: String,
    /// Refresh token, if issued.
    pub refresh_token: Option<String>,
    /// When the access token expires (RFC 3339), if it does.
    pub expires_at: Option<String>,
    /// Scopes granted.
    pub scopes: Vec<String>,
}

impl TokenAnswer {
    /// The OAuth error code and `: description` (empty without one), if the answer is an
    /// error.
    pub fn error(&self) -> Option<(String, String)> {
        let error = self.error.clone()?;
        let description = self
            .error_description
            .as_deref()
            .map(|d| format!(": {d}"))
            .unwrap_or_default();
        Some((error, description))
    }

    /// The tokens; `service` names the provider when the access token is missing.
    pub fn into_tokens(self, service: &str) -> Result<Tokens, ProviderError> {
        let access_token = self.access_token.filter(|t| !t.is_empty()).ok_or_else(|| {
            ProviderError::Other(format!("{service}'s OAuth answer has no access token"))
        })?;
        let expires_at = self.expires_in.filter(|s| *s > 0).and_then(|seconds| {
            Some(timestamp::format_unix_seconds(
                timestamp::now_unix()? + seconds,
            ))
        });
        Ok(Tokens {
            access_token,
            refresh_token: self.refresh_token.filter(|t| !t.is_empty()),
            expires_at,
            scopes: self
                .scope
                .unwrap_or_default()
                .split([' ', ','])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn settings_and_pkce_are_checked() {
        assert!(require("client id", " ").is_err());
        assert!(require("client id", "x").is_ok());
        assert_eq!(
            redirect_uri(" https://a.example/cb ").unwrap(),
            "https://a.example/cb"
        );
        assert!(redirect_uri("/cb").is_err());
        let mut pairs = Vec::new();
        push_challenge(&mut pairs, Some(CHALLENGE)).unwrap();
        push_verifier(&mut pairs, None).unwrap();
        assert_eq!(
            pairs,
            [
                ("code_challenge", CHALLENGE),
                ("code_challenge_method", "S256")
            ]
        );
        assert!(push_challenge(&mut pairs, Some("short")).is_err());
        assert!(push_verifier(
            &mut pairs,
            Some("has space in it and is long enough to count")
        )
        .is_err());
        let requested = vec![" repo ".to_string(), String::new()];
        assert_eq!(scopes_or(&requested, &["x"]), ["repo"]);
        assert_eq!(scopes_or(&[], &["x", "y"]), ["x", "y"]);
    }

    #[test]
    fn token_answers_read_either_way() {
        let answer: TokenAnswer = serde_json::from_str(
            r#"{"access_token":"t","refresh_token":"","scopes":"repository webhook","expires_in":0}"#,
        )
        .unwrap();
        assert_eq!(answer.error(), None);
        let tokens = answer.into_tokens("Bitbucket").unwrap();
        assert_eq!(tokens.scopes, ["repository", "webhook"]);
        assert_eq!((tokens.refresh_token, tokens.expires_at), (None, None));
        let failed: TokenAnswer =
            serde_json::from_str(r#"{"error":"invalid_grant","error_description":"used"}"#)
                .unwrap();
        assert_eq!(
            failed.error(),
            Some(("invalid_grant".to_string(), ": used".to_string()))
        );
        assert!(matches!(
            TokenAnswer::default().into_tokens("GitHub"),
            Err(ProviderError::Other(m)) if m == "GitHub's OAuth answer has no access token"
        ));
    }
}
