//! What every plugin's OAuth flows share (RFC 6749: authorization code and refresh token;
//! PKCE RFC 7636): checking the client settings, adding the PKCE parameters, the refresh
//! grant's form, posting a grant to the token endpoint, and reading its JSON answer with
//! what each refusal means. Each plugin keeps its URLs, its defaults, how it authenticates
//! the client, and the provider's own error codes ([`TokenEndpoint`]).

use serde::Deserialize;

use crate::api_url::{self, HttpUrl};
use crate::{error_from_response, retry_after_seconds, timestamp};
use crate::{HttpRequest, HttpResponse, ProviderError};

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

/// The form pairs of a refresh-token grant (RFC 6749 §6): `grant_type=refresh_token` and
/// the refresh token, trimmed. A blank refresh token is `invalid-input`.
pub fn refresh_grant(refresh_token: &str) -> Result<[(&'static str, &str); 2], ProviderError> {
    require("refresh token", refresh_token)?;
    Ok([
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token.trim()),
    ])
}

/// A grant's form with the client's credentials as form fields, `client_id` and
/// `client_secret` first (RFC 6749 §2.3.1; OpenID Connect's `client_secret_post`); both
/// are required.
pub fn client_secret_post<'a>(
    client_id: &'a str,
    client_secret: &'a str,
    grant_form: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<Vec<(&'a str, &'a str)>, ProviderError> {
    require("client id", client_id)?;
    require("client secret", client_secret)?;
    let mut form = vec![
        ("client_id", client_id.trim()),
        ("client_secret", client_secret),
    ];
    form.extend(grant_form);
    Ok(form)
}

/// A token request: the grant's form POSTed to the provider's token endpoint, asking for a
/// JSON answer. The plugin adds its client authentication (form pairs or HTTP Basic).
pub fn token_request<'a>(
    url: impl Into<String>,
    form: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> HttpRequest {
    HttpRequest::post(url)
        .header("Accept", "application/json")
        .header("User-Agent", "git-access")
        .body(
            "application/x-www-form-urlencoded",
            api_url::form_urlencoded(form),
        )
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

impl Tokens {
    /// These tokens, with `previous` as the refresh token when the answer carried none: a
    /// provider that issues no new refresh token leaves the old one valid (RFC 6749 §6), so
    /// the caller can always keep what a refresh returns.
    pub fn keeping_refresh_token(mut self, previous: &str) -> Self {
        let previous = previous.trim();
        if self.refresh_token.is_none() && !previous.is_empty() {
            self.refresh_token = Some(previous.to_string());
        }
        self
    }
}

/// The grant a token request carries, which decides what a refused grant means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    /// `authorization_code`: a refused code is the caller's input (`invalid-input`).
    AuthorizationCode,
    /// `refresh_token`: a refused refresh token ends the sign-in (`unauthorized`).
    RefreshToken,
}

/// What an OAuth error code from a token endpoint means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The grant was refused: the code, or the refresh token (revoked, expired, used).
    Grant,
    /// The client's settings were refused: client id, secret, redirect URI or grant type.
    ClientSettings,
    /// The user or the provider did not grant access.
    AccessDenied,
    /// Too many requests.
    SlowDown,
}

/// The codes of RFC 6749 §5.2, `invalid_token` (RFC 6750, which some servers answer for a
/// dead refresh token) and `slow_down` (RFC 8628).
const STANDARD_CODES: &[(&str, Refusal)] = &[
    ("invalid_grant", Refusal::Grant),
    ("invalid_token", Refusal::Grant),
    ("invalid_client", Refusal::ClientSettings),
    ("unauthorized_client", Refusal::ClientSettings),
    ("unsupported_grant_type", Refusal::ClientSettings),
    ("invalid_request", Refusal::ClientSettings),
    ("access_denied", Refusal::AccessDenied),
    ("slow_down", Refusal::SlowDown),
];

/// A provider's token endpoint as its plugin describes it: how messages name the provider
/// and its OAuth client, and the provider's own error codes on top of the standard ones.
#[derive(Debug, Clone, Copy)]
pub struct TokenEndpoint<'a> {
    /// The provider's name in messages, e.g. `GitLab`.
    pub service: &'a str,
    /// What the provider calls an OAuth client, e.g. `OAuth application`.
    pub client: &'a str,
    /// The provider's own error codes (e.g. GitHub's `bad_refresh_token`), looked up before
    /// the standard ones.
    pub codes: &'a [(&'a str, Refusal)],
}

