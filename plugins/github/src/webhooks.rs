//! `create-webhook`, `get-webhook` and `delete-webhook` on a repository
//! (`/repos/{owner}/{repo}/hooks`).
//!
//! Creation is idempotent: when the repository already has a hook with the same delivery
//! URL, that hook is updated (events, JSON content type, secret, active) and returned
//! instead of adding a second one. GitHub never reads a secret back, so the update always
//! sends it: after `create-webhook` the hook is known to use git-access's secret.

use git_access_plugin_sdk::api_url::HttpUrl;
use git_access_plugin_sdk::{HttpResponse, Method, ProviderError};
use serde::Deserialize;
use serde_json::json;

use crate::api_client::{missing_scopes, repo_path, GitHub};
use crate::bindings::types::{RepositoryRef, Webhook, WebhookEventKind, WebhookSpec};
use crate::paging;

/// Hook pages read while looking for an existing hook (GitHub allows 20 hooks per event).
const MAX_HOOK_PAGES: u32 = 5;

/// A hook as GitHub returns it.
#[derive(Debug, Deserialize)]
struct HookJson {
    id: u64,
    #[serde(default)]
    active: bool,
    #[serde(default)]
    events: Vec<String>,
    #[serde(default)]
    config: HookConfig,
}

#[derive(Debug, Default, Deserialize)]
struct HookConfig {
    url: Option<String>,
    /// `********` when a secret is set; absent otherwise.
    secret: Option<String>,
}

/// Creates the hook, or updates and returns the existing hook with the same URL.
pub fn create_webhook(
    github: &GitHub,
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
    let body = json!({
        "name": "web",
        "active": true,
        "events": github_events(&spec.events),
        "config": {
            "url": url,
            "content_type": "json",
            "secret": spec.secret,
            "insecure_ssl": "0",
        },
    });

    if let Some(existing) = find_hook(github, &hooks_path, url)? {
        return update_hook(github, &hooks_path, existing, &body);
    }
    let request = github.request(Method::Post, &hooks_path).json(&body)?;
    let response = github.send(request)?;
    if response.status == 422 && already_exists(&response) {
        // Another caller created it between our look-up and our create: adopt that one.
        if let Some(existing) = find_hook(github, &hooks_path, url)? {
            return update_hook(github, &hooks_path, existing, &body);
        }
    }
    if !response.is_success() {
        return Err(github.error(&response));
    }
    Ok(webhook(response.json()?))
}

/// Reads a hook by id.
pub fn get_webhook(
    github: &GitHub,
    repo: &RepositoryRef,
    id: &str,
) -> Result<Webhook, ProviderError> {
    let path = format!("{}/hooks/{}", repo_path(repo)?, checked_id(id)?);
    Ok(webhook(github.get_json(&path)?))
}

/// Deletes a hook; a hook that is already gone counts as deleted.
pub fn delete_webhook(
    github: &GitHub,
    repo: &RepositoryRef,
    id: &str,
) -> Result<(), ProviderError> {
    let path = format!("{}/hooks/{}", repo_path(repo)?, checked_id(id)?);
    let response = github.send(github.request(Method::Delete, &path))?;
    match response.status {
        200..=299 => Ok(()),
        // GitHub answers 404 both for a missing hook and for a token whose scopes cannot
        // see hooks; only the first is "already deleted".
        404 if missing_scopes(&response).is_none() => Ok(()),
        404 => Err(hidden_hooks(&response)),
        _ => Err(github.error(&response)),
    }
}

/// The first hook (by id) whose delivery URL is `url`.
fn find_hook(github: &GitHub, hooks_path: &str, url: &str) -> Result<Option<u64>, ProviderError> {
    let mut page = 1;
    for _ in 0..MAX_HOOK_PAGES {
        let response = github.send(github.get(&paging::page_query(hooks_path, page, 100)))?;
        if response.status == 404 && missing_scopes(&response).is_some() {
            return Err(hidden_hooks(&response));
        }
        if !response.is_success() {
            return Err(github.error(&response));
        }
        let hooks: Vec<HookJson> = response.json()?;
        if let Some(found) = hooks
            .iter()
            .filter(|h| h.config.url.as_deref().map(str::trim) == Some(url))
            .map(|h| h.id)
            .min()
        {
            return Ok(Some(found));
        }
        match paging::next_page(&response, page) {
            Some(next) => page = next,
            None => return Ok(None),
        }
    }
    Ok(None)
}

