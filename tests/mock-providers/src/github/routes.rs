//! GitHub REST endpoints and GitHub's response conventions (headers, error bodies).

use std::sync::Arc;

use axum::{
    extract::State,
    http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use chrono::Utc;
use serde_json::{json, Value};

use super::{
    state::{AuthFailure, RateSnapshot, Token, User},
    MockGitHub,
};
use crate::request_log::AuthenticatedAs;

/// Generic documentation link GitHub puts in most error bodies.
const DOCS_URL: &str = "https://docs.github.com/rest";
/// Documentation link of `GET /user`, used in its `Requires authentication` error.
const GET_USER_DOCS_URL: &str =
    "https://docs.github.com/rest/users/users#get-the-authenticated-user";
/// Media type GitHub reports for the default `application/vnd.github+json` request.
const MEDIA_TYPE: &str = "github.v3; format=json";
/// REST API version GitHub selects when the client names none.
const API_VERSION: &str = "2022-11-28";
/// Version an Enterprise Server mock reports.
const ENTERPRISE_VERSION: &str = "3.14.0";

/// What every handler needs: the state handle and the API base URL for body links.
#[derive(Clone)]
struct Ctx {
    github: MockGitHub,
    base_url: Arc<str>,
    web_url: Arc<str>,
}

/// The routes of the GitHub API, relative to its base path.
pub(super) fn router(github: MockGitHub, base_url: &str) -> Router {
    let web_url = if github.is_enterprise() {
        // Enterprise Server serves its web UI at the host root.
        base_url
            .strip_suffix(super::ENTERPRISE_BASE_PATH)
            .unwrap_or(base_url)
            .to_owned()
    } else {
        "https://github.com".to_owned()
    };
    let ctx = Ctx {
        github,
        base_url: base_url.into(),
        web_url: web_url.into(),
    };
    Router::new()
        .route("/user", get(get_authenticated_user))
        .fallback(|| async { not_found() })
        .with_state(ctx)
}

/// GitHub's JSON 404.
pub(super) fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "Not Found", DOCS_URL)
}

/// `GET /user`: the account the token acts as.
async fn get_authenticated_user(State(ctx): State<Ctx>, headers: HeaderMap) -> Response {
    let now = Utc::now();
    let mut state = ctx.github.lock();
    let presented = match credentials(&headers) {
        Credentials::Missing => {
            let rate = state.charge(None, now);
            drop(state);
            return with_common_headers(
                error(
                    StatusCode::UNAUTHORIZED,
                    "Requires authentication",
                    GET_USER_DOCS_URL,
                ),
                &ctx,
                rate,
            );
        }
        Credentials::Malformed => Err(AuthFailure::Unknown),
        Credentials::Token(value) => state.authenticate(value, now),
    };
    let (token, user) = match presented {
        Ok(found) => found,
        Err(failure) => {
            let rate = state.charge(None, now);
            drop(state);
            tracing::debug!(?failure, "GET /user refused");
            return with_common_headers(
                error(StatusCode::UNAUTHORIZED, "Bad credentials", DOCS_URL),
                &ctx,
                rate,
            );
        }
    };
    let rate = state.charge(Some(&user.login), now);
    drop(state);

    let mut response = (StatusCode::OK, json_body(user_json(&ctx, &user))).into_response();
    token_headers(response.headers_mut(), &token, "");
    response
        .extensions_mut()
        .insert(AuthenticatedAs(user.login.clone()));
    with_common_headers(response, &ctx, rate)
}

/// The credentials of a request, as GitHub reads `Authorization`.
enum Credentials<'a> {
    /// No `Authorization` header.
    Missing,
    /// A header GitHub would not accept (unknown scheme, empty token, not ASCII).
    Malformed,
    /// `Bearer <t>` or `token <t>`.
    Token(&'a str),
}

fn credentials(headers: &HeaderMap) -> Credentials<'_> {
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

/// Headers GitHub sends about the token that authenticated the request.
fn token_headers(headers: &mut HeaderMap, token: &Token, accepted_scopes: &str) {
    if token.kind.has_scopes() {
        insert(headers, "x-oauth-scopes", &token.scopes.join(", "));
        insert(headers, "x-accepted-oauth-scopes", accepted_scopes);
    } else {
        // Fine-grained tokens: GitHub names the permissions an endpoint accepts instead.
        insert(
            headers,
            "x-accepted-github-permissions",
            "allows_permissionless_access=true",
        );
    }
    if let Some(expires_at) = token.expires_at {
        insert(
            headers,
            "github-authentication-token-expiration",
            &expires_at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        );
    }
}

/// Headers GitHub sends on every API response.
fn with_common_headers(mut response: Response, ctx: &Ctx, rate: RateSnapshot) -> Response {
    let headers = response.headers_mut();
    insert(headers, "x-github-media-type", MEDIA_TYPE);
    insert(headers, "x-github-api-version-selected", API_VERSION);
    insert(headers, "x-ratelimit-limit", &rate.limit.to_string());
    insert(
        headers,
        "x-ratelimit-remaining",
        &rate.remaining().to_string(),
    );
    insert(headers, "x-ratelimit-reset", &rate.reset.to_string());
    insert(headers, "x-ratelimit-used", &rate.used.to_string());
    insert(headers, "x-ratelimit-resource", "core");
    if ctx.github.is_enterprise() {
        insert(headers, "x-github-enterprise-version", ENTERPRISE_VERSION);
    }
    response
}

fn insert(headers: &mut HeaderMap, name: &'static str, value: &str) {
    // Values are built from seeds; one that is not a valid header value is left out
    // rather than failing the request.
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(HeaderName::from_static(name), value);
    }
}

/// GitHub's error body: `{"message", "documentation_url", "status"}` (status as a string).
fn error(status: StatusCode, message: &str, documentation_url: &str) -> Response {
    let body = json!({
        "message": message,
        "documentation_url": documentation_url,
        "status": status.as_u16().to_string(),
    });
    (status, json_body(body)).into_response()
}

/// A JSON body with GitHub's content type.
fn json_body(value: Value) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        )],
        value.to_string(),
    )
}

/// The public profile of an account, shaped as GitHub returns it.
fn user_json(ctx: &Ctx, user: &User) -> Value {
    let api = &ctx.base_url;
    let login = &user.login;
    json!({
        "login": login,
        "id": user.id,
        "node_id": format!("U_mock{}", user.id),
        "avatar_url": format!("https://avatars.githubusercontent.com/u/{}?v=4", user.id),
        "gravatar_id": "",
        "url": format!("{api}/users/{login}"),
        "html_url": format!("{}/{login}", ctx.web_url),
        "repos_url": format!("{api}/users/{login}/repos"),
        "organizations_url": format!("{api}/users/{login}/orgs"),
        "type": user.account_type.as_str(),
        "user_view_type": "public",
        "site_admin": false,
        "name": user.name,
        "company": null,
        "blog": "",
        "location": null,
        "email": user.email,
        "hireable": null,
        "bio": null,
        "twitter_username": null,
        "public_repos": 0,
        "public_gists": 0,
        "followers": 0,
        "following": 0,
        "created_at": "2011-01-25T18:44:36Z",
        "updated_at": "2026-01-01T00:00:00Z",
    })
}
