//! Read endpoints: the token itself, the current user, projects (listing with
//! `membership`, `min_access_level`, `search`, ordering and pagination), branches,
//! memberships and groups.
//!
//! Access follows GitLab: private projects are visible to members only (directly, through
//! a parent group, or in their own namespace), internal ones to every signed-in user,
//! public ones to everyone; anything invisible is `404 Project Not Found`.

use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::Response,
    Extension,
};
use serde_json::Value;

use super::responses::{self, json_response, not_found, paged};
use super::routes::{flag, Caller, Ctx, READ_API};
use super::seed::TokenKind;
use super::state::{GitLabState, Project};
use crate::pagination::{paginate, PageParams};
use crate::query::QueryMap;

/// GitLab's default and largest page sizes.
pub(super) const DEFAULT_PER_PAGE: usize = 20;
/// Largest page.
pub(super) const MAX_PER_PAGE: usize = 100;

/// `GET /personal_access_tokens/self`: personal, project and group tokens only.
pub(super) async fn token_self(Extension(caller): Extension<Caller>) -> Response {
    let (token, _) = match caller.signed_in() {
        Ok(found) => found,
        Err(response) => return *response,
    };
    if token.kind == TokenKind::Oauth {
        return not_found("Token");
    }
    json_response(StatusCode::OK, responses::token_json(token))
}

/// `GET /user`.
pub(super) async fn current_user(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
) -> Response {
    let (_, user) = match caller.signed_in() {
        Ok(found) => found,
        Err(response) => return *response,
    };
    if let Err(response) = caller.require_scope(&["api", "read_api", "read_user"]) {
        return *response;
    }
    json_response(StatusCode::OK, responses::user_json(&ctx.web, user))
}

/// `GET /projects`.
pub(super) async fn list_projects(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    QueryMap(query): QueryMap,
) -> Response {
    if let Err(response) = caller.require_scope(READ_API) {
        return *response;
    }
    let membership = flag(&query, "membership", false);
    let simple = flag(&query, "simple", false);
    let search_namespaces = flag(&query, "search_namespaces", false);
    let min_level: u32 = query
        .get("min_access_level")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let search = query.get("search").map(|s| s.to_lowercase());
    let user = caller.user_id();
    if membership && user.is_none() {
        return responses::bad_request("membership requires authentication");
    }
    let state = ctx.gitlab.lock();
    let mut found: Vec<&Project> = state
        .projects()
        .filter(|p| state.can_see(user, p))
        .filter(|p| {
            let level = user.map_or(0, |u| state.level(u, p));
            (!membership || level > 0) && level >= min_level
        })
        .filter(|p| match &search {
            None => true,
            Some(text) => {
                p.path.to_lowercase().contains(text)
                    || (search_namespaces && p.full_path().to_lowercase().contains(text))
            }
        })
        .collect();
    let order = query
        .get("order_by")
        .map(String::as_str)
        .unwrap_or("created_at");
    match order {
        "path" | "name" => found.sort_by_key(|p| p.path.to_lowercase()),
        "last_activity_at" | "updated_at" => found.sort_by_key(|p| p.last_activity_at),
        _ => found.sort_by_key(|p| p.id),
    }
    let descending = match query.get("sort").map(String::as_str) {
        Some("asc") => false,
        Some(_) => true,
        // GitLab sorts descending unless told otherwise.
        None => true,
    };
    if descending {
        found.reverse();
    }
    let items: Vec<Value> = found
        .into_iter()
        .map(|p| project_value(&state, &ctx.web, p, simple, user))
        .collect();
    let params = PageParams::from_query(&query, DEFAULT_PER_PAGE, MAX_PER_PAGE);
    paged(
        &paginate(&items, params),
        &format!("{}/projects", ctx.api),
        &query,
    )
}

