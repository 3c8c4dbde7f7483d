//! Normalization of GitHub webhook payloads (`push`, `pull_request`, `ping`) into the
//! provider-neutral `git-event`. Other events are `ignored`.
//!
//! The serde shapes read only what is needed and tolerate the variations seen in real
//! deliveries (epoch or ISO dates, missing `repository` on organization pings, a deleted
//! fork as `head.repo: null`, `head_commit: null` on deletions).

use git_access_plugin_sdk::{timestamp, ProviderError};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::bindings::types::{
    Commit, EventDetail, GitEvent, PullRequestAction, PullRequestEvent, PushEvent,
};

#[derive(Deserialize)]
struct Envelope {
    repository: Option<Repository>,
    sender: Option<Account>,
}

#[derive(Deserialize)]
struct Repository {
    id: Option<serde_json::Value>,
    full_name: String,
}

#[derive(Deserialize)]
struct Account {
    login: String,
}

#[derive(Deserialize)]
struct Push {
    #[serde(rename = "ref")]
    git_ref: String,
    before: String,
    after: String,
    #[serde(default)]
    created: bool,
    #[serde(default)]
    deleted: bool,
    head_commit: Option<PushCommit>,
    #[serde(default)]
    commits: Vec<serde_json::Value>,
    pusher: Option<Person>,
}

#[derive(Deserialize)]
struct PushCommit {
    id: String,
    #[serde(default)]
    message: String,
    timestamp: Option<String>,
    url: Option<String>,
    author: Option<Person>,
}

#[derive(Deserialize)]
struct Person {
    name: Option<String>,
    email: Option<String>,
    username: Option<String>,
}

#[derive(Deserialize)]
struct PullRequestDelivery {
    action: String,
    number: Option<u64>,
    pull_request: PullRequest,
}

#[derive(Deserialize)]
struct PullRequest {
    number: u64,
    #[serde(default)]
    title: String,
    html_url: String,
    #[serde(default)]
    merged: bool,
    head: BranchTip,
    base: BranchTip,
}

#[derive(Deserialize)]
struct BranchTip {
    #[serde(rename = "ref")]
    name: String,
    sha: String,
    repo: Option<Repository>,
}

/// Normalizes a verified delivery; `event` is the `X-GitHub-Event` header.
pub fn normalize(
    event: &str,
    delivery_id: &str,
    json: &serde_json::Value,
) -> Result<GitEvent, ProviderError> {
    let envelope: Envelope = parse(event, json)?;
    let detail = match event {
        "push" => EventDetail::Push(push(parse(event, json)?)),
        "pull_request" => EventDetail::PullRequest(pull_request(parse(event, json)?)),
        "ping" => EventDetail::Ping,
        other => EventDetail::Ignored(other.to_string()),
    };
    // Organization and app pings concern no repository.
    let repository = envelope
        .repository
        .as_ref()
        .map(|r| r.full_name.clone())
        .unwrap_or_default();
    let sender = envelope
        .sender
        .map(|s| s.login)
        .or_else(|| match &detail {
            EventDetail::Push(_) => pusher_name(json),
            _ => None,
        })
        .unwrap_or_default();
    Ok(GitEvent {
        delivery_id: delivery_id.to_string(),
        provider_event: event.to_string(),
        repository,
        repository_id: envelope.repository.and_then(|r| r.id).and_then(id_string),
        sender,
        detail,
    })
}

fn parse<T: DeserializeOwned>(event: &str, json: &serde_json::Value) -> Result<T, ProviderError> {
    T::deserialize(json).map_err(|e| {
        ProviderError::InvalidInput(format!("malformed GitHub `{event}` payload: {e}"))
    })
}

fn push(push: Push) -> PushEvent {
    let ref_name = ["refs/heads/", "refs/tags/"]
        .iter()
        .find_map(|prefix| push.git_ref.strip_prefix(prefix))
        .unwrap_or(&push.git_ref)
        .to_string();
    PushEvent {
        ref_name,
        before: push.before,
        after: push.after,
        created: push.created,
        deleted: push.deleted,
        head_commit: push.head_commit.map(commit),
        commit_count: u32::try_from(push.commits.len()).unwrap_or(u32::MAX),
        ref_: push.git_ref,
    }
}

fn commit(commit: PushCommit) -> Commit {
    let author = commit.author;
    Commit {
        sha: commit.id,
        message: commit.message,
        author_name: author
            .as_ref()
            .and_then(|a| a.name.clone().or_else(|| a.username.clone()))
            .unwrap_or_default(),
        author_email: author.and_then(|a| a.email).filter(|e| !e.is_empty()),
        url: commit.url,
        timestamp: commit
            .timestamp
            .as_deref()
            .and_then(timestamp::normalize_rfc3339),
    }
}

