//! `validate-token`: who a token acts as, its kind, its scopes and role against what
//! git-access needs, and when it expires. Reads only; never writes.
//!
//! 1. `GET /personal_access_tokens/self` gives the scopes, `active`, `revoked` and
//!    `expires_at` of personal, project and group access tokens (GitLab ≥ 15.5). An OAuth
//!    token has none of that: its scopes and expiry come from `GET {web}/oauth/token/info`.
//! 2. `GET /user` names the account. Project and group tokens act as a bot user named
//!    `project_{id}_bot_…` or `group_{id}_bot_…`, which also tells the token's kind and
//!    the project or group it belongs to.
//! 3. The role: a project token's access to its project (`GET /projects/:id`), a group
//!    token's membership of its group (`GET /groups/:id/members/all/:user_id`), and for a
//!    personal or OAuth token whether its user is Maintainer of any project
//!    (`GET /projects?min_access_level=40`).
//!
//! GitLab answers 401 for unknown, expired and revoked tokens alike (its
//! `error_description` tells which): all are `unauthorized`.

use git_access_plugin_sdk::{api_url, timestamp, HttpRequest, ProviderError};
use serde::Deserialize;

use crate::api_client::GitLab;
use crate::bindings::types::{
    Connection, PermissionCheck, PermissionStatus, TokenKind, TokenReport,
};
use crate::repositories::{ProjectJson, MAINTAINER};

/// Scopes git-access needs, with why.
pub const REQUIRED_SCOPES: &[(&str, &str)] = &[
    (
        "api",
        "List projects and branches and manage the webhook that triggers deployments",
    ),
    ("read_repository", "Clone the repository over HTTPS"),
];

/// The role git-access needs, in this plugin's vocabulary.
pub const REQUIRED_ROLE: &str = "maintainer";

/// Why the role is needed.
const ROLE_REASON: &str =
    "Create and delete the project webhook that triggers deployments (Maintainer or Owner role)";

/// Scopes that give far more than git-access needs; worth a warning.
const RISKY_SCOPES: &[&str] = &["sudo", "admin_mode", "write_repository"];

#[derive(Debug, Deserialize)]
struct TokenSelf {
    #[serde(default)]
    scopes: Vec<String>,
    #[serde(default)]
    revoked: bool,
    active: Option<bool>,
    expires_at: Option<String>,
    user_id: Option<u64>,
}

#[derive(Debug, Deserialize)]
struct OauthInfo {
    #[serde(default)]
    scope: Vec<String>,
    #[serde(default)]
    scopes: Vec<String>,
    expires_in: Option<i64>,
    resource_owner_id: Option<u64>,
}

#[derive(Debug, Clone, Deserialize)]
struct User {
    id: u64,
    username: String,
    name: Option<String>,
    #[serde(default)]
    bot: bool,
}

#[derive(Deserialize)]
struct Member {
    access_level: u32,
}

#[derive(Deserialize)]
struct Group {
    full_path: String,
}

/// What GitLab tells about the token itself.
enum Introspection {
    /// A personal, project or group access token.
    AccessToken(TokenSelf),
    /// An OAuth access token.
    OAuth(OauthInfo),
    /// Neither endpoint answered; the reason is a warning.
    Unknown(String),
}

/// Where a token's role is decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Project(u64),
    Group(u64),
    User,
}

/// The role found, or why it could not be.
struct Role {
    status: PermissionStatus,
    reason: String,
    workspace: Option<String>,
    warning: Option<String>,
}

/// Checks the connection's token.
pub fn validate_token(conn: &Connection) -> Result<TokenReport, ProviderError> {
    validate(&GitLab::connect(conn)?)
}

