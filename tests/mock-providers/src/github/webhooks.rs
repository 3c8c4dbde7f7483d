//! Webhook deliveries as GitHub sends them: JSON payloads for `ping`, `push` and
//! `pull_request`, the headers (`X-GitHub-Event`, `X-GitHub-Delivery`, `X-GitHub-Hook-ID`,
//! `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>`), and JSON or
//! form-encoded bodies as the hook's `content_type` says.
//!
//! Not modelled: the legacy SHA-1 `X-Hub-Signature` header, redelivery, the deliveries
//! API, and GitHub's 10-second receiver timeout beyond the HTTP client's own.

use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use super::state::{Hook, Repo};
use crate::deliveries::{self, Delivery};

/// `User-Agent` of GitHub's deliveries.
const USER_AGENT: &str = "GitHub-Hookshot/mock";

/// `sha256=<hex>` for `body` under `secret`, as in `X-Hub-Signature-256`.
pub fn signature_256(secret: &str, body: &[u8]) -> String {
    // HMAC takes keys of any length.
    let mut mac = <Hmac<Sha256> as hmac::digest::KeyInit>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(body);
    format!("sha256={}", hex(&mac.finalize().into_bytes()))
}

/// The headers and body GitHub would send for `event` with `payload` to a hook with this
/// content type and secret (`None`: unsigned).
pub fn signed_request(
    event: &str,
    delivery_id: &str,
    hook_id: u64,
    repo_id: u64,
    form_encoded: bool,
    secret: Option<&str>,
    payload: &Value,
) -> (Vec<(String, String)>, Vec<u8>) {
    let json = payload.to_string();
    let (content_type, body) = if form_encoded {
        (
            "application/x-www-form-urlencoded",
            format!("payload={}", form_encode(&json)).into_bytes(),
        )
    } else {
        ("application/json", json.into_bytes())
    };
    let mut headers = vec![
        ("Content-Type".to_owned(), content_type.to_owned()),
        ("User-Agent".to_owned(), USER_AGENT.to_owned()),
        ("X-GitHub-Event".to_owned(), event.to_owned()),
        ("X-GitHub-Delivery".to_owned(), delivery_id.to_owned()),
        ("X-GitHub-Hook-ID".to_owned(), hook_id.to_string()),
        (
            "X-GitHub-Hook-Installation-Target-Type".to_owned(),
            "repository".to_owned(),
        ),
        (
            "X-GitHub-Hook-Installation-Target-ID".to_owned(),
            repo_id.to_string(),
        ),
    ];
    if let Some(secret) = secret.filter(|s| !s.is_empty()) {
        headers.push((
            "X-Hub-Signature-256".to_owned(),
            signature_256(secret, &body),
        ));
    }
    (headers, body)
}

/// Sends `event` to `hook` (blocking) and returns what was sent and what happened.
pub fn deliver(hook: &Hook, repo: &Repo, event: &str, payload: &Value) -> Delivery {
    let id = deliveries::new_delivery_id();
    let (headers, body) = signed_request(
        event,
        &id,
        hook.id,
        repo.id,
        hook.content_type == "form",
        hook.secret.as_deref(),
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

/// The `ping` GitHub sends when a hook is created.
pub fn ping_payload(hook_json: Value, repository: Value, sender: Value) -> Value {
    json!({
        "zen": "Keep it logically awesome.",
        "hook_id": hook_json["id"],
        "hook": hook_json,
        "repository": repository,
        "sender": sender,
    })
}

/// A `push` of `commits` (id, message) moving `branch` from `before` to `after`.
pub fn push_payload(
    web_url: &str,
    repository: Value,
    sender: Value,
    branch: &str,
    before: &str,
    after: &str,
    commits: &[(String, String)],
) -> Value {
    let full_name = repository["full_name"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let login = sender["login"].as_str().unwrap_or_default().to_owned();
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let commit = |(id, message): &(String, String)| {
        json!({
            "id": id,
            "tree_id": "0".repeat(40),
            "distinct": true,
            "message": message,
            "timestamp": now,
            "url": format!("{web_url}/{full_name}/commit/{id}"),
            "author": {"name": login, "email": format!("{login}@users.noreply.github.com"), "username": login},
            "committer": {"name": login, "email": format!("{login}@users.noreply.github.com"), "username": login},
            "added": [], "removed": [], "modified": ["README.md"],
        })
    };
    let commits: Vec<Value> = commits.iter().map(commit).collect();
    let zeros = "0".repeat(40);
    json!({
        "ref": format!("refs/heads/{branch}"),
        "before": before,
        "after": after,
        "created": before == zeros,
        "deleted": after == zeros,
        "forced": false,
        "base_ref": null,
        "compare": format!("{web_url}/{full_name}/compare/{}...{}", &before[..12.min(before.len())], &after[..12.min(after.len())]),
        "commits": commits,
        "head_commit": commits.last().cloned().unwrap_or(Value::Null),
        "repository": repository,
        "pusher": {"name": login, "email": format!("{login}@users.noreply.github.com")},
        "sender": sender,
    })
}

/// A `pull_request` event: `action` on pull request `number` from `head` into `base`.
#[allow(clippy::too_many_arguments)] // Mirrors the payload's fields one to one.
pub fn pull_request_payload(
    web_url: &str,
    repository: Value,
    sender: Value,
    action: &str,
    number: u64,
    title: &str,
    head: (&str, &str),
    base: (&str, &str),
) -> Value {
    let full_name = repository["full_name"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let state = if action == "closed" { "closed" } else { "open" };
    json!({
        "action": action,
        "number": number,
        "pull_request": {
            "number": number,
            "state": state,
            "title": title,
            "html_url": format!("{web_url}/{full_name}/pull/{number}"),
            "user": sender,
            "merged": false,
            "head": {"label": format!("{}:{}", repository["owner"]["login"].as_str().unwrap_or_default(), head.0), "ref": head.0, "sha": head.1, "repo": repository},
            "base": {"label": format!("{}:{}", repository["owner"]["login"].as_str().unwrap_or_default(), base.0), "ref": base.0, "sha": base.1, "repo": repository},
        },
        "repository": repository,
        "sender": sender,
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `application/x-www-form-urlencoded` encoding of a value.
fn form_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for b in value.bytes() {
        match b {
            b' ' => out.push('+'),
            b if b.is_ascii_alphanumeric() || b"-._*".contains(&b) => out.push(b as char),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_docs_signature_vector() {
        assert_eq!(
            signature_256("It's a Secret to Everybody", b"Hello, World!"),
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        );
    }

    #[test]
    fn signed_requests_carry_github_headers() {
        let payload = json!({"zen": "x"});
        let (headers, body) = signed_request("ping", "d-1", 7, 42, false, Some("s"), &payload);
        let get = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("x-github-event"), Some("ping"));
        assert_eq!(get("x-github-delivery"), Some("d-1"));
        assert_eq!(get("x-github-hook-id"), Some("7"));
        assert_eq!(
            get("x-hub-signature-256"),
            Some(signature_256("s", &body).as_str())
        );
        assert_eq!(body, br#"{"zen":"x"}"#);
        let (headers, body) = signed_request("ping", "d", 1, 1, true, None, &payload);
        assert!(body.starts_with(b"payload=%7B%22zen%22"));
        assert!(!headers.iter().any(|(n, _)| n == "X-Hub-Signature-256"));
    }
}
