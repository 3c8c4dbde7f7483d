//! Normalization of Bitbucket Cloud webhook payloads (`repo:push`, `pullrequest:*`) into
//! the provider-neutral `git-event`. Other events are `ignored`.
//!
//! Bitbucket's payloads need care: there are no `refs/…` strings (each change has `new`
//! and `old` refs `{type: branch|tag, name, target}`; `old` is null on creation, `new` on
//! deletion); a push may carry several changes (the first is reported); commit lists are
//! truncated at five; pull request commit hashes are 12 characters (reported as sent); no
//! payload has a clone URL; authors come as `raw` `Name <email>`; user names are
//! `username` in old payloads and `nickname` since 2019.

use git_access_plugin_sdk::{timestamp, ProviderError};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::bindings::types::{
    Commit, EventDetail, GitEvent, PullRequestAction, PullRequestEvent, PushEvent,
};

/// What a created or deleted ref's missing side is reported as, like the other providers.
const ZERO_SHA: &str = "0000000000000000000000000000000000000000";

#[derive(Deserialize)]
struct Envelope {
    repository: Option<Repository>,
    actor: Option<Account>,
}

#[derive(Deserialize)]
struct Repository {
    full_name: String,
    uuid: Option<String>,
}

#[derive(Deserialize)]
struct Account {
    username: Option<String>,
    nickname: Option<String>,
    display_name: Option<String>,
}

impl Account {
    fn login(self) -> Option<String> {
        self.username
            .or(self.nickname)
            .or(self.display_name)
            .filter(|s| !s.is_empty())
    }
}

#[derive(Deserialize)]
struct PushDelivery {
    push: Push,
}

#[derive(Deserialize)]
struct Push {
    #[serde(default)]
    changes: Vec<Change>,
}

