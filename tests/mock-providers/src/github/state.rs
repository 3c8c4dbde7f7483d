//! What a mock GitHub knows: accounts, tokens, repositories with branches and hooks,
//! OAuth apps and codes, GitHub Apps and their installations (the `apps` submodule), the
//! user tokens the OAuth token endpoint issues and their refresh tokens (the
//! `user_tokens` submodule), and rate-limit windows.

mod apps;
mod user_tokens;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Duration, Utc};

use super::seed::{
    Access, AccountType, GitHubSeed, HookSeed, OAuthAppSeed, OrgRole, RepoRole, RepoVisibility,
    RepositorySeed, TokenKind, TokenSeed,
};
use crate::server::SeedError;
pub(crate) use apps::{App, Installation, InstallationLink, OAuthClient};
pub(crate) use user_tokens::{RefreshGrant, UserTokens};

/// Requests per hour for an authenticated caller (GitHub's default for personal tokens).
pub(crate) const AUTHENTICATED_LIMIT: u32 = 5000;
/// Requests per hour without credentials.
pub(crate) const ANONYMOUS_LIMIT: u32 = 60;
/// Length of a rate-limit window in seconds.
const WINDOW_SECONDS: i64 = 3600;
/// First id handed to repositories and hooks the seed leaves unnumbered.
const FIRST_REPO_ID: u64 = 100_000;
/// How long an OAuth code may be exchanged (GitHub: 10 minutes).
const CODE_LIFETIME_MINUTES: i64 = 10;

/// A GitHub account.
#[derive(Debug, Clone)]
pub(crate) struct User {
    pub login: String,
    pub id: u64,
    pub name: Option<String>,
    pub email: Option<String>,
    pub account_type: AccountType,
    pub members: BTreeMap<String, OrgRole>,
    pub rate_limit: Option<u32>,
}

/// A token as the mock stores it (the value is the map key).
#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub kind: TokenKind,
    pub scopes: Vec<String>,
    pub permissions: BTreeMap<String, Access>,
    pub repositories: Option<Vec<String>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub owner: String,
    pub revoked: bool,
    /// Installation tokens an app minted: the installation they act for, which decides
    /// their repositories when they are used.
    pub installation: Option<InstallationLink>,
    /// App user tokens from an app's sign-in: the app, whose installations bound their
    /// repositories.
    pub app: Option<u64>,
    /// Issued by the OAuth token endpoint (a code exchange or a refresh), not seeded.
    pub issued: bool,
}

impl Token {
    /// Whether the token has this OAuth scope.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }

    /// Whether the token's permissions include `name` at `needed` (write includes read;
    /// `metadata: read` is implied for every fine-grained token). GitHub Apps call the
    /// `webhooks` permission `repository_hooks`.
    pub fn grants(&self, name: &str, needed: Access) -> bool {
        if name == "metadata" && needed == Access::Read {
            return true;
        }
        let granted = |name: &str| self.permissions.get(name).is_some_and(|a| *a >= needed);
        granted(name) || (name == "webhooks" && granted("repository_hooks"))
    }

    /// Whether the token's repository selection includes `full_name`.
    pub fn selects(&self, full_name: &str) -> bool {
        self.repositories
            .as_ref()
            .is_none_or(|list| list.iter().any(|r| r.eq_ignore_ascii_case(full_name)))
    }
}

/// A branch and the commit it points at.
#[derive(Debug, Clone)]
pub(crate) struct Branch {
    pub name: String,
    pub sha: String,
    pub protected: bool,
}

/// A repository.
#[derive(Debug, Clone)]
pub(crate) struct Repo {
    pub id: u64,
    pub owner: String,
    pub name: String,
    pub private: bool,
    pub visibility: RepoVisibility,
    pub default_branch: String,
    pub branches: Vec<Branch>,
    pub collaborators: BTreeMap<String, RepoRole>,
    pub hooks: Vec<Hook>,
    pub created_at: DateTime<Utc>,
    pub pushed_at: DateTime<Utc>,
}

impl Repo {
    /// `owner/name`.
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }
}

/// A repository webhook.
#[derive(Debug, Clone)]
pub(crate) struct Hook {
    pub id: u64,
    pub url: String,
    /// `json` or `form`.
    pub content_type: String,
    pub secret: Option<String>,
    pub insecure_ssl: String,
    pub events: Vec<String>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Status of the last delivery (`code`, `status`, `message`).
    pub last_response: Option<(u16, String)>,
}

