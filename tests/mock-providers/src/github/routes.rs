//! The GitHub API router and the layer every token-authenticated API call goes through:
//! injected faults, authentication (`Authorization: Bearer <t>` or `token <t>`), rate
//! limiting, and the headers GitHub adds to every response. The endpoints a GitHub App
//! calls with its JWT have their own layer (see the `apps` module).

use std::sync::Arc;

use axum::{
    extract::{Request, State},
    http::{header, HeaderMap, StatusCode},
    middleware::{self, Next},
    response::Response,
    routing::{get, post, put},
    Router,
};
use chrono::Utc;

use super::access::Caller;
use super::responses::{self, common_headers, error, insert, token_headers, Accepted, DOCS_URL};
use super::state::{AuthFailure, RateSnapshot, AUTHENTICATED_LIMIT};
use super::{apps, hooks, install_flow, installations, oauth, repos, user, MockGitHub};
use crate::faults::Fault;
use crate::request_log::AuthenticatedAs;

/// Documentation link of rate-limit errors.
const RATE_LIMIT_DOCS_URL: &str =
    "https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api";

/// What every handler needs: the state handle and the base URLs for links in bodies.
#[derive(Clone)]
pub(super) struct Ctx {
    pub github: MockGitHub,
    /// API base, e.g. `http://127.0.0.1:PORT` or `http://127.0.0.1:PORT/api/v3`.
    pub api: Arc<str>,
    /// Web base: `https://github.com` for the github.com shape (bodies link there, as
    /// GitHub's do), the server root for Enterprise.
    pub web: Arc<str>,
}

impl Ctx {
    fn new(github: MockGitHub, api: &str, web: &str) -> Self {
        Self {
            github,
            api: api.into(),
            web: web.into(),
        }
    }
}

/// The routes of the GitHub API, relative to its base path; `web` is the web base that
/// bodies link to.
pub(super) fn router(github: MockGitHub, base_url: &str, web: &str) -> Router {
    let ctx = Ctx::new(github, base_url, web);
    let token_routes = Router::new()
        .route("/user", get(user::get_user))
        .route("/user/repos", get(user::list_user_repos))
        .route(
            "/user/installations",
            get(installations::list_user_installations),
        )
        .route(
            "/user/installations/{installation_id}/repositories",
            get(installations::list_user_installation_repos),
        )
        .route(
            "/user/installations/{installation_id}/repositories/{repository_id}",
            put(installations::add_repository).delete(installations::remove_repository),
        )
        .route(
            "/installation/repositories",
            get(user::list_installation_repos),
        )
        .route("/repos/{owner}/{repo}", get(repos::get_repo))
        .route("/repos/{owner}/{repo}/branches", get(repos::list_branches))
        .route("/repos/{owner}/{repo}/commits", get(repos::list_commits))
        .route("/repos/{owner}/{repo}/pulls", get(repos::list_pulls))
        .route(
            "/repos/{owner}/{repo}/hooks",
            get(hooks::list_hooks).post(hooks::create_hook),
        )
        .route(
            "/repos/{owner}/{repo}/hooks/{id}",
            get(hooks::get_hook)
                .patch(hooks::update_hook)
                .delete(hooks::delete_hook),
        )
        .route(
            "/repos/{owner}/{repo}/hooks/{id}/pings",
            post(hooks::ping_hook),
        )
        .fallback(|| async { responses::not_found() })
        .layer(middleware::from_fn_with_state(ctx.clone(), api_layer));
    // A JWT works on these only, and a token nowhere among them.
    let jwt_routes =
        apps::routes().layer(middleware::from_fn_with_state(ctx.clone(), apps::app_layer));
    token_routes.merge(jwt_routes).with_state(ctx)
}

/// The web routes (at the server root, outside the API prefix): OAuth sign-in and the
/// GitHub App install page.
pub(super) fn web_router(github: MockGitHub, web_url: &str) -> Router {
    let ctx = Ctx::new(github, web_url, web_url);
    Router::new()
        .route("/login/oauth/authorize", get(oauth::authorize))
        .route("/login/oauth/access_token", post(oauth::access_token))
        .route("/apps/{slug}/installations/new", get(install_flow::install))
        .with_state(ctx)
}

