//! `create-webhook`, `get-webhook` and `delete-webhook` on a project
//! (`/projects/:id/hooks`).
//!
//! Creation is idempotent: when the project already has a hook with the same URL, that
//! hook is updated (events, secret token) and returned instead of adding a second one. The
//! secret travels as the hook's `token`, which GitLab sends back in `X-Gitlab-Token`.
//! GitLab never shows a hook's token, so `has-secret` cannot be read back: git-access
//! always sets one, and reports it as set.
//!
//! Managing hooks needs the Maintainer role; GitLab's bare 403 then names `maintainer`.

use git_access_plugin_sdk::api_url::HttpUrl;
use git_access_plugin_sdk::{HttpResponse, Method, ProviderError};
use serde::Deserialize;
use serde_json::json;

use crate::api_client::{checked_id, project_path, GitLab};
use crate::bindings::types::{RepositoryRef, Webhook, WebhookEventKind, WebhookSpec};
use crate::paging::Cursor;
use crate::token_validation::REQUIRED_ROLE;

/// Hook pages read while looking for an existing hook (GitLab allows 100 hooks a project).
const MAX_HOOK_PAGES: u32 = 5;

/// Name GitLab shows for the hook (GitLab 17.1 and later).
const HOOK_NAME: &str = "git-access";

/// A hook as GitLab returns it.
#[derive(Debug, Deserialize)]
struct HookJson {
    id: u64,
    url: String,
    #[serde(default)]
    push_events: bool,
    #[serde(default)]
    tag_push_events: bool,
    #[serde(default)]
    merge_requests_events: bool,
    /// `executable`, `disabled` or `temporarily_disabled` (GitLab 15.7 and later).
    alert_status: Option<String>,
    /// Every other field, among them the other `*_events` flags.
    #[serde(flatten)]
    rest: serde_json::Map<String, serde_json::Value>,
}

/// Creates the hook, or updates and returns the existing hook with the same URL.
pub fn create_webhook(
    gitlab: &GitLab,
    repo: &RepositoryRef,
    spec: &WebhookSpec,
) -> Result<Webhook, ProviderError> {
    let hooks_path = format!("{}/hooks", project_path(repo)?);
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
    let events = wanted(&spec.events);
    let body = json!({
        "url": url,
        "token": spec.secret,
        "name": HOOK_NAME,
        "description": spec.description,
        "push_events": events.contains(&WebhookEventKind::Push),
        "tag_push_events": events.contains(&WebhookEventKind::TagPush),
        "merge_requests_events": events.contains(&WebhookEventKind::PullRequest),
        "enable_ssl_verification": true,
    });
    let request = match find_hook(gitlab, &hooks_path, url)? {
        Some(id) => gitlab
            .request(Method::Put, &format!("{hooks_path}/{id}"))
            .json(&body)?,
        None => gitlab.request(Method::Post, &hooks_path).json(&body)?,
    };
    let response = gitlab.send(request)?;
    if !response.is_success() {
        return Err(hook_error(gitlab, &response));
    }
    Ok(webhook(response.json()?))
}

/// Reads a hook by id.
pub fn get_webhook(
    gitlab: &GitLab,
    repo: &RepositoryRef,
    id: &str,
) -> Result<Webhook, ProviderError> {
    let path = format!(
        "{}/hooks/{}",
        project_path(repo)?,
        checked_id("webhook", id)?
    );
    let response = gitlab.send(gitlab.get(&path))?;
    if !response.is_success() {
        return Err(hook_error(gitlab, &response));
    }
    Ok(webhook(response.json()?))
}

/// Deletes a hook; a hook that is already gone counts as deleted.
pub fn delete_webhook(
    gitlab: &GitLab,
    repo: &RepositoryRef,
    id: &str,
) -> Result<(), ProviderError> {
    let path = format!(
        "{}/hooks/{}",
        project_path(repo)?,
        checked_id("webhook", id)?
    );
    let response = gitlab.send(gitlab.request(Method::Delete, &path))?;
    match response.status {
        200..=299 => Ok(()),
        // GitLab answers `404 Not found` for a missing hook and `404 Project Not Found`
        // when the project itself is missing or hidden; only the first is "deleted".
        404 if !project_missing(&response) => Ok(()),
        _ => Err(hook_error(gitlab, &response)),
    }
}