/// A code handed out by `/login/oauth/authorize`, waiting to be exchanged.
#[derive(Debug, Clone)]
pub(crate) struct PendingCode {
    pub client_id: String,
    pub login: String,
    pub scopes: Vec<String>,
    pub redirect_uri: Option<String>,
    pub code_challenge: Option<String>,
    pub expires_at: DateTime<Utc>,
}

/// Why a presented token was refused; GitHub answers all but `Suspended` with
/// `Bad credentials`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AuthFailure {
    Unknown,
    Revoked,
    Expired,
    /// A token of a suspended App installation.
    Suspended,
}

/// Rate-limit counters of one bucket after charging a request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RateSnapshot {
    pub limit: u32,
    pub used: u32,
    pub reset: i64,
}

impl RateSnapshot {
    pub fn remaining(&self) -> u32 {
        self.limit.saturating_sub(self.used)
    }

    /// Whether this request went over the limit.
    pub fn exceeded(&self) -> bool {
        self.used > self.limit
    }
}

#[derive(Debug, Clone, Copy)]
struct RateWindow {
    used: u32,
    reset: i64,
}

/// The whole state of one mock GitHub.
#[derive(Debug, Default)]
pub(crate) struct GitHubState {
    users: BTreeMap<String, User>,
    tokens: HashMap<String, Token>,
    /// By lowercase `owner/name`.
    repos: BTreeMap<String, Repo>,
    oauth_apps: BTreeMap<String, OAuthAppSeed>,
    /// GitHub Apps by id.
    apps: BTreeMap<u64, App>,
    /// App installations by id.
    installations: BTreeMap<u64, Installation>,
    codes: HashMap<String, PendingCode>,
    /// Client ids (OAuth apps and GitHub Apps) whose user tokens expire.
    expiring_clients: BTreeSet<String>,
    /// Refresh tokens by value.
    refresh_tokens: HashMap<String, RefreshGrant>,
    /// Seconds an expiring user token works; GitHub's eight hours when unset.
    user_token_seconds: Option<i64>,
    /// Refresh grants served.
    refresh_grants: usize,
    rate: HashMap<String, RateWindow>,
    next_id: u64,
    sha_counter: u64,
}

impl GitHubState {
    /// Builds the state, checking that the seed is consistent.
    pub fn from_seed(seed: GitHubSeed) -> Result<Self, SeedError> {
        let mut state = Self {
            next_id: FIRST_REPO_ID,
            ..Self::default()
        };
        for (index, user) in seed.users.into_iter().enumerate() {
            if user.login.is_empty() {
                return Err(SeedError("a user has an empty login".into()));
            }
            if state.user(&user.login).is_some() {
                return Err(SeedError(format!("user '{}' is seeded twice", user.login)));
            }
            if user.account_type == AccountType::User && !user.members.is_empty() {
                return Err(SeedError(format!(
                    "user '{}' has members; only organizations do",
                    user.login
                )));
            }
            let id = user.id.unwrap_or(index as u64 + 1);
            state.users.insert(
                user.login.to_ascii_lowercase(),
                User {
                    login: user.login,
                    id,
                    name: user.name,
                    email: user.email,
                    account_type: user.account_type,
                    members: user.members,
                    rate_limit: user.rate_limit,
                },
            );
        }
        for org in state.users.values() {
            if let Some(member) = org.members.keys().find(|m| {
                !state
                    .users
                    .get(&m.to_ascii_lowercase())
                    .is_some_and(|u| u.account_type == AccountType::User)
            }) {
                return Err(SeedError(format!(
                    "organization '{}' has member '{member}', who is not a seeded user",
                    org.login
                )));
            }
        }
        for repo in seed.repositories {
            state.insert_repository(repo)?;
        }
        for token in seed.tokens {
            state.insert_token(token)?;
        }
        for app in seed.oauth_apps {
            if let Some(login) = &app.approving_user {
                if state.user(login).is_none() {
                    return Err(SeedError(format!(
                        "OAuth app '{}': approving user '{login}' is not seeded",
                        app.client_id
                    )));
                }
            }
            state.oauth_apps.insert(app.client_id.clone(), app);
        }
        for app in seed.apps {
            state.insert_app(app)?;
        }
        for installation in seed.installations {
            state.insert_installation(installation)?;
        }
        Ok(state)
    }

