//! Mock of the GitLab REST API (`/api/v4`), shaped like a self-managed instance: the API
//! under `/api/v4`, the web root (OAuth, links in bodies) at the server root.
//!
//! # Modelled
//!
//! - Authentication: `PRIVATE-TOKEN: <t>` or `Authorization: Bearer <t>`; unknown tokens
//!   get `401 {"message":"401 Unauthorized"}`, expired and revoked ones
//!   `401 {"error":"invalid_token","error_description":…}`; anonymous calls see public
//!   projects only.
//! - Token kinds: personal, project and group access tokens (project and group tokens act
//!   as a bot user `project_{id}_bot_…` / `group_{id}_bot_…` that is a member with the
//!   token's role), and OAuth tokens; scopes are enforced (`api` to change, `api` or
//!   `read_api` to read, `read_user` for `/user`) with GitLab's `403 insufficient_scope`
//!   body naming the scopes that would do; `expires_at` dates.
//! - Roles: direct project membership, membership inherited from parent groups, a user's
//!   own namespace (Owner); hooks need Maintainer (`403 Forbidden` below).
//! - `GET /personal_access_tokens/self`, `/user`, `/projects` (`membership`,
//!   `min_access_level`, `search`, `search_namespaces`, `simple`, `order_by`, `sort`),
//!   `/projects/:id` (numeric or URL-encoded path, with `permissions`), its branches
//!   (`search`), `/projects/:id/members/all/:user`, `/groups/:id` and their members, and
//!   project hooks: list, create (JSON or form body, URL check), get, update, delete.
//! - Offset pagination (`page`, `per_page` up to 100) with `X-Page`, `X-Per-Page`,
//!   `X-Next-Page` (empty on the last page), `X-Prev-Page`, `X-Total`, `X-Total-Pages` and
//!   `Link`.
//! - Injected [`Fault`]s: `429 Retry later` with `Retry-After` and `RateLimit-*`
//!   (`RateLimit-Reset` as Unix time), and 5xx with `{"message": "502 Bad Gateway"}`.
//! - Deliveries of `Push Hook`, `Tag Push Hook` and `Merge Request Hook` to loopback hooks,
//!   with the hook's token in `X-Gitlab-Token` ([`MockGitLab::push`],
//!   [`MockGitLab::merge_request`]).
//! - OAuth: `/oauth/authorize` (auto-approved), `/oauth/token` (client credentials by
//!   HTTP Basic or form fields; `grant_type=authorization_code` with `redirect_uri` check,
//!   PKCE S256 and single-use codes; `grant_type=refresh_token` with the registered
//!   `redirect_uri`, rotating: the used refresh token and its access token stop working),
//!   `/oauth/token/info`. Access tokens last two hours unless a test sets another lifetime
//!   ([`MockGitLab::set_oauth_token_lifetime`]) or ends them
//!   ([`MockGitLab::expire_oauth_access_tokens`]);
//!   [`MockGitLab::revoke_oauth_authorizations`] revokes every grant as its user would;
//!   [`MockGitLab::refresh_grants`] counts the refresh grants served.
//! - Control endpoints for offline demos, outside GitLab's API: `/_mock/push`,
//!   `/_mock/merge_request`, `/_mock/faults`, `/_mock/deliveries` (`control.rs`).
//!
//! # Not modelled
//!
//! Git itself, merge requests as objects, keyset pagination, rate limits that trigger by
//! themselves (only injected ones), group hooks and system hooks, the hook signing token,
//! hook auto-disabling (`alert_status` is always `executable`), hook test deliveries,
//! personal access token rotation, `POST /oauth/revoke`, `sudo`, ETags, and GraphQL.

mod control;
mod hooks;
mod oauth;
mod projects;
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
    AccessLevel, GitLabSeed, GroupSeed, HookSeed, OAuthAppSeed, ProjectSeed, TokenKind, TokenSeed,
    UserSeed, Visibility,
};
pub use webhooks::delivery_request;

use crate::deliveries::{Delivery, DeliveryLog};
use crate::faults::{Fault, Faults};
use crate::server::{MockError, MockProvider, MockServer, SeedError};
use state::{Branch, GitLabState};

/// Path of the API under the server root.
pub const API_PATH: &str = "/api/v4";

