//! The GitLab mock's state: users (bots included), groups, projects with branches and
//! hooks, tokens, OAuth applications, pending codes and refresh tokens, and the access
//! rules GitLab applies (direct membership, membership inherited from parent groups, a
//! user's own namespace).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::seed::{
    GitLabSeed, GroupSeed, HookSeed, OAuthAppSeed, ProjectSeed, TokenKind, TokenSeed, Visibility,
};
use crate::server::SeedError;
use crate::token_endpoint::new_token;
use crate::token_endpoint::IssuedTokens;

/// Lifetime of an authorization code.
const CODE_LIFETIME_MINUTES: i64 = 10;

/// Lifetime of an OAuth access token unless a test sets another (GitLab: two hours).
pub const OAUTH_TOKEN_SECONDS: i64 = 7200;

/// A user, person or bot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Id.
    pub id: u64,
    /// Username.
    pub username: String,
    /// Display name.
    pub name: String,
    /// Bot users act for project and group tokens.
    pub bot: bool,
}

/// A group or subgroup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Id.
    pub id: u64,
    /// Full path, e.g. `acme/platform`.
    pub full_path: String,
    /// Direct members: user id → access level.
    pub members: BTreeMap<u64, u32>,
}

impl Group {
    /// The last path segment.
    pub fn path(&self) -> &str {
        self.full_path.rsplit('/').next().unwrap_or(&self.full_path)
    }
}

/// A branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Branch {
    /// Name.
    pub name: String,
    /// Commit id.
    pub sha: String,
    /// Protected.
    pub protected: bool,
}

/// A project hook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hook {
    /// Id.
    pub id: u64,
    /// UUID of the hook (`X-Gitlab-Webhook-UUID`).
    pub uuid: String,
    /// Delivery URL.
    pub url: String,
    /// Secret token, sent back in `X-Gitlab-Token`.
    pub token: Option<String>,
    /// Name (GitLab 17.1+).
    pub name: String,
    /// Description.
    pub description: String,
    /// Event flags.
    pub push_events: bool,
    /// Tag pushes.
    pub tag_push_events: bool,
    /// Merge requests.
    pub merge_requests_events: bool,
    /// Issues (never set by git-access; present to show other events).
    pub issues_events: bool,
    /// TLS verification of the receiver.
    pub enable_ssl_verification: bool,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

/// A project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    /// Id.
    pub id: u64,
    /// Namespace full path.
    pub namespace: String,
    /// Path (slug).
    pub path: String,
    /// Visibility.
    pub visibility: Visibility,
    /// Default branch.
    pub default_branch: String,
    /// Branches.
    pub branches: Vec<Branch>,
    /// Direct members: user id → access level.
    pub members: BTreeMap<u64, u32>,
    /// Hooks.
    pub hooks: Vec<Hook>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last activity.
    pub last_activity_at: DateTime<Utc>,
}

impl Project {
    /// `namespace/path`.
    pub fn full_path(&self) -> String {
        format!("{}/{}", self.namespace, self.path)
    }
}

/// A token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// Id.
    pub id: u64,
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: TokenKind,
    /// The user it acts as (a bot for project and group tokens).
    pub user_id: u64,
    /// Scopes.
    pub scopes: Vec<String>,
    /// Access tokens: first day it no longer works.
    pub expires_at: Option<NaiveDate>,
    /// OAuth tokens: when it stops working.
    pub oauth_expires_at: Option<DateTime<Utc>>,
    /// Revoked.
    pub revoked: bool,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

impl Token {
    /// Whether the token has any of `scopes`.
    pub fn has_any(&self, scopes: &[&str]) -> bool {
        self.scopes.iter().any(|s| scopes.contains(&s.as_str()))
    }
}

/// Why credentials were refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFailure {
    /// No such token.
    Unknown,
    /// Past its expiry.
    Expired,
    /// Revoked.
    Revoked,
}

/// A code waiting to be exchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingCode {
    /// The application.
    pub client_id: String,
    /// The approving user.
    pub user_id: u64,
    /// Scopes granted.
    pub scopes: Vec<String>,
    /// `redirect_uri` of the authorization request.
    pub redirect_uri: String,
    /// PKCE S256 challenge, if one was sent.
    pub code_challenge: Option<String>,
    /// When the code stops working.
    pub expires_at: DateTime<Utc>,
}

