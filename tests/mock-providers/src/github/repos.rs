//! `GET /repos/{owner}/{repo}` and what the plugin reads under it: branches, commits (the
//! `contents` probe) and pull requests (the `pull_requests` probe).

use std::collections::BTreeMap;

use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    Extension,
};
use serde_json::{json, Value};

use super::access::{check_repo, not_accessible_message, Caller, Denied, RepoAction};
use super::responses::{
    branch_json, error, json_response, not_found, repo_json, Accepted, DOCS_URL,
};
use super::routes::Ctx;
use super::seed::RepoRole;
use super::state::{Repo, User};
use crate::pagination::{paginate, PageParams};
use crate::query::QueryMap;

/// GitHub's default and largest page sizes.
pub(super) const DEFAULT_PER_PAGE: usize = 30;
pub(super) const MAX_PER_PAGE: usize = 100;

/// A repository the caller may act on, with what a handler needs to answer.
pub(super) struct Allowed {
    pub repo: Repo,
    pub owner: User,
    /// The caller's role (`None` when anonymous or an installation).
    pub role: Option<RepoRole>,
    pub accepted: Accepted,
}

/// Looks `owner/name` up and checks `action` for `caller`; the refusal GitHub would send
/// otherwise (404, or 403 naming the missing permission).
pub(super) fn allowed(
    ctx: &Ctx,
    caller: &Caller,
    owner: &str,
    name: &str,
    action: RepoAction,
) -> Result<Allowed, Box<Response>> {
    let accepted = Accepted {
        scopes: action.accepted_scopes(),
        permissions: action.accepted_permissions(),
    };
    let refuse = |response: Response| Box::new(with_accepted(response, &accepted));
    let state = ctx.github.lock();
    let Some(repo) = state.repo(owner, name) else {
        return Err(refuse(not_found()));
    };
    let role = match caller {
        Caller::User { user, .. } => state.role_of(&user.login, repo),
        _ => None,
    };
    match check_repo(caller, repo, role, action) {
        Ok(()) => {}
        Err(Denied::Hidden) => return Err(refuse(not_found())),
        Err(Denied::MissingPermission(_)) => {
            let kind = caller.token().map(|t| t.kind);
            let message = kind.map_or("Resource not accessible", not_accessible_message);
            return Err(refuse(error(StatusCode::FORBIDDEN, message, DOCS_URL)));
        }
    }
    let owner = state
        .user(&repo.owner)
        .cloned()
        .ok_or_else(|| refuse(not_found()))?;
    Ok(Allowed {
        repo: repo.clone(),
        owner,
        role,
        accepted,
    })
}

/// Puts what the endpoint accepts into the response, for the API layer's headers.
pub(super) fn with_accepted(mut response: Response, accepted: &Accepted) -> Response {
    response.extensions_mut().insert(accepted.clone());
    response
}

/// A page of `items` with GitHub's `Link` header for `url`.
pub(super) fn paged_response(
    items: &[Value],
    query: &BTreeMap<String, String>,
    url: &str,
    accepted: &Accepted,
) -> Response {
    let page = paginate(
        items,
        PageParams::from_query(query, DEFAULT_PER_PAGE, MAX_PER_PAGE),
    );
    let link = page.link_header(url, query);
    let mut response = json_response(StatusCode::OK, Value::Array(page.items));
    if let Some(link) = link {
        super::responses::insert(response.headers_mut(), "link", &link);
    }
    with_accepted(response, accepted)
}

/// `GET /repos/{owner}/{repo}`.
pub(super) async fn get_repo(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path((owner, name)): Path<(String, String)>,
) -> Response {
    let allowed = match allowed(&ctx, &caller, &owner, &name, RepoAction::Metadata) {
        Ok(allowed) => allowed,
        Err(refusal) => return *refusal,
    };
    let role = (!matches!(caller, Caller::Anonymous)).then_some(allowed.role);
    let body = repo_json(&ctx.api, &ctx.web, &allowed.repo, &allowed.owner, role);
    with_accepted(json_response(StatusCode::OK, body), &allowed.accepted)
}

/// `GET /repos/{owner}/{repo}/branches`, by name.
pub(super) async fn list_branches(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path((owner, name)): Path<(String, String)>,
    QueryMap(query): QueryMap,
) -> Response {
    let allowed = match allowed(&ctx, &caller, &owner, &name, RepoAction::Metadata) {
        Ok(allowed) => allowed,
        Err(refusal) => return *refusal,
    };
    let mut branches = allowed.repo.branches.clone();
    branches.sort_by(|a, b| a.name.cmp(&b.name));
    if query.get("protected").map(String::as_str) == Some("true") {
        branches.retain(|b| b.protected);
    }
    let items: Vec<Value> = branches
        .iter()
        .map(|b| branch_json(&ctx.api, &allowed.repo, b))
        .collect();
    let url = format!("{}/repos/{}/branches", ctx.api, allowed.repo.full_name());
    paged_response(&items, &query, &url, &allowed.accepted)
}

/// `GET /repos/{owner}/{repo}/commits`: the default branch's head commit; `409` for an
/// empty repository, as GitHub.
pub(super) async fn list_commits(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path((owner, name)): Path<(String, String)>,
    QueryMap(query): QueryMap,
) -> Response {
    let allowed = match allowed(&ctx, &caller, &owner, &name, RepoAction::Contents) {
        Ok(allowed) => allowed,
        Err(refusal) => return *refusal,
    };
    let repo = &allowed.repo;
    let Some(head) = repo
        .branches
        .iter()
        .find(|b| b.name == repo.default_branch)
        .or(repo.branches.first())
    else {
        return with_accepted(
            error(StatusCode::CONFLICT, "Git Repository is empty.", DOCS_URL),
            &allowed.accepted,
        );
    };
    let commit = json!({
        "sha": head.sha,
        "url": format!("{}/repos/{}/commits/{}", ctx.api, repo.full_name(), head.sha),
        "html_url": format!("{}/{}/commit/{}", ctx.web, repo.full_name(), head.sha),
        "commit": {
            "message": "Initial commit",
            "author": {"name": allowed.owner.login, "email": format!("{}@users.noreply.github.com", allowed.owner.login), "date": super::responses::date(repo.pushed_at)},
        },
    });
    let url = format!("{}/repos/{}/commits", ctx.api, repo.full_name());
    paged_response(&[commit], &query, &url, &allowed.accepted)
}

/// `GET /repos/{owner}/{repo}/pulls`: the mock keeps no pull requests, so an empty list.
pub(super) async fn list_pulls(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path((owner, name)): Path<(String, String)>,
) -> Response {
    match allowed(&ctx, &caller, &owner, &name, RepoAction::PullRequests) {
        Ok(allowed) => with_accepted(json_response(StatusCode::OK, json!([])), &allowed.accepted),
        Err(refusal) => *refusal,
    }
}

/// `401 Requires authentication` for endpoints that need a user.
pub(super) fn requires_authentication(docs: &str) -> Response {
    error(StatusCode::UNAUTHORIZED, "Requires authentication", docs).into_response()
}
