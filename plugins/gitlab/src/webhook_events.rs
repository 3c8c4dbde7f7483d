//! Normalization of GitLab webhook payloads (push, tag push, merge request) into the
//! provider-neutral `git-event`. Other events are `ignored`.
//!
//! The payload's `object_kind` decides (GitLab's system hooks carry only `event_name`), not
//! the `X-Gitlab-Event` header: tools send tag pushes as `Push Hook`, and system hooks
//! arrive as `System Hook`. Shapes to respect: `commits` is capped at 20 while
//! `total_commits_count` may be larger; a created ref has `before` all zeros, a deleted
//! one `after` all zeros and no commits; older payloads lack `user_username` and
//! merge-request `action`.

use git_access_plugin_sdk::{timestamp, ProviderError};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::bindings::types::{
    Commit, EventDetail, GitEvent, PullRequestAction, PullRequestEvent, PushEvent,
};

#[derive(Deserialize)]
struct Project {
    id: Option<u64>,
    path_with_namespace: Option<String>,
    web_url: Option<String>,
}

#[derive(Deserialize)]
struct Push {
    #[serde(rename = "ref")]
    git_ref: String,
    #[serde(default)]
    before: String,
    #[serde(default)]
    after: String,
    checkout_sha: Option<String>,
    user_username: Option<String>,
    user_name: Option<String>,
    project_id: Option<u64>,
    project: Option<Project>,
    #[serde(default)]
    commits: Vec<PushCommit>,
    total_commits_count: Option<u32>,
}

#[derive(Deserialize)]
struct PushCommit {
    id: String,
    #[serde(default)]
    message: String,
    timestamp: Option<String>,
    url: Option<String>,
    author: Option<Author>,
}

#[derive(Deserialize)]
struct Author {
    name: Option<String>,
    email: Option<String>,
}

#[derive(Deserialize)]
struct MergeRequestDelivery {
    user: Option<User>,
    project: Option<Project>,
    object_attributes: MergeRequest,
}

#[derive(Deserialize)]
struct User {
    username: Option<String>,
    name: Option<String>,
}

#[derive(Deserialize)]
struct MergeRequest {
    iid: u64,
    #[serde(default)]
    title: String,
    #[serde(default)]
    url: String,
    source_branch: String,
    target_branch: String,
    source_project_id: Option<u64>,
    target_project_id: Option<u64>,
    source: Option<Project>,
    target: Option<Project>,
    state: Option<String>,
    action: Option<String>,
    /// Present when new commits were pushed to the source branch.
    oldrev: Option<String>,
    last_commit: Option<LastCommit>,
}

#[derive(Deserialize)]
struct LastCommit {
    id: String,
}

/// Normalizes a verified delivery; `event` is the `X-Gitlab-Event` header.
pub fn normalize(
    event: &str,
    delivery_id: &str,
    json: &serde_json::Value,
) -> Result<GitEvent, ProviderError> {
    let kind = json
        .get("object_kind")
        .or_else(|| json.get("event_name"))
        .and_then(|k| k.as_str())
        .unwrap_or(match event {
            "Push Hook" => "push",
            "Tag Push Hook" => "tag_push",
            "Merge Request Hook" => "merge_request",
            _ => "",
        });
    let (repository, repository_id, sender, detail) = match kind {
        "push" | "tag_push" => {
            let push: Push = parse(event, json)?;
            let repository = push
                .project
                .as_ref()
                .and_then(|p| p.path_with_namespace.clone());
            let repository_id = push.project_id.or(push.project.as_ref().and_then(|p| p.id));
            let sender = push
                .user_username
                .clone()
                .filter(|u| !u.is_empty())
                .or(push.user_name.clone());
            (
                repository,
                repository_id,
                sender,
                EventDetail::Push(push_event(push)),
            )
        }
        "merge_request" => {
            let delivery: MergeRequestDelivery = parse(event, json)?;
            let repository = delivery
                .project
                .as_ref()
                .and_then(|p| p.path_with_namespace.clone())
                .or_else(|| {
                    let target = delivery.object_attributes.target.as_ref()?;
                    target.path_with_namespace.clone()
                });
            let repository_id = delivery
                .project
                .as_ref()
                .and_then(|p| p.id)
                .or(delivery.object_attributes.target_project_id);
            let sender = delivery
                .user
                .as_ref()
                .and_then(|u| u.username.clone().or(u.name.clone()));
            let project_url = delivery.project.and_then(|p| p.web_url);
            (
                repository,
                repository_id,
                sender,
                EventDetail::PullRequest(merge_request(
                    delivery.object_attributes,
                    project_url.as_deref(),
                )),
            )
        }
        _ => {
            let envelope: Envelope = parse(event, json)?;
            let name = if event.is_empty() { kind } else { event };
            (
                envelope.project.and_then(|p| p.path_with_namespace),
                envelope.project_id,
                envelope.user_username,
                EventDetail::Ignored(name.to_string()),
            )
        }
    };
    Ok(GitEvent {
        delivery_id: delivery_id.to_string(),
        provider_event: event.to_string(),
        repository: repository.unwrap_or_default(),
        repository_id: repository_id.map(|id| id.to_string()),
        sender: sender.unwrap_or_default(),
        detail,
    })
}