/// The id of the first hook (by id) whose URL is `url`.
fn find_hook(gitlab: &GitLab, hooks_path: &str, url: &str) -> Result<Option<u64>, ProviderError> {
    let mut cursor = Cursor { page: 1, size: 100 };
    for _ in 0..MAX_HOOK_PAGES {
        let response = gitlab.send(gitlab.get(&cursor.query(hooks_path)))?;
        if !response.is_success() {
            return Err(hook_error(gitlab, &response));
        }
        let hooks: Vec<HookJson> = response.json()?;
        if let Some(found) = hooks
            .iter()
            .filter(|h| h.url.trim() == url)
            .map(|h| h.id)
            .min()
        {
            return Ok(Some(found));
        }
        match cursor.next(&response) {
            Some(next) => cursor = Cursor::parse(&next)?,
            None => return Ok(None),
        }
    }
    Ok(None)
}

/// GitLab's error, with a bare 403 on hooks explained as the missing Maintainer role.
fn hook_error(gitlab: &GitLab, response: &HttpResponse) -> ProviderError {
    match gitlab.error(response) {
        ProviderError::Forbidden { message, missing } if missing.is_empty() => {
            ProviderError::forbidden(
                format!("{message}; managing project webhooks needs the Maintainer or Owner role"),
                vec![REQUIRED_ROLE.to_string()],
            )
        }
        other => other,
    }
}

fn project_missing(response: &HttpResponse) -> bool {
    String::from_utf8_lossy(&response.body)
        .to_ascii_lowercase()
        .contains("project not found")
}

/// The neutral kinds to subscribe to: push and merge requests when none are given.
fn wanted(kinds: &[WebhookEventKind]) -> Vec<WebhookEventKind> {
    if kinds.is_empty() {
        vec![WebhookEventKind::Push, WebhookEventKind::PullRequest]
    } else {
        kinds.to_vec()
    }
}