    /// An account by login (case-insensitive, as GitHub).
    pub fn user(&self, login: &str) -> Option<&User> {
        self.users.get(&login.to_ascii_lowercase())
    }

    /// Every account, users and organizations.
    pub fn accounts(&self) -> impl Iterator<Item = &User> {
        self.users.values()
    }

    /// The first seeded user account (who approves OAuth sign-ins by default).
    pub fn first_user(&self) -> Option<&User> {
        self.users
            .values()
            .filter(|u| u.account_type == AccountType::User)
            .min_by_key(|u| u.id)
    }

    /// Adds a token after checking it against the accounts.
    pub fn insert_token(&mut self, token: TokenSeed) -> Result<(), SeedError> {
        if token.value.is_empty() {
            return Err(SeedError("a token has an empty value".into()));
        }
        // Never echo a token value, even a mock one, into an error message.
        let label = format!("token of '{}' ({:?})", token.owner, token.kind);
        match self.user(&token.owner) {
            None => return Err(SeedError(format!("{label}: owner is not a seeded user"))),
            Some(user)
                if user.account_type != AccountType::User
                    && token.kind != TokenKind::Installation =>
            {
                return Err(SeedError(format!(
                    "{label}: owner is an organization; only App installations act as one"
                )))
            }
            Some(_) => {}
        }
        if !token.kind.has_scopes() && !token.scopes.is_empty() {
            return Err(SeedError(format!(
                "{label}: fine-grained and App tokens have permissions, not scopes"
            )));
        }
        if token.kind.has_scopes()
            && (!token.permissions.is_empty() || token.repositories.is_some())
        {
            return Err(SeedError(format!(
                "{label}: classic and OAuth tokens have scopes, not permissions or a repository selection"
            )));
        }
        if token.kind == TokenKind::Installation && token.repositories.is_none() {
            return Err(SeedError(format!(
                "{label}: an installation token needs its `repositories`"
            )));
        }
        if let Some(missing) = token
            .repositories
            .iter()
            .flatten()
            .find(|r| !self.repos.contains_key(&r.to_ascii_lowercase()))
        {
            return Err(SeedError(format!(
                "{label}: repository '{missing}' is not seeded"
            )));
        }
        if self.tokens.contains_key(&token.value) {
            return Err(SeedError(format!(
                "{label}: the same value is seeded twice"
            )));
        }
        self.tokens.insert(
            token.value,
            Token {
                kind: token.kind,
                scopes: token.scopes,
                permissions: token.permissions,
                repositories: token.repositories,
                expires_at: token.expires_at,
                owner: token.owner,
                revoked: token.revoked,
                installation: None,
                app: None,
                issued: false,
            },
        );
        Ok(())
    }

    /// Adds a repository after checking it against the accounts.
    pub fn insert_repository(&mut self, seed: RepositorySeed) -> Result<(), SeedError> {
        let full_name = format!("{}/{}", seed.owner, seed.name);
        let owner = self
            .user(&seed.owner)
            .ok_or_else(|| SeedError(format!("repository '{full_name}': owner is not seeded")))?
            .login
            .clone();
        if seed.name.is_empty()
            || !seed
                .name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        {
            return Err(SeedError(format!("repository '{full_name}': invalid name")));
        }
        if self.repos.contains_key(&full_name.to_ascii_lowercase()) {
            return Err(SeedError(format!(
                "repository '{full_name}' is seeded twice"
            )));
        }
        if let Some(who) = seed.collaborators.keys().find(|c| self.user(c).is_none()) {
            return Err(SeedError(format!(
                "repository '{full_name}': collaborator '{who}' is not seeded"
            )));
        }
        let default_branch = seed
            .default_branch
            .clone()
            .unwrap_or_else(|| "main".to_owned());
        let mut names = seed.branches.clone();
        if !seed.empty && !names.contains(&default_branch) {
            names.insert(0, default_branch.clone());
        }
        if seed.empty {
            names.clear();
        }
        let branches = names
            .into_iter()
            .map(|name| Branch {
                protected: seed.protected_branches.contains(&name),
                sha: self.new_sha(),
                name,
            })
            .collect();
        let id = match seed.id {
            Some(id) => id,
            None => self.new_id(),
        };
        let now = Utc::now();
        let created_at = now - Duration::days(30);
        let mut repo = Repo {
            id,
            owner,
            name: seed.name,
            private: seed.visibility != RepoVisibility::Public,
            visibility: seed.visibility,
            default_branch,
            branches,
            collaborators: seed.collaborators,
            hooks: Vec::new(),
            created_at,
            pushed_at: created_at + Duration::days(1),
        };
        for hook in seed.hooks {
            let hook = self.new_hook(hook);
            repo.hooks.push(hook);
        }
        self.repos.insert(full_name.to_ascii_lowercase(), repo);
        Ok(())
    }

