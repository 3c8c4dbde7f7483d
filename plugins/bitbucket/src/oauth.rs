//! OAuth sign-in with a Bitbucket Cloud OAuth consumer: `oauth-authorize-url` builds
//! `{web}/site/oauth2/authorize?…`; `oauth-exchange-code` posts the callback's code, and
//! `oauth-refresh-token` a refresh token (`grant_type=refresh_token`), to
//! `{web}/site/oauth2/access_token` with the consumer's key and secret as HTTP Basic
//! credentials.
//!
//! The web base is `https://bitbucket.org`, or the client's `web-url` (used to point at a
//! mock). Scopes are configured on the consumer; a `scope` is sent only when the caller
//! names some. A PKCE challenge is passed along when given. Access tokens expire after two
//! hours and come with a refresh token, which Bitbucket does not rotate.

use base64::Engine;
use git_access_plugin_sdk::api_url;
use git_access_plugin_sdk::oauth::{self, Grant, TokenEndpoint, Tokens};
use git_access_plugin_sdk::{ProviderError, Transport};

use crate::api_client::{bases, DEFAULT_WEB_URL, SERVICE};
use crate::bindings::types::{
    AuthorizeRequest, ExchangeRequest, OauthClient, OauthTokens, RefreshRequest,
};

/// Bitbucket's token endpoint answers with the standard OAuth error codes only.
const TOKEN_ENDPOINT: TokenEndpoint<'static> = TokenEndpoint {
    service: SERVICE,
    client: "OAuth consumer",
    codes: &[],
};

