//! Project hooks: list, create, read, update, delete (`/projects/:id/hooks`).
//!
//! As on GitLab: managing hooks needs the Maintainer role (`403 Forbidden` below it);
//! reading works with `read_api`, changing needs `api`; the `token` is stored but never
//! shown; a URL must be `http(s)`; GitLab does not refuse two hooks with the same URL.

use std::collections::BTreeMap;

use axum::{
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Extension,
};
use chrono::Utc;
use serde_json::Value;

use super::projects::{visible, DEFAULT_PER_PAGE, MAX_PER_PAGE};
use super::responses::{self, bad_request, forbidden, json_response, not_found, paged};
use super::routes::{flag, params, Caller, Ctx, READ_API};
use super::seed::HookSeed;
use super::state::{GitLabState, Hook};
use crate::pagination::{paginate, PageParams};
use crate::query::QueryMap;

/// Lowest access level that manages hooks: Maintainer.
const MAINTAINER: u32 = 40;

/// The project id if the caller may manage its hooks, else GitLab's refusal.
fn administered(
    state: &GitLabState,
    caller: &Caller,
    id: &str,
    scopes: &[&str],
) -> Result<u64, Box<Response>> {
    caller.signed_in()?;
    caller.require_scope(scopes)?;
    let project = visible(state, caller, id).ok_or_else(|| Box::new(not_found("Project")))?;
    let level = caller.user_id().map_or(0, |u| state.level(u, project));
    if level < MAINTAINER {
        return Err(Box::new(forbidden()));
    }
    Ok(project.id)
}

/// `GET /projects/:id/hooks`.
pub(super) async fn list_hooks(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    QueryMap(query): QueryMap,
) -> Response {
    let state = ctx.gitlab.lock();
    let project_id = match administered(&state, &caller, &id, READ_API) {
        Ok(project) => project,
        Err(response) => return *response,
    };
    let Some(project) = state.project(project_id) else {
        return not_found("Project");
    };
    let items: Vec<Value> = project
        .hooks
        .iter()
        .map(|h| responses::hook_json(project, h))
        .collect();
    let params = PageParams::from_query(&query, DEFAULT_PER_PAGE, MAX_PER_PAGE);
    let url = format!("{}/projects/{project_id}/hooks", ctx.api);
    paged(&paginate(&items, params), &url, &query)
}

/// `POST /projects/:id/hooks`.
pub(super) async fn create_hook(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
    QueryMap(query): QueryMap,
    body: Bytes,
) -> Response {
    let params = match params(&headers, query, &body) {
        Ok(params) => params,
        Err(response) => return *response,
    };
    let mut state = ctx.gitlab.lock();
    let project_id = match administered(&state, &caller, &id, &["api"]) {
        Ok(project) => project,
        Err(response) => return *response,
    };
    let Some(url) = params.get("url").map(|u| u.trim().to_owned()) else {
        return bad_request("url is missing");
    };
    if !valid_url(&url) {
        return bad_request("url is invalid");
    }
    let mut hook = state.new_hook(HookSeed {
        url,
        token: None,
        push_events: true,
        tag_push_events: false,
        merge_requests_events: false,
    });
    apply(&mut hook, &params);
    let Some(project) = state.project_mut(project_id) else {
        return not_found("Project");
    };
    project.hooks.push(hook.clone());
    json_response(StatusCode::CREATED, responses::hook_json(project, &hook))
}

/// `GET /projects/:id/hooks/:hook_id`.
pub(super) async fn get_hook(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path((id, hook_id)): Path<(String, String)>,
) -> Response {
    let state = ctx.gitlab.lock();
    let project_id = match administered(&state, &caller, &id, READ_API) {
        Ok(project) => project,
        Err(response) => return *response,
    };
    let Some(project) = state.project(project_id) else {
        return not_found("Project");
    };
    match project
        .hooks
        .iter()
        .find(|h| Some(h.id) == hook_id.parse().ok())
    {
        Some(hook) => json_response(StatusCode::OK, responses::hook_json(project, hook)),
        None => responses::message(StatusCode::NOT_FOUND, "404 Not found"),
    }
}

/// `PUT /projects/:id/hooks/:hook_id`: `url` is required, other fields change when given.
pub(super) async fn update_hook(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path((id, hook_id)): Path<(String, String)>,
    headers: HeaderMap,
    QueryMap(query): QueryMap,
    body: Bytes,
) -> Response {
    let params = match params(&headers, query, &body) {
        Ok(params) => params,
        Err(response) => return *response,
    };
    let mut state = ctx.gitlab.lock();
    let project_id = match administered(&state, &caller, &id, &["api"]) {
        Ok(project) => project,
        Err(response) => return *response,
    };
    let Some(url) = params.get("url").map(|u| u.trim().to_owned()) else {
        return bad_request("url is missing");
    };
    if !valid_url(&url) {
        return bad_request("url is invalid");
    }
    let Some(project) = state.project_mut(project_id) else {
        return not_found("Project");
    };
    let Some(index) = project
        .hooks
        .iter()
        .position(|h| Some(h.id) == hook_id.parse().ok())
    else {
        return responses::message(StatusCode::NOT_FOUND, "404 Not found");
    };
    let hook = &mut project.hooks[index];
    hook.url = url;
    apply(hook, &params);
    let hook = hook.clone();
    json_response(StatusCode::OK, responses::hook_json(project, &hook))
}

/// `DELETE /projects/:id/hooks/:hook_id`: `204`, or `404 Not found` when gone.
pub(super) async fn delete_hook(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path((id, hook_id)): Path<(String, String)>,
) -> Response {
    let mut state = ctx.gitlab.lock();
    let project_id = match administered(&state, &caller, &id, &["api"]) {
        Ok(project) => project,
        Err(response) => return *response,
    };
    let Some(project) = state.project_mut(project_id) else {
        return not_found("Project");
    };
    let before = project.hooks.len();
    project.hooks.retain(|h| Some(h.id) != hook_id.parse().ok());
    if project.hooks.len() == before {
        return responses::message(StatusCode::NOT_FOUND, "404 Not found");
    }
    project.last_activity_at = Utc::now();
    StatusCode::NO_CONTENT.into_response()
}

/// Applies the optional fields of a create or update.
fn apply(hook: &mut Hook, params: &BTreeMap<String, String>) {
    if let Some(token) = params.get("token") {
        hook.token = (!token.is_empty()).then(|| token.clone());
    }
    if let Some(name) = params.get("name") {
        hook.name = name.clone();
    }
    if let Some(description) = params.get("description") {
        hook.description = description.clone();
    }
    hook.push_events = flag(params, "push_events", hook.push_events);
    hook.tag_push_events = flag(params, "tag_push_events", hook.tag_push_events);
    hook.merge_requests_events = flag(params, "merge_requests_events", hook.merge_requests_events);
    hook.issues_events = flag(params, "issues_events", hook.issues_events);
    hook.enable_ssl_verification = flag(
        params,
        "enable_ssl_verification",
        hook.enable_ssl_verification,
    );
}

fn valid_url(url: &str) -> bool {
    let Some((scheme, rest)) = url.split_once("://") else {
        return false;
    };
    (scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https"))
        && !rest.is_empty()
        && !rest.starts_with('/')
        && !url.chars().any(char::is_whitespace)
}