    /// Marks a token revoked, an access token or a refresh token; returns whether it
    /// exists.
    pub fn revoke(&mut self, value: &str) -> bool {
        if let Some(grant) = self.refresh_tokens.get_mut(value) {
            grant.revoked = true;
            return true;
        }
        match self.tokens.get_mut(value) {
            Some(token) => {
                token.revoked = true;
                true
            }
            None => false,
        }
    }

    /// The token with this value and the account it acts as, if it works at `now`; the
    /// repositories of a token an app minted are those its installation reaches now.
    pub fn authenticate(
        &self,
        value: &str,
        now: DateTime<Utc>,
    ) -> Result<(Token, User), AuthFailure> {
        let token = self.tokens.get(value).ok_or(AuthFailure::Unknown)?;
        if token.revoked {
            return Err(AuthFailure::Revoked);
        }
        if token.expires_at.is_some_and(|at| at <= now) {
            return Err(AuthFailure::Expired);
        }
        let mut token = token.clone();
        self.resolve_app_reach(&mut token)?;
        // Seeds are checked on insert, so the owner exists.
        let user = self.user(&token.owner).ok_or(AuthFailure::Unknown)?;
        Ok((token, user.clone()))
    }

    /// Counts one request against `bucket` (a login, or `None` for anonymous callers)
    /// with `limit` requests per hour (the account's, else GitHub's default), and returns
    /// the counters GitHub reports in `X-RateLimit-*`.
    pub fn charge(
        &mut self,
        bucket: Option<&str>,
        limit: Option<u32>,
        now: DateTime<Utc>,
    ) -> RateSnapshot {
        let (key, limit) = match bucket {
            Some(login) => (
                format!("user:{login}"),
                limit.unwrap_or(AUTHENTICATED_LIMIT),
            ),
            None => ("anonymous".to_owned(), ANONYMOUS_LIMIT),
        };
        self.charge_key(key, limit, now)
    }

    /// Counts one request an app makes with its JWT (a bucket of its own).
    pub fn charge_app(&mut self, app_id: u64, now: DateTime<Utc>) -> RateSnapshot {
        self.charge_key(format!("app:{app_id}"), AUTHENTICATED_LIMIT, now)
    }

    fn charge_key(&mut self, key: String, limit: u32, now: DateTime<Utc>) -> RateSnapshot {
        let now = now.timestamp();
        let window = self.rate.entry(key).or_insert(RateWindow {
            used: 0,
            reset: now + WINDOW_SECONDS,
        });
        if now >= window.reset {
            *window = RateWindow {
                used: 0,
                reset: now + WINDOW_SECONDS,
            };
        }
        window.used = window.used.saturating_add(1);
        RateSnapshot {
            limit,
            used: window.used,
            reset: window.reset,
        }
    }

    /// A repository by `owner/name` (case-insensitive).
    pub fn repo(&self, owner: &str, name: &str) -> Option<&Repo> {
        self.repos
            .get(&format!("{owner}/{name}").to_ascii_lowercase())
    }

    /// A repository to change.
    pub fn repo_mut(&mut self, owner: &str, name: &str) -> Option<&mut Repo> {
        self.repos
            .get_mut(&format!("{owner}/{name}").to_ascii_lowercase())
    }

    /// Every repository, by full name.
    pub fn repos(&self) -> impl Iterator<Item = &Repo> {
        self.repos.values()
    }

    /// The role `login` has on `repo`: owner and organization admins administer,
    /// collaborators have their role, organization members read.
    pub fn role_of(&self, login: &str, repo: &Repo) -> Option<RepoRole> {
        if repo.owner.eq_ignore_ascii_case(login) {
            return Some(RepoRole::Admin);
        }
        let collaborator = repo
            .collaborators
            .iter()
            .find(|(c, _)| c.eq_ignore_ascii_case(login))
            .map(|(_, role)| *role);
        let member = self.user(&repo.owner).and_then(|org| {
            org.members
                .iter()
                .find(|(m, _)| m.eq_ignore_ascii_case(login))
                .map(|(_, role)| match role {
                    OrgRole::Admin => RepoRole::Admin,
                    OrgRole::Member => RepoRole::Read,
                })
        });
        collaborator.max(member)
    }

