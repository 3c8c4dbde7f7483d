//! Repository webhooks: `GET|POST /repos/{o}/{r}/hooks`, `GET|PATCH|DELETE
//! /repos/{o}/{r}/hooks/{id}` and `POST …/hooks/{id}/pings`, with GitHub's validation
//! (`name` is `web`, a `config.url`, known events, one hook per URL, content type `form`
//! unless `json` is asked for) and its `ping` delivery when a hook is created.
//!
//! `PATCH` with a `config` replaces the whole config: as GitHub documents, a secret that is
//! not sent again is removed.

use axum::{
    body::Bytes,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    Extension,
};
use serde::Deserialize;
use serde_json::Value;

use super::access::{Caller, RepoAction};
use super::repos::{allowed, paged_response, with_accepted};
use super::responses::{
    hook_json, json_response, not_found, problems_parsing_json, validation_failed,
};
use super::routes::Ctx;
use super::seed::HookSeed;
use super::state::Hook;
use crate::query::QueryMap;

/// Event names the mock accepts on a hook (a subset of GitHub's list).
const KNOWN_EVENTS: &[&str] = &[
    "*",
    "push",
    "pull_request",
    "pull_request_review",
    "create",
    "delete",
    "issues",
    "issue_comment",
    "release",
    "status",
    "check_run",
    "check_suite",
    "deployment",
    "deployment_status",
    "workflow_run",
    "repository",
    "meta",
];

/// At most this many hooks per repository (GitHub: 20 per event).
const MAX_HOOKS: usize = 20;

#[derive(Deserialize)]
struct HookRequest {
    name: Option<String>,
    config: Option<ConfigRequest>,
    events: Option<Vec<String>>,
    add_events: Option<Vec<String>>,
    remove_events: Option<Vec<String>>,
    active: Option<bool>,
}

#[derive(Deserialize)]
struct ConfigRequest {
    url: Option<String>,
    content_type: Option<String>,
    secret: Option<String>,
    insecure_ssl: Option<Value>,
}

/// `GET /repos/{o}/{r}/hooks`.
pub(super) async fn list_hooks(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path((owner, name)): Path<(String, String)>,
    QueryMap(query): QueryMap,
) -> Response {
    let allowed = match allowed(&ctx, &caller, &owner, &name, RepoAction::ReadHooks) {
        Ok(allowed) => allowed,
        Err(refusal) => return *refusal,
    };
    let repo = &allowed.repo;
    let items: Vec<Value> = repo
        .hooks
        .iter()
        .map(|h| hook_json(&ctx.api, repo, h))
        .collect();
    let url = format!("{}/repos/{}/hooks", ctx.api, repo.full_name());
    paged_response(&items, &query, &url, &allowed.accepted)
}

