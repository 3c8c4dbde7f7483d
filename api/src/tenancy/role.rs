//! Member roles and what each may do.

use std::fmt;

use crate::problem::Problem;

/// A member's role in an organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Everything, including owners, API keys of owners and key rotation.
    Owner,
    /// Members and API keys (except owners'), Git tokens.
    Admin,
    /// Git tokens.
    Devops,
    /// Reads only.
    Viewer,
}

/// Something a request wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Read the organization, its members, Git tokens and providers.
    Read,
    /// Create, replace and delete Git tokens.
    ManageGitTokens,
    /// Add, change and remove members and API keys.
    ManageMembers,
    /// Re-encrypt secrets under the current key.
    Reencrypt,
    /// Create, change and delete applications, repair their webhooks.
    ManageApplications,
    /// Obtain clone credentials for an application's repository (the deployer).
    CloneRepositories,
    /// Read audit trails.
    ReadAudit,
}

impl Action {
    /// The roles allowed to do it.
    pub fn roles(self) -> &'static [Role] {
        match self {
            Action::Read => &[Role::Owner, Role::Admin, Role::Devops, Role::Viewer],
            Action::ManageGitTokens => &[Role::Owner, Role::Admin, Role::Devops],
            Action::ManageMembers | Action::ReadAudit => &[Role::Owner, Role::Admin],
            Action::Reencrypt => &[Role::Owner],
            Action::ManageApplications | Action::CloneRepositories => {
                &[Role::Owner, Role::Admin, Role::Devops]
            }
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Action::Read => "read this organization",
            Action::ManageGitTokens => "manage Git tokens",
            Action::ManageMembers => "manage members and API keys",
            Action::Reencrypt => "re-encrypt the organization's secrets",
            Action::ManageApplications => "manage applications",
            Action::CloneRepositories => "obtain clone credentials",
            Action::ReadAudit => "read audit trails",
        }
    }
}

impl Role {
    /// Every role, highest first.
    pub const ALL: [Role; 4] = [Role::Owner, Role::Admin, Role::Devops, Role::Viewer];

    /// The stored and API spelling: `owner`, `admin`, `devops`, `viewer`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Devops => "devops",
            Role::Viewer => "viewer",
        }
    }

    /// Parses a role, ignoring ASCII case.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|role| role.as_str().eq_ignore_ascii_case(text.trim()))
    }

    /// 400 unless `text` names a role; `member` is the body member it came from.
    pub fn from_member(member: &str, text: &str) -> Result<Self, Problem> {
        Self::parse(text).ok_or_else(|| {
            Problem::bad_request(format!(
                "Member '{member}' must be one of owner, admin, devops, viewer."
            ))
        })
    }

    /// Ok when the role allows `action`, else 403 saying which roles would.
    pub fn allow(self, action: Action) -> Result<(), Problem> {
        if action.roles().contains(&self) {
            return Ok(());
        }
        let roles: Vec<&str> = action.roles().iter().map(|r| r.as_str()).collect();
        Err(forbidden(format!(
            "Your role '{}' cannot {}; roles that can: {}.",
            self.as_str(),
            action.describe(),
            roles.join(", ")
        )))
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// 403 with the given detail.
pub fn forbidden(detail: String) -> Problem {
    Problem::new(403, "forbidden", "Forbidden", detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_owner_admin_devops_manage_git_tokens() {
        for role in [Role::Owner, Role::Admin, Role::Devops] {
            assert!(role.allow(Action::ManageGitTokens).is_ok(), "{role}");
        }
        let problem = Role::Viewer.allow(Action::ManageGitTokens).unwrap_err();
        assert_eq!(problem.status(), 403);
        assert_eq!(
            problem.detail(),
            "Your role 'viewer' cannot manage Git tokens; roles that can: owner, admin, devops."
        );
        for role in Role::ALL {
            assert!(role.allow(Action::Read).is_ok());
        }
        assert!(Role::Admin.allow(Action::Reencrypt).is_err());
        assert!(Role::Devops.allow(Action::ManageMembers).is_err());
    }

    #[test]
    fn parses_roles() {
        assert_eq!(Role::parse(" DevOps "), Some(Role::Devops));
        assert_eq!(Role::parse("root"), None);
        assert_eq!(
            Role::from_member("role", "root").unwrap_err().detail(),
            "Member 'role' must be one of owner, admin, devops, viewer."
        );
    }
}
