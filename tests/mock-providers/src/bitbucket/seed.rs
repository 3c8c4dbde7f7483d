//! The serde shape of a Bitbucket Cloud mock's initial state, and the built-in demo seed.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Demo seed used by the binary (also an example of the format).
const DEMO_SEED: &str = include_str!("../../seeds/bitbucket-demo.json");

/// Initial state of a Bitbucket mock.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BitbucketSeed {
    /// Accounts.
    #[serde(default)]
    pub users: Vec<UserSeed>,
    /// Workspaces and their members.
    #[serde(default)]
    pub workspaces: Vec<WorkspaceSeed>,
    /// Repositories, with branches and hooks.
    #[serde(default)]
    pub repositories: Vec<RepositorySeed>,
    /// Repository, project, workspace and OAuth access tokens.
    #[serde(default)]
    pub tokens: Vec<TokenSeed>,
    /// OAuth consumers that may exchange codes at `/site/oauth2/access_token`.
    #[serde(default)]
    pub oauth_consumers: Vec<OAuthConsumerSeed>,
}

impl BitbucketSeed {
    /// The demo seed (`seeds/bitbucket-demo.json`).
    pub fn demo() -> Self {
        Self::from_json(DEMO_SEED).unwrap_or_default()
    }

    /// Reads a seed from JSON.
    pub fn from_json(json: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(json)
    }

    /// Adds `count` private repositories `workspace/{prefix}-000`, … (to page past 100).
    pub fn with_many_repositories(mut self, workspace: &str, prefix: &str, count: usize) -> Self {
        self.repositories.extend(
            (0..count).map(|i| RepositorySeed::private(workspace, &format!("{prefix}-{i:03}"))),
        );
        self
    }
}

/// An Atlassian account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserSeed {
    /// Nickname (what payloads show since 2019).
    pub nickname: String,
    /// Display name.
    #[serde(default)]
    pub display_name: Option<String>,
}

impl UserSeed {
    /// An account with this nickname.
    pub fn new(nickname: &str) -> Self {
        Self {
            nickname: nickname.to_owned(),
            display_name: None,
        }
    }
}

/// Role of a member in a workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkspaceRole {
    /// Reads and writes the workspace's repositories.
    Member,
    /// Administers them (webhooks included).
    Owner,
}

/// A workspace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceSeed {
    /// Workspace id (slug), as in `bitbucket.org/<slug>`.
    pub slug: String,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// Members (nicknames) and their role.
    #[serde(default)]
    pub members: BTreeMap<String, WorkspaceRole>,
}

impl WorkspaceSeed {
    /// A workspace with these members.
    pub fn new(slug: &str, members: &[(&str, WorkspaceRole)]) -> Self {
        Self {
            slug: slug.to_owned(),
            name: None,
            members: members.iter().map(|(m, r)| ((*m).to_owned(), *r)).collect(),
        }
    }
}

/// A repository.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepositorySeed {
    /// Workspace slug.
    pub workspace: String,
    /// Repository slug.
    pub slug: String,
    /// Key of the project it belongs to (`PROJ` when absent).
    #[serde(default)]
    pub project: Option<String>,
    /// Private (default) or public.
    #[serde(default = "yes")]
    pub private: bool,
    /// Main branch (`main` when absent); created if not in `branches`.
    #[serde(default)]
    pub mainbranch: Option<String>,
    /// Branch names.
    #[serde(default)]
    pub branches: Vec<String>,
    /// Existing webhooks.
    #[serde(default)]
    pub hooks: Vec<HookSeed>,
}

fn yes() -> bool {
    true
}

impl RepositorySeed {
    /// A private repository with a `main` branch.
    pub fn private(workspace: &str, slug: &str) -> Self {
        Self {
            workspace: workspace.to_owned(),
            slug: slug.to_owned(),
            project: None,
            private: true,
            mainbranch: None,
            branches: Vec::new(),
            hooks: Vec::new(),
        }
    }

    /// With these branches (the first is the main branch).
    pub fn with_branches(mut self, branches: &[&str]) -> Self {
        self.branches = branches.iter().map(|b| (*b).to_owned()).collect();
        self.mainbranch = self.branches.first().cloned();
        self
    }

    /// In the project with this key.
    pub fn in_project(mut self, key: &str) -> Self {
        self.project = Some(key.to_owned());
        self
    }
}