/// `POST /repos/{o}/{r}/hooks`.
pub(super) async fn create_hook(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path((owner, name)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let allowed = match allowed(&ctx, &caller, &owner, &name, RepoAction::WriteHooks) {
        Ok(allowed) => allowed,
        Err(refusal) => return *refusal,
    };
    let reply = |response: Response| with_accepted(response, &allowed.accepted);
    let request: HookRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(_) => return reply(problems_parsing_json()),
    };
    if request.name.as_deref().is_some_and(|n| n != "web") {
        return reply(validation_failed(
            "Hook",
            "custom",
            "Name must be 'web' for repository webhooks",
        ));
    }
    let Some(config) = request.config else {
        return reply(validation_failed(
            "Hook",
            "missing_field",
            "config is missing",
        ));
    };
    let Some(url) = config.url.clone().filter(|u| is_http_url(u)) else {
        return reply(validation_failed(
            "Hook",
            "custom",
            "Config must contain a valid http(s) url",
        ));
    };
    let events = request.events.unwrap_or_else(|| vec!["push".to_owned()]);
    if let Some(bad) = unknown_event(&events) {
        return reply(validation_failed(
            "Hook",
            "invalid",
            &format!("{bad} is not a valid event name"),
        ));
    }
    let content_type = match content_type(config.content_type.as_deref()) {
        Ok(ct) => ct,
        Err(refusal) => return reply(*refusal),
    };

    let (hook, repo) = {
        let mut state = ctx.github.lock();
        let exists = state
            .repo(&owner, &name)
            .map(|r| (r.hooks.iter().any(|h| h.url == url), r.hooks.len()));
        match exists {
            None => return reply(not_found()),
            Some((true, _)) => {
                return reply(validation_failed(
                    "Hook",
                    "custom",
                    "Hook already exists on this repository",
                ))
            }
            Some((false, count)) if count >= MAX_HOOKS => {
                return reply(validation_failed(
                    "Hook",
                    "custom",
                    "The \"push\" event cannot have more than 20 hooks",
                ))
            }
            Some(_) => {}
        }
        let mut hook = state.new_hook(HookSeed {
            url,
            events,
            secret: config.secret.filter(|s| !s.is_empty()),
            active: request.active.unwrap_or(true),
        });
        hook.content_type = content_type.to_owned();
        hook.insecure_ssl = insecure_ssl(config.insecure_ssl.as_ref());
        let Some(repo) = state.repo_mut(&owner, &name) else {
            return reply(not_found());
        };
        repo.hooks.push(hook.clone());
        (hook, repo.clone())
    };
    let body = hook_json(&ctx.api, &repo, &hook);
    if hook.active {
        // GitHub pings a new hook right away.
        ctx.github
            .ping_later(&repo, &hook, allowed.owner.clone(), caller_login(&caller));
    }
    let mut response = json_response(StatusCode::CREATED, body);
    super::responses::insert(
        response.headers_mut(),
        "location",
        &format!("{}/repos/{}/hooks/{}", ctx.api, repo.full_name(), hook.id),
    );
    reply(response)
}

/// `GET /repos/{o}/{r}/hooks/{id}`.
pub(super) async fn get_hook(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path((owner, name, id)): Path<(String, String, String)>,
) -> Response {
    let allowed = match allowed(&ctx, &caller, &owner, &name, RepoAction::ReadHooks) {
        Ok(allowed) => allowed,
        Err(refusal) => return *refusal,
    };
    let repo = &allowed.repo;
    match find(&repo.hooks, &id) {
        Some(hook) => with_accepted(
            json_response(StatusCode::OK, hook_json(&ctx.api, repo, hook)),
            &allowed.accepted,
        ),
        None => with_accepted(not_found(), &allowed.accepted),
    }
}

/// `PATCH /repos/{o}/{r}/hooks/{id}`.
pub(super) async fn update_hook(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path((owner, name, id)): Path<(String, String, String)>,
    body: Bytes,
) -> Response {
    let allowed = match allowed(&ctx, &caller, &owner, &name, RepoAction::WriteHooks) {
        Ok(allowed) => allowed,
        Err(refusal) => return *refusal,
    };
    let reply = |response: Response| with_accepted(response, &allowed.accepted);
    let request: HookRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(_) => return reply(problems_parsing_json()),
    };
    for list in [&request.events, &request.add_events, &request.remove_events]
        .into_iter()
        .flatten()
    {
        if let Some(bad) = unknown_event(list) {
            return reply(validation_failed(
                "Hook",
                "invalid",
                &format!("{bad} is not a valid event name"),
            ));
        }
    }
    let mut state = ctx.github.lock();
    let Some(repo) = state.repo_mut(&owner, &name) else {
        return reply(not_found());
    };
    let Some(index) = repo.hooks.iter().position(|h| h.id.to_string() == id) else {
        return reply(not_found());
    };
    if let Some(config) = &request.config {
        let Some(url) = config.url.clone().filter(|u| is_http_url(u)) else {
            return reply(validation_failed(
                "Hook",
                "custom",
                "Config must contain a valid http(s) url",
            ));
        };
        if repo
            .hooks
            .iter()
            .any(|h| h.url == url && h.id != repo.hooks[index].id)
        {
            return reply(validation_failed(
                "Hook",
                "custom",
                "Hook already exists on this repository",
            ));
        }
        let content_type = match content_type(config.content_type.as_deref()) {
            Ok(ct) => ct,
            Err(refusal) => return reply(*refusal),
        };
        let hook = &mut repo.hooks[index];
        hook.url = url;
        hook.content_type = content_type.to_owned();
        hook.secret = config.secret.clone().filter(|s| !s.is_empty());
        hook.insecure_ssl = insecure_ssl(config.insecure_ssl.as_ref());
    }
    let hook = &mut repo.hooks[index];
    if let Some(events) = request.events {
        hook.events = events;
    }
    for event in request.add_events.into_iter().flatten() {
        if !hook.events.contains(&event) {
            hook.events.push(event);
        }
    }
    if let Some(remove) = request.remove_events {
        hook.events.retain(|e| !remove.contains(e));
    }
    if let Some(active) = request.active {
        hook.active = active;
    }
    hook.updated_at = chrono::Utc::now();
    let hook = hook.clone();
    let body = hook_json(&ctx.api, repo, &hook);
    drop(state);
    reply(json_response(StatusCode::OK, body))
}