/// Checks the token of `gitlab`.
pub fn validate(gitlab: &GitLab) -> Result<TokenReport, ProviderError> {
    if gitlab.token().is_empty() {
        return Err(ProviderError::InvalidInput(
            "a GitLab token is required".to_string(),
        ));
    }
    let mut warnings = Vec::new();
    let (introspection, known_user) = introspect(gitlab)?;
    let (scopes, expires_at, token_user_id, oauth) = match &introspection {
        Introspection::AccessToken(token) => {
            if token.revoked {
                return Err(ProviderError::Unauthorized(
                    "GitLab says the token was revoked".to_string(),
                ));
            }
            if token.active == Some(false) {
                return Err(ProviderError::Unauthorized(
                    "GitLab says the token is no longer active: it expired or was revoked"
                        .to_string(),
                ));
            }
            let expires_at = token.expires_at.as_deref().and_then(|date| {
                let normalized = timestamp::normalize_rfc3339(date);
                if normalized.is_none() {
                    warnings.push(format!(
                        "GitLab reported an expiry date git-access could not read: {date}"
                    ));
                }
                normalized
            });
            (Some(token.scopes.clone()), expires_at, token.user_id, false)
        }
        Introspection::OAuth(info) => {
            let scopes = if info.scope.is_empty() {
                info.scopes.clone()
            } else {
                info.scope.clone()
            };
            let expires_at = info.expires_in.filter(|s| *s > 0).and_then(|seconds| {
                Some(timestamp::format_unix_seconds(
                    timestamp::now_unix()? + seconds,
                ))
            });
            (Some(scopes), expires_at, info.resource_owner_id, true)
        }
        Introspection::Unknown(why) => {
            warnings.push(why.clone());
            (None, None, None, false)
        }
    };

    let user = match known_user {
        Some(user) => Some(user),
        None => fetch_user(gitlab, &mut warnings)?,
    };
    let (kind, scope) = match &user {
        Some(user) if user.bot => bot_kind(&user.username),
        Some(_) if oauth => (TokenKind::OauthToken, Scope::User),
        Some(_) => (TokenKind::PersonalToken, Scope::User),
        None if oauth => (TokenKind::OauthToken, Scope::User),
        None => (TokenKind::Unknown, Scope::User),
    };
    if kind == TokenKind::Unknown && user.as_ref().is_some_and(|u| u.bot) {
        warnings.push(
            "The token acts as a bot user git-access does not recognise as a project or group \
             token; its role is checked across its projects"
                .to_string(),
        );
    }
    if kind == TokenKind::GroupToken {
        warnings.push(
            "A group token reaches every project of its group and subgroups; a project token \
             limits access to one project"
                .to_string(),
        );
    }

    let mut permissions = scope_checks(scopes.as_deref());
    let user_id = user.as_ref().map(|u| u.id).or(token_user_id);
    let role = role(gitlab, scope, user_id)?;
    warnings.extend(role.warning);
    permissions.push(PermissionCheck {
        name: REQUIRED_ROLE.to_string(),
        reason: role.reason,
        status: role.status,
    });

    let scopes = scopes.unwrap_or_default();
    let risky: Vec<&str> = scopes
        .iter()
        .map(String::as_str)
        .filter(|s| RISKY_SCOPES.contains(s))
        .collect();
    if !risky.is_empty() {
        warnings.push(format!(
            "The token has scopes git-access does not need: {}",
            risky.join(", ")
        ));
    }
    let missing = permissions
        .iter()
        .filter(|p| p.status == PermissionStatus::Missing)
        .map(|p| p.name.clone())
        .collect();
    let (account, account_name) = match user {
        Some(user) => (user.username, user.name.filter(|n| !n.is_empty())),
        None => (
            user_id.map_or_else(String::new, |id| format!("user {id}")),
            None,
        ),
    };
    Ok(TokenReport {
        account,
        account_name,
        kind,
        scopes,
        permissions,
        missing,
        expires_at,
        workspace: role.workspace,
        warnings,
    })
}

/// Asks GitLab about the token: as an access token, else as an OAuth token. A 401 from the
/// access-token endpoint is an invalid token only when `GET /user` refuses it too (OAuth
/// tokens are not access tokens); the user read then is returned so it is not read twice.
fn introspect(gitlab: &GitLab) -> Result<(Introspection, Option<User>), ProviderError> {
    let response = gitlab.send(gitlab.get("/personal_access_tokens/self"))?;
    let mut user = None;
    match response.status {
        200..=299 => return Ok((Introspection::AccessToken(response.json()?), None)),
        401 => match gitlab.call(gitlab.get("/user")) {
            Ok(found) => user = Some(found.json::<User>()?),
            Err(ProviderError::Unauthorized(_)) => return Err(gitlab.error(&response)),
            Err(other) => return Err(other),
        },
        403 | 404 => {}
        _ => return Err(gitlab.error(&response)),
    }
    let info = oauth_token_info(gitlab)?;
    let introspection = match info {
        Some(info) => Introspection::OAuth(info),
        None => Introspection::Unknown(format!(
            "GitLab did not tell the token's scopes and expiry (GET /personal_access_tokens/self \
             answered HTTP {}; it needs GitLab 15.5 or later), so they could not be checked",
            response.status
        )),
    };
    Ok((introspection, user))
}

