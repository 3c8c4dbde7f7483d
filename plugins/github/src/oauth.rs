//! OAuth sign-in with a GitHub OAuth app (or a GitHub App's user authorization):
//! `oauth-authorize-url` builds `{web}/login/oauth/authorize?…`, `oauth-exchange-code`
//! posts the callback's code to `{web}/login/oauth/access_token`.
//!
//! The web base is the client's `web-url` (GitHub Enterprise Server: `https://HOST`; an
//! API URL such as `https://HOST/api/v3` is accepted and mapped), or `https://github.com`.

use git_access_plugin_sdk::api_url::{self, HttpUrl};
use git_access_plugin_sdk::{timestamp, HttpRequest, ProviderError, Transport};
use serde::Deserialize;

use crate::api_client::{web_base, DEFAULT_WEB_URL, SERVICE};
use crate::bindings::types::{AuthorizeRequest, ExchangeRequest, OauthClient, OauthTokens};

/// Scopes asked for when the caller names none: repositories (incl. private) and their
/// webhooks, and who the user is.
pub const DEFAULT_SCOPES: &[&str] = &["repo", "admin:repo_hook", "read:user", "user:email"];

/// The URL to send the user to.
pub fn authorize_url(request: &AuthorizeRequest) -> Result<String, ProviderError> {
    let client = &request.client;
    let web = web_url(client)?;
    require("client id", &client.client_id)?;
    require("state", &request.state)?;
    let redirect_uri = redirect_uri(client)?;
    let scopes: Vec<&str> = if request.scopes.is_empty() {
        DEFAULT_SCOPES.to_vec()
    } else {
        request
            .scopes
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .collect()
    };
    let scope = scopes.join(" ");
    let mut pairs = vec![
        ("client_id", client.client_id.trim()),
        ("redirect_uri", redirect_uri),
        ("scope", scope.as_str()),
        ("state", request.state.as_str()),
    ];
    if let Some(challenge) = request.code_challenge.as_deref() {
        if !is_pkce_value(challenge) {
            return Err(ProviderError::InvalidInput(
                "the PKCE code challenge must be the base64url S256 digest of the verifier (43 characters)"
                    .to_string(),
            ));
        }
        pairs.push(("code_challenge", challenge));
        pairs.push(("code_challenge_method", "S256"));
    }
    Ok(api_url::with_query(
        &api_url::join(&web, "/login/oauth/authorize"),
        pairs,
    ))
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: Option<String>,
    refresh_token: Option<String>,
    expires_in: Option<i64>,
    scope: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// Exchanges the callback's code for tokens.
pub fn exchange_code(
    transport: &dyn Transport,
    request: &ExchangeRequest,
) -> Result<OauthTokens, ProviderError> {
    let client = &request.client;
    let web = web_url(client)?;
    require("client id", &client.client_id)?;
    require("client secret", &client.client_secret)?;
    require("authorization code", &request.code)?;
    let redirect_uri = redirect_uri(client)?;
    let mut pairs = vec![
        ("client_id", client.client_id.trim()),
        ("client_secret", client.client_secret.as_str()),
        ("code", request.code.trim()),
        ("redirect_uri", redirect_uri),
    ];
    if let Some(verifier) = request.code_verifier.as_deref() {
        if !is_pkce_value(verifier) {
            return Err(ProviderError::InvalidInput(
                "the PKCE code verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~"
                    .to_string(),
            ));
        }
        pairs.push(("code_verifier", verifier));
    }
    let http = HttpRequest::post(api_url::join(&web, "/login/oauth/access_token"))
        .header("Accept", "application/json")
        .header("User-Agent", "git-access")
        .body(
            "application/x-www-form-urlencoded",
            api_url::form_urlencoded(pairs),
        );
    let response = transport.send(http)?;
    if !response.is_success() {
        return Err(git_access_plugin_sdk::error_from_response(
            SERVICE, &response,
        ));
    }
    // GitHub reports a failed exchange with 200 and an `error` member.
    let answer: TokenAnswer = response.json()?;
    if let Some(error) = answer.error {
        let description = answer
            .error_description
            .map(|d| format!(": {d}"))
            .unwrap_or_default();
        return Err(match error.as_str() {
            "bad_verification_code" => ProviderError::InvalidInput(format!(
                "GitHub refused the authorization code; it is wrong, used or expired{description}"
            )),
            "incorrect_client_credentials" | "redirect_uri_mismatch" | "unsupported_grant_type" => {
                ProviderError::InvalidInput(format!(
                    "GitHub refused the OAuth app settings ({error}){description}"
                ))
            }
            "access_denied" | "unverified_user_email" => ProviderError::forbidden(
                format!("GitHub did not grant access ({error}){description}"),
                Vec::new(),
            ),
            "slow_down" => ProviderError::RateLimited {
                message: format!("GitHub asks to slow down{description}"),
                retry_after: None,
            },
            _ => ProviderError::Other(format!("GitHub OAuth error {error}{description}")),
        });
    }
    let access_token = answer
        .access_token
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            ProviderError::Other("GitHub's OAuth answer has no access token".to_string())
        })?;
    let expires_at = answer.expires_in.filter(|s| *s > 0).and_then(|seconds| {
        Some(timestamp::format_unix_seconds(
            timestamp::now_unix()? + seconds,
        ))
    });
    Ok(OauthTokens {
        access_token,
        refresh_token: answer.refresh_token.filter(|t| !t.is_empty()),
        expires_at,
        // GitHub separates granted scopes with commas.
        scopes: answer
            .scope
            .unwrap_or_default()
            .split([',', ' '])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
    })
}

