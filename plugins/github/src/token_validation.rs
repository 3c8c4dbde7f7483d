//! `validate-token`: who a token acts as, its kind, its scopes against what git-access
//! needs, and when it expires. Reads `GET /user` only; never writes.

use git_access_plugin_sdk::{timestamp, HttpResponse, ProviderError};
use serde::Deserialize;

use crate::bindings::types::{
    Connection, PermissionCheck, PermissionStatus, TokenKind, TokenReport,
};
use crate::github_api::{self, SERVICE};

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

/// Fine-grained permissions git-access needs (`write` includes `read`), with why.
pub const FINE_GRAINED_REQUIRED: &[(&str, &str)] = &[
    (
        "contents:read",
        "Read repositories and branches and clone them",
    ),
    (
        "webhooks:write",
        "Create, read and delete the webhook that triggers deployments (read and write)",
    ),
    (
        "pull_requests:write",
        "Read pull requests and report deployments on them (read and write)",
    ),
];

/// Scopes that give far more than git-access needs; worth a warning.
const RISKY_SCOPES: &[&str] = &["delete_repo", "admin:org", "admin:enterprise", "site_admin"];

const REJECTED: &str = "GitHub rejected the token: it is invalid, expired or revoked";

#[derive(Deserialize)]
struct User {
    login: String,
    name: Option<String>,
}

/// Checks the connection's token against `GET {api}/user`.
pub fn validate_token(conn: &Connection) -> Result<TokenReport, ProviderError> {
    let base = github_api::api_base(&conn.api_url)?;
    let token = github_api::clean_token(&conn.token)?;
    let response = github_api::get(&base, "/user", token).send()?;
    report_from_user_response(token, response)
}