/// A hook as a test sees it, token included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookSnapshot {
    /// Hook id.
    pub id: u64,
    /// Delivery URL.
    pub url: String,
    /// The secret token, if set.
    pub token: Option<String>,
    /// Push events.
    pub push_events: bool,
    /// Tag push events.
    pub tag_push_events: bool,
    /// Merge request events.
    pub merge_requests_events: bool,
}

/// Handle to a mock GitLab's state; cheap to clone, shared with the running server.
#[derive(Debug, Clone)]
pub struct MockGitLab {
    state: Arc<Mutex<GitLabState>>,
    faults: Faults,
    deliveries: DeliveryLog,
    /// Web base URL, known once the server is bound.
    web: Arc<OnceLock<String>>,
}

impl MockGitLab {
    /// A mock holding `seed`.
    pub fn new(seed: GitLabSeed) -> Result<Self, SeedError> {
        Ok(Self {
            state: Arc::new(Mutex::new(GitLabState::from_seed(seed)?)),
            faults: Faults::default(),
            deliveries: DeliveryLog::default(),
            web: Arc::new(OnceLock::new()),
        })
    }

    /// Starts a mock on a free loopback port; its `base_url()` ends in `/api/v4`.
    pub async fn start(seed: GitLabSeed) -> Result<MockServer<Self>, MockError> {
        MockServer::start(Self::new(seed)?).await
    }

    /// Revokes a token: an access token, or a refresh token (then `/oauth/token` refuses
    /// it with `400 invalid_grant`). Returns whether it exists.
    pub fn revoke_token(&self, value: &str) -> bool {
        self.lock().revoke(value)
    }

    /// Adds a token to the running mock.
    pub fn add_token(&self, token: TokenSeed) -> Result<(), SeedError> {
        self.lock().insert_token(token)
    }

    /// Registers an OAuth application with the running mock (e.g. once the callback URL
    /// is known).
    pub fn add_oauth_app(&self, app: OAuthAppSeed) {
        self.lock().insert_oauth_app(app);
    }

    /// How long OAuth access tokens issued from now on work, as `expires_in` reports it
    /// (whole seconds; two hours by default). The API refuses a token past it, as an
    /// expired one.
    pub fn set_oauth_token_lifetime(&self, lifetime: Duration) {
        self.lock()
            .set_oauth_token_seconds(crate::token_endpoint::lifetime_seconds(lifetime));
    }

    /// Makes every OAuth access token issued so far (by code exchange or refresh) expire
    /// now: the API answers `401 {"error":"invalid_token","error_description":"Token has
    /// expired."}`. Their refresh tokens keep working.
    pub fn expire_oauth_access_tokens(&self) {
        self.lock().expire_oauth_tokens(Utc::now());
    }

    /// Revokes every authorization users gave OAuth applications so far, as each user
    /// would under Applications in their settings: the access tokens and refresh tokens
    /// `/oauth/token` issued stop working (the API answers `401 … "Token has been
    /// revoked."`, a refresh `400 invalid_grant`). Later sign-ins work.
    pub fn revoke_oauth_authorizations(&self) {
        self.lock().revoke_oauth_grants();
    }

    /// How many `grant_type=refresh_token` requests `/oauth/token` answered with new
    /// tokens.
    pub fn refresh_grants(&self) -> usize {
        self.lock().refresh_grants()
    }

