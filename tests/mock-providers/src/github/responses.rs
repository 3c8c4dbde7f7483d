//! GitHub's response conventions: JSON bodies, error bodies, the headers every API
//! response carries (rate limit, media type, Enterprise version), the headers about the
//! token (`X-OAuth-Scopes`, `X-Accepted-OAuth-Scopes`, `X-Accepted-GitHub-Permissions`,
//! `GitHub-Authentication-Token-Expiration`), and the JSON shapes of users, repositories,
//! branches, hooks, GitHub Apps and their installations.

use axum::{
    http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};

use super::seed::{Access, AccountType, RepoRole};
use super::state::{App, Branch, Hook, Installation, RateSnapshot, Repo, Token, User};

/// Generic documentation link GitHub puts in most error bodies.
pub(super) const DOCS_URL: &str = "https://docs.github.com/rest";
/// Media type GitHub reports for the default `application/vnd.github+json` request.
const MEDIA_TYPE: &str = "github.v3; format=json";
/// REST API version GitHub selects when the client names none.
const API_VERSION: &str = "2022-11-28";
/// Version an Enterprise Server mock reports.
const ENTERPRISE_VERSION: &str = "3.14.0";

/// What the endpoint accepts, for `X-Accepted-OAuth-Scopes` (classic and OAuth tokens) and
/// `X-Accepted-GitHub-Permissions` (fine-grained and App tokens). Handlers put it in the
/// response's extensions; the API layer turns it into the header that fits the token.
#[derive(Debug, Clone)]
pub(super) struct Accepted {
    pub scopes: &'static str,
    pub permissions: String,
}

impl Default for Accepted {
    fn default() -> Self {
        Self {
            scopes: "",
            permissions: "allows_permissionless_access=true".to_owned(),
        }
    }
}

/// GitHub's error body: `{"message", "documentation_url", "status"}` (status as a string).
pub(super) fn error(status: StatusCode, message: &str, documentation_url: &str) -> Response {
    let body = json!({
        "message": message,
        "documentation_url": documentation_url,
        "status": status.as_u16().to_string(),
    });
    json_response(status, body)
}

/// GitHub's JSON 404.
pub(super) fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "Not Found", DOCS_URL)
}

/// GitHub's 400 for a body that is not the JSON the endpoint takes.
pub(super) fn problems_parsing_json() -> Response {
    error(StatusCode::BAD_REQUEST, "Problems parsing JSON", DOCS_URL)
}

/// GitHub's 422 `Validation Failed` with one error.
pub(super) fn validation_failed(resource: &str, code: &str, message: &str) -> Response {
    let body = json!({
        "message": "Validation Failed",
        "errors": [{"resource": resource, "code": code, "message": message}],
        "documentation_url": DOCS_URL,
        "status": "422",
    });
    json_response(StatusCode::UNPROCESSABLE_ENTITY, body)
}

/// A JSON response with GitHub's content type.
pub(super) fn json_response(status: StatusCode, value: Value) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        )],
        value.to_string(),
    )
        .into_response()
}

/// Sets a header; a value that is not a valid header value is left out rather than
/// failing the request (values come from seeds).
pub(super) fn insert(headers: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(HeaderName::from_static(name), value);
    }
}

/// Headers GitHub sends on every API response.
pub(super) fn common_headers(headers: &mut HeaderMap, rate: RateSnapshot, enterprise: bool) {
    insert(headers, "x-github-media-type", MEDIA_TYPE);
    insert(headers, "x-github-api-version-selected", API_VERSION);
    insert(headers, "x-ratelimit-limit", &rate.limit.to_string());
    insert(
        headers,
        "x-ratelimit-remaining",
        &rate.remaining().to_string(),
    );
    insert(headers, "x-ratelimit-reset", &rate.reset.to_string());
    insert(
        headers,
        "x-ratelimit-used",
        &rate.used.min(rate.limit).to_string(),
    );
    insert(headers, "x-ratelimit-resource", "core");
    if enterprise {
        insert(headers, "x-github-enterprise-version", ENTERPRISE_VERSION);
    }
}