fn update_hook(
    github: &GitHub,
    hooks_path: &str,
    id: u64,
    body: &serde_json::Value,
) -> Result<Webhook, ProviderError> {
    let request = github
        .request(Method::Patch, &format!("{hooks_path}/{id}"))
        .json(body)?;
    Ok(webhook(github.call(request)?.json()?))
}

/// GitHub answers 422 `Hook already exists on this repository` for a duplicate URL.
fn already_exists(response: &HttpResponse) -> bool {
    String::from_utf8_lossy(&response.body)
        .to_ascii_lowercase()
        .contains("already exists")
}

/// The error for hooks a classic token's scopes cannot see.
fn hidden_hooks(response: &HttpResponse) -> ProviderError {
    let scope = missing_scopes(response).unwrap_or_else(|| "admin:repo_hook".to_string());
    ProviderError::forbidden(
        format!(
            "GitHub hides the repository's webhooks from this token: it needs the {scope} scope"
        ),
        vec![scope],
    )
}

/// Hook ids are numbers; anything else could change the request path.
fn checked_id(id: &str) -> Result<&str, ProviderError> {
    let id = id.trim();
    if !id.is_empty() && id.len() <= 20 && id.bytes().all(|b| b.is_ascii_digit()) {
        Ok(id)
    } else {
        Err(ProviderError::InvalidInput(format!(
            "invalid GitHub webhook id `{id}`: it is a number"
        )))
    }
}

/// GitHub event names for the neutral kinds; push and pull requests when none are given.
/// Tag pushes arrive as `push` events on GitHub.
fn github_events(kinds: &[WebhookEventKind]) -> Vec<&'static str> {
    let kinds = if kinds.is_empty() {
        &[WebhookEventKind::Push, WebhookEventKind::PullRequest][..]
    } else {
        kinds
    };
    let mut events = Vec::new();
    for kind in kinds {
        let event = match kind {
            WebhookEventKind::Push | WebhookEventKind::TagPush => "push",
            WebhookEventKind::PullRequest => "pull_request",
        };
        if !events.contains(&event) {
            events.push(event);
        }
    }
    events
}

