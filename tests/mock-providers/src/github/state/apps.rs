//! GitHub Apps and their installations: the key that verifies an app's JWTs, what an
//! installation reaches, and the tokens apps mint (installation tokens, app user tokens).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::pkcs8::DecodePublicKey;
use rsa::RsaPublicKey;

use super::{AuthFailure, GitHubState, Token};
use crate::deliveries::new_delivery_id;
use crate::github::seed::{
    Access, AccountType, AppSeed, InstallationSeed, OrgRole, RepositorySelection, TokenKind,
    TEST_APP_PUBLIC_KEY_PEM,
};
use crate::server::SeedError;

/// How long an installation token works (GitHub: one hour).
const INSTALLATION_TOKEN_MINUTES: i64 = 60;

/// A GitHub App.
#[derive(Debug, Clone)]
pub(crate) struct App {
    pub id: u64,
    pub slug: String,
    pub client_id: String,
    pub client_secret: String,
    pub public_key: RsaPublicKey,
    /// Whether the public key is the crate's test key (so tests can ask for its private key).
    pub uses_test_key: bool,
    pub callback_url: Option<String>,
    pub request_oauth_on_install: bool,
    pub permissions: BTreeMap<String, Access>,
    pub events: Vec<String>,
    pub approving_user: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// An installation of an app on an account.
#[derive(Debug, Clone)]
pub(crate) struct Installation {
    pub id: u64,
    pub app_id: u64,
    /// Login of the user or organization.
    pub account: String,
    pub selection: RepositorySelection,
    /// `selected` only: full names, as the repositories spell them.
    pub repositories: Vec<String>,
    /// When, and by whom (a login), it was suspended.
    pub suspended: Option<(DateTime<Utc>, String)>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What ties a minted installation token to its installation.
#[derive(Debug, Clone)]
pub(crate) struct InstallationLink {
    pub id: u64,
    /// The repositories (full names) the token was narrowed to when minted.
    pub only: Option<Vec<String>>,
}

/// A client of the OAuth web flow: an OAuth app or a GitHub App.
#[derive(Debug, Clone)]
pub(crate) struct OAuthClient {
    pub client_id: String,
    pub client_secret: String,
    pub approving_user: Option<String>,
    /// A GitHub App's id: its codes give app user (`ghu_`) tokens.
    pub app_id: Option<u64>,
    /// Whether its user tokens expire and come with refresh tokens.
    pub expiring_user_tokens: bool,
}

impl GitHubState {
    /// Adds an app after checking it against the accounts and other apps.
    pub fn insert_app(&mut self, seed: AppSeed) -> Result<(), SeedError> {
        let label = format!("GitHub App {} ('{}')", seed.id, seed.slug);
        if self.apps.contains_key(&seed.id) {
            return Err(SeedError(format!("{label}: the id is seeded twice")));
        }
        if seed.slug.is_empty() || self.app_by_slug(&seed.slug).is_some() {
            return Err(SeedError(format!("{label}: the slug is empty or taken")));
        }
        if seed.client_id.is_empty() || self.oauth_client(&seed.client_id).is_some() {
            return Err(SeedError(format!(
                "{label}: the client id is empty or taken"
            )));
        }
        if let Some(login) = &seed.approving_user {
            if self.user(login).is_none() {
                return Err(SeedError(format!(
                    "{label}: approving user '{login}' is not seeded"
                )));
            }
        }
        let pem = seed.public_key_pem.trim();
        let public_key = RsaPublicKey::from_public_key_pem(pem)
            .or_else(|_| RsaPublicKey::from_pkcs1_pem(pem))
            .map_err(|_| {
                SeedError(format!(
                    "{label}: public_key_pem is not an RSA public key in SPKI or PKCS#1 PEM"
                ))
            })?;
        if seed.expiring_user_tokens {
            self.expiring_clients.insert(seed.client_id.clone());
        }
        self.apps.insert(
            seed.id,
            App {
                id: seed.id,
                slug: seed.slug,
                client_id: seed.client_id,
                client_secret: seed.client_secret,
                uses_test_key: pem == TEST_APP_PUBLIC_KEY_PEM.trim(),
                public_key,
                callback_url: seed.callback_url,
                request_oauth_on_install: seed.request_oauth_on_install,
                permissions: seed.permissions,
                events: seed.events,
                approving_user: seed.approving_user,
                created_at: Utc::now() - Duration::days(60),
            },
        );
        Ok(())
    }

