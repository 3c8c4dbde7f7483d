//! Harness of git-access's end-to-end tests: the real `git-access-host` process serving
//! the real `spin.toml` and components, talking to mock providers on loopback.
//!
//! ```no_run
//! use e2e_tests::{github_seed, TestEnv};
//!
//! # fn main() -> Result<(), e2e_tests::HarnessError> {
//! let env = TestEnv::start(github_seed())?; // mock GitHub + fresh state dir
//! let host = env.host()?; // host on 127.0.0.1:0, GitHub provider pointed at the mock
//! let reply = host.get("/healthz")?;
//! assert_eq!(reply.status, 200);
//! # Ok(()) }
//! ```
//!
//! The host binary and components come from `cargo xtask test`, which exports
//! `GIT_ACCESS_HOST_BIN`, `GIT_ACCESS_MANIFEST` and `GIT_ACCESS_COMPONENTS_DIR`; without
//! them the defaults under the workspace's `target/` are used. When they are missing the
//! harness fails and says to run `cargo xtask test`.
#![deny(missing_docs)]

mod api_client;
mod artifacts;
pub mod browser;
pub mod conformance;
mod host_process;
mod http_client;
mod provider_gateway;
mod seeds;
pub mod sign_in_setup;
mod test_env;

pub use api_client::{application_request, ApiClient};
pub use artifacts::{components_dir, host_bin, manifest, workspace_root};
pub use host_process::{Host, HostConfig};
pub use http_client::Reply;
pub use provider_gateway::{error_type, gateway_manifest, origin_of, ProviderGateway};
pub use seeds::{github_seed, tokens, DEMO_LOGIN};
pub use test_env::{closed_port_url, TestEnv};

/// Why the harness could not do what a test asked.
#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    /// The host binary or a component has not been built.
    #[error(
        "{0}\nrun `cargo xtask test`: it builds the components and the host, then runs these tests"
    )]
    NotBuilt(String),
    /// The manifest could not be read.
    #[error("cannot read the manifest {path}: {reason}")]
    Manifest {
        /// The manifest path.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// The host process could not be started.
    #[error("cannot start {bin}: {source}")]
    Spawn {
        /// The binary.
        bin: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The host did not print `listening on http://…` in time.
    #[error("the host did not report `listening on` within {seconds}s; its stderr:\n{stderr}")]
    StartTimeout {
        /// How long the harness waited.
        seconds: u64,
        /// What the host wrote to stderr.
        stderr: String,
    },
    /// The host exited (or closed stdout) before it was ready.
    #[error("the host exited before it was ready ({status}); its stderr:\n{stderr}")]
    ExitedEarly {
        /// Exit status, as text.
        status: String,
        /// What the host wrote to stderr.
        stderr: String,
    },
    /// Stopping the host failed or took too long.
    #[error("cannot stop the host: {0}")]
    Stop(String),
    /// An HTTP exchange with the host failed below HTTP (connection, timeout).
    #[error("{method} {url} failed: {reason}; host stderr:\n{stderr}")]
    Http {
        /// Method.
        method: String,
        /// URL.
        url: String,
        /// What went wrong.
        reason: String,
        /// What the host wrote to stderr so far.
        stderr: String,
    },
    /// A response had another status than the test expected.
    #[error("expected HTTP {expected}, got {status}: {body}")]
    Status {
        /// The status the test expected.
        expected: u16,
        /// The status that came back.
        status: u16,
        /// The body.
        body: String,
    },
    /// A response body was not the JSON the test expected.
    #[error("response is not JSON ({reason}): {body}")]
    NotJson {
        /// Parser message.
        reason: String,
        /// The body.
        body: String,
    },
    /// A mock provider failed.
    #[error(transparent)]
    Mock(#[from] mock_providers::MockError),
    /// Local I/O (temporary directories, runtime).
    #[error("{context}: {source}")]
    Io {
        /// What the harness was doing.
        context: String,
        /// The OS error.
        source: std::io::Error,
    },
}
