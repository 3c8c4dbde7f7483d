//! OAuth sign-in with a GitHub OAuth app (or a GitHub App's user authorization):
//! `oauth-authorize-url` builds `{web}/login/oauth/authorize?…`, `oauth-exchange-code`
//! posts the callback's code to `{web}/login/oauth/access_token`.
//!
//! The web base is the client's `web-url` (GitHub Enterprise Server: `https://HOST`; an
//! API URL such as `https://HOST/api/v3` is accepted and mapped), or `https://github.com`.

use git_access_plugin_sdk::api_url;
use git_access_plugin_sdk::oauth::{self, TokenAnswer};
use git_access_plugin_sdk::{HttpRequest, ProviderError, Transport};

use crate::api_client::{web_base, DEFAULT_WEB_URL, SERVICE};
use crate::bindings::types::{AuthorizeRequest, ExchangeRequest, OauthClient, OauthTokens};

/// Scopes asked for when the caller names none: repositories (incl. private) and their
/// webhooks, and who the user is.
pub const DEFAULT_SCOPES: &[&str] = &["repo", "admin:repo_hook", "read:user", "user:email"];

/// The URL to send the user to.
pub fn authorize_url(request: &AuthorizeRequest) -> Result<String, ProviderError> {
    let client = &request.client;
    let web = web_url(client)?;
    oauth::require("client id", &client.client_id)?;
    oauth::require("state", &request.state)?;
    let redirect_uri = oauth::redirect_uri(&client.redirect_uri)?;
    let scopes = oauth::scopes_or(&request.scopes, DEFAULT_SCOPES);
    let scope = scopes.join(" ");
    let mut pairs = vec![
        ("client_id", client.client_id.trim()),
        ("redirect_uri", redirect_uri),
        ("scope", scope.as_str()),
        ("state", request.state.as_str()),
    ];
    oauth::push_challenge(&mut pairs, request.code_challenge.as_deref())?;
    Ok(api_url::with_query(
        &api_url::join(&web, "/login/oauth/authorize"),
        pairs,
    ))
}

/// Exchanges the callback's code for tokens.
pub fn exchange_code(
    transport: &dyn Transport,
    request: &ExchangeRequest,
) -> Result<OauthTokens, ProviderError> {
    let client = &request.client;
    let web = web_url(client)?;
    oauth::require("client id", &client.client_id)?;
    oauth::require("client secret", &client.client_secret)?;
    oauth::require("authorization code", &request.code)?;
    let redirect_uri = oauth::redirect_uri(&client.redirect_uri)?;
    let mut pairs = vec![
        ("client_id", client.client_id.trim()),
        ("client_secret", client.client_secret.as_str()),
        ("code", request.code.trim()),
        ("redirect_uri", redirect_uri),
    ];
    oauth::push_verifier(&mut pairs, request.code_verifier.as_deref())?;
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
    if let Some((error, description)) = answer.error() {
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
    let tokens = answer.into_tokens(SERVICE)?;
    Ok(OauthTokens {
        access_token: tokens.access_token,
        refresh_token: tokens.refresh_token,
        expires_at: tokens.expires_at,
        scopes: tokens.scopes,
    })
}

/// The web base: the client's `web-url`, or github.com's.
fn web_url(client: &OauthClient) -> Result<String, ProviderError> {
    if client.web_url.trim().is_empty() {
        return Ok(DEFAULT_WEB_URL.to_string());
    }
    web_base(&api_url::resolve_base(&client.web_url, DEFAULT_WEB_URL)?)
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
