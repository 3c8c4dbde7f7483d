//! The serde shape of a GitLab mock's initial state, and the built-in demo seed.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Demo seed used by the binary (also an example of the format).
const DEMO_SEED: &str = include_str!("../../seeds/gitlab-demo.json");

/// Initial state of a GitLab mock.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GitLabSeed {
    /// People (bot users of project and group tokens are created by the mock).
    #[serde(default)]
    pub users: Vec<UserSeed>,
    /// Groups and subgroups, parents before children.
    #[serde(default)]
    pub groups: Vec<GroupSeed>,
    /// Projects, in a user's namespace or a group.
    #[serde(default)]
    pub projects: Vec<ProjectSeed>,
    /// Personal, project, group and OAuth tokens.
    #[serde(default)]
    pub tokens: Vec<TokenSeed>,
    /// OAuth applications that may exchange codes at `/oauth/token`.
    #[serde(default)]
    pub oauth_apps: Vec<OAuthAppSeed>,
}

impl GitLabSeed {
    /// The demo seed (`seeds/gitlab-demo.json`).
    pub fn demo() -> Self {
        Self::from_json(DEMO_SEED).unwrap_or_default()
    }

    /// Reads a seed from JSON.
    pub fn from_json(json: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(json)
    }

    /// Adds `count` private projects `namespace/{prefix}-000`, `-001`, … (to page past 100).
    pub fn with_many_projects(mut self, namespace: &str, prefix: &str, count: usize) -> Self {
        self.projects.extend(
            (0..count).map(|i| ProjectSeed::private(namespace, &format!("{prefix}-{i:03}"))),
        );
        self
    }
}

/// A GitLab user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserSeed {
    /// Username, also the user's namespace.
    pub username: String,
    /// Numeric id; assigned when absent.
    #[serde(default)]
    pub id: Option<u64>,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
}

impl UserSeed {
    /// A user with this username.
    pub fn new(username: &str) -> Self {
        Self {
            username: username.to_owned(),
            id: None,
            name: None,
        }
    }
}

/// Role in a group or project, as GitLab's access levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccessLevel {
    /// 10.
    Guest,
    /// 20.
    Reporter,
    /// 30.
    Developer,
    /// 40: may manage webhooks.
    Maintainer,
    /// 50.
    Owner,
}

impl AccessLevel {
    /// GitLab's number for the role.
    pub fn value(self) -> u32 {
        match self {
            AccessLevel::Guest => 10,
            AccessLevel::Reporter => 20,
            AccessLevel::Developer => 30,
            AccessLevel::Maintainer => 40,
            AccessLevel::Owner => 50,
        }
    }
}

/// A group or subgroup.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupSeed {
    /// Full path, e.g. `acme` or `acme/platform` (the parent must be seeded first).
    pub path: String,
    /// Numeric id; assigned when absent.
    #[serde(default)]
    pub id: Option<u64>,
    /// Members (usernames) and their role; subgroups and projects inherit it.
    #[serde(default)]
    pub members: BTreeMap<String, AccessLevel>,
}

impl GroupSeed {
    /// A group with these members.
    pub fn new(path: &str, members: &[(&str, AccessLevel)]) -> Self {
        Self {
            path: path.to_owned(),
            id: None,
            members: members.iter().map(|(u, l)| ((*u).to_owned(), *l)).collect(),
        }
    }
}

/// Visibility of a project.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Members only.
    #[default]
    Private,
    /// Every signed-in user.
    Internal,
    /// Everyone.
    Public,
}

impl Visibility {
    /// GitLab's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Private => "private",
            Visibility::Internal => "internal",
            Visibility::Public => "public",
        }
    }
}

/// A project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectSeed {
    /// Namespace: a username or a group's full path.
    pub namespace: String,
    /// Project path (slug).
    pub path: String,
    /// Numeric id; assigned when absent.
    #[serde(default)]
    pub id: Option<u64>,
    /// Visibility.
    #[serde(default)]
    pub visibility: Visibility,
    /// Default branch (`main` when absent); created if not in `branches`.
    #[serde(default)]
    pub default_branch: Option<String>,
    /// Branch names.
    #[serde(default)]
    pub branches: Vec<String>,
    /// Protected branch names (the default branch is protected unless listed otherwise).
    #[serde(default)]
    pub protected_branches: Vec<String>,
    /// Direct members and their role.
    #[serde(default)]
    pub members: BTreeMap<String, AccessLevel>,
    /// Existing webhooks.
    #[serde(default)]
    pub hooks: Vec<HookSeed>,
}

impl ProjectSeed {
    /// A private project with a `main` branch.
    pub fn private(namespace: &str, path: &str) -> Self {
        Self {
            namespace: namespace.to_owned(),
            path: path.to_owned(),
            id: None,
            visibility: Visibility::Private,
            default_branch: None,
            branches: Vec::new(),
            protected_branches: Vec::new(),
            members: BTreeMap::new(),
            hooks: Vec::new(),
        }
    }