    /// Adds an installation after checking its app, account and repositories.
    pub fn insert_installation(&mut self, seed: InstallationSeed) -> Result<(), SeedError> {
        let label = format!("installation {}", seed.id);
        if self.installations.contains_key(&seed.id) {
            return Err(SeedError(format!("{label}: the id is seeded twice")));
        }
        let installation = self
            .new_installation(
                seed.id,
                seed.app_id,
                &seed.account,
                seed.repository_selection,
                &seed.repositories,
            )
            .map_err(|why| SeedError(format!("{label}: {why}")))?;
        let id = installation.id;
        self.installations.insert(id, installation);
        if seed.suspended {
            self.set_suspended(id, true);
        }
        Ok(())
    }

    /// Installs `app_id` on `account` (a new id), on every repository or on `selected`
    /// ones (`owner/name` or names in the account); the reason when it cannot be.
    pub fn install(
        &mut self,
        app_id: u64,
        account: &str,
        selected: Option<&[String]>,
    ) -> Result<u64, String> {
        let mut id = self.new_id();
        while self.installations.contains_key(&id) {
            id = self.new_id();
        }
        let (selection, repositories) = match selected {
            Some(list) => (RepositorySelection::Selected, list),
            None => (RepositorySelection::All, &[][..]),
        };
        let installation = self.new_installation(id, app_id, account, selection, repositories)?;
        self.installations.insert(id, installation);
        Ok(id)
    }

    /// Checks and builds an installation; the reason when it does not fit.
    fn new_installation(
        &self,
        id: u64,
        app_id: u64,
        account: &str,
        selection: RepositorySelection,
        repositories: &[String],
    ) -> Result<Installation, String> {
        if !self.apps.contains_key(&app_id) {
            return Err(format!("app {app_id} is not seeded"));
        }
        let account = self
            .user(account)
            .ok_or_else(|| format!("account '{account}' is not seeded"))?
            .login
            .clone();
        if self.installation_of(app_id, &account).is_some() {
            return Err(format!("app {app_id} is already installed on '{account}'"));
        }
        let repositories = match selection {
            RepositorySelection::All if !repositories.is_empty() => {
                return Err("an installation on all repositories lists none".to_owned())
            }
            RepositorySelection::All => Vec::new(),
            RepositorySelection::Selected if repositories.is_empty() => {
                return Err("a selected installation needs at least one repository".to_owned())
            }
            RepositorySelection::Selected => {
                let mut full_names = Vec::new();
                for name in repositories {
                    let full_name = self
                        .account_repo(&account, name)
                        .ok_or_else(|| format!("'{name}' is not a repository of '{account}'"))?;
                    if !full_names.contains(&full_name) {
                        full_names.push(full_name);
                    }
                }
                full_names
            }
        };
        let now = Utc::now();
        Ok(Installation {
            id,
            app_id,
            account,
            selection,
            repositories,
            suspended: None,
            created_at: now,
            updated_at: now,
        })
    }

    /// The full name of `name` (`owner/name`, or a name in `account`) when it is a
    /// repository of `account`.
    pub fn account_repo(&self, account: &str, name: &str) -> Option<String> {
        let (owner, name) = name.split_once('/').unwrap_or((account, name));
        self.repo(owner, name)
            .filter(|repo| repo.owner.eq_ignore_ascii_case(account))
            .map(|repo| repo.full_name())
    }

    /// An app by id.
    pub fn app(&self, id: u64) -> Option<&App> {
        self.apps.get(&id)
    }

    /// An app by slug.
    pub fn app_by_slug(&self, slug: &str) -> Option<&App> {
        self.apps.values().find(|app| app.slug == slug)
    }

    /// An installation by id.
    pub fn installation(&self, id: u64) -> Option<&Installation> {
        self.installations.get(&id)
    }

    /// An installation to change.
    pub fn installation_mut(&mut self, id: u64) -> Option<&mut Installation> {
        self.installations.get_mut(&id)
    }

    /// Every installation, by id.
    pub fn installations(&self) -> impl Iterator<Item = &Installation> {
        self.installations.values()
    }

    /// The installation of `app_id` on `account`, if any (an app is installed once per
    /// account).
    pub fn installation_of(&self, app_id: u64, account: &str) -> Option<&Installation> {
        self.installations
            .values()
            .find(|i| i.app_id == app_id && i.account.eq_ignore_ascii_case(account))
    }

    /// The repositories (full names, sorted) an installation reaches now: every one of
    /// its account for `all`.
    pub fn reach(&self, installation: &Installation) -> Vec<String> {
        let mut names: Vec<String> = match installation.selection {
            RepositorySelection::All => self
                .repos()
                .filter(|r| r.owner.eq_ignore_ascii_case(&installation.account))
                .map(|r| r.full_name())
                .collect(),
            RepositorySelection::Selected => installation
                .repositories
                .iter()
                .filter(|name| {
                    name.split_once('/')
                        .is_some_and(|(owner, name)| self.repo(owner, name).is_some())
                })
                .cloned()
                .collect(),
        };
        names.sort_by_key(|n| n.to_ascii_lowercase());
        names
    }

