//! The Bitbucket API router (under `/2.0`), the web router (OAuth at the root), and the
//! layer every API call goes through: injected faults, authentication
//! (`Authorization: Bearer <t>`), and the headers Bitbucket adds about the credential
//! (`X-OAuth-Scopes`, `X-Accepted-OAuth-Scopes`, `X-Credential-Type`).

use std::sync::Arc;

use axum::{
    extract::{Request, State},
    http::{header, HeaderMap, StatusCode},
    middleware::{self, Next},
    response::Response,
    routing::{get, post},
    Router,
};
use chrono::Utc;

use super::responses::{self, insert, missing_scope, unauthorized, Accepted};
use super::state::Token;
use super::{hooks, oauth, repos, MockBitbucket};
use crate::faults::Fault;
use crate::request_log::AuthenticatedAs;

/// What every handler needs: the state handle and the base URLs for links in bodies.
#[derive(Clone)]
pub(super) struct Ctx {
    pub bitbucket: MockBitbucket,
    /// API base, e.g. `http://127.0.0.1:PORT/2.0`.
    pub api: Arc<str>,
    /// Web base (the server root).
    pub web: Arc<str>,
}

/// Who is calling: a token, or nobody.
#[derive(Debug, Clone, Default)]
pub(super) struct Caller {
    pub token: Option<Token>,
}

impl Caller {
    /// `Err(403)` naming the scope unless the token grants `scope` (anonymous callers
    /// pass: they see public data only).
    pub fn require(&self, scope: &str) -> Result<(), Box<Response>> {
        match &self.token {
            Some(token) if !token.grants(scope) => {
                Err(Box::new(missing_scope(&token.scopes, scope)))
            }
            _ => Ok(()),
        }
    }
}

/// The routes of the Bitbucket API, relative to `/2.0`.
pub(super) fn router(bitbucket: MockBitbucket, api: &str, web: &str) -> Router {
    let ctx = Ctx {
        bitbucket,
        api: api.into(),
        web: web.into(),
    };
    Router::new()
        .route("/user", get(repos::current_user))
        .route("/workspaces/{workspace}", get(repos::get_workspace))
        .route("/repositories", get(repos::list_member_repositories))
        .route("/repositories/{workspace}", get(repos::list_repositories))
        .route(
            "/repositories/{workspace}/{slug}",
            get(repos::get_repository),
        )
        .route(
            "/repositories/{workspace}/{slug}/refs/branches",
            get(repos::list_branches),
        )
        .route(
            "/repositories/{workspace}/{slug}/pullrequests",
            get(repos::list_pull_requests),
        )
        .route(
            "/repositories/{workspace}/{slug}/hooks",
            get(hooks::list_hooks).post(hooks::create_hook),
        )
        .route(
            "/repositories/{workspace}/{slug}/hooks/{uid}",
            get(hooks::get_hook)
                .put(hooks::update_hook)
                .delete(hooks::delete_hook),
        )
        .fallback(|| async { responses::error(StatusCode::NOT_FOUND, "Resource not found") })
        .layer(middleware::from_fn_with_state(ctx.clone(), api_layer))
        .with_state(ctx)
}

/// The web routes at the server root: OAuth.
pub(super) fn web_router(bitbucket: MockBitbucket, api: &str, web: &str) -> Router {
    let ctx = Ctx {
        bitbucket,
        api: api.into(),
        web: web.into(),
    };
    Router::new()
        .route("/site/oauth2/authorize", get(oauth::authorize))
        .route("/site/oauth2/access_token", post(oauth::access_token))
        .with_state(ctx)
}

/// Faults, then authentication, then the handler, then the credential headers.
async fn api_layer(State(ctx): State<Ctx>, mut request: Request, next: Next) -> Response {
    let now = Utc::now();
    if let Some(fault) = ctx.bitbucket.faults().take() {
        return fault_response(fault);
    }
    let caller = match bearer(request.headers()) {
        Bearer::Missing => Caller::default(),
        Bearer::Malformed => return unauthorized(),
        Bearer::Token(value) => match ctx.bitbucket.lock().authenticate(value, now) {
            Ok(token) => Caller { token: Some(token) },
            Err(failure) => {
                tracing::debug!(?failure, "credentials refused");
                return unauthorized();
            }
        },
    };
    let token = caller.token.clone();
    request.extensions_mut().insert(caller);
    let mut response = next.run(request).await;
    let accepted = response.extensions().get::<Accepted>().copied();
    if let Some(token) = token {
        let headers = response.headers_mut();
        insert(headers, "x-oauth-scopes", &token.scopes.join(", "));
        insert(headers, "x-credential-type", token.kind.credential_type());
        if let Some(Accepted(scope)) = accepted {
            insert(headers, "x-accepted-oauth-scopes", scope);
        }
        let account = token.user.clone().or_else(|| {
            token
                .workspace
                .as_ref()
                .map(|w| format!("{w} access token"))
        });
        if let Some(account) = account {
            response.extensions_mut().insert(AuthenticatedAs(account));
        }
    }
    response
}

enum Bearer<'a> {
    Missing,
    Malformed,
    Token(&'a str),
}

fn bearer(headers: &HeaderMap) -> Bearer<'_> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Bearer::Missing;
    };
    match value.to_str().ok().and_then(|v| v.trim().split_once(' ')) {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() => {
            Bearer::Token(token.trim())
        }
        _ => Bearer::Malformed,
    }
}

/// Bitbucket's answer to an injected fault: `429` (with `Retry-After`) or a server error.
fn fault_response(fault: Fault) -> Response {
    let (status, retry_after) = match fault {
        Fault::RateLimit { reset_in } => (StatusCode::TOO_MANY_REQUESTS, Some(reset_in)),
        Fault::SecondaryRateLimit { retry_after } | Fault::TooManyRequests { retry_after } => {
            (StatusCode::TOO_MANY_REQUESTS, Some(retry_after))
        }
        Fault::ServerError {
            status,
            retry_after,
        } => (
            StatusCode::from_u16(status)
                .ok()
                .filter(StatusCode::is_server_error)
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            retry_after,
        ),
    };
    let message = if status == StatusCode::TOO_MANY_REQUESTS {
        "Rate limit for this resource has been exceeded"
    } else {
        "Something went wrong"
    };
    let mut response = responses::error(status, message);
    if let Some(seconds) = retry_after {
        insert(response.headers_mut(), "retry-after", &seconds.to_string());
    }
    response
}
