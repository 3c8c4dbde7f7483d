//! Mock of the Bitbucket Cloud REST API (`https://api.bitbucket.org/2.0`), served under
//! `/2.0`, with Bitbucket's OAuth web flow (`https://bitbucket.org/site/oauth2/…`) at the
//! server root.
//!
//! # Modelled
//!
//! - Authentication: `Authorization: Bearer <t>`; unknown, expired and revoked tokens get
//!   `401` with Bitbucket's error body; anonymous calls see public repositories only.
//! - Token kinds and their reach: repository access tokens (one repository), project
//!   access tokens (one project's repositories), workspace access tokens (the workspace),
//!   OAuth tokens (the user's workspaces; webhooks only where the user owns the
//!   workspace). Responses carry `X-OAuth-Scopes`, `X-Accepted-OAuth-Scopes` and
//!   `X-Credential-Type`; scopes are enforced (`repository`, `pullrequest`, `webhook`,
//!   `account` for `/user`, which access tokens cannot have) with implications
//!   (`…:write` reads, `pullrequest` implies `repository`) and a `403` naming
//!   `granted` and `required`; expiry and revocation.
//! - `GET /user`, `/workspaces/{ws}` (`404` unknown, `403` not the token's),
//!   `/repositories/{ws}` (`404` unknown workspace, `403` another workspace's token),
//!   `/repositories?role=member`, `/repositories/{ws}/{slug}`, its `refs/branches` and
//!   `pullrequests` (always empty), and webhooks: list, create (URL and event checks),
//!   get, update, delete, with `{uuid}` ids and `secret_set`.
//! - Pagination: `pagelen` (default 10, at most 100) and `page`, answered with
//!   `{pagelen, size, page, values, next, previous}`; `q` filters (`name ~ "…"`,
//!   `full_name = "…"`, `project.key`), `sort` (`full_name`, `name`, `updated_on`, `-…`).
//! - Injected [`Fault`]s: `429` (with `Retry-After`) and 5xx.
//! - Deliveries of `repo:push` and `pullrequest:*` to loopback hooks, signed with
//!   `X-Hub-Signature: sha256=…` when the hook has a secret ([`MockBitbucket::push`],
//!   [`MockBitbucket::pull_request`]).
//! - OAuth: `/site/oauth2/authorize` (auto-approved) and `/site/oauth2/access_token`
//!   (consumer key and secret by HTTP Basic or form fields; `grant_type=authorization_code`
//!   with single-use codes, callback URL prefix check and PKCE S256 when a challenge was
//!   sent; `grant_type=refresh_token`, not rotating: the same refresh token comes back and
//!   keeps working). Access tokens last two hours unless a test sets another lifetime
//!   ([`MockBitbucket::set_oauth_token_lifetime`]) or ends them
//!   ([`MockBitbucket::expire_oauth_access_tokens`]);
//!   [`MockBitbucket::revoke_oauth_authorizations`] revokes every grant as its user would;
//!   [`MockBitbucket::refresh_grants`] counts the refresh grants served.
//! - Control endpoints for offline demos, outside Bitbucket's API: `/_mock/push`,
//!   `/_mock/pull_request`, `/_mock/faults`, `/_mock/deliveries` (`control.rs`).
//!
//! # Not modelled
//!
//! Git itself, pull requests as objects, Bitbucket Data Center, app passwords and scoped
//! API tokens (Basic authentication), rate limits that trigger by themselves (only
//! injected ones), branch restrictions, workspace and project webhooks, delivery retries,
//! the implicit, client credentials and JWT grants, compound `q` expressions (`AND`,
//! `OR`), and partial responses (`fields=`).

mod control;
mod hooks;
mod oauth;
mod repos;
mod responses;
mod routes;
mod seed;
mod state;
mod webhooks;

use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;

use axum::{http::StatusCode, response::Response, Router};
use chrono::Utc;

pub use seed::{
    BitbucketSeed, HookSeed, OAuthConsumerSeed, RepositorySeed, TokenKind, TokenSeed, UserSeed,
    WorkspaceRole, WorkspaceSeed,
};
pub use webhooks::{delivery_request, signature};

use crate::deliveries::{Delivery, DeliveryLog};
use crate::faults::{Fault, Faults};
use crate::server::{MockError, MockProvider, MockServer, SeedError};
use state::{BitbucketState, Branch};

