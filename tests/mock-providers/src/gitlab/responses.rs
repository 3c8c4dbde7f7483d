//! GitLab's response conventions: error bodies (`{"message": "404 Project Not Found"}`,
//! OAuth-style `{"error": "insufficient_scope", …}`), pagination headers (`X-Page`,
//! `X-Next-Page`, `X-Total`, `Link`), and the JSON shapes of users, groups, projects,
//! branches, members, hooks and tokens.

use std::collections::BTreeMap;

use axum::{
    http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};

use super::state::{Branch, Group, Hook, Project, Token, User};
use crate::pagination::Page;

/// A JSON response.
pub(super) fn json_response(status: StatusCode, value: Value) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        value.to_string(),
    )
        .into_response()
}

/// GitLab's plain error: `{"message": "<status> <text>"}`.
pub(super) fn message(status: StatusCode, text: &str) -> Response {
    json_response(status, json!({ "message": text }))
}

/// `401 Unauthorized`, as GitLab words it for a missing, unknown, expired or revoked token.
pub(super) fn unauthorized(description: Option<&str>) -> Response {
    match description {
        None => message(StatusCode::UNAUTHORIZED, "401 Unauthorized"),
        Some(description) => json_response(
            StatusCode::UNAUTHORIZED,
            json!({"error": "invalid_token", "error_description": description}),
        ),
    }
}

/// `403 insufficient_scope` naming the scopes that would do.
pub(super) fn insufficient_scope(scopes: &[&str]) -> Response {
    json_response(
        StatusCode::FORBIDDEN,
        json!({
            "error": "insufficient_scope",
            "error_description": "The request requires higher privileges than provided by the access token.",
            "scope": scopes.join(" "),
        }),
    )
}

/// `403 Forbidden` (the role is too low).
pub(super) fn forbidden() -> Response {
    message(StatusCode::FORBIDDEN, "403 Forbidden")
}

/// `404 <what> Not Found`.
pub(super) fn not_found(what: &str) -> Response {
    message(StatusCode::NOT_FOUND, &format!("404 {what} Not Found"))
}

/// `400` with GitLab's `{"error": …}` for a bad parameter.
pub(super) fn bad_request(error: &str) -> Response {
    json_response(StatusCode::BAD_REQUEST, json!({ "error": error }))
}

/// Sets a header, leaving out values that are not valid header values.
pub(super) fn insert(headers: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(HeaderName::from_static(name), value);
    }
}

/// A page of items with GitLab's pagination headers.
pub(super) fn paged(page: &Page<Value>, url: &str, query: &BTreeMap<String, String>) -> Response {
    let mut response = json_response(StatusCode::OK, Value::Array(page.items.clone()));
    let headers = response.headers_mut();
    let text = |n: Option<usize>| n.map(|n| n.to_string()).unwrap_or_default();
    insert(headers, "x-page", &page.params.page.to_string());
    insert(headers, "x-per-page", &page.params.per_page.to_string());
    insert(headers, "x-next-page", &text(page.next_page()));
    insert(headers, "x-prev-page", &text(page.prev_page()));
    insert(headers, "x-total", &page.total.to_string());
    insert(headers, "x-total-pages", &page.last_page().to_string());
    if let Some(link) = page.link_header(url, query) {
        insert(headers, "link", &link);
    }
    response
}

/// RFC 3339 with milliseconds, as GitLab writes times.
pub(super) fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A user.
pub(super) fn user_json(web: &str, user: &User) -> Value {
    json!({
        "id": user.id,
        "username": user.username,
        "name": user.name,
        "state": "active",
        "locked": false,
        "bot": user.bot,
        "avatar_url": format!("{web}/uploads/-/system/user/avatar/{}/avatar.png", user.id),
        "web_url": format!("{web}/{}", user.username),
    })
}

/// A group.
pub(super) fn group_json(web: &str, group: &Group) -> Value {
    json!({
        "id": group.id,
        "name": group.path(),
        "path": group.path(),
        "full_name": group.full_path.replace('/', " / "),
        "full_path": group.full_path,
        "visibility": "private",
        "web_url": format!("{web}/groups/{}", group.full_path),
        "parent_id": null,
    })
}

