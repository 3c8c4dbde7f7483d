//! The Bitbucket mock's state: accounts, workspaces, repositories with branches and
//! hooks, tokens, OAuth consumers, pending codes and refresh tokens, and Bitbucket's
//! rules: what each kind of token reaches, which scopes imply which.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, Utc};

use super::seed::{
    BitbucketSeed, HookSeed, OAuthConsumerSeed, RepositorySeed, TokenKind, TokenSeed, WorkspaceRole,
};
use crate::server::SeedError;
use crate::token_endpoint::new_token;
use crate::token_endpoint::IssuedTokens;

/// Lifetime of an authorization code.
const CODE_LIFETIME_MINUTES: i64 = 10;

/// Lifetime of an OAuth access token unless a test sets another (Bitbucket: two hours).
pub const OAUTH_TOKEN_SECONDS: i64 = 7200;

/// An account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// `{uuid}` with braces.
    pub uuid: String,
    /// Atlassian account id.
    pub account_id: String,
    /// Nickname.
    pub nickname: String,
    /// Display name.
    pub display_name: String,
}

/// A workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workspace {
    /// `{uuid}`.
    pub uuid: String,
    /// Slug.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Members by nickname.
    pub members: BTreeMap<String, WorkspaceRole>,
}

/// A branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Branch {
    /// Name.
    pub name: String,
    /// Full commit hash.
    pub hash: String,
}

/// A webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hook {
    /// `{uuid}`.
    pub uuid: String,
    /// Delivery URL.
    pub url: String,
    /// Description.
    pub description: String,
    /// Deliveries on.
    pub active: bool,
    /// Event keys.
    pub events: Vec<String>,
    /// Signing secret.
    pub secret: Option<String>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

/// A repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repo {
    /// `{uuid}`.
    pub uuid: String,
    /// Workspace slug.
    pub workspace: String,
    /// Slug.
    pub slug: String,
    /// Project key.
    pub project: String,
    /// Private.
    pub private: bool,
    /// Main branch.
    pub mainbranch: String,
    /// Branches.
    pub branches: Vec<Branch>,
    /// Hooks.
    pub hooks: Vec<Hook>,
    /// Creation time.
    pub created_on: DateTime<Utc>,
    /// Last change.
    pub updated_on: DateTime<Utc>,
}

impl Repo {
    /// `workspace/slug`.
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.workspace, self.slug)
    }
}

/// A token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// Kind.
    pub kind: TokenKind,
    /// Access tokens: workspace slug.
    pub workspace: Option<String>,
    /// Repository tokens: slug.
    pub repository: Option<String>,
    /// Project tokens: key.
    pub project: Option<String>,
    /// OAuth tokens: nickname.
    pub user: Option<String>,
    /// Scopes.
    pub scopes: Vec<String>,
    /// Expiry.
    pub expires_at: Option<DateTime<Utc>>,
    /// Revoked.
    pub revoked: bool,
    /// Issued by the token endpoint (not seeded).
    pub issued: bool,
}

impl Token {
    /// Whether the scopes grant `required`, with Bitbucket's implications (`…:write`
    /// implies reading, `pullrequest` implies `repository`, `repository:admin` reading).
    pub fn grants(&self, required: &str) -> bool {
        let has = |s: &str| self.scopes.iter().any(|g| g == s);
        let implied: &[&str] = match required {
            "repository" => &[
                "repository",
                "repository:write",
                "repository:admin",
                "pullrequest",
                "pullrequest:write",
            ],
            "pullrequest" => &["pullrequest", "pullrequest:write"],
            "account" => &["account", "account:write"],
            other => return has(other),
        };
        implied.iter().any(|s| has(s))
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
    /// Consumer key.
    pub key: String,
    /// `redirect_uri` of the authorization request, if it had one.
    pub redirect_uri: Option<String>,
    /// PKCE S256 challenge, if one was sent.
    pub code_challenge: Option<String>,
    /// When the code stops working.
    pub expires_at: DateTime<Utc>,
}

/// A refresh token the token endpoint issued (the value is the map key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshGrant {
    /// The consumer it was issued to.
    pub key: String,
    /// Nickname of the user who approved the sign-in.
    pub user: String,
    /// Scopes granted; the access tokens it gives have them too.
    pub scopes: Vec<String>,
    /// Revoked refresh tokens are refused.
    pub revoked: bool,
}