/// Path of the API under the server root.
pub const API_PATH: &str = "/2.0";

/// A hook as a test sees it, secret included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookSnapshot {
    /// `{uuid}`.
    pub uuid: String,
    /// Delivery URL.
    pub url: String,
    /// Event keys.
    pub events: Vec<String>,
    /// Whether deliveries are on.
    pub active: bool,
    /// The secret, if set.
    pub secret: Option<String>,
}

/// Handle to a mock Bitbucket's state; cheap to clone, shared with the running server.
#[derive(Debug, Clone)]
pub struct MockBitbucket {
    state: Arc<Mutex<BitbucketState>>,
    faults: Faults,
    deliveries: DeliveryLog,
    /// API and web base URLs, known once the server is bound.
    urls: Arc<OnceLock<(String, String)>>,
}

impl MockBitbucket {
    /// A mock holding `seed`.
    pub fn new(seed: BitbucketSeed) -> Result<Self, SeedError> {
        Ok(Self {
            state: Arc::new(Mutex::new(BitbucketState::from_seed(seed)?)),
            faults: Faults::default(),
            deliveries: DeliveryLog::default(),
            urls: Arc::new(OnceLock::new()),
        })
    }

    /// Starts a mock on a free loopback port; its `base_url()` ends in `/2.0`.
    pub async fn start(seed: BitbucketSeed) -> Result<MockServer<Self>, MockError> {
        MockServer::start(Self::new(seed)?).await
    }

    /// Revokes a token: an access token, or a refresh token (then
    /// `/site/oauth2/access_token` refuses it with `400 invalid_grant`). Returns whether it
    /// exists.
    pub fn revoke_token(&self, value: &str) -> bool {
        self.lock().revoke(value)
    }

    /// Adds a token to the running mock.
    pub fn add_token(&self, token: TokenSeed) -> Result<(), SeedError> {
        self.lock().insert_token(token)
    }

    /// How long OAuth access tokens issued from now on work, as `expires_in` reports it
    /// (whole seconds; two hours by default). The API refuses a token past it, as an
    /// expired one.
    pub fn set_oauth_token_lifetime(&self, lifetime: Duration) {
        self.lock()
            .set_oauth_token_seconds(crate::token_endpoint::lifetime_seconds(lifetime));
    }

    /// Makes every OAuth access token issued so far (by code exchange or refresh) expire
    /// now: the API answers `401` with Bitbucket's error body. Refresh tokens keep
    /// working.
    pub fn expire_oauth_access_tokens(&self) {
        self.lock().expire_oauth_tokens(Utc::now());
    }

    /// Revokes every access users granted OAuth consumers so far, as each user would in
    /// their account settings: the access tokens and refresh tokens
    /// `/site/oauth2/access_token` issued stop working (the API answers `401`, a refresh
    /// `400 invalid_grant`). Later sign-ins work.
    pub fn revoke_oauth_authorizations(&self) {
        self.lock().revoke_oauth_grants();
    }

    /// How many `grant_type=refresh_token` requests `/site/oauth2/access_token` answered
    /// with a new access token.
    pub fn refresh_grants(&self) -> usize {
        self.lock().refresh_grants()
    }

    /// Adds a repository to the running mock.
    pub fn add_repository(&self, repository: RepositorySeed) -> Result<(), SeedError> {
        self.lock().insert_repository(repository)
    }

    /// The failures to inject into the next API calls.
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// Makes the next `times` API calls fail with `fault`.
    pub fn inject(&self, fault: Fault, times: usize) {
        self.faults.inject(fault, times);
    }