/// The URL to send the user to.
pub fn authorize_url(request: &AuthorizeRequest) -> Result<String, ProviderError> {
    let client = &request.client;
    let web = web_url(client)?;
    oauth::require("client id (consumer key)", &client.client_id)?;
    oauth::require("state", &request.state)?;
    let redirect_uri = oauth::redirect_uri(&client.redirect_uri)?;
    let scope = request
        .scopes
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let mut pairs = vec![
        ("client_id", client.client_id.trim()),
        ("response_type", "code"),
        ("redirect_uri", redirect_uri),
        ("state", request.state.as_str()),
    ];
    if !scope.is_empty() {
        pairs.push(("scope", scope.as_str()));
    }
    oauth::push_challenge(&mut pairs, request.code_challenge.as_deref())?;
    Ok(api_url::with_query(
        &api_url::join(&web, "/site/oauth2/authorize"),
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
        ("grant_type", "authorization_code"),
        ("code", request.code.trim()),
        ("redirect_uri", redirect_uri),
    ];
    oauth::push_verifier(&mut grant, request.code_verifier.as_deref())?;
    request_tokens(transport, &request.client, Grant::AuthorizationCode, grant).map(Into::into)
}

/// Exchanges a refresh token for a new access token. Bitbucket keeps the refresh token
/// and answers it again; it is passed back either way.
pub fn refresh_token(
    transport: &dyn Transport,
    request: &RefreshRequest,
) -> Result<OauthTokens, ProviderError> {
    let grant = oauth::refresh_grant(&request.refresh_token)?;
    let tokens = request_tokens(transport, &request.client, Grant::RefreshToken, grant)?;
    Ok(tokens.keeping_refresh_token(&request.refresh_token).into())
}

/// Posts a grant to `{web}/site/oauth2/access_token` with the consumer's key and secret as
/// HTTP Basic credentials, and reads the answer.
fn request_tokens<'a>(
    transport: &dyn Transport,
    client: &OauthClient,
    grant: Grant,
    grant_form: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<Tokens, ProviderError> {
    let web = web_url(client)?;
    oauth::require("client id (consumer key)", &client.client_id)?;
    oauth::require("client secret", &client.client_secret)?;
    let credentials = base64::engine::general_purpose::STANDARD.encode(format!(
        "{}:{}",
        client.client_id.trim(),
        client.client_secret
    ));
    let http = oauth::token_request(api_url::join(&web, "/site/oauth2/access_token"), grant_form)
        .header("Authorization", format!("Basic {credentials}"));
    let response = transport.send(http)?;
    TOKEN_ENDPOINT.read_answer(grant, &response)
}

/// The web base: the client's `web-url` (an API URL is mapped), or bitbucket.org.
fn web_url(client: &OauthClient) -> Result<String, ProviderError> {
    if client.web_url.trim().is_empty() {
        return Ok(DEFAULT_WEB_URL.to_string());
    }
    Ok(bases(&client.web_url)?.1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api_client::fake::FakeBitbucket;
    use git_access_plugin_sdk::oauth_refresh_cases::{assert_refusals, STANDARD};
    use git_access_plugin_sdk::Method;

    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    const VERIFIER: &str = "dBjftJeZ4CVP-mJ92K27uhbUJU1p1r_wW1gFWFOEjXk";

    fn client(web_url: &str) -> OauthClient {
        OauthClient {
            client_id: "consumer-key".into(),
            client_secret: "consumer-secret".into(),
            redirect_uri: "https://ga.example.com/oauth/bitbucket/callback".into(),
            web_url: web_url.into(),
        }
    }

    #[test]
    fn authorize_urls() {
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
                "https://bitbucket.org/site/oauth2/authorize?client_id=consumer-key&response_type=code\
                 &redirect_uri=https%3A%2F%2Fga.example.com%2Foauth%2Fbitbucket%2Fcallback\
                 &state=st%20ate&code_challenge={CHALLENGE}&code_challenge_method=S256"
            )
        );
        let url = authorize_url(&AuthorizeRequest {
            client: client("http://127.0.0.1:9000/2.0"),
            state: "s".into(),
            code_challenge: None,
            scopes: vec!["repository".into(), "webhook".into()],
        })
        .unwrap();
        assert!(
            url.starts_with("http://127.0.0.1:9000/site/oauth2/authorize?"),
            "{url}"
        );
        assert!(
            url.ends_with("&state=s&scope=repository%20webhook"),
            "{url}"
        );
        assert!(matches!(
            authorize_url(&AuthorizeRequest {
                client: client(""),
                state: String::new(),
                code_challenge: None,
                scopes: vec![],
            }),
            Err(ProviderError::InvalidInput(_))
        ));
    }

    #[test]
    fn exchanges_a_code_with_basic_credentials() {
        let fake = FakeBitbucket::new().on(
            "POST",
            "/site/oauth2/access_token",
            200,
            &[],
            r#"{"access_token":"bb-token","scopes":"repository webhook pullrequest:write","expires_in":7200,"refresh_token":"bb-refresh","token_type":"bearer","state":"authorization_code"}"#,
        );
        let tokens = exchange_code(
            &fake,
            &ExchangeRequest {
                client: client(""),
                code: "abc".into(),
                code_verifier: Some(VERIFIER.into()),
            },
        )
        .unwrap();
        assert_eq!(tokens.access_token, "bb-token");
        assert_eq!(tokens.refresh_token.as_deref(), Some("bb-refresh"));
        assert_eq!(
            tokens.scopes,
            ["repository", "webhook", "pullrequest:write"]
        );
        assert!(tokens.expires_at.is_some());
        let sent = &fake.sent()[0];
        assert_eq!(sent.url(), "https://bitbucket.org/site/oauth2/access_token");
        assert_eq!(
            sent.headers().get("authorization"),
            Some("Basic Y29uc3VtZXIta2V5OmNvbnN1bWVyLXNlY3JldA==")
        );
        let body = String::from_utf8_lossy(sent.body_bytes()).into_owned();
        assert!(
            body.starts_with("grant_type=authorization_code&code=abc&"),
            "{body}"
        );
        assert!(
            !body.contains("consumer-secret"),
            "the secret travels in the header"
        );
    }

    #[test]
    fn exchange_errors() {
        let fake = FakeBitbucket::new().on(
            "POST",
            "/site/oauth2/access_token",
            400,
            &[],
            r#"{"error_description": "The specified code is not valid.", "error": "invalid_grant"}"#,
        );
        let request = ExchangeRequest {
            client: client(""),
            code: "old".into(),
            code_verifier: None,
        };
        assert!(matches!(
            exchange_code(&fake, &request),
            Err(ProviderError::InvalidInput(m)) if m.contains("code is not valid")
        ));
        let fake = FakeBitbucket::new().on("POST", "/site/oauth2/access_token", 502, &[], "");
        assert!(matches!(
            exchange_code(&fake, &request),
            Err(ProviderError::Unavailable { .. })
        ));
    }

    fn refresh_request(refresh_token: &str) -> RefreshRequest {
        RefreshRequest {
            client: client(""),
            refresh_token: refresh_token.into(),
        }
    }

    #[test]
    fn refreshes_with_basic_credentials_and_keeps_the_refresh_token() {
        // Bitbucket answers the same refresh token again.
        let fake = FakeBitbucket::new().on(
            "POST",
            "/site/oauth2/access_token",
            200,
            &[],
            r#"{"access_token":"bb-token-2","scopes":"repository webhook","expires_in":7200,"refresh_token":"bb-refresh","token_type":"bearer","state":"refresh_token"}"#,
        );
        let tokens = refresh_token(&fake, &refresh_request("bb-refresh")).unwrap();
        assert_eq!(tokens.access_token, "bb-token-2");
        assert_eq!(tokens.refresh_token.as_deref(), Some("bb-refresh"));
        assert_eq!(tokens.scopes, ["repository", "webhook"]);
        assert!(tokens.expires_at.is_some());
        let sent = &fake.sent()[0];
        assert_eq!(sent.method(), Method::Post);
        assert_eq!(sent.url(), "https://bitbucket.org/site/oauth2/access_token");
        assert_eq!(
            sent.headers().get("authorization"),
            Some("Basic Y29uc3VtZXIta2V5OmNvbnN1bWVyLXNlY3JldA==")
        );
        assert_eq!(sent.headers().get("accept"), Some("application/json"));
        assert_eq!(
            sent.body_bytes(),
            b"grant_type=refresh_token&refresh_token=bb-refresh"
        );
        // An answer without a refresh token leaves the one sent valid, and returns it.
        let fake = FakeBitbucket::new().on(
            "POST",
            "/site/oauth2/access_token",
            200,
            &[],
            r#"{"access_token":"bb-token-3","expires_in":7200}"#,
        );
        let tokens = refresh_token(&fake, &refresh_request("bb-refresh")).unwrap();
        assert_eq!(tokens.refresh_token.as_deref(), Some("bb-refresh"));
    }

    #[test]
    fn refresh_refusals_and_bad_input() {
        let request = refresh_request("bb-refresh-secret");
        assert_refusals(
            "/site/oauth2/access_token",
            STANDARD,
            &[
                "consumer-secret",
                "bb-refresh-secret",
                "Y29uc3VtZXIta2V5OmNvbnN1bWVyLXNlY3JldA",
            ],
            |transport| refresh_token(transport, &request),
        );
        let fake = FakeBitbucket::new();
        assert!(matches!(
            refresh_token(&fake, &refresh_request("")),
            Err(ProviderError::InvalidInput(m)) if m.contains("refresh token")
        ));
        assert!(fake.sent().is_empty());
    }
}