/// A refresh token the token endpoint issued (the value is the map key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshGrant {
    /// The application it was issued to.
    pub client_id: String,
    /// The user who approved the sign-in.
    pub user_id: u64,
    /// Scopes granted; the tokens it gives have them too.
    pub scopes: Vec<String>,
    /// The access token issued with it, revoked when it is used.
    pub access_token: String,
    /// Revoked refresh tokens are refused.
    pub revoked: bool,
}

/// Everything a GitLab mock holds.
#[derive(Debug, Default)]
pub struct GitLabState {
    users: BTreeMap<u64, User>,
    groups: BTreeMap<u64, Group>,
    projects: BTreeMap<u64, Project>,
    tokens: HashMap<String, Token>,
    oauth_apps: BTreeMap<String, OAuthAppSeed>,
    codes: HashMap<String, PendingCode>,
    refresh_tokens: HashMap<String, RefreshGrant>,
    /// Seconds an issued OAuth access token works; [`OAUTH_TOKEN_SECONDS`] when unset.
    oauth_token_seconds: Option<i64>,
    /// Refresh grants served.
    refresh_grants: usize,
    next_id: u64,
    counter: u64,
}

impl GitLabState {
    /// The state a seed describes, checked for consistency.
    pub fn from_seed(seed: GitLabSeed) -> Result<Self, SeedError> {
        let mut state = Self {
            next_id: 1000,
            ..Self::default()
        };
        for user in seed.users {
            if state.user_by_name(&user.username).is_some() {
                return Err(SeedError(format!(
                    "user '{}' is seeded twice",
                    user.username
                )));
            }
            let id = user.id.unwrap_or_else(|| state.new_id());
            state.users.insert(
                id,
                User {
                    id,
                    name: user.name.unwrap_or_else(|| user.username.clone()),
                    username: user.username,
                    bot: false,
                },
            );
        }
        for group in seed.groups {
            state.insert_group(group)?;
        }
        for project in seed.projects {
            state.insert_project(project)?;
        }
        for token in seed.tokens {
            state.insert_token(token)?;
        }
        for app in seed.oauth_apps {
            if state.user_by_name(&app.user).is_none() {
                return Err(SeedError(format!(
                    "OAuth app '{}': user '{}' is not seeded",
                    app.client_id, app.user
                )));
            }
            state.oauth_apps.insert(app.client_id.clone(), app);
        }
        Ok(state)
    }

    fn insert_group(&mut self, seed: GroupSeed) -> Result<(), SeedError> {
        let path = seed.path.trim_matches('/').to_owned();
        if path.is_empty() || !path.split('/').all(valid_segment) {
            return Err(SeedError(format!("group '{path}': invalid path")));
        }
        if self.group_by_path(&path).is_some() || self.user_by_name(&path).is_some() {
            return Err(SeedError(format!("group '{path}' is seeded twice")));
        }
        if let Some((parent, _)) = path.rsplit_once('/') {
            if self.group_by_path(parent).is_none() {
                return Err(SeedError(format!(
                    "group '{path}': parent '{parent}' must be seeded first"
                )));
            }
        }
        let mut members = BTreeMap::new();
        for (username, level) in seed.members {
            let user = self.user_by_name(&username).ok_or_else(|| {
                SeedError(format!("group '{path}': member '{username}' is not seeded"))
            })?;
            members.insert(user.id, level.value());
        }
        let id = seed.id.unwrap_or_else(|| self.new_id());
        self.groups.insert(
            id,
            Group {
                id,
                full_path: path,
                members,
            },
        );
        Ok(())
    }

    /// Adds a project after checking it against users and groups.
    pub fn insert_project(&mut self, seed: ProjectSeed) -> Result<(), SeedError> {
        let full = format!("{}/{}", seed.namespace, seed.path);
        let namespace_known = self.group_by_path(&seed.namespace).is_some()
            || self.user_by_name(&seed.namespace).is_some();
        if !namespace_known {
            return Err(SeedError(format!(
                "project '{full}': namespace '{}' is neither a user nor a group",
                seed.namespace
            )));
        }
        if !valid_segment(&seed.path) {
            return Err(SeedError(format!("project '{full}': invalid path")));
        }
        if self.project_by_path(&full).is_some() {
            return Err(SeedError(format!("project '{full}' is seeded twice")));
        }
        let default_branch = seed
            .default_branch
            .clone()
            .unwrap_or_else(|| "main".to_owned());
        let mut names = seed.branches.clone();
        if !names.contains(&default_branch) {
            names.insert(0, default_branch.clone());
        }
        let protected = |name: &str| {
            seed.protected_branches.iter().any(|p| p == name)
                || (seed.protected_branches.is_empty() && name == default_branch)
        };
        let branches = names
            .iter()
            .map(|name| Branch {
                protected: protected(name),
                sha: self.new_sha(),
                name: name.clone(),
            })
            .collect();
        let mut members = BTreeMap::new();
        for (username, level) in seed.members {
            let user = self.user_by_name(&username).ok_or_else(|| {
                SeedError(format!(
                    "project '{full}': member '{username}' is not seeded"
                ))
            })?;
            members.insert(user.id, level.value());
        }
        let id = seed.id.unwrap_or_else(|| self.new_id());
        let now = Utc::now();
        let mut project = Project {
            id,
            namespace: seed.namespace,
            path: seed.path,
            visibility: seed.visibility,
            default_branch,
            branches,
            members,
            hooks: Vec::new(),
            created_at: now - Duration::days(30),
            last_activity_at: now - Duration::days(1),
        };
        for hook in seed.hooks {
            let hook = self.new_hook(hook);
            project.hooks.push(hook);
        }
        self.projects.insert(id, project);
        Ok(())
    }