/// The contract's view of a hook: `push` covers branch and tag pushes, `*` every event.
fn webhook(hook: HookJson) -> Webhook {
    let mut events = Vec::new();
    let mut other_events = Vec::new();
    let mut add = |kind| {
        if !events.contains(&kind) {
            events.push(kind);
        }
    };
    for event in &hook.events {
        match event.as_str() {
            "push" => {
                add(WebhookEventKind::Push);
                add(WebhookEventKind::TagPush);
            }
            "pull_request" => add(WebhookEventKind::PullRequest),
            "*" => {
                add(WebhookEventKind::Push);
                add(WebhookEventKind::TagPush);
                add(WebhookEventKind::PullRequest);
            }
            other => other_events.push(other.to_string()),
        }
    }
    Webhook {
        id: hook.id.to_string(),
        url: hook.config.url.unwrap_or_default(),
        active: hook.active,
        events,
        other_events,
        has_secret: hook.config.secret.is_some_and(|s| !s.is_empty()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api_client::fake::FakeGitHub;

    const HOOK: &str = r#"{"id": 12, "name": "web", "active": true, "events": ["push", "pull_request", "issues"],
        "config": {"url": "https://ga.example.com/hooks/github/app-1", "content_type": "json", "secret": "********", "insecure_ssl": "0"}}"#;

    fn repo() -> RepositoryRef {
        RepositoryRef {
            owner: "octocat".into(),
            name: "hello".into(),
        }
    }

    fn spec(url: &str) -> WebhookSpec {
        WebhookSpec {
            url: url.into(),
            secret: "s3cret".into(),
            events: vec![WebhookEventKind::Push, WebhookEventKind::PullRequest],
            description: "git-access".into(),
        }
    }

    #[test]
    fn maps_hooks() {
        let hook = webhook(serde_json::from_str(HOOK).unwrap());
        assert_eq!(hook.id, "12");
        assert_eq!(hook.url, "https://ga.example.com/hooks/github/app-1");
        assert!(hook.active && hook.has_secret);
        assert_eq!(
            hook.events,
            [
                WebhookEventKind::Push,
                WebhookEventKind::TagPush,
                WebhookEventKind::PullRequest
            ]
        );
        assert_eq!(hook.other_events, ["issues"]);
        let bare =
            webhook(serde_json::from_str(r#"{"id": 1, "events": ["*"], "config": {}}"#).unwrap());
        assert_eq!(bare.events.len(), 3);
        assert!(!bare.has_secret && !bare.active);
        assert_eq!(github_events(&[]), ["push", "pull_request"]);
        assert_eq!(
            github_events(&[WebhookEventKind::TagPush, WebhookEventKind::Push]),
            ["push"]
        );
    }

    #[test]
    fn creates_when_absent() {
        let fake = FakeGitHub::new()
            .on("GET", "/repos/octocat/hello/hooks", 200, &[], "[]")
            .on("POST", "/repos/octocat/hello/hooks", 201, &[], HOOK);
        let github = GitHub::new("http://gh", "ghp_x", &fake);
        let hook = create_webhook(
            &github,
            &repo(),
            &spec("https://ga.example.com/hooks/github/app-1"),
        )
        .unwrap();
        assert_eq!(hook.id, "12");
        let sent = fake.sent();
        assert_eq!(sent.len(), 2);
        let body: serde_json::Value = serde_json::from_slice(sent[1].body_bytes()).unwrap();
        assert_eq!(body["events"], json!(["push", "pull_request"]));
        assert_eq!(body["config"]["content_type"], "json");
        assert_eq!(body["config"]["secret"], "s3cret");
        assert_eq!(body["active"], true);
    }

    #[test]
    fn updates_the_hook_with_the_same_url() {
        let list = format!("[{HOOK}]");
        let fake = FakeGitHub::new()
            .on("GET", "/repos/octocat/hello/hooks", 200, &[], &list)
            .on("PATCH", "/repos/octocat/hello/hooks/12", 200, &[], HOOK);
        let github = GitHub::new("http://gh", "ghp_x", &fake);
        let hook = create_webhook(
            &github,
            &repo(),
            &spec("https://ga.example.com/hooks/github/app-1"),
        )
        .unwrap();
        assert_eq!(hook.id, "12");
        assert_eq!(
            fake.sent_lines()[1],
            "PATCH http://gh/repos/octocat/hello/hooks/12"
        );
    }

    #[test]
    fn rejects_bad_input_before_calling() {
        let fake = FakeGitHub::new();
        let github = GitHub::new("http://gh", "ghp_x", &fake);
        let mut no_secret = spec("https://x/y");
        no_secret.secret.clear();
        for bad in [spec("not a url"), no_secret] {
            assert!(matches!(
                create_webhook(&github, &repo(), &bad),
                Err(ProviderError::InvalidInput(_))
            ));
        }
        assert!(matches!(
            get_webhook(&github, &repo(), "12/../../x"),
            Err(ProviderError::InvalidInput(_))
        ));
        assert!(fake.sent().is_empty());
    }

    #[test]
    fn delete_treats_a_missing_hook_as_deleted_but_not_hidden_hooks() {
        let fake = FakeGitHub::new()
            .on(
                "DELETE",
                "/hooks/13",
                404,
                &[
                    ("X-OAuth-Scopes", "repo, admin:repo_hook"),
                    ("X-Accepted-OAuth-Scopes", "admin:repo_hook, repo"),
                ],
                r#"{"message":"Not Found"}"#,
            )
            .on(
                "DELETE",
                "/hooks/14",
                404,
                &[
                    ("X-OAuth-Scopes", "read:user"),
                    ("X-Accepted-OAuth-Scopes", "admin:repo_hook"),
                ],
                r#"{"message":"Not Found"}"#,
            )
            .on("DELETE", "/hooks/12", 204, &[], "");
        let github = GitHub::new("http://gh", "ghp_x", &fake);
        assert_eq!(delete_webhook(&github, &repo(), "12"), Ok(()));
        assert_eq!(delete_webhook(&github, &repo(), "13"), Ok(()));
        assert!(matches!(
            delete_webhook(&github, &repo(), "14"),
            Err(ProviderError::Forbidden { missing, .. }) if missing == ["admin:repo_hook"]
        ));
    }

    #[test]
    fn fine_grained_token_without_webhooks_permission_is_forbidden() {
        let fake = FakeGitHub::new().on(
            "GET",
            "/repos/octocat/hello/hooks",
            403,
            &[("X-Accepted-GitHub-Permissions", "webhooks=read")],
            r#"{"message":"Resource not accessible by personal access token"}"#,
        );
        let github = GitHub::new("http://gh", "github_pat_x", &fake);
        assert!(matches!(
            create_webhook(&github, &repo(), &spec("https://x/y")),
            Err(ProviderError::Forbidden { missing, .. }) if missing == ["webhooks:read"]
        ));
    }
}
