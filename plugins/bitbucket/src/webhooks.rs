//! `create-webhook`, `get-webhook` and `delete-webhook` on a repository
//! (`/repositories/{workspace}/{slug}/hooks`).
//!
//! Creation is idempotent: when the repository already has a hook with the same URL, that
//! hook is updated (events, secret, active) and returned instead of adding a second one.
//! Hooks are identified by a UUID in braces (`{…}`). Bitbucket signs deliveries with the
//! secret (`X-Hub-Signature: sha256=…`) and reports only whether one is set
//! (`secret_set`).

use git_access_plugin_sdk::api_url::{self, HttpUrl};
use git_access_plugin_sdk::{Method, ProviderError};
use serde::Deserialize;
use serde_json::json;

use crate::api_client::{repo_path, Bitbucket};
use crate::bindings::types::{RepositoryRef, Webhook, WebhookEventKind, WebhookSpec};
use crate::paging::{Cursor, Paginated};

/// Hook pages read while looking for an existing hook.
const MAX_HOOK_PAGES: u32 = 5;

/// Event keys of a push (branches and tags alike).
const PUSH_EVENTS: &[&str] = &["repo:push"];

/// Event keys git-access needs for pull requests: opened, new commits or edits, merged,
/// declined.
const PULL_REQUEST_EVENTS: &[&str] = &[
    "pullrequest:created",
    "pullrequest:updated",
    "pullrequest:fulfilled",
    "pullrequest:rejected",
];

/// A hook as Bitbucket returns it.
#[derive(Debug, Deserialize)]
struct HookJson {
    uuid: String,
    url: String,
    #[serde(default)]
    active: bool,
    #[serde(default)]
    events: Vec<String>,
    secret_set: Option<bool>,
}

/// Creates the hook, or updates and returns the existing hook with the same URL.
pub fn create_webhook(
    bitbucket: &Bitbucket,
    repo: &RepositoryRef,
    spec: &WebhookSpec,
) -> Result<Webhook, ProviderError> {
    let hooks_path = format!("{}/hooks", repo_path(repo)?);
    let url = spec.url.trim();
    HttpUrl::parse(url).map_err(|_| {
        ProviderError::InvalidInput(format!(
            "the webhook URL `{url}` must be an absolute http(s) URL"
        ))
    })?;
    if spec.secret.is_empty() {
        return Err(ProviderError::InvalidInput(
            "a webhook secret is required: deliveries are verified with it".to_string(),
        ));
    }
    let description = match spec.description.trim() {
        "" => "git-access",
        text => text,
    };
    let body = json!({
        "description": description,
        "url": url,
        "active": true,
        "secret": spec.secret,
        "events": bitbucket_events(&spec.events),
    });
    let request = match find_hook(bitbucket, &hooks_path, url)? {
        Some(uuid) => bitbucket
            .request(
                Method::Put,
                &format!("{hooks_path}/{}", encode_uuid(&uuid)?),
            )
            .json(&body)?,
        None => bitbucket.request(Method::Post, &hooks_path).json(&body)?,
    };
    let response = bitbucket.call(request).map_err(hooks_forbidden)?;
    Ok(webhook(response.json()?))
}

/// Reads a hook by id.
pub fn get_webhook(
    bitbucket: &Bitbucket,
    repo: &RepositoryRef,
    id: &str,
) -> Result<Webhook, ProviderError> {
    let path = format!("{}/hooks/{}", repo_path(repo)?, encode_uuid(id)?);
    let response = bitbucket
        .call(bitbucket.get(&path))
        .map_err(hooks_forbidden)?;
    Ok(webhook(response.json()?))
}

/// Deletes a hook; a hook that is already gone counts as deleted (when the repository
/// itself is still there: Bitbucket answers 404 for both).
pub fn delete_webhook(
    bitbucket: &Bitbucket,
    repo: &RepositoryRef,
    id: &str,
) -> Result<(), ProviderError> {
    let repo_path = repo_path(repo)?;
    let path = format!("{repo_path}/hooks/{}", encode_uuid(id)?);
    let response = bitbucket.send(bitbucket.request(Method::Delete, &path))?;
    match response.status {
        200..=299 => Ok(()),
        404 => bitbucket.call(bitbucket.get(&repo_path)).map(|_| ()),
        _ => Err(hooks_forbidden(bitbucket.error(&response))),
    }
}

/// The UUID of the first hook whose URL is `url`.
fn find_hook(
    bitbucket: &Bitbucket,
    hooks_path: &str,
    url: &str,
) -> Result<Option<String>, ProviderError> {
    let mut cursor = Cursor {
        pagelen: 100,
        page: None,
    };
    for _ in 0..MAX_HOOK_PAGES {
        let (hooks, next) = cursor.read(hooks_path, |path| {
            bitbucket
                .get_json::<Paginated<HookJson>>(path)
                .map_err(hooks_forbidden)
        })?;
        if let Some(found) = hooks.into_iter().find(|h| h.url.trim() == url) {
            return Ok(Some(found.uuid));
        }
        match next {
            Some(next) => cursor = Cursor::parse(&next)?,
            None => return Ok(None),
        }
    }
    Ok(None)
}