/// Headers GitHub sends about the token that authenticated the request.
pub(super) fn token_headers(headers: &mut HeaderMap, token: &Token, accepted: &Accepted) {
    if token.kind.has_scopes() {
        insert(headers, "x-oauth-scopes", &token.scopes.join(", "));
        insert(headers, "x-accepted-oauth-scopes", accepted.scopes);
    } else {
        insert(
            headers,
            "x-accepted-github-permissions",
            &accepted.permissions,
        );
    }
    if let Some(expires_at) = token.expires_at {
        insert(
            headers,
            "github-authentication-token-expiration",
            &expires_at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        );
    }
}

/// RFC 3339 with seconds, as GitHub writes dates.
pub(super) fn date(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The short account object GitHub embeds (`owner`, `sender`, ...).
pub(super) fn account_json(api: &str, web: &str, user: &User) -> Value {
    let login = &user.login;
    json!({
        "login": login,
        "id": user.id,
        "node_id": format!("U_mock{}", user.id),
        "avatar_url": format!("https://avatars.githubusercontent.com/u/{}?v=4", user.id),
        "gravatar_id": "",
        "url": format!("{api}/users/{login}"),
        "html_url": format!("{web}/{login}"),
        "repos_url": format!("{api}/users/{login}/repos"),
        "organizations_url": format!("{api}/users/{login}/orgs"),
        "type": user.account_type.as_str(),
        "user_view_type": "public",
        "site_admin": false,
    })
}

/// The public profile of an account, shaped as `GET /user` returns it.
pub(super) fn user_json(api: &str, web: &str, user: &User) -> Value {
    let mut value = account_json(api, web, user);
    if let Value::Object(map) = &mut value {
        for (key, field) in [
            ("name", json!(user.name)),
            ("company", Value::Null),
            ("blog", json!("")),
            ("location", Value::Null),
            ("email", json!(user.email)),
            ("hireable", Value::Null),
            ("bio", Value::Null),
            ("twitter_username", Value::Null),
            ("public_repos", json!(0)),
            ("public_gists", json!(0)),
            ("followers", json!(0)),
            ("following", json!(0)),
            ("created_at", json!("2011-01-25T18:44:36Z")),
            ("updated_at", json!("2026-01-01T00:00:00Z")),
        ] {
            map.insert(key.to_owned(), field);
        }
    }
    value
}

/// A repository as GitHub returns it; `role` is the caller's, sent as `permissions` to
/// authenticated callers.
pub(super) fn repo_json(
    api: &str,
    web: &str,
    repo: &Repo,
    owner: &User,
    role: Option<Option<RepoRole>>,
) -> Value {
    let full_name = repo.full_name();
    let mut value = json!({
        "id": repo.id,
        "node_id": format!("R_mock{}", repo.id),
        "name": repo.name,
        "full_name": full_name,
        "private": repo.private,
        "owner": account_json(api, web, owner),
        "html_url": format!("{web}/{full_name}"),
        "description": null,
        "fork": false,
        "url": format!("{api}/repos/{full_name}"),
        "hooks_url": format!("{api}/repos/{full_name}/hooks"),
        "branches_url": format!("{api}/repos/{full_name}/branches{{/branch}}"),
        "pulls_url": format!("{api}/repos/{full_name}/pulls{{/number}}"),
        "git_url": format!("git://{}/{full_name}.git", web.split("://").nth(1).unwrap_or(web)),
        "ssh_url": format!("git@{}:{full_name}.git", web.split("://").nth(1).unwrap_or(web)),
        "clone_url": format!("{web}/{full_name}.git"),
        "created_at": date(repo.created_at),
        "updated_at": date(repo.pushed_at),
        "pushed_at": date(repo.pushed_at),
        "size": if repo.branches.is_empty() { 0 } else { 108 },
        "default_branch": repo.default_branch,
        "visibility": match repo.visibility {
            super::seed::RepoVisibility::Public => "public",
            super::seed::RepoVisibility::Private => "private",
            super::seed::RepoVisibility::Internal => "internal",
        },
        "archived": false,
        "disabled": false,
    });
    if let (Some(role), Value::Object(map)) = (role, &mut value) {
        let at_least = |needed: RepoRole| role.is_some_and(|r| r >= needed);
        let pull = at_least(RepoRole::Read) || !repo.private;
        map.insert(
            "permissions".to_owned(),
            json!({
                "admin": at_least(RepoRole::Admin),
                "maintain": at_least(RepoRole::Admin),
                "push": at_least(RepoRole::Write),
                "triage": at_least(RepoRole::Write),
                "pull": pull,
            }),
        );
    }
    value
}

/// A branch as `GET /repos/{o}/{r}/branches` lists it.
pub(super) fn branch_json(api: &str, repo: &Repo, branch: &Branch) -> Value {
    json!({
        "name": branch.name,
        "commit": {
            "sha": branch.sha,
            "url": format!("{api}/repos/{}/commits/{}", repo.full_name(), branch.sha),
        },
        "protected": branch.protected,
    })
}

/// A hook as GitHub returns it; a set secret reads back as `********`.
pub(super) fn hook_json(api: &str, repo: &Repo, hook: &Hook) -> Value {
    let base = format!("{api}/repos/{}/hooks/{}", repo.full_name(), hook.id);
    let mut config = json!({
        "content_type": hook.content_type,
        "insecure_ssl": hook.insecure_ssl,
        "url": hook.url,
    });
    if let (Some(_), Value::Object(map)) = (&hook.secret, &mut config) {
        map.insert("secret".to_owned(), json!("********"));
    }
    let last_response = match &hook.last_response {
        Some((code, status)) => json!({"code": code, "status": status, "message": null}),
        None => json!({"code": null, "status": "unused", "message": null}),
    };
    json!({
        "type": "Repository",
        "id": hook.id,
        "name": "web",
        "active": hook.active,
        "events": hook.events,
        "config": config,
        "updated_at": date(hook.updated_at),
        "created_at": date(hook.created_at),
        "url": base,
        "test_url": format!("{base}/test"),
        "ping_url": format!("{base}/pings"),
        "deliveries_url": format!("{base}/deliveries"),
        "last_response": last_response,
    })
}

/// A permission map as GitHub writes it (`{"contents": "read", ...}`).
pub(super) fn permissions_json(permissions: &std::collections::BTreeMap<String, Access>) -> Value {
    permissions
        .iter()
        .map(|(name, access)| (name.clone(), json!(access.as_str())))
        .collect::<serde_json::Map<String, Value>>()
        .into()
}

/// A GitHub App as `GET /app` returns it.
pub(super) fn app_json(web: &str, app: &App, installations_count: usize) -> Value {
    json!({
        "id": app.id,
        "slug": app.slug,
        "node_id": format!("A_mock{}", app.id),
        "client_id": app.client_id,
        "owner": null,
        "name": app.slug,
        "description": null,
        "external_url": app.callback_url.clone().unwrap_or_else(|| format!("{web}/apps/{}", app.slug)),
        "html_url": format!("{web}/apps/{}", app.slug),
        "created_at": date(app.created_at),
        "updated_at": date(app.created_at),
        "permissions": permissions_json(&app.permissions),
        "events": app.events,
        "installations_count": installations_count,
    })
}

/// An installation as `GET /app/installations/{id}` returns it.
pub(super) fn installation_json(
    api: &str,
    web: &str,
    installation: &Installation,
    app: &App,
    account: &User,
    suspended_by: Option<&User>,
) -> Value {
    let id = installation.id;
    let html_url = match account.account_type {
        AccountType::Organization => format!(
            "{web}/organizations/{}/settings/installations/{id}",
            account.login
        ),
        AccountType::User => format!("{web}/settings/installations/{id}"),
    };
    json!({
        "id": id,
        "client_id": app.client_id,
        "account": account_json(api, web, account),
        "repository_selection": installation.selection.as_str(),
        "access_tokens_url": format!("{api}/app/installations/{id}/access_tokens"),
        "repositories_url": format!("{api}/installation/repositories"),
        "html_url": html_url,
        "app_id": app.id,
        "app_slug": app.slug,
        "target_id": account.id,
        "target_type": account.account_type.as_str(),
        "permissions": permissions_json(&app.permissions),
        "events": app.events,
        "created_at": date(installation.created_at),
        "updated_at": date(installation.updated_at),
        "single_file_name": null,
        "has_multiple_single_files": false,
        "single_file_paths": [],
        "suspended_at": installation.suspended.as_ref().map(|(at, _)| date(*at)),
        "suspended_by": suspended_by.map(|user| account_json(api, web, user)),
    })
}