fn pull_request(delivery: PullRequestDelivery) -> PullRequestEvent {
    let pr = delivery.pull_request;
    let action = match delivery.action.as_str() {
        "opened" => PullRequestAction::Opened,
        "synchronize" => PullRequestAction::Synchronized,
        "closed" if pr.merged => PullRequestAction::Merged,
        "closed" => PullRequestAction::Closed,
        "reopened" => PullRequestAction::Reopened,
        "edited" => PullRequestAction::Edited,
        _ => PullRequestAction::Other,
    };
    let head_repo = pr.head.repo.map(|r| r.full_name);
    let base_repo = pr.base.repo.map(|r| r.full_name);
    let source_repository = head_repo.filter(|head| Some(head) != base_repo.as_ref());
    PullRequestEvent {
        number: delivery.number.unwrap_or(pr.number),
        action,
        provider_action: delivery.action,
        title: pr.title,
        url: pr.html_url,
        source_branch: pr.head.name,
        target_branch: pr.base.name,
        head_sha: pr.head.sha,
        source_repository,
    }
}

fn pusher_name(json: &serde_json::Value) -> Option<String> {
    Push::deserialize(json)
        .ok()?
        .pusher?
        .name
        .filter(|n| !n.is_empty())
}

fn id_string(id: serde_json::Value) -> Option<String> {
    match id {
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::String(s) if !s.is_empty() => Some(s),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn push_to_a_branch() {
        let payload = json!({
            "ref": "refs/heads/main",
            "before": "a".repeat(40),
            "after": "b".repeat(40),
            "created": false,
            "deleted": false,
            "head_commit": {
                "id": "b".repeat(40),
                "message": "Fix",
                "timestamp": "2018-06-15T13:01:51-07:00",
                "url": "https://github.com/o/r/commit/b",
                "author": {"name": "Ann", "email": "ann@example.com", "username": "ann"}
            },
            "commits": [{}, {}],
            "repository": {"id": 42, "full_name": "o/r", "created_at": 1528917567},
            "sender": {"login": "ann"}
        });
        let event = normalize("push", "d-1", &payload).unwrap();
        assert_eq!(event.repository, "o/r");
        assert_eq!(event.repository_id.as_deref(), Some("42"));
        assert_eq!(event.sender, "ann");
        let EventDetail::Push(push) = event.detail else {
            panic!("expected a push");
        };
        assert_eq!(push.ref_, "refs/heads/main");
        assert_eq!(push.ref_name, "main");
        assert_eq!(push.commit_count, 2);
        let head = push.head_commit.unwrap();
        assert_eq!(head.author_name, "Ann");
        assert_eq!(head.timestamp.as_deref(), Some("2018-06-15T20:01:51Z"));
    }

    #[test]
    fn merged_and_closed_pull_requests() {
        let pr = |action: &str, merged: bool| {
            json!({
                "action": action,
                "number": 5,
                "pull_request": {
                    "number": 5, "title": "T", "html_url": "https://github.com/o/r/pull/5",
                    "merged": merged,
                    "head": {"ref": "feature", "sha": "c".repeat(40), "repo": {"full_name": "o/r"}},
                    "base": {"ref": "main", "sha": "d".repeat(40), "repo": {"full_name": "o/r"}}
                },
                "repository": {"id": 1, "full_name": "o/r"},
                "sender": {"login": "bob"}
            })
        };
        let action_of = |value| match normalize("pull_request", "d", &value).unwrap().detail {
            EventDetail::PullRequest(p) => (p.action, p.source_repository),
            _ => panic!("expected a pull request"),
        };
        assert_eq!(
            action_of(pr("closed", true)),
            (PullRequestAction::Merged, None)
        );
        assert_eq!(action_of(pr("closed", false)).0, PullRequestAction::Closed);
        assert_eq!(
            action_of(pr("synchronize", false)).0,
            PullRequestAction::Synchronized
        );
        assert_eq!(action_of(pr("labeled", false)).0, PullRequestAction::Other);
    }

    #[test]
    fn other_events_are_ignored_and_bad_shapes_rejected() {
        let event = normalize("issues", "d", &json!({"action": "opened"})).unwrap();
        assert!(matches!(event.detail, EventDetail::Ignored(ref name) if name == "issues"));
        assert_eq!(event.repository, "");
        assert!(matches!(
            normalize("push", "d", &json!({"ref": 3})),
            Err(ProviderError::InvalidInput(_))
        ));
        assert!(matches!(
            normalize("pull_request", "d", &json!({"action": "opened"})),
            Err(ProviderError::InvalidInput(_))
        ));
    }
}
