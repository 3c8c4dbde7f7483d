//! OAuth sign-in with a GitHub OAuth app (or a GitHub App's user authorization):
//! `oauth-authorize-url` builds `{web}/login/oauth/authorize?…`, `oauth-exchange-code`
//! posts the callback's code to `{web}/login/oauth/access_token`, and
//! `oauth-refresh-token` posts a refresh token there (`grant_type=refresh_token`; only
//! GitHub Apps with expiring user tokens issue refresh tokens). GitHub answers refusals
//! with HTTP 200 and an `error` member.
//!
//! The web base is the client's `web-url` (GitHub Enterprise Server: `https://HOST`; an
//! API URL such as `https://HOST/api/v3` is accepted and mapped), or `https://github.com`.

use git_access_plugin_sdk::api_url;
use git_access_plugin_sdk::oauth::{self, Grant, Refusal, TokenEndpoint, Tokens};
use git_access_plugin_sdk::{ProviderError, Transport};

use crate::api_client::{web_base, DEFAULT_WEB_URL, SERVICE};
use crate::bindings::types::{
    AuthorizeRequest, ExchangeRequest, OauthClient, OauthTokens, RefreshRequest,
};

/// GitHub's token endpoint and its own error codes
/// (docs.github.com, "Troubleshooting OAuth app access token request errors" and
/// "Refreshing user access tokens").
const TOKEN_ENDPOINT: TokenEndpoint<'static> = TokenEndpoint {
    service: SERVICE,
    client: "OAuth app",
    codes: &[
        ("bad_verification_code", Refusal::Grant),
        ("bad_refresh_token", Refusal::Grant),
        ("incorrect_client_credentials", Refusal::ClientSettings),
        ("redirect_uri_mismatch", Refusal::ClientSettings),
        ("unverified_user_email", Refusal::AccessDenied),
    ],
};

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
    oauth::require("authorization code", &request.code)?;
    let redirect_uri = oauth::redirect_uri(&request.client.redirect_uri)?;
    let mut grant = vec![
        ("code", request.code.trim()),
        ("redirect_uri", redirect_uri),
    ];
    oauth::push_verifier(&mut grant, request.code_verifier.as_deref())?;
    request_tokens(transport, &request.client, Grant::AuthorizationCode, grant).map(Into::into)
}

/// Exchanges a refresh token (`ghr_…`, issued with a GitHub App's expiring user tokens) for
/// new tokens. GitHub rotates refresh tokens: the answer's replaces the one sent.
pub fn refresh_token(
    transport: &dyn Transport,
    request: &RefreshRequest,
) -> Result<OauthTokens, ProviderError> {
    let grant = oauth::refresh_grant(&request.refresh_token)?;
    let tokens = request_tokens(transport, &request.client, Grant::RefreshToken, grant)?;
    Ok(tokens.keeping_refresh_token(&request.refresh_token).into())
}

/// Posts a grant to `{web}/login/oauth/access_token` with the client's id and secret in the
/// form, and reads the answer.
fn request_tokens<'a>(
    transport: &dyn Transport,
    client: &'a OauthClient,
    grant: Grant,
    grant_form: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<Tokens, ProviderError> {
    let web = web_url(client)?;
    let form = oauth::client_secret_post(&client.client_id, &client.client_secret, grant_form)?;
    let url = api_url::join(&web, "/login/oauth/access_token");
    let response = transport.send(oauth::token_request(url, form))?;
    TOKEN_ENDPOINT.read_answer(grant, &response)
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
    use git_access_plugin_sdk::oauth_refresh_cases::{assert_refusals, Case, Expected, STANDARD};
    use git_access_plugin_sdk::Method;

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

    fn refresh_request(web_url: &str, refresh_token: &str) -> RefreshRequest {
        RefreshRequest {
            client: client(web_url),
            refresh_token: refresh_token.into(),
        }
    }

    #[test]
    fn refreshes_and_returns_the_rotated_refresh_token() {
        // GitHub's documented answer to a refresh of an expiring user token.
        let fake = FakeGitHub::new().on(
            "POST",
            "/login/oauth/access_token",
            200,
            &[],
            r#"{"access_token":"ghu_16C7e42F292c6912E7710c838347Ae178B4a","expires_in":28800,"refresh_token":"ghr_new","refresh_token_expires_in":15811200,"scope":"","token_type":"bearer"}"#,
        );
        let tokens = refresh_token(
            &fake,
            &refresh_request("https://ghe.example.com/api/v3", "ghr_old"),
        )
        .unwrap();
        assert_eq!(
            tokens.access_token,
            "ghu_16C7e42F292c6912E7710c838347Ae178B4a"
        );
        assert_eq!(tokens.refresh_token.as_deref(), Some("ghr_new"));
        assert!(tokens.expires_at.is_some());
        assert!(tokens.scopes.is_empty());
        let sent = &fake.sent()[0];
        assert_eq!(sent.method(), Method::Post);
        assert_eq!(
            sent.url(),
            "https://ghe.example.com/login/oauth/access_token"
        );
        assert_eq!(sent.headers().get("accept"), Some("application/json"));
        assert_eq!(sent.headers().get("authorization"), None);
        assert_eq!(
            sent.body_bytes(),
            b"client_id=Iv1.abc&client_secret=shh&grant_type=refresh_token&refresh_token=ghr_old"
        );
    }

    /// GitHub's refusals: HTTP 200 with an `error` member.
    const GITHUB_REFUSALS: &[Case] = &[
        Case {
            status: 200,
            headers: &[],
            body: r#"{"error":"bad_refresh_token","error_description":"The refresh token passed is incorrect or expired.","error_uri":"https://docs.github.com"}"#,
            expected: Expected::SignInAgain,
        },
        Case {
            status: 200,
            headers: &[],
            body: r#"{"error":"incorrect_client_credentials","error_description":"The client_id and/or client_secret passed are incorrect.","error_uri":"https://docs.github.com"}"#,
            expected: Expected::ClientSettings,
        },
        Case {
            status: 200,
            headers: &[],
            body: r#"{"error":"unauthorized_client","error_description":"The client is not authorized to refresh tokens."}"#,
            expected: Expected::ClientSettings,
        },
    ];

    #[test]
    fn refresh_refusals_and_bad_input() {
        let request = RefreshRequest {
            client: OauthClient {
                client_secret: "gh-client-secret".into(),
                ..client("")
            },
            refresh_token: "ghr_secret".into(),
        };
        for cases in [GITHUB_REFUSALS, STANDARD] {
            assert_refusals(
                "/login/oauth/access_token",
                cases,
                &["gh-client-secret", "ghr_secret"],
                |transport| refresh_token(transport, &request),
            );
        }
        let fake = FakeGitHub::new();
        assert!(matches!(
            refresh_token(&fake, &refresh_request("", "  ")),
            Err(ProviderError::InvalidInput(m)) if m.contains("refresh token")
        ));
        assert!(fake.sent().is_empty());
    }
}
