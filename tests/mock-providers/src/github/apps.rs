//! What a GitHub App does with its JWT (`Authorization: Bearer <JWT>`, see `app_jwt`):
//! `GET /app`, its installations (`GET /app/installations`, `GET|DELETE
//! /app/installations/{id}`, `PUT|DELETE …/suspended`), installation tokens (`POST
//! …/access_tokens`), and finding the installation on a repository, user or organization.
//! These endpoints take no token, and the other endpoints no JWT (it is an unknown token
//! there).

use std::collections::BTreeMap;

use axum::{
    body::Bytes,
    extract::{Path, Request, State},
    http::StatusCode,
    middleware::Next,
    response::{IntoResponse, Response},
    routing::{get, post, put},
    Extension, Router,
};
use chrono::Utc;
use serde_json::{json, Value};

use super::app_jwt;
use super::repos::paged_response;
use super::responses::{
    app_json, common_headers, date, error, installation_json, json_response, not_found,
    permissions_json, problems_parsing_json, repo_json, Accepted, DOCS_URL,
};
use super::routes::{credentials, fault_response, rate_limited, Credentials, Ctx};
use super::seed::{Access, AccountType, RepositorySelection};
use super::state::{GitHubState, Installation};
use crate::request_log::AuthenticatedAs;

/// GitHub's refusal for a suspended installation (minting, and its tokens).
pub(super) const SUSPENDED_MESSAGE: &str = "This installation has been suspended";
/// Documentation link of `POST /app/installations/{id}/access_tokens`.
const ACCESS_TOKENS_DOCS_URL: &str =
    "https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app";

/// The app a JWT authenticated, for the handlers.
#[derive(Debug, Clone, Copy)]
pub(super) struct AppCaller {
    pub app_id: u64,
}

/// The JWT routes, relative to the API base.
pub(super) fn routes() -> Router<Ctx> {
    Router::new()
        .route("/app", get(get_app))
        .route("/app/installations", get(list_installations))
        .route(
            "/app/installations/{installation_id}",
            get(get_installation).delete(delete_installation),
        )
        .route(
            "/app/installations/{installation_id}/access_tokens",
            post(create_access_token),
        )
        .route(
            "/app/installations/{installation_id}/suspended",
            put(suspend).delete(unsuspend),
        )
        .route("/repos/{owner}/{repo}/installation", get(repo_installation))
        .route("/orgs/{org}/installation", get(org_installation))
        .route("/users/{username}/installation", get(user_installation))
}

/// Faults, JWT verification and rate limiting before the handler; GitHub's headers after.
pub(super) async fn app_layer(
    State(ctx): State<Ctx>,
    mut request: Request,
    next: Next,
) -> Response {
    let now = Utc::now();
    let enterprise = ctx.github.is_enterprise();
    if let Some(fault) = ctx.github.faults().take() {
        return fault_response(fault, now.timestamp(), enterprise);
    }
    let (app_id, slug, rate) = {
        let mut state = ctx.github.lock();
        let verified = match credentials(request.headers()) {
            Credentials::Token(jwt) => app_jwt::verify(&state, jwt, now.timestamp()),
            Credentials::Missing | Credentials::Malformed => {
                Err(app_jwt::JwtRejection::Undecodable)
            }
        };
        match verified {
            Ok(app_id) => {
                let slug = state
                    .app(app_id)
                    .map(|a| a.slug.clone())
                    .unwrap_or_default();
                (app_id, slug, state.charge_app(app_id, now))
            }
            Err(rejection) => {
                let rate = state.charge(None, None, now);
                drop(state);
                tracing::debug!(?rejection, "JWT refused");
                let mut response = error(StatusCode::UNAUTHORIZED, rejection.message(), DOCS_URL);
                common_headers(response.headers_mut(), rate, enterprise);
                return response;
            }
        }
    };
    if rate.exceeded() {
        return rate_limited(rate, enterprise);
    }
    request.extensions_mut().insert(AppCaller { app_id });
    let mut response = next.run(request).await;
    common_headers(response.headers_mut(), rate, enterprise);
    response
        .extensions_mut()
        .insert(AuthenticatedAs(format!("{slug}[bot]")));
    response
}

/// An installation as GitHub shows it (`None` if its app or account is gone).
pub(super) fn installation_body(
    ctx: &Ctx,
    state: &GitHubState,
    installation: &Installation,
) -> Option<Value> {
    let app = state.app(installation.app_id)?;
    let account = state.user(&installation.account)?;
    let suspended_by = installation
        .suspended
        .as_ref()
        .and_then(|(_, by)| state.user(by));
    Some(installation_json(
        &ctx.api,
        &ctx.web,
        installation,
        app,
        account,
        suspended_by,
    ))
}