/// `GET /projects/:id` (id or URL-encoded full path).
pub(super) async fn get_project(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Response {
    if let Err(response) = caller.require_scope(READ_API) {
        return *response;
    }
    let state = ctx.gitlab.lock();
    match visible(&state, &caller, &id) {
        Some(project) => json_response(
            StatusCode::OK,
            project_value(&state, &ctx.web, project, false, caller.user_id()),
        ),
        None => not_found("Project"),
    }
}

/// `GET /projects/:id/repository/branches` (`search` filters by name).
pub(super) async fn list_branches(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    QueryMap(query): QueryMap,
) -> Response {
    if let Err(response) = caller.require_scope(READ_API) {
        return *response;
    }
    let state = ctx.gitlab.lock();
    let Some(project) = visible(&state, &caller, &id) else {
        return not_found("Project");
    };
    let search = query.get("search").map(|s| s.to_lowercase());
    let mut branches: Vec<_> = project
        .branches
        .iter()
        .filter(|b| {
            search
                .as_ref()
                .is_none_or(|s| b.name.to_lowercase().contains(s))
        })
        .collect();
    branches.sort_by(|a, b| a.name.cmp(&b.name));
    let items: Vec<Value> = branches
        .into_iter()
        .map(|b| responses::branch_json(&ctx.web, project, b))
        .collect();
    let params = PageParams::from_query(&query, DEFAULT_PER_PAGE, MAX_PER_PAGE);
    let url = format!("{}/projects/{}/repository/branches", ctx.api, project.id);
    paged(&paginate(&items, params), &url, &query)
}

/// `GET /projects/:id/members/all/:user_id`: direct or inherited membership.
pub(super) async fn project_member(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path((id, user_id)): Path<(String, u64)>,
) -> Response {
    if let Err(response) = caller.require_scope(READ_API) {
        return *response;
    }
    let state = ctx.gitlab.lock();
    let Some(project) = visible(&state, &caller, &id) else {
        return not_found("Project");
    };
    match (state.user(user_id), state.level(user_id, project)) {
        (Some(user), level) if level > 0 => json_response(
            StatusCode::OK,
            responses::member_json(&ctx.web, user, level),
        ),
        _ => not_found(""),
    }
}

/// `GET /groups/:id` (id or URL-encoded full path), for members.
pub(super) async fn get_group(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Response {
    if let Err(response) = caller.require_scope(READ_API) {
        return *response;
    }
    let state = ctx.gitlab.lock();
    match state.find_group(&id) {
        Some(group)
            if caller
                .user_id()
                .is_some_and(|u| state.group_level(u, group) > 0) =>
        {
            json_response(StatusCode::OK, responses::group_json(&ctx.web, group))
        }
        _ => not_found("Group"),
    }
}

/// `GET /groups/:id/members/all/:user_id`: direct or inherited membership.
pub(super) async fn group_member(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path((id, user_id)): Path<(String, u64)>,
) -> Response {
    if let Err(response) = caller.require_scope(READ_API) {
        return *response;
    }
    let state = ctx.gitlab.lock();
    let group = match state.find_group(&id) {
        Some(group)
            if caller
                .user_id()
                .is_some_and(|u| state.group_level(u, group) > 0) =>
        {
            group
        }
        _ => return not_found("Group"),
    };
    match (state.user(user_id), state.group_level(user_id, group)) {
        (Some(user), level) if level > 0 => json_response(
            StatusCode::OK,
            responses::member_json(&ctx.web, user, level),
        ),
        _ => not_found(""),
    }
}

/// The project named by `id` (id or full path) if the caller may see it.
pub(super) fn visible<'a>(
    state: &'a GitLabState,
    caller: &Caller,
    id: &str,
) -> Option<&'a Project> {
    let project = state.project(state.find_project(id)?)?;
    state.can_see(caller.user_id(), project).then_some(project)
}

fn project_value(
    state: &GitLabState,
    web: &str,
    project: &Project,
    simple: bool,
    user: Option<u64>,
) -> Value {
    let access = user.map(|u| {
        (
            state.project_level(u, project),
            state.inherited_level(u, project),
        )
    });
    responses::project_json(web, project, simple, access)
}