/// Everything a Bitbucket mock holds.
#[derive(Debug, Default)]
pub struct BitbucketState {
    users: BTreeMap<String, User>,
    workspaces: BTreeMap<String, Workspace>,
    repos: BTreeMap<String, Repo>,
    tokens: HashMap<String, Token>,
    consumers: BTreeMap<String, OAuthConsumerSeed>,
    codes: HashMap<String, PendingCode>,
    refresh_tokens: HashMap<String, RefreshGrant>,
    /// Seconds an issued OAuth access token works; [`OAUTH_TOKEN_SECONDS`] when unset.
    oauth_token_seconds: Option<i64>,
    /// Refresh grants served.
    refresh_grants: usize,
    counter: u64,
}

impl BitbucketState {
    /// The state a seed describes, checked for consistency.
    pub fn from_seed(seed: BitbucketSeed) -> Result<Self, SeedError> {
        let mut state = Self::default();
        for user in seed.users {
            let key = user.nickname.to_ascii_lowercase();
            if state.users.contains_key(&key) {
                return Err(SeedError(format!(
                    "user '{}' is seeded twice",
                    user.nickname
                )));
            }
            let uuid = state.new_uuid();
            let account_id = format!("557058:{}", uuid.trim_matches(['{', '}']));
            state.users.insert(
                key,
                User {
                    uuid,
                    account_id,
                    display_name: user.display_name.unwrap_or_else(|| user.nickname.clone()),
                    nickname: user.nickname,
                },
            );
        }
        for workspace in seed.workspaces {
            let key = workspace.slug.to_ascii_lowercase();
            if state.workspaces.contains_key(&key) || !valid_slug(&workspace.slug) {
                return Err(SeedError(format!(
                    "workspace '{}' is seeded twice or invalid",
                    workspace.slug
                )));
            }
            if let Some(who) = workspace.members.keys().find(|m| state.user(m).is_none()) {
                return Err(SeedError(format!(
                    "workspace '{}': member '{who}' is not seeded",
                    workspace.slug
                )));
            }
            let uuid = state.new_uuid();
            state.workspaces.insert(
                key,
                Workspace {
                    uuid,
                    name: workspace.name.unwrap_or_else(|| workspace.slug.clone()),
                    slug: workspace.slug,
                    members: workspace.members,
                },
            );
        }
        for repo in seed.repositories {
            state.insert_repository(repo)?;
        }
        for token in seed.tokens {
            state.insert_token(token)?;
        }
        for consumer in seed.oauth_consumers {
            if state.user(&consumer.user).is_none() {
                return Err(SeedError(format!(
                    "OAuth consumer '{}': user '{}' is not seeded",
                    consumer.key, consumer.user
                )));
            }
            state.consumers.insert(consumer.key.clone(), consumer);
        }
        Ok(state)
    }

