//! `validate-token`: which workspace a token reaches, what kind it is, and its permissions
//! against what git-access needs. Reads only; never writes.
//!
//! Bitbucket Cloud tokens (repository, project and workspace access tokens, and OAuth
//! tokens) have no introspection endpoint and may not read `GET /user`, so:
//!
//! 1. the workspace is required (except for a user's OAuth token, below), and
//!    `GET /repositories/{workspace}` proves the token
//!    reaches it (404: no such workspace; 403: a token without the `repository` scope,
//!    which is reported as missing, or else a token of another workspace). When it lists
//!    nothing, `GET /workspaces/{workspace}` tells a missing workspace (404) from a token
//!    of another workspace;
//! 2. its answer's `X-OAuth-Scopes` and `X-Credential-Type` give the scopes and the kind
//!    when Bitbucket sends them; otherwise read-only probes on the first repository decide
//!    (see [`permission_probes`](crate::permission_probes));
//! 3. `GET /user` names the account when the token may read it.
//!
//! Without a workspace only a user's own token (OAuth, as sign-in obtains) is checked:
//! `GET /user` names the account and `X-Credential-Type`/`X-OAuth-Scopes` give its kind
//! and scopes; any other token is told that the workspace is required.
//!
//! Bitbucket does not say when a token expires; an expired one is rejected (401) like an
//! invalid or revoked one: all are `unauthorized`.

use git_access_plugin_sdk::{HttpResponse, ProviderError};
use serde::Deserialize;

use crate::api_client::{checked_name, granted_scopes, refused_with_scopes, Bitbucket};
use crate::bindings::types::{Connection, PermissionStatus, TokenKind, TokenReport};
use crate::paging::Paginated;
use crate::permission_probes::{self, has_scope, Probes};
use crate::repositories::RepoJson;

#[derive(Deserialize)]
struct User {
    username: Option<String>,
    nickname: Option<String>,
    display_name: Option<String>,
}

/// Checks the connection's token in its workspace.
pub fn validate_token(conn: &Connection) -> Result<TokenReport, ProviderError> {
    validate(&Bitbucket::connect(conn)?, conn.workspace.as_deref())
}

/// Checks the token of `bitbucket` in `workspace`.
pub fn validate(
    bitbucket: &Bitbucket,
    workspace: Option<&str>,
) -> Result<TokenReport, ProviderError> {
    if bitbucket.token().is_empty() {
        return Err(ProviderError::InvalidInput(
            "a Bitbucket token is required".to_string(),
        ));
    }
    let Some(workspace) = workspace.map(str::trim).filter(|w| !w.is_empty()) else {
        return validate_user_token(bitbucket);
    };
    let workspace = checked_name("workspace", workspace)?;

    let response = bitbucket.send(bitbucket.get(&format!(
        "/repositories/{workspace}?pagelen=10&sort=full_name"
    )))?;
    let kind = kind(&response);
    let (repos, scopes) = match response.status {
        200..=299 => (
            response.json::<Paginated<RepoJson>>()?.values,
            granted_scopes(&response),
        ),
        404 => return Err(no_such_workspace(workspace)),
        // A token without the repository scope still works: report what it lacks.
        403 => match refused_with_scopes(&response) {
            Some(scopes) if !has_scope(&scopes, "repository") => (Vec::new(), Some(scopes)),
            _ => return Err(another_workspace(bitbucket, &response, workspace)),
        },
        _ => return Err(bitbucket.error(&response)),
    };
    let first = repos.first();
    let Probes {
        permissions,
        proven,
        mut warnings,
    } = match (&scopes, first) {
        (Some(scopes), Some(_)) => permission_probes::from_scopes(scopes),
        (Some(scopes), None) if !has_scope(scopes, "repository") => {
            permission_probes::from_scopes(scopes)
        }
        (None, Some(first)) => permission_probes::probe(bitbucket, first)?,
        (_, None) => return Err(reaches_nothing(bitbucket, workspace)),
    };
    if kind == TokenKind::WorkspaceToken {
        warnings.push(
            "A workspace access token reaches every repository of the workspace; a \
             repository or project access token limits what git-access can reach"
                .to_string(),
        );
    }
    let user = user(bitbucket)?;
    let account_name = user.as_ref().and_then(|u| u.display_name.clone());
    let account = user
        .and_then(|u| u.username.or(u.nickname).or(u.display_name))
        .unwrap_or_else(|| match (kind, first) {
            (TokenKind::RepositoryToken, Some(repo)) => {
                format!("access token of {}", repo.full_name)
            }
            _ => format!("access token of {workspace}"),
        });
    let missing = permissions
        .iter()
        .filter(|p| p.status == PermissionStatus::Missing)
        .map(|p| p.name.clone())
        .collect();
    Ok(TokenReport {
        account,
        account_name,
        kind,
        scopes: proven,
        permissions,
        missing,
        expires_at: None,
        workspace: Some(workspace.to_string()),
        warnings,
    })
}

