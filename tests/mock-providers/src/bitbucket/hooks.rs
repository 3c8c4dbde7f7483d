//! Repository webhooks: list, create, read, update, delete
//! (`/repositories/{workspace}/{slug}/hooks`).
//!
//! As on Bitbucket: every call needs the `webhook` scope, and an OAuth token's user must
//! administer the repository (own the workspace); bodies are JSON; `events` must be known
//! event keys; a `secret` is stored and only `secret_set` is shown (an update without
//! `secret` keeps it, `"secret": null` removes it); hook ids are `{uuid}`.

use axum::{
    body::Bytes,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    Extension,
};
use chrono::Utc;
use serde_json::Value;

use super::repos::{accepting, page_params, reached};
use super::responses::{self, error, json_response, paged};
use super::routes::{Caller, Ctx};
use super::seed::HookSeed;
use super::state::{BitbucketState, Hook};
use crate::pagination::paginate;
use crate::query::QueryMap;

/// Event keys a repository hook may subscribe to.
const KNOWN_EVENTS: &[&str] = &[
    "repo:push",
    "repo:fork",
    "repo:updated",
    "repo:commit_comment_created",
    "repo:commit_status_created",
    "repo:commit_status_updated",
    "issue:created",
    "issue:updated",
    "issue:comment_created",
    "pullrequest:created",
    "pullrequest:updated",
    "pullrequest:changes_request_created",
    "pullrequest:changes_request_removed",
    "pullrequest:approved",
    "pullrequest:unapproved",
    "pullrequest:fulfilled",
    "pullrequest:rejected",
    "pullrequest:comment_created",
    "pullrequest:comment_updated",
    "pullrequest:comment_deleted",
    "pullrequest:comment_resolved",
    "pullrequest:comment_reopened",
];

/// The repository's `workspace/slug` if the caller may manage its hooks.
fn administered(
    state: &BitbucketState,
    caller: &Caller,
    workspace: &str,
    slug: &str,
) -> Result<(String, String), Box<Response>> {
    let Some(token) = &caller.token else {
        return Err(Box::new(responses::unauthorized()));
    };
    caller.require("webhook")?;
    let repo = reached(state, caller, workspace, slug)?;
    if !state.administers(token, repo) {
        return Err(Box::new(error(
            StatusCode::FORBIDDEN,
            "You must be an administrator of this repository to manage its webhooks",
        )));
    }
    Ok((repo.workspace.clone(), repo.slug.clone()))
}

/// `GET …/hooks`.
pub(super) async fn list_hooks(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path((workspace, slug)): Path<(String, String)>,
    QueryMap(query): QueryMap,
) -> Response {
    let state = ctx.bitbucket.lock();
    let response = match administered(&state, &caller, &workspace, &slug) {
        Ok((workspace, slug)) => match state.repo(&workspace, &slug) {
            Some(repo) => {
                let items: Vec<Value> = repo
                    .hooks
                    .iter()
                    .map(|h| responses::hook_json(&ctx.api, repo, h))
                    .collect();
                let url = format!("{}/repositories/{}/hooks", ctx.api, repo.full_name());
                paged(&paginate(&items, page_params(&query)), &url, &query)
            }
            None => error(StatusCode::NOT_FOUND, "Repository not found"),
        },
        Err(refused) => *refused,
    };
    accepting("webhook", response)
}