/// Faults, authentication and rate limiting before the handler; GitHub's headers after.
async fn api_layer(State(ctx): State<Ctx>, mut request: Request, next: Next) -> Response {
    let now = Utc::now();
    let enterprise = ctx.github.is_enterprise();
    if let Some(fault) = ctx.github.faults().take() {
        return fault_response(fault, now.timestamp(), enterprise);
    }
    let (caller, rate) = {
        let mut state = ctx.github.lock();
        let authenticated = match credentials(request.headers()) {
            Credentials::Missing => Ok(Caller::Anonymous),
            Credentials::Malformed => Err(AuthFailure::Unknown),
            Credentials::Token(value) => {
                state
                    .authenticate(value, now)
                    .map(|(token, user)| match token.kind {
                        super::TokenKind::Installation => Caller::Installation {
                            account: user.login,
                            token,
                        },
                        _ => Caller::User { token, user },
                    })
            }
        };
        match authenticated {
            Ok(caller) => {
                let limit = caller
                    .login()
                    .and_then(|login| state.user(login))
                    .and_then(|user| user.rate_limit);
                let rate = state.charge(caller.login(), limit, now);
                (caller, rate)
            }
            Err(failure) => {
                let rate = state.charge(None, None, now);
                drop(state);
                tracing::debug!(?failure, "credentials refused");
                let mut response = match failure {
                    AuthFailure::Suspended => {
                        error(StatusCode::FORBIDDEN, apps::SUSPENDED_MESSAGE, DOCS_URL)
                    }
                    _ => error(StatusCode::UNAUTHORIZED, "Bad credentials", DOCS_URL),
                };
                common_headers(response.headers_mut(), rate, enterprise);
                return response;
            }
        }
    };
    if rate.exceeded() {
        return rate_limited(rate, enterprise);
    }

    request.extensions_mut().insert(caller.clone());
    let mut response = next.run(request).await;
    let accepted = response
        .extensions()
        .get::<Accepted>()
        .cloned()
        .unwrap_or_default();
    common_headers(response.headers_mut(), rate, enterprise);
    if let Some(token) = caller.token() {
        token_headers(response.headers_mut(), token, &accepted);
    }
    if let Some(login) = caller.login() {
        response
            .extensions_mut()
            .insert(AuthenticatedAs(login.to_owned()));
    }
    response
}

/// GitHub's answer once the hourly quota is used.
pub(super) fn rate_limited(rate: RateSnapshot, enterprise: bool) -> Response {
    let mut response = error(
        StatusCode::FORBIDDEN,
        "API rate limit exceeded for this token. Wait for the reset named in X-RateLimit-Reset.",
        RATE_LIMIT_DOCS_URL,
    );
    common_headers(response.headers_mut(), rate, enterprise);
    response
}

/// GitHub's answer to an injected fault.
pub(super) fn fault_response(fault: Fault, now: i64, enterprise: bool) -> Response {
    let quota = |remaining: u32, reset: i64| RateSnapshot {
        limit: AUTHENTICATED_LIMIT,
        used: AUTHENTICATED_LIMIT - remaining,
        reset,
    };
    let (mut response, rate, retry_after) = match fault {
        Fault::RateLimit { reset_in } => (
            error(
                StatusCode::FORBIDDEN,
                "API rate limit exceeded for user ID 1. If you reach out to GitHub Support for \
                 help, please include the request ID.",
                RATE_LIMIT_DOCS_URL,
            ),
            quota(0, now + i64::try_from(reset_in).unwrap_or(i64::MAX / 2)),
            None,
        ),
        Fault::SecondaryRateLimit { retry_after } => (
            error(
                StatusCode::FORBIDDEN,
                "You have exceeded a secondary rate limit. Please wait a few minutes before you \
                 try again.",
                RATE_LIMIT_DOCS_URL,
            ),
            quota(4999, now + 3600),
            Some(retry_after),
        ),
        Fault::TooManyRequests { retry_after } => (
            error(
                StatusCode::TOO_MANY_REQUESTS,
                "Too Many Requests",
                RATE_LIMIT_DOCS_URL,
            ),
            quota(4999, now + 3600),
            Some(retry_after),
        ),
        Fault::ServerError {
            status,
            retry_after,
        } => {
            let status = StatusCode::from_u16(status)
                .ok()
                .filter(StatusCode::is_server_error)
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let message = if status == StatusCode::SERVICE_UNAVAILABLE {
                "Service Unavailable"
            } else {
                "Server Error"
            };
            (
                error(status, message, DOCS_URL),
                quota(4999, now + 3600),
                retry_after,
            )
        }
    };
    common_headers(response.headers_mut(), rate, enterprise);
    if let Some(seconds) = retry_after {
        insert(response.headers_mut(), "retry-after", &seconds.to_string());
    }
    response
}

/// The credentials of a request, as GitHub reads `Authorization`.
pub(super) enum Credentials<'a> {
    /// No `Authorization` header.
    Missing,
    /// A header GitHub would not accept (unknown scheme, empty token, not ASCII).
    Malformed,
    /// `Bearer <t>` or `token <t>`.
    Token(&'a str),
}

pub(super) fn credentials(headers: &HeaderMap) -> Credentials<'_> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Credentials::Missing;
    };
    let Ok(value) = value.to_str() else {
        return Credentials::Malformed;
    };
    match value.trim().split_once(' ') {
        Some((scheme, token))
            if (scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("token"))
                && !token.trim().is_empty() =>
        {
            Credentials::Token(token.trim())
        }
        _ => Credentials::Malformed,
    }
}
