//! Webhook deliveries as Bitbucket Cloud sends them: `repo:push` and `pullrequest:*`
//! payloads (the post-2019 shape: accounts with `nickname`, no clone URLs, 12-character
//! hashes in pull requests, `changes[].new/old` in pushes), with `X-Event-Key`,
//! `X-Hook-UUID`, `X-Request-UUID`, `X-Attempt-Number` and, for hooks with a secret,
//! `X-Hub-Signature: sha256=<hex HMAC-SHA256(secret, body)>`.
//!
//! Not modelled: retries, truncated commit lists, and the many other event keys.

use chrono::Utc;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use super::responses::{time, user_json};
use super::state::{Hook, Repo, User};
use crate::deliveries::{self, Delivery};

/// `User-Agent` of Bitbucket's deliveries.
const USER_AGENT: &str = "Bitbucket-Webhooks/2.0";

/// `sha256=<hex>` of `body` under `secret`, as in `X-Hub-Signature`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    // HMAC takes keys of any length.
    let mut mac = <Hmac<Sha256> as hmac::digest::KeyInit>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// The headers and body Bitbucket would send for `event` with `payload` to a hook with
/// this UUID and secret (`None`: unsigned).
pub fn delivery_request(
    event: &str,
    request_uuid: &str,
    hook_uuid: &str,
    secret: Option<&str>,
    payload: &Value,
) -> (Vec<(String, String)>, Vec<u8>) {
    let body = payload.to_string().into_bytes();
    let mut headers = vec![
        ("Content-Type".to_owned(), "application/json".to_owned()),
        ("User-Agent".to_owned(), USER_AGENT.to_owned()),
        ("X-Event-Key".to_owned(), event.to_owned()),
        (
            "X-Hook-UUID".to_owned(),
            hook_uuid.trim_matches(['{', '}']).to_owned(),
        ),
        ("X-Request-UUID".to_owned(), request_uuid.to_owned()),
        ("X-Attempt-Number".to_owned(), "1".to_owned()),
    ];
    if let Some(secret) = secret.filter(|s| !s.is_empty()) {
        headers.push(("X-Hub-Signature".to_owned(), signature(secret, &body)));
    }
    (headers, body)
}

/// Sends `event` to `hook` (blocking) and returns what was sent and what happened.
pub fn deliver(hook: &Hook, event: &str, payload: &Value) -> Delivery {
    let id = deliveries::new_delivery_id();
    let (headers, body) = delivery_request(event, &id, &hook.uuid, hook.secret.as_deref(), payload);
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

/// The `repository` object of payloads (no clone links, as Bitbucket's).
pub fn repository_payload(api: &str, web: &str, repo: &Repo) -> Value {
    let full = repo.full_name();
    json!({
        "type": "repository",
        "full_name": full,
        "name": repo.slug,
        "uuid": repo.uuid,
        "is_private": repo.private,
        "scm": "git",
        "project": {"type": "project", "key": repo.project},
        "workspace": {"type": "workspace", "slug": repo.workspace},
        "links": {
            "self": {"href": format!("{api}/repositories/{full}")},
            "html": {"href": format!("{web}/{full}")},
        },
    })
}

fn commit_payload(web: &str, repo: &Repo, user: &User, hash: &str, message: &str) -> Value {
    json!({
        "type": "commit",
        "hash": hash,
        "message": message,
        "date": time(Utc::now()),
        "author": {
            "type": "author",
            "raw": format!("{} <{}@example.com>", user.display_name, user.nickname),
            "user": {"type": "user", "nickname": user.nickname, "display_name": user.display_name, "uuid": user.uuid},
        },
        "links": {"html": {"href": format!("{web}/{}/commits/{hash}", repo.full_name())}},
        "parents": [],
    })
}

/// A `repo:push` of one commit moving `branch` from `before` (`None`: created) to `after`.
#[allow(clippy::too_many_arguments)]
pub fn push_payload(
    api: &str,
    web: &str,
    repo: &Repo,
    user: &User,
    branch: &str,
    before: Option<&str>,
    after: &str,
    message: &str,
) -> Value {
    let reference = |hash: &str, message: &str| {
        json!({
            "type": "branch",
            "name": branch,
            "target": commit_payload(web, repo, user, hash, message),
            "links": {"html": {"href": format!("{web}/{}/branch/{branch}", repo.full_name())}},
        })
    };
    let new = reference(after, message);
    let old = before.map_or(Value::Null, |hash| reference(hash, "Previous commit\n"));
    json!({
        "actor": user_json(api, web, user),
        "repository": repository_payload(api, web, repo),
        "push": {"changes": [{
            "new": new,
            "old": old,
            "created": before.is_none(),
            "closed": false,
            "forced": false,
            "truncated": false,
            "commits": [commit_payload(web, repo, user, after, message)],
            "links": {},
        }]},
    })
}

/// A `pullrequest:*` event for pull request `id` from `source` (branch, full hash) into
/// `destination`; `state` is Bitbucket's (`OPEN`, `MERGED`, `DECLINED`).
#[allow(clippy::too_many_arguments)]
pub fn pull_request_payload(
    api: &str,
    web: &str,
    repo: &Repo,
    user: &User,
    id: u64,
    state: &str,
    source: (&str, &str),
    destination: (&str, &str),
) -> Value {
    let short = |hash: &str| hash.chars().take(12).collect::<String>();
    let full = repo.full_name();
    let side = |(branch, hash): (&str, &str)| {
        json!({
            "branch": {"name": branch},
            "commit": {"type": "commit", "hash": short(hash)},
            "repository": {"type": "repository", "full_name": full, "name": repo.slug, "uuid": repo.uuid},
        })
    };
    json!({
        "actor": user_json(api, web, user),
        "repository": repository_payload(api, web, repo),
        "pullrequest": {
            "type": "pullrequest",
            "id": id,
            "title": format!("Pull request {id}"),
            "description": "",
            "state": state,
            "author": user_json(api, web, user),
            "source": side(source),
            "destination": side(destination),
            "close_source_branch": false,
            "created_on": time(Utc::now()),
            "updated_on": time(Utc::now()),
            "links": {
                "self": {"href": format!("{api}/repositories/{full}/pullrequests/{id}")},
                "html": {"href": format!("{web}/{full}/pull-requests/{id}")},
            },
        },
    })
}