    /// Registers an OAuth application (replacing one with the same client id).
    pub fn insert_oauth_app(&mut self, app: OAuthAppSeed) {
        self.oauth_apps.insert(app.client_id.clone(), app);
    }

    /// Adds a token; project and group tokens get their bot user and membership.
    pub fn insert_token(&mut self, seed: TokenSeed) -> Result<(), SeedError> {
        // Never echo a token value, even a mock one, into an error message.
        let label = format!(
            "{:?} token '{}'",
            seed.kind,
            seed.name.as_deref().unwrap_or("")
        );
        if seed.value.is_empty() {
            return Err(SeedError(format!("{label}: empty value")));
        }
        if self.tokens.contains_key(&seed.value) {
            return Err(SeedError(format!(
                "{label}: the same value is seeded twice"
            )));
        }
        let level = seed.access_level.map(|l| l.value()).unwrap_or(40);
        let user_id = match seed.kind {
            TokenKind::Personal | TokenKind::Oauth => {
                let username = seed
                    .user
                    .as_deref()
                    .ok_or_else(|| SeedError(format!("{label}: needs `user`")))?;
                self.user_by_name(username)
                    .ok_or_else(|| SeedError(format!("{label}: user '{username}' is not seeded")))?
                    .id
            }
            TokenKind::Project => {
                let path = seed
                    .project
                    .as_deref()
                    .ok_or_else(|| SeedError(format!("{label}: needs `project`")))?;
                let project_id = self
                    .project_by_path(path)
                    .ok_or_else(|| SeedError(format!("{label}: project '{path}' is not seeded")))?
                    .id;
                let bot = self.new_bot(&format!("project_{project_id}"), &seed);
                if let Some(project) = self.projects.get_mut(&project_id) {
                    project.members.insert(bot, level);
                }
                bot
            }
            TokenKind::Group => {
                let path = seed
                    .group
                    .as_deref()
                    .ok_or_else(|| SeedError(format!("{label}: needs `group`")))?;
                let group_id = self
                    .group_by_path(path)
                    .ok_or_else(|| SeedError(format!("{label}: group '{path}' is not seeded")))?
                    .id;
                let bot = self.new_bot(&format!("group_{group_id}"), &seed);
                if let Some(group) = self.groups.get_mut(&group_id) {
                    group.members.insert(bot, level);
                }
                bot
            }
        };
        let id = self.new_id();
        let now = Utc::now();
        self.tokens.insert(
            seed.value,
            Token {
                id,
                name: seed.name.unwrap_or_else(|| "token".to_owned()),
                kind: seed.kind,
                user_id,
                scopes: seed.scopes,
                expires_at: seed.expires_at,
                oauth_expires_at: None,
                revoked: seed.revoked,
                created_at: now - Duration::days(7),
            },
        );
        Ok(())
    }

    fn new_bot(&mut self, prefix: &str, seed: &TokenSeed) -> u64 {
        let id = self.new_id();
        let suffix = format!("{:08x}", (id * 2_654_435_761) & 0xffff_ffff);
        self.users.insert(
            id,
            User {
                id,
                username: format!("{prefix}_bot_{suffix}"),
                name: seed.name.clone().unwrap_or_else(|| format!("{prefix} bot")),
                bot: true,
            },
        );
        id
    }

