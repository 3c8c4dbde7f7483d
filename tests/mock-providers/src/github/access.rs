//! Who may do what on a repository, as GitHub decides it.
//!
//! - A repository is visible to a user who owns it, collaborates on it, or is a member of
//!   the organization owning it; public repositories are visible to everyone.
//! - Classic and OAuth tokens: private repositories need the `repo` scope; webhooks need
//!   `repo` or a `*:repo_hook` scope (read for reads, write or admin for changes, admin for
//!   deletion) and an administrator. Refusals are `404 Not Found` (GitHub hides rather than
//!   refuses), with `X-Accepted-OAuth-Scopes` naming what would have worked.
//! - Fine-grained, App user and installation tokens reach the repositories selected for
//!   them (or all the user's, when not restricted). Within those, each endpoint needs a
//!   permission (`contents`, `pull_requests`, `webhooks`, `metadata` at `read` or `write`);
//!   a missing one is `403 Resource not accessible by personal access token` (or `by
//!   integration`) with `X-Accepted-GitHub-Permissions: name=level`. Public data stays
//!   readable without a permission.

use super::seed::{Access, RepoRole, TokenKind};
use super::state::{Repo, Token, User};

/// Who is calling.
#[derive(Debug, Clone)]
pub(crate) enum Caller {
    /// No `Authorization` header.
    Anonymous,
    /// A token acting as a user (classic, fine-grained, OAuth, App user tokens).
    User { token: Token, user: User },
    /// An App installation token, acting for the account the app is installed on.
    Installation { token: Token, account: String },
}

impl Caller {
    /// The token, unless anonymous.
    pub fn token(&self) -> Option<&Token> {
        match self {
            Caller::Anonymous => None,
            Caller::User { token, .. } | Caller::Installation { token, .. } => Some(token),
        }
    }

    /// The login the request acts as (for the request log and rate limits).
    pub fn login(&self) -> Option<&str> {
        match self {
            Caller::Anonymous => None,
            Caller::User { user, .. } => Some(&user.login),
            Caller::Installation { account, .. } => Some(account),
        }
    }
}

/// What a request wants to do on a repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RepoAction {
    /// Read its metadata (`GET /repos/{o}/{r}`, branches).
    Metadata,
    /// Read its contents (`GET /repos/{o}/{r}/commits`).
    Contents,
    /// Read its pull requests.
    PullRequests,
    /// Read its webhooks.
    ReadHooks,
    /// Create or change webhooks.
    WriteHooks,
    /// Delete a webhook.
    DeleteHooks,
}

impl RepoAction {
    /// The fine-grained permission the endpoint needs, as GitHub writes it.
    pub fn permission(self) -> (&'static str, Access) {
        match self {
            RepoAction::Metadata => ("metadata", Access::Read),
            RepoAction::Contents => ("contents", Access::Read),
            RepoAction::PullRequests => ("pull_requests", Access::Read),
            RepoAction::ReadHooks => ("webhooks", Access::Read),
            RepoAction::WriteHooks | RepoAction::DeleteHooks => ("webhooks", Access::Write),
        }
    }

    /// `X-Accepted-GitHub-Permissions` for the endpoint.
    pub fn accepted_permissions(self) -> String {
        let (name, access) = self.permission();
        format!("{name}={}", access.as_str())
    }

    /// `X-Accepted-OAuth-Scopes` for the endpoint.
    pub fn accepted_scopes(self) -> &'static str {
        match self {
            RepoAction::Metadata | RepoAction::Contents | RepoAction::PullRequests => "repo",
            RepoAction::ReadHooks => "admin:repo_hook, read:repo_hook, repo, write:repo_hook",
            RepoAction::WriteHooks => "admin:repo_hook, repo, write:repo_hook",
            RepoAction::DeleteHooks => "admin:repo_hook, repo",
        }
    }

    fn is_hooks(self) -> bool {
        matches!(
            self,
            RepoAction::ReadHooks | RepoAction::WriteHooks | RepoAction::DeleteHooks
        )
    }

    /// Reads anyone may make on a public repository.
    fn is_public_read(self) -> bool {
        matches!(
            self,
            RepoAction::Metadata | RepoAction::Contents | RepoAction::PullRequests
        )
    }
}

/// Why a request on a repository is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Denied {
    /// `404 Not Found`.
    Hidden,
    /// `403` for lack of a fine-grained permission (`name=level`).
    MissingPermission(String),
}

/// Whether `caller` may do `action` on `repo`, given the user's `role` on it.
pub(crate) fn check_repo(
    caller: &Caller,
    repo: &Repo,
    role: Option<RepoRole>,
    action: RepoAction,
) -> Result<(), Denied> {
    match caller {
        Caller::Anonymous => {
            if !repo.private && action.is_public_read() {
                Ok(())
            } else {
                Err(Denied::Hidden)
            }
        }
        Caller::User { token, .. } if token.kind.has_scopes() => {
            let visible = !repo.private || role.is_some();
            if !visible || (repo.private && !token.has_scope("repo")) {
                return Err(Denied::Hidden);
            }
            if action.is_hooks() {
                let accepted = split(action.accepted_scopes());
                if !accepted.iter().any(|s| token.has_scope(s)) || role != Some(RepoRole::Admin) {
                    return Err(Denied::Hidden);
                }
            }
            Ok(())
        }
        Caller::User { token, .. } | Caller::Installation { token, .. } => {
            let installation = matches!(caller, Caller::Installation { .. });
            let selected = token.selects(&repo.full_name())
                && (installation || !repo.private || role.is_some());
            if !selected {
                return if !repo.private && action.is_public_read() {
                    Ok(())
                } else if repo.private {
                    Err(Denied::Hidden)
                } else {
                    Err(Denied::MissingPermission(action.accepted_permissions()))
                };
            }
            let (name, needed) = action.permission();
            if !(repo_public_read(repo, action) || token.grants(name, needed)) {
                return Err(Denied::MissingPermission(action.accepted_permissions()));
            }
            if action.is_hooks() && !installation && role != Some(RepoRole::Admin) {
                return Err(Denied::Hidden);
            }
            Ok(())
        }
    }
}

/// Public repositories' metadata, contents and pull requests need no permission.
fn repo_public_read(repo: &Repo, action: RepoAction) -> bool {
    (!repo.private && action.is_public_read()) || action == RepoAction::Metadata
}

/// The message of a 403 for a missing fine-grained permission.
pub(crate) fn not_accessible_message(kind: TokenKind) -> &'static str {
    match kind {
        TokenKind::Installation | TokenKind::AppUser => "Resource not accessible by integration",
        _ => "Resource not accessible by personal access token",
    }
}

/// Splits a comma-separated list.
pub(crate) fn split(list: &str) -> Vec<&str> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}