/// `GET {web}/oauth/token/info`: scopes and remaining life of an OAuth token; `None` when
/// the token is not one.
fn oauth_token_info(gitlab: &GitLab) -> Result<Option<OauthInfo>, ProviderError> {
    let url = api_url::join(gitlab.web_base(), "/oauth/token/info");
    // The endpoint takes the token as an OAuth bearer token only.
    let request = HttpRequest::get(url)
        .header("Accept", "application/json")
        .header("User-Agent", "git-access")
        .bearer_auth(gitlab.token());
    let response = gitlab.send(request)?;
    match response.status {
        200..=299 => Ok(response.json().ok()),
        429 | 500..=599 => Err(gitlab.error(&response)),
        _ => Ok(None),
    }
}

/// `GET /user`; `None` (with a warning) when the token's scopes do not allow it.
fn fetch_user(gitlab: &GitLab, warnings: &mut Vec<String>) -> Result<Option<User>, ProviderError> {
    match gitlab.call(gitlab.get("/user")) {
        Ok(response) => Ok(Some(response.json()?)),
        Err(ProviderError::Forbidden { .. }) => {
            warnings.push(
                "GitLab did not say which account the token acts as: it lacks the api (or \
                 read_user) scope"
                    .to_string(),
            );
            Ok(None)
        }
        Err(other) => Err(other),
    }
}

/// The kind and scope of a bot user's token: `project_{id}_bot…` or `group_{id}_bot…`.
fn bot_kind(username: &str) -> (TokenKind, Scope) {
    let id_after = |prefix: &str| -> Option<u64> {
        let rest = username.strip_prefix(prefix)?;
        let (id, tail) = rest.split_once('_')?;
        tail.starts_with("bot").then_some(())?;
        id.parse().ok()
    };
    if let Some(id) = id_after("project_") {
        (TokenKind::ProjectToken, Scope::Project(id))
    } else if let Some(id) = id_after("group_") {
        (TokenKind::GroupToken, Scope::Group(id))
    } else {
        (TokenKind::Unknown, Scope::User)
    }
}

/// Status of each required scope; unverified when GitLab did not list them.
fn scope_checks(scopes: Option<&[String]>) -> Vec<PermissionCheck> {
    REQUIRED_SCOPES
        .iter()
        .map(|(name, reason)| {
            let status = match scopes {
                None => PermissionStatus::Unverified,
                Some(scopes) => {
                    let has = |s: &str| scopes.iter().any(|g| g == s);
                    // Write access to repositories includes reading them.
                    let granted =
                        has(name) || (*name == "read_repository" && has("write_repository"));
                    if granted {
                        PermissionStatus::Granted
                    } else {
                        PermissionStatus::Missing
                    }
                }
            };
            PermissionCheck {
                name: name.to_string(),
                reason: reason.to_string(),
                status,
            }
        })
        .collect()
}