    /// Whether `login` may see an installation: it is on their own account, or on an
    /// organization they belong to.
    pub fn can_access_installation(&self, login: &str, installation: &Installation) -> bool {
        installation.account.eq_ignore_ascii_case(login)
            || self.user(&installation.account).is_some_and(|org| {
                org.account_type == AccountType::Organization
                    && org.members.keys().any(|m| m.eq_ignore_ascii_case(login))
            })
    }

    /// Suspends or unsuspends an installation; returns whether it exists. The account
    /// (an organization's first owner) is recorded as who suspended it.
    pub fn set_suspended(&mut self, id: u64, suspended: bool) -> bool {
        let Some(account) = self.installations.get(&id).map(|i| i.account.clone()) else {
            return false;
        };
        let by = self
            .user(&account)
            .and_then(|user| {
                user.members
                    .iter()
                    .find(|(_, role)| **role == OrgRole::Admin)
                    .map(|(login, _)| login.clone())
            })
            .unwrap_or(account);
        if let Some(installation) = self.installations.get_mut(&id) {
            let now = Utc::now();
            installation.suspended = suspended.then_some((now, by));
            installation.updated_at = now;
        }
        true
    }

    /// Uninstalls: the installation and the tokens minted for it are gone. Returns
    /// whether it existed.
    pub fn remove_installation(&mut self, id: u64) -> bool {
        self.tokens
            .retain(|_, t| t.installation.as_ref().is_none_or(|link| link.id != id));
        self.installations.remove(&id).is_some()
    }

    /// Mints a one-hour installation token (`ghs_`) with `permissions`, narrowed to
    /// `only` (full names) when given; returns its value and expiry.
    pub fn mint_installation_token(
        &mut self,
        installation_id: u64,
        permissions: BTreeMap<String, Access>,
        only: Option<Vec<String>>,
        now: DateTime<Utc>,
    ) -> Option<(String, DateTime<Utc>)> {
        let account = self.installations.get(&installation_id)?.account.clone();
        let value = format!("ghs_{}", new_delivery_id().replace('-', ""));
        let expires_at = now + Duration::minutes(INSTALLATION_TOKEN_MINUTES);
        self.tokens.insert(
            value.clone(),
            Token {
                kind: TokenKind::Installation,
                scopes: Vec::new(),
                permissions,
                repositories: None,
                expires_at: Some(expires_at),
                owner: account,
                revoked: false,
                installation: Some(InstallationLink {
                    id: installation_id,
                    only,
                }),
                app: None,
                issued: false,
            },
        );
        Some((value, expires_at))
    }

    /// Mints an app user token (`ghu_`) of `login` for `app_id` at the OAuth token
    /// endpoint, with the app's permissions and no expiry; the repositories it reaches are
    /// bounded by the app's installations.
    pub fn mint_app_user_token(&mut self, app_id: u64, login: &str) -> Option<String> {
        let permissions = self.apps.get(&app_id)?.permissions.clone();
        let owner = self.user(login)?.login.clone();
        let value = format!("ghu_{}", new_delivery_id().replace('-', ""));
        self.tokens.insert(
            value.clone(),
            Token {
                kind: TokenKind::AppUser,
                scopes: Vec::new(),
                permissions,
                repositories: None,
                expires_at: None,
                owner,
                revoked: false,
                installation: None,
                app: Some(app_id),
                issued: true,
            },
        );
        Some(value)
    }

    /// Sets the repositories of a token an app minted from what its installation (or,
    /// for an app user token, the app's installations) reaches now.
    pub(super) fn resolve_app_reach(&self, token: &mut Token) -> Result<(), AuthFailure> {
        if let Some(link) = &token.installation {
            let installation = self
                .installations
                .get(&link.id)
                .ok_or(AuthFailure::Unknown)?;
            if installation.suspended.is_some() {
                return Err(AuthFailure::Suspended);
            }
            let mut reach = self.reach(installation);
            if let Some(only) = &link.only {
                reach.retain(|r| only.iter().any(|o| o.eq_ignore_ascii_case(r)));
            }
            token.repositories = Some(reach);
        } else if let (TokenKind::AppUser, Some(app_id)) = (token.kind, token.app) {
            token.repositories = Some(
                self.installations
                    .values()
                    .filter(|i| i.app_id == app_id && i.suspended.is_none())
                    .flat_map(|i| self.reach(i))
                    .collect(),
            );
        }
        Ok(())
    }
}
