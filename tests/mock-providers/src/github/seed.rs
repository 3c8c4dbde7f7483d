//! The serde shape of a GitHub mock's initial state, and the built-in demo seed.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Demo seed used by the binary when no seed file is given (also an example of the format).
const DEMO_SEED: &str = include_str!("../../seeds/github-demo.json");

/// Private key (PKCS#1 PEM, as GitHub hands out App keys) of the throwaway RSA key pair the
/// seeds' GitHub Apps use, so tests and demos can sign App JWTs. Test-only: it is public in
/// this repository and must never identify a real app.
pub const TEST_APP_PRIVATE_KEY_PEM: &str = include_str!("../../seeds/github-app-test-key.pem");

/// Public key (SPKI PEM) matching [`TEST_APP_PRIVATE_KEY_PEM`]; test-only as well.
pub const TEST_APP_PUBLIC_KEY_PEM: &str = include_str!("../../seeds/github-app-test-key.pub.pem");

/// Initial state of a GitHub mock.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GitHubSeed {
    /// Users and organizations.
    #[serde(default)]
    pub users: Vec<UserSeed>,
    /// Tokens; each acts as one seeded account.
    #[serde(default)]
    pub tokens: Vec<TokenSeed>,
    /// Repositories, with their branches and hooks.
    #[serde(default)]
    pub repositories: Vec<RepositorySeed>,
    /// OAuth apps that may exchange codes at `/login/oauth/access_token`.
    #[serde(default)]
    pub oauth_apps: Vec<OAuthAppSeed>,
    /// GitHub Apps: they authenticate with JWTs and are installed on accounts.
    #[serde(default)]
    pub apps: Vec<AppSeed>,
    /// Installations of those apps on users and organizations.
    #[serde(default)]
    pub installations: Vec<InstallationSeed>,
}

/// A GitHub account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserSeed {
    /// Login, e.g. `octocat`.
    pub login: String,
    /// Numeric id; assigned from the position in the seed when absent.
    #[serde(default)]
    pub id: Option<u64>,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// Public e-mail.
    #[serde(default)]
    pub email: Option<String>,
    /// `User` (default) or `Organization`.
    #[serde(rename = "type", default)]
    pub account_type: AccountType,
    /// Organizations only: members and their role (`admin` members administer every
    /// repository of the organization, plain `member`s read them).
    #[serde(default)]
    pub members: BTreeMap<String, OrgRole>,
    /// Requests per hour the account's tokens share before GitHub's primary rate limit
    /// refuses calls (GitHub: 5,000 for a user).
    #[serde(default)]
    pub rate_limit: Option<u32>,
}

impl UserSeed {
    /// A user with this login and nothing else.
    pub fn user(login: &str) -> Self {
        Self {
            login: login.to_owned(),
            id: None,
            name: None,
            email: None,
            account_type: AccountType::User,
            members: BTreeMap::new(),
            rate_limit: None,
        }
    }

    /// An organization with these `(login, role)` members.
    pub fn organization(login: &str, members: &[(&str, OrgRole)]) -> Self {
        Self {
            account_type: AccountType::Organization,
            members: members.iter().map(|(m, r)| ((*m).to_owned(), *r)).collect(),
            ..Self::user(login)
        }
    }
}

/// Kind of GitHub account, spelled as GitHub's `type` field.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccountType {
    /// A person.
    #[default]
    User,
    /// An organization (cannot own personal tokens).
    Organization,
}

impl AccountType {
    /// GitHub's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            AccountType::User => "User",
            AccountType::Organization => "Organization",
        }
    }
}

/// Role of a member in an organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgRole {
    /// Owner: administers every repository of the organization.
    Admin,
    /// Member: reads every repository of the organization.
    Member,
}

