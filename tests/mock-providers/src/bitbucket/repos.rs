//! Read endpoints: the current user, a workspace, repositories (of a workspace, or every
//! one the caller is a member of), branches and pull requests, with Bitbucket's `q`
//! filter (`name ~ "text"`, `full_name = "a/b"`), `sort`, and `pagelen`/`page`
//! pagination.
//!
//! Reach follows the token's kind (see [`BitbucketState::reaches`]): what a token does not
//! reach is `404`, except a workspace listing by a token of another workspace, which is
//! `403`. Scopes are checked first (`403` naming the missing one).

use std::collections::BTreeMap;

use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::Response,
    Extension,
};
use serde_json::Value;

use super::responses::{self, error, json_response, paged, Accepted};
use super::routes::{Caller, Ctx};
use super::seed::TokenKind;
use super::state::{BitbucketState, Repo};
use crate::pagination::{paginate, PageParams};
use crate::query::QueryMap;

/// Bitbucket's default and largest page sizes.
pub(super) const DEFAULT_PAGELEN: usize = 10;
/// Largest page.
pub(super) const MAX_PAGELEN: usize = 100;

/// The response with the scope the endpoint accepts, for `X-Accepted-OAuth-Scopes`.
pub(super) fn accepting(scope: &'static str, mut response: Response) -> Response {
    response.extensions_mut().insert(Accepted(scope));
    response
}

/// `GET /user`: needs the `account` scope, which access tokens cannot have.
pub(super) async fn current_user(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
) -> Response {
    let response = (|| {
        let Some(token) = &caller.token else {
            return responses::unauthorized();
        };
        if let Err(refused) = caller.require("account") {
            return *refused;
        }
        let state = ctx.bitbucket.lock();
        match token.user.as_deref().and_then(|u| state.user(u)) {
            Some(user) => json_response(
                StatusCode::OK,
                responses::user_json(&ctx.api, &ctx.web, user),
            ),
            None => error(StatusCode::FORBIDDEN, "Forbidden"),
        }
    })();
    accepting("account", response)
}

/// `GET /workspaces/{workspace}`: members and the workspace's own workspace tokens.
pub(super) async fn get_workspace(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path(slug): Path<String>,
) -> Response {
    let state = ctx.bitbucket.lock();
    let Some(workspace) = state.workspace(&slug) else {
        return no_workspace(&slug);
    };
    let allowed = match &caller.token {
        None => false,
        Some(token) => match token.kind {
            TokenKind::Oauth => state.role(token, &workspace.slug).is_some(),
            TokenKind::Workspace => token
                .workspace
                .as_deref()
                .is_some_and(|w| w.eq_ignore_ascii_case(&workspace.slug)),
            TokenKind::Repository | TokenKind::Project => false,
        },
    };
    if !allowed {
        return error(StatusCode::FORBIDDEN, "Forbidden");
    }
    json_response(
        StatusCode::OK,
        responses::workspace_json(&ctx.api, &ctx.web, workspace),
    )
}

/// `GET /repositories/{workspace}`.
pub(super) async fn list_repositories(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path(slug): Path<String>,
    QueryMap(query): QueryMap,
) -> Response {
    if let Err(refused) = caller.require("repository") {
        return accepting("repository", *refused);
    }
    let state = ctx.bitbucket.lock();
    let Some(workspace) = state.workspace(&slug) else {
        return no_workspace(&slug);
    };
    let foreign = caller.token.as_ref().is_some_and(|t| {
        t.workspace
            .as_deref()
            .is_some_and(|w| !w.eq_ignore_ascii_case(&workspace.slug))
    });
    if foreign {
        return accepting("repository", error(StatusCode::FORBIDDEN, "Forbidden"));
    }
    let repos: Vec<&Repo> = state
        .repos()
        .filter(|r| r.workspace == workspace.slug)
        .filter(|r| state.reaches(caller.token.as_ref(), r))
        .collect();
    let url = format!("{}/repositories/{}", ctx.api, workspace.slug);
    accepting(
        "repository",
        repository_page(&ctx, &state, &caller, repos, &url, &query),
    )
}

