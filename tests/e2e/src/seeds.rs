//! The GitHub state the end-to-end tests run against.

use mock_providers::github::{GitHubSeed, TokenSeed, UserSeed};

/// Login every seeded token acts as.
pub const DEMO_LOGIN: &str = "octocat";

/// Token values seeded into [`github_seed`]; realistic shapes so the plugin recognises
/// their kind by prefix.
pub mod tokens {
    /// Classic PAT with `repo` only (lacks `admin:repo_hook`).
    pub const REPO_ONLY: &str = "ghp_e2eRepoOnly00000000000000000000000001";
    /// Classic PAT with `repo` and `admin:repo_hook`, expiring at [`FULL_EXPIRES_AT`].
    pub const FULL: &str = "ghp_e2eFullAccess0000000000000000000000002";
    /// Expiry of [`FULL`], RFC 3339.
    pub const FULL_EXPIRES_AT: &str = "2099-12-01T10:00:00Z";
    /// A classic-looking token the mock does not know.
    pub const UNKNOWN: &str = "ghp_e2eUnknown000000000000000000000000003";
}

/// One user, `octocat`, with the tokens in [`tokens`].
pub fn github_seed() -> GitHubSeed {
    let classic = |value: &str, scopes: &[&str]| TokenSeed::classic(value, DEMO_LOGIN, scopes);
    let full = classic(tokens::FULL, &["repo", "admin:repo_hook"]);
    let full = match tokens::FULL_EXPIRES_AT.parse() {
        Ok(at) => full.expiring(at),
        Err(_) => full,
    };
    GitHubSeed {
        users: vec![UserSeed {
            id: Some(583231),
            name: Some("The Octocat".to_owned()),
            ..UserSeed::user(DEMO_LOGIN)
        }],
        tokens: vec![classic(tokens::REPO_ONLY, &["repo"]), full],
        ..GitHubSeed::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_is_consistent_and_full_token_expires() {
        let seed = github_seed();
        assert!(seed.tokens.iter().any(|t| t.expires_at.is_some()));
        mock_providers::github::MockGitHub::new(seed).expect("consistent seed");
    }
}