/// A 403 on hooks without named scopes: the `webhook` scope (or admin rights) is missing.
fn hooks_forbidden(error: ProviderError) -> ProviderError {
    match error {
        ProviderError::Forbidden { message, missing } if missing.is_empty() => {
            ProviderError::forbidden(
                format!("{message}; managing webhooks needs the webhook scope and admin rights on the repository"),
                vec!["webhook".to_string()],
            )
        }
        other => other,
    }
}

/// A hook id as a path segment: `{uuid}` (braces added when missing), percent-encoded.
fn encode_uuid(id: &str) -> Result<String, ProviderError> {
    let id = id.trim();
    let inner = id
        .strip_prefix('{')
        .and_then(|s| s.strip_suffix('}'))
        .unwrap_or(id);
    let ok = !inner.is_empty()
        && inner.len() <= 64
        && inner.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-');
    if !ok {
        return Err(ProviderError::InvalidInput(format!(
            "invalid Bitbucket webhook id `{id}`: it is a UUID such as {{1b2c…}}"
        )));
    }
    Ok(api_url::encode_path_segment(&format!("{{{inner}}}")))
}

/// Bitbucket event keys for the neutral kinds; push and pull requests when none are given.
fn bitbucket_events(kinds: &[WebhookEventKind]) -> Vec<&'static str> {
    let kinds = if kinds.is_empty() {
        &[WebhookEventKind::Push, WebhookEventKind::PullRequest][..]
    } else {
        kinds
    };
    let mut events: Vec<&'static str> = Vec::new();
    for kind in kinds {
        let keys = match kind {
            WebhookEventKind::Push | WebhookEventKind::TagPush => PUSH_EVENTS,
            WebhookEventKind::PullRequest => PULL_REQUEST_EVENTS,
        };
        for key in keys {
            if !events.contains(key) {
                events.push(key);
            }
        }
    }
    events
}