/// `GET /repositories?role=member`: every repository the caller reaches.
pub(super) async fn list_member_repositories(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    QueryMap(query): QueryMap,
) -> Response {
    if let Err(refused) = caller.require("repository") {
        return accepting("repository", *refused);
    }
    if query.contains_key("role") && caller.token.is_none() {
        return error(StatusCode::UNAUTHORIZED, "Authentication required for role");
    }
    let state = ctx.bitbucket.lock();
    let member_only = query.contains_key("role");
    let repos: Vec<&Repo> = state
        .repos()
        .filter(|r| state.reaches(caller.token.as_ref(), r))
        .filter(|r| match caller.token.as_ref() {
            Some(token) if member_only && token.kind == TokenKind::Oauth => {
                state.role(token, &r.workspace).is_some()
            }
            _ => true,
        })
        .collect();
    let url = format!("{}/repositories", ctx.api);
    accepting(
        "repository",
        repository_page(&ctx, &state, &caller, repos, &url, &query),
    )
}

/// `GET /repositories/{workspace}/{slug}`.
pub(super) async fn get_repository(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path((workspace, slug)): Path<(String, String)>,
) -> Response {
    if let Err(refused) = caller.require("repository") {
        return accepting("repository", *refused);
    }
    let state = ctx.bitbucket.lock();
    let response = match reached(&state, &caller, &workspace, &slug) {
        Ok(repo) => json_response(StatusCode::OK, repo_value(&ctx, &state, &caller, repo)),
        Err(refused) => *refused,
    };
    accepting("repository", response)
}

/// `GET /repositories/{workspace}/{slug}/refs/branches`.
pub(super) async fn list_branches(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path((workspace, slug)): Path<(String, String)>,
    QueryMap(query): QueryMap,
) -> Response {
    if let Err(refused) = caller.require("repository") {
        return accepting("repository", *refused);
    }
    let state = ctx.bitbucket.lock();
    let repo = match reached(&state, &caller, &workspace, &slug) {
        Ok(repo) => repo,
        Err(refused) => return *refused,
    };
    let filter = match query.get("q").map(|q| Filter::parse(q)).transpose() {
        Ok(filter) => filter,
        Err(why) => return error(StatusCode::BAD_REQUEST, &why),
    };
    let mut branches: Vec<_> = repo
        .branches
        .iter()
        .filter(|b| {
            filter
                .as_ref()
                .is_none_or(|f| f.field == "name" && f.matches(&b.name))
        })
        .collect();
    branches.sort_by(|a, b| a.name.cmp(&b.name));
    if query.get("sort").is_some_and(|s| s.starts_with('-')) {
        branches.reverse();
    }
    let items: Vec<Value> = branches
        .into_iter()
        .map(|b| responses::branch_json(&ctx.api, &ctx.web, repo, b))
        .collect();
    let url = format!(
        "{}/repositories/{}/refs/branches",
        ctx.api,
        repo.full_name()
    );
    accepting(
        "repository",
        paged(&paginate(&items, page_params(&query)), &url, &query),
    )
}

/// `GET /repositories/{workspace}/{slug}/pullrequests` (none are modelled: an empty page).
pub(super) async fn list_pull_requests(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path((workspace, slug)): Path<(String, String)>,
    QueryMap(query): QueryMap,
) -> Response {
    if let Err(refused) = caller.require("pullrequest") {
        return accepting("pullrequest", *refused);
    }
    let state = ctx.bitbucket.lock();
    let repo = match reached(&state, &caller, &workspace, &slug) {
        Ok(repo) => repo,
        Err(refused) => return *refused,
    };
    let url = format!("{}/repositories/{}/pullrequests", ctx.api, repo.full_name());
    accepting(
        "pullrequest",
        paged(&paginate(&[], page_params(&query)), &url, &query),
    )
}

/// The repository if the caller reaches it, else Bitbucket's 404.
pub(super) fn reached<'a>(
    state: &'a BitbucketState,
    caller: &Caller,
    workspace: &str,
    slug: &str,
) -> Result<&'a Repo, Box<Response>> {
    match state.repo(workspace, slug) {
        Some(repo) if state.reaches(caller.token.as_ref(), repo) => Ok(repo),
        _ => Err(Box::new(error(
            StatusCode::NOT_FOUND,
            &format!("Repository {workspace}/{slug} not found"),
        ))),
    }
}

fn no_workspace(slug: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        &format!("No workspace with identifier '{slug}'."),
    )
}