/// `DELETE /repos/{o}/{r}/hooks/{id}`.
pub(super) async fn delete_hook(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path((owner, name, id)): Path<(String, String, String)>,
) -> Response {
    let allowed = match allowed(&ctx, &caller, &owner, &name, RepoAction::DeleteHooks) {
        Ok(allowed) => allowed,
        Err(refusal) => return *refusal,
    };
    let mut state = ctx.github.lock();
    let removed = state.repo_mut(&owner, &name).is_some_and(|repo| {
        let before = repo.hooks.len();
        repo.hooks.retain(|h| h.id.to_string() != id);
        repo.hooks.len() < before
    });
    drop(state);
    let response = if removed {
        StatusCode::NO_CONTENT.into_response()
    } else {
        not_found()
    };
    with_accepted(response, &allowed.accepted)
}

/// `POST /repos/{o}/{r}/hooks/{id}/pings`: sends a `ping` now.
pub(super) async fn ping_hook(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path((owner, name, id)): Path<(String, String, String)>,
) -> Response {
    let allowed = match allowed(&ctx, &caller, &owner, &name, RepoAction::ReadHooks) {
        Ok(allowed) => allowed,
        Err(refusal) => return *refusal,
    };
    let Some(hook) = find(&allowed.repo.hooks, &id).cloned() else {
        return with_accepted(not_found(), &allowed.accepted);
    };
    ctx.github.ping_later(
        &allowed.repo,
        &hook,
        allowed.owner.clone(),
        caller_login(&caller),
    );
    with_accepted(StatusCode::NO_CONTENT.into_response(), &allowed.accepted)
}

fn find<'a>(hooks: &'a [Hook], id: &str) -> Option<&'a Hook> {
    hooks.iter().find(|h| h.id.to_string() == id)
}

fn caller_login(caller: &Caller) -> Option<String> {
    caller.login().map(str::to_owned)
}

fn unknown_event(events: &[String]) -> Option<&str> {
    events
        .iter()
        .map(String::as_str)
        .find(|e| !KNOWN_EVENTS.contains(e))
}

/// GitHub's default content type is `form`; the refusal is GitHub's 422.
fn content_type(requested: Option<&str>) -> Result<&'static str, Box<Response>> {
    match requested {
        None | Some("form") => Ok("form"),
        Some("json") => Ok("json"),
        Some(other) => Err(Box::new(validation_failed(
            "Hook",
            "custom",
            &format!("Content type '{other}' is not supported; use json or form"),
        ))),
    }
}

fn insecure_ssl(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(s)) if s == "1" => "1".to_owned(),
        Some(Value::Number(n)) if n.as_u64() == Some(1) => "1".to_owned(),
        _ => "0".to_owned(),
    }
}

fn is_http_url(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    (lower.starts_with("http://") || lower.starts_with("https://"))
        && url.len() > lower.find("://").map_or(0, |i| i + 3)
        && !url.contains(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_helpers() {
        assert!(is_http_url("https://ga.example.com/hooks/1"));
        assert!(!is_http_url("ftp://x"));
        assert!(!is_http_url("https://"));
        assert_eq!(unknown_event(&["push".into(), "nope".into()]), Some("nope"));
        assert!(content_type(None).is_ok_and(|c| c == "form"));
        assert!(content_type(Some("xml")).is_err());
        assert_eq!(insecure_ssl(Some(&serde_json::json!(1))), "1");
        assert_eq!(insecure_ssl(None), "0");
    }
}
