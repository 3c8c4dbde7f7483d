//! OAuth web flow, at the web root (`https://github.com` or the Enterprise host):
//! `GET /login/oauth/authorize` (the mock has no login page: the app's approving user
//! consents at once and is redirected back with `code` and `state`) and
//! `POST /login/oauth/access_token` (form or JSON body; JSON answer with
//! `Accept: application/json`, form-encoded otherwise; errors are `200` with an `error`
//! member, as GitHub does). A GitHub App's client id and secret work here too: its codes
//! (from this flow or from installing it) give app user tokens (`ghu_`).
//!
//! The token endpoint checks `client_id` and `client_secret`
//! (`incorrect_client_credentials`), then serves:
//!
//! - a `code` (single use, 10 minutes, `redirect_uri` check, PKCE S256;
//!   `bad_verification_code`, `redirect_uri_mismatch`);
//! - `grant_type=refresh_token` with `refresh_token`, for clients with expiring user
//!   tokens: new tokens, rotating (the used refresh token and its access token stop
//!   working); `bad_refresh_token` otherwise.
//!
//! With expiring user tokens the answer adds `expires_in` (eight hours unless a test sets
//! another lifetime), a `ghr_` `refresh_token` and `refresh_token_expires_in` (six months).

use std::collections::BTreeMap;

