//! Mock of the GitHub REST API (`https://api.github.com`), also mountable under GitHub
//! Enterprise Server's `/api/v3` prefix, with GitHub's OAuth web flow at the server root.
//!
//! # Modelled
//!
//! - Authentication: `Authorization: Bearer <t>` or `token <t>`; unknown, expired and
//!   revoked tokens all get `401 Bad credentials`; anonymous calls reach public data.
//! - Token kinds: classic (`X-OAuth-Scopes`, `X-Accepted-OAuth-Scopes`), OAuth, fine-grained
//!   and App user tokens (permissions and a repository selection,
//!   `X-Accepted-GitHub-Permissions`), App installation tokens (no user: `GET /user` is
//!   refused, `GET /installation/repositories` lists their repositories), and
//!   `GitHub-Authentication-Token-Expiration`. Access rules: see the `access` module.
//! - `GET /user`, `GET /user/repos` (`affiliation`, `visibility`, `type`, `sort`,
//!   `direction`), `GET /installation/repositories`, `GET /repos/{o}/{r}`, its `branches`,
//!   `commits` (`409` when empty) and `pulls` (always empty), and webhooks: list, create
//!   (validation, one hook per URL, `form` content type by default, `ping` delivery), get,
//!   update (`add_events`, `remove_events`, a config without secret removes it), delete,
//!   ping.
//! - `Link` pagination with `per_page` (default 30, at most 100) and `page`.
//! - `X-RateLimit-*` on every response, an hourly quota per account (`rate_limit` in the seed)
//!   answered with GitHub's 403, and injected [`Fault`]s: primary (403, remaining 0) and
//!   secondary (403 + `Retry-After`) rate limits, 429 + `Retry-After`, 5xx.
//! - Webhook deliveries signed with `X-Hub-Signature-256` ([`MockGitHub::push`],
//!   [`MockGitHub::pull_request`], pings), fired only at loopback URLs.
//! - OAuth: `GET /login/oauth/authorize` (auto-approved), `POST /login/oauth/access_token`
//!   with client credentials, single-use 10-minute codes, `redirect_uri` check and PKCE
//!   S256; the issued `gho_` token works on the API at once. Expiring user tokens, per
//!   client ([`AppSeed::expiring_user_tokens`], [`MockGitHub::set_expiring_user_tokens`]):
//!   the answer adds `expires_in` (eight hours, or [`MockGitHub::set_oauth_token_lifetime`]),
//!   a `ghr_` `refresh_token` and `refresh_token_expires_in`, and
//!   `grant_type=refresh_token` gives new tokens, rotating (the used refresh token and its
//!   access token stop working; `bad_refresh_token` with `200` otherwise).
//!   [`MockGitHub::expire_oauth_access_tokens`] ends issued tokens at once,
//!   [`MockGitHub::revoke_oauth_authorizations`] revokes them and their refresh tokens as
//!   their users would; [`MockGitHub::refresh_grants`] counts the refresh grants served.
//! - GitHub Apps ([`AppSeed`], [`InstallationSeed`]): JWT authentication (RS256 with the
//!   app's public key, `iss`/`iat`/`exp` checked, GitHub's 401 messages; see the `app_jwt`
//!   module) on `GET /app`, `GET /app/installations`, `GET|DELETE
//!   /app/installations/{id}`, `PUT|DELETE …/suspended`, `POST …/access_tokens` (one-hour
//!   `ghs_` tokens with the app's permissions on what the installation reaches now,
//!   optionally narrowed; `403` when suspended) and `GET /repos/{o}/{r}/installation`,
//!   `/orgs/{org}/installation`, `/users/{u}/installation`; a JWT works nowhere else and a
//!   token not there. With a user token: `GET /user/installations`, `GET
//!   /user/installations/{id}/repositories`, `PUT|DELETE …/repositories/{repository_id}`.
//!   The install page `GET /apps/{slug}/installations/new` (see the `install_flow` module)
//!   installs at once and redirects to the app's callback URL with `installation_id`,
//!   `setup_action`, `state` and a `code` for an app user token (`ghu_`). The test key pair
//!   is [`TEST_APP_PRIVATE_KEY_PEM`] / [`TEST_APP_PUBLIC_KEY_PEM`].
//! - GitHub's error bodies (`message`, `documentation_url`, `status`), `422 Validation
//!   Failed` with `errors`, `400 Problems parsing JSON`, and GitHub's JSON 404 elsewhere.
//! - For offline demos, control endpoints under `/_mock/` (see the `control` module): fire a push or
//!   a pull request, inject faults, list deliveries.
//!
//! # Not modelled
//!
//! Git itself (no clone over HTTP; commits are ids only), pull requests as objects, the
//! search API, conditional requests (`ETag`, `304`), GraphQL, organizations' own endpoints,
//! SAML SSO enforcement (`X-GitHub-SSO`), token resource owners (a fine-grained token's
//! selection is its only limit), IP allow lists, the webhook deliveries API and
//! redeliveries, the SHA-1 `X-Hub-Signature` header, App webhooks (`installation` events)
//! and manifests, app permission changes awaiting approval, an organization's requests to
//! install an app, the device flow, cursor pagination, and secondary rate limits that
//! trigger by themselves (only injected ones).