    /// Issues an OAuth access token (working for the current lifetime) and its refresh
    /// token to application `client_id` for `user_id`.
    pub fn issue_oauth_tokens(
        &mut self,
        client_id: &str,
        user_id: u64,
        scopes: Vec<String>,
    ) -> IssuedTokens {
        let access_token = new_token("gloat-");
        let refresh_token = new_token("glort-");
        let expires_in = self.oauth_token_seconds();
        let id = self.new_id();
        let now = Utc::now();
        self.tokens.insert(
            access_token.clone(),
            Token {
                id,
                name: "oauth".to_owned(),
                kind: TokenKind::Oauth,
                user_id,
                scopes: scopes.clone(),
                expires_at: None,
                oauth_expires_at: Some(now + Duration::seconds(expires_in)),
                revoked: false,
                created_at: now,
            },
        );
        self.refresh_tokens.insert(
            refresh_token.clone(),
            RefreshGrant {
                client_id: client_id.to_owned(),
                user_id,
                scopes: scopes.clone(),
                access_token: access_token.clone(),
                revoked: false,
            },
        );
        IssuedTokens {
            access_token,
            refresh_token,
            expires_in,
            scopes,
        }
    }

    /// The `refresh_token` grant of application `client_id`, rotating as GitLab does: the
    /// refresh token is used up, the access token issued with it is revoked, and a new
    /// pair is issued. `None` for an unknown, used or revoked refresh token, or one issued
    /// to another application (which stays usable by its own).
    pub fn refresh(&mut self, value: &str, client_id: &str) -> Option<IssuedTokens> {
        let usable = self
            .refresh_tokens
            .get(value)
            .is_some_and(|grant| !grant.revoked && grant.client_id == client_id);
        if !usable {
            return None;
        }
        let grant = self.refresh_tokens.remove(value)?;
        if let Some(previous) = self.tokens.get_mut(&grant.access_token) {
            previous.revoked = true;
        }
        self.refresh_grants += 1;
        Some(self.issue_oauth_tokens(client_id, grant.user_id, grant.scopes))
    }

    /// Seconds an OAuth access token issued now works.
    pub fn oauth_token_seconds(&self) -> i64 {
        self.oauth_token_seconds.unwrap_or(OAUTH_TOKEN_SECONDS)
    }

    /// Sets how many seconds OAuth access tokens issued from now on work.
    pub fn set_oauth_token_seconds(&mut self, seconds: i64) {
        self.oauth_token_seconds = Some(seconds);
    }

    /// Ends every OAuth access token the token endpoint issued so far at `now`; refresh
    /// tokens stay usable.
    pub fn expire_oauth_tokens(&mut self, now: DateTime<Utc>) {
        for at in self
            .tokens
            .values_mut()
            .filter_map(|t| t.oauth_expires_at.as_mut())
        {
            *at = (*at).min(now);
        }
    }

    /// Revokes every access token and refresh token the token endpoint issued so far.
    pub fn revoke_oauth_grants(&mut self) {
        for token in self.tokens.values_mut() {
            if token.oauth_expires_at.is_some() {
                token.revoked = true;
            }
        }
        for grant in self.refresh_tokens.values_mut() {
            grant.revoked = true;
        }
    }

    /// How many refresh grants the token endpoint served.
    pub fn refresh_grants(&self) -> usize {
        self.refresh_grants
    }

    /// Marks a token revoked, an access token or a refresh token; returns whether it
    /// exists.
    pub fn revoke(&mut self, value: &str) -> bool {
        if let Some(grant) = self.refresh_tokens.get_mut(value) {
            grant.revoked = true;
            return true;
        }
        self.tokens
            .get_mut(value)
            .map(|t| t.revoked = true)
            .is_some()
    }

    /// The token with this value and the user it acts as, if it works at `now`.
    pub fn authenticate(
        &self,
        value: &str,
        now: DateTime<Utc>,
    ) -> Result<(Token, User), AuthFailure> {
        let token = self.tokens.get(value).ok_or(AuthFailure::Unknown)?;
        if token.revoked {
            return Err(AuthFailure::Revoked);
        }
        let expired = token.expires_at.is_some_and(|day| day <= now.date_naive())
            || token.oauth_expires_at.is_some_and(|at| at <= now);
        if expired {
            return Err(AuthFailure::Expired);
        }
        let user = self.users.get(&token.user_id).ok_or(AuthFailure::Unknown)?;
        Ok((token.clone(), user.clone()))
    }

    /// A user by id.
    pub fn user(&self, id: u64) -> Option<&User> {
        self.users.get(&id)
    }

