//! What a fine-grained token (or a GitHub App token) may do, inferred from read-only calls.
//!
//! GitHub offers no introspection for these tokens. So one repository the token reaches is
//! picked (private and administered by the user when possible, since public data is
//! readable without any permission and webhooks need an administrator) and three reads are
//! made on it:
//!
//! | permission | probe | granted when |
//! |---|---|---|
//! | `contents:read` | `GET /repos/{o}/{r}/commits?per_page=1` | 2xx, or 409 (empty repository) |
//! | `webhooks:write` | `GET /repos/{o}/{r}/hooks?per_page=1` | never: a 2xx proves read only |
//! | `pull_requests:write` | `GET /repos/{o}/{r}/pulls?per_page=1&state=all` | never: a 2xx proves read only |
//!
//! A 403 marks the permission missing (GitHub names what the endpoint accepts in
//! `X-Accepted-GitHub-Permissions`). Write access cannot be checked without writing, which
//! validation never does, so readable webhooks and pull requests stay `unverified` with a
//! warning.

use git_access_plugin_sdk::ProviderError;

use crate::api_client::{repo_path, GitHub};
use crate::bindings::types::{PermissionCheck, PermissionStatus, RepositoryRef};
use crate::repositories::RepoJson;

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

/// What the probes found.
#[derive(Debug, Default)]
pub struct ProbeReport {
    /// One check per entry of [`FINE_GRAINED_REQUIRED`], in order.
    pub permissions: Vec<PermissionCheck>,
    /// Permissions proven by a successful read, e.g. `webhooks:read`.
    pub proven: Vec<String>,
    /// What the user should know.
    pub warnings: Vec<String>,
}

/// Outcome of one read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Probe {
    /// The read succeeded.
    Allowed,
    /// GitHub refused it for lack of a permission.
    Refused,
    /// Nothing could be concluded (the repository is hidden or gone).
    Inconclusive,
}

/// Probes the permissions on the best repository among `repos` (what the token lists).
pub fn probe(github: &GitHub, repos: &[RepoJson]) -> Result<ProbeReport, ProviderError> {
    let mut report = ProbeReport::default();
    let Some(target) = pick_target(repos) else {
        report.warnings.push(
            "The token cannot reach any repository yet, so its permissions (contents:read, \
             webhooks:write, pull_requests:write) could not be checked; grant it access to \
             the repositories you deploy"
                .to_string(),
        );
        report.permissions = FINE_GRAINED_REQUIRED
            .iter()
            .map(|(name, reason)| check(name, reason, PermissionStatus::Unverified))
            .collect();
        return Ok(report);
    };
    let repo_path = repo_path(&RepositoryRef {
        owner: target.owner.login.clone(),
        name: target.name.clone(),
    })?;
    let public = !target.private;

    let contents = read(github, &format!("{repo_path}/commits?per_page=1"))?;
    let hooks = read(github, &format!("{repo_path}/hooks?per_page=1"))?;
    let pulls = read(github, &format!("{repo_path}/pulls?per_page=1&state=all"))?;

    let mut unverified_writes = Vec::new();
    let contents_status = match (contents, public) {
        (Probe::Refused, _) => PermissionStatus::Missing,
        (Probe::Allowed, false) => {
            report.proven.push("contents:read".to_string());
            PermissionStatus::Granted
        }
        // Anyone may read a public repository's contents.
        (Probe::Allowed, true) | (Probe::Inconclusive, _) => PermissionStatus::Unverified,
    };
    let hooks_status = match hooks {
        Probe::Refused => PermissionStatus::Missing,
        Probe::Allowed => {
            report.proven.push("webhooks:read".to_string());
            unverified_writes.push("webhooks:write");
            PermissionStatus::Unverified
        }
        Probe::Inconclusive => {
            report.warnings.push(format!(
                "GitHub did not show the webhooks of {}; the account may not administer it, \
                 and creating webhooks needs an administrator",
                target.full_name
            ));
            PermissionStatus::Unverified
        }
    };
    let pulls_status = match (pulls, public) {
        (Probe::Refused, _) => PermissionStatus::Missing,
        (Probe::Allowed, false) => {
            report.proven.push("pull_requests:read".to_string());
            unverified_writes.push("pull_requests:write");
            PermissionStatus::Unverified
        }
        (Probe::Allowed, true) | (Probe::Inconclusive, _) => PermissionStatus::Unverified,
    };
    if public && (contents != Probe::Refused || pulls != Probe::Refused) {
        report.warnings.push(format!(
            "The token reaches only public repositories (checked on {}), whose contents and \
             pull requests anyone may read, so contents:read and pull_requests:write were not \
             verified",
            target.full_name
        ));
    }
    if !unverified_writes.is_empty() {
        report.warnings.push(format!(
            "GitHub offers no read-only way to check write access, so {} {} not verified \
             (read access was, on {}); creating the deployment webhook will confirm it",
            unverified_writes.join(" and "),
            if unverified_writes.len() == 1 {
                "was"
            } else {
                "were"
            },
            target.full_name
        ));
    }
    let statuses = [contents_status, hooks_status, pulls_status];
    report.permissions = FINE_GRAINED_REQUIRED
        .iter()
        .zip(statuses)
        .map(|((name, reason), status)| check(name, reason, status))
        .collect();
    Ok(report)
}

/// Private and administered first, then private, then administered, then anything.
fn pick_target(repos: &[RepoJson]) -> Option<&RepoJson> {
    let admin = |r: &RepoJson| r.permissions.is_some_and(|p| p.admin);
    repos
        .iter()
        .find(|r| r.private && admin(r))
        .or_else(|| repos.iter().find(|r| r.private))
        .or_else(|| repos.iter().find(|r| admin(r)))
        .or_else(|| repos.first())
}

/// One read-only probe. Throttling, outages and a rejected token end validation.
fn read(github: &GitHub, path: &str) -> Result<Probe, ProviderError> {
    let response = github.send(github.get(path))?;
    match response.status {
        200..=299 | 409 => Ok(Probe::Allowed),
        403 | 404 | 401 | 429 | 500..=599 => match github.error(&response) {
            ProviderError::Forbidden { .. } => Ok(Probe::Refused),
            ProviderError::NotFound(_) => Ok(Probe::Inconclusive),
            other => Err(other),
        },
        _ => Ok(Probe::Inconclusive),
    }
}

fn check(name: &str, reason: &str, status: PermissionStatus) -> PermissionCheck {
    PermissionCheck {
        name: name.to_string(),
        reason: reason.to_string(),
        status,
    }
}