fn workspace_required() -> ProviderError {
    ProviderError::InvalidInput(
        "a Bitbucket workspace is required with every Bitbucket access token: its id, as in \
         https://bitbucket.org/<workspace>/"
            .to_string(),
    )
}

/// A token given without a workspace: only a user's OAuth token qualifies.
fn validate_user_token(bitbucket: &Bitbucket) -> Result<TokenReport, ProviderError> {
    let response = bitbucket.send(bitbucket.get("/user"))?;
    match response.status {
        200..=299 => {}
        401 | 429 | 500..=599 => return Err(bitbucket.error(&response)),
        _ => return Err(workspace_required()),
    }
    let kind = kind(&response);
    if kind != TokenKind::OauthToken {
        return Err(workspace_required());
    }
    let scopes = granted_scopes(&response).unwrap_or_default();
    let Probes {
        permissions,
        proven,
        warnings,
    } = permission_probes::from_scopes(&scopes);
    let user: User = response.json()?;
    let account_name = user.display_name.clone();
    let account = user
        .username
        .or(user.nickname)
        .or(user.display_name)
        .ok_or_else(|| ProviderError::Other("Bitbucket did not name the account".to_string()))?;
    let missing = permissions
        .iter()
        .filter(|p| p.status == PermissionStatus::Missing)
        .map(|p| p.name.clone())
        .collect();
    Ok(TokenReport {
        account,
        account_name,
        kind,
        scopes: proven,
        permissions,
        missing,
        expires_at: None,
        workspace: None,
        warnings,
    })
}

/// A 403 on the workspace's repositories from a token that has the repository scope.
fn another_workspace(
    bitbucket: &Bitbucket,
    response: &HttpResponse,
    workspace: &str,
) -> ProviderError {
    let missing = match bitbucket.error(response) {
        ProviderError::Forbidden { missing, .. } if !missing.is_empty() => missing,
        _ => vec!["repository".to_string()],
    };
    ProviderError::forbidden(
        format!(
            "the token may not list the repositories of workspace `{workspace}`: it belongs \
             to another workspace, or lacks the {} scope",
            missing.join(" and ")
        ),
        missing,
    )
}

fn no_such_workspace(workspace: &str) -> ProviderError {
    ProviderError::NotFound(format!(
        "Bitbucket has no workspace `{workspace}`, or the token cannot see it: check the \
         workspace id (https://bitbucket.org/<workspace>/)"
    ))
}

/// The error when the workspace lists no repository for the token: the workspace does not
/// exist, or the token belongs elsewhere.
fn reaches_nothing(bitbucket: &Bitbucket, workspace: &str) -> ProviderError {
    let response = match bitbucket.send(bitbucket.get(&format!("/workspaces/{workspace}"))) {
        Ok(response) => response,
        Err(error) => return error,
    };
    match response.status {
        404 => no_such_workspace(workspace),
        401 | 429 | 500..=599 => bitbucket.error(&response),
        _ => ProviderError::forbidden(
            format!(
                "the token reaches no repository in workspace `{workspace}`: it belongs to \
                 another workspace, or to a project or repository git-access cannot see \
                 (or the workspace has no repository yet)"
            ),
            vec!["repository".to_string()],
        ),
    }
}

/// The token's kind from `X-Credential-Type` (`repo_access_token`, …).
fn kind(response: &HttpResponse) -> TokenKind {
    let Some(credential) = response.header("x-credential-type") else {
        return TokenKind::Unknown;
    };
    let credential = credential.trim().to_ascii_lowercase();
    if credential.starts_with("repo") {
        TokenKind::RepositoryToken
    } else if credential.starts_with("project") {
        TokenKind::ProjectToken
    } else if credential.starts_with("workspace") {
        TokenKind::WorkspaceToken
    } else if credential.contains("oauth") {
        TokenKind::OauthToken
    } else if credential.contains("app") || credential.contains("api_token") {
        TokenKind::PersonalToken
    } else {
        TokenKind::Unknown
    }
}