fn repo_value(ctx: &Ctx, state: &BitbucketState, caller: &Caller, repo: &Repo) -> Value {
    let caller_name = caller.token.as_ref().map(|t| match &t.user {
        Some(user) => user.clone(),
        None => "x-token-auth".to_owned(),
    });
    match state.workspace(&repo.workspace) {
        Some(workspace) => {
            responses::repo_json(&ctx.api, &ctx.web, repo, workspace, caller_name.as_deref())
        }
        None => Value::Null,
    }
}

/// Filters, sorts and pages repositories.
fn repository_page(
    ctx: &Ctx,
    state: &BitbucketState,
    caller: &Caller,
    mut repos: Vec<&Repo>,
    url: &str,
    query: &BTreeMap<String, String>,
) -> Response {
    if let Some(q) = query.get("q") {
        let filter = match Filter::parse(q) {
            Ok(filter) => filter,
            Err(why) => return error(StatusCode::BAD_REQUEST, &why),
        };
        repos.retain(|r| match filter.field.as_str() {
            "name" | "slug" => filter.matches(&r.slug),
            "full_name" => filter.matches(&r.full_name()),
            "project.key" => filter.matches(&r.project),
            _ => false,
        });
    }
    let sort = query
        .get("sort")
        .map(String::as_str)
        .unwrap_or("-updated_on");
    let (descending, field) = match sort.strip_prefix('-') {
        Some(field) => (true, field),
        None => (false, sort),
    };
    match field {
        "full_name" => repos.sort_by_key(|r| r.full_name().to_lowercase()),
        "name" | "slug" => repos.sort_by_key(|r| r.slug.to_lowercase()),
        "updated_on" => repos.sort_by_key(|r| (r.updated_on, r.full_name())),
        "created_on" => repos.sort_by_key(|r| (r.created_on, r.full_name())),
        other => {
            return error(
                StatusCode::BAD_REQUEST,
                &format!("Invalid field name '{other}' for sort"),
            )
        }
    }
    if descending {
        repos.reverse();
    }
    let items: Vec<Value> = repos
        .into_iter()
        .map(|r| repo_value(ctx, state, caller, r))
        .collect();
    paged(&paginate(&items, page_params(query)), url, query)
}

/// `pagelen` (default 10, at most 100) and `page`.
pub(super) fn page_params(query: &BTreeMap<String, String>) -> PageParams {
    let number = |name: &str| {
        query
            .get(name)
            .and_then(|v| v.trim().parse::<usize>().ok())
            .filter(|n| *n > 0)
    };
    PageParams {
        page: number("page").unwrap_or(1),
        per_page: number("pagelen")
            .unwrap_or(DEFAULT_PAGELEN)
            .min(MAX_PAGELEN),
    }
}

/// One `q` condition: `field ~ "text"` (case-insensitive substring) or
/// `field = "text"` (exact).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Filter {
    field: String,
    contains: bool,
    value: String,
}

impl Filter {
    fn parse(q: &str) -> Result<Self, String> {
        let invalid = || format!("Invalid query: {q}");
        let at = q.find(['~', '=']).ok_or_else(invalid)?;
        let field = q[..at].trim().to_owned();
        let contains = q[at..].starts_with('~');
        let quoted = q[at + 1..].trim();
        let inner = quoted
            .strip_prefix('"')
            .and_then(|s| s.strip_suffix('"'))
            .ok_or_else(invalid)?;
        let mut value = String::with_capacity(inner.len());
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => value.push(chars.next().ok_or_else(invalid)?),
                '"' => return Err(invalid()),
                c => value.push(c),
            }
        }
        if field.is_empty() {
            return Err(invalid());
        }
        Ok(Self {
            field,
            contains,
            value,
        })
    }

    fn matches(&self, text: &str) -> bool {
        if self.contains {
            text.to_lowercase().contains(&self.value.to_lowercase())
        } else {
            text == self.value
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_filters() {
        let f = Filter::parse(r#"name ~ "a\"b""#).expect("valid");
        assert_eq!(
            (f.field.as_str(), f.contains, f.value.as_str()),
            ("name", true, "a\"b")
        );
        assert!(f.matches("XA\"BY"));
        let f = Filter::parse(r#"full_name="acme/api""#).expect("valid");
        assert!(!f.contains && f.matches("acme/api") && !f.matches("acme/api2"));
        for bad in ["name", r#"name ~ x"#, r#" ~ "x""#, r#"name ~ "a"b""#] {
            assert!(Filter::parse(bad).is_err(), "{bad}");
        }
    }
}
