//! `validate-token`: who a token acts as, its kind, its permissions against what git-access
//! needs, and when it expires. Reads only; never writes.
//!
//! - Classic PATs (`ghp_`) and OAuth tokens (`gho_`): `GET /user`; GitHub lists the scopes
//!   in `X-OAuth-Scopes`.
//! - Fine-grained PATs (`github_pat_`) and App user tokens (`ghu_`): `GET /user`, then
//!   `GET /user/repos` and read-only probes on one repository (see [`permission_probes`]).
//! - App installation tokens (`ghs_`) have no user: `GET /installation/repositories`,
//!   then the same probes.
//!
//! Expiry comes from `GitHub-Authentication-Token-Expiration`. GitHub answers 401 `Bad
//! credentials` alike for unknown, expired and revoked tokens: all are `unauthorized`.

use git_access_plugin_sdk::{timestamp, HttpResponse, ProviderError};
use serde::Deserialize;

use crate::api_client::{self, GitHub};
use crate::bindings::types::{
    Connection, PermissionCheck, PermissionStatus, TokenKind, TokenReport,
};
use crate::paging;
use crate::permission_probes;
use crate::repositories::{self, InstallationRepos, RepositoryList};

pub use crate::permission_probes::FINE_GRAINED_REQUIRED;

/// Classic scopes git-access needs, with why. `repo` covers listing, branches and cloning;
/// webhooks need `admin:repo_hook` because removing a hook needs admin.
pub const CLASSIC_REQUIRED: &[(&str, &str)] = &[
    (
        "repo",
        "List repositories and branches, including private ones, and clone them",
    ),
    (
        "admin:repo_hook",
        "Create, read and delete the webhook that triggers deployments",
    ),
];

/// Scopes that give far more than git-access needs; worth a warning.
const RISKY_SCOPES: &[&str] = &["delete_repo", "admin:org", "admin:enterprise", "site_admin"];

#[derive(Deserialize)]
struct User {
    login: String,
    name: Option<String>,
}

/// Checks the connection's token.
pub fn validate_token(conn: &Connection) -> Result<TokenReport, ProviderError> {
    validate(&GitHub::connect(conn)?)
}

/// Checks the token of `github`.
pub fn validate(github: &GitHub) -> Result<TokenReport, ProviderError> {
    let token = github.token();
    if token.is_empty() {
        return Err(ProviderError::InvalidInput(
            "a GitHub token is required".to_string(),
        ));
    }
    if repositories::is_installation_token(token) {
        return validate_installation_token(github);
    }
    let kind = token_kind(token);
    let response = github.call(github.get("/user"))?;
    let user: User = response.json()?;
    let mut warnings = Vec::new();

    let scopes_header = response
        .header("x-oauth-scopes")
        .filter(|_| !matches!(kind, TokenKind::FineGrainedPat | TokenKind::AppToken));
    let (scopes, permissions) = match scopes_header {
        Some(header) => {
            let scopes: Vec<String> = api_client::split_list(header)
                .into_iter()
                .map(str::to_string)
                .collect();
            let permissions = classic_permissions(&scopes, &mut warnings);
            (scopes, permissions)
        }
        // Fine-grained and App tokens, and any token GitHub reports no scopes for.
        None => {
            let repos = repositories::fetch_repositories(
                github,
                RepositoryList::User,
                1,
                paging::MAX_PER_PAGE,
            )?;
            let probes = permission_probes::probe(github, &repos.items)?;
            warnings.extend(probes.warnings);
            (probes.proven, probes.permissions)
        }
    };
    if kind == TokenKind::AppToken {
        warnings.push(
            "This token acts for a GitHub App on behalf of a user: it can do only what both \
             the app and the user may"
                .to_string(),
        );
    }
    if kind == TokenKind::Unknown {
        warnings.push(
            "The token does not look like a current GitHub token (ghp_, github_pat_, ...); \
             consider replacing it with a fine-grained or classic personal access token"
                .to_string(),
        );
    }
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
    let expires_at = expiry(&response, &mut warnings);
    Ok(report(
        user.login,
        user.name.filter(|n| !n.is_empty()),
        kind,
        scopes,
        permissions,
        expires_at,
        warnings,
    ))
}

/// An installation token acts as its App installation: its account is the one the app is
/// installed on, and it sees only the installation's repositories.
fn validate_installation_token(github: &GitHub) -> Result<TokenReport, ProviderError> {
    let path = paging::page_query(repositories::INSTALLATION_REPOS, 1, paging::MAX_PER_PAGE);
    let response = github.call(github.get(&path))?;
    let repos = response.json::<InstallationRepos>()?.repositories;
    let probes = permission_probes::probe(github, &repos)?;
    let mut warnings = probes.warnings;
    let account = repos
        .first()
        .map(|r| r.owner.login.clone())
        .unwrap_or_default();
    warnings.push(
        "This is a GitHub App installation token: it expires within an hour and has the \
         permissions of the app's installation"
            .to_string(),
    );
    let expires_at = expiry(&response, &mut warnings);
    Ok(report(
        account,
        None,
        TokenKind::AppToken,
        probes.proven,
        probes.permissions,
        expires_at,
        warnings,
    ))
}

