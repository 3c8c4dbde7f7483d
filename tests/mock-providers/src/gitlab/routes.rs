//! The GitLab API router (under `/api/v4`), the web router (OAuth at the root), and the
//! layer every API call goes through: injected faults, then authentication
//! (`PRIVATE-TOKEN: <t>` or `Authorization: Bearer <t>`), then the handler.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::{
    body::Bytes,
    extract::{Request, State},
    http::{header, HeaderMap, StatusCode},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use chrono::Utc;

use super::responses::{self, insert, insufficient_scope, unauthorized};
use super::state::{AuthFailure, Token, User};
use super::{hooks, oauth, projects, MockGitLab};
use crate::faults::Fault;
use crate::query;
use crate::request_log::AuthenticatedAs;

/// Requests a minute GitLab.com allows an authenticated user (reported on throttling).
const RATE_LIMIT: u32 = 2000;

/// What every handler needs: the state handle and the base URLs for links in bodies.
#[derive(Clone)]
pub(super) struct Ctx {
    pub gitlab: MockGitLab,
    /// API base, e.g. `http://127.0.0.1:PORT/api/v4`.
    pub api: Arc<str>,
    /// Web base (the server root), e.g. `http://127.0.0.1:PORT`.
    pub web: Arc<str>,
}

/// Who is calling: a token and the user it acts as, or nobody.
#[derive(Debug, Clone, Default)]
pub(super) struct Caller {
    pub token: Option<Token>,
    pub user: Option<User>,
}

impl Caller {
    /// The caller's user id, if signed in.
    pub fn user_id(&self) -> Option<u64> {
        self.user.as_ref().map(|u| u.id)
    }

    /// `Err(401)` for anonymous callers.
    pub fn signed_in(&self) -> Result<(&Token, &User), Box<Response>> {
        match (&self.token, &self.user) {
            (Some(token), Some(user)) => Ok((token, user)),
            _ => Err(Box::new(unauthorized(None))),
        }
    }

    /// `Err(403 insufficient_scope)` unless the token has one of `scopes` (anonymous
    /// callers pass: they see public data only).
    pub fn require_scope(&self, scopes: &[&str]) -> Result<(), Box<Response>> {
        match &self.token {
            Some(token) if !token.has_any(scopes) => Err(Box::new(insufficient_scope(scopes))),
            _ => Ok(()),
        }
    }
}

/// Scopes that allow reading through the API.
pub(super) const READ_API: &[&str] = &["api", "read_api"];

/// The routes of the GitLab API, relative to `/api/v4`.
pub(super) fn router(gitlab: MockGitLab, api: &str, web: &str) -> Router {
    let ctx = Ctx {
        gitlab,
        api: api.into(),
        web: web.into(),
    };
    Router::new()
        .route("/personal_access_tokens/self", get(projects::token_self))
        .route("/user", get(projects::current_user))
        .route("/projects", get(projects::list_projects))
        .route("/projects/{id}", get(projects::get_project))
        .route(
            "/projects/{id}/repository/branches",
            get(projects::list_branches),
        )
        .route(
            "/projects/{id}/members/all/{user_id}",
            get(projects::project_member),
        )
        .route(
            "/projects/{id}/hooks",
            get(hooks::list_hooks).post(hooks::create_hook),
        )
        .route(
            "/projects/{id}/hooks/{hook_id}",
            get(hooks::get_hook)
                .put(hooks::update_hook)
                .delete(hooks::delete_hook),
        )
        .route("/groups/{id}", get(projects::get_group))
        .route(
            "/groups/{id}/members/all/{user_id}",
            get(projects::group_member),
        )
        .fallback(|| async { responses::message(StatusCode::NOT_FOUND, "404 Not Found") })
        .layer(middleware::from_fn_with_state(ctx.clone(), api_layer))
        .with_state(ctx)
}

/// The web routes at the server root: OAuth.
pub(super) fn web_router(gitlab: MockGitLab, api: &str, web: &str) -> Router {
    let ctx = Ctx {
        gitlab,
        api: api.into(),
        web: web.into(),
    };
    Router::new()
        .route("/oauth/authorize", get(oauth::authorize))
        .route("/oauth/token", axum::routing::post(oauth::token))
        .route("/oauth/token/info", get(oauth::token_info))
        .with_state(ctx)
}

