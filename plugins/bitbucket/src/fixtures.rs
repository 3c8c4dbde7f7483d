//! Tests against the real, published webhook deliveries in `../shared/fixtures/webhooks`
//! (see its MANIFEST.md). The folder is not part of this repository; when it is missing the
//! tests say so and pass. `GIT_ACCESS_WEBHOOK_FIXTURES` may point elsewhere.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::bindings::types::{Delivery, EventDetail, GitEvent, Header, PullRequestAction};
use crate::webhook_verify::verify_webhook;
use git_access_plugin_sdk::webhook_fixtures::{self, read_json};
use git_access_plugin_sdk::{signature, ProviderError};

fn fixtures_dir() -> Option<PathBuf> {
    webhook_fixtures::fixtures_dir(env!("CARGO_MANIFEST_DIR"))
}

/// Signs `body` like Bitbucket and runs the full `verify-webhook` path.
fn deliver(event: &str, body: &[u8]) -> Result<GitEvent, ProviderError> {
    let secret = "fixture-secret";
    let signature = format!(
        "sha256={}",
        signature::hmac_sha256_hex(secret.as_bytes(), body)
    );
    let headers = [
        ("X-Event-Key", event),
        ("X-Request-UUID", "afe2fd5b-5f7c-4f1d-9c45-39d3d5bfd2c7"),
        ("X-Hook-UUID", "{b9b09b73-2d1a-4bc7-8d35-6d6cc3bc1d2f}"),
        ("X-Hub-Signature", signature.as_str()),
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

/// Every Bitbucket vector: the HMAC ones must verify exactly as expected; the others
/// (go-scm's `?secret=` query and go-playground's `X-Hook-UUID` checks are not Bitbucket's
/// own scheme) carry no signature and must be refused.
#[test]
fn signature_vectors() {
    let Some(dir) = fixtures_dir() else { return };
    let vectors = read_json(&dir.join("vectors.json"));
    let (mut signed, mut unsigned) = (0, 0);
    for vector in vectors["vectors"].as_array().into_iter().flatten() {
        if vector["provider"] != "bitbucket" {
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
        let headers = vector["headers"].as_object().unwrap();
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
        let result = verify_webhook(vector["secret"].as_str().unwrap(), &delivery);
        if headers.contains_key("X-Hub-Signature") {
            let event = result.unwrap_or_else(|e| panic!("{id}: {e}"));
            assert_eq!(vector["expect"], "valid", "{id}");
            assert!(!event.repository.is_empty(), "{id}");
            signed += 1;
        } else {
            assert!(
                matches!(result, Err(ProviderError::Unauthorized(_))),
                "{id}: a delivery without X-Hub-Signature was accepted"
            );
            unsigned += 1;
        }
    }
    assert!(
        signed >= 4 && unsigned >= 4,
        "{signed} signed, {unsigned} unsigned"
    );
}

/// Every Bitbucket payload normalizes into the detail its event calls for.
#[test]
fn every_bitbucket_payload_normalizes() {
    let Some(dir) = fixtures_dir() else { return };
    let files = read_json(&dir.join("files.json"));
    let mut checked = 0;
    for file in files.as_array().unwrap() {
        let name = file["file"].as_str().unwrap();
        if file["provider"] != "bitbucket" || name.ends_with(".golden") {
            continue;
        }
        let event = file["event"].as_str().unwrap();
        let body = std::fs::read(dir.join(name)).unwrap();
        let normalized = deliver(event, &body).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(normalized.provider_event, event);
        assert_eq!(
            normalized.delivery_id,
            "afe2fd5b-5f7c-4f1d-9c45-39d3d5bfd2c7"
        );
        let ok = match (&normalized.detail, event) {
            (EventDetail::Push(p), "repo:push") => {
                p.ref_.starts_with("refs/")
                    && p.before.len() == 40
                    && p.after.len() == 40
                    && (p.deleted || p.head_commit.is_some())
            }
            (EventDetail::PullRequest(p), e) if e.starts_with("pullrequest:") => {
                p.number > 0
                    && !p.head_sha.is_empty()
                    && !p.source_branch.is_empty()
                    && !p.url.is_empty()
            }
            _ => false,
        };
        assert!(ok, "{name}: {event} normalized to {:?}", normalized.detail);
        assert!(normalized.repository.contains('/'), "{name}: no repository");
        assert!(
            normalized.repository_id.is_some(),
            "{name}: no repository id"
        );
        assert!(!normalized.sender.is_empty(), "{name}: no sender");
        checked += 1;
    }
    assert!(checked >= 12, "only {checked} Bitbucket payloads found");
}

/// Pushes agree with go-scm's normalized expectations.
#[test]
fn pushes_match_go_scm_goldens() {
    let Some(dir) = fixtures_dir() else { return };
    for name in ["push", "push_branch_create", "push_tag_create"] {
        let file = format!("bitbucket/go-scm/{name}.json");
        let golden = read_json(&dir.join(format!("{file}.golden")));
        let event = fixture(&dir, "repo:push", &file);
        let EventDetail::Push(push) = &event.detail else {
            panic!("{name}: not a push");
        };
        assert_eq!(push.ref_, golden["Ref"], "{name}");
        assert_eq!(push.after, golden["After"], "{name}");
        match golden["Before"].as_str() {
            Some(before) => assert_eq!(push.before, before, "{name}"),
            None => assert!(
                push.created && push.before.bytes().all(|b| b == b'0'),
                "{name}"
            ),
        }
        assert_eq!(
            event.repository_id.as_deref(),
            golden["Repo"]["ID"].as_str()
        );
        assert_eq!(event.sender, golden["Sender"]["Login"], "{name}");
        let head = push.head_commit.as_ref().expect("head commit");
        assert_eq!(head.sha, golden["Commit"]["Sha"], "{name}");
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
        assert_eq!(
            head.url.as_deref(),
            golden["Commit"]["Link"].as_str(),
            "{name}"
        );
    }
    for (name, prefix) in [
        ("push_branch_delete", "refs/heads/"),
        ("push_tag_delete", "refs/tags/"),
    ] {
        let file = format!("bitbucket/go-scm/{name}.json");
        let golden = read_json(&dir.join(format!("{file}.golden")));
        let event = fixture(&dir, "repo:push", &file);
        let EventDetail::Push(push) = &event.detail else {
            panic!("{name}: not a push");
        };
        assert!(push.deleted && push.head_commit.is_none(), "{name}");
        assert_eq!(push.ref_name, golden["Ref"]["Name"], "{name}");
        assert_eq!(push.ref_, format!("{prefix}{}", push.ref_name), "{name}");
        assert_eq!(push.before, golden["Ref"]["Sha"], "{name}");
    }
}

/// Pull requests agree with go-scm's normalized expectations, short hashes included.
#[test]
fn pull_requests_match_go_scm_goldens() {
    let Some(dir) = fixtures_dir() else { return };
    let cases = [
        (
            "pr_created",
            "pullrequest:created",
            PullRequestAction::Opened,
        ),
        (
            "pr_updated",
            "pullrequest:updated",
            PullRequestAction::Synchronized,
        ),
        (
            "pr_declined",
            "pullrequest:rejected",
            PullRequestAction::Closed,
        ),
        (
            "pr_fulfilled",
            "pullrequest:fulfilled",
            PullRequestAction::Merged,
        ),
    ];
    for (name, event_key, action) in cases {
        let file = format!("bitbucket/go-scm/{name}.json");
        let golden = read_json(&dir.join(format!("{file}.golden")));
        let pr_golden = &golden["PullRequest"];
        let event = fixture(&dir, event_key, &file);
        let EventDetail::PullRequest(pr) = &event.detail else {
            panic!("{name}: not a pull request");
        };
        assert_eq!(pr.action, action, "{name}");
        assert_eq!(Some(pr.number), pr_golden["Number"].as_u64(), "{name}");
        assert_eq!(pr.title, pr_golden["Title"], "{name}");
        assert_eq!(pr.url, pr_golden["Link"], "{name}");
        assert_eq!(pr.head_sha, pr_golden["Sha"], "{name}");
        assert_eq!(
            pr.head_sha.len(),
            12,
            "{name}: Bitbucket sends short hashes"
        );
        assert_eq!(pr.source_branch, pr_golden["Source"], "{name}");
        assert_eq!(pr.target_branch, pr_golden["Target"], "{name}");
        assert_eq!(pr.source_repository, None, "{name}: same repository");
        assert_eq!(event.sender, golden["Sender"]["Login"], "{name}");
    }
}

/// The post-2019 payload shape (go-playground): `nickname` instead of `username`.
#[test]
fn gdpr_shaped_payloads() {
    let Some(dir) = fixtures_dir() else { return };
    let event = fixture(&dir, "repo:push", "bitbucket/go-playground/repo-push.json");
    assert_eq!(event.sender, "emmap1");
    assert_eq!(event.repository, "team_name/repo_name");
    let EventDetail::Push(push) = event.detail else {
        panic!("repo-push.json")
    };
    assert_eq!(push.ref_name, "name-of-branch");
    assert_eq!(
        push.head_commit.map(|c| c.author_name).as_deref(),
        Some("Emma"),
        "no raw author: the user's display name"
    );
}
