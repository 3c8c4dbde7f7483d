//! What a Bitbucket token may do, in Bitbucket's scope vocabulary: from the scopes
//! Bitbucket reports (`X-OAuth-Scopes`), or, when it reports none, from read-only probes on
//! one repository the token reaches. Never probes with a write: a permission that only a
//! write could prove is `unverified`.

use git_access_plugin_sdk::ProviderError;

use crate::api_client::Bitbucket;
use crate::bindings::types::{PermissionCheck, PermissionStatus};
use crate::repositories::RepoJson;

/// Scopes git-access needs, with why.
pub const REQUIRED: &[(&str, &str)] = &[
    (
        "repository",
        "List repositories and branches, and clone them",
    ),
    (
        "pullrequest:write",
        "Read pull requests and report on them for pull request deployments",
    ),
    (
        "webhook",
        "Create, read and delete the webhook that triggers deployments",
    ),
];

/// Scopes that give far more than git-access needs; worth a warning.
const RISKY_SCOPES: &[&str] = &[
    "repository:admin",
    "repository:delete",
    "project:admin",
    "account:write",
    "team:write",
];

/// Permissions with their statuses, what was proven, and what is worth telling.
pub struct Probes {
    /// Every required permission with its status.
    pub permissions: Vec<PermissionCheck>,
    /// Scopes the probes proved (in Bitbucket's vocabulary).
    pub proven: Vec<String>,
    /// Things worth telling the user.
    pub warnings: Vec<String>,
}

/// Whether `scopes` grant `required`, counting Bitbucket's implications (`…:write` implies
/// reading; `pullrequest` implies `repository`) and the scoped API token vocabulary
/// (`read:repository:bitbucket`, …).
pub fn has_scope(scopes: &[String], required: &str) -> bool {
    let has = |scope: &str| scopes.iter().any(|s| s == scope);
    match required {
        "repository" => [
            "repository",
            "repository:write",
            "repository:admin",
            "pullrequest",
            "pullrequest:write",
            "read:repository:bitbucket",
            "write:repository:bitbucket",
        ]
        .iter()
        .any(|s| has(s)),
        "pullrequest" => [
            "pullrequest",
            "pullrequest:write",
            "read:pullrequest:bitbucket",
            "write:pullrequest:bitbucket",
        ]
        .iter()
        .any(|s| has(s)),
        "pullrequest:write" => has("pullrequest:write") || has("write:pullrequest:bitbucket"),
        "webhook" => {
            has("webhook") || (has("read:webhook:bitbucket") && has("write:webhook:bitbucket"))
        }
        other => has(other),
    }
}

/// Statuses from the scopes Bitbucket reported.
pub fn from_scopes(scopes: &[String]) -> Probes {
    let permissions = REQUIRED
        .iter()
        .map(|(name, reason)| check(name, reason, has_scope(scopes, name).into()))
        .collect();
    let risky: Vec<&str> = scopes
        .iter()
        .map(String::as_str)
        .filter(|s| RISKY_SCOPES.contains(s))
        .collect();
    let warnings = if risky.is_empty() {
        Vec::new()
    } else {
        vec![format!(
            "The token has scopes git-access does not need: {}",
            risky.join(", ")
        )]
    };
    Probes {
        permissions,
        proven: scopes.to_vec(),
        warnings,
    }
}

/// Statuses from read-only calls on `repo`, which the token could list (so it reads
/// repositories).
pub fn probe(bitbucket: &Bitbucket, repo: &RepoJson) -> Result<Probes, ProviderError> {
    let base = format!("/repositories/{}", repo.full_name);
    let mut proven = vec!["repository".to_string()];
    let mut warnings = Vec::new();

    let pulls = read(bitbucket, &format!("{base}/pullrequests?pagelen=1"))?;
    if pulls == Probe::Allowed {
        proven.push("pullrequest".to_string());
    }
    let hooks = read(bitbucket, &format!("{base}/hooks?pagelen=1"))?;
    if hooks == Probe::Allowed {
        proven.push("webhook".to_string());
    }
    let pull_write = match pulls {
        Probe::Allowed => {
            warnings.push(format!(
                "pullrequest:write was not verified: Bitbucket did not report the token's \
                 scopes and only a write could tell (pull requests of {} are readable)",
                repo.full_name
            ));
            PermissionStatus::Unverified
        }
        Probe::Refused => PermissionStatus::Missing,
        Probe::Unknown => PermissionStatus::Unverified,
    };
    let webhook = match hooks {
        // The `webhook` scope covers reading and writing hooks.
        Probe::Allowed => PermissionStatus::Granted,
        Probe::Refused => PermissionStatus::Missing,
        Probe::Unknown => PermissionStatus::Unverified,
    };
    let statuses = [PermissionStatus::Granted, pull_write, webhook];
    Ok(Probes {
        permissions: REQUIRED
            .iter()
            .zip(statuses)
            .map(|((name, reason), status)| check(name, reason, status))
            .collect(),
        proven,
        warnings,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Probe {
    Allowed,
    Refused,
    Unknown,
}

impl From<bool> for PermissionStatus {
    fn from(granted: bool) -> Self {
        if granted {
            PermissionStatus::Granted
        } else {
            PermissionStatus::Missing
        }
    }
}

/// GETs `path`: allowed, refused (401/403), or unknown; throttling and outages end the
/// validation.
fn read(bitbucket: &Bitbucket, path: &str) -> Result<Probe, ProviderError> {
    let response = bitbucket.send(bitbucket.get(path))?;
    match response.status {
        200..=299 => Ok(Probe::Allowed),
        401 | 403 => Ok(Probe::Refused),
        429 | 500..=599 => Err(bitbucket.error(&response)),
        _ => Ok(Probe::Unknown),
    }
}

fn check(name: &str, reason: &str, status: PermissionStatus) -> PermissionCheck {
    PermissionCheck {
        name: name.to_string(),
        reason: reason.to_string(),
        status,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scopes(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn implications() {
        let s = scopes(&["pullrequest:write", "webhook"]);
        assert!(has_scope(&s, "repository"));
        assert!(has_scope(&s, "pullrequest:write"));
        assert!(has_scope(&s, "webhook"));
        let s = scopes(&["repository:write", "pullrequest"]);
        assert!(has_scope(&s, "repository"));
        assert!(!has_scope(&s, "pullrequest:write"));
        assert!(!has_scope(&s, "webhook"));
        let s = scopes(&[
            "read:repository:bitbucket",
            "write:pullrequest:bitbucket",
            "read:webhook:bitbucket",
        ]);
        assert!(has_scope(&s, "repository") && has_scope(&s, "pullrequest:write"));
        assert!(!has_scope(&s, "webhook"), "reading hooks is not enough");
    }

    #[test]
    fn statuses_from_scopes() {
        let probes = from_scopes(&scopes(&["repository:admin", "webhook"]));
        let statuses: Vec<_> = probes.permissions.iter().map(|p| p.status).collect();
        assert_eq!(
            statuses,
            [
                PermissionStatus::Granted,
                PermissionStatus::Missing,
                PermissionStatus::Granted
            ]
        );
        assert!(probes.warnings[0].contains("repository:admin"));
    }
}