mod access;
mod app_jwt;
mod apps;
mod control;
mod hooks;
mod install_flow;
mod installations;
mod oauth;
mod repos;
mod responses;
mod routes;
mod seed;
mod state;
mod user;
mod webhooks;

use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;

use axum::{response::Response, Router};
use serde_json::Value;

pub use seed::{
    Access, AccountType, AppSeed, GitHubSeed, HookSeed, InstallationSeed, OAuthAppSeed, OrgRole,
    RepoRole, RepoVisibility, RepositorySeed, RepositorySelection, TokenKind, TokenSeed, UserSeed,
    TEST_APP_PRIVATE_KEY_PEM, TEST_APP_PUBLIC_KEY_PEM,
};
pub use webhooks::{signature_256, signed_request};

use crate::deliveries::{Delivery, DeliveryLog, DeliveryOutcome};
use crate::faults::{Fault, Faults};
use crate::server::{MockError, MockProvider, MockServer, SeedError};
use state::{GitHubState, Hook, Repo, User};

/// API prefix of GitHub Enterprise Server.
pub const ENTERPRISE_BASE_PATH: &str = "/api/v3";

/// A hook as a test sees it, secret included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookSnapshot {
    /// Hook id.
    pub id: u64,
    /// Delivery URL.
    pub url: String,
    /// Subscribed events.
    pub events: Vec<String>,
    /// Whether deliveries are on.
    pub active: bool,
    /// `json` or `form`.
    pub content_type: String,
    /// The secret, if set.
    pub secret: Option<String>,
}

/// An App installation as a test sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallationSnapshot {
    /// Installation id.
    pub id: u64,
    /// The installed app.
    pub app_id: u64,
    /// Login of the user or organization it is on.
    pub account: String,
    /// `all` or `selected`.
    pub repository_selection: RepositorySelection,
    /// The repositories (`owner/name`, sorted) it reaches now: every one of the account
    /// for `all`.
    pub repositories: Vec<String>,
    /// Whether it is suspended.
    pub suspended: bool,
}

/// Handle to a mock GitHub's state; cheap to clone, shared with the running server.
#[derive(Debug, Clone)]
pub struct MockGitHub {
    state: Arc<Mutex<GitHubState>>,
    base_path: &'static str,
    faults: Faults,
    deliveries: DeliveryLog,
    /// API and web base URLs, known once the server is bound.
    urls: Arc<OnceLock<(String, String)>>,
}