/// Builds the report from the answer to `GET /user`.
pub fn report_from_user_response(
    token: &str,
    response: HttpResponse,
) -> Result<TokenReport, ProviderError> {
    if response.status == 401 {
        return Err(ProviderError::Unauthorized(REJECTED.to_string()));
    }
    let response = response.error_for_status(SERVICE)?;
    let user: User = response.json()?;
    let kind = token_kind(token);
    let scopes_header = response.header("x-oauth-scopes");
    let scopes = scopes_header.map(parse_scopes).unwrap_or_default();
    let mut warnings = Vec::new();

    let permissions = match (kind, scopes_header) {
        (TokenKind::FineGrainedPat, _) => {
            warnings.push(format!(
                "GitHub does not list a fine-grained token's permissions, so {} were not \
                 verified; make sure the token has them for the repositories you deploy",
                names(FINE_GRAINED_REQUIRED)
            ));
            unverified(FINE_GRAINED_REQUIRED)
        }
        (TokenKind::AppToken, _) => {
            warnings.push(
                "A GitHub App token has the permissions of its app installation; they were \
                 not verified"
                    .to_string(),
            );
            unverified(FINE_GRAINED_REQUIRED)
        }
        (_, Some(_)) => classic_permissions(&scopes, &mut warnings),
        (_, None) => {
            warnings.push(format!(
                "GitHub did not report the token's scopes, so {} were not verified",
                names(CLASSIC_REQUIRED)
            ));
            unverified(CLASSIC_REQUIRED)
        }
    };
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

    let expires_at = match response.header("github-authentication-token-expiration") {
        None => None,
        Some(value) => {
            let normalized = timestamp::normalize_rfc3339(value);
            if normalized.is_none() {
                warnings.push(format!(
                    "GitHub reported an expiry date git-access could not read: {value}"
                ));
            }
            normalized
        }
    };

    let missing = permissions
        .iter()
        .filter(|p| p.status == PermissionStatus::Missing)
        .map(|p| p.name.clone())
        .collect();
    Ok(TokenReport {
        account: user.login,
        account_name: user.name.filter(|n| !n.is_empty()),
        kind,
        scopes,
        permissions,
        missing,
        expires_at,
        workspace: None,
        warnings,
    })
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

/// Splits `X-OAuth-Scopes` (`repo, admin:repo_hook`).
fn parse_scopes(header: &str) -> Vec<String> {
    header
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
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

fn unverified(required: &[(&str, &str)]) -> Vec<PermissionCheck> {
    required
        .iter()
        .map(|(name, reason)| PermissionCheck {
            name: name.to_string(),
            reason: reason.to_string(),
            status: PermissionStatus::Unverified,
        })
        .collect()
}

fn names(required: &[(&str, &str)]) -> String {
    required
        .iter()
        .map(|(n, _)| *n)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user_response(headers: &[(&str, &str)]) -> HttpResponse {
        HttpResponse {
            status: 200,
            headers: headers.iter().copied().collect(),
            body: br#"{"login":"octocat","id":1,"name":"The Octocat"}"#.to_vec(),
        }
    }

    fn statuses(report: &TokenReport) -> Vec<(String, PermissionStatus)> {
        report
            .permissions
            .iter()
            .map(|p| (p.name.clone(), p.status))
            .collect()
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
        let report = report_from_user_response(
            "ghp_abc",
            user_response(&[
                ("X-OAuth-Scopes", "repo, admin:repo_hook, read:org"),
                (
                    "GitHub-Authentication-Token-Expiration",
                    "2026-12-01 10:00:00 UTC",
                ),
            ]),
        )
        .unwrap();
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
    }

    #[test]
    fn write_repo_hook_is_not_admin() {
        let report = report_from_user_response(
            "ghp_abc",
            user_response(&[
                ("x-oauth-scopes", "repo,write:repo_hook"),
                (
                    "github-authentication-token-expiration",
                    "2026-12-01 10:00:00 +0200",
                ),
            ]),
        )
        .unwrap();
        assert_eq!(report.missing, ["admin:repo_hook"]);
        assert_eq!(report.permissions[1].status, PermissionStatus::Missing);
        assert!(report.warnings[0].contains("write:repo_hook is not enough"));
        assert_eq!(report.expires_at.as_deref(), Some("2026-12-01T08:00:00Z"));
    }

    #[test]
    fn classic_token_without_scopes() {
        let report =
            report_from_user_response("ghp_abc", user_response(&[("X-OAuth-Scopes", "")])).unwrap();
        assert_eq!(report.missing, ["repo", "admin:repo_hook"]);
        assert!(report.scopes.is_empty());
        assert_eq!(report.expires_at, None);
    }

    #[test]
    fn fine_grained_is_unverified_with_a_warning() {
        let report = report_from_user_response(
            "github_pat_abc",
            user_response(&[(
                "GitHub-Authentication-Token-Expiration",
                "2026-01-31 23:00:00 -0100",
            )]),
        )
        .unwrap();
        assert_eq!(report.kind, TokenKind::FineGrainedPat);
        assert!(report.missing.is_empty());
        assert!(report
            .permissions
            .iter()
            .all(|p| p.status == PermissionStatus::Unverified));
        assert_eq!(report.permissions.len(), 3);
        assert_eq!(report.warnings.len(), 1);
        assert_eq!(report.expires_at.as_deref(), Some("2026-02-01T00:00:00Z"));
    }

    #[test]
    fn unreadable_expiry_and_risky_scopes_warn() {
        let report = report_from_user_response(
            "gho_abc",
            user_response(&[
                ("X-OAuth-Scopes", "repo, admin:repo_hook, delete_repo"),
                ("GitHub-Authentication-Token-Expiration", "soon"),
            ]),
        )
        .unwrap();
        assert_eq!(report.kind, TokenKind::OauthToken);
        assert_eq!(report.expires_at, None);
        assert_eq!(report.warnings.len(), 2, "{:?}", report.warnings);
    }

    #[test]
    fn rejected_token_is_unauthorized() {
        let response = HttpResponse {
            status: 401,
            headers: Default::default(),
            body: br#"{"message":"Bad credentials"}"#.to_vec(),
        };
        match report_from_user_response("ghp_abc", response) {
            Err(ProviderError::Unauthorized(message)) => assert_eq!(message, REJECTED),
            other => panic!("expected unauthorized, got {other:?}"),
        }
    }

    #[test]
    fn rate_limit_and_server_errors_pass_through() {
        let response = HttpResponse {
            status: 403,
            headers: [("x-ratelimit-remaining", "0"), ("retry-after", "60")]
                .into_iter()
                .collect(),
            body: Vec::new(),
        };
        assert!(matches!(
            report_from_user_response("ghp_abc", response),
            Err(ProviderError::RateLimited {
                retry_after: Some(60),
                ..
            })
        ));
        let response = HttpResponse {
            status: 502,
            headers: Default::default(),
            body: Vec::new(),
        };
        assert!(matches!(
            report_from_user_response("ghp_abc", response),
            Err(ProviderError::Unavailable { .. })
        ));
    }

    #[test]
    fn native_validation_reports_input_errors_before_any_call() {
        let conn = Connection {
            api_url: "ftp://example.com".to_string(),
            token: "ghp_x".to_string(),
            workspace: None,
        };
        assert!(matches!(
            validate_token(&conn),
            Err(ProviderError::InvalidInput(_))
        ));
    }
}