/// The token's role where it is decided (see the module documentation).
fn role(gitlab: &GitLab, scope: Scope, user_id: Option<u64>) -> Result<Role, ProviderError> {
    let outcome = match scope {
        Scope::Project(id) => gitlab
            .get_json::<ProjectJson>(&format!("/projects/{id}"))
            .map(|project| {
                let level = project.access_level();
                (level, Some(project.path_with_namespace), "its project")
            }),
        Scope::Group(id) => match user_id {
            Some(user) => gitlab
                .get_json::<Member>(&format!("/groups/{id}/members/all/{user}"))
                .map(|member| {
                    let path = gitlab
                        .get_json::<Group>(&format!("/groups/{id}"))
                        .ok()
                        .map(|g| g.full_path);
                    (Some(member.access_level), path, "its group")
                }),
            None => Err(ProviderError::NotFound(
                "the token's user is unknown".into(),
            )),
        },
        Scope::User => {
            let path = format!(
                "/projects?membership=true&min_access_level={MAINTAINER}&simple=true&per_page=1"
            );
            gitlab
                .get_json::<Vec<serde_json::Value>>(&path)
                .map(|found| {
                    let level = if found.is_empty() { 0 } else { MAINTAINER };
                    (Some(level), None, "any project")
                })
        }
    };
    match outcome {
        Ok((Some(level), workspace, place)) => {
            let status = if level >= MAINTAINER {
                PermissionStatus::Granted
            } else {
                PermissionStatus::Missing
            };
            let reason = if status == PermissionStatus::Granted {
                ROLE_REASON.to_string()
            } else if scope == Scope::User {
                format!("{ROLE_REASON}; the token's user is not Maintainer or Owner of {place}")
            } else {
                format!(
                    "{ROLE_REASON}; the token's role in {place} is {}",
                    role_name(level)
                )
            };
            Ok(Role {
                status,
                reason,
                workspace,
                warning: None,
            })
        }
        Ok((None, workspace, place)) => Ok(Role {
            status: PermissionStatus::Missing,
            reason: format!("{ROLE_REASON}; the token has no role in {place}"),
            workspace,
            warning: None,
        }),
        Err(ProviderError::Forbidden { .. } | ProviderError::NotFound(_)) => Ok(Role {
            status: PermissionStatus::Unverified,
            reason: ROLE_REASON.to_string(),
            workspace: None,
            warning: Some(
                "The token's role could not be read (GitLab refused to show the membership); \
                 creating the webhook will tell"
                    .to_string(),
            ),
        }),
        Err(other) => Err(other),
    }
}

