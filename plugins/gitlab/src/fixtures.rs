//! Tests against the real, published webhook deliveries in `../shared/fixtures/webhooks`
//! (see its MANIFEST.md). The folder is not part of this repository; when it is missing the
//! tests say so and pass. `GIT_ACCESS_WEBHOOK_FIXTURES` may point elsewhere.

use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::bindings::types::{Delivery, EventDetail, GitEvent, Header, PullRequestAction};
use crate::webhook_verify::verify_webhook;
use git_access_plugin_sdk::webhook_fixtures::{self, read_json};
use git_access_plugin_sdk::ProviderError;

fn fixtures_dir() -> Option<PathBuf> {
    webhook_fixtures::fixtures_dir(env!("CARGO_MANIFEST_DIR"))
}

/// Delivers `body` as GitLab would, with the secret token, and runs `verify-webhook`.
fn deliver(event: &str, body: &[u8]) -> Result<GitEvent, ProviderError> {
    let headers = [
        ("X-Gitlab-Event", event),
        ("X-Gitlab-Token", "fixture-secret"),
        (
            "X-Gitlab-Event-UUID",
            "13792a34-cac6-4fda-95a8-c58e00a3954e",
        ),
        ("Content-Type", "application/json"),
    ];
    let delivery = Delivery {
        headers: headers
            .iter()
            .map(|(n, v)| Header {
                name: n.to_string(),
                value: v.to_string(),
            })
            .collect(),
        body: body.to_vec(),
    };
    verify_webhook("fixture-secret", &delivery)
}