/// `GET /app`: the authenticated app.
async fn get_app(State(ctx): State<Ctx>, Extension(caller): Extension<AppCaller>) -> Response {
    let state = ctx.github.lock();
    let count = state
        .installations()
        .filter(|i| i.app_id == caller.app_id)
        .count();
    match state.app(caller.app_id) {
        Some(app) => json_response(StatusCode::OK, app_json(&ctx.web, app, count)),
        None => not_found(),
    }
}

/// `GET /app/installations`: the app's installations, oldest first, paginated.
async fn list_installations(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<AppCaller>,
    crate::query::QueryMap(query): crate::query::QueryMap,
) -> Response {
    let items: Vec<Value> = {
        let state = ctx.github.lock();
        state
            .installations()
            .filter(|i| i.app_id == caller.app_id)
            .filter_map(|i| installation_body(&ctx, &state, i))
            .collect()
    };
    let url = format!("{}/app/installations", ctx.api);
    paged_response(&items, &query, &url, &Accepted::default())
}

/// The id in the path when it names an installation of the calling app.
fn own_installation(state: &GitHubState, caller: AppCaller, id: &str) -> Option<u64> {
    let id: u64 = id.parse().ok()?;
    state
        .installation(id)
        .filter(|i| i.app_id == caller.app_id)
        .map(|i| i.id)
}

/// `GET /app/installations/{installation_id}`.
async fn get_installation(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<AppCaller>,
    Path(id): Path<String>,
) -> Response {
    let state = ctx.github.lock();
    own_installation(&state, caller, &id)
        .and_then(|id| state.installation(id))
        .and_then(|i| installation_body(&ctx, &state, i))
        .map_or_else(not_found, |body| json_response(StatusCode::OK, body))
}

/// `DELETE /app/installations/{installation_id}`: uninstalls; its tokens stop working.
async fn delete_installation(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<AppCaller>,
    Path(id): Path<String>,
) -> Response {
    let mut state = ctx.github.lock();
    match own_installation(&state, caller, &id) {
        Some(id) => {
            state.remove_installation(id);
            StatusCode::NO_CONTENT.into_response()
        }
        None => not_found(),
    }
}

/// `PUT /app/installations/{installation_id}/suspended`.
async fn suspend(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<AppCaller>,
    Path(id): Path<String>,
) -> Response {
    set_suspended(&ctx, caller, &id, true)
}

/// `DELETE /app/installations/{installation_id}/suspended`.
async fn unsuspend(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<AppCaller>,
    Path(id): Path<String>,
) -> Response {
    set_suspended(&ctx, caller, &id, false)
}

fn set_suspended(ctx: &Ctx, caller: AppCaller, id: &str, suspended: bool) -> Response {
    let mut state = ctx.github.lock();
    match own_installation(&state, caller, id) {
        Some(id) => {
            state.set_suspended(id, suspended);
            StatusCode::NO_CONTENT.into_response()
        }
        None => not_found(),
    }
}

/// `POST /app/installations/{installation_id}/access_tokens`: a one-hour `ghs_` token
/// with the app's permissions on the installation's repositories, optionally narrowed by
/// `repositories` (names), `repository_ids` and `permissions` in the body.
async fn create_access_token(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<AppCaller>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let request = if body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        match serde_json::from_slice::<Value>(&body) {
            Ok(value @ Value::Object(_)) => value,
            _ => return problems_parsing_json(),
        }
    };
    let mut state = ctx.github.lock();
    let Some(installation) = own_installation(&state, caller, &id)
        .and_then(|id| state.installation(id))
        .cloned()
    else {
        return not_found();
    };
    if installation.suspended.is_some() {
        return error(
            StatusCode::FORBIDDEN,
            SUSPENDED_MESSAGE,
            ACCESS_TOKENS_DOCS_URL,
        );
    }
    let granted = state
        .app(caller.app_id)
        .map(|app| app.permissions.clone())
        .unwrap_or_default();
    let only = match narrowed_repositories(&state, &installation, &request) {
        Ok(only) => only,
        Err(response) => return *response,
    };
    let permissions = match narrowed_permissions(&granted, &request) {
        Ok(permissions) => permissions,
        Err(response) => return *response,
    };
    let now = Utc::now();
    let Some((token, expires_at)) =
        state.mint_installation_token(installation.id, permissions.clone(), only.clone(), now)
    else {
        return not_found();
    };
    let selection = if only.is_some() {
        RepositorySelection::Selected
    } else {
        installation.selection
    };
    let mut body = json!({
        "token": token,
        "expires_at": date(expires_at),
        "permissions": permissions_json(&permissions),
        "repository_selection": selection.as_str(),
    });
    if let (Some(only), Value::Object(map)) = (&only, &mut body) {
        let repositories: Vec<Value> = only
            .iter()
            .filter_map(|full_name| {
                let (owner, name) = full_name.split_once('/')?;
                let repo = state.repo(owner, name)?;
                let owner = state.user(&repo.owner)?;
                Some(repo_json(&ctx.api, &ctx.web, repo, owner, None))
            })
            .collect();
        map.insert("repositories".to_owned(), Value::Array(repositories));
    }
    json_response(StatusCode::CREATED, body)
}

