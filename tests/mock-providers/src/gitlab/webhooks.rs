//! Webhook deliveries as GitLab sends them: `Push Hook`, `Tag Push Hook` and
//! `Merge Request Hook` payloads (the shapes of GitLab's documentation), with
//! `X-Gitlab-Event`, `X-Gitlab-Token` (the hook's secret token, sent back as is),
//! `X-Gitlab-Event-UUID`, `X-Gitlab-Webhook-UUID`, `Idempotency-Key` and
//! `X-Gitlab-Instance`.
//!
//! Not modelled: retries (and so a stable `Idempotency-Key` across them), the optional
//! HMAC signing token (`webhook-signature`), system hooks, and auto-disabling of failing
//! hooks.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::state::{Hook, Project, User};
use crate::deliveries::{self, Delivery};

/// `User-Agent` of GitLab's deliveries.
const USER_AGENT: &str = "GitLab/17.6.0";

/// The headers and body GitLab would send for `event` with `payload` to a hook with this
/// UUID and secret token (`None`: no `X-Gitlab-Token`).
pub fn delivery_request(
    event: &str,
    delivery_id: &str,
    hook_uuid: &str,
    instance: &str,
    token: Option<&str>,
    payload: &Value,
) -> (Vec<(String, String)>, Vec<u8>) {
    let mut headers = vec![
        ("Content-Type".to_owned(), "application/json".to_owned()),
        ("User-Agent".to_owned(), USER_AGENT.to_owned()),
        ("X-Gitlab-Event".to_owned(), event.to_owned()),
        ("X-Gitlab-Webhook-UUID".to_owned(), hook_uuid.to_owned()),
        ("X-Gitlab-Event-UUID".to_owned(), delivery_id.to_owned()),
        ("Idempotency-Key".to_owned(), delivery_id.to_owned()),
        ("X-Gitlab-Instance".to_owned(), instance.to_owned()),
    ];
    if let Some(token) = token.filter(|t| !t.is_empty()) {
        headers.push(("X-Gitlab-Token".to_owned(), token.to_owned()));
    }
    (headers, payload.to_string().into_bytes())
}

/// Sends `event` to `hook` (blocking) and returns what was sent and what happened.
pub fn deliver(hook: &Hook, instance: &str, event: &str, payload: &Value) -> Delivery {
    let id = deliveries::new_delivery_id();
    let (headers, body) = delivery_request(
        event,
        &id,
        &hook.uuid,
        instance,
        hook.token.as_deref(),
        payload,
    );
    let outcome = deliveries::post(&hook.url, &headers, &body);
    Delivery {
        id,
        event: event.to_owned(),
        url: hook.url.clone(),
        headers,
        body,
        outcome,
    }
}

/// The `project` object of payloads.
pub fn project_payload(web: &str, project: &Project) -> Value {
    let full = project.full_path();
    let host = web.split_once("://").map_or(web, |(_, rest)| rest);
    json!({
        "id": project.id,
        "name": project.path,
        "description": "",
        "web_url": format!("{web}/{full}"),
        "avatar_url": null,
        "git_ssh_url": format!("git@{host}:{full}.git"),
        "git_http_url": format!("{web}/{full}.git"),
        "namespace": project.namespace.rsplit('/').next().unwrap_or(&project.namespace),
        "visibility_level": match project.visibility.as_str() { "public" => 20, "internal" => 10, _ => 0 },
        "path_with_namespace": full,
        "default_branch": project.default_branch,
        "homepage": format!("{web}/{full}"),
        "url": format!("git@{host}:{full}.git"),
        "ssh_url": format!("git@{host}:{full}.git"),
        "http_url": format!("{web}/{full}.git"),
    })
}

/// A push (`object_kind` `push`, or `tag_push` when `git_ref` is a tag) moving `git_ref`
/// from `before` to `after` with `commits` (id, message), newest last.
#[allow(clippy::too_many_arguments)]
pub fn push_payload(
    web: &str,
    project: &Project,
    user: &User,
    git_ref: &str,
    before: &str,
    after: &str,
    commits: &[(String, String)],
    at: DateTime<Utc>,
) -> Value {
    let tag = git_ref.starts_with("refs/tags/");
    let full = project.full_path();
    let listed: Vec<Value> = commits
        .iter()
        .map(|(id, message)| {
            json!({
                "id": id,
                "message": message,
                "title": message.lines().next().unwrap_or_default(),
                "timestamp": at.to_rfc3339(),
                "url": format!("{web}/{full}/-/commit/{id}"),
                "author": {"name": user.name, "email": format!("{}@example.com", user.username)},
                "added": [], "modified": ["README.md"], "removed": [],
            })
        })
        .collect();
    let deleted = after.bytes().all(|b| b == b'0');
    json!({
        "object_kind": if tag { "tag_push" } else { "push" },
        "event_name": if tag { "tag_push" } else { "push" },
        "before": before,
        "after": after,
        "ref": git_ref,
        "ref_protected": git_ref == format!("refs/heads/{}", project.default_branch),
        "checkout_sha": if deleted { Value::Null } else { json!(after) },
        "message": null,
        "user_id": user.id,
        "user_name": user.name,
        "user_username": user.username,
        "user_email": "",
        "user_avatar": null,
        "project_id": project.id,
        "project": project_payload(web, project),
        "commits": listed,
        "total_commits_count": commits.len(),
        "push_options": {},
        "repository": {
            "name": project.path,
            "url": format!("{web}/{full}.git"),
            "description": "",
            "homepage": format!("{web}/{full}"),
            "git_http_url": format!("{web}/{full}.git"),
            "visibility_level": 0,
        },
    })
}

/// A merge request event: `action` is GitLab's (`open`, `update`, `merge`, `close`,
/// `reopen`); `update` with `oldrev` when `new_commits`.
#[allow(clippy::too_many_arguments)]
pub fn merge_request_payload(
    web: &str,
    project: &Project,
    user: &User,
    action: &str,
    iid: u64,
    source: (&str, &str),
    target: &str,
    new_commits: bool,
) -> Value {
    let full = project.full_path();
    let state = match action {
        "merge" => "merged",
        "close" => "closed",
        _ => "opened",
    };
    let mut attributes = json!({
        "id": iid + 9000,
        "iid": iid,
        "title": format!("Merge request {iid}"),
        "description": "",
        "state": state,
        "action": action,
        "source_branch": source.0,
        "target_branch": target,
        "source_project_id": project.id,
        "target_project_id": project.id,
        "author_id": user.id,
        "url": format!("{web}/{full}/-/merge_requests/{iid}"),
        "source": project_payload(web, project),
        "target": project_payload(web, project),
        "last_commit": {
            "id": source.1,
            "message": "Change",
            "title": "Change",
            "timestamp": Utc::now().to_rfc3339(),
            "url": format!("{web}/{full}/-/commit/{}", source.1),
            "author": {"name": user.name, "email": format!("{}@example.com", user.username)},
        },
        "work_in_progress": false,
        "draft": false,
        "merge_status": "can_be_merged",
    });
    if new_commits {
        attributes["oldrev"] = json!("0".repeat(39) + "1");
    }
    json!({
        "object_kind": "merge_request",
        "event_type": "merge_request",
        "user": {"id": user.id, "name": user.name, "username": user.username, "avatar_url": null},
        "project": project_payload(web, project),
        "object_attributes": attributes,
        "labels": [],
        "changes": {},
        "repository": {
            "name": project.path,
            "url": format!("{web}/{full}.git"),
            "description": "",
            "homepage": format!("{web}/{full}"),
        },
    })
}