/// What any GitLab event may carry about its project and user.
#[derive(Deserialize)]
struct Envelope {
    project: Option<Project>,
    project_id: Option<u64>,
    user_username: Option<String>,
}

fn parse<T: DeserializeOwned>(event: &str, json: &serde_json::Value) -> Result<T, ProviderError> {
    T::deserialize(json).map_err(|e| {
        ProviderError::InvalidInput(format!("malformed GitLab `{event}` payload: {e}"))
    })
}

fn is_zero(sha: &str) -> bool {
    !sha.is_empty() && sha.bytes().all(|b| b == b'0')
}

fn push_event(push: Push) -> PushEvent {
    let ref_name = ["refs/heads/", "refs/tags/"]
        .iter()
        .find_map(|prefix| push.git_ref.strip_prefix(prefix))
        .unwrap_or(&push.git_ref)
        .to_string();
    let deleted = is_zero(&push.after);
    let created = is_zero(&push.before);
    // The newest commit is the one the ref now points at; GitLab lists oldest first.
    let head_id = push
        .checkout_sha
        .clone()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| push.after.clone());
    let listed = u32::try_from(push.commits.len()).unwrap_or(u32::MAX);
    let mut commits = push.commits;
    let head = match commits.iter().position(|c| c.id == head_id) {
        Some(index) => Some(commits.swap_remove(index)),
        None if !deleted => commits.pop(),
        None => None,
    };
    PushEvent {
        ref_name,
        before: push.before,
        after: push.after,
        created,
        deleted,
        head_commit: head.map(commit),
        commit_count: push.total_commits_count.unwrap_or(listed).max(listed),
        ref_: push.git_ref,
    }
}

fn commit(commit: PushCommit) -> Commit {
    Commit {
        sha: commit.id,
        message: commit.message,
        author_name: commit
            .author
            .as_ref()
            .and_then(|a| a.name.clone())
            .unwrap_or_default(),
        author_email: commit
            .author
            .and_then(|a| a.email)
            .filter(|e| !e.is_empty() && e != "[REDACTED]"),
        url: commit.url,
        timestamp: commit
            .timestamp
            .as_deref()
            .and_then(timestamp::normalize_rfc3339),
    }
}