    /// Adds a project to the running mock.
    pub fn add_project(&self, project: ProjectSeed) -> Result<(), SeedError> {
        self.lock().insert_project(project)
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

    /// The hooks of the project at `full_path` (empty when it does not exist).
    pub fn hooks(&self, full_path: &str) -> Vec<HookSnapshot> {
        let state = self.lock();
        state
            .project_by_path(full_path)
            .map(|project| {
                project
                    .hooks
                    .iter()
                    .map(|h| HookSnapshot {
                        id: h.id,
                        url: h.url.clone(),
                        token: h.token.clone(),
                        push_events: h.push_events,
                        tag_push_events: h.tag_push_events,
                        merge_requests_events: h.merge_requests_events,
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The bot username of the project or group token `value`, if it is one.
    pub fn bot_of(&self, value: &str) -> Option<String> {
        let state = self.lock();
        let (_, user) = state.authenticate(value, Utc::now()).ok()?;
        user.bot.then_some(user.username)
    }

    /// A push of one commit to `branch` of the project at `full_path` by `username`,
    /// delivered as `Push Hook` to every hook with push events. Blocks while delivering:
    /// call it from a test thread. `None` when the project or user does not exist or the
    /// server has not started.
    pub fn push(
        &self,
        full_path: &str,
        branch: &str,
        username: &str,
        message: &str,
    ) -> Option<Vec<Delivery>> {
        let web = self.web.get()?.clone();
        let (project, user, before, after) = {
            let mut state = self.lock();
            let user = state.user_by_name(username)?.clone();
            let id = state.project_by_path(full_path)?.id;
            let after = state.new_sha();
            let project = state.project_mut(id)?;
            let before = match project.branches.iter_mut().find(|b| b.name == branch) {
                Some(b) => std::mem::replace(&mut b.sha, after.clone()),
                None => {
                    project.branches.push(Branch {
                        name: branch.to_owned(),
                        sha: after.clone(),
                        protected: false,
                    });
                    "0".repeat(40)
                }
            };
            project.last_activity_at = Utc::now();
            (project.clone(), user, before, after)
        };
        let payload = webhooks::push_payload(
            &web,
            &project,
            &user,
            &format!("refs/heads/{branch}"),
            &before,
            &after,
            &[(after.clone(), message.to_owned())],
            Utc::now(),
        );
        let targets: Vec<_> = project.hooks.iter().filter(|h| h.push_events).collect();
        Some(
            targets
                .into_iter()
                .map(|hook| self.record(webhooks::deliver(hook, &web, "Push Hook", &payload)))
                .collect(),
        )
    }

    /// A merge request event (`action`: `open`, `update`, `merge`, `close`, `reopen`) for
    /// merge request `iid` from `source` into `target` of the project at `full_path`,
    /// delivered as `Merge Request Hook`. Blocks like [`MockGitLab::push`].
    pub fn merge_request(
        &self,
        full_path: &str,
        action: &str,
        iid: u64,
        source: &str,
        target: &str,
        username: &str,
    ) -> Option<Vec<Delivery>> {
        let web = self.web.get()?.clone();
        let (project, user) = {
            let state = self.lock();
            (
                state.project_by_path(full_path)?.clone(),
                state.user_by_name(username)?.clone(),
            )
        };
        let sha = project
            .branches
            .iter()
            .find(|b| b.name == source)
            .map_or_else(|| "0".repeat(40), |b| b.sha.clone());
        let payload = webhooks::merge_request_payload(
            &web,
            &project,
            &user,
            action,
            iid,
            (source, &sha),
            target,
            action == "update",
        );
        let targets: Vec<_> = project
            .hooks
            .iter()
            .filter(|h| h.merge_requests_events)
            .collect();
        Some(
            targets
                .into_iter()
                .map(|hook| {
                    self.record(webhooks::deliver(
                        hook,
                        &web,
                        "Merge Request Hook",
                        &payload,
                    ))
                })
                .collect(),
        )
    }

    /// Simulates the application's user approving a sign-in (as `/oauth/authorize`
    /// does): the code to exchange, or `None` for an unknown application or a redirect
    /// URI that is not the registered one.
    pub fn authorize(
        &self,
        client_id: &str,
        scopes: &[&str],
        redirect_uri: &str,
        code_challenge: Option<&str>,
    ) -> Option<String> {
        let scopes: Vec<String> = scopes.iter().map(|s| (*s).to_owned()).collect();
        oauth::new_code(
            &mut self.lock(),
            client_id,
            &scopes,
            redirect_uri,
            code_challenge,
        )
    }

    fn record(&self, delivery: Delivery) -> Delivery {
        self.deliveries.push(delivery.clone());
        delivery
    }

    fn lock(&self) -> MutexGuard<'_, GitLabState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl MockProvider for MockGitLab {
    const NAME: &'static str = "gitlab";

    fn base_path(&self) -> &str {
        API_PATH
    }

    fn router(&self, base_url: &str) -> Router {
        let web = base_url
            .strip_suffix(API_PATH)
            .unwrap_or(base_url)
            .to_owned();
        let _ = self.web.set(web.clone());
        routes::router(self.clone(), base_url, &web)
    }

    fn web_router(&self, web_url: &str) -> Router {
        routes::web_router(self.clone(), &format!("{web_url}{API_PATH}"), web_url)
            .merge(control::router(self.clone()))
    }

    fn not_found(&self) -> Response {
        responses::message(StatusCode::NOT_FOUND, "404 Not Found")
    }
}