    /// A user by username.
    pub fn user_by_name(&self, username: &str) -> Option<&User> {
        self.users
            .values()
            .find(|u| u.username.eq_ignore_ascii_case(username))
    }

    /// A group by id.
    pub fn group(&self, id: u64) -> Option<&Group> {
        self.groups.get(&id)
    }

    /// A group by full path (case-insensitive).
    pub fn group_by_path(&self, path: &str) -> Option<&Group> {
        self.groups
            .values()
            .find(|g| g.full_path.eq_ignore_ascii_case(path))
    }

    /// A group by id or full path.
    pub fn find_group(&self, id_or_path: &str) -> Option<&Group> {
        match id_or_path.parse::<u64>() {
            Ok(id) => self.group(id),
            Err(_) => self.group_by_path(id_or_path),
        }
    }

    /// A project by full path (case-insensitive).
    pub fn project_by_path(&self, path: &str) -> Option<&Project> {
        self.projects
            .values()
            .find(|p| p.full_path().eq_ignore_ascii_case(path))
    }

    /// The id of a project named by id or full path.
    pub fn find_project(&self, id_or_path: &str) -> Option<u64> {
        match id_or_path.parse::<u64>() {
            Ok(id) => self.projects.get(&id).map(|p| p.id),
            Err(_) => self.project_by_path(id_or_path).map(|p| p.id),
        }
    }

    /// A project by id.
    pub fn project(&self, id: u64) -> Option<&Project> {
        self.projects.get(&id)
    }

    /// A project to change.
    pub fn project_mut(&mut self, id: u64) -> Option<&mut Project> {
        self.projects.get_mut(&id)
    }

    /// Every project, by id.
    pub fn projects(&self) -> impl Iterator<Item = &Project> {
        self.projects.values()
    }

    /// The groups a namespace path lies in, outermost first (`a`, `a/b` for `a/b`).
    fn ancestors<'a>(&'a self, namespace: &'a str) -> impl Iterator<Item = &'a Group> + 'a {
        let segments: Vec<&str> = namespace.split('/').collect();
        (1..=segments.len()).filter_map(move |n| self.group_by_path(&segments[..n].join("/")))
    }

    /// A user's access level in a group, inherited from parent groups.
    pub fn group_level(&self, user_id: u64, group: &Group) -> u32 {
        self.ancestors(&group.full_path)
            .filter_map(|g| g.members.get(&user_id).copied())
            .max()
            .unwrap_or(0)
    }

    /// A user's direct access level in a project.
    pub fn project_level(&self, user_id: u64, project: &Project) -> u32 {
        let owner = self
            .user(user_id)
            .is_some_and(|u| u.username.eq_ignore_ascii_case(&project.namespace));
        let direct = project.members.get(&user_id).copied().unwrap_or(0);
        if owner {
            50
        } else {
            direct
        }
    }

    /// A user's access level in a project inherited from its groups.
    pub fn inherited_level(&self, user_id: u64, project: &Project) -> u32 {
        self.ancestors(&project.namespace)
            .filter_map(|g| g.members.get(&user_id).copied())
            .max()
            .unwrap_or(0)
    }

    /// A user's effective access level in a project.
    pub fn level(&self, user_id: u64, project: &Project) -> u32 {
        self.project_level(user_id, project)
            .max(self.inherited_level(user_id, project))
    }

    /// Whether `user` (none: anonymous) may see `project`.
    pub fn can_see(&self, user: Option<u64>, project: &Project) -> bool {
        match (project.visibility, user) {
            (Visibility::Public, _) => true,
            (Visibility::Internal, Some(_)) => true,
            (_, Some(user)) => self.level(user, project) > 0,
            (_, None) => false,
        }
    }

    /// A hook from a seed or a create request, with a fresh id.
    pub fn new_hook(&mut self, seed: HookSeed) -> Hook {
        let id = self.new_id();
        let uuid = self.new_uuid();
        Hook {
            id,
            uuid,
            url: seed.url,
            token: seed.token.filter(|t| !t.is_empty()),
            name: String::new(),
            description: String::new(),
            push_events: seed.push_events,
            tag_push_events: seed.tag_push_events,
            merge_requests_events: seed.merge_requests_events,
            issues_events: false,
            enable_ssl_verification: true,
            created_at: Utc::now(),
        }
    }

    /// A fresh id.
    pub fn new_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// A fresh 40-hex commit id.
    pub fn new_sha(&mut self) -> String {
        self.counter += 1;
        format!(
            "{:040x}",
            0x6a1a_0000_u64.wrapping_mul(37).wrapping_add(self.counter)
        )
    }

    /// A fresh UUID-shaped string.
    pub fn new_uuid(&mut self) -> String {
        self.counter += 1;
        let n = self.counter;
        format!(
            "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
            n * 7919,
            n & 0xffff,
            n & 0xfff,
            n & 0xfff,
            n
        )
    }

    /// An OAuth application by client id.
    pub fn oauth_app(&self, client_id: &str) -> Option<&OAuthAppSeed> {
        self.oauth_apps.get(client_id)
    }

    /// Stores a code for a later exchange.
    pub fn add_code(&mut self, code: String, pending: PendingCode) {
        self.codes.insert(code, pending);
    }

    /// Takes a code (single use); `None` when unknown, used or expired.
    pub fn take_code(&mut self, code: &str, now: DateTime<Utc>) -> Option<PendingCode> {
        self.codes.remove(code).filter(|c| c.expires_at > now)
    }

    /// When a code handed out now stops working.
    pub fn code_expiry(now: DateTime<Utc>) -> DateTime<Utc> {
        now + Duration::minutes(CODE_LIFETIME_MINUTES)
    }
}