fn report(
    account: String,
    account_name: Option<String>,
    kind: TokenKind,
    scopes: Vec<String>,
    permissions: Vec<PermissionCheck>,
    expires_at: Option<String>,
    warnings: Vec<String>,
) -> TokenReport {
    let missing = permissions
        .iter()
        .filter(|p| p.status == PermissionStatus::Missing)
        .map(|p| p.name.clone())
        .collect();
    TokenReport {
        account,
        account_name,
        kind,
        scopes,
        permissions,
        missing,
        expires_at,
        workspace: None,
        warnings,
    }
}

/// The expiry GitHub announces in `GitHub-Authentication-Token-Expiration`, as RFC 3339.
fn expiry(response: &HttpResponse, warnings: &mut Vec<String>) -> Option<String> {
    let value = response.header("github-authentication-token-expiration")?;
    let normalized = timestamp::normalize_rfc3339(value);
    if normalized.is_none() {
        warnings.push(format!(
            "GitHub reported an expiry date git-access could not read: {value}"
        ));
    }
    normalized
}

/// The kind of a token, from its prefix.
pub fn token_kind(token: &str) -> TokenKind {
    if token.starts_with("ghp_") {
        TokenKind::ClassicPat
    } else if token.starts_with("github_pat_") {
        TokenKind::FineGrainedPat
    } else if token.starts_with("gho_") {
        TokenKind::OauthToken
    } else if token.starts_with("ghu_") || token.starts_with("ghs_") {
        TokenKind::AppToken
    } else {
        TokenKind::Unknown
    }
}

