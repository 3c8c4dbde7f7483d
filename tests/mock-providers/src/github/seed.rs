//! The serde shape of a GitHub mock's initial state, and the built-in demo seed.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Demo seed used by the binary when no seed file is given (also an example of the format).
const DEMO_SEED: &str = include_str!("../../seeds/github-demo.json");

/// Initial state of a GitHub mock: accounts and the tokens that act as them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GitHubSeed {
    /// Users and organizations.
    #[serde(default)]
    pub users: Vec<UserSeed>,
    /// Tokens; each acts as one seeded user.
    #[serde(default)]
    pub tokens: Vec<TokenSeed>,
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
}

/// Kind of GitHub account, spelled as GitHub's `type` field.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccountType {
    /// A person.
    #[default]
    User,
    /// An organization (cannot own tokens).
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

/// A token and what it may do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenSeed {
    /// The secret value presented in `Authorization`.
    pub value: String,
    /// Kind of token; decides which headers GitHub sends back.
    pub kind: TokenKind,
    /// OAuth scopes (classic and OAuth tokens only), e.g. `["repo", "admin:repo_hook"]`.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// When the token stops working (RFC 3339); none for a token without expiry.
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
    /// Login of the user the token acts as.
    pub owner: String,
    /// Revoked tokens are rejected like unknown ones.
    #[serde(default)]
    pub revoked: bool,
}

/// The token kinds the mock distinguishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    /// Classic personal access token (`ghp_`); reports its scopes in `X-OAuth-Scopes`.
    Classic,
    /// Fine-grained personal access token (`github_pat_`); has no scopes.
    FineGrained,
    /// OAuth app token (`gho_`); reports its scopes in `X-OAuth-Scopes`.
    Oauth,
}

impl TokenKind {
    /// The seed spelling: `classic`, `fine_grained` or `oauth`.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Classic => "classic",
            TokenKind::FineGrained => "fine_grained",
            TokenKind::Oauth => "oauth",
        }
    }

    /// Whether GitHub reports OAuth scopes for this kind.
    pub fn has_scopes(self) -> bool {
        matches!(self, TokenKind::Classic | TokenKind::Oauth)
    }
}

impl GitHubSeed {
    /// The built-in demo state: `octocat` with one token per interesting case (see
    /// `seeds/github-demo.json`).
    pub fn demo() -> Self {
        // The file is part of the crate and covered by a test, so parsing cannot fail at
        // run time unless the crate itself is broken.
        serde_json::from_str(DEMO_SEED).unwrap_or_default()
    }

    /// Parses a seed from JSON.
    pub fn from_json(json: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_seed_parses_and_is_consistent() {
        let seed: GitHubSeed = serde_json::from_str(DEMO_SEED).expect("demo seed parses");
        assert!(!seed.tokens.is_empty());
        crate::github::MockGitHub::new(seed).expect("demo seed is consistent");
    }

    #[test]
    fn unknown_fields_are_rejected() {
        let err = GitHubSeed::from_json(r#"{"users":[{"login":"a","nmae":"typo"}]}"#)
            .expect_err("typo must be rejected");
        assert!(err.to_string().contains("nmae"), "{err}");
    }

    #[test]
    fn minimal_token_defaults() {
        let seed = GitHubSeed::from_json(
            r#"{"users":[{"login":"a"}],"tokens":[{"value":"ghp_x","kind":"classic","owner":"a"}]}"#,
        )
        .expect("parses");
        let token = &seed.tokens[0];
        assert!(token.scopes.is_empty());
        assert_eq!(token.expires_at, None);
        assert!(!token.revoked);
        assert_eq!(seed.users[0].account_type, AccountType::User);
    }
}
