//! One test's world: mock providers on their own runtime and a fresh state directory.
//! GitHub always runs; GitLab and Bitbucket when a test adds them.

use std::net::{Ipv4Addr, TcpListener};
use std::path::Path;

use mock_providers::{
    bitbucket::{BitbucketSeed, MockBitbucket},
    github::{GitHubSeed, MockGitHub},
    gitlab::{GitLabSeed, MockGitLab},
    MockError, MockServer, WebhookSink,
};
use tempfile::TempDir;

use crate::{HarnessError, Host, HostConfig, ProviderGateway};

/// Mock GitHub (and GitLab, Bitbucket when added) plus a temporary `--state-dir`, all
/// removed on drop. Drop hosts started from it before the environment itself.
pub struct TestEnv {
    // Fields drop in order: the mocks first, then the state dir, then the runtime.
    github: MockServer<MockGitHub>,
    gitlab: Option<MockServer<MockGitLab>>,
    bitbucket: Option<MockServer<MockBitbucket>>,
    state_dir: TempDir,
    runtime: tokio::runtime::Runtime,
}

impl TestEnv {
    /// Starts a mock GitHub (github.com shape) holding `seed` on a free loopback port.
    pub fn start(seed: GitHubSeed) -> Result<Self, HarnessError> {
        Self::start_with(|| MockGitHub::start(seed))
    }

    /// Starts a mock GitHub Enterprise Server (API under `/api/v3`) holding `seed`.
    pub fn start_enterprise(seed: GitHubSeed) -> Result<Self, HarnessError> {
        Self::start_with(|| MockGitHub::start_enterprise(seed))
    }

    fn start_with<F>(start_github: impl FnOnce() -> F) -> Result<Self, HarnessError>
    where
        F: std::future::Future<Output = Result<MockServer<MockGitHub>, MockError>>,
    {
        let io = |context: &str| {
            let context = context.to_owned();
            move |source| HarnessError::Io { context, source }
        };
        // The mocks serve from this runtime while the test thread makes blocking calls.
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .map_err(io("cannot start the mock runtime"))?;
        let github = runtime.block_on(start_github())?;
        let state_dir = tempfile::Builder::new()
            .prefix("git-access-e2e-")
            .tempdir()
            .map_err(io("cannot create a state directory"))?;
        Ok(Self {
            github,
            gitlab: None,
            bitbucket: None,
            state_dir,
            runtime,
        })
    }

    /// Adds a mock GitLab (API under `/api/v4`) holding `seed`; hosts started from
    /// [`TestEnv::host_config`] reach it as their GitLab.
    pub fn with_gitlab(mut self, seed: GitLabSeed) -> Result<Self, HarnessError> {
        self.gitlab = Some(self.runtime.block_on(MockGitLab::start(seed))?);
        Ok(self)
    }

    /// Adds a mock Bitbucket Cloud (API under `/2.0`) holding `seed`; hosts started from
    /// [`TestEnv::host_config`] reach it as their Bitbucket.
    pub fn with_bitbucket(mut self, seed: BitbucketSeed) -> Result<Self, HarnessError> {
        self.bitbucket = Some(self.runtime.block_on(MockBitbucket::start(seed))?);
        Ok(self)
    }

    /// The mock GitHub (base URL, request log, state).
    pub fn github(&self) -> &MockServer<MockGitHub> {
        &self.github
    }

    /// The mock GitLab, if [`TestEnv::with_gitlab`] added one.
    pub fn gitlab(&self) -> Option<&MockServer<MockGitLab>> {
        self.gitlab.as_ref()
    }

    /// The mock Bitbucket, if [`TestEnv::with_bitbucket`] added one.
    pub fn bitbucket(&self) -> Option<&MockServer<MockBitbucket>> {
        self.bitbucket.as_ref()
    }

    /// The state directory hosts of this environment share.
    pub fn state_dir(&self) -> &Path {
        self.state_dir.path()
    }

    /// Host configuration for this environment: its state dir, and the GitHub provider
    /// pointed at the mock (`github_api_url`), as are GitLab and Bitbucket when added.
    pub fn host_config(&self) -> HostConfig {
        let mut config = HostConfig::new(self.state_dir.path()).github_at(self.github.base_url());
        if let Some(gitlab) = &self.gitlab {
            config = config.provider_at("gitlab", gitlab.base_url());
        }
        if let Some(bitbucket) = &self.bitbucket {
            config = config.provider_at("bitbucket", bitbucket.base_url());
        }
        config
    }

    /// Starts the host with [`TestEnv::host_config`].
    pub fn host(&self) -> Result<Host, HarnessError> {
        Host::start(self.host_config())
    }

    /// Starts the host on the gateway manifest, serving the GitHub provider component on a
    /// public route, pointed at the mock (see [`ProviderGateway`]).
    pub fn github_gateway(&self) -> Result<ProviderGateway, HarnessError> {
        ProviderGateway::start(self.state_dir.path(), "github", self.github.base_url())
    }

    /// Starts a webhook receiver on loopback, served from this environment's runtime.
    pub fn webhook_sink(&self) -> Result<MockServer<WebhookSink>, HarnessError> {
        Ok(self.runtime.block_on(WebhookSink::start())?)
    }
}

/// A loopback URL where nothing listens (a port just bound and released), to play a
/// provider that is down.
pub fn closed_port_url() -> Result<String, HarnessError> {
    let listener =
        TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(|source| HarnessError::Io {
            context: "cannot reserve a loopback port".into(),
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| HarnessError::Io {
        context: "cannot read the reserved port".into(),
        source,
    })?;
    drop(listener);
    Ok(format!("http://{addr}"))
}
