//! Bitbucket Cloud's OAuth 2.0 web flow, at the web root: `GET /site/oauth2/authorize`
//! (no login page: the consumer's user consents at once and is redirected to the
//! callback with `code` and `state`) and `POST /site/oauth2/access_token`
//! (`grant_type=authorization_code`, consumer key and secret as HTTP Basic credentials or
//! form fields, `redirect_uri` repeated when it was sent, PKCE S256 when a challenge was
//! sent; tokens last two hours, carry the consumer's scopes and work on the API at once).

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
use super::routes::Ctx;
use super::state::{BitbucketState, PendingCode, OAUTH_TOKEN_SECONDS};
use crate::deliveries::new_delivery_id;
use crate::query::{self, QueryMap};

/// Issues a code for consumer `key`; `None` for an unknown consumer or a redirect URI
/// outside its callback URL.
pub(super) fn new_code(
    state: &mut BitbucketState,
    key: &str,
    redirect_uri: Option<&str>,
    code_challenge: Option<&str>,
) -> Option<String> {
    let consumer = state.consumer(key)?;
    if redirect_uri.is_some_and(|uri| !uri.starts_with(&consumer.callback_url)) {
        return None;
    }
    let code = new_delivery_id().replace('-', "");
    state.add_code(
        code.clone(),
        PendingCode {
            key: key.to_owned(),
            redirect_uri: redirect_uri.map(str::to_owned),
            code_challenge: code_challenge.map(str::to_owned),
            expires_at: BitbucketState::code_expiry(Utc::now()),
        },
    );
    Some(code)
}

/// `GET /site/oauth2/authorize`.
pub(super) async fn authorize(State(ctx): State<Ctx>, QueryMap(query): QueryMap) -> Response {
    if query.get("response_type").map(String::as_str) != Some("code") {
        return (StatusCode::BAD_REQUEST, "response_type must be code").into_response();
    }
    let key = query.get("client_id").cloned().unwrap_or_default();
    let redirect_uri = query.get("redirect_uri").cloned();
    let mut state = ctx.bitbucket.lock();
    let Some(callback) = state.consumer(&key).map(|c| c.callback_url.clone()) else {
        return (StatusCode::BAD_REQUEST, "Invalid client_id").into_response();
    };
    let code = new_code(
        &mut state,
        &key,
        redirect_uri.as_deref(),
        query.get("code_challenge").map(String::as_str),
    );
    let Some(code) = code else {
        return (StatusCode::BAD_REQUEST, "redirect_uri does not match").into_response();
    };
    let target = redirect_uri.unwrap_or(callback);
    let separator = if target.contains('?') { '&' } else { '?' };
    let mut location = format!("{target}{separator}code={code}");
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

/// The consumer key and secret: HTTP Basic, else `client_id`/`client_secret` fields.
fn client_credentials(
    headers: &HeaderMap,
    form: &std::collections::BTreeMap<String, String>,
) -> Option<(String, String)> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|pair| {
            pair.split_once(':')
                .map(|(k, s)| (k.to_owned(), s.to_owned()))
        });
    basic.or_else(|| {
        Some((
            form.get("client_id")?.clone(),
            form.get("client_secret")?.clone(),
        ))
    })
}

/// `POST /site/oauth2/access_token`.
pub(super) async fn access_token(
    State(ctx): State<Ctx>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = query::parse(&String::from_utf8_lossy(&body));
    let get = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    let mut state = ctx.bitbucket.lock();
    let consumer = match client_credentials(&headers, &form) {
        Some((key, secret)) => state.consumer(&key).filter(|c| c.secret == secret).cloned(),
        None => None,
    };
    let Some(consumer) = consumer else {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Invalid OAuth client credentials",
        );
    };
    if get("grant_type") != "authorization_code" {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "Unsupported grant type",
        );
    }
    let invalid_grant = || {
        oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "The specified code is not valid.",
        )
    };
    let Some(pending) = state.take_code(get("code"), Utc::now()) else {
        return invalid_grant();
    };
    if pending.key != consumer.key {
        return invalid_grant();
    }
    if let Some(uri) = &pending.redirect_uri {
        if uri != get("redirect_uri") {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "redirect_uri does not match the one of the authorization request",
            );
        }
    }
    if let Some(challenge) = &pending.code_challenge {
        let digest = Sha256::digest(get("code_verifier").as_bytes());
        if &base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest) != challenge {
            return invalid_grant();
        }
    }
    let access_token = format!("bbo-{}", new_delivery_id().replace('-', ""));
    let refresh_token = format!("bbr-{}", new_delivery_id().replace('-', ""));
    let scopes = consumer.scopes.join(" ");
    state.issue_oauth_token(access_token.clone(), consumer.user, consumer.scopes);
    json_response(
        StatusCode::OK,
        json!({
            "access_token": access_token,
            "scopes": scopes,
            "expires_in": OAUTH_TOKEN_SECONDS,
            "refresh_token": refresh_token,
            "token_type": "bearer",
            "state": "authorization_code",
        }),
    )
}