/// `POST …/hooks`.
pub(super) async fn create_hook(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path((workspace, slug)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let mut state = ctx.bitbucket.lock();
    let (workspace, slug) = match administered(&state, &caller, &workspace, &slug) {
        Ok(found) => found,
        Err(refused) => return accepting("webhook", *refused),
    };
    let fields = match fields(&body) {
        Ok(fields) => fields,
        Err(refused) => return *refused,
    };
    let Some(url) = fields.get("url").and_then(Value::as_str).map(str::to_owned) else {
        return error(StatusCode::BAD_REQUEST, "url: This field is required.");
    };
    let mut hook = state.new_hook(HookSeed {
        url,
        secret: None,
        events: Vec::new(),
        active: true,
        description: String::new(),
    });
    if let Err(refused) = apply(&mut hook, &fields) {
        return *refused;
    }
    if hook.events.is_empty() {
        return error(StatusCode::BAD_REQUEST, "events: This field is required.");
    }
    let Some(repo) = state.repo_mut(&workspace, &slug) else {
        return error(StatusCode::NOT_FOUND, "Repository not found");
    };
    repo.hooks.push(hook.clone());
    let value = responses::hook_json(&ctx.api, repo, &hook);
    accepting("webhook", json_response(StatusCode::CREATED, value))
}

/// `GET …/hooks/{uid}`.
pub(super) async fn get_hook(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path((workspace, slug, uid)): Path<(String, String, String)>,
) -> Response {
    let state = ctx.bitbucket.lock();
    let (workspace, slug) = match administered(&state, &caller, &workspace, &slug) {
        Ok(found) => found,
        Err(refused) => return accepting("webhook", *refused),
    };
    let Some(repo) = state.repo(&workspace, &slug) else {
        return error(StatusCode::NOT_FOUND, "Repository not found");
    };
    let response = match repo.hooks.iter().find(|h| same_uuid(&h.uuid, &uid)) {
        Some(hook) => json_response(StatusCode::OK, responses::hook_json(&ctx.api, repo, hook)),
        None => error(StatusCode::NOT_FOUND, "Webhook not found"),
    };
    accepting("webhook", response)
}

/// `PUT …/hooks/{uid}`: fields that are given change.
pub(super) async fn update_hook(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path((workspace, slug, uid)): Path<(String, String, String)>,
    body: Bytes,
) -> Response {
    let mut state = ctx.bitbucket.lock();
    let (workspace, slug) = match administered(&state, &caller, &workspace, &slug) {
        Ok(found) => found,
        Err(refused) => return accepting("webhook", *refused),
    };
    let fields = match fields(&body) {
        Ok(fields) => fields,
        Err(refused) => return *refused,
    };
    let Some(repo) = state.repo_mut(&workspace, &slug) else {
        return error(StatusCode::NOT_FOUND, "Repository not found");
    };
    let Some(index) = repo.hooks.iter().position(|h| same_uuid(&h.uuid, &uid)) else {
        return error(StatusCode::NOT_FOUND, "Webhook not found");
    };
    let mut hook = repo.hooks[index].clone();
    if let Some(url) = fields.get("url").and_then(Value::as_str) {
        hook.url = url.to_owned();
    }
    if let Err(refused) = apply(&mut hook, &fields) {
        return *refused;
    }
    repo.hooks[index] = hook.clone();
    let value = responses::hook_json(&ctx.api, repo, &hook);
    accepting("webhook", json_response(StatusCode::OK, value))
}

/// `DELETE …/hooks/{uid}`: `204`, or `404` when gone.
pub(super) async fn delete_hook(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path((workspace, slug, uid)): Path<(String, String, String)>,
) -> Response {
    let mut state = ctx.bitbucket.lock();
    let (workspace, slug) = match administered(&state, &caller, &workspace, &slug) {
        Ok(found) => found,
        Err(refused) => return accepting("webhook", *refused),
    };
    let Some(repo) = state.repo_mut(&workspace, &slug) else {
        return error(StatusCode::NOT_FOUND, "Repository not found");
    };
    let before = repo.hooks.len();
    repo.hooks.retain(|h| !same_uuid(&h.uuid, &uid));
    if repo.hooks.len() == before {
        return error(StatusCode::NOT_FOUND, "Webhook not found");
    }
    repo.updated_on = Utc::now();
    accepting("webhook", StatusCode::NO_CONTENT.into_response())
}

/// The JSON object of a request body.
fn fields(body: &Bytes) -> Result<serde_json::Map<String, Value>, Box<Response>> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(fields)) => Ok(fields),
        _ => Err(Box::new(error(
            StatusCode::BAD_REQUEST,
            "Malformed JSON body",
        ))),
    }
}

/// Applies the optional fields of a create or update.
fn apply(hook: &mut Hook, fields: &serde_json::Map<String, Value>) -> Result<(), Box<Response>> {
    if !valid_url(&hook.url) {
        return Err(Box::new(error(
            StatusCode::BAD_REQUEST,
            "url: Enter a valid URL.",
        )));
    }
    if let Some(description) = fields.get("description").and_then(Value::as_str) {
        hook.description = description.to_owned();
    }
    if let Some(active) = fields.get("active").and_then(Value::as_bool) {
        hook.active = active;
    }
    match fields.get("secret") {
        Some(Value::String(secret)) if !secret.is_empty() => hook.secret = Some(secret.clone()),
        Some(Value::Null) => hook.secret = None,
        _ => {}
    }
    if let Some(events) = fields.get("events") {
        let events: Vec<String> = events
            .as_array()
            .map(|list| {
                list.iter()
                    .filter_map(|e| e.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        if let Some(unknown) = events.iter().find(|e| !KNOWN_EVENTS.contains(&e.as_str())) {
            return Err(Box::new(error(
                StatusCode::BAD_REQUEST,
                &format!("events: '{unknown}' is not a valid event"),
            )));
        }
        hook.events = events;
    }
    Ok(())
}

/// Compares hook ids with or without braces.
fn same_uuid(stored: &str, given: &str) -> bool {
    stored
        .trim_matches(['{', '}'])
        .eq_ignore_ascii_case(given.trim_matches(['{', '}']))
}

fn valid_url(url: &str) -> bool {
    let Some((scheme, rest)) = url.split_once("://") else {
        return false;
    };
    (scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https"))
        && !rest.is_empty()
        && !rest.starts_with('/')
        && !url.chars().any(char::is_whitespace)
}
