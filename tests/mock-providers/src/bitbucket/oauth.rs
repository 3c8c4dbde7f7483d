//! Bitbucket Cloud's OAuth 2.0 web flow, at the web root: `GET /site/oauth2/authorize`
//! (no login page: the consumer's user consents at once and is redirected to the
//! callback with `code` and `state`) and `POST /site/oauth2/access_token`.
//!
//! The token endpoint takes the consumer key and secret as HTTP Basic credentials or form
//! fields (`401 invalid_client` otherwise) and serves two grants:
//!
//! - `grant_type=authorization_code`: `redirect_uri` repeated when it was sent, PKCE S256
//!   when a challenge was sent, single-use codes;
//! - `grant_type=refresh_token` with `refresh_token`: Bitbucket does not rotate, so the
//!   same refresh token comes back and keeps working.
//!
//! Both answer an access token (two hours unless a test sets another lifetime; it carries
//! the consumer's scopes and works on the API at once) and the refresh token; a bad code
//! or refresh token is `400 invalid_grant`.

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
use super::seed::OAuthConsumerSeed;
use super::state::{BitbucketState, PendingCode};
use crate::deliveries::new_delivery_id;
use crate::query::{self, QueryMap};
use crate::token_endpoint::client_credentials;
use crate::token_endpoint::IssuedTokens;

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

/// `POST /site/oauth2/access_token`: the `authorization_code` and `refresh_token` grants.
pub(super) async fn access_token(
    State(ctx): State<Ctx>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = query::parse(&String::from_utf8_lossy(&body));
    let get = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    let mut state = ctx.bitbucket.lock();
    let consumer = client_credentials(&headers, &form)
        .and_then(|(key, secret)| state.consumer(&key).filter(|c| c.secret == secret).cloned());
    let Some(consumer) = consumer else {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Invalid OAuth client credentials",
        );
    };
    let grant_type = get("grant_type");
    let issued = match grant_type {
        "authorization_code" => code_grant(&mut state, &consumer, &form),
        "refresh_token" => state
            .refresh(get("refresh_token"), &consumer.key)
            .ok_or(("invalid_grant", "Invalid refresh_token")),
        _ => Err(("unsupported_grant_type", "Unsupported grant type")),
    };
    match issued {
        Ok(issued) => json_response(
            StatusCode::OK,
            json!({
                "access_token": issued.access_token,
                "scopes": issued.scopes.join(" "),
                "expires_in": issued.expires_in,
                "refresh_token": issued.refresh_token,
                "token_type": "bearer",
                "state": grant_type,
            }),
        ),
        Err((error, description)) => oauth_error(StatusCode::BAD_REQUEST, error, description),
    }
}

/// Why a grant is refused (`400`): the OAuth `error` and its description.
type Refusal = (&'static str, &'static str);

/// The tokens for the code in `form`, or Bitbucket's refusal: an unknown, used or
/// expired code or another consumer's is `invalid_grant`, as is a PKCE verifier that does
/// not match; another `redirect_uri` than the authorization request's is
/// `invalid_request`.
fn code_grant(
    state: &mut BitbucketState,
    consumer: &OAuthConsumerSeed,
    form: &std::collections::BTreeMap<String, String>,
) -> Result<IssuedTokens, Refusal> {
    let get = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    let invalid_grant = ("invalid_grant", "The specified code is not valid.");
    let pending = state
        .take_code(get("code"), Utc::now())
        .filter(|pending| pending.key == consumer.key)
        .ok_or(invalid_grant)?;
    if let Some(uri) = &pending.redirect_uri {
        if uri != get("redirect_uri") {
            return Err((
                "invalid_request",
                "redirect_uri does not match the one of the authorization request",
            ));
        }
    }
    if let Some(challenge) = &pending.code_challenge {
        let digest = Sha256::digest(get("code_verifier").as_bytes());
        if &base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest) != challenge {
            return Err(invalid_grant);
        }
    }
    Ok(state.issue_oauth_tokens(&consumer.key, &consumer.user, consumer.scopes.clone()))
}