fn valid_segment(segment: &str) -> bool {
    !segment.is_empty()
        && !segment.starts_with(['-', '.'])
        && segment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gitlab::seed::{AccessLevel, GroupSeed, UserSeed};

    fn seed() -> GitLabSeed {
        GitLabSeed {
            users: vec![UserSeed::new("ann"), UserSeed::new("bob")],
            groups: vec![
                GroupSeed::new("acme", &[("ann", AccessLevel::Owner)]),
                GroupSeed::new("acme/platform", &[("bob", AccessLevel::Developer)]),
            ],
            projects: vec![
                ProjectSeed::private("acme/platform", "api"),
                ProjectSeed::public("ann", "site"),
            ],
            tokens: vec![
                TokenSeed::project(
                    "glpat-p",
                    "acme/platform/api",
                    AccessLevel::Developer,
                    &["api"],
                ),
                TokenSeed::group("glpat-g", "acme", AccessLevel::Maintainer, &["api"]),
                TokenSeed::personal("glpat-x", "ann", &["api"])
                    .expiring(NaiveDate::from_ymd_opt(2020, 1, 1).unwrap_or_default()),
            ],
            oauth_apps: Vec::new(),
        }
    }

    #[test]
    fn levels_are_inherited_and_bots_are_members() {
        let state = GitLabState::from_seed(seed()).expect("valid seed");
        let api = state
            .project_by_path("ACME/platform/api")
            .expect("found")
            .clone();
        let ann = state.user_by_name("ann").expect("ann").id;
        let bob = state.user_by_name("bob").expect("bob").id;
        assert_eq!(state.level(ann, &api), 50);
        assert_eq!(state.level(bob, &api), 30);
        let (token, bot) = state.authenticate("glpat-p", Utc::now()).expect("works");
        assert!(
            bot.bot
                && bot
                    .username
                    .starts_with(&format!("project_{}_bot_", api.id))
        );
        assert_eq!(state.level(token.user_id, &api), 30);
        let (_, group_bot) = state.authenticate("glpat-g", Utc::now()).expect("works");
        assert_eq!(state.level(group_bot.id, &api), 40, "inherited from acme");
        let site = state.project_by_path("ann/site").expect("found").clone();
        assert_eq!(state.level(ann, &site), 50, "own namespace");
        assert!(state.can_see(None, &site) && !state.can_see(None, &api));
        assert_eq!(
            state.authenticate("glpat-x", Utc::now()).err(),
            Some(AuthFailure::Expired)
        );
        assert_eq!(
            state.authenticate("nope", Utc::now()).err(),
            Some(AuthFailure::Unknown)
        );
    }

    #[test]
    fn inconsistent_seeds_are_refused_without_leaking_tokens() {
        let mut bad = seed();
        bad.projects.push(ProjectSeed::private("nobody", "x"));
        assert!(GitLabState::from_seed(bad).is_err());
        let mut bad = seed();
        bad.tokens
            .push(TokenSeed::personal("glpat-secretvalue", "ghost", &[]));
        let err = GitLabState::from_seed(bad).expect_err("unknown user");
        assert!(!err.0.contains("glpat-secretvalue"), "{err}");
        let mut bad = seed();
        bad.groups.push(GroupSeed::new("x/y", &[]));
        assert!(GitLabState::from_seed(bad).is_err(), "parent first");
    }
}