/// The repositories (full names) a token request narrows to, all within the
/// installation's reach; GitHub's 422 otherwise.
fn narrowed_repositories(
    state: &GitHubState,
    installation: &Installation,
    request: &Value,
) -> Result<Option<Vec<String>>, Box<Response>> {
    let names = request.get("repositories");
    let ids = request.get("repository_ids");
    if names.is_none() && ids.is_none() {
        return Ok(None);
    }
    let refuse = || {
        Box::new(error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "There is at least one repository that does not exist or is not accessible to the \
             parent installation.",
            ACCESS_TOKENS_DOCS_URL,
        ))
    };
    let list = |value: Option<&Value>| match value {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => Ok(items.clone()),
        Some(_) => Err(refuse()),
    };
    let reach = state.reach(installation);
    let mut only = Vec::new();
    for name in list(names)? {
        let full_name = name
            .as_str()
            .and_then(|name| state.account_repo(&installation.account, name))
            .ok_or_else(refuse)?;
        only.push(full_name);
    }
    for id in list(ids)? {
        let full_name = id
            .as_u64()
            .and_then(|id| state.repos().find(|r| r.id == id))
            .map(|r| r.full_name())
            .ok_or_else(refuse)?;
        only.push(full_name);
    }
    if only.iter().any(|name| !reach.contains(name)) {
        return Err(refuse());
    }
    only.sort_by_key(|n| n.to_ascii_lowercase());
    only.dedup();
    Ok(Some(only))
}

/// The permissions a token request asks for, none above what the app was granted;
/// GitHub's 422 otherwise. The app's permissions when the request names none.
fn narrowed_permissions(
    granted: &BTreeMap<String, Access>,
    request: &Value,
) -> Result<BTreeMap<String, Access>, Box<Response>> {
    let Some(asked) = request.get("permissions") else {
        return Ok(granted.clone());
    };
    let refuse = || {
        Box::new(error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "The permissions requested are not granted to this installation.",
            ACCESS_TOKENS_DOCS_URL,
        ))
    };
    let asked = asked.as_object().ok_or_else(refuse)?;
    let mut permissions = BTreeMap::new();
    for (name, level) in asked {
        let level = match level.as_str() {
            Some("read") => Access::Read,
            Some("write") => Access::Write,
            _ => return Err(refuse()),
        };
        if granted.get(name).is_none_or(|g| *g < level) {
            return Err(refuse());
        }
        permissions.insert(name.clone(), level);
    }
    Ok(permissions)
}

/// `GET /repos/{owner}/{repo}/installation`: the app's installation reaching it.
async fn repo_installation(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<AppCaller>,
    Path((owner, name)): Path<(String, String)>,
) -> Response {
    let state = ctx.github.lock();
    let Some(full_name) = state.repo(&owner, &name).map(|r| r.full_name()) else {
        return not_found();
    };
    let body = state
        .installations()
        .find(|i| i.app_id == caller.app_id && state.reach(i).contains(&full_name))
        .and_then(|i| installation_body(&ctx, &state, i));
    body.map_or_else(not_found, |body| json_response(StatusCode::OK, body))
}

/// `GET /orgs/{org}/installation`.
async fn org_installation(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<AppCaller>,
    Path(org): Path<String>,
) -> Response {
    account_installation(&ctx, caller, &org, Some(AccountType::Organization))
}

/// `GET /users/{username}/installation` (any account, as GitHub resolves the name).
async fn user_installation(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<AppCaller>,
    Path(username): Path<String>,
) -> Response {
    account_installation(&ctx, caller, &username, None)
}

fn account_installation(
    ctx: &Ctx,
    caller: AppCaller,
    login: &str,
    account_type: Option<AccountType>,
) -> Response {
    let state = ctx.github.lock();
    state
        .user(login)
        .filter(|user| account_type.is_none_or(|t| user.account_type == t))
        .and_then(|user| state.installation_of(caller.app_id, &user.login))
        .and_then(|i| installation_body(ctx, &state, i))
        .map_or_else(not_found, |body| json_response(StatusCode::OK, body))
}