/// The contract's view of a hook: `repo:push` covers branch and tag pushes; pull requests
/// count only when every pull request event git-access needs is subscribed (the others
/// are listed as `other-events`).
fn webhook(hook: HookJson) -> Webhook {
    let has = |key: &str| hook.events.iter().any(|e| e == key);
    let mut events = Vec::new();
    if has("repo:push") {
        events.push(WebhookEventKind::Push);
        events.push(WebhookEventKind::TagPush);
    }
    let all_pull_requests = PULL_REQUEST_EVENTS.iter().all(|key| has(key));
    if all_pull_requests {
        events.push(WebhookEventKind::PullRequest);
    }
    let other_events = hook
        .events
        .iter()
        .filter(|e| {
            e.as_str() != "repo:push"
                && !(all_pull_requests && PULL_REQUEST_EVENTS.contains(&e.as_str()))
        })
        .cloned()
        .collect();
    Webhook {
        id: hook.uuid,
        url: hook.url,
        active: hook.active,
        events,
        other_events,
        has_secret: hook.secret_set.unwrap_or(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api_client::fake::FakeBitbucket;

    const UUID: &str = "{6f8c2a4e-1d2b-4c3a-9f0e-123456789abc}";
    const ENCODED: &str = "%7B6f8c2a4e-1d2b-4c3a-9f0e-123456789abc%7D";

    fn hook(url: &str) -> String {
        json!({
            "uuid": UUID, "url": url, "description": "git-access", "subject_type": "repository",
            "active": true, "secret_set": true, "created_at": "2024-01-01T00:00:00Z",
            "events": ["pullrequest:fulfilled", "repo:push", "pullrequest:created",
                       "pullrequest:updated", "pullrequest:rejected", "issue:created"]
        })
        .to_string()
    }

    fn repo() -> RepositoryRef {
        RepositoryRef {
            owner: "acme".into(),
            name: "api".into(),
        }
    }

    fn spec(url: &str) -> WebhookSpec {
        WebhookSpec {
            url: url.into(),
            secret: "s3cret".into(),
            events: vec![WebhookEventKind::Push, WebhookEventKind::PullRequest],
            description: "Deployments of app-1".into(),
        }
    }

    #[test]
    fn maps_hooks() {
        let mapped = webhook(serde_json::from_str(&hook("https://x/y")).unwrap());
        assert_eq!(mapped.id, UUID);
        assert!(mapped.active && mapped.has_secret);
        assert_eq!(
            mapped.events,
            [
                WebhookEventKind::Push,
                WebhookEventKind::TagPush,
                WebhookEventKind::PullRequest
            ]
        );
        assert_eq!(mapped.other_events, ["issue:created"]);
        let partial = webhook(
            serde_json::from_str(
                r#"{"uuid": "{a}", "url": "x", "events": ["pullrequest:created"]}"#,
            )
            .unwrap(),
        );
        assert!(partial.events.is_empty() && !partial.has_secret && !partial.active);
        assert_eq!(partial.other_events, ["pullrequest:created"]);
        assert_eq!(
            bitbucket_events(&[WebhookEventKind::TagPush, WebhookEventKind::Push]),
            ["repo:push"]
        );
        assert_eq!(bitbucket_events(&[]).len(), 5);
    }

    #[test]
    fn creates_when_absent() {
        let url = "https://ga.example.com/hooks/bitbucket/app-1";
        let fake = FakeBitbucket::new()
            .on(
                "GET",
                "/repositories/acme/api/hooks",
                200,
                &[],
                r#"{"values":[]}"#,
            )
            .on("POST", "/repositories/acme/api/hooks", 201, &[], &hook(url));
        let bitbucket = Bitbucket::new("", "t", &fake).unwrap();
        let created = create_webhook(&bitbucket, &repo(), &spec(url)).unwrap();
        assert_eq!(created.id, UUID);
        let sent = fake.sent();
        let body: serde_json::Value = serde_json::from_slice(sent[1].body_bytes()).unwrap();
        assert_eq!(body["secret"], "s3cret");
        assert_eq!(body["active"], true);
        assert_eq!(body["description"], "Deployments of app-1");
        assert_eq!(
            body["events"],
            json!([
                "repo:push",
                "pullrequest:created",
                "pullrequest:updated",
                "pullrequest:fulfilled",
                "pullrequest:rejected"
            ])
        );
    }

    #[test]
    fn updates_the_hook_with_the_same_url_on_a_later_page() {
        let url = "https://ga.example.com/hooks/bitbucket/app-1";
        let first = json!({
            "values": [{"uuid": "{0000}", "url": "https://other/", "events": []}],
            "next": "https://api.bitbucket.org/2.0/repositories/acme/api/hooks?pagelen=100&page=2"
        })
        .to_string();
        let fake = FakeBitbucket::new()
            .on(
                "GET",
                "/hooks?pagelen=100&page=2",
                200,
                &[],
                &format!(r#"{{"values":[{}]}}"#, hook(url)),
            )
            .on("GET", "/hooks?pagelen=100", 200, &[], &first)
            .on("PUT", &format!("/hooks/{ENCODED}"), 200, &[], &hook(url));
        let bitbucket = Bitbucket::new("", "t", &fake).unwrap();
        let updated = create_webhook(&bitbucket, &repo(), &spec(url)).unwrap();
        assert_eq!(updated.id, UUID);
        assert_eq!(
            fake.sent_lines()[2],
            format!("PUT https://api.bitbucket.org/2.0/repositories/acme/api/hooks/{ENCODED}")
        );
    }

    #[test]
    fn missing_webhook_scope_is_named() {
        let fake = FakeBitbucket::new().on("GET", "/hooks", 403, &[], "{}");
        let bitbucket = Bitbucket::new("", "t", &fake).unwrap();
        assert!(matches!(
            create_webhook(&bitbucket, &repo(), &spec("https://x/y")),
            Err(ProviderError::Forbidden { missing, .. }) if missing == ["webhook"]
        ));
    }

    #[test]
    fn get_and_delete() {
        let fake = FakeBitbucket::new()
            .on(
                "GET",
                &format!("/hooks/{ENCODED}"),
                200,
                &[],
                &hook("https://x/y"),
            )
            .on("DELETE", &format!("/hooks/{ENCODED}"), 204, &[], "")
            .on(
                "DELETE",
                "/repositories/acme/api/hooks/%7Bbeef%7D",
                404,
                &[],
                "{}",
            )
            .on(
                "GET",
                "/repositories/acme/api",
                200,
                &[],
                r#"{"full_name":"acme/api"}"#,
            );
        let bitbucket = Bitbucket::new("", "t", &fake).unwrap();
        let inner = UUID.trim_matches(['{', '}']);
        assert_eq!(get_webhook(&bitbucket, &repo(), inner).unwrap().id, UUID);
        assert_eq!(delete_webhook(&bitbucket, &repo(), UUID), Ok(()));
        assert_eq!(delete_webhook(&bitbucket, &repo(), "{beef}"), Ok(()));
        let gone_repo = RepositoryRef {
            owner: "acme".into(),
            name: "gone".into(),
        };
        assert!(matches!(
            delete_webhook(&bitbucket, &gone_repo, "{beef}"),
            Err(ProviderError::NotFound(_))
        ));
        for bad in ["", "{}", "12/../x", "{zz}"] {
            assert!(
                matches!(
                    get_webhook(&bitbucket, &repo(), bad),
                    Err(ProviderError::InvalidInput(_))
                ),
                "{bad}"
            );
        }
    }
}
