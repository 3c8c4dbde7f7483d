//! Stateful mock Git provider servers for git-access tests and offline demos.
//!
//! Each mock is a real HTTP server on loopback that speaks its provider's documented REST
//! protocol (paths, status codes, headers, error bodies), seeded with users and tokens, so
//! the provider plugins can be exercised through every layer without reaching the internet.
//!
//! - [`server`] owns what every provider shares: binding, serving, shutdown on drop, and
//!   the [`RequestLog`] tests assert on.
//! - [`pagination`], [`faults`], [`deliveries`], [`webhook_sink`] and [`query`] are the
//!   other shared parts: page-numbered lists with `Link` headers, injected throttling and
//!   server errors, webhook deliveries fired at loopback receivers, a receiver that
//!   records them, and query/form decoding; `token_endpoint` holds what the OAuth token
//!   endpoints share (client credentials, token values, access-token lifetimes).
//! - [`github`] is the GitHub mock (`https://api.github.com` shape, or GitHub Enterprise
//!   Server under `/api/v3`), [`gitlab`] the GitLab mock (API under `/api/v4`, as a
//!   self-managed instance) and [`bitbucket`] the Bitbucket Cloud mock (API under `/2.0`);
//!   each module's documentation (and the crate's README) says which of its provider's
//!   behaviours are modelled and which are not. Each implements [`MockProvider`].
//! - [`mock_control`] holds what the mocks' own `/_mock/…` control endpoints share.
//!
//! ```no_run
//! # async fn demo() -> Result<(), mock_providers::MockError> {
//! use mock_providers::github::{GitHubSeed, MockGitHub};
//!
//! let server = MockGitHub::start(GitHubSeed::demo()).await?;
//! println!("GitHub mock at {}", server.base_url());
//! // ... call it ...
//! assert_eq!(server.calls("GET", "/user"), 0);
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

pub mod bitbucket;
pub mod deliveries;
pub mod faults;
pub mod github;
pub mod gitlab;
pub mod mock_control;
pub mod pagination;
pub mod query;
pub mod request_log;
pub mod server;
mod token_endpoint;
pub mod webhook_sink;

pub use deliveries::{Delivery, DeliveryOutcome};
pub use faults::{Fault, Faults};
pub use request_log::{AuthenticatedAs, RecordedRequest, RequestLog};
pub use server::{MockError, MockProvider, MockServer, SeedError};
pub use webhook_sink::{Received, WebhookSink};
