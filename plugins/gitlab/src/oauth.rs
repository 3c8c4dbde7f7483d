//! OAuth sign-in with a GitLab OAuth application: `oauth-authorize-url` builds
//! `{web}/oauth/authorize?…` (with PKCE S256 when the caller sends a challenge),
//! `oauth-exchange-code` posts the callback's code to `{web}/oauth/token`, and
//! `oauth-refresh-token` posts a refresh token there (`grant_type=refresh_token`).
//!
//! The web base is the client's `web-url` (a self-managed instance's root; its API URL
//! `https://HOST/api/v4` is accepted and mapped), or `https://gitlab.com`. GitLab's OAuth
//! access tokens expire after two hours and come with a refresh token, which GitLab rotates
//! on every refresh.

use git_access_plugin_sdk::api_url;
use git_access_plugin_sdk::oauth::{self, Grant, TokenEndpoint, Tokens};
use git_access_plugin_sdk::{ProviderError, Transport};

use crate::api_client::{bases, DEFAULT_WEB_URL, SERVICE};
use crate::bindings::types::{
    AuthorizeRequest, ExchangeRequest, OauthClient, OauthTokens, RefreshRequest,
};

/// Scopes asked for when the caller names none: the API (projects, hooks), cloning, and
/// who the user is.
pub const DEFAULT_SCOPES: &[&str] = &["api", "read_repository", "read_user"];

/// GitLab's token endpoint (Doorkeeper) answers with the standard OAuth error codes only.
const TOKEN_ENDPOINT: TokenEndpoint<'static> = TokenEndpoint {
    service: SERVICE,
    client: "OAuth application",
    codes: &[],
};

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
    oauth::require("authorization code", &request.code)?;
    let redirect_uri = oauth::redirect_uri(&request.client.redirect_uri)?;
    let mut grant = vec![
        ("code", request.code.trim()),
        ("grant_type", "authorization_code"),
        ("redirect_uri", redirect_uri),
    ];
    oauth::push_verifier(&mut grant, request.code_verifier.as_deref())?;
    request_tokens(transport, &request.client, Grant::AuthorizationCode, grant).map(Into::into)
}

/// Exchanges a refresh token for new tokens. GitLab rotates refresh tokens: the answer's
/// replaces the one sent, which stops working.
pub fn refresh_token(
    transport: &dyn Transport,
    request: &RefreshRequest,
) -> Result<OauthTokens, ProviderError> {
    let mut grant = oauth::refresh_grant(&request.refresh_token)?.to_vec();
    grant.push((
        "redirect_uri",
        oauth::redirect_uri(&request.client.redirect_uri)?,
    ));
    let tokens = request_tokens(transport, &request.client, Grant::RefreshToken, grant)?;
    Ok(tokens.keeping_refresh_token(&request.refresh_token).into())
}

/// Posts a grant to `{web}/oauth/token` with the client's id and secret in the form, and
/// reads the answer.
fn request_tokens<'a>(
    transport: &dyn Transport,
    client: &'a OauthClient,
    grant: Grant,
    grant_form: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<Tokens, ProviderError> {
    let web = web_url(client)?;
    let form = oauth::client_secret_post(&client.client_id, &client.client_secret, grant_form)?;
    let url = api_url::join(&web, "/oauth/token");
    let response = transport.send(oauth::token_request(url, form))?;
    TOKEN_ENDPOINT.read_answer(grant, &response)
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
    use git_access_plugin_sdk::oauth_refresh_cases::{assert_refusals, STANDARD};
    use git_access_plugin_sdk::Method;

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

    fn refresh_request(web_url: &str, refresh_token: &str) -> RefreshRequest {
        RefreshRequest {
            client: client(web_url),
            refresh_token: refresh_token.into(),
        }
    }

    #[test]
    fn refreshes_and_returns_the_rotated_refresh_token() {
        // GitLab's documented answer to a refresh.
        let fake = FakeGitLab::new().on(
            "POST",
            "/oauth/token",
            200,
            &[],
            r#"{"access_token":"c72a9a","token_type":"Bearer","expires_in":7200,"refresh_token":"9c6e3ab","scope":"api read_repository","created_at":1607636061}"#,
        );
        let tokens = refresh_token(
            &fake,
            &refresh_request("https://gitlab.example.com/api/v4", " 8257e650 "),
        )
        .unwrap();
        assert_eq!(tokens.access_token, "c72a9a");
        assert_eq!(tokens.refresh_token.as_deref(), Some("9c6e3ab"));
        assert_eq!(tokens.scopes, ["api", "read_repository"]);
        assert!(tokens.expires_at.is_some());
        let sent = &fake.sent()[0];
        assert_eq!(sent.method(), Method::Post);
        assert_eq!(sent.url(), "https://gitlab.example.com/oauth/token");
        assert_eq!(sent.headers().get("accept"), Some("application/json"));
        assert_eq!(sent.headers().get("authorization"), None);
        assert_eq!(
            String::from_utf8_lossy(sent.body_bytes()),
            "client_id=app-id&client_secret=shh&grant_type=refresh_token\
             &refresh_token=8257e650\
             &redirect_uri=https%3A%2F%2Fga.example.com%2Foauth%2Fgitlab%2Fcallback"
        );
    }

    #[test]
    fn refresh_refusals_and_bad_input() {
        let request = RefreshRequest {
            client: OauthClient {
                client_secret: "gloas-client-secret".into(),
                ..client("")
            },
            refresh_token: "refresh-8257e650".into(),
        };
        assert_refusals(
            "/oauth/token",
            STANDARD,
            &["gloas-client-secret", "refresh-8257e650"],
            |transport| refresh_token(transport, &request),
        );
        let fake = FakeGitLab::new();
        for bad in [
            refresh_request("", " "),
            RefreshRequest {
                client: OauthClient {
                    client_secret: String::new(),
                    ..client("")
                },
                refresh_token: "r".into(),
            },
            RefreshRequest {
                client: OauthClient {
                    redirect_uri: "/callback".into(),
                    ..client("")
                },
                refresh_token: "r".into(),
            },
        ] {
            assert!(matches!(
                refresh_token(&fake, &bad),
                Err(ProviderError::InvalidInput(_))
            ));
        }
        assert!(fake.sent().is_empty());
    }
}