    /// Adds a repository after checking its workspace.
    pub fn insert_repository(&mut self, seed: RepositorySeed) -> Result<(), SeedError> {
        let full = format!("{}/{}", seed.workspace, seed.slug);
        let workspace = self
            .workspace(&seed.workspace)
            .ok_or_else(|| SeedError(format!("repository '{full}': workspace is not seeded")))?
            .slug
            .clone();
        if !valid_slug(&seed.slug) {
            return Err(SeedError(format!("repository '{full}': invalid slug")));
        }
        if self.repo(&workspace, &seed.slug).is_some() {
            return Err(SeedError(format!("repository '{full}' is seeded twice")));
        }
        let mainbranch = seed.mainbranch.clone().unwrap_or_else(|| "main".to_owned());
        let mut names = seed.branches.clone();
        if !names.contains(&mainbranch) {
            names.insert(0, mainbranch.clone());
        }
        let branches = names
            .into_iter()
            .map(|name| Branch {
                hash: self.new_hash(),
                name,
            })
            .collect();
        let now = Utc::now();
        let mut repo = Repo {
            uuid: self.new_uuid(),
            workspace,
            slug: seed.slug,
            project: seed.project.unwrap_or_else(|| "PROJ".to_owned()),
            private: seed.private,
            mainbranch,
            branches,
            hooks: Vec::new(),
            created_on: now - Duration::days(30),
            updated_on: now - Duration::days(1),
        };
        for hook in seed.hooks {
            let hook = self.new_hook(hook);
            repo.hooks.push(hook);
        }
        self.repos
            .insert(repo.full_name().to_ascii_lowercase(), repo);
        Ok(())
    }

    /// Adds a token after checking what it belongs to.
    pub fn insert_token(&mut self, seed: TokenSeed) -> Result<(), SeedError> {
        // Never echo a token value, even a mock one, into an error message.
        let label = format!("{:?} token", seed.kind);
        if seed.value.is_empty() || self.tokens.contains_key(&seed.value) {
            return Err(SeedError(format!("{label}: empty or seeded twice")));
        }
        match seed.kind {
            TokenKind::Oauth => {
                let user = seed.user.as_deref().unwrap_or_default();
                if self.user(user).is_none() {
                    return Err(SeedError(format!("{label}: user '{user}' is not seeded")));
                }
            }
            kind => {
                let workspace = seed.workspace.as_deref().unwrap_or_default();
                if self.workspace(workspace).is_none() {
                    return Err(SeedError(format!(
                        "{label}: workspace '{workspace}' is not seeded"
                    )));
                }
                if kind == TokenKind::Repository {
                    let slug = seed.repository.as_deref().unwrap_or_default();
                    if self.repo(workspace, slug).is_none() {
                        return Err(SeedError(format!(
                            "{label}: repository '{workspace}/{slug}' is not seeded"
                        )));
                    }
                }
                if kind == TokenKind::Project && seed.project.is_none() {
                    return Err(SeedError(format!("{label}: needs `project`")));
                }
            }
        }
        self.tokens.insert(
            seed.value,
            Token {
                kind: seed.kind,
                workspace: seed.workspace,
                repository: seed.repository,
                project: seed.project,
                user: seed.user,
                scopes: seed.scopes,
                expires_at: seed.expires_at,
                revoked: seed.revoked,
                issued: false,
            },
        );
        Ok(())
    }

    /// Issues an OAuth access token (working for the current lifetime) and a refresh
    /// token to consumer `key` for the user `user`.
    pub fn issue_oauth_tokens(
        &mut self,
        key: &str,
        user: &str,
        scopes: Vec<String>,
    ) -> IssuedTokens {
        let refresh_token = new_token("bbr-");
        self.refresh_tokens.insert(
            refresh_token.clone(),
            RefreshGrant {
                key: key.to_owned(),
                user: user.to_owned(),
                scopes: scopes.clone(),
                revoked: false,
            },
        );
        self.issue_access_token(user, scopes, refresh_token)
    }

    /// The `refresh_token` grant of consumer `key`. Bitbucket does not rotate: the same
    /// refresh token comes back and keeps working, and earlier access tokens work until
    /// they expire. `None` for an unknown or revoked refresh token, or another consumer's.
    pub fn refresh(&mut self, value: &str, key: &str) -> Option<IssuedTokens> {
        let grant = self
            .refresh_tokens
            .get(value)
            .filter(|grant| !grant.revoked && grant.key == key)?
            .clone();
        self.refresh_grants += 1;
        Some(self.issue_access_token(&grant.user, grant.scopes, value.to_owned()))
    }