    /// Every delivery fired so far, oldest first.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.deliveries.entries()
    }

    /// The hooks of `workspace/slug` (empty when the repository does not exist).
    pub fn hooks(&self, full_name: &str) -> Vec<HookSnapshot> {
        let state = self.lock();
        let Some((workspace, slug)) = full_name.split_once('/') else {
            return Vec::new();
        };
        state
            .repo(workspace, slug)
            .map(|repo| {
                repo.hooks
                    .iter()
                    .map(|h| HookSnapshot {
                        uuid: h.uuid.clone(),
                        url: h.url.clone(),
                        events: h.events.clone(),
                        active: h.active,
                        secret: h.secret.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A push of one commit to `branch` of `workspace/slug` by `nickname`, delivered as
    /// `repo:push` to every active hook subscribed to it. Blocks while delivering: call it
    /// from a test thread. `None` when the repository or user does not exist or the server
    /// has not started.
    pub fn push(
        &self,
        full_name: &str,
        branch: &str,
        nickname: &str,
        message: &str,
    ) -> Option<Vec<Delivery>> {
        let (api, web) = self.urls.get()?.clone();
        let (repo, user, before, after) = {
            let mut state = self.lock();
            let user = state.user(nickname)?.clone();
            let (workspace, slug) = full_name.split_once('/')?;
            let after = state.new_hash();
            let repo = state.repo_mut(workspace, slug)?;
            let before = match repo.branches.iter_mut().find(|b| b.name == branch) {
                Some(b) => Some(std::mem::replace(&mut b.hash, after.clone())),
                None => {
                    repo.branches.push(Branch {
                        name: branch.to_owned(),
                        hash: after.clone(),
                    });
                    None
                }
            };
            repo.updated_on = Utc::now();
            (repo.clone(), user, before, after)
        };
        let payload = webhooks::push_payload(
            &api,
            &web,
            &repo,
            &user,
            branch,
            before.as_deref(),
            &after,
            message,
        );
        Some(self.fire(&repo, "repo:push", &payload))
    }

    /// A pull request event (`event`: `pullrequest:created`, `…:updated`, `…:fulfilled`,
    /// `…:rejected`) for pull request `id` from `source` into `destination` of
    /// `workspace/slug`. Blocks like [`MockBitbucket::push`].
    pub fn pull_request(
        &self,
        full_name: &str,
        event: &str,
        id: u64,
        source: &str,
        destination: &str,
        nickname: &str,
    ) -> Option<Vec<Delivery>> {
        let (api, web) = self.urls.get()?.clone();
        let (repo, user) = {
            let state = self.lock();
            let (workspace, slug) = full_name.split_once('/')?;
            (
                state.repo(workspace, slug)?.clone(),
                state.user(nickname)?.clone(),
            )
        };
        let hash = |name: &str| {
            repo.branches
                .iter()
                .find(|b| b.name == name)
                .map_or_else(|| "0".repeat(40), |b| b.hash.clone())
        };
        let state = match event {
            "pullrequest:fulfilled" => "MERGED",
            "pullrequest:rejected" => "DECLINED",
            _ => "OPEN",
        };
        let payload = webhooks::pull_request_payload(
            &api,
            &web,
            &repo,
            &user,
            id,
            state,
            (source, &hash(source)),
            (destination, &hash(destination)),
        );
        Some(self.fire(&repo, event, &payload))
    }

    /// Simulates the consumer's user approving a sign-in (as `/site/oauth2/authorize`
    /// does): the code to exchange, or `None` for an unknown consumer or a redirect URI
    /// outside its callback URL.
    pub fn authorize(
        &self,
        key: &str,
        redirect_uri: Option<&str>,
        code_challenge: Option<&str>,
    ) -> Option<String> {
        oauth::new_code(&mut self.lock(), key, redirect_uri, code_challenge)
    }

    /// Sends `event` to every active hook of `repo` subscribed to it (blocking).
    fn fire(&self, repo: &state::Repo, event: &str, payload: &serde_json::Value) -> Vec<Delivery> {
        repo.hooks
            .iter()
            .filter(|h| h.active && h.events.iter().any(|e| e == event))
            .map(|hook| {
                let delivery = webhooks::deliver(hook, event, payload);
                self.deliveries.push(delivery.clone());
                delivery
            })
            .collect()
    }

    fn lock(&self) -> MutexGuard<'_, BitbucketState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl MockProvider for MockBitbucket {
    const NAME: &'static str = "bitbucket";

    fn base_path(&self) -> &str {
        API_PATH
    }

    fn router(&self, base_url: &str) -> Router {
        let web = base_url
            .strip_suffix(API_PATH)
            .unwrap_or(base_url)
            .to_owned();
        let _ = self.urls.set((base_url.to_owned(), web.clone()));
        routes::router(self.clone(), base_url, &web)
    }

    fn web_router(&self, web_url: &str) -> Router {
        routes::web_router(self.clone(), &format!("{web_url}{API_PATH}"), web_url)
            .merge(control::router(self.clone()))
    }

    fn not_found(&self) -> Response {
        responses::error(StatusCode::NOT_FOUND, "Resource not found")
    }
}