/// An existing webhook.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HookSeed {
    /// Delivery URL.
    pub url: String,
    /// Secret that signs deliveries (`X-Hub-Signature`).
    #[serde(default)]
    pub secret: Option<String>,
    /// Event keys, e.g. `["repo:push"]`.
    #[serde(default)]
    pub events: Vec<String>,
    /// Whether deliveries are on (default true).
    #[serde(default = "yes")]
    pub active: bool,
    /// Description.
    #[serde(default)]
    pub description: String,
}

/// Kind of token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    /// A repository access token: one repository.
    Repository,
    /// A project access token: the repositories of one project.
    Project,
    /// A workspace access token: every repository of the workspace.
    Workspace,
    /// An OAuth access token of a user: the workspaces the user is a member of.
    Oauth,
}

impl TokenKind {
    /// What Bitbucket reports in `X-Credential-Type`.
    pub fn credential_type(self) -> &'static str {
        match self {
            TokenKind::Repository => "repo_access_token",
            TokenKind::Project => "project_access_token",
            TokenKind::Workspace => "workspace_access_token",
            TokenKind::Oauth => "oauth2",
        }
    }
}

/// A token and what it may do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenSeed {
    /// The secret value (`Authorization: Bearer`).
    pub value: String,
    /// Kind of token.
    pub kind: TokenKind,
    /// Access tokens: the workspace they belong to.
    #[serde(default)]
    pub workspace: Option<String>,
    /// Repository tokens: the repository slug.
    #[serde(default)]
    pub repository: Option<String>,
    /// Project tokens: the project key.
    #[serde(default)]
    pub project: Option<String>,
    /// OAuth tokens: the user (nickname).
    #[serde(default)]
    pub user: Option<String>,
    /// Scopes, e.g. `["repository", "pullrequest:write", "webhook"]`.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// When the token stops working.
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
    /// Revoked tokens are refused.
    #[serde(default)]
    pub revoked: bool,
}

impl TokenSeed {
    fn base(value: &str, kind: TokenKind, scopes: &[&str]) -> Self {
        Self {
            value: value.to_owned(),
            kind,
            workspace: None,
            repository: None,
            project: None,
            user: None,
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            expires_at: None,
            revoked: false,
        }
    }

    /// A repository access token of `workspace/slug`.
    pub fn repository(value: &str, workspace: &str, slug: &str, scopes: &[&str]) -> Self {
        Self {
            workspace: Some(workspace.to_owned()),
            repository: Some(slug.to_owned()),
            ..Self::base(value, TokenKind::Repository, scopes)
        }
    }

    /// A project access token of project `key` in `workspace`.
    pub fn project(value: &str, workspace: &str, key: &str, scopes: &[&str]) -> Self {
        Self {
            workspace: Some(workspace.to_owned()),
            project: Some(key.to_owned()),
            ..Self::base(value, TokenKind::Project, scopes)
        }
    }

    /// A workspace access token of `workspace`.
    pub fn workspace(value: &str, workspace: &str, scopes: &[&str]) -> Self {
        Self {
            workspace: Some(workspace.to_owned()),
            ..Self::base(value, TokenKind::Workspace, scopes)
        }
    }

    /// An OAuth access token of `user`.
    pub fn oauth(value: &str, user: &str, scopes: &[&str]) -> Self {
        Self {
            user: Some(user.to_owned()),
            ..Self::base(value, TokenKind::Oauth, scopes)
        }
    }

    /// Expiring at `at`.
    pub fn expiring(mut self, at: DateTime<Utc>) -> Self {
        self.expires_at = Some(at);
        self
    }

    /// Revoked.
    pub fn revoked(mut self) -> Self {
        self.revoked = true;
        self
    }
}

/// An OAuth consumer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuthConsumerSeed {
    /// Key (`client_id`).
    pub key: String,
    /// Secret.
    pub secret: String,
    /// Callback URL; a request's `redirect_uri`, when given, must start with it.
    pub callback_url: String,
    /// The user who approves sign-ins (the mock has no login page).
    pub user: String,
    /// Scopes the consumer was configured with.
    #[serde(default)]
    pub scopes: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_seed_parses() {
        let seed = BitbucketSeed::from_json(DEMO_SEED).expect("valid demo seed");
        assert!(!seed.tokens.is_empty() && !seed.repositories.is_empty());
        assert_eq!(TokenKind::Repository.credential_type(), "repo_access_token");
    }
}