    fn issue_access_token(
        &mut self,
        user: &str,
        scopes: Vec<String>,
        refresh_token: String,
    ) -> IssuedTokens {
        let access_token = new_token("bbo-");
        let expires_in = self.oauth_token_seconds();
        self.tokens.insert(
            access_token.clone(),
            Token {
                kind: TokenKind::Oauth,
                workspace: None,
                repository: None,
                project: None,
                user: Some(user.to_owned()),
                scopes: scopes.clone(),
                expires_at: Some(Utc::now() + Duration::seconds(expires_in)),
                revoked: false,
                issued: true,
            },
        );
        IssuedTokens {
            access_token,
            refresh_token,
            expires_in,
            scopes,
        }
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
        for token in self.tokens.values_mut().filter(|t| t.issued) {
            token.expires_at = Some(token.expires_at.map_or(now, |at| at.min(now)));
        }
    }

    /// Revokes every access token and refresh token the token endpoint issued so far.
    pub fn revoke_oauth_grants(&mut self) {
        for token in self.tokens.values_mut().filter(|t| t.issued) {
            token.revoked = true;
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

    /// The token with this value, if it works at `now`.
    pub fn authenticate(&self, value: &str, now: DateTime<Utc>) -> Result<Token, AuthFailure> {
        let token = self.tokens.get(value).ok_or(AuthFailure::Unknown)?;
        if token.revoked {
            return Err(AuthFailure::Revoked);
        }
        if token.expires_at.is_some_and(|at| at <= now) {
            return Err(AuthFailure::Expired);
        }
        Ok(token.clone())
    }

    /// An account by nickname (case-insensitive).
    pub fn user(&self, nickname: &str) -> Option<&User> {
        self.users.get(&nickname.to_ascii_lowercase())
    }

    /// A workspace by slug (case-insensitive).
    pub fn workspace(&self, slug: &str) -> Option<&Workspace> {
        self.workspaces.get(&slug.to_ascii_lowercase())
    }

    /// A repository (case-insensitive).
    pub fn repo(&self, workspace: &str, slug: &str) -> Option<&Repo> {
        self.repos
            .get(&format!("{workspace}/{slug}").to_ascii_lowercase())
    }

    /// A repository to change.
    pub fn repo_mut(&mut self, workspace: &str, slug: &str) -> Option<&mut Repo> {
        self.repos
            .get_mut(&format!("{workspace}/{slug}").to_ascii_lowercase())
    }

    /// Every repository, by full name.
    pub fn repos(&self) -> impl Iterator<Item = &Repo> {
        self.repos.values()
    }

    /// Whether `token` (none: anonymous) reaches `repo` at all.
    pub fn reaches(&self, token: Option<&Token>, repo: &Repo) -> bool {
        let Some(token) = token else {
            return !repo.private;
        };
        let same = |a: Option<&str>, b: &str| a.is_some_and(|a| a.eq_ignore_ascii_case(b));
        match token.kind {
            TokenKind::Repository => {
                same(token.workspace.as_deref(), &repo.workspace)
                    && same(token.repository.as_deref(), &repo.slug)
            }
            TokenKind::Project => {
                same(token.workspace.as_deref(), &repo.workspace)
                    && same(token.project.as_deref(), &repo.project)
            }
            TokenKind::Workspace => same(token.workspace.as_deref(), &repo.workspace),
            TokenKind::Oauth => !repo.private || self.role(token, &repo.workspace).is_some(),
        }
    }

    /// An OAuth token's user's role in a workspace.
    pub fn role(&self, token: &Token, workspace: &str) -> Option<WorkspaceRole> {
        let user = token.user.as_deref()?;
        self.workspace(workspace)?
            .members
            .iter()
            .find(|(m, _)| m.eq_ignore_ascii_case(user))
            .map(|(_, role)| *role)
    }

    /// Whether `token` may administer `repo` (webhooks): access tokens by scope alone,
    /// OAuth tokens when their user owns the workspace.
    pub fn administers(&self, token: &Token, repo: &Repo) -> bool {
        self.reaches(Some(token), repo)
            && (token.kind != TokenKind::Oauth
                || self.role(token, &repo.workspace) == Some(WorkspaceRole::Owner))
    }

    /// A hook from a seed or a create request, with a fresh id.
    pub fn new_hook(&mut self, seed: HookSeed) -> Hook {
        Hook {
            uuid: self.new_uuid(),
            url: seed.url,
            description: seed.description,
            active: seed.active,
            events: seed.events,
            secret: seed.secret.filter(|s| !s.is_empty()),
            created_at: Utc::now(),
        }
    }

    /// A fresh `{uuid}`.
    pub fn new_uuid(&mut self) -> String {
        self.counter += 1;
        let n = self.counter;
        format!(
            "{{{:08x}-{:04x}-4{:03x}-b{:03x}-{:012x}}}",
            n.wrapping_mul(2_654_435_761) & 0xffff_ffff,
            n & 0xffff,
            n & 0xfff,
            (n >> 12) & 0xfff,
            n
        )
    }

    /// A fresh 40-hex commit hash.
    pub fn new_hash(&mut self) -> String {
        self.counter += 1;
        format!(
            "{:040x}",
            0xb17b_0000_u64.wrapping_mul(41).wrapping_add(self.counter)
        )
    }

    /// An OAuth consumer by key.
    pub fn consumer(&self, key: &str) -> Option<&OAuthConsumerSeed> {
        self.consumers.get(key)
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

fn valid_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bitbucket::seed::{UserSeed, WorkspaceSeed};

    fn seed() -> BitbucketSeed {
        BitbucketSeed {
            users: vec![UserSeed::new("emma"), UserSeed::new("sam")],
            workspaces: vec![
                WorkspaceSeed::new(
                    "acme",
                    &[
                        ("emma", WorkspaceRole::Owner),
                        ("sam", WorkspaceRole::Member),
                    ],
                ),
                WorkspaceSeed::new("other", &[]),
            ],
            repositories: vec![
                RepositorySeed::private("acme", "api").in_project("PLAT"),
                RepositorySeed::private("acme", "web"),
                RepositorySeed::private("other", "x"),
            ],
            tokens: vec![
                TokenSeed::repository("r", "acme", "api", &["repository"]),
                TokenSeed::project("p", "acme", "PLAT", &["pullrequest"]),
                TokenSeed::workspace("w", "acme", &["webhook"]),
                TokenSeed::oauth("o", "sam", &["repository"]),
            ],
            oauth_consumers: Vec::new(),
        }
    }

    #[test]
    fn reach_by_token_kind() {
        let state = BitbucketState::from_seed(seed()).expect("valid seed");
        let now = Utc::now();
        let api = state.repo("ACME", "Api").expect("case-insensitive").clone();
        let web = state.repo("acme", "web").expect("seeded").clone();
        let x = state.repo("other", "x").expect("seeded").clone();
        let token = |v: &str| state.authenticate(v, now).expect("works");
        let reach = |v: &str| {
            [&api, &web, &x]
                .iter()
                .map(|r| state.reaches(Some(&token(v)), r))
                .collect::<Vec<_>>()
        };
        assert_eq!(reach("r"), [true, false, false]);
        assert_eq!(reach("p"), [true, false, false]);
        assert_eq!(reach("w"), [true, true, false]);
        assert_eq!(reach("o"), [true, true, false]);
        assert!(
            !state.administers(&token("o"), &api),
            "sam is a member only"
        );
        assert!(
            token("p").grants("repository"),
            "pullrequest implies repository"
        );
        assert!(!token("r").grants("webhook"));
        assert!(!state.reaches(None, &api));
    }

    #[test]
    fn inconsistent_seeds_are_refused() {
        let mut bad = seed();
        bad.tokens
            .push(TokenSeed::repository("t", "acme", "nope", &[]));
        assert!(BitbucketState::from_seed(bad).is_err());
        let mut bad = seed();
        bad.repositories.push(RepositorySeed::private("ghost", "a"));
        assert!(BitbucketState::from_seed(bad).is_err());
    }
}