#[derive(Deserialize)]
struct Change {
    new: Option<Ref>,
    old: Option<Ref>,
    #[serde(default)]
    created: bool,
    #[serde(default)]
    closed: bool,
    #[serde(default)]
    commits: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct Ref {
    #[serde(rename = "type")]
    kind: String,
    name: String,
    target: Option<TargetCommit>,
}

#[derive(Deserialize)]
struct TargetCommit {
    hash: String,
    message: Option<String>,
    date: Option<String>,
    author: Option<CommitAuthor>,
    links: Option<Links>,
}

/// A commit author: `raw` and a linked `user`, or (in documentation-shaped payloads) the
/// account itself.
#[derive(Deserialize)]
struct CommitAuthor {
    raw: Option<String>,
    user: Option<Account>,
    #[serde(flatten)]
    account: Account,
}

#[derive(Deserialize)]
struct Links {
    html: Option<Href>,
}

#[derive(Deserialize)]
struct Href {
    href: String,
}

#[derive(Deserialize)]
struct PullRequestDelivery {
    pullrequest: PullRequest,
}

#[derive(Deserialize)]
struct PullRequest {
    id: u64,
    #[serde(default)]
    title: String,
    links: Option<Links>,
    source: Endpoint,
    destination: Endpoint,
}

#[derive(Deserialize)]
struct Endpoint {
    branch: BranchName,
    commit: Option<ShortCommit>,
    repository: Option<Repository>,
}

#[derive(Deserialize)]
struct BranchName {
    name: String,
}

#[derive(Deserialize)]
struct ShortCommit {
    hash: String,
}

/// Normalizes a verified delivery; `event` is the `X-Event-Key` header.
pub fn normalize(
    event: &str,
    delivery_id: &str,
    json: &serde_json::Value,
) -> Result<GitEvent, ProviderError> {
    let envelope: Envelope = parse(event, json)?;
    let detail = match event {
        "repo:push" => match push(parse::<PushDelivery>(event, json)?.push) {
            Some(push) => EventDetail::Push(push),
            None => EventDetail::Ignored(event.to_string()),
        },
        _ if event.starts_with("pullrequest:") && json.get("pullrequest").is_some() => {
            EventDetail::PullRequest(pull_request(event, parse(event, json)?))
        }
        other => EventDetail::Ignored(other.to_string()),
    };
    let (repository, repository_id) = match envelope.repository {
        Some(repo) => (repo.full_name, repo.uuid),
        None => (String::new(), None),
    };
    Ok(GitEvent {
        delivery_id: delivery_id.to_string(),
        provider_event: event.to_string(),
        repository,
        repository_id,
        sender: envelope.actor.and_then(Account::login).unwrap_or_default(),
        detail,
    })
}

fn parse<T: DeserializeOwned>(event: &str, json: &serde_json::Value) -> Result<T, ProviderError> {
    T::deserialize(json).map_err(|e| {
        ProviderError::InvalidInput(format!("malformed Bitbucket `{event}` payload: {e}"))
    })
}

/// The first change of a push, or `None` when it has none.
fn push(push: Push) -> Option<PushEvent> {
    let change = push.changes.into_iter().next()?;
    let reference = change.new.as_ref().or(change.old.as_ref())?;
    let prefix = if reference.kind == "tag" {
        "refs/tags/"
    } else {
        "refs/heads/"
    };
    let ref_name = reference.name.clone();
    let hash = |side: &Option<Ref>| {
        side.as_ref()
            .and_then(|r| r.target.as_ref())
            .map_or_else(|| ZERO_SHA.to_string(), |t| t.hash.clone())
    };
    let before = hash(&change.old);
    let after = hash(&change.new);
    let deleted = change.closed || change.new.is_none();
    let created = change.created || change.old.is_none();
    let commit_count = match (deleted, change.commits.len()) {
        (true, _) => 0,
        // A new branch that reuses an existing commit lists none; its tip is still one.
        (false, 0) => u32::from(created && change.new.is_some()),
        (false, n) => u32::try_from(n).unwrap_or(u32::MAX),
    };
    let head_commit = change.new.and_then(|r| r.target).map(commit);
    Some(PushEvent {
        ref_: format!("{prefix}{ref_name}"),
        ref_name,
        before,
        after,
        created,
        deleted,
        head_commit,
        commit_count,
    })
}

fn commit(target: TargetCommit) -> Commit {
    let (raw_name, raw_email) = target
        .author
        .as_ref()
        .and_then(|a| a.raw.as_deref())
        .map(split_raw_author)
        .unwrap_or_default();
    let user_name = target.author.and_then(|a| {
        let account = a.user.unwrap_or(a.account);
        account
            .display_name
            .or(account.nickname)
            .or(account.username)
    });
    Commit {
        sha: target.hash,
        message: target.message.unwrap_or_default(),
        author_name: raw_name.or(user_name).unwrap_or_default(),
        author_email: raw_email,
        url: target.links.and_then(|l| l.html).map(|h| h.href),
        timestamp: target
            .date
            .as_deref()
            .and_then(timestamp::normalize_rfc3339),
    }
}

/// `Brad Rydzewski <brad@example.com>` → name and e-mail.
fn split_raw_author(raw: &str) -> (Option<String>, Option<String>) {
    let raw = raw.trim();
    match raw.rsplit_once('<') {
        Some((name, rest)) => {
            let email = rest.trim_end_matches('>').trim();
            let name = name.trim();
            (
                (!name.is_empty()).then(|| name.to_string()),
                (!email.is_empty()).then(|| email.to_string()),
            )
        }
        None => ((!raw.is_empty()).then(|| raw.to_string()), None),
    }
}

fn pull_request(event: &str, delivery: PullRequestDelivery) -> PullRequestEvent {
    let pr = delivery.pullrequest;
    let provider_action = event.trim_start_matches("pullrequest:").to_string();
    let action = match provider_action.as_str() {
        "created" => PullRequestAction::Opened,
        // Bitbucket sends `updated` for new commits and for edits alike; a deployment
        // must follow new commits, so it counts as new commits.
        "updated" => PullRequestAction::Synchronized,
        "fulfilled" => PullRequestAction::Merged,
        "rejected" => PullRequestAction::Closed,
        _ => PullRequestAction::Other,
    };
    let source_repo = pr.source.repository.map(|r| r.full_name);
    let target_repo = pr.destination.repository.map(|r| r.full_name);
    let source_repository = source_repo.filter(|s| Some(s) != target_repo.as_ref());
    PullRequestEvent {
        number: pr.id,
        action,
        provider_action,
        title: pr.title,
        url: pr
            .links
            .and_then(|l| l.html)
            .map(|h| h.href)
            .unwrap_or_default(),
        source_branch: pr.source.branch.name,
        target_branch: pr.destination.branch.name,
        head_sha: pr.source.commit.map(|c| c.hash).unwrap_or_default(),
        source_repository,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn target(hash: &str) -> serde_json::Value {
        json!({
            "hash": hash, "message": "Fix\n", "date": "2018-07-02T20:26:56+00:00",
            "author": {"raw": "Ann Smith <ann@example.com>", "user": {"nickname": "ann"}},
            "links": {"html": {"href": format!("https://bitbucket.org/acme/api/commits/{hash}")}}
        })
    }

    fn push_payload(new: serde_json::Value, old: serde_json::Value) -> serde_json::Value {
        json!({
            "actor": {"nickname": "ann", "display_name": "Ann"},
            "repository": {"full_name": "acme/api", "uuid": "{r-1}"},
            "push": {"changes": [{
                "new": new, "old": old,
                "created": old.is_null(), "closed": new.is_null(),
                "commits": if new.is_null() { json!([]) } else { json!([{"hash": "x"}]) }
            }]}
        })
    }

    #[test]
    fn branch_push() {
        let a = "a".repeat(40);
        let b = "b".repeat(40);
        let payload = push_payload(
            json!({"type": "branch", "name": "main", "target": target(&b)}),
            json!({"type": "branch", "name": "main", "target": target(&a)}),
        );
        let event = normalize("repo:push", "req-1", &payload).unwrap();
        assert_eq!(event.repository, "acme/api");
        assert_eq!(event.repository_id.as_deref(), Some("{r-1}"));
        assert_eq!(event.sender, "ann");
        let EventDetail::Push(push) = event.detail else {
            panic!("expected a push")
        };
        assert_eq!(push.ref_, "refs/heads/main");
        assert_eq!(
            (push.before.as_str(), push.after.as_str()),
            (a.as_str(), b.as_str())
        );
        assert!(!push.created && !push.deleted);
        let head = push.head_commit.unwrap();
        assert_eq!(head.author_name, "Ann Smith");
        assert_eq!(head.author_email.as_deref(), Some("ann@example.com"));
        assert_eq!(head.timestamp.as_deref(), Some("2018-07-02T20:26:56Z"));
        assert_eq!(push.commit_count, 1);
    }

    #[test]
    fn tag_creation_and_deletion() {
        let created = push_payload(
            json!({"type": "tag", "name": "feature/x", "target": target(&"c".repeat(40))}),
            serde_json::Value::Null,
        );
        let EventDetail::Push(push) = normalize("repo:push", "d", &created).unwrap().detail else {
            panic!("expected a push")
        };
        assert_eq!(push.ref_, "refs/tags/feature/x");
        assert_eq!(push.ref_name, "feature/x");
        assert!(push.created && push.before == ZERO_SHA);
        let deleted = push_payload(
            serde_json::Value::Null,
            json!({"type": "tag", "name": "v1", "target": target(&"c".repeat(40))}),
        );
        let EventDetail::Push(push) = normalize("repo:push", "d", &deleted).unwrap().detail else {
            panic!("expected a push")
        };
        assert!(push.deleted && push.after == ZERO_SHA && push.head_commit.is_none());
        assert_eq!(push.commit_count, 0);
    }

    #[test]
    fn pull_request_actions_and_forks() {
        let pr = |event: &str, source: &str| {
            let payload = json!({
                "actor": {"username": "bob"},
                "repository": {"full_name": "acme/api"},
                "pullrequest": {
                    "id": 4, "title": "T",
                    "links": {"html": {"href": "https://bitbucket.org/acme/api/pull-requests/4"}},
                    "source": {"branch": {"name": "feature"}, "commit": {"hash": "0704fc5beccc"},
                               "repository": {"full_name": source}},
                    "destination": {"branch": {"name": "main"}, "commit": {"hash": "7d1a175411ef"},
                                    "repository": {"full_name": "acme/api"}}
                }
            });
            match normalize(event, "d", &payload).unwrap().detail {
                EventDetail::PullRequest(p) => p,
                other => panic!("expected a pull request, got {other:?}"),
            }
        };
        let opened = pr("pullrequest:created", "acme/api");
        assert_eq!(opened.action, PullRequestAction::Opened);
        assert_eq!(opened.head_sha, "0704fc5beccc");
        assert_eq!(opened.source_repository, None);
        assert_eq!(
            pr("pullrequest:updated", "acme/api").action,
            PullRequestAction::Synchronized
        );
        assert_eq!(
            pr("pullrequest:fulfilled", "acme/api").action,
            PullRequestAction::Merged
        );
        assert_eq!(
            pr("pullrequest:rejected", "acme/api").action,
            PullRequestAction::Closed
        );
        let approved = pr("pullrequest:approved", "acme/api");
        assert_eq!(
            (approved.action, approved.provider_action.as_str()),
            (PullRequestAction::Other, "approved")
        );
        assert_eq!(
            pr("pullrequest:created", "bob/api")
                .source_repository
                .as_deref(),
            Some("bob/api")
        );
    }

    #[test]
    fn other_events_are_ignored_and_bad_shapes_rejected() {
        let event = normalize(
            "repo:updated",
            "d",
            &json!({"repository": {"full_name": "a/b"}}),
        )
        .unwrap();
        assert!(matches!(event.detail, EventDetail::Ignored(ref e) if e == "repo:updated"));
        let empty = normalize("repo:push", "d", &json!({"push": {"changes": []}})).unwrap();
        assert!(matches!(empty.detail, EventDetail::Ignored(_)));
        assert!(matches!(
            normalize("repo:push", "d", &json!({"push": 3})),
            Err(ProviderError::InvalidInput(_))
        ));
        assert_eq!(split_raw_author("Solo"), (Some("Solo".to_string()), None));
    }
}