/// A token and what it may do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenSeed {
    /// The secret value presented in `Authorization`.
    pub value: String,
    /// Kind of token; decides which headers GitHub sends back and how access is checked.
    pub kind: TokenKind,
    /// OAuth scopes (classic and OAuth tokens only), e.g. `["repo", "admin:repo_hook"]`.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Fine-grained, App user and installation tokens only: permission → `read`/`write`,
    /// e.g. `{"contents": "read", "webhooks": "write"}` (`metadata: read` is implied).
    #[serde(default)]
    pub permissions: BTreeMap<String, Access>,
    /// Fine-grained, App user and installation tokens only: the repositories (`owner/name`)
    /// the token is restricted to; none means every repository its account can reach.
    #[serde(default)]
    pub repositories: Option<Vec<String>>,
    /// When the token stops working (RFC 3339); none for a token without expiry.
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
    /// Login of the account the token acts as: a user, or for an installation token the
    /// user or organization the app is installed on.
    pub owner: String,
    /// Revoked tokens are rejected like unknown ones.
    #[serde(default)]
    pub revoked: bool,
}

impl TokenSeed {
    /// A classic token of `owner` with `scopes`.
    pub fn classic(value: &str, owner: &str, scopes: &[&str]) -> Self {
        Self {
            value: value.to_owned(),
            kind: TokenKind::Classic,
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            permissions: BTreeMap::new(),
            repositories: None,
            expires_at: None,
            owner: owner.to_owned(),
            revoked: false,
        }
    }

    /// A fine-grained token of `owner` with `(permission, access)` pairs.
    pub fn fine_grained(value: &str, owner: &str, permissions: &[(&str, Access)]) -> Self {
        Self {
            kind: TokenKind::FineGrained,
            scopes: Vec::new(),
            permissions: permissions
                .iter()
                .map(|(p, a)| ((*p).to_owned(), *a))
                .collect(),
            ..Self::classic(value, owner, &[])
        }
    }

    /// The same token with another kind (e.g. `oauth`, `app_user`, `installation`).
    pub fn with_kind(mut self, kind: TokenKind) -> Self {
        self.kind = kind;
        self
    }

    /// The same token with an expiry.
    pub fn expiring(mut self, at: DateTime<Utc>) -> Self {
        self.expires_at = Some(at);
        self
    }

    /// The same token, revoked.
    pub fn revoked(mut self) -> Self {
        self.revoked = true;
        self
    }

    /// The same token restricted to these repositories (`owner/name`).
    pub fn only(mut self, repositories: &[&str]) -> Self {
        self.repositories = Some(repositories.iter().map(|r| (*r).to_owned()).collect());
        self
    }
}

/// The token kinds the mock distinguishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    /// Classic personal access token (`ghp_`); reports its scopes in `X-OAuth-Scopes`.
    Classic,
    /// Fine-grained personal access token (`github_pat_`); has permissions, not scopes.
    FineGrained,
    /// OAuth app token (`gho_`); reports its scopes in `X-OAuth-Scopes`.
    Oauth,
    /// GitHub App user-to-server token (`ghu_`); has permissions.
    AppUser,
    /// GitHub App installation token (`ghs_`); has permissions and no user.
    Installation,
}

impl TokenKind {
    /// The seed spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Classic => "classic",
            TokenKind::FineGrained => "fine_grained",
            TokenKind::Oauth => "oauth",
            TokenKind::AppUser => "app_user",
            TokenKind::Installation => "installation",
        }
    }

    /// Whether GitHub reports OAuth scopes for this kind.
    pub fn has_scopes(self) -> bool {
        matches!(self, TokenKind::Classic | TokenKind::Oauth)
    }
}

/// A fine-grained access level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    /// Read.
    Read,
    /// Read and write.
    Write,
}

impl Access {
    /// GitHub's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::Write => "write",
        }
    }
}

/// A repository.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepositorySeed {
    /// Owning user or organization.
    pub owner: String,
    /// Name.
    pub name: String,
    /// Numeric id; assigned when absent.
    #[serde(default)]
    pub id: Option<u64>,
    /// `public` (default), `private` or `internal`.
    #[serde(default)]
    pub visibility: RepoVisibility,
    /// Default branch (default `main`).
    #[serde(default)]
    pub default_branch: Option<String>,
    /// Branches; the default branch alone when empty, none at all when `empty`.
    #[serde(default)]
    pub branches: Vec<String>,
    /// Protected branches (a subset of `branches`).
    #[serde(default)]
    pub protected_branches: Vec<String>,
    /// An empty repository: no commits, no branches (GitHub answers 409 for its commits).
    #[serde(default)]
    pub empty: bool,
    /// Users other than the owner and their role on this repository.
    #[serde(default)]
    pub collaborators: BTreeMap<String, RepoRole>,
    /// Hooks already installed.
    #[serde(default)]
    pub hooks: Vec<HookSeed>,
}