/// The contract's view of a GitLab hook.
fn webhook(hook: HookJson) -> Webhook {
    let mut events = Vec::new();
    if hook.push_events {
        events.push(WebhookEventKind::Push);
    }
    if hook.tag_push_events {
        events.push(WebhookEventKind::TagPush);
    }
    if hook.merge_requests_events {
        events.push(WebhookEventKind::PullRequest);
    }
    let mut other_events: Vec<String> = hook
        .rest
        .iter()
        .filter(|(name, value)| name.ends_with("_events") && value.as_bool() == Some(true))
        .map(|(name, _)| name.clone())
        .collect();
    other_events.sort();
    let active = !matches!(
        hook.alert_status.as_deref(),
        Some("disabled" | "temporarily_disabled")
    );
    Webhook {
        id: hook.id.to_string(),
        url: hook.url,
        active,
        events,
        other_events,
        has_secret: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api_client::fake::FakeGitLab;

    const HOOK: &str = r#"{"id": 12, "url": "https://ga.example.com/hooks/gitlab/app-1", "name": "git-access",
        "push_events": true, "tag_push_events": false, "merge_requests_events": true, "issues_events": true,
        "note_events": false, "enable_ssl_verification": true, "alert_status": "executable",
        "created_at": "2024-01-01T00:00:00Z"}"#;

    fn repo() -> RepositoryRef {
        RepositoryRef {
            owner: "acme/platform".into(),
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

    fn gitlab(fake: &FakeGitLab) -> GitLab<'_> {
        GitLab::new("", "glpat-x", fake).unwrap()
    }

    #[test]
    fn maps_hooks() {
        let hook = webhook(serde_json::from_str(HOOK).unwrap());
        assert_eq!(hook.id, "12");
        assert!(hook.active && hook.has_secret);
        assert_eq!(
            hook.events,
            [WebhookEventKind::Push, WebhookEventKind::PullRequest]
        );
        assert_eq!(hook.other_events, ["issues_events"]);
        let disabled = webhook(
            serde_json::from_str(r#"{"id": 1, "url": "x", "alert_status": "disabled"}"#).unwrap(),
        );
        assert!(!disabled.active && disabled.events.is_empty());
    }

    #[test]
    fn creates_when_absent() {
        let fake = FakeGitLab::new()
            .on(
                "GET",
                "/projects/acme%2Fplatform%2Fapi/hooks",
                200,
                &[],
                "[]",
            )
            .on(
                "POST",
                "/projects/acme%2Fplatform%2Fapi/hooks",
                201,
                &[],
                HOOK,
            );
        let hook = create_webhook(
            &gitlab(&fake),
            &repo(),
            &spec("https://ga.example.com/hooks/gitlab/app-1"),
        )
        .unwrap();
        assert_eq!(hook.id, "12");
        let sent = fake.sent();
        assert_eq!(sent.len(), 2);
        let body: serde_json::Value = serde_json::from_slice(sent[1].body_bytes()).unwrap();
        assert_eq!(body["token"], "s3cret");
        assert_eq!(body["push_events"], true);
        assert_eq!(body["merge_requests_events"], true);
        assert_eq!(body["tag_push_events"], false);
        assert_eq!(body["description"], "Deployments of app-1");
    }

    #[test]
    fn updates_the_hook_with_the_same_url() {
        let other = r#"{"id": 3, "url": "https://elsewhere.example.com/"}"#;
        let fake = FakeGitLab::new()
            .on(
                "GET",
                "/hooks?per_page=100&page=1",
                200,
                &[("X-Next-Page", "2")],
                &format!("[{other}]"),
            )
            .on(
                "GET",
                "/hooks?per_page=100&page=2",
                200,
                &[("X-Next-Page", "")],
                &format!("[{HOOK}]"),
            )
            .on(
                "PUT",
                "/projects/acme%2Fplatform%2Fapi/hooks/12",
                200,
                &[],
                HOOK,
            );
        let hook = create_webhook(
            &gitlab(&fake),
            &repo(),
            &spec("https://ga.example.com/hooks/gitlab/app-1"),
        )
        .unwrap();
        assert_eq!(hook.id, "12");
        assert_eq!(fake.sent().len(), 3);
        assert!(fake.sent_lines()[2].starts_with("PUT "));
    }

    #[test]
    fn developer_role_is_named_and_bad_input_rejected() {
        let fake =
            FakeGitLab::new().on("GET", "/hooks", 403, &[], r#"{"message":"403 Forbidden"}"#);
        assert!(matches!(
            create_webhook(&gitlab(&fake), &repo(), &spec("https://x/y")),
            Err(ProviderError::Forbidden { missing, .. }) if missing == ["maintainer"]
        ));
        let fake = FakeGitLab::new();
        let mut no_secret = spec("https://x/y");
        no_secret.secret.clear();
        for bad in [spec("not a url"), no_secret] {
            assert!(matches!(
                create_webhook(&gitlab(&fake), &repo(), &bad),
                Err(ProviderError::InvalidInput(_))
            ));
        }
        assert!(matches!(
            get_webhook(&gitlab(&fake), &repo(), "12/../../x"),
            Err(ProviderError::InvalidInput(_))
        ));
        assert!(fake.sent().is_empty());
    }

    #[test]
    fn get_and_delete() {
        let fake = FakeGitLab::new()
            .on("GET", "/hooks/12", 200, &[], HOOK)
            .on("DELETE", "/hooks/12", 204, &[], "")
            .on(
                "DELETE",
                "/hooks/13",
                404,
                &[],
                r#"{"message":"404 Not found"}"#,
            )
            .on(
                "DELETE",
                "/hooks/14",
                404,
                &[],
                r#"{"message":"404 Project Not Found"}"#,
            );
        let gitlab = gitlab(&fake);
        assert_eq!(get_webhook(&gitlab, &repo(), "12").unwrap().id, "12");
        assert!(matches!(
            get_webhook(&gitlab, &repo(), "99"),
            Err(ProviderError::NotFound(_))
        ));
        assert_eq!(delete_webhook(&gitlab, &repo(), "12"), Ok(()));
        assert_eq!(delete_webhook(&gitlab, &repo(), "13"), Ok(()));
        assert!(matches!(
            delete_webhook(&gitlab, &repo(), "14"),
            Err(ProviderError::NotFound(_))
        ));
    }
}