/// The web base: the client's `web-url`, or github.com's.
fn web_url(client: &OauthClient) -> Result<String, ProviderError> {
    if client.web_url.trim().is_empty() {
        return Ok(DEFAULT_WEB_URL.to_string());
    }
    web_base(&api_url::resolve_base(&client.web_url, DEFAULT_WEB_URL)?)
}

fn redirect_uri(client: &OauthClient) -> Result<&str, ProviderError> {
    let uri = client.redirect_uri.trim();
    HttpUrl::parse(uri).map_err(|_| {
        ProviderError::InvalidInput(format!(
            "the OAuth redirect URI `{uri}` must be an absolute http(s) URL"
        ))
    })?;
    Ok(uri)
}

fn require(what: &str, value: &str) -> Result<(), ProviderError> {
    if value.trim().is_empty() {
        Err(ProviderError::InvalidInput(format!(
            "the OAuth {what} is required"
        )))
    } else {
        Ok(())
    }
}

/// RFC 7636 verifier / S256 challenge alphabet and length.
fn is_pkce_value(value: &str) -> bool {
    (43..=128).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api_client::fake::FakeGitHub;

    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

    fn client(web_url: &str) -> OauthClient {
        OauthClient {
            client_id: "Iv1.abc".into(),
            client_secret: "shh".into(),
            redirect_uri: "https://ga.example.com/oauth/github/callback".into(),
            web_url: web_url.into(),
        }
    }

    #[test]
    fn authorize_url_for_github_com_with_pkce() {
        let url = authorize_url(&AuthorizeRequest {
            client: client(""),
            state: "st ate".into(),
            code_challenge: Some(CHALLENGE.into()),
            scopes: vec![],
        })
        .unwrap();
        assert_eq!(
            url,
            format!(
                "https://github.com/login/oauth/authorize?client_id=Iv1.abc\
                 &redirect_uri=https%3A%2F%2Fga.example.com%2Foauth%2Fgithub%2Fcallback\
                 &scope=repo%20admin%3Arepo_hook%20read%3Auser%20user%3Aemail&state=st%20ate\
                 &code_challenge={CHALLENGE}&code_challenge_method=S256"
            )
        );
    }

    #[test]
    fn authorize_url_for_enterprise_and_bad_input() {
        for web in ["https://ghe.example.com", "https://ghe.example.com/api/v3/"] {
            let url = authorize_url(&AuthorizeRequest {
                client: client(web),
                state: "s".into(),
                code_challenge: None,
                scopes: vec!["repo".into()],
            })
            .unwrap();
            assert!(
                url.starts_with("https://ghe.example.com/login/oauth/authorize?client_id=Iv1.abc&"),
                "{url}"
            );
            assert!(url.ends_with("&scope=repo&state=s"), "{url}");
        }
        let mut bad = AuthorizeRequest {
            client: client(""),
            state: String::new(),
            code_challenge: None,
            scopes: vec![],
        };
        assert!(matches!(
            authorize_url(&bad),
            Err(ProviderError::InvalidInput(_))
        ));
        bad.state = "s".into();
        bad.code_challenge = Some("short".into());
        assert!(matches!(
            authorize_url(&bad),
            Err(ProviderError::InvalidInput(_))
        ));
    }

    #[test]
    fn exchanges_a_code() {
        let fake = FakeGitHub::new().on(
            "POST",
            "/login/oauth/access_token",
            200,
            &[],
            r#"{"access_token":"gho_new","token_type":"bearer","scope":"repo,admin:repo_hook"}"#,
        );
        let tokens = exchange_code(
            &fake,
            &ExchangeRequest {
                client: client("http://127.0.0.1:9000"),
                code: "abc".into(),
                code_verifier: Some(VERIFIER.into()),
            },
        )
        .unwrap();
        assert_eq!(tokens.access_token, "gho_new");
        assert_eq!(tokens.scopes, ["repo", "admin:repo_hook"]);
        assert_eq!(tokens.refresh_token, None);
        let sent = &fake.sent()[0];
        assert_eq!(sent.url(), "http://127.0.0.1:9000/login/oauth/access_token");
        assert_eq!(sent.headers().get("accept"), Some("application/json"));
        let body = String::from_utf8_lossy(sent.body_bytes()).into_owned();
        assert!(body.contains("code=abc"), "{body}");
        assert!(
            body.contains(&format!("code_verifier={VERIFIER}")),
            "{body}"
        );
        assert!(body.contains("client_secret=shh"), "{body}");
    }

    #[test]
    fn exchange_errors_and_expiring_tokens() {
        let fake = FakeGitHub::new().on(
            "POST",
            "/login/oauth/access_token",
            200,
            &[],
            r#"{"error":"bad_verification_code","error_description":"The code passed is incorrect or expired."}"#,
        );
        let request = ExchangeRequest {
            client: client(""),
            code: "old".into(),
            code_verifier: None,
        };
        assert!(matches!(
            exchange_code(&fake, &request),
            Err(ProviderError::InvalidInput(m)) if m.contains("incorrect or expired")
        ));
        let fake = FakeGitHub::new().on(
            "POST",
            "/login/oauth/access_token",
            200,
            &[],
            r#"{"access_token":"ghu_x","expires_in":28800,"refresh_token":"ghr_y","refresh_token_expires_in":15811200,"scope":""}"#,
        );
        let tokens = exchange_code(&fake, &request).unwrap();
        assert_eq!(tokens.refresh_token.as_deref(), Some("ghr_y"));
        assert!(tokens.expires_at.is_some());
        assert!(tokens.scopes.is_empty());
    }
}