impl RepositorySeed {
    /// A public repository `owner/name` with a `main` branch.
    pub fn public(owner: &str, name: &str) -> Self {
        Self {
            owner: owner.to_owned(),
            name: name.to_owned(),
            id: None,
            visibility: RepoVisibility::Public,
            default_branch: None,
            branches: Vec::new(),
            protected_branches: Vec::new(),
            empty: false,
            collaborators: BTreeMap::new(),
            hooks: Vec::new(),
        }
    }

    /// A private repository `owner/name` with a `main` branch.
    pub fn private(owner: &str, name: &str) -> Self {
        Self {
            visibility: RepoVisibility::Private,
            ..Self::public(owner, name)
        }
    }

    /// The same repository with these branches (the first is the default).
    pub fn with_branches(mut self, branches: &[&str]) -> Self {
        self.branches = branches.iter().map(|b| (*b).to_owned()).collect();
        self.default_branch = self.branches.first().cloned();
        self
    }

    /// The same repository with a collaborator.
    pub fn with_collaborator(mut self, login: &str, role: RepoRole) -> Self {
        self.collaborators.insert(login.to_owned(), role);
        self
    }
}

/// Visibility of a repository.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RepoVisibility {
    /// Anyone can read it.
    #[default]
    Public,
    /// Only those given access.
    Private,
    /// Members of the enterprise (treated as private by access checks).
    Internal,
}

/// A collaborator's role on a repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RepoRole {
    /// Read.
    Read,
    /// Push.
    Write,
    /// Administer (settings, webhooks).
    Admin,
}

/// A hook already on a repository.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HookSeed {
    /// Delivery URL.
    pub url: String,
    /// Events (default `["push"]`).
    #[serde(default)]
    pub events: Vec<String>,
    /// Secret, if any.
    #[serde(default)]
    pub secret: Option<String>,
    /// Whether deliveries are on (default true).
    #[serde(default = "default_true")]
    pub active: bool,
}

fn default_true() -> bool {
    true
}

/// An OAuth app registered on the mock. Its user tokens never expire unless a test turns
/// expiry on with [`MockGitHub::set_expiring_user_tokens`](crate::github::MockGitHub::set_expiring_user_tokens).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuthAppSeed {
    /// Client id.
    pub client_id: String,
    /// Client secret.
    pub client_secret: String,
    /// The user who approves sign-ins at `/login/oauth/authorize` (the mock has no login
    /// page); the first seeded user when absent.
    #[serde(default)]
    pub approving_user: Option<String>,
}

/// A GitHub App registered on the mock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppSeed {
    /// App id: the `iss` claim of its JWTs.
    pub id: u64,
    /// URL name, as in `/apps/{slug}/installations/new`.
    pub slug: String,
    /// Client id for the user authorization flow (`/login/oauth/...`).
    pub client_id: String,
    /// Client secret for the user authorization flow.
    pub client_secret: String,
    /// RSA public key that verifies the app's JWTs, PEM: SPKI (`BEGIN PUBLIC KEY`) or
    /// PKCS#1 (`BEGIN RSA PUBLIC KEY`).
    pub public_key_pem: String,
    /// Where the install flow sends the browser back (with `installation_id`,
    /// `setup_action`, `state` and maybe `code`); the installation's settings page when
    /// absent.
    #[serde(default)]
    pub callback_url: Option<String>,
    /// Whether installing also authorizes the installing user (a `code` in the redirect).
    #[serde(default = "default_true")]
    pub request_oauth_on_install: bool,
    /// Permissions installations grant, e.g. `{"contents": "read",
    /// "repository_hooks": "write", "metadata": "read"}`.
    #[serde(default)]
    pub permissions: BTreeMap<String, Access>,
    /// Webhook events the app subscribes to (reported on its installations).
    #[serde(default)]
    pub events: Vec<String>,
    /// The user who installs and signs in when the web flow names none (the mock has no
    /// login page); the first seeded user when absent.
    #[serde(default)]
    pub approving_user: Option<String>,
    /// Whether the app's user tokens expire (GitHub's "Expire user authorization tokens"):
    /// the code exchange then also answers `expires_in`, a `ghr_` refresh token and
    /// `refresh_token_expires_in`, and `grant_type=refresh_token` works. Off when absent,
    /// so user tokens never expire.
    #[serde(default)]
    pub expiring_user_tokens: bool,
}

