//! GitLab as an OAuth 2.0 provider, at the web root: `GET /oauth/authorize` (no login
//! page: the application's user consents at once and is redirected back with `code` and
//! `state`), `POST /oauth/token`, and `GET /oauth/token/info`.
//!
//! The token endpoint takes the client credentials as HTTP Basic or `client_id` and
//! `client_secret` parameters (`401 invalid_client` otherwise) and serves two grants:
//!
//! - `grant_type=authorization_code`: `redirect_uri` check, PKCE S256, single-use
//!   10-minute codes;
//! - `grant_type=refresh_token` with `refresh_token` and `redirect_uri` (the registered
//!   one): GitLab rotates, so the refresh token is used up and the access token issued
//!   with it is revoked.
//!
//! Both answer an access token (two hours unless a test sets another lifetime; it works on
//! the API at once) and a refresh token; a bad code or refresh token is
//! `400 invalid_grant`.

use axum::{
    body::Bytes,
    extract::State,
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use base64::Engine;
use chrono::Utc;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::responses::json_response;
use super::routes::{params, token_of, Ctx};
use super::seed::{OAuthAppSeed, TokenKind};
use super::state::{GitLabState, PendingCode, OAUTH_TOKEN_SECONDS};
use crate::deliveries::new_delivery_id;
use crate::query::{self, QueryMap};
use crate::token_endpoint::client_credentials;
use crate::token_endpoint::IssuedTokens;

/// Issues a code for `client_id`, approved by the application's user. `None` for an
/// unknown application or a redirect URI that is not the registered one.
pub(super) fn new_code(
    state: &mut GitLabState,
    client_id: &str,
    scopes: &[String],
    redirect_uri: &str,
    code_challenge: Option<&str>,
) -> Option<String> {
    let app = state.oauth_app(client_id)?.clone();
    if app.redirect_uri != redirect_uri {
        return None;
    }
    let user_id = state.user_by_name(&app.user)?.id;
    let code = new_delivery_id().replace('-', "");
    let now = Utc::now();
    state.add_code(
        code.clone(),
        PendingCode {
            client_id: client_id.to_owned(),
            user_id,
            scopes: scopes.to_vec(),
            redirect_uri: redirect_uri.to_owned(),
            code_challenge: code_challenge.map(str::to_owned),
            expires_at: GitLabState::code_expiry(now),
        },
    );
    Some(code)
}

/// `GET /oauth/authorize`.
pub(super) async fn authorize(State(ctx): State<Ctx>, QueryMap(query): QueryMap) -> Response {
    let client_id = query.get("client_id").cloned().unwrap_or_default();
    let redirect_uri = query.get("redirect_uri").cloned().unwrap_or_default();
    if query.get("response_type").map(String::as_str) != Some("code") {
        return (StatusCode::BAD_REQUEST, "response_type must be code").into_response();
    }
    if query
        .get("code_challenge_method")
        .is_some_and(|m| m != "S256")
    {
        return (
            StatusCode::BAD_REQUEST,
            "code_challenge_method must be S256",
        )
            .into_response();
    }
    let scopes: Vec<String> = query
        .get("scope")
        .map(|s| {
            s.split(' ')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let code = new_code(
        &mut ctx.gitlab.lock(),
        &client_id,
        &scopes,
        &redirect_uri,
        query.get("code_challenge").map(String::as_str),
    );
    let Some(code) = code else {
        return (
            StatusCode::BAD_REQUEST,
            "The client authentication failed or the redirect URI is not registered.",
        )
            .into_response();
    };
    let separator = if redirect_uri.contains('?') { '&' } else { '?' };
    let mut location = format!("{redirect_uri}{separator}code={code}");
    if let Some(state) = query.get("state") {
        location.push_str("&state=");
        location.push_str(&query::encode(state));
    }
    match HeaderValue::from_str(&location) {
        Ok(location) => (StatusCode::FOUND, [(header::LOCATION, location)]).into_response(),
        Err(_) => (StatusCode::BAD_REQUEST, "invalid redirect_uri").into_response(),
    }
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    json_response(
        status,
        json!({"error": error, "error_description": description}),
    )
}

/// `POST /oauth/token`: the `authorization_code` and `refresh_token` grants.
pub(super) async fn token(
    State(ctx): State<Ctx>,
    headers: HeaderMap,
    QueryMap(query): QueryMap,
    body: Bytes,
) -> Response {
    let params = match params(&headers, query, &body) {
        Ok(params) => params,
        Err(response) => return *response,
    };
    let get = |name: &str| params.get(name).map(String::as_str).unwrap_or_default();
    let grant_type = get("grant_type");
    if grant_type != "authorization_code" && grant_type != "refresh_token" {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "The authorization grant type is not supported by the authorization server.",
        );
    }
    let mut state = ctx.gitlab.lock();
    let app = client_credentials(&headers, &params).and_then(|(id, secret)| {
        state
            .oauth_app(&id)
            .filter(|app| app.client_secret == secret)
            .cloned()
    });
    let Some(app) = app else {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.",
        );
    };
    let issued = if grant_type == "refresh_token" {
        refresh_grant(&mut state, &app, get("refresh_token"), get("redirect_uri"))
    } else {
        code_grant(
            &mut state,
            &app,
            get("code"),
            get("redirect_uri"),
            get("code_verifier"),
        )
    };
    let Some(issued) = issued else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.",
        );
    };
    json_response(
        StatusCode::OK,
        json!({
            "access_token": issued.access_token,
            "token_type": "Bearer",
            "expires_in": issued.expires_in,
            "refresh_token": issued.refresh_token,
            "scope": issued.scopes.join(" "),
            "created_at": Utc::now().timestamp(),
        }),
    )
}