fn fixture(dir: &Path, event: &str, file: &str) -> GitEvent {
    let body = std::fs::read(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    deliver(event, &body).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// The header value without the manifest's notes: `Push Hook (sic: …)` → `Push Hook`.
fn header_value(event: &str) -> &str {
    event.split(" (").next().unwrap_or(event).trim()
}

#[test]
fn token_vectors() {
    let Some(dir) = fixtures_dir() else { return };
    let vectors = read_json(&dir.join("vectors.json"));
    let mut checked = 0;
    for vector in vectors["vectors"].as_array().into_iter().flatten() {
        let headers = vector["headers"].as_object().unwrap();
        if vector["provider"] != "gitlab" || !headers.contains_key("X-Gitlab-Token") {
            continue;
        }
        let id = vector["id"].as_str().unwrap_or_default();
        let file = vector["payload_file"].as_str().unwrap();
        let body = std::fs::read(dir.join(file)).unwrap();
        assert_eq!(
            hex::encode(Sha256::digest(&body)),
            vector["payload_sha256"].as_str().unwrap(),
            "{id}: payload bytes changed"
        );
        let delivery = Delivery {
            headers: headers
                .iter()
                .map(|(name, value)| Header {
                    name: name.clone(),
                    value: value.as_str().unwrap().to_string(),
                })
                .collect(),
            body,
        };
        let expect_valid = vector["expect"]
            .as_str()
            .is_some_and(|e| e.starts_with("valid"));
        let result = verify_webhook(vector["secret"].as_str().unwrap(), &delivery);
        match result {
            Ok(event) => {
                assert!(expect_valid, "{id}: accepted a wrong token");
                assert!(!event.repository.is_empty(), "{id}: no repository");
                if let Some(key) = headers.get("Idempotency-Key").and_then(Value::as_str) {
                    assert_eq!(event.delivery_id, key, "{id}");
                }
            }
            Err(ProviderError::Unauthorized(_)) => assert!(!expect_valid, "{id}: rejected"),
            Err(other) => panic!("{id}: unexpected {other:?}"),
        }
        checked += 1;
    }
    assert!(checked >= 8, "only {checked} GitLab token vectors found");
}

/// Every GitLab payload normalizes into the detail its event calls for.
#[test]
fn every_gitlab_payload_normalizes() {
    let Some(dir) = fixtures_dir() else { return };
    let files = read_json(&dir.join("files.json"));
    let mut checked = 0;
    for file in files.as_array().unwrap() {
        let name = file["file"].as_str().unwrap();
        if file["provider"] != "gitlab" || name.ends_with(".golden") {
            continue;
        }
        let event = header_value(file["event"].as_str().unwrap());
        let body = std::fs::read(dir.join(name)).unwrap();
        let json: Value = serde_json::from_slice(&body).unwrap();
        let normalized = deliver(event, &body).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(normalized.provider_event, event);
        assert_eq!(
            normalized.delivery_id,
            "13792a34-cac6-4fda-95a8-c58e00a3954e"
        );
        let kind = json["object_kind"]
            .as_str()
            .or(json["event_name"].as_str())
            .unwrap();
        let ok = match (&normalized.detail, kind) {
            (EventDetail::Push(p), "push" | "tag_push") => {
                p.ref_.starts_with("refs/")
                    && !p.ref_name.contains("refs/")
                    && !p.after.is_empty()
                    && (p.deleted || p.head_commit.is_some() || kind == "tag_push")
                    && p.commit_count
                        >= u32::try_from(json["commits"].as_array().unwrap().len()).unwrap()
            }
            (EventDetail::PullRequest(p), "merge_request") => {
                p.number > 0
                    && !p.source_branch.is_empty()
                    && !p.target_branch.is_empty()
                    && !p.url.is_empty()
            }
            _ => false,
        };
        assert!(ok, "{name}: {kind} normalized to {:?}", normalized.detail);
        assert!(normalized.repository.contains('/'), "{name}: no repository");
        assert!(!normalized.sender.is_empty(), "{name}: no sender");
        checked += 1;
    }
    assert!(checked >= 24, "only {checked} GitLab payloads found");
}

/// Pushes agree with go-scm's normalized expectations.
#[test]
fn pushes_match_go_scm_goldens() {
    let Some(dir) = fixtures_dir() else { return };
    for (name, event) in [
        ("push", "Push Hook"),
        ("push_subgroup", "Push Hook"),
        ("branch_create", "Push Hook"),
        ("tag_create", "Tag Push Hook"),
    ] {
        let file = format!("gitlab/go-scm/{name}.json");
        let golden = read_json(&dir.join(format!("{file}.golden")));
        let normalized = fixture(&dir, event, &file);
        let EventDetail::Push(push) = &normalized.detail else {
            panic!("{name}: not a push");
        };
        assert_eq!(push.ref_, golden["Ref"], "{name}");
        assert_eq!(push.before, golden["Before"], "{name}");
        assert_eq!(push.after, golden["After"], "{name}");
        assert_eq!(
            push.created,
            golden["Before"]
                .as_str()
                .unwrap()
                .bytes()
                .all(|b| b == b'0'),
            "{name}"
        );
        assert_eq!(
            normalized.repository_id.as_deref(),
            golden["Repo"]["ID"].as_str(),
            "{name}"
        );
        assert_eq!(
            normalized.repository,
            format!(
                "{}/{}",
                golden["Repo"]["Namespace"].as_str().unwrap(),
                golden["Repo"]["Name"].as_str().unwrap()
            ),
            "{name}"
        );
        assert_eq!(normalized.sender, golden["Sender"]["Login"], "{name}");
        let head = push.head_commit.as_ref().expect("a head commit");
        assert_eq!(head.sha, golden["Commit"]["Sha"], "{name}");
        assert_eq!(head.message, golden["Commit"]["Message"], "{name}");
        assert_eq!(
            head.author_name, golden["Commit"]["Author"]["Name"],
            "{name}"
        );
        assert_eq!(
            head.url.as_deref(),
            golden["Commit"]["Link"].as_str(),
            "{name}"
        );
    }
    // Deletions: go-scm reports the deleted ref and the commit it pointed at.
    for (name, event) in [
        ("branch_delete", "Push Hook"),
        ("branch_delete_subgroup", "Push Hook"),
        ("tag_delete", "Push Hook"),
        ("tag_delete_subgroup", "Tag Push Hook"),
    ] {
        let file = format!("gitlab/go-scm/{name}.json");
        let golden = read_json(&dir.join(format!("{file}.golden")));
        let normalized = fixture(&dir, event, &file);
        let EventDetail::Push(push) = &normalized.detail else {
            panic!("{name}: not a push");
        };
        assert!(push.deleted && !push.created, "{name}");
        assert_eq!(push.ref_name, golden["Ref"]["Name"], "{name}");
        assert_eq!(push.before, golden["Ref"]["Sha"], "{name}");
        assert!(push.head_commit.is_none(), "{name}");
        assert_eq!(push.ref_.starts_with("refs/tags/"), name.starts_with("tag"));
    }
}

/// Merge requests agree with go-scm's normalized expectations (except go-scm's
/// `review_ready`, which is really a move into draft: an edit here).
#[test]
fn merge_requests_match_go_scm_goldens() {
    let Some(dir) = fixtures_dir() else { return };
    let cases = [
        ("pull_request_create", PullRequestAction::Opened),
        ("pull_request_close", PullRequestAction::Closed),
        ("pull_request_reopen", PullRequestAction::Reopened),
        ("pull_request_merge", PullRequestAction::Merged),
        ("merge_request_subgroup", PullRequestAction::Opened),
        ("pull_request_review_ready", PullRequestAction::Edited),
    ];
    for (name, action) in cases {
        let file = format!("gitlab/go-scm/{name}.json");
        let golden = read_json(&dir.join(format!("{file}.golden")));
        let pr_golden = &golden["PullRequest"];
        let event = fixture(&dir, "Merge Request Hook", &file);
        let EventDetail::PullRequest(pr) = &event.detail else {
            panic!("{name}: not a merge request");
        };
        assert_eq!(pr.action, action, "{name}");
        assert_eq!(Some(pr.number), pr_golden["Number"].as_u64(), "{name}");
        assert_eq!(pr.title, pr_golden["Title"], "{name}");
        assert_eq!(pr.url, pr_golden["Link"], "{name}");
        assert_eq!(pr.head_sha, pr_golden["Sha"], "{name}");
        assert_eq!(pr.source_branch, pr_golden["Source"], "{name}");
        assert_eq!(pr.target_branch, pr_golden["Target"], "{name}");
        // go-scm's `Fork` is the source namespace even for same-project merge requests.
        assert_eq!(pr.source_repository, None, "{name}");
        assert_eq!(event.sender, golden["Sender"]["Login"], "{name}");
    }
}

/// The GitLab docs examples: push with more commits than listed, tag push, open MR.
#[test]
fn docs_examples() {
    let Some(dir) = fixtures_dir() else { return };
    let event = fixture(&dir, "Push Hook", "gitlab/push.json");
    assert_eq!(event.repository, "mike/diaspora");
    assert_eq!(event.sender, "jsmith");
    let EventDetail::Push(push) = event.detail else {
        panic!("push.json")
    };
    assert_eq!(
        push.commit_count, 4,
        "total_commits_count, not the 2 listed"
    );
    let head = push.head_commit.expect("head commit");
    assert_eq!(head.sha, "da1560886d4f094c3e6c9ef40349f7d38b5d27d7");
    assert_eq!(head.timestamp.as_deref(), Some("2012-01-03T21:36:29Z"));

    let event = fixture(&dir, "Tag Push Hook", "gitlab/tag_push.json");
    let EventDetail::Push(push) = event.detail else {
        panic!("tag_push.json")
    };
    assert_eq!((push.ref_name.as_str(), push.created), ("v1.0.0", true));
    assert_eq!(event.sender, "John Smith", "no user_username: the name");

    let event = fixture(&dir, "Merge Request Hook", "gitlab/merge_request.open.json");
    let EventDetail::PullRequest(pr) = event.detail else {
        panic!("merge_request.open.json")
    };
    assert_eq!(pr.action, PullRequestAction::Opened);
    assert_eq!(pr.head_sha.len(), 40);

    let event = fixture(
        &dir,
        "System Hook",
        "gitlab/go-playground/system-push-event.json",
    );
    assert!(matches!(event.detail, EventDetail::Push(_)));
}