impl AppSeed {
    /// An app whose JWTs are signed with [`TEST_APP_PRIVATE_KEY_PEM`], with no permissions,
    /// no callback URL, and user authorization on install.
    pub fn new(id: u64, slug: &str, client_id: &str, client_secret: &str) -> Self {
        Self {
            id,
            slug: slug.to_owned(),
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            public_key_pem: TEST_APP_PUBLIC_KEY_PEM.to_owned(),
            callback_url: None,
            request_oauth_on_install: true,
            permissions: BTreeMap::new(),
            events: Vec::new(),
            approving_user: None,
            expiring_user_tokens: false,
        }
    }

    /// The same app with expiring user tokens and refresh tokens.
    pub fn with_expiring_user_tokens(mut self) -> Self {
        self.expiring_user_tokens = true;
        self
    }

    /// The same app with these `(permission, access)` pairs.
    pub fn with_permissions(mut self, permissions: &[(&str, Access)]) -> Self {
        self.permissions = permissions
            .iter()
            .map(|(p, a)| ((*p).to_owned(), *a))
            .collect();
        self
    }

    /// The same app sending the install flow back to `url`.
    pub fn with_callback_url(mut self, url: &str) -> Self {
        self.callback_url = Some(url.to_owned());
        self
    }

    /// The same app verifying JWTs with another public key (PEM).
    pub fn with_public_key(mut self, pem: &str) -> Self {
        self.public_key_pem = pem.to_owned();
        self
    }
}

/// Which repositories an installation reaches, spelled as GitHub's `repository_selection`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RepositorySelection {
    /// Every repository of the account, present and future.
    #[default]
    All,
    /// The listed repositories only.
    Selected,
}

impl RepositorySelection {
    /// GitHub's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            RepositorySelection::All => "all",
            RepositorySelection::Selected => "selected",
        }
    }
}

/// An installation of a seeded app on a user or organization.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstallationSeed {
    /// Installation id.
    pub id: u64,
    /// The installed app's id.
    pub app_id: u64,
    /// Login of the user or organization it is installed on.
    pub account: String,
    /// `all` (default) or `selected`.
    #[serde(default)]
    pub repository_selection: RepositorySelection,
    /// `selected` only: the repositories (`owner/name`, all of the account) it reaches.
    #[serde(default)]
    pub repositories: Vec<String>,
    /// A suspended installation issues no tokens and its tokens stop working.
    #[serde(default)]
    pub suspended: bool,
}

impl InstallationSeed {
    /// An installation on every repository of `account`.
    pub fn all(id: u64, app_id: u64, account: &str) -> Self {
        Self {
            id,
            app_id,
            account: account.to_owned(),
            repository_selection: RepositorySelection::All,
            repositories: Vec::new(),
            suspended: false,
        }
    }

    /// An installation on these repositories (`owner/name`) of `account`.
    pub fn selected(id: u64, app_id: u64, account: &str, repositories: &[&str]) -> Self {
        Self {
            repository_selection: RepositorySelection::Selected,
            repositories: repositories.iter().map(|r| (*r).to_owned()).collect(),
            ..Self::all(id, app_id, account)
        }
    }

    /// The same installation, suspended.
    pub fn suspended(mut self) -> Self {
        self.suspended = true;
        self
    }
}

impl GitHubSeed {
    /// The built-in demo state (see `seeds/github-demo.json`).
    pub fn demo() -> Self {
        // The file is part of the crate and covered by a test, so parsing cannot fail at
        // run time unless the crate itself is broken.
        serde_json::from_str(DEMO_SEED).unwrap_or_default()
    }

    /// Parses a seed from JSON.
    pub fn from_json(json: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(json)
    }