/// GitLab's name of an access level.
fn role_name(level: u32) -> String {
    let name = match level {
        0 => "no access",
        5 => "Minimal access",
        10 => "Guest",
        15 => "Planner",
        20 => "Reporter",
        30 => "Developer",
        40 => "Maintainer",
        50 => "Owner",
        _ => "an unknown role",
    };
    format!("{name} ({level})")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api_client::fake::FakeGitLab;
    use crate::api_client::REJECTED;
    use serde_json::json;

    fn validate_with(fake: &FakeGitLab, token: &str) -> Result<TokenReport, ProviderError> {
        validate(&GitLab::new("https://gitlab.example.com/api/v4", token, fake).unwrap())
    }

    fn token_self(scopes: &[&str], expires_at: Option<&str>) -> String {
        json!({
            "id": 4, "name": "deploy", "revoked": false, "active": true,
            "scopes": scopes, "user_id": 77, "expires_at": expires_at,
            "created_at": "2024-01-01T00:00:00.000Z", "last_used_at": null
        })
        .to_string()
    }

    fn user(username: &str, bot: bool) -> String {
        json!({"id": 77, "username": username, "name": "Deploy token", "bot": bot, "state": "active"})
            .to_string()
    }

    fn project_access(level: u32) -> String {
        json!({
            "id": 42, "path": "api", "path_with_namespace": "acme/api",
            "web_url": "https://gitlab.example.com/acme/api",
            "permissions": {"project_access": {"access_level": level}, "group_access": null}
        })
        .to_string()
    }

    fn statuses(report: &TokenReport) -> Vec<(String, PermissionStatus)> {
        report
            .permissions
            .iter()
            .map(|p| (p.name.clone(), p.status))
            .collect()
    }

    #[test]
    fn project_token_with_everything() {
        let fake = FakeGitLab::new()
            .on(
                "GET",
                "/personal_access_tokens/self",
                200,
                &[],
                &token_self(&["api", "read_repository"], Some("2026-12-01")),
            )
            .on("GET", "/user", 200, &[], &user("project_42_bot_5f2a", true))
            .on("GET", "/projects/42", 200, &[], &project_access(40));
        let report = validate_with(&fake, "glpat-abc").unwrap();
        assert_eq!(report.kind, TokenKind::ProjectToken);
        assert_eq!(report.account, "project_42_bot_5f2a");
        assert_eq!(report.account_name.as_deref(), Some("Deploy token"));
        assert_eq!(report.workspace.as_deref(), Some("acme/api"));
        assert_eq!(report.expires_at.as_deref(), Some("2026-12-01T00:00:00Z"));
        assert!(report.missing.is_empty(), "{:?}", report.missing);
        assert_eq!(report.scopes, ["api", "read_repository"]);
        assert!(report.warnings.is_empty(), "{:?}", report.warnings);
        assert!(
            fake.sent().iter().all(|r| r.method().as_str() == "GET"),
            "validation never writes"
        );
    }

    #[test]
    fn developer_role_and_each_missing_scope_are_named() {
        let fake = FakeGitLab::new()
            .on(
                "GET",
                "/personal_access_tokens/self",
                200,
                &[],
                &token_self(&["read_api"], None),
            )
            .on("GET", "/user", 200, &[], &user("project_42_bot_5f2a", true))
            .on("GET", "/projects/42", 200, &[], &project_access(30));
        let report = validate_with(&fake, "glpat-abc").unwrap();
        assert_eq!(report.missing, ["api", "read_repository", "maintainer"]);
        let role = &report.permissions[2];
        assert!(role.reason.contains("Developer (30)"), "{}", role.reason);
        assert_eq!(report.expires_at, None);
    }

    #[test]
    fn group_token_membership() {
        let fake = FakeGitLab::new()
            .on(
                "GET",
                "/personal_access_tokens/self",
                200,
                &[],
                &token_self(&["api", "write_repository"], Some("2030-01-31")),
            )
            .on("GET", "/user", 200, &[], &user("group_9_bot_77aa", true))
            .on(
                "GET",
                "/groups/9/members/all/77",
                200,
                &[],
                r#"{"id":77,"username":"group_9_bot_77aa","access_level":50}"#,
            )
            .on(
                "GET",
                "/groups/9",
                200,
                &[],
                r#"{"id":9,"full_path":"acme"}"#,
            );
        let report = validate_with(&fake, "glpat-abc").unwrap();
        assert_eq!(report.kind, TokenKind::GroupToken);
        assert_eq!(report.workspace.as_deref(), Some("acme"));
        assert!(report.missing.is_empty());
        assert!(report
            .warnings
            .iter()
            .any(|w| w.contains("write_repository")));
        assert!(report.warnings.iter().any(|w| w.contains("group token")));
    }

    #[test]
    fn personal_token_without_maintainer_projects() {
        let fake = FakeGitLab::new()
            .on(
                "GET",
                "/personal_access_tokens/self",
                200,
                &[],
                &token_self(&["api", "read_repository"], None),
            )
            .on("GET", "/user", 200, &[], &user("jsmith", false))
            .on(
                "GET",
                "/projects?membership=true&min_access_level=40",
                200,
                &[],
                "[]",
            );
        let report = validate_with(&fake, "glpat-abc").unwrap();
        assert_eq!(report.kind, TokenKind::PersonalToken);
        assert_eq!(report.missing, ["maintainer"]);
        assert!(report.permissions[2].reason.contains("any project"));
    }

    #[test]
    fn revoked_expired_and_rejected_tokens_are_unauthorized() {
        let revoked = json!({"scopes": ["api"], "revoked": true, "active": false}).to_string();
        let fake = FakeGitLab::new().on("GET", "/personal_access_tokens/self", 200, &[], &revoked);
        assert!(matches!(
            validate_with(&fake, "glpat-abc"),
            Err(ProviderError::Unauthorized(m)) if m.contains("revoked")
        ));
        let inactive = json!({"scopes": ["api"], "revoked": false, "active": false}).to_string();
        let fake = FakeGitLab::new().on("GET", "/personal_access_tokens/self", 200, &[], &inactive);
        assert!(matches!(
            validate_with(&fake, "glpat-abc"),
            Err(ProviderError::Unauthorized(m)) if m.contains("no longer active")
        ));
        let expired = r#"{"error":"invalid_token","error_description":"Token has expired."}"#;
        let fake = FakeGitLab::new()
            .on("GET", "/personal_access_tokens/self", 401, &[], expired)
            .on("GET", "/user", 401, &[], expired);
        assert!(matches!(
            validate_with(&fake, "glpat-abc"),
            Err(ProviderError::Unauthorized(m)) if m.starts_with(REJECTED) && m.contains("expired")
        ));
    }

    #[test]
    fn oauth_token_uses_token_info() {
        let fake = FakeGitLab::new()
            .on(
                "GET",
                "/personal_access_tokens/self",
                401,
                &[],
                r#"{"message":"401 Unauthorized"}"#,
            )
            .on("GET", "/api/v4/user", 200, &[], &user("jsmith", false))
            .on(
                "GET",
                "/oauth/token/info",
                200,
                &[],
                r#"{"resource_owner_id":77,"scope":["api","read_repository"],"expires_in":7000,"application":{"uid":"x"}}"#,
            )
            .on("GET", "/projects?membership=true", 200, &[], r#"[{"id":1}]"#);
        let report = validate_with(&fake, "4d5e6f").unwrap();
        assert_eq!(report.kind, TokenKind::OauthToken);
        assert_eq!(report.account, "jsmith");
        assert!(report.missing.is_empty());
        assert!(report.expires_at.is_some());
        let info = fake
            .sent()
            .into_iter()
            .find(|r| r.url().ends_with("/oauth/token/info"))
            .unwrap();
        assert_eq!(
            info.url(),
            "https://gitlab.example.com/oauth/token/info",
            "on the web root, not under /api/v4"
        );
        assert_eq!(info.headers().get("authorization"), Some("Bearer 4d5e6f"));
        assert_eq!(
            fake.sent_lines()
                .iter()
                .filter(|l| l.ends_with("/api/v4/user"))
                .count(),
            1,
            "the user is read once"
        );
    }

    #[test]
    fn old_gitlab_without_introspection_is_unverified() {
        let fake = FakeGitLab::new()
            .on("GET", "/user", 200, &[], &user("jsmith", false))
            .on(
                "GET",
                "/projects?membership=true",
                200,
                &[],
                r#"[{"id":1}]"#,
            );
        let report = validate_with(&fake, "glpat-abc").unwrap();
        assert_eq!(
            statuses(&report),
            [
                ("api".to_string(), PermissionStatus::Unverified),
                ("read_repository".to_string(), PermissionStatus::Unverified),
                ("maintainer".to_string(), PermissionStatus::Granted),
            ]
        );
        assert!(report.missing.is_empty());
        assert!(report.warnings[0].contains("15.5"), "{:?}", report.warnings);
    }

    #[test]
    fn token_without_api_scope_cannot_read_its_user_or_role() {
        let scope_error = r#"{"error":"insufficient_scope","scope":"api read_api read_user"}"#;
        let fake = FakeGitLab::new()
            .on(
                "GET",
                "/personal_access_tokens/self",
                200,
                &[],
                &token_self(&["read_repository"], None),
            )
            .on("GET", "/user", 403, &[], scope_error)
            .on("GET", "/projects?", 403, &[], scope_error);
        let report = validate_with(&fake, "glpat-abc").unwrap();
        assert_eq!(report.account, "user 77");
        assert_eq!(report.kind, TokenKind::Unknown);
        assert_eq!(report.missing, ["api"]);
        assert_eq!(report.permissions[2].status, PermissionStatus::Unverified);
        assert_eq!(report.warnings.len(), 2, "{:?}", report.warnings);
    }

    #[test]
    fn rate_limits_and_outages_pass_through() {
        let fake = FakeGitLab::new().on(
            "GET",
            "/personal_access_tokens/self",
            429,
            &[("Retry-After", "30")],
            "Retry later",
        );
        assert!(matches!(
            validate_with(&fake, "glpat-abc"),
            Err(ProviderError::RateLimited {
                retry_after: Some(30),
                ..
            })
        ));
        let fake = FakeGitLab::new()
            .on(
                "GET",
                "/personal_access_tokens/self",
                200,
                &[],
                &token_self(&["api", "read_repository"], None),
            )
            .on("GET", "/user", 503, &[], "");
        assert!(matches!(
            validate_with(&fake, "glpat-abc"),
            Err(ProviderError::Unavailable { .. })
        ));
        let fake = FakeGitLab::new();
        assert!(matches!(
            validate_with(&fake, ""),
            Err(ProviderError::InvalidInput(_))
        ));
        assert!(fake.sent().is_empty());
    }

    #[test]
    fn bot_names() {
        assert_eq!(
            bot_kind("project_42_bot_5f2a"),
            (TokenKind::ProjectToken, Scope::Project(42))
        );
        assert_eq!(
            bot_kind("group_7_bot1"),
            (TokenKind::GroupToken, Scope::Group(7))
        );
        assert_eq!(bot_kind("project_x_bot").0, TokenKind::Unknown);
        assert_eq!(bot_kind("ghost").0, TokenKind::Unknown);
        assert_eq!(role_name(30), "Developer (30)");
    }
}
