//! Normalization of GitHub webhook payloads (`push`, `pull_request`, `ping`) into the
//! provider-neutral `git-event`. Other events are `ignored`.
//!
//! The serde shapes are read straight from the payload's bytes, each event in one pass
//! that skips what is not needed (payloads run to tens of kilobytes). They tolerate the variations seen in real
//! deliveries (epoch or ISO dates, missing `repository` on organization pings, a deleted
//! fork as `head.repo: null`, `head_commit: null` on deletions).

use git_access_plugin_sdk::{timestamp, ProviderError};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::bindings::types::{
    Commit, EventDetail, GitEvent, PullRequestAction, PullRequestEvent, PushEvent,
};

/// What every event has: the repository (absent on organization pings) and the sender.
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

/// A `push` delivery, envelope included.
#[derive(Deserialize)]
struct Push {
    repository: Option<Repository>,
    sender: Option<Account>,
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
    commits: Vec<serde::de::IgnoredAny>,
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

/// A `pull_request` delivery, envelope included.
#[derive(Deserialize)]
struct PullRequestDelivery {
    repository: Option<Repository>,
    sender: Option<Account>,
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

/// Normalizes a verified delivery whose JSON payload is `json`; `event` is the
/// `X-GitHub-Event` header.
pub fn normalize(event: &str, delivery_id: &str, json: &[u8]) -> Result<GitEvent, ProviderError> {
    let (envelope, detail) = match event {
        "push" => {
            let mut delivery: Push = parse(event, json)?;
            let envelope = Envelope {
                repository: delivery.repository.take(),
                // A push by a deploy key may name no sender: fall back to the pusher.
                sender: delivery.sender.take().or_else(|| {
                    let name = delivery.pusher.as_ref()?.name.clone()?;
                    (!name.is_empty()).then_some(Account { login: name })
                }),
            };
            (envelope, EventDetail::Push(push(delivery)))
        }
        "pull_request" => {
            let mut delivery: PullRequestDelivery = parse(event, json)?;
            let envelope = Envelope {
                repository: delivery.repository.take(),
                sender: delivery.sender.take(),
            };
            (envelope, EventDetail::PullRequest(pull_request(delivery)))
        }
        "ping" => (parse(event, json)?, EventDetail::Ping),
        other => (parse(event, json)?, EventDetail::Ignored(other.to_string())),
    };
    let (repository, repository_id) = match envelope.repository {
        Some(repository) => (repository.full_name, repository.id.and_then(id_string)),
        // Organization and app pings concern no repository.
        None => (String::new(), None),
    };
    Ok(GitEvent {
        delivery_id: delivery_id.to_string(),
        provider_event: event.to_string(),
        repository,
        repository_id,
        sender: envelope.sender.map(|s| s.login).unwrap_or_default(),
        detail,
    })
}

fn parse<T: DeserializeOwned>(event: &str, json: &[u8]) -> Result<T, ProviderError> {
    serde_json::from_slice(json).map_err(|e| {
        ProviderError::InvalidInput(if e.is_data() {
            format!("malformed GitHub `{event}` payload: {e}")
        } else {
            format!("malformed GitHub delivery: the body is not JSON: {e}")
        })
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
        let event = normalize("push", "d-1", payload.to_string().as_bytes()).unwrap();
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
        let action_of = |value: serde_json::Value| match normalize(
            "pull_request",
            "d",
            value.to_string().as_bytes(),
        )
        .unwrap()
        .detail
        {
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
    fn a_push_without_sender_names_its_pusher() {
        let payload = json!({
            "ref": "refs/tags/v1", "before": "a", "after": "b",
            "repository": {"id": "7", "full_name": "o/r"},
            "pusher": {"name": "deploy-bot"}
        });
        let event = normalize("push", "d", payload.to_string().as_bytes()).unwrap();
        assert_eq!(event.sender, "deploy-bot");
        assert_eq!(event.repository_id.as_deref(), Some("7"));
    }

    #[test]
    fn other_events_are_ignored_and_bad_shapes_rejected() {
        let event = normalize("issues", "d", br#"{"action": "opened"}"#).unwrap();
        assert!(matches!(event.detail, EventDetail::Ignored(ref name) if name == "issues"));
        assert_eq!(event.repository, "");
        assert!(matches!(
            normalize("push", "d", br#"{"ref": 3}"#),
            Err(ProviderError::InvalidInput(m)) if m.contains("`push` payload")
        ));
        assert!(matches!(
            normalize("push", "d", b"Hello"),
            Err(ProviderError::InvalidInput(m)) if m.contains("not JSON")
        ));
        assert!(matches!(
            normalize("pull_request", "d", br#"{"action": "opened"}"#),
            Err(ProviderError::InvalidInput(_))
        ));
    }
}
