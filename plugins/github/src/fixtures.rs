//! Tests against the real, published webhook deliveries in `../shared/fixtures/webhooks`
//! (see its MANIFEST.md). The folder is not part of this repository; when it is missing the
//! tests say so and pass. `GIT_ACCESS_WEBHOOK_FIXTURES` may point elsewhere.

use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::bindings::types::{Delivery, EventDetail, GitEvent, Header, PullRequestAction};
use crate::webhook_verify::verify_webhook;
use git_access_plugin_sdk::webhook_fixtures::{self, read_json};
use git_access_plugin_sdk::{signature, ProviderError};

fn fixtures_dir() -> Option<PathBuf> {
    webhook_fixtures::fixtures_dir(env!("CARGO_MANIFEST_DIR"))
}

/// Signs `body` like GitHub and runs the full `verify-webhook` path.
fn deliver(event: &str, body: &[u8]) -> Result<GitEvent, ProviderError> {
    let secret = "fixture-secret";
    let signature = format!(
        "sha256={}",
        signature::hmac_sha256_hex(secret.as_bytes(), body)
    );
    let headers = [
        ("X-GitHub-Event", event),
        ("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958"),
        ("X-Hub-Signature-256", signature.as_str()),
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
    verify_webhook(secret, &delivery)
}

fn fixture(dir: &Path, event: &str, file: &str) -> GitEvent {
    let body = std::fs::read(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    deliver(event, &body).unwrap_or_else(|e| panic!("{file}: {e}"))
}

#[test]
fn signature_vectors() {
    let Some(dir) = fixtures_dir() else { return };
    let vectors = read_json(&dir.join("vectors.json"));
    let mut checked = 0;
    for vector in vectors["vectors"].as_array().into_iter().flatten() {
        if vector["provider"] != "github" {
            continue;
        }
        let id = vector["id"].as_str().unwrap_or_default();
        let mut body = if let Some(hex) = vector["payload_hex"].as_str() {
            hex::decode(hex).unwrap()
        } else if let Some(text) = vector["payload_text"].as_str() {
            text.as_bytes().to_vec()
        } else {
            let file = vector["payload_file"].as_str().unwrap();
            std::fs::read(dir.join(file)).unwrap()
        };
        if let Some(expected) = vector["payload_sha256"].as_str() {
            assert_eq!(
                hex::encode(Sha256::digest(&body)),
                expected,
                "{id}: payload bytes changed"
            );
        }
        if vector["payload_mutation"].is_string() {
            // "replace the first "refs/heads/master" with "refs/heads/mastex"".
            let text = String::from_utf8(body).unwrap();
            body = text
                .replacen("refs/heads/master", "refs/heads/mastex", 1)
                .into_bytes();
        }
        let headers = vector["headers"].as_object().unwrap();
        let mut delivery = Delivery {
            headers: headers
                .iter()
                .map(|(name, value)| Header {
                    name: name.clone(),
                    value: value.as_str().unwrap().to_string(),
                })
                .collect(),
            body,
        };
        for (name, value) in [("X-GitHub-Event", "ping"), ("X-GitHub-Delivery", "vector")] {
            if !headers.keys().any(|k| k.eq_ignore_ascii_case(name)) {
                delivery.headers.push(Header {
                    name: name.to_string(),
                    value: value.to_string(),
                });
            }
        }
        let secret = vector["secret"].as_str().unwrap();
        let result = verify_webhook(secret, &delivery);
        // Only X-Hub-Signature-256 is accepted: a SHA-1-only vector must be refused.
        let expect_valid =
            vector["expect"] == "valid" && headers.contains_key("X-Hub-Signature-256");
        match result {
            Err(ProviderError::Unauthorized(_)) => assert!(!expect_valid, "{id}: rejected"),
            // Signature accepted; the inline vectors are not GitHub payloads.
            Ok(_) | Err(ProviderError::InvalidInput(_)) => {
                assert!(expect_valid, "{id}: accepted a bad signature")
            }
            Err(other) => panic!("{id}: unexpected {other:?}"),
        }
        if expect_valid && vector["payload_file"].is_string() {
            assert!(
                verify_webhook(secret, &delivery).is_ok(),
                "{id}: real payload did not normalize"
            );
        }
        checked += 1;
    }
    assert!(checked >= 15, "only {checked} GitHub vectors found");
}

/// Every GitHub payload normalizes into the detail its event calls for.
#[test]
fn every_github_payload_normalizes() {
    let Some(dir) = fixtures_dir() else { return };
    let files = read_json(&dir.join("files.json"));
    let mut checked = 0;
    for file in files.as_array().unwrap() {
        let name = file["file"].as_str().unwrap();
        if file["provider"] != "github" || name.ends_with(".golden") {
            continue;
        }
        let event = file["event"].as_str().unwrap();
        let body = std::fs::read(dir.join(name)).unwrap();
        let normalized = deliver(event, &body).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(normalized.provider_event, event);
        assert_eq!(
            normalized.delivery_id,
            "72d3162e-cc78-11e3-81ab-4c9367dc0958"
        );
        let ok = match (&normalized.detail, event) {
            (EventDetail::Push(p), "push") => !p.ref_.is_empty() && !p.after.is_empty(),
            (EventDetail::PullRequest(p), "pull_request") => {
                p.number > 0 && !p.head_sha.is_empty() && !p.source_branch.is_empty()
            }
            (EventDetail::Ping, "ping") => true,
            (EventDetail::Ignored(e), other) => {
                e == other && !["push", "pull_request", "ping"].contains(&other)
            }
            _ => false,
        };
        assert!(ok, "{name}: {event} normalized to {:?}", normalized.detail);
        if event != "ping" && !event.starts_with("installation") {
            assert!(normalized.repository.contains('/'), "{name}: no repository");
            assert!(
                normalized.repository_id.is_some(),
                "{name}: no repository id"
            );
            assert!(!normalized.sender.is_empty(), "{name}: no sender");
        }
        checked += 1;
    }
    assert!(checked >= 40, "only {checked} GitHub payloads found");
}

/// Pushes agree with go-scm's normalized expectations.
#[test]
fn pushes_match_go_scm_goldens() {
    let Some(dir) = fixtures_dir() else { return };
    for name in [
        "push",
        "push_branch_create",
        "push_branch_delete",
        "push_tag",
        "push_tag_delete",
    ] {
        let file = format!("github/go-scm/{name}.json");
        let golden = read_json(&dir.join(format!("{file}.golden")));
        let event = fixture(&dir, "push", &file);
        let EventDetail::Push(push) = &event.detail else {
            panic!("{name}: not a push");
        };
        assert_eq!(push.ref_, golden["Ref"], "{name}");
        assert_eq!(push.before, golden["Before"], "{name}");
        assert_eq!(push.after, golden["After"], "{name}");
        assert_eq!(
            event.repository_id.as_deref(),
            golden["Repo"]["ID"].as_str(),
            "{name}"
        );
        assert_eq!(
            event.repository,
            format!(
                "{}/{}",
                golden["Repo"]["Namespace"].as_str().unwrap(),
                golden["Repo"]["Name"].as_str().unwrap()
            ),
            "{name}"
        );
        assert_eq!(event.sender, golden["Sender"]["Login"], "{name}");
        let sha = golden["Commit"]["Sha"].as_str().unwrap_or_default();
        match &push.head_commit {
            Some(head) => {
                assert_eq!(head.sha, sha, "{name}");
                assert_eq!(head.message, golden["Commit"]["Message"], "{name}");
                assert_eq!(
                    head.author_name, golden["Commit"]["Author"]["Name"],
                    "{name}"
                );
                assert_eq!(
                    head.author_email.as_deref(),
                    golden["Commit"]["Author"]["Email"].as_str(),
                    "{name}"
                );
            }
            None => assert!(sha.is_empty() || push.deleted, "{name}: head commit lost"),
        }
        assert_eq!(push.deleted, name.ends_with("delete"), "{name}");
    }
}

/// Pull requests agree with go-scm's normalized expectations.
#[test]
fn pull_requests_match_go_scm_goldens() {
    let Some(dir) = fixtures_dir() else { return };
    let cases = [
        ("pr_opened", PullRequestAction::Opened),
        ("pr_closed", PullRequestAction::Closed),
        ("pr_reopened", PullRequestAction::Reopened),
        ("pr_edited", PullRequestAction::Edited),
        ("pr_sync", PullRequestAction::Synchronized),
        ("pr_ready_for_review", PullRequestAction::Other),
    ];
    for (name, action) in cases {
        let file = format!("github/go-scm/{name}.json");
        let golden = read_json(&dir.join(format!("{file}.golden")));
        let pr_golden = &golden["PullRequest"];
        let event = fixture(&dir, "pull_request", &file);
        let EventDetail::PullRequest(pr) = &event.detail else {
            panic!("{name}: not a pull request");
        };
        assert_eq!(pr.action, action, "{name}");
        assert_eq!(Some(pr.number), pr_golden["Number"].as_u64(), "{name}");
        assert_eq!(pr.title, pr_golden["Title"], "{name}");
        assert_eq!(pr.url, pr_golden["Link"], "{name}");
        assert_eq!(pr.head_sha, pr_golden["Sha"], "{name}");
        assert_eq!(pr.source_branch, pr_golden["Source"], "{name}");
        assert_eq!(pr.target_branch, pr_golden["Target"], "{name}");
        // go-scm's `Fork` is always the head repository; here it is set only for forks,
        // and these fixtures' head and base are the same repository.
        assert_eq!(pr.source_repository, None, "{name}");
        assert_eq!(event.sender, golden["Sender"]["Login"], "{name}");
    }
}

/// Shapes the manifest calls out: tag deletion, branch creation, a merged PR, a fork PR.
#[test]
fn notable_payload_shapes() {
    let Some(dir) = fixtures_dir() else { return };

    let event = fixture(&dir, "push", "github/push.json");
    let EventDetail::Push(push) = event.detail else {
        panic!("push.json")
    };
    assert_eq!((push.ref_name.as_str(), push.deleted), ("simple-tag", true));
    assert!(push.head_commit.is_none());
    assert_eq!(push.commit_count, 0);

    let event = fixture(&dir, "push", "github/push.with-new-branch.json");
    let EventDetail::Push(push) = event.detail else {
        panic!("with-new-branch")
    };
    assert!(push.created && !push.deleted);
    assert!(push.before.chars().all(|c| c == '0'));
    let head = push.head_commit.expect("new branch has a head commit");
    assert!(head.timestamp.as_deref().is_some_and(|t| t.ends_with('Z')));

    let event = fixture(
        &dir,
        "pull_request",
        "github/create-issue-branch/pull_request.closed.merged.json",
    );
    let EventDetail::PullRequest(pr) = event.detail else {
        panic!("merged")
    };
    assert_eq!(pr.action, PullRequestAction::Merged);
    assert_eq!(pr.provider_action, "closed");
    assert_eq!(pr.number, 117);

    let body = std::fs::read(dir.join("github/pull_request.synchronize.json")).unwrap();
    let json: Value = serde_json::from_slice(&body).unwrap();
    let event = deliver("pull_request", &body).unwrap();
    let EventDetail::PullRequest(pr) = event.detail else {
        panic!("synchronize")
    };
    assert_eq!(pr.action, PullRequestAction::Synchronized);
    assert_eq!(pr.head_sha, json["after"]);

    // A fork: the head repository differs from the base repository.
    let mut json: Value = read_json(&dir.join("github/pull_request.opened.json"));
    json["pull_request"]["head"]["repo"]["full_name"] = "someone/Hello-World".into();
    let event = deliver("pull_request", &serde_json::to_vec(&json).unwrap()).unwrap();
    let EventDetail::PullRequest(pr) = event.detail else {
        panic!("fork")
    };
    assert_eq!(pr.source_repository.as_deref(), Some("someone/Hello-World"));

    let event = fixture(&dir, "ping", "github/ping.with-organization.json");
    assert_eq!(event.repository, "");
}
