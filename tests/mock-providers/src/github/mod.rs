//! Mock of the GitHub REST API (`https://api.github.com`), also mountable under GitHub
//! Enterprise Server's `/api/v3` prefix.
//!
//! Modelled now: token authentication (`Authorization: Bearer <t>` or `token <t>`),
//! classic, fine-grained and OAuth tokens with scopes, expiry and revocation, and
//! `GET /user` with GitHub's headers (`X-OAuth-Scopes`, `X-Accepted-OAuth-Scopes`,
//! `GitHub-Authentication-Token-Expiration`, `X-RateLimit-*`, `X-GitHub-Media-Type`) and
//! error bodies. Unknown endpoints answer GitHub's `404 Not Found` JSON.

mod routes;
mod seed;
mod state;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::{response::Response, Router};

pub use seed::{AccountType, GitHubSeed, TokenKind, TokenSeed, UserSeed};

use crate::server::{MockError, MockProvider, MockServer, SeedError};
use state::GitHubState;

/// API prefix of GitHub Enterprise Server.
pub const ENTERPRISE_BASE_PATH: &str = "/api/v3";

/// Handle to a mock GitHub's state; cheap to clone, shared with the running server.
#[derive(Debug, Clone)]
pub struct MockGitHub {
    state: Arc<Mutex<GitHubState>>,
    base_path: &'static str,
}

impl MockGitHub {
    /// A github.com-shaped mock (API at the server root) holding `seed`.
    pub fn new(seed: GitHubSeed) -> Result<Self, SeedError> {
        Ok(Self {
            state: Arc::new(Mutex::new(GitHubState::from_seed(seed)?)),
            base_path: "",
        })
    }

    /// A GitHub Enterprise Server-shaped mock (API under `/api/v3`) holding `seed`.
    pub fn new_enterprise(seed: GitHubSeed) -> Result<Self, SeedError> {
        Ok(Self {
            base_path: ENTERPRISE_BASE_PATH,
            ..Self::new(seed)?
        })
    }

    /// Starts a github.com-shaped mock on a free loopback port.
    pub async fn start(seed: GitHubSeed) -> Result<MockServer<Self>, MockError> {
        MockServer::start(Self::new(seed)?).await
    }

    /// Starts a GitHub Enterprise Server-shaped mock on a free loopback port; its
    /// `base_url()` ends in `/api/v3`.
    pub async fn start_enterprise(seed: GitHubSeed) -> Result<MockServer<Self>, MockError> {
        MockServer::start(Self::new_enterprise(seed)?).await
    }

    /// Whether this mock has the Enterprise Server shape.
    pub fn is_enterprise(&self) -> bool {
        self.base_path == ENTERPRISE_BASE_PATH
    }

    /// Revokes a token, as its owner would in the GitHub settings. Returns whether the
    /// token exists.
    pub fn revoke_token(&self, value: &str) -> bool {
        self.lock().revoke(value)
    }

    /// Adds a token to the running mock.
    pub fn add_token(&self, token: TokenSeed) -> Result<(), SeedError> {
        self.lock().insert_token(token)
    }

    fn lock(&self) -> MutexGuard<'_, GitHubState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl MockProvider for MockGitHub {
    const NAME: &'static str = "github";

    fn base_path(&self) -> &str {
        self.base_path
    }

    fn router(&self, base_url: &str) -> Router {
        routes::router(self.clone(), base_url)
    }

    fn not_found(&self) -> Response {
        routes::not_found()
    }
}
