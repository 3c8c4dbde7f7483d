//! Bitbucket Cloud's response conventions: error bodies
//! (`{"type": "error", "error": {"message", "detail"}}`), paginated bodies
//! (`{"pagelen", "size", "page", "values", "next", "previous"}`), and the JSON shapes of
//! accounts, workspaces, repositories, branches and webhooks.

use std::collections::BTreeMap;

use axum::{
    http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};

use super::state::{Branch, Hook, Repo, User, Workspace};
use crate::pagination::Page;
use crate::query;

/// Which scope an endpoint needs, for `X-Accepted-OAuth-Scopes`; handlers put it in the
/// response's extensions.
#[derive(Debug, Clone, Copy)]
pub(super) struct Accepted(pub &'static str);

/// A JSON response.
pub(super) fn json_response(status: StatusCode, value: Value) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        )],
        value.to_string(),
    )
        .into_response()
}

/// Bitbucket's error body.
pub(super) fn error(status: StatusCode, message: &str) -> Response {
    json_response(
        status,
        json!({"type": "error", "error": {"message": message}}),
    )
}

/// `403` for missing scopes, with what was granted and what is required.
pub(super) fn missing_scope(granted: &[String], required: &str) -> Response {
    json_response(
        StatusCode::FORBIDDEN,
        json!({
            "type": "error",
            "error": {
                "message": "Your credentials lack one or more required privilege scopes.",
                "detail": {"granted": granted, "required": [required]},
            },
        }),
    )
}

/// `401` for an unknown, expired or revoked token.
pub(super) fn unauthorized() -> Response {
    error(
        StatusCode::UNAUTHORIZED,
        "Token is invalid, expired, or not supported for this endpoint.",
    )
}

/// Sets a header, leaving out values that are not valid header values.
pub(super) fn insert(headers: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(HeaderName::from_static(name), value);
    }
}

/// A page in Bitbucket's envelope, with `next`/`previous` URLs keeping the other
/// query parameters.
pub(super) fn paged(page: &Page<Value>, url: &str, query: &BTreeMap<String, String>) -> Response {
    let link = |n: usize| {
        let mut pairs: Vec<String> = query
            .iter()
            .filter(|(k, _)| k.as_str() != "page" && k.as_str() != "pagelen")
            .map(|(k, v)| format!("{}={}", query::encode(k), query::encode(v)))
            .collect();
        pairs.push(format!("pagelen={}", page.params.per_page));
        pairs.push(format!("page={n}"));
        format!("{url}?{}", pairs.join("&"))
    };
    let mut body = json!({
        "pagelen": page.params.per_page,
        "size": page.total,
        "page": page.params.page,
        "values": page.items,
    });
    if let Some(next) = page.next_page() {
        body["next"] = json!(link(next));
    }
    if let Some(previous) = page.prev_page() {
        body["previous"] = json!(link(previous));
    }
    json_response(StatusCode::OK, body)
}

/// ISO 8601 with microseconds and an offset, as Bitbucket writes times.
pub(super) fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, false)
}

/// An account as payloads and `/user` show it.
pub(super) fn user_json(api: &str, web: &str, user: &User) -> Value {
    json!({
        "type": "user",
        "uuid": user.uuid,
        "account_id": user.account_id,
        "nickname": user.nickname,
        "display_name": user.display_name,
        "links": {
            "self": {"href": format!("{api}/users/{}", user.uuid)},
            "html": {"href": format!("{web}/{}/", user.uuid)},
            "avatar": {"href": format!("{web}/account/{}/avatar/", user.nickname)},
        },
    })
}

/// A workspace.
pub(super) fn workspace_json(api: &str, web: &str, workspace: &Workspace) -> Value {
    json!({
        "type": "workspace",
        "uuid": workspace.uuid,
        "slug": workspace.slug,
        "name": workspace.name,
        "is_private": true,
        "links": {
            "self": {"href": format!("{api}/workspaces/{}", workspace.slug)},
            "html": {"href": format!("{web}/{}/", workspace.slug)},
        },
    })
}

/// A repository; `caller` names the user in clone links, as Bitbucket does.
pub(super) fn repo_json(
    api: &str,
    web: &str,
    repo: &Repo,
    workspace: &Workspace,
    caller: Option<&str>,
) -> Value {
    let full = repo.full_name();
    let (scheme, host) = web.split_once("://").unwrap_or(("https", web));
    let userinfo = caller.map(|c| format!("{c}@")).unwrap_or_default();
    json!({
        "type": "repository",
        "uuid": repo.uuid,
        "full_name": full,
        "name": repo.slug,
        "slug": repo.slug,
        "is_private": repo.private,
        "scm": "git",
        "description": "",
        "language": "",
        "size": 1024,
        "has_issues": false,
        "has_wiki": false,
        "fork_policy": "no_public_forks",
        "created_on": time(repo.created_on),
        "updated_on": time(repo.updated_on),
        "mainbranch": {"type": "branch", "name": repo.mainbranch},
        "workspace": workspace_json(api, web, workspace),
        "project": {"type": "project", "key": repo.project, "name": repo.project},
        "links": {
            "self": {"href": format!("{api}/repositories/{full}")},
            "html": {"href": format!("{web}/{full}")},
            "hooks": {"href": format!("{api}/repositories/{full}/hooks")},
            "clone": [
                {"name": "https", "href": format!("{scheme}://{userinfo}{host}/{full}.git")},
                {"name": "ssh", "href": format!("git@{host}:{full}.git")},
            ],
        },
    })
}

/// A branch.
pub(super) fn branch_json(api: &str, web: &str, repo: &Repo, branch: &Branch) -> Value {
    let full = repo.full_name();
    json!({
        "type": "branch",
        "name": branch.name,
        "target": {
            "type": "commit",
            "hash": branch.hash,
            "date": time(repo.updated_on),
            "message": "Commit\n",
            "author": {"type": "author", "raw": "Mock <mock@example.com>"},
            "links": {"html": {"href": format!("{web}/{full}/commits/{}", branch.hash)}},
        },
        "links": {
            "self": {"href": format!("{api}/repositories/{full}/refs/branches/{}", branch.name)},
            "html": {"href": format!("{web}/{full}/branch/{}", branch.name)},
        },
    })
}

/// A webhook (the secret is never shown, only whether one is set).
pub(super) fn hook_json(api: &str, repo: &Repo, hook: &Hook) -> Value {
    let full = repo.full_name();
    let mut events = hook.events.clone();
    events.sort();
    json!({
        "type": "webhook_subscription",
        "uuid": hook.uuid,
        "url": hook.url,
        "description": hook.description,
        "subject_type": "repository",
        "subject": {"type": "repository", "full_name": full, "uuid": repo.uuid},
        "active": hook.active,
        "created_at": time(hook.created_at),
        "events": events,
        "secret_set": hook.secret.is_some(),
        "links": {"self": {"href": format!("{api}/repositories/{full}/hooks/{}", hook.uuid)}},
    })
}