/// A merge request's details; its web URL is rebuilt from the project's when the payload
/// lacks one (system hooks).
fn merge_request(mr: MergeRequest, project_url: Option<&str>) -> PullRequestEvent {
    let provider_action = mr
        .action
        .clone()
        .or_else(|| mr.state.clone())
        .unwrap_or_default();
    let action = match provider_action.as_str() {
        "open" | "opened" => PullRequestAction::Opened,
        "reopen" => PullRequestAction::Reopened,
        "close" | "closed" => PullRequestAction::Closed,
        "merge" | "merged" => PullRequestAction::Merged,
        // `update` covers both new commits (then `oldrev` is set) and edits.
        "update" if mr.oldrev.as_deref().is_some_and(|r| !r.is_empty()) => {
            PullRequestAction::Synchronized
        }
        "update" => PullRequestAction::Edited,
        _ => PullRequestAction::Other,
    };
    let url = match (mr.url.is_empty(), project_url) {
        (true, Some(project)) => format!(
            "{}/-/merge_requests/{}",
            project.trim_end_matches('/'),
            mr.iid
        ),
        _ => mr.url,
    };
    let fork = match (mr.source_project_id, mr.target_project_id) {
        (Some(source), Some(target)) => source != target,
        _ => false,
    };
    let source_repository = fork
        .then(|| mr.source.and_then(|s| s.path_with_namespace))
        .flatten();
    PullRequestEvent {
        number: mr.iid,
        action,
        provider_action,
        title: mr.title,
        url,
        source_branch: mr.source_branch,
        target_branch: mr.target_branch,
        head_sha: mr.last_commit.map(|c| c.id).unwrap_or_default(),
        source_repository,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn push(before: &str, after: &str, commits: serde_json::Value) -> serde_json::Value {
        json!({
            "object_kind": "push", "ref": "refs/heads/main", "before": before, "after": after,
            "checkout_sha": if after.starts_with('0') { serde_json::Value::Null } else { json!(after) },
            "user_username": "ann", "user_name": "Ann", "project_id": 7,
            "project": {"id": 7, "path_with_namespace": "acme/platform/api"},
            "commits": commits, "total_commits_count": 25
        })
    }

    #[test]
    fn push_picks_the_head_commit_and_counts_all() {
        let b = "b".repeat(40);
        let payload = push(
            &"a".repeat(40),
            &b,
            json!([
                {"id": b, "message": "Newest", "timestamp": "2012-01-03T23:36:29+02:00",
                 "author": {"name": "Ann", "email": "ann@example.com"}},
                {"id": "c".repeat(40), "message": "Older", "author": {"name": "Bob", "email": "[REDACTED]"}}
            ]),
        );
        let event = normalize("Push Hook", "uuid-1", &payload).unwrap();
        assert_eq!(event.repository, "acme/platform/api");
        assert_eq!(event.repository_id.as_deref(), Some("7"));
        assert_eq!(event.sender, "ann");
        let EventDetail::Push(push) = event.detail else {
            panic!("expected a push")
        };
        assert_eq!(push.ref_name, "main");
        assert_eq!(push.commit_count, 25);
        let head = push.head_commit.unwrap();
        assert_eq!(head.message, "Newest");
        assert_eq!(head.timestamp.as_deref(), Some("2012-01-03T21:36:29Z"));
        assert!(!push.created && !push.deleted);
    }

    #[test]
    fn branch_deletion_has_no_head_commit() {
        let payload = push(&"a".repeat(40), &"0".repeat(40), json!([]));
        let EventDetail::Push(push) = normalize("Push Hook", "d", &payload).unwrap().detail else {
            panic!("expected a push")
        };
        assert!(push.deleted && push.head_commit.is_none());
    }

    #[test]
    fn merge_request_actions() {
        let mr = |action: &str, oldrev: Option<&str>, source: u64| {
            json!({
                "object_kind": "merge_request",
                "user": {"username": "bob", "name": "Bob"},
                "project": {"id": 1, "path_with_namespace": "acme/api"},
                "object_attributes": {
                    "iid": 3, "title": "T", "url": "https://gitlab.com/acme/api/-/merge_requests/3",
                    "source_branch": "feature", "target_branch": "main",
                    "source_project_id": source, "target_project_id": 1,
                    "source": {"path_with_namespace": "bob/api"},
                    "state": "opened", "action": action, "oldrev": oldrev,
                    "last_commit": {"id": "d".repeat(40)}
                }
            })
        };
        let pr = |value| match normalize("Merge Request Hook", "d", &value).unwrap().detail {
            EventDetail::PullRequest(p) => p,
            _ => panic!("expected a merge request"),
        };
        let opened = pr(mr("open", None, 1));
        assert_eq!(opened.action, PullRequestAction::Opened);
        assert_eq!(opened.number, 3);
        assert_eq!(opened.source_repository, None);
        assert_eq!(
            pr(mr("update", Some(&"e".repeat(40)), 1)).action,
            PullRequestAction::Synchronized
        );
        assert_eq!(pr(mr("update", None, 1)).action, PullRequestAction::Edited);
        assert_eq!(pr(mr("merge", None, 1)).action, PullRequestAction::Merged);
        assert_eq!(pr(mr("approved", None, 1)).action, PullRequestAction::Other);
        let fork = pr(mr("open", None, 9));
        assert_eq!(fork.source_repository.as_deref(), Some("bob/api"));
    }

    #[test]
    fn other_events_are_ignored_and_bad_shapes_rejected() {
        let event = normalize(
            "Issue Hook",
            "d",
            &json!({"object_kind": "issue", "project": {"path_with_namespace": "a/b"}}),
        )
        .unwrap();
        assert!(matches!(event.detail, EventDetail::Ignored(ref e) if e == "Issue Hook"));
        assert_eq!(event.repository, "a/b");
        assert!(matches!(
            normalize("Push Hook", "d", &json!({"object_kind": "push", "ref": 3})),
            Err(ProviderError::InvalidInput(_))
        ));
        assert!(matches!(
            normalize(
                "Merge Request Hook",
                "d",
                &json!({"object_kind": "merge_request"})
            ),
            Err(ProviderError::InvalidInput(_))
        ));
    }
}