/// A member (of a group or project) with its access level.
pub(super) fn member_json(web: &str, user: &User, level: u32) -> Value {
    let mut value = user_json(web, user);
    value["access_level"] = json!(level);
    value["membership_state"] = json!("active");
    value
}

/// A project; `access` is the caller's `(project, group)` access levels when signed in.
pub(super) fn project_json(
    web: &str,
    project: &Project,
    simple: bool,
    access: Option<(u32, u32)>,
) -> Value {
    let full = project.full_path();
    let mut value = json!({
        "id": project.id,
        "description": "",
        "name": project.path,
        "name_with_namespace": full.replace('/', " / "),
        "path": project.path,
        "path_with_namespace": full,
        "created_at": time(project.created_at),
        "default_branch": project.default_branch,
        "ssh_url_to_repo": format!("git@{}:{full}.git", host(web)),
        "http_url_to_repo": format!("{web}/{full}.git"),
        "web_url": format!("{web}/{full}"),
        "last_activity_at": time(project.last_activity_at),
        "namespace": {
            "path": project.namespace.rsplit('/').next().unwrap_or(&project.namespace),
            "full_path": project.namespace,
            "kind": if project.namespace.contains('/') { "group" } else { "group_or_user" },
        },
    });
    if !simple {
        value["visibility"] = json!(project.visibility.as_str());
        value["empty_repo"] = json!(project.branches.is_empty());
        value["archived"] = json!(false);
        if let Some((project_access, group_access)) = access {
            let level =
                |l: u32| (l > 0).then(|| json!({"access_level": l, "notification_level": 3}));
            value["permissions"] = json!({
                "project_access": level(project_access),
                "group_access": level(group_access),
            });
        }
    }
    value
}

/// A branch.
pub(super) fn branch_json(web: &str, project: &Project, branch: &Branch) -> Value {
    json!({
        "name": branch.name,
        "merged": false,
        "protected": branch.protected,
        "default": branch.name == project.default_branch,
        "developers_can_push": false,
        "developers_can_merge": false,
        "can_push": true,
        "web_url": format!("{web}/{}/-/tree/{}", project.full_path(), branch.name),
        "commit": {
            "id": branch.sha,
            "short_id": &branch.sha[..8.min(branch.sha.len())],
            "title": "Commit",
            "message": "Commit",
            "author_name": "Mock",
        },
    })
}

/// A project hook (the token is never shown).
pub(super) fn hook_json(project: &Project, hook: &Hook) -> Value {
    json!({
        "id": hook.id,
        "url": hook.url,
        "name": hook.name,
        "description": hook.description,
        "project_id": project.id,
        "push_events": hook.push_events,
        "push_events_branch_filter": "",
        "tag_push_events": hook.tag_push_events,
        "merge_requests_events": hook.merge_requests_events,
        "issues_events": hook.issues_events,
        "confidential_issues_events": false,
        "note_events": false,
        "confidential_note_events": null,
        "job_events": false,
        "pipeline_events": false,
        "wiki_page_events": false,
        "deployment_events": false,
        "releases_events": false,
        "enable_ssl_verification": hook.enable_ssl_verification,
        "alert_status": "executable",
        "disabled_until": null,
        "created_at": time(hook.created_at),
    })
}

/// An access token, as `GET /personal_access_tokens/self` shows it.
pub(super) fn token_json(token: &Token) -> Value {
    json!({
        "id": token.id,
        "name": token.name,
        "revoked": token.revoked,
        "created_at": time(token.created_at),
        "description": null,
        "scopes": token.scopes,
        "user_id": token.user_id,
        "last_used_at": time(Utc::now()),
        "active": !token.revoked,
        "expires_at": token.expires_at.map(|d| d.format("%Y-%m-%d").to_string()),
    })
}

/// The host (and port) of a web URL, for SSH URLs.
fn host(web: &str) -> &str {
    web.split_once("://")
        .map_or(web, |(_, rest)| rest.split('/').next().unwrap_or(rest))
}