/// Faults, then authentication, then the handler.
async fn api_layer(State(ctx): State<Ctx>, mut request: Request, next: Next) -> Response {
    let now = Utc::now();
    if let Some(fault) = ctx.gitlab.faults().take() {
        return fault_response(fault, now.timestamp());
    }
    let caller = match token_of(request.headers()) {
        None => Caller::default(),
        Some(value) => match ctx.gitlab.lock().authenticate(value, now) {
            Ok((token, user)) => Caller {
                token: Some(token),
                user: Some(user),
            },
            Err(failure) => {
                tracing::debug!(?failure, "credentials refused");
                return unauthorized(match failure {
                    AuthFailure::Unknown => None,
                    AuthFailure::Expired => Some("Token has expired."),
                    AuthFailure::Revoked => Some("Token has been revoked."),
                });
            }
        },
    };
    let account = caller.user.as_ref().map(|u| u.username.clone());
    request.extensions_mut().insert(caller);
    let mut response = next.run(request).await;
    if let Some(username) = account {
        response.extensions_mut().insert(AuthenticatedAs(username));
    }
    response
}

/// The token of a request: `PRIVATE-TOKEN`, else `Authorization: Bearer`.
pub(super) fn token_of(headers: &HeaderMap) -> Option<&str> {
    if let Some(value) = headers.get("private-token").and_then(|v| v.to_str().ok()) {
        return Some(value.trim());
    }
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

/// GitLab's answer to an injected fault: 429 `Retry later` with `Retry-After` and the
/// `RateLimit-*` headers, or a server error.
fn fault_response(fault: Fault, now: i64) -> Response {
    let throttled = |retry_after: u64| {
        let mut response = (StatusCode::TOO_MANY_REQUESTS, "Retry later\n").into_response();
        let reset = now.saturating_add(i64::try_from(retry_after).unwrap_or(i64::MAX / 2));
        let headers = response.headers_mut();
        insert(headers, "retry-after", &retry_after.to_string());
        insert(headers, "ratelimit-limit", &RATE_LIMIT.to_string());
        insert(headers, "ratelimit-observed", &(RATE_LIMIT + 1).to_string());
        insert(headers, "ratelimit-remaining", "0");
        insert(headers, "ratelimit-reset", &reset.to_string());
        insert(headers, "ratelimit-name", "throttle_authenticated_api");
        response
    };
    match fault {
        Fault::RateLimit { reset_in } => throttled(reset_in),
        Fault::SecondaryRateLimit { retry_after } | Fault::TooManyRequests { retry_after } => {
            throttled(retry_after)
        }
        Fault::ServerError {
            status,
            retry_after,
        } => {
            let status = StatusCode::from_u16(status)
                .ok()
                .filter(StatusCode::is_server_error)
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let text = format!(
                "{} {}",
                status.as_u16(),
                status.canonical_reason().unwrap_or("Error")
            );
            let mut response = responses::message(status, &text);
            if let Some(seconds) = retry_after {
                insert(response.headers_mut(), "retry-after", &seconds.to_string());
            }
            response
        }
    }
}

/// A request's parameters as GitLab reads them: the query string, then a JSON object or
/// form-encoded body (body values win).
pub(super) fn params(
    headers: &HeaderMap,
    query: BTreeMap<String, String>,
    body: &Bytes,
) -> Result<BTreeMap<String, String>, Box<Response>> {
    let mut params = query;
    if body.is_empty() {
        return Ok(params);
    }
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json"));
    if json {
        let value: serde_json::Value = serde_json::from_slice(body).map_err(|_| {
            Box::new(responses::bad_request(
                "400 Bad request - the body is not JSON",
            ))
        })?;
        let object = value.as_object().ok_or_else(|| {
            Box::new(responses::bad_request(
                "400 Bad request - expected an object",
            ))
        })?;
        for (name, value) in object {
            let text = match value {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Null => continue,
                other => other.to_string(),
            };
            params.insert(name.clone(), text);
        }
    } else {
        params.extend(query::parse(&String::from_utf8_lossy(body)));
    }
    Ok(params)
}

/// A boolean parameter (`true`, `1`), or `default` when absent.
pub(super) fn flag(params: &BTreeMap<String, String>, name: &str, default: bool) -> bool {
    match params.get(name).map(|v| v.trim().to_ascii_lowercase()) {
        Some(v) => v == "true" || v == "1",
        None => default,
    }
}