/// Status of each classic scope git-access needs, given the scopes the token has.
fn classic_permissions(scopes: &[String], warnings: &mut Vec<String>) -> Vec<PermissionCheck> {
    let has = |scope: &str| scopes.iter().any(|s| s == scope);
    let lesser_hook_scope = ["write:repo_hook", "read:repo_hook"]
        .into_iter()
        .find(|s| has(s));
    if let (false, Some(lesser)) = (has("admin:repo_hook"), lesser_hook_scope) {
        warnings.push(format!(
            "{lesser} is not enough: removing the deployment webhook needs admin:repo_hook"
        ));
    }
    CLASSIC_REQUIRED
        .iter()
        .map(|(name, reason)| PermissionCheck {
            name: name.to_string(),
            reason: reason.to_string(),
            status: if has(name) {
                PermissionStatus::Granted
            } else {
                PermissionStatus::Missing
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api_client::fake::FakeGitHub;
    use crate::api_client::REJECTED;
    use serde_json::json;

    const USER: &str = r#"{"login":"octocat","id":1,"name":"The Octocat"}"#;

    fn statuses(report: &TokenReport) -> Vec<(String, PermissionStatus)> {
        report
            .permissions
            .iter()
            .map(|p| (p.name.clone(), p.status))
            .collect()
    }

    fn validate_with(fake: &FakeGitHub, token: &str) -> Result<TokenReport, ProviderError> {
        validate(&GitHub::new("http://gh", token, fake))
    }

    fn repos(private: bool, admin: bool) -> String {
        json!([{
            "id": 1, "name": "hello", "full_name": "octocat/hello", "owner": {"login": "octocat"},
            "html_url": "https://github.com/octocat/hello", "private": private,
            "permissions": {"admin": admin}
        }])
        .to_string()
    }

    fn refused(permission: &str) -> [(&str, &str); 1] {
        [("X-Accepted-GitHub-Permissions", permission)]
    }

    #[test]
    fn kinds_by_prefix() {
        assert_eq!(token_kind("ghp_x"), TokenKind::ClassicPat);
        assert_eq!(token_kind("github_pat_x"), TokenKind::FineGrainedPat);
        assert_eq!(token_kind("gho_x"), TokenKind::OauthToken);
        assert_eq!(token_kind("ghu_x"), TokenKind::AppToken);
        assert_eq!(token_kind("ghs_x"), TokenKind::AppToken);
        assert_eq!(token_kind("ghr_x"), TokenKind::Unknown);
        assert_eq!(token_kind("0123abcd"), TokenKind::Unknown);
    }

    #[test]
    fn classic_token_with_everything() {
        let fake = FakeGitHub::new().on(
            "GET",
            "/user",
            200,
            &[
                ("X-OAuth-Scopes", "repo, admin:repo_hook, read:org"),
                (
                    "GitHub-Authentication-Token-Expiration",
                    "2026-12-01 10:00:00 UTC",
                ),
            ],
            USER,
        );
        let report = validate_with(&fake, "ghp_abc").unwrap();
        assert_eq!(report.account, "octocat");
        assert_eq!(report.account_name.as_deref(), Some("The Octocat"));
        assert_eq!(report.kind, TokenKind::ClassicPat);
        assert_eq!(report.scopes, ["repo", "admin:repo_hook", "read:org"]);
        assert!(report.missing.is_empty());
        assert_eq!(
            statuses(&report),
            [
                ("repo".to_string(), PermissionStatus::Granted),
                ("admin:repo_hook".to_string(), PermissionStatus::Granted)
            ]
        );
        assert_eq!(report.expires_at.as_deref(), Some("2026-12-01T10:00:00Z"));
        assert!(report.warnings.is_empty(), "{:?}", report.warnings);
        assert_eq!(fake.sent().len(), 1, "one read for a classic token");
    }

    #[test]
    fn write_repo_hook_is_not_admin() {
        let fake = FakeGitHub::new().on(
            "GET",
            "/user",
            200,
            &[
                ("x-oauth-scopes", "repo,write:repo_hook"),
                (
                    "github-authentication-token-expiration",
                    "2026-12-01 10:00:00 +0200",
                ),
            ],
            USER,
        );
        let report = validate_with(&fake, "ghp_abc").unwrap();
        assert_eq!(report.missing, ["admin:repo_hook"]);
        assert!(report.warnings[0].contains("write:repo_hook is not enough"));
        assert_eq!(report.expires_at.as_deref(), Some("2026-12-01T08:00:00Z"));
    }

    #[test]
    fn classic_token_without_scopes_misses_both() {
        let fake = FakeGitHub::new().on("GET", "/user", 200, &[("X-OAuth-Scopes", "")], USER);
        let report = validate_with(&fake, "ghp_abc").unwrap();
        assert_eq!(report.missing, ["repo", "admin:repo_hook"]);
        assert!(report.scopes.is_empty());
    }

    #[test]
    fn fine_grained_token_with_everything_readable() {
        let fake = FakeGitHub::new()
            .on("GET", "/user/repos", 200, &[], &repos(true, true))
            .on(
                "GET",
                "/user",
                200,
                &[(
                    "GitHub-Authentication-Token-Expiration",
                    "2026-01-31 23:00:00 -0100",
                )],
                USER,
            )
            .on(
                "GET",
                "/repos/octocat/hello/commits",
                409,
                &[],
                r#"{"message":"Git Repository is empty."}"#,
            )
            .on("GET", "/repos/octocat/hello/hooks", 200, &[], "[]")
            .on("GET", "/repos/octocat/hello/pulls", 200, &[], "[]");
        let report = validate_with(&fake, "github_pat_abc").unwrap();
        assert_eq!(report.kind, TokenKind::FineGrainedPat);
        assert!(report.missing.is_empty());
        assert_eq!(
            statuses(&report),
            [
                ("contents:read".to_string(), PermissionStatus::Granted),
                ("webhooks:write".to_string(), PermissionStatus::Unverified),
                (
                    "pull_requests:write".to_string(),
                    PermissionStatus::Unverified
                ),
            ]
        );
        assert_eq!(
            report.scopes,
            ["contents:read", "webhooks:read", "pull_requests:read"]
        );
        assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
        assert!(
            report.warnings[0].contains("webhooks:write and pull_requests:write were not verified")
        );
        assert_eq!(report.expires_at.as_deref(), Some("2026-02-01T00:00:00Z"));
        assert!(
            fake.sent().iter().all(|r| r.method().as_str() == "GET"),
            "validation never writes: {:?}",
            fake.sent_lines()
        );
    }

    #[test]
    fn fine_grained_token_missing_each_permission() {
        let fake = FakeGitHub::new()
            .on("GET", "/user/repos", 200, &[], &repos(true, true))
            .on("GET", "/user", 200, &[], USER)
            .on(
                "GET",
                "/commits",
                403,
                &refused("contents=read"),
                r#"{"message":"Resource not accessible by personal access token"}"#,
            )
            .on("GET", "/hooks", 403, &refused("webhooks=read"), "{}")
            .on("GET", "/pulls", 403, &refused("pull_requests=read"), "{}");
        let report = validate_with(&fake, "github_pat_abc").unwrap();
        assert_eq!(
            report.missing,
            ["contents:read", "webhooks:write", "pull_requests:write"]
        );
        assert!(report.scopes.is_empty());
    }

    #[test]
    fn fine_grained_token_on_public_or_no_repositories_is_unverified() {
        let fake = FakeGitHub::new()
            .on("GET", "/user/repos", 200, &[], &repos(false, true))
            .on("GET", "/user", 200, &[], USER)
            .on("GET", "/commits", 200, &[], "[]")
            .on("GET", "/hooks", 403, &refused("webhooks=read"), "{}")
            .on("GET", "/pulls", 200, &[], "[]");
        let report = validate_with(&fake, "github_pat_abc").unwrap();
        assert_eq!(report.missing, ["webhooks:write"]);
        assert_eq!(report.permissions[0].status, PermissionStatus::Unverified);
        assert!(report
            .warnings
            .iter()
            .any(|w| w.contains("only public repositories")));

        let fake = FakeGitHub::new()
            .on("GET", "/user/repos", 200, &[], "[]")
            .on("GET", "/user", 200, &[], USER);
        let report = validate_with(&fake, "github_pat_abc").unwrap();
        assert!(report.missing.is_empty());
        assert!(report
            .permissions
            .iter()
            .all(|p| p.status == PermissionStatus::Unverified));
        assert!(report.warnings[0].contains("cannot reach any repository"));
    }

    #[test]
    fn installation_token_lists_installation_repositories() {
        let body = json!({"total_count": 1, "repositories": serde_json::from_str::<serde_json::Value>(&repos(true, false)).unwrap()}).to_string();
        let fake = FakeGitHub::new()
            .on("GET", "/installation/repositories", 200, &[], &body)
            .on("GET", "/commits", 200, &[], "[]")
            .on("GET", "/hooks", 200, &[], "[]")
            .on("GET", "/pulls", 403, &refused("pull_requests=read"), "{}");
        let report = validate_with(&fake, "ghs_abc").unwrap();
        assert_eq!(report.kind, TokenKind::AppToken);
        assert_eq!(report.account, "octocat");
        assert_eq!(report.missing, ["pull_requests:write"]);
        assert!(!fake.sent_lines().iter().any(|l| l.ends_with("/user")));
    }

    #[test]
    fn unreadable_expiry_and_risky_scopes_warn() {
        let fake = FakeGitHub::new().on(
            "GET",
            "/user",
            200,
            &[
                ("X-OAuth-Scopes", "repo, admin:repo_hook, delete_repo"),
                ("GitHub-Authentication-Token-Expiration", "soon"),
            ],
            USER,
        );
        let report = validate_with(&fake, "gho_abc").unwrap();
        assert_eq!(report.kind, TokenKind::OauthToken);
        assert_eq!(report.expires_at, None);
        assert_eq!(report.warnings.len(), 2, "{:?}", report.warnings);
    }

    #[test]
    fn rejected_token_is_unauthorized() {
        let fake =
            FakeGitHub::new().on("GET", "/user", 401, &[], r#"{"message":"Bad credentials"}"#);
        match validate_with(&fake, "ghp_abc") {
            Err(ProviderError::Unauthorized(message)) => {
                assert!(message.starts_with(REJECTED), "{message}")
            }
            other => panic!("expected unauthorized, got {other:?}"),
        }
    }

    #[test]
    fn rate_limit_and_server_errors_pass_through() {
        let fake = FakeGitHub::new().on(
            "GET",
            "/user",
            403,
            &[("x-ratelimit-remaining", "0"), ("retry-after", "60")],
            "",
        );
        assert!(matches!(
            validate_with(&fake, "ghp_abc"),
            Err(ProviderError::RateLimited {
                retry_after: Some(60),
                ..
            })
        ));
        let fake = FakeGitHub::new().on("GET", "/user", 502, &[], "");
        assert!(matches!(
            validate_with(&fake, "ghp_abc"),
            Err(ProviderError::Unavailable { .. })
        ));
        // A probe that is throttled ends validation too.
        let fake = FakeGitHub::new()
            .on("GET", "/user/repos", 200, &[], &repos(true, true))
            .on("GET", "/user", 200, &[], USER)
            .on("GET", "/commits", 429, &[("Retry-After", "9")], "{}");
        assert!(matches!(
            validate_with(&fake, "github_pat_abc"),
            Err(ProviderError::RateLimited {
                retry_after: Some(9),
                ..
            })
        ));
    }

    #[test]
    fn input_errors_before_any_call() {
        let conn = Connection {
            api_url: "ftp://example.com".to_string(),
            token: "ghp_x".to_string(),
            workspace: None,
        };
        assert!(matches!(
            validate_token(&conn),
            Err(ProviderError::InvalidInput(_))
        ));
        let fake = FakeGitHub::new();
        assert!(matches!(
            validate_with(&fake, ""),
            Err(ProviderError::InvalidInput(_))
        ));
        assert!(fake.sent().is_empty());
    }
}