use axum::{
    body::Bytes,
    extract::State,
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use base64::Engine;
use chrono::Utc;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::routes::Ctx;
use super::state::{GitHubState, PendingCode, UserTokens};
use crate::deliveries::new_delivery_id;
use crate::query;
use crate::query::QueryMap;

/// `GET /login/oauth/authorize`.
pub(super) async fn authorize(State(ctx): State<Ctx>, QueryMap(query): QueryMap) -> Response {
    let client_id = query.get("client_id").cloned().unwrap_or_default();
    let Some(redirect_uri) = query.get("redirect_uri").cloned() else {
        return (StatusCode::BAD_REQUEST, "redirect_uri is required").into_response();
    };
    if let Some(method) = query.get("code_challenge_method") {
        if method != "S256" {
            return (
                StatusCode::BAD_REQUEST,
                "code_challenge_method must be S256",
            )
                .into_response();
        }
    }
    let scopes: Vec<String> = query
        .get("scope")
        .map(|s| {
            s.split([' ', ','])
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let code = ctx.github.issue_code(
        &client_id,
        None,
        &scopes,
        Some(&redirect_uri),
        query.get("code_challenge").map(String::as_str),
    );
    let Some(code) = code else {
        return (StatusCode::NOT_FOUND, "unknown OAuth application").into_response();
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

/// `POST /login/oauth/access_token`.
pub(super) async fn access_token(
    State(ctx): State<Ctx>,
    headers: HeaderMap,
    QueryMap(query): QueryMap,
    body: Bytes,
) -> Response {
    let wants_json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    let is_json_body = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    // Parameters may come in the query, a form body or a JSON body.
    let mut params = query;
    if is_json_body {
        if let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(&body) {
            for (k, v) in map {
                if let Some(s) = v.as_str() {
                    params.insert(k, s.to_owned());
                }
            }
        }
    } else {
        for pair in String::from_utf8_lossy(&body).split('&') {
            if let Some((k, v)) = pair.split_once('=') {
                params.insert(query::decode(k), query::decode(v));
            }
        }
    }
    let answer = exchange(&ctx, &params);
    let fields = match answer {
        Ok(fields) | Err(fields) => fields,
    };
    if wants_json {
        let object: serde_json::Map<String, Value> = fields.into_iter().collect();
        (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
            Value::Object(object).to_string(),
        )
            .into_response()
    } else {
        let body: Vec<String> = fields
            .iter()
            .map(|(k, v)| {
                let text = match v {
                    Value::String(text) => text.clone(),
                    other => other.to_string(),
                };
                format!("{}={}", query::encode(k), query::encode(&text))
            })
            .collect();
        (
            StatusCode::OK,
            [(
                header::CONTENT_TYPE,
                "application/x-www-form-urlencoded; charset=utf-8",
            )],
            body.join("&"),
        )
            .into_response()
    }
}

/// Name-value pairs of an answer, in order (numbers stay numbers in a JSON answer).
type Fields = Vec<(String, Value)>;

/// The answer's fields: the tokens, or GitHub's `error`, `error_description`, `error_uri`.
fn exchange(ctx: &Ctx, params: &BTreeMap<String, String>) -> Result<Fields, Fields> {
    let param = |name: &str| params.get(name).map(String::as_str).unwrap_or_default();
    let failure = |error: &str, description: &str| {
        vec![
            ("error".to_owned(), json!(error)),
            ("error_description".to_owned(), json!(description)),
            (
                "error_uri".to_owned(),
                json!("https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors"),
            ),
        ]
    };
    let now = Utc::now();
    let mut state = ctx.github.lock();
    let client = state
        .oauth_client(param("client_id"))
        .filter(|client| client.client_secret == param("client_secret"));
    let Some(client) = client else {
        return Err(failure(
            "incorrect_client_credentials",
            "The client_id and/or client_secret passed are incorrect.",
        ));
    };
    if param("grant_type") == "refresh_token" {
        return state
            .refresh_user_tokens(param("refresh_token"), &client, now)
            .map(answer)
            .ok_or_else(|| {
                failure(
                    "bad_refresh_token",
                    "The refresh token passed is incorrect or expired.",
                )
            });
    }
    let Some(pending) = state.take_code(param("code"), now) else {
        return Err(failure(
            "bad_verification_code",
            "The code passed is incorrect or expired.",
        ));
    };
    if pending.client_id != param("client_id") {
        return Err(failure(
            "bad_verification_code",
            "The code passed is incorrect or expired.",
        ));
    }
    if let (Some(expected), Some(given)) = (&pending.redirect_uri, params.get("redirect_uri")) {
        if expected != given {
            return Err(failure(
                "redirect_uri_mismatch",
                "The redirect_uri MUST match the registered callback URL for this application.",
            ));
        }
    }
    if let Some(challenge) = &pending.code_challenge {
        let verifier = param("code_verifier");
        if verifier.is_empty() || &s256(verifier) != challenge {
            return Err(failure(
                "bad_verification_code",
                "The code_verifier does not match the code_challenge.",
            ));
        }
    }
    // A GitHub App's user token has the app's permissions, not scopes.
    state
        .issue_user_tokens(&client, &pending.login, pending.scopes, now)
        .map(answer)
        .ok_or_else(|| failure("server_error", "The token could not be issued."))
}

/// The fields of issued tokens, in GitHub's order.
fn answer(tokens: UserTokens) -> Fields {
    let mut fields = vec![("access_token".to_owned(), json!(tokens.access_token))];
    if let Some(refresh) = tokens.refresh {
        fields.extend([
            ("expires_in".to_owned(), json!(refresh.expires_in)),
            ("refresh_token".to_owned(), json!(refresh.refresh_token)),
            (
                "refresh_token_expires_in".to_owned(),
                json!(refresh.refresh_token_expires_in),
            ),
        ]);
    }
    fields.extend([
        ("scope".to_owned(), json!(tokens.scope)),
        ("token_type".to_owned(), json!("bearer")),
    ]);
    fields
}

/// The PKCE S256 challenge of a verifier: base64url (no padding) of its SHA-256.
fn s256(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// A pending code for `client_id` (an OAuth app or a GitHub App), approved by `login`
/// (the app's approving user, or the first seeded user); `None` for an unknown app or user.
pub(super) fn new_code(
    state: &mut GitHubState,
    client_id: &str,
    login: Option<&str>,
    scopes: &[String],
    redirect_uri: Option<&str>,
    code_challenge: Option<&str>,
) -> Option<String> {
    let client = state.oauth_client(client_id)?;
    let login = match login.or(client.approving_user.as_deref()) {
        Some(login) => state.user(login)?.login.clone(),
        None => state.first_user()?.login.clone(),
    };
    let code = new_delivery_id().replace('-', "")[..20].to_owned();
    state.add_code(
        code.clone(),
        PendingCode {
            client_id: client_id.to_owned(),
            login,
            scopes: scopes.to_vec(),
            redirect_uri: redirect_uri.map(str::to_owned),
            code_challenge: code_challenge.map(str::to_owned),
            expires_at: GitHubState::code_expiry(Utc::now()),
        },
    );
    Some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_matches_rfc_7636() {
        assert_eq!(
            s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }
}