impl TokenEndpoint<'_> {
    /// The tokens of a token endpoint's answer to `grant`, or what its refusal means.
    ///
    /// An OAuth `error` is mapped by its code, whatever the status (GitHub answers errors
    /// with 200); an unknown code is mapped by the status when that is 429 or 5xx, else it
    /// is `other`. A failed response without a code is mapped by its status
    /// ([`error_from_response`]). Messages carry the provider's description, never what
    /// was sent.
    pub fn read_answer(
        &self,
        grant: Grant,
        response: &HttpResponse,
    ) -> Result<Tokens, ProviderError> {
        let answer: Option<TokenAnswer> = serde_json::from_slice(&response.body).ok();
        if let Some((error, description)) = answer.as_ref().and_then(TokenAnswer::error) {
            return Err(self.refusal(grant, &error, &description, response));
        }
        if !response.is_success() {
            return Err(error_from_response(self.service, response));
        }
        let service = self.service;
        answer
            .ok_or_else(|| {
                ProviderError::Other(format!("{service}'s OAuth answer is not the expected JSON"))
            })?
            .into_tokens(service)
    }

    /// The error for OAuth error `error` (with `: description`, or empty) in `response`.
    fn refusal(
        &self,
        grant: Grant,
        error: &str,
        description: &str,
        response: &HttpResponse,
    ) -> ProviderError {
        let service = self.service;
        let refusal = self
            .codes
            .iter()
            .chain(STANDARD_CODES)
            .find(|(code, _)| *code == error)
            .map(|(_, refusal)| *refusal);
        match (refusal, grant) {
            (Some(Refusal::Grant), Grant::AuthorizationCode) => {
                ProviderError::InvalidInput(format!(
                    "{service} refused the authorization code: it is wrong, already used or \
                 expired, or does not match the PKCE verifier ({error}){description}"
                ))
            }
            (Some(Refusal::Grant), Grant::RefreshToken) => ProviderError::Unauthorized(format!(
                "{service} refused the refresh token: it was revoked, has expired or was \
                 already used, so the user must sign in with {service} again \
                 ({error}){description}"
            )),
            (Some(Refusal::ClientSettings), _) => ProviderError::InvalidInput(format!(
                "{service} refused the {client} settings: check the client id, client secret \
                 and redirect URI ({error}){description}",
                client = self.client
            )),
            (Some(Refusal::AccessDenied), _) => ProviderError::forbidden(
                format!("{service} did not grant access ({error}){description}"),
                Vec::new(),
            ),
            (Some(Refusal::SlowDown), _) => ProviderError::RateLimited {
                message: format!("{service} asks to slow down ({error}){description}"),
                retry_after: retry_after_seconds(&response.headers, None),
            },
            (None, _) if response.status == 429 || response.status >= 500 => {
                error_from_response(service, response)
            }
            (None, _) => {
                ProviderError::Other(format!("{service} OAuth error {error}{description}"))
            }
        }
    }
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

    #[test]
    fn client_credentials_go_first_in_the_form() {
        assert_eq!(
            client_secret_post(" id ", "s", refresh_grant("r").unwrap()).unwrap(),
            [
                ("client_id", "id"),
                ("client_secret", "s"),
                ("grant_type", "refresh_token"),
                ("refresh_token", "r")
            ]
        );
        for (id, secret) in [("", "s"), ("id", " ")] {
            assert!(matches!(
                client_secret_post(id, secret, []),
                Err(ProviderError::InvalidInput(_))
            ));
        }
    }

    #[test]
    fn refresh_grant_and_token_request() {
        assert_eq!(
            refresh_grant(" r-1 \n").unwrap(),
            [("grant_type", "refresh_token"), ("refresh_token", "r-1")]
        );
        assert!(matches!(
            refresh_grant("  "),
            Err(ProviderError::InvalidInput(m)) if m == "the OAuth refresh token is required"
        ));
        let request = token_request(
            "https://gitlab.example.com/oauth/token",
            [("client_id", "a b"), ("refresh_token", "r&1")],
        );
        assert_eq!(request.method(), crate::Method::Post);
        assert_eq!(request.url(), "https://gitlab.example.com/oauth/token");
        assert_eq!(request.headers().get("accept"), Some("application/json"));
        assert_eq!(
            request.headers().get("content-type"),
            Some("application/x-www-form-urlencoded")
        );
        assert_eq!(request.body_bytes(), b"client_id=a%20b&refresh_token=r%261");
    }

    #[test]
    fn a_refresh_without_a_new_refresh_token_keeps_the_old_one() {
        let tokens = |refresh_token: Option<&str>| Tokens {
            access_token: "a".into(),
            refresh_token: refresh_token.map(str::to_string),
            expires_at: None,
            scopes: Vec::new(),
        };
        let kept = tokens(None).keeping_refresh_token(" old ");
        assert_eq!(kept.refresh_token.as_deref(), Some("old"));
        let rotated = tokens(Some("new")).keeping_refresh_token("old");
        assert_eq!(rotated.refresh_token.as_deref(), Some("new"));
        assert_eq!(tokens(None).keeping_refresh_token("").refresh_token, None);
    }

    /// A provider whose own code `bad_refresh_token` means a refused grant.
    const ENDPOINT: TokenEndpoint<'static> = TokenEndpoint {
        service: "Forge",
        client: "OAuth app",
        codes: &[("bad_refresh_token", Refusal::Grant)],
    };

    fn read(grant: Grant, status: u16, body: &str) -> Result<Tokens, ProviderError> {
        ENDPOINT.read_answer(grant, &crate::fake_transport::response(status, &[], body))
    }

    #[test]
    fn token_answers_are_read() {
        let tokens = read(
            Grant::RefreshToken,
            200,
            r#"{"access_token":"a2","refresh_token":"r2","expires_in":7200,"scope":"api"}"#,
        )
        .unwrap();
        assert_eq!(tokens.access_token, "a2");
        assert_eq!(tokens.refresh_token.as_deref(), Some("r2"));
        assert!(tokens.expires_at.is_some());
        assert!(matches!(
            read(Grant::RefreshToken, 200, "<html>"),
            Err(ProviderError::Other(m)) if m == "Forge's OAuth answer is not the expected JSON"
        ));
        assert!(matches!(
            read(Grant::RefreshToken, 404, r#"{"message":"Not Found"}"#),
            Err(ProviderError::NotFound(m)) if m.contains("Not Found")
        ));
    }

    #[test]
    fn refusals_are_mapped_by_code_and_grant() {
        let bad_grant = r#"{"error":"invalid_grant","error_description":"expired"}"#;
        assert!(matches!(
            read(Grant::AuthorizationCode, 400, bad_grant),
            Err(ProviderError::InvalidInput(m)) if m.contains("authorization code") && m.ends_with(": expired")
        ));
        assert!(matches!(
            read(Grant::RefreshToken, 400, bad_grant),
            Err(ProviderError::Unauthorized(m))
                if m.contains("refused the refresh token") && m.contains("sign in with Forge again")
        ));
        // A provider's own code, with HTTP 200 as GitHub answers.
        assert!(matches!(
            read(Grant::RefreshToken, 200, r#"{"error":"bad_refresh_token"}"#),
            Err(ProviderError::Unauthorized(_))
        ));
        assert!(matches!(
            read(Grant::RefreshToken, 401, r#"{"error":"invalid_client"}"#),
            Err(ProviderError::InvalidInput(m)) if m.starts_with("Forge refused the OAuth app settings")
        ));
        assert!(matches!(
            read(
                Grant::AuthorizationCode,
                403,
                r#"{"error":"access_denied"}"#
            ),
            Err(ProviderError::Forbidden { .. })
        ));
        let slow = crate::fake_transport::response(
            200,
            &[("Retry-After", "5")],
            r#"{"error":"slow_down"}"#,
        );
        assert!(matches!(
            ENDPOINT.read_answer(Grant::RefreshToken, &slow),
            Err(ProviderError::RateLimited {
                retry_after: Some(5),
                ..
            })
        ));
        // Unknown codes: by the status when it says throttled or down, else `other`.
        assert!(matches!(
            read(Grant::RefreshToken, 502, r#"{"error":"server_error"}"#),
            Err(ProviderError::Unavailable { .. })
        ));
        assert!(matches!(
            read(Grant::RefreshToken, 400, r#"{"error":"odd","error_description":"x"}"#),
            Err(ProviderError::Other(m)) if m == "Forge OAuth error odd: x"
        ));
    }

    #[test]
    fn the_shared_refresh_cases_hold_for_the_shared_mapping() {
        crate::oauth_refresh_cases::assert_refusals(
            "/token",
            crate::oauth_refresh_cases::STANDARD,
            &["client-secret", "r-secret"],
            |transport| {
                let form = client_secret_post("id", "client-secret", refresh_grant("r-secret")?)?;
                let response = crate::Transport::send(
                    transport,
                    token_request("https://forge.example/token", form),
                )?;
                ENDPOINT.read_answer(Grant::RefreshToken, &response)
            },
        );
    }
}