impl MockGitHub {
    /// A github.com-shaped mock (API at the server root) holding `seed`.
    pub fn new(seed: GitHubSeed) -> Result<Self, SeedError> {
        Ok(Self {
            state: Arc::new(Mutex::new(GitHubState::from_seed(seed)?)),
            base_path: "",
            faults: Faults::default(),
            deliveries: DeliveryLog::default(),
            urls: Arc::new(OnceLock::new()),
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

    /// Revokes a token, as its owner would in the GitHub settings: an access token, or a
    /// refresh token (then a refresh with it gets `bad_refresh_token`). Returns whether the
    /// token exists.
    pub fn revoke_token(&self, value: &str) -> bool {
        self.lock().revoke(value)
    }

    /// Adds a token to the running mock.
    pub fn add_token(&self, token: TokenSeed) -> Result<(), SeedError> {
        self.lock().insert_token(token)
    }

    /// Adds a repository to the running mock.
    pub fn add_repository(&self, repository: RepositorySeed) -> Result<(), SeedError> {
        self.lock().insert_repository(repository)
    }

    /// Registers a GitHub App on the running mock.
    pub fn add_app(&self, app: AppSeed) -> Result<(), SeedError> {
        self.lock().insert_app(app)
    }

    /// Turns expiring user tokens on or off for the OAuth app or GitHub App `client_id`,
    /// for tokens issued from now on (GitHub's "Expire user authorization tokens"): the
    /// code exchange then also answers `expires_in`, a `ghr_` refresh token and
    /// `refresh_token_expires_in`, and `grant_type=refresh_token` works. Returns whether
    /// the client exists.
    pub fn set_expiring_user_tokens(&self, client_id: &str, enabled: bool) -> bool {
        self.lock().set_expiring_user_tokens(client_id, enabled)
    }

    /// How long expiring user tokens issued from now on work, as `expires_in` reports it
    /// (whole seconds; eight hours by default). The API refuses a token past it
    /// (`401 Bad credentials`).
    pub fn set_oauth_token_lifetime(&self, lifetime: Duration) {
        self.lock()
            .set_user_token_seconds(crate::token_endpoint::lifetime_seconds(lifetime));
    }

    /// Makes every user token the OAuth token endpoint issued so far (`gho_`, `ghu_`;
    /// by code exchange or refresh) expire now: the API answers `401 Bad credentials`.
    /// Refresh tokens keep working.
    pub fn expire_oauth_access_tokens(&self) {
        self.lock().expire_user_tokens(chrono::Utc::now());
    }

    /// Revokes every authorization users gave OAuth apps and GitHub Apps so far, as each
    /// user would under Applications in their settings: the user tokens and refresh
    /// tokens `/login/oauth/access_token` issued stop working (the API answers
    /// `401 Bad credentials`, a refresh `bad_refresh_token`). Later sign-ins work.
    pub fn revoke_oauth_authorizations(&self) {
        self.lock().revoke_user_grants();
    }

    /// How many `grant_type=refresh_token` requests `/login/oauth/access_token` answered
    /// with new tokens.
    pub fn refresh_grants(&self) -> usize {
        self.lock().refresh_grants()
    }

    /// Installs app `app_id` on `account` (a user or organization), as its owner would
    /// on the install page: on every repository when `repositories` is `None`, else on
    /// those (`owner/name`, all of the account). Returns the new installation's id.
    pub fn install_app(
        &self,
        app_id: u64,
        account: &str,
        repositories: Option<&[&str]>,
    ) -> Result<u64, SeedError> {
        let selected: Option<Vec<String>> =
            repositories.map(|list| list.iter().map(|r| (*r).to_owned()).collect());
        self.lock()
            .install(app_id, account, selected.as_deref())
            .map_err(SeedError)
    }

    /// An installation as it is now (`None` once uninstalled or if it never existed).
    pub fn installation(&self, id: u64) -> Option<InstallationSnapshot> {
        let state = self.lock();
        let installation = state.installation(id)?;
        Some(InstallationSnapshot {
            id,
            app_id: installation.app_id,
            account: installation.account.clone(),
            repository_selection: installation.selection,
            repositories: state.reach(installation),
            suspended: installation.suspended.is_some(),
        })
    }

    /// Suspends an installation, as its account's owner would: it mints no more tokens
    /// and its tokens stop working. Returns whether it exists.
    pub fn suspend_installation(&self, id: u64) -> bool {
        self.lock().set_suspended(id, true)
    }

    /// Lifts a suspension. Returns whether the installation exists.
    pub fn unsuspend_installation(&self, id: u64) -> bool {
        self.lock().set_suspended(id, false)
    }

    /// The private key (PKCS#1 PEM) that signs JWTs app `app_id` accepts: the test key
    /// ([`TEST_APP_PRIVATE_KEY_PEM`]) when the app was registered with its public key;
    /// `None` for an unknown app or one with a key of its own.
    pub fn app_private_key_pem(&self, app_id: u64) -> Option<&'static str> {
        self.lock()
            .app(app_id)
            .filter(|app| app.uses_test_key)
            .map(|_| TEST_APP_PRIVATE_KEY_PEM)
    }

    /// The failures to inject into the next API calls.
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// Makes the next `times` API calls fail with `fault`.
    pub fn inject(&self, fault: Fault, times: usize) {
        self.faults.inject(fault, times);
    }

    /// Every webhook delivery fired so far (pings included), oldest first.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.deliveries.entries()
    }

    /// The hooks of `owner/name` (empty when the repository does not exist).
    pub fn hooks(&self, full_name: &str) -> Vec<HookSnapshot> {
        let state = self.lock();
        let Some((owner, name)) = full_name.split_once('/') else {
            return Vec::new();
        };
        state
            .repo(owner, name)
            .map(|repo| {
                repo.hooks
                    .iter()
                    .map(|h| HookSnapshot {
                        id: h.id,
                        url: h.url.clone(),
                        events: h.events.clone(),
                        active: h.active,
                        content_type: h.content_type.clone(),
                        secret: h.secret.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A push of one new commit to `branch` of `owner/name` (created if absent), delivered
    /// as a `push` event to every active hook subscribed to it. Blocks while delivering:
    /// call it from a test thread, not from async code. `None` when the repository does not
    /// exist or the server has not started.
    pub fn push(&self, full_name: &str, branch: &str, message: &str) -> Option<Vec<Delivery>> {
        let (api, web) = self.urls.get()?.clone();
        let (repo, owner, before, after) = {
            let mut state = self.lock();
            let (o, n) = full_name.split_once('/')?;
            let after = state.new_sha();
            let repo = state.repo_mut(o, n)?;
            let before = match repo.branches.iter_mut().find(|b| b.name == branch) {
                Some(b) => std::mem::replace(&mut b.sha, after.clone()),
                None => {
                    repo.branches.push(state::Branch {
                        name: branch.to_owned(),
                        sha: after.clone(),
                        protected: false,
                    });
                    "0".repeat(40)
                }
            };
            repo.pushed_at = chrono::Utc::now();
            let repo = repo.clone();
            let owner = state.user(&repo.owner)?.clone();
            (repo, owner, before, after)
        };
        let repository = responses::repo_json(&api, &web, &repo, &owner, None);
        let sender = responses::account_json(&api, &web, &owner);
        let payload = webhooks::push_payload(
            &web,
            repository,
            sender,
            branch,
            &before,
            &after,
            &[(after.clone(), message.to_owned())],
        );
        Some(self.fire(&repo, "push", &payload))
    }

    /// A pull request `number` from `head` into `base` of `owner/name`, delivered as a
    /// `pull_request` event with `action` (e.g. `opened`). Blocks like [`MockGitHub::push`].
    pub fn pull_request(
        &self,
        full_name: &str,
        action: &str,
        number: u64,
        head: &str,
        base: &str,
    ) -> Option<Vec<Delivery>> {
        let (api, web) = self.urls.get()?.clone();
        let (repo, owner) = {
            let state = self.lock();
            let (o, n) = full_name.split_once('/')?;
            let repo = state.repo(o, n)?.clone();
            let owner = state.user(&repo.owner)?.clone();
            (repo, owner)
        };
        let sha = |name: &str| {
            repo.branches
                .iter()
                .find(|b| b.name == name)
                .map_or_else(|| "0".repeat(40), |b| b.sha.clone())
        };
        let payload = webhooks::pull_request_payload(
            &web,
            responses::repo_json(&api, &web, &repo, &owner, None),
            responses::account_json(&api, &web, &owner),
            action,
            number,
            &format!("Pull request {number}"),
            (head, &sha(head)),
            (base, &sha(base)),
        );
        Some(self.fire(&repo, "pull_request", &payload))
    }

    /// Fires one signed delivery of `event` with `payload` at `url` (loopback only), as a
    /// hook with this `secret` and JSON content type would: for a receiver whose hook was
    /// set up by hand (e.g. the `ping` that confirms a manually configured webhook).
    /// Blocks like [`MockGitHub::push`].
    pub fn deliver_to(&self, url: &str, secret: &str, event: &str, payload: &Value) -> Delivery {
        let id = crate::deliveries::new_delivery_id();
        let (headers, body) = signed_request(event, &id, 0, 0, false, Some(secret), payload);
        let outcome = crate::deliveries::post(url, &headers, &body);
        let delivery = Delivery {
            id,
            event: event.to_owned(),
            url: url.to_owned(),
            headers,
            body,
            outcome,
        };
        self.deliveries.push(delivery.clone());
        delivery
    }

    /// Simulates a user approving an OAuth sign-in for `client_id` (as
    /// `/login/oauth/authorize` does): returns the code to exchange, or `None` for an
    /// unknown app or user. `login` defaults to the app's approving user.
    pub fn authorize(
        &self,
        client_id: &str,
        login: Option<&str>,
        scopes: &[&str],
        redirect_uri: Option<&str>,
        code_challenge: Option<&str>,
    ) -> Option<String> {
        let scopes: Vec<String> = scopes.iter().map(|s| (*s).to_owned()).collect();
        oauth::new_code(
            &mut self.lock(),
            client_id,
            login,
            &scopes,
            redirect_uri,
            code_challenge,
        )
    }

    pub(crate) fn issue_code(
        &self,
        client_id: &str,
        login: Option<&str>,
        scopes: &[String],
        redirect_uri: Option<&str>,
        code_challenge: Option<&str>,
    ) -> Option<String> {
        oauth::new_code(
            &mut self.lock(),
            client_id,
            login,
            scopes,
            redirect_uri,
            code_challenge,
        )
    }

    /// Sends `event` to every active hook of `repo` subscribed to it (blocking).
    fn fire(&self, repo: &Repo, event: &str, payload: &Value) -> Vec<Delivery> {
        let targets: Vec<Hook> = repo
            .hooks
            .iter()
            .filter(|h| h.active && h.events.iter().any(|e| e == event || e == "*"))
            .cloned()
            .collect();
        targets
            .iter()
            .map(|hook| self.deliver_and_record(repo, hook, event, payload))
            .collect()
    }

    /// Pings `hook` in the background (from a request handler).
    pub(crate) fn ping_later(&self, repo: &Repo, hook: &Hook, owner: User, sender: Option<String>) {
        let Some((api, web)) = self.urls.get().cloned() else {
            return;
        };
        let github = self.clone();
        let (repo, hook) = (repo.clone(), hook.clone());
        let sender_user = sender
            .and_then(|login| self.lock().user(&login).cloned())
            .unwrap_or_else(|| owner.clone());
        tokio::task::spawn_blocking(move || {
            let payload = webhooks::ping_payload(
                responses::hook_json(&api, &repo, &hook),
                responses::repo_json(&api, &web, &repo, &owner, None),
                responses::account_json(&api, &web, &sender_user),
            );
            github.deliver_and_record(&repo, &hook, "ping", &payload);
        });
    }

    fn deliver_and_record(
        &self,
        repo: &Repo,
        hook: &Hook,
        event: &str,
        payload: &Value,
    ) -> Delivery {
        let delivery = webhooks::deliver(hook, repo, event, payload);
        let last = match &delivery.outcome {
            DeliveryOutcome::Delivered { status } => (*status, "active".to_owned()),
            DeliveryOutcome::Failed(_) | DeliveryOutcome::NotAttempted(_) => {
                (502, "failed".to_owned())
            }
        };
        if let Some(stored) = self
            .lock()
            .repo_mut(&repo.owner, &repo.name)
            .and_then(|r| r.hooks.iter_mut().find(|h| h.id == hook.id))
        {
            stored.last_response = Some(last);
        }
        self.deliveries.push(delivery.clone());
        delivery
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
        let web = if self.is_enterprise() {
            // Enterprise Server serves its web UI at the host root.
            base_url
                .strip_suffix(ENTERPRISE_BASE_PATH)
                .unwrap_or(base_url)
                .to_owned()
        } else {
            // Bodies link to github.com, as GitHub's do.
            "https://github.com".to_owned()
        };
        let router = routes::router(self.clone(), base_url, &web);
        let _ = self.urls.set((base_url.to_owned(), web));
        router
    }

    fn web_router(&self, web_url: &str) -> Router {
        routes::web_router(self.clone(), web_url).merge(control::router(self.clone()))
    }

    fn not_found(&self) -> Response {
        responses::not_found()
    }
}