    /// A public project with a `main` branch.
    pub fn public(namespace: &str, path: &str) -> Self {
        Self {
            visibility: Visibility::Public,
            ..Self::private(namespace, path)
        }
    }

    /// With these branches (the first is the default branch).
    pub fn with_branches(mut self, branches: &[&str]) -> Self {
        self.branches = branches.iter().map(|b| (*b).to_owned()).collect();
        self.default_branch = self.branches.first().cloned();
        self
    }

    /// With a direct member.
    pub fn with_member(mut self, username: &str, level: AccessLevel) -> Self {
        self.members.insert(username.to_owned(), level);
        self
    }
}

/// An existing project hook.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HookSeed {
    /// Delivery URL.
    pub url: String,
    /// Secret token sent back in `X-Gitlab-Token`.
    #[serde(default)]
    pub token: Option<String>,
    /// Push events (default true).
    #[serde(default = "yes")]
    pub push_events: bool,
    /// Tag push events.
    #[serde(default)]
    pub tag_push_events: bool,
    /// Merge request events.
    #[serde(default)]
    pub merge_requests_events: bool,
}

fn yes() -> bool {
    true
}

/// Kind of token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    /// A user's personal access token.
    Personal,
    /// A project access token (acts as a bot member of the project).
    Project,
    /// A group access token (acts as a bot member of the group).
    Group,
    /// An OAuth access token of a user.
    Oauth,
}

/// A token and what it may do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenSeed {
    /// The secret value (`PRIVATE-TOKEN` or `Authorization: Bearer`).
    pub value: String,
    /// Kind of token.
    pub kind: TokenKind,
    /// Personal and OAuth tokens: the user it belongs to.
    #[serde(default)]
    pub user: Option<String>,
    /// Project tokens: the project's full path.
    #[serde(default)]
    pub project: Option<String>,
    /// Group tokens: the group's full path.
    #[serde(default)]
    pub group: Option<String>,
    /// Project and group tokens: the bot's role (Maintainer when absent).
    #[serde(default)]
    pub access_level: Option<AccessLevel>,
    /// Scopes, e.g. `["api", "read_repository"]`.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Last day the token works (GitLab tokens expire at the start of that date, UTC).
    #[serde(default)]
    pub expires_at: Option<NaiveDate>,
    /// Revoked tokens are refused.
    #[serde(default)]
    pub revoked: bool,
    /// Token name (the bot's display name for project and group tokens).
    #[serde(default)]
    pub name: Option<String>,
}

impl TokenSeed {
    fn base(value: &str, kind: TokenKind, scopes: &[&str]) -> Self {
        Self {
            value: value.to_owned(),
            kind,
            user: None,
            project: None,
            group: None,
            access_level: None,
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            expires_at: None,
            revoked: false,
            name: None,
        }
    }

    /// A personal access token of `user`.
    pub fn personal(value: &str, user: &str, scopes: &[&str]) -> Self {
        Self {
            user: Some(user.to_owned()),
            ..Self::base(value, TokenKind::Personal, scopes)
        }
    }

    /// A project access token of `project` (full path) with role `level`.
    pub fn project(value: &str, project: &str, level: AccessLevel, scopes: &[&str]) -> Self {
        Self {
            project: Some(project.to_owned()),
            access_level: Some(level),
            ..Self::base(value, TokenKind::Project, scopes)
        }
    }

    /// A group access token of `group` (full path) with role `level`.
    pub fn group(value: &str, group: &str, level: AccessLevel, scopes: &[&str]) -> Self {
        Self {
            group: Some(group.to_owned()),
            access_level: Some(level),
            ..Self::base(value, TokenKind::Group, scopes)
        }
    }

    /// An OAuth access token of `user`.
    pub fn oauth(value: &str, user: &str, scopes: &[&str]) -> Self {
        Self {
            user: Some(user.to_owned()),
            ..Self::base(value, TokenKind::Oauth, scopes)
        }
    }

    /// Expiring at the start of `date`.
    pub fn expiring(mut self, date: NaiveDate) -> Self {
        self.expires_at = Some(date);
        self
    }

    /// Revoked.
    pub fn revoked(mut self) -> Self {
        self.revoked = true;
        self
    }
}

/// An OAuth application.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuthAppSeed {
    /// Application id (`client_id`).
    pub client_id: String,
    /// Secret.
    pub client_secret: String,
    /// Callback URL; a request's `redirect_uri` must equal it.
    pub redirect_uri: String,
    /// The user who approves sign-ins (the mock has no login page).
    pub user: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_seed_parses() {
        let seed = GitLabSeed::from_json(DEMO_SEED).expect("valid demo seed");
        assert!(!seed.tokens.is_empty() && !seed.projects.is_empty());
        assert_eq!(AccessLevel::Maintainer.value(), 40);
        let many = GitLabSeed::default().with_many_projects("acme", "svc", 3);
        assert_eq!(many.projects[2].path, "svc-002");
    }
}