/// `GET /user`, which access tokens may not read: `None` then.
fn user(bitbucket: &Bitbucket) -> Result<Option<User>, ProviderError> {
    let response = bitbucket.send(bitbucket.get("/user"))?;
    match response.status {
        200..=299 => Ok(response.json().ok()),
        429 | 500..=599 => Err(bitbucket.error(&response)),
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api_client::fake::FakeBitbucket;
    use crate::api_client::REJECTED;
    use serde_json::json;

    fn repos(names: &[&str]) -> String {
        json!({
            "pagelen": 10,
            "values": names.iter().map(|n| json!({"full_name": format!("acme/{n}"), "slug": n, "is_private": true})).collect::<Vec<_>>()
        })
        .to_string()
    }

    fn validate_with(
        fake: &FakeBitbucket,
        workspace: Option<&str>,
    ) -> Result<TokenReport, ProviderError> {
        validate(
            &Bitbucket::new("", "ATCTT3xToken", fake).unwrap(),
            workspace,
        )
    }

    fn statuses(report: &TokenReport) -> Vec<(String, PermissionStatus)> {
        report
            .permissions
            .iter()
            .map(|p| (p.name.clone(), p.status))
            .collect()
    }

    #[test]
    fn repository_token_with_everything() {
        let fake = FakeBitbucket::new()
            .on(
                "GET",
                "/repositories/acme?",
                200,
                &[
                    ("X-OAuth-Scopes", "pullrequest:write, webhook"),
                    ("X-Credential-Type", "repo_access_token"),
                ],
                &repos(&["api"]),
            )
            .on(
                "GET",
                "/user",
                403,
                &[],
                r#"{"type":"error","error":{"message":"Forbidden"}}"#,
            );
        let report = validate_with(&fake, Some(" acme ")).unwrap();
        assert_eq!(report.kind, TokenKind::RepositoryToken);
        assert_eq!(report.account, "access token of acme/api");
        assert_eq!(report.workspace.as_deref(), Some("acme"));
        assert!(report.missing.is_empty(), "{:?}", report.missing);
        assert_eq!(report.scopes, ["pullrequest:write", "webhook"]);
        assert_eq!(report.expires_at, None);
        assert!(report.warnings.is_empty(), "{:?}", report.warnings);
        assert!(fake.sent().iter().all(|r| r.method().as_str() == "GET"));
    }

    #[test]
    fn each_missing_scope_is_named() {
        let fake = FakeBitbucket::new().on(
            "GET",
            "/repositories/acme?",
            200,
            &[
                ("X-OAuth-Scopes", "repository"),
                ("X-Credential-Type", "workspace_access_token"),
            ],
            &repos(&["api", "web"]),
        );
        let report = validate_with(&fake, Some("acme")).unwrap();
        assert_eq!(report.kind, TokenKind::WorkspaceToken);
        assert_eq!(report.missing, ["pullrequest:write", "webhook"]);
        assert!(report.warnings[0].contains("workspace access token"));
    }

    #[test]
    fn a_token_without_the_repository_scope_is_reported() {
        let fake = FakeBitbucket::new().on(
            "GET",
            "/repositories/acme?",
            403,
            &[("X-Credential-Type", "project_access_token")],
            r#"{"type":"error","error":{"message":"Your credentials lack one or more required privilege scopes.","detail":{"granted":["webhook"],"required":["repository"]}}}"#,
        );
        let report = validate_with(&fake, Some("acme")).unwrap();
        assert_eq!(report.kind, TokenKind::ProjectToken);
        assert_eq!(report.missing, ["repository", "pullrequest:write"]);
        assert_eq!(report.account, "access token of acme");
    }

    #[test]
    fn probes_when_bitbucket_reports_no_scopes() {
        let fake = FakeBitbucket::new()
            .on("GET", "/repositories/acme?", 200, &[], &repos(&["api"]))
            .on(
                "GET",
                "/repositories/acme/api/pullrequests",
                200,
                &[],
                r#"{"values":[]}"#,
            )
            .on("GET", "/repositories/acme/api/hooks", 403, &[], "{}")
            .on(
                "GET",
                "/user",
                200,
                &[],
                r#"{"username":"deploy-bot","display_name":"Deploy bot"}"#,
            );
        let report = validate_with(&fake, Some("acme")).unwrap();
        assert_eq!(report.kind, TokenKind::Unknown);
        assert_eq!(report.account, "deploy-bot");
        assert_eq!(report.account_name.as_deref(), Some("Deploy bot"));
        assert_eq!(
            statuses(&report),
            [
                ("repository".to_string(), PermissionStatus::Granted),
                (
                    "pullrequest:write".to_string(),
                    PermissionStatus::Unverified
                ),
                ("webhook".to_string(), PermissionStatus::Missing),
            ]
        );
        assert_eq!(report.missing, ["webhook"]);
        assert_eq!(report.scopes, ["repository", "pullrequest"]);
        assert!(report.warnings[0].contains("pullrequest:write was not verified"));
    }

    #[test]
    fn a_users_oauth_token_needs_no_workspace() {
        let fake = FakeBitbucket::new().on(
            "GET",
            "/user",
            200,
            &[
                ("x-credential-type", "oauth2"),
                (
                    "x-oauth-scopes",
                    "account, repository, pullrequest:write, webhook",
                ),
            ],
            r#"{"username": "emma", "display_name": "Emma"}"#,
        );
        let report = validate_with(&fake, None).unwrap();
        assert_eq!(report.kind, TokenKind::OauthToken);
        assert_eq!(report.account, "emma");
        assert_eq!(report.account_name.as_deref(), Some("Emma"));
        assert_eq!(report.workspace, None);
        assert!(report.missing.is_empty(), "{:?}", report.missing);
        // An access token (not a user's) still needs its workspace.
        let access = FakeBitbucket::new().on(
            "GET",
            "/user",
            200,
            &[("x-credential-type", "repo_access_token")],
            r#"{"display_name": "bot"}"#,
        );
        assert!(matches!(
            validate_with(&access, None),
            Err(ProviderError::InvalidInput(m)) if m.contains("workspace is required")
        ));
    }

    #[test]
    fn workspace_is_required_and_checked() {
        let fake = FakeBitbucket::new();
        for missing in [None, Some(""), Some("  ")] {
            assert!(matches!(
                validate_with(&fake, missing),
                Err(ProviderError::InvalidInput(m)) if m.contains("workspace is required")
            ));
        }
        assert!(
            fake.sent_lines().iter().all(|line| line.ends_with("/user")),
            "only GET /user, to recognise a user's token: {:?}",
            fake.sent_lines()
        );
        let before = fake.sent().len();
        assert!(matches!(
            validate_with(&fake, Some("acme/x")),
            Err(ProviderError::InvalidInput(_))
        ));
        assert_eq!(fake.sent().len(), before);
        // Unknown workspace.
        assert!(matches!(
            validate_with(&fake, Some("nope")),
            Err(ProviderError::NotFound(m)) if m.contains("no workspace `nope`")
        ));
        // Another workspace's token.
        let fake = FakeBitbucket::new().on(
            "GET",
            "/repositories/other?",
            403,
            &[],
            r#"{"type":"error","error":{"message":"Forbidden"}}"#,
        );
        assert!(matches!(
            validate_with(&fake, Some("other")),
            Err(ProviderError::Forbidden { missing, message }) if missing == ["repository"] && message.contains("another workspace")
        ));
        // A workspace that exists but lists nothing for the token.
        let fake = FakeBitbucket::new()
            .on("GET", "/repositories/empty?", 200, &[], &repos(&[]))
            .on("GET", "/workspaces/empty", 403, &[], "{}");
        assert!(matches!(
            validate_with(&fake, Some("empty")),
            Err(ProviderError::Forbidden { message, .. }) if message.contains("reaches no repository")
        ));
        let fake = FakeBitbucket::new().on("GET", "/repositories/gone?", 200, &[], &repos(&[]));
        assert!(matches!(
            validate_with(&fake, Some("gone")),
            Err(ProviderError::NotFound(_))
        ));
    }

    #[test]
    fn rejected_throttled_and_down() {
        let fake = FakeBitbucket::new().on(
            "GET",
            "/repositories/acme?",
            401,
            &[],
            r#"{"type":"error","error":{"message":"Token is invalid, expired, or not supported for this endpoint."}}"#,
        );
        assert!(matches!(
            validate_with(&fake, Some("acme")),
            Err(ProviderError::Unauthorized(m)) if m.starts_with(REJECTED)
        ));
        let fake = FakeBitbucket::new().on(
            "GET",
            "/repositories/acme?",
            429,
            &[("Retry-After", "12")],
            "",
        );
        assert!(matches!(
            validate_with(&fake, Some("acme")),
            Err(ProviderError::RateLimited {
                retry_after: Some(12),
                ..
            })
        ));
        let fake = FakeBitbucket::new()
            .on("GET", "/repositories/acme?", 200, &[], &repos(&["api"]))
            .on("GET", "/pullrequests", 502, &[], "");
        assert!(matches!(
            validate_with(&fake, Some("acme")),
            Err(ProviderError::Unavailable { .. })
        ));
    }
}
