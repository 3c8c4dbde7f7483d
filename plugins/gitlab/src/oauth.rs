//! OAuth sign-in with a GitLab OAuth application: `oauth-authorize-url` builds
//! `{web}/oauth/authorize?…` (with PKCE S256 when the caller sends a challenge),
//! `oauth-exchange-code` posts the callback's code to `{web}/oauth/token`.
//!
//! The web base is the client's `web-url` (a self-managed instance's root; its API URL
//! `https://HOST/api/v4` is accepted and mapped), or `https://gitlab.com`. GitLab's OAuth
//! access tokens expire after two hours and come with a refresh token.

use git_access_plugin_sdk::api_url;
use git_access_plugin_sdk::oauth::{self, TokenAnswer};
use git_access_plugin_sdk::{HttpRequest, ProviderError, Transport};

use crate::api_client::{bases, DEFAULT_WEB_URL};
use crate::bindings::types::{AuthorizeRequest, ExchangeRequest, OauthClient, OauthTokens};

/// Scopes asked for when the caller names none: the API (projects, hooks), cloning, and
/// who the user is.
pub const DEFAULT_SCOPES: &[&str] = &["api", "read_repository", "read_user"];

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
        ("response_type", "code"),
        ("scope", scope.as_str()),
        ("state", request.state.as_str()),
    ];
    oauth::push_challenge(&mut pairs, request.code_challenge.as_deref())?;
    Ok(api_url::with_query(
        &api_url::join(&web, "/oauth/authorize"),
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
        ("grant_type", "authorization_code"),
        ("redirect_uri", redirect_uri),
    ];
    oauth::push_verifier(&mut pairs, request.code_verifier.as_deref())?;
    let http = HttpRequest::post(api_url::join(&web, "/oauth/token"))
        .header("Accept", "application/json")
        .header("User-Agent", "git-access")
        .body(
            "application/x-www-form-urlencoded",
            api_url::form_urlencoded(pairs),
        );
    let response = transport.send(http)?;
    let answer: Option<TokenAnswer> = serde_json::from_slice(&response.body).ok();
    if let Some((error, description)) = answer.as_ref().and_then(TokenAnswer::error) {
        return Err(match error.as_str() {
            "invalid_grant" => ProviderError::InvalidInput(format!(
                "GitLab refused the authorization code; it is wrong, used, expired or does not \
                 match the PKCE verifier{description}"
            )),
            "invalid_client" | "unauthorized_client" | "invalid_request" => {
                ProviderError::InvalidInput(format!(
                    "GitLab refused the OAuth application settings ({error}){description}"
                ))
            }
            "access_denied" => ProviderError::forbidden(
                format!("GitLab did not grant access ({error}){description}"),
                Vec::new(),
            ),
            _ if response.status == 429 || response.status >= 500 => {
                git_access_plugin_sdk::error_from_response("GitLab", &response)
            }
            _ => ProviderError::Other(format!("GitLab OAuth error {error}{description}")),
        });
    }
    if !response.is_success() {
        return Err(git_access_plugin_sdk::error_from_response(
            "GitLab", &response,
        ));
    }
    let answer = answer.ok_or_else(|| {
        ProviderError::Other("GitLab's OAuth answer is not the expected JSON".to_string())
    })?;
    let tokens = answer.into_tokens("GitLab")?;
    Ok(OauthTokens {
        access_token: tokens.access_token,
        refresh_token: tokens.refresh_token,
        expires_at: tokens.expires_at,
        scopes: tokens.scopes,
    })
}

/// The web base: the client's `web-url`, or gitlab.com's.
fn web_url(client: &OauthClient) -> Result<String, ProviderError> {
    if client.web_url.trim().is_empty() {
        return Ok(DEFAULT_WEB_URL.to_string());
    }
    Ok(bases(&client.web_url)?.1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api_client::fake::FakeGitLab;

    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

    fn client(web_url: &str) -> OauthClient {
        OauthClient {
            client_id: "app-id".into(),
            client_secret: "shh".into(),
            redirect_uri: "https://ga.example.com/oauth/gitlab/callback".into(),
            web_url: web_url.into(),
        }
    }

    #[test]
    fn authorize_url_for_gitlab_com_with_pkce() {
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
                "https://gitlab.com/oauth/authorize?client_id=app-id\
                 &redirect_uri=https%3A%2F%2Fga.example.com%2Foauth%2Fgitlab%2Fcallback\
                 &response_type=code&scope=api%20read_repository%20read_user&state=st%20ate\
                 &code_challenge={CHALLENGE}&code_challenge_method=S256"
            )
        );
    }

    #[test]
    fn authorize_url_for_self_managed_and_bad_input() {
        for web in [
            "https://gitlab.example.com",
            "https://gitlab.example.com/api/v4/",
        ] {
            let url = authorize_url(&AuthorizeRequest {
                client: client(web),
                state: "s".into(),
                code_challenge: None,
                scopes: vec!["read_user".into()],
            })
            .unwrap();
            assert!(
                url.starts_with("https://gitlab.example.com/oauth/authorize?client_id=app-id&"),
                "{url}"
            );
            assert!(url.ends_with("&scope=read_user&state=s"), "{url}");
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
        let fake = FakeGitLab::new().on(
            "POST",
            "/oauth/token",
            200,
            &[],
            r#"{"access_token":"de6780bc","token_type":"Bearer","expires_in":7200,"refresh_token":"8257e650","scope":"api read_repository","created_at":1607635748}"#,
        );
        let tokens = exchange_code(
            &fake,
            &ExchangeRequest {
                client: client("http://127.0.0.1:9000/api/v4"),
                code: "abc".into(),
                code_verifier: Some(VERIFIER.into()),
            },
        )
        .unwrap();
        assert_eq!(tokens.access_token, "de6780bc");
        assert_eq!(tokens.refresh_token.as_deref(), Some("8257e650"));
        assert_eq!(tokens.scopes, ["api", "read_repository"]);
        assert!(tokens.expires_at.is_some());
        let sent = &fake.sent()[0];
        assert_eq!(sent.url(), "http://127.0.0.1:9000/oauth/token");
        let body = String::from_utf8_lossy(sent.body_bytes()).into_owned();
        for part in [
            "grant_type=authorization_code",
            "code=abc",
            "client_secret=shh",
            &format!("code_verifier={VERIFIER}"),
        ] {
            assert!(body.contains(part), "{body}");
        }
    }

    #[test]
    fn exchange_errors() {
        let fake = FakeGitLab::new().on(
            "POST",
            "/oauth/token",
            400,
            &[],
            r#"{"error":"invalid_grant","error_description":"The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client."}"#,
        );
        let request = ExchangeRequest {
            client: client(""),
            code: "old".into(),
            code_verifier: None,
        };
        assert!(matches!(
            exchange_code(&fake, &request),
            Err(ProviderError::InvalidInput(m)) if m.contains("grant is invalid")
        ));
        let fake = FakeGitLab::new().on("POST", "/oauth/token", 503, &[("Retry-After", "9")], "");
        assert!(matches!(
            exchange_code(&fake, &request),
            Err(ProviderError::Unavailable {
                retry_after: Some(9),
                ..
            })
        ));
    }
}
