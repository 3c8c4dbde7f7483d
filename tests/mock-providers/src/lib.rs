//! Stateful mock Git provider servers for git-access tests and offline demos.
//!
//! Each mock is a real HTTP server on loopback that speaks its provider's documented REST
//! protocol (paths, status codes, headers, error bodies), seeded with users and tokens, so
//! the GitHub plugin can be exercised through every layer without reaching the internet.
//!
//! - [`server`] owns what every provider shares: binding, serving, shutdown on drop, and
//!   the [`RequestLog`] tests assert on.
//! - [`github`] is the GitHub mock (`https://api.github.com` shape, or GitHub Enterprise
//!   Server under `/api/v3`).
//!
//! GitLab and Bitbucket mocks slot in as sibling modules implementing [`MockProvider`].
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

pub mod github;
pub mod request_log;
pub mod server;

pub use request_log::{AuthenticatedAs, RecordedRequest, RequestLog};
pub use server::{MockError, MockProvider, MockServer, SeedError};
