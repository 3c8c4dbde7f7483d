//! What a mock GitHub knows: accounts, tokens, and rate-limit windows.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};

use super::seed::{AccountType, GitHubSeed, TokenKind, TokenSeed};
use crate::server::SeedError;

/// Requests per hour for an authenticated user (GitHub's default for personal tokens).
pub(crate) const AUTHENTICATED_LIMIT: u32 = 5000;
/// Requests per hour without credentials.
pub(crate) const ANONYMOUS_LIMIT: u32 = 60;
/// Length of a rate-limit window in seconds.
const WINDOW_SECONDS: i64 = 3600;

/// A GitHub account.
#[derive(Debug, Clone)]
pub(crate) struct User {
    pub login: String,
    pub id: u64,
    pub name: Option<String>,
    pub email: Option<String>,
    pub account_type: AccountType,
}

/// A token as the mock stores it (the value is the map key).
#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub kind: TokenKind,
    pub scopes: Vec<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub owner: String,
    pub revoked: bool,
}

/// Why a presented token was refused; GitHub answers all of them with `Bad credentials`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AuthFailure {
    Unknown,
    Revoked,
    Expired,
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
    rate: HashMap<String, RateWindow>,
}

impl GitHubState {
    /// Builds the state, checking that the seed is consistent.
    pub fn from_seed(seed: GitHubSeed) -> Result<Self, SeedError> {
        let mut state = Self::default();
        for (index, user) in seed.users.into_iter().enumerate() {
            if user.login.is_empty() {
                return Err(SeedError("a user has an empty login".into()));
            }
            if state.users.contains_key(&user.login) {
                return Err(SeedError(format!("user '{}' is seeded twice", user.login)));
            }
            let id = user.id.unwrap_or(index as u64 + 1);
            state.users.insert(
                user.login.clone(),
                User {
                    login: user.login,
                    id,
                    name: user.name,
                    email: user.email,
                    account_type: user.account_type,
                },
            );
        }
        for token in seed.tokens {
            state.insert_token(token)?;
        }
        Ok(state)
    }

    /// Adds a token after checking it against the accounts.
    pub fn insert_token(&mut self, token: TokenSeed) -> Result<(), SeedError> {
        if token.value.is_empty() {
            return Err(SeedError("a token has an empty value".into()));
        }
        // Never echo a token value, even a mock one, into an error message.
        let label = format!("token of '{}' ({:?})", token.owner, token.kind);
        match self.users.get(&token.owner) {
            None => return Err(SeedError(format!("{label}: owner is not a seeded user"))),
            Some(user) if user.account_type != AccountType::User => {
                return Err(SeedError(format!(
                    "{label}: owner is an organization; only users own tokens"
                )))
            }
            Some(_) => {}
        }
        if !token.kind.has_scopes() && !token.scopes.is_empty() {
            return Err(SeedError(format!(
                "{label}: fine-grained tokens have permissions, not scopes"
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
                expires_at: token.expires_at,
                owner: token.owner,
                revoked: token.revoked,
            },
        );
        Ok(())
    }

    /// Marks a token revoked; returns whether it exists.
    pub fn revoke(&mut self, value: &str) -> bool {
        match self.tokens.get_mut(value) {
            Some(token) => {
                token.revoked = true;
                true
            }
            None => false,
        }
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
        if token.expires_at.is_some_and(|at| at <= now) {
            return Err(AuthFailure::Expired);
        }
        // Seeds are checked on insert, so the owner exists.
        let user = self.users.get(&token.owner).ok_or(AuthFailure::Unknown)?;
        Ok((token.clone(), user.clone()))
    }

    /// Counts one request against `bucket` (a login, or `None` for anonymous callers)
    /// and returns the counters GitHub reports in `X-RateLimit-*`.
    pub fn charge(&mut self, bucket: Option<&str>, now: DateTime<Utc>) -> RateSnapshot {
        let (key, limit) = match bucket {
            Some(login) => (format!("user:{login}"), AUTHENTICATED_LIMIT),
            None => ("anonymous".to_owned(), ANONYMOUS_LIMIT),
        };
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::github::{TokenSeed, UserSeed};

    fn seed() -> GitHubSeed {
        GitHubSeed {
            users: vec![UserSeed {
                login: "octocat".into(),
                id: None,
                name: None,
                email: None,
                account_type: AccountType::User,
            }],
            tokens: vec![],
        }
    }

    fn token(owner: &str, kind: TokenKind, scopes: &[&str]) -> TokenSeed {
        TokenSeed {
            value: "ghp_secretvalue".into(),
            kind,
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            expires_at: None,
            owner: owner.into(),
            revoked: false,
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
    fn rejects_scopes_on_fine_grained_tokens() {
        let mut seed = seed();
        seed.tokens
            .push(token("octocat", TokenKind::FineGrained, &["repo"]));
        assert!(GitHubState::from_seed(seed).is_err());
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
        let first = state.charge(Some("octocat"), now);
        let second = state.charge(Some("octocat"), now);
        assert_eq!((first.used, second.used), (1, 2));
        assert_eq!(second.remaining(), AUTHENTICATED_LIMIT - 2);
        let later = state.charge(Some("octocat"), now + chrono::Duration::seconds(3601));
        assert_eq!(later.used, 1);
        assert_eq!(state.charge(None, now).limit, ANONYMOUS_LIMIT);
    }
}