    /// Adds `count` repositories `owner/{prefix}-000`, `-001`, ... alternating private and
    /// public, e.g. to exercise pagination past 100.
    pub fn with_many_repositories(mut self, owner: &str, prefix: &str, count: usize) -> Self {
        for i in 0..count {
            let name = format!("{prefix}-{i:03}");
            self.repositories.push(if i % 2 == 0 {
                RepositorySeed::private(owner, &name)
            } else {
                RepositorySeed::public(owner, &name)
            });
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_seed_parses_and_is_consistent() {
        let seed: GitHubSeed = serde_json::from_str(DEMO_SEED).expect("demo seed parses");
        assert!(!seed.tokens.is_empty());
        assert!(!seed.repositories.is_empty());
        crate::github::MockGitHub::new(seed).expect("demo seed is consistent");
    }

    #[test]
    fn unknown_fields_are_rejected() {
        let err = GitHubSeed::from_json(r#"{"users":[{"login":"a","nmae":"typo"}]}"#)
            .expect_err("typo must be rejected");
        assert!(err.to_string().contains("nmae"), "{err}");
    }

    #[test]
    fn minimal_token_and_repository_defaults() {
        let seed = GitHubSeed::from_json(
            r#"{"users":[{"login":"a"}],
                "tokens":[{"value":"ghp_x","kind":"classic","owner":"a"}],
                "repositories":[{"owner":"a","name":"r"}]}"#,
        )
        .expect("parses");
        let token = &seed.tokens[0];
        assert!(token.scopes.is_empty() && token.permissions.is_empty());
        assert_eq!(token.expires_at, None);
        assert!(!token.revoked);
        assert_eq!(seed.users[0].account_type, AccountType::User);
        let repo = &seed.repositories[0];
        assert_eq!(repo.visibility, RepoVisibility::Public);
        assert!(repo.branches.is_empty() && !repo.empty);
    }

    #[test]
    fn apps_and_installations_parse_with_defaults() {
        let json = serde_json::json!({
            "users": [{"login": "octocat"}],
            "apps": [{
                "id": 7, "slug": "deployer", "client_id": "Iv23li.x", "client_secret": "s",
                "public_key_pem": TEST_APP_PUBLIC_KEY_PEM,
                "permissions": {"contents": "read", "repository_hooks": "write"}
            }],
            "installations": [{"id": 70, "app_id": 7, "account": "octocat"}]
        });
        let seed = GitHubSeed::from_json(&json.to_string()).expect("parses");
        let app = &seed.apps[0];
        assert!(app.request_oauth_on_install && app.callback_url.is_none());
        assert!(!app.expiring_user_tokens);
        assert_eq!(app.permissions["repository_hooks"], Access::Write);
        let installation = &seed.installations[0];
        assert_eq!(installation.repository_selection, RepositorySelection::All);
        assert!(!installation.suspended && installation.repositories.is_empty());
        crate::github::MockGitHub::new(seed).expect("consistent");
    }

    #[test]
    fn test_key_files_form_a_pair() {
        assert!(TEST_APP_PRIVATE_KEY_PEM.starts_with("-----BEGIN RSA PRIVATE KEY-----"));
        assert!(TEST_APP_PUBLIC_KEY_PEM.starts_with("-----BEGIN PUBLIC KEY-----"));
        use rsa::pkcs1::DecodeRsaPrivateKey;
        use rsa::pkcs8::DecodePublicKey;
        let private = rsa::RsaPrivateKey::from_pkcs1_pem(TEST_APP_PRIVATE_KEY_PEM).expect("PKCS#1");
        let public = rsa::RsaPublicKey::from_public_key_pem(TEST_APP_PUBLIC_KEY_PEM).expect("SPKI");
        assert_eq!(private.to_public_key(), public);
    }

    #[test]
    fn builders() {
        let seed = GitHubSeed::default().with_many_repositories("o", "r", 3);
        assert_eq!(seed.repositories[0].visibility, RepoVisibility::Private);
        assert_eq!(seed.repositories[1].name, "r-001");
        let t = TokenSeed::fine_grained("github_pat_x", "o", &[("contents", Access::Read)])
            .only(&["o/r-000"])
            .revoked();
        assert!(t.revoked && t.kind == TokenKind::FineGrained);
        assert_eq!(t.repositories.as_deref(), Some(&["o/r-000".to_owned()][..]));
    }
}