    /// Whether `login` belongs to the organization owning `repo`.
    pub fn is_org_member(&self, login: &str, repo: &Repo) -> bool {
        self.user(&repo.owner)
            .is_some_and(|org| org.members.keys().any(|m| m.eq_ignore_ascii_case(login)))
    }

    /// A hook from a seed or a create request, with a fresh id.
    pub fn new_hook(&mut self, seed: HookSeed) -> Hook {
        let now = Utc::now();
        Hook {
            id: self.new_id(),
            url: seed.url,
            content_type: "json".to_owned(),
            secret: seed.secret.filter(|s| !s.is_empty()),
            insecure_ssl: "0".to_owned(),
            events: if seed.events.is_empty() {
                vec!["push".to_owned()]
            } else {
                seed.events
            },
            active: seed.active,
            created_at: now,
            updated_at: now,
            last_response: None,
        }
    }

    /// A fresh id for a repository or hook.
    pub fn new_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// A fresh 40-hex commit id.
    pub fn new_sha(&mut self) -> String {
        self.sha_counter += 1;
        format!(
            "{:040x}",
            0x5eed_0000_u64
                .wrapping_mul(31)
                .wrapping_add(self.sha_counter)
        )
    }

    /// Who may take part in the OAuth web flow under `client_id`: an OAuth app, or a
    /// GitHub App (whose codes give app user tokens).
    pub fn oauth_client(&self, client_id: &str) -> Option<OAuthClient> {
        let expiring_user_tokens = self.expiring_clients.contains(client_id);
        if let Some(app) = self.oauth_apps.get(client_id) {
            return Some(OAuthClient {
                client_id: app.client_id.clone(),
                client_secret: app.client_secret.clone(),
                approving_user: app.approving_user.clone(),
                app_id: None,
                expiring_user_tokens,
            });
        }
        self.apps
            .values()
            .find(|app| app.client_id == client_id)
            .map(|app| OAuthClient {
                client_id: app.client_id.clone(),
                client_secret: app.client_secret.clone(),
                approving_user: app.approving_user.clone(),
                app_id: Some(app.id),
                expiring_user_tokens,
            })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::github::{TokenSeed, UserSeed};

    fn seed() -> GitHubSeed {
        GitHubSeed {
            users: vec![UserSeed::user("octocat")],
            ..GitHubSeed::default()
        }
    }

    fn token(owner: &str, kind: TokenKind, scopes: &[&str]) -> TokenSeed {
        TokenSeed {
            kind,
            ..TokenSeed::classic("ghp_secretvalue", owner, scopes)
        }
    }

    #[test]
    fn rejects_token_of_unknown_owner_without_leaking_value() {
        let mut seed = seed();
        seed.tokens
            .push(token("nobody", TokenKind::Classic, &["repo"]));
        let err = GitHubState::from_seed(seed).expect_err("unknown owner");
        assert!(err.0.contains("nobody"), "{err}");
        assert!(!err.0.contains("ghp_secretvalue"), "{err}");
    }

    #[test]
    fn rejects_scopes_on_fine_grained_tokens_and_unknown_repositories() {
        let mut bad = seed();
        bad.tokens
            .push(token("octocat", TokenKind::FineGrained, &["repo"]));
        assert!(GitHubState::from_seed(bad).is_err());
        let mut bad = seed();
        bad.tokens
            .push(TokenSeed::fine_grained("github_pat_x", "octocat", &[]).only(&["octocat/none"]));
        assert!(GitHubState::from_seed(bad).is_err());
    }

    #[test]
    fn rejects_inconsistent_apps_and_installations() {
        use crate::github::{AppSeed, InstallationSeed};
        let org = || {
            let mut seed = seed();
            seed.users.push(UserSeed::user("mona"));
            seed.repositories = vec![
                RepositorySeed::private("octocat", "app"),
                RepositorySeed::private("mona", "other"),
            ];
            seed.apps = vec![AppSeed::new(1, "deployer", "Iv23li.x", "s")];
            seed
        };
        let refused = |change: &dyn Fn(&mut GitHubSeed), needle: &str| {
            let mut seed = org();
            change(&mut seed);
            let err = GitHubState::from_seed(seed).expect_err(needle);
            assert!(err.0.contains(needle), "{err}");
        };
        refused(
            &|s| s.apps[0].public_key_pem = "-----BEGIN PUBLIC KEY-----\nnope\n".into(),
            "public_key_pem",
        );
        refused(
            &|s| s.apps.push(AppSeed::new(2, "deployer", "Iv23li.y", "s")),
            "slug",
        );
        refused(
            &|s| s.installations.push(InstallationSeed::all(5, 9, "octocat")),
            "app 9",
        );
        refused(
            &|s| {
                s.installations
                    .push(InstallationSeed::selected(5, 1, "octocat", &["mona/other"]))
            },
            "not a repository of 'octocat'",
        );
        refused(
            &|s| {
                s.installations.push(InstallationSeed::all(5, 1, "octocat"));
                s.installations.push(InstallationSeed::all(6, 1, "octocat"));
            },
            "already installed",
        );
        let mut good = org();
        good.installations
            .push(InstallationSeed::selected(5, 1, "octocat", &["octocat/app"]).suspended());
        let state = GitHubState::from_seed(good).expect("valid seed");
        let installation = state.installation(5).expect("seeded");
        assert!(installation.suspended.is_some());
        assert_eq!(state.reach(installation), ["octocat/app"]);
    }

    #[test]
    fn expiry_and_revocation() {
        let mut seed = seed();
        let mut t = token("octocat", TokenKind::Classic, &["repo"]);
        let now = Utc::now();
        t.expires_at = Some(now + chrono::Duration::hours(1));
        seed.tokens.push(t);
        let mut state = GitHubState::from_seed(seed).expect("valid seed");
        assert!(state.authenticate("ghp_secretvalue", now).is_ok());
        assert_eq!(
            state
                .authenticate("ghp_secretvalue", now + chrono::Duration::hours(2))
                .err(),
            Some(AuthFailure::Expired)
        );
        assert!(state.revoke("ghp_secretvalue"));
        assert_eq!(
            state.authenticate("ghp_secretvalue", now).err(),
            Some(AuthFailure::Revoked)
        );
        assert_eq!(
            state.authenticate("ghp_other", now).err(),
            Some(AuthFailure::Unknown)
        );
    }

    #[test]
    fn rate_window_counts_and_resets() {
        let mut state = GitHubState::default();
        let now = Utc::now();
        let first = state.charge(Some("octocat"), None, now);
        let second = state.charge(Some("octocat"), None, now);
        assert_eq!((first.used, second.used), (1, 2));
        assert_eq!(second.remaining(), AUTHENTICATED_LIMIT - 2);
        let later = state.charge(Some("octocat"), None, now + chrono::Duration::seconds(3601));
        assert_eq!(later.used, 1);
        assert_eq!(state.charge(None, None, now).limit, ANONYMOUS_LIMIT);
        let small = state.charge(Some("tiny"), Some(1), now);
        assert!(!small.exceeded());
        assert!(state.charge(Some("tiny"), Some(1), now).exceeded());
    }

    #[test]
    fn roles_from_ownership_collaboration_and_membership() {
        let seed = GitHubSeed {
            users: vec![
                UserSeed::user("ann"),
                UserSeed::user("bob"),
                UserSeed::user("cy"),
                UserSeed::organization("org", &[("ann", OrgRole::Admin), ("bob", OrgRole::Member)]),
            ],
            repositories: vec![
                RepositorySeed::private("org", "app").with_collaborator("cy", RepoRole::Write),
                RepositorySeed::public("bob", "site"),
            ],
            ..GitHubSeed::default()
        };
        let state = GitHubState::from_seed(seed).expect("valid seed");
        let app = state
            .repo("ORG", "App")
            .expect("case-insensitive lookup")
            .clone();
        assert_eq!(state.role_of("ann", &app), Some(RepoRole::Admin));
        assert_eq!(state.role_of("bob", &app), Some(RepoRole::Read));
        assert_eq!(state.role_of("cy", &app), Some(RepoRole::Write));
        let site = state.repo("bob", "site").expect("seeded").clone();
        assert_eq!(state.role_of("bob", &site), Some(RepoRole::Admin));
        assert_eq!(state.role_of("ann", &site), None);
        assert_eq!(app.branches.len(), 1);
        assert_eq!(app.default_branch, "main");
    }
}