/// The tokens for a code `app` may exchange; `None` for an unknown, used or expired code,
/// another application's, another redirect URI or a PKCE verifier that does not match.
fn code_grant(
    state: &mut GitLabState,
    app: &OAuthAppSeed,
    code: &str,
    redirect_uri: &str,
    code_verifier: &str,
) -> Option<IssuedTokens> {
    let pending = state.take_code(code, Utc::now())?;
    if pending.client_id != app.client_id || pending.redirect_uri != redirect_uri {
        return None;
    }
    if let Some(challenge) = &pending.code_challenge {
        let digest = Sha256::digest(code_verifier.as_bytes());
        let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest);
        if &computed != challenge {
            return None;
        }
    }
    Some(state.issue_oauth_tokens(&app.client_id, pending.user_id, pending.scopes))
}

/// New tokens for a refresh token of `app`; GitLab requires the registered redirect URI
/// again. `None` when it is another one, or the refresh token is unknown, used, revoked
/// or another application's.
fn refresh_grant(
    state: &mut GitLabState,
    app: &OAuthAppSeed,
    refresh_token: &str,
    redirect_uri: &str,
) -> Option<IssuedTokens> {
    if redirect_uri != app.redirect_uri {
        return None;
    }
    state.refresh(refresh_token, &app.client_id)
}

/// `GET /oauth/token/info` for the bearer token; GitLab's Doorkeeper answers for OAuth
/// tokens only (others are `401`).
pub(super) async fn token_info(State(ctx): State<Ctx>, headers: HeaderMap) -> Response {
    // Doorkeeper reads the bearer token only, not `PRIVATE-TOKEN`.
    let bearer = headers
        .contains_key(header::AUTHORIZATION)
        .then(|| token_of(&headers))
        .flatten();
    let unauthorized = || {
        oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "The access token is invalid",
        )
    };
    let Some(value) = bearer else {
        return unauthorized();
    };
    let state = ctx.gitlab.lock();
    let Ok((token, user)) = state.authenticate(value, Utc::now()) else {
        return unauthorized();
    };
    if token.kind != TokenKind::Oauth {
        return unauthorized();
    }
    let expires_in = token.oauth_expires_at.map_or(OAUTH_TOKEN_SECONDS, |at| {
        (at - Utc::now()).num_seconds().max(0)
    });
    json_response(
        StatusCode::OK,
        json!({
            "resource_owner_id": user.id,
            "scope": token.scopes,
            "scopes": token.scopes,
            "expires_in": expires_in,
            "expires_in_seconds": expires_in,
            "application": {"uid": null},
            "created_at": token.created_at.timestamp(),
        }),
    )
}
