//! One provider's world for a test: its mock on its own runtime, a temporary state
//! directory, and the host serving the provider's gateway pointed at the mock.

use std::future::Future;
use std::path::Path;

use mock_providers::{MockError, MockProvider, MockServer, WebhookSink};
use tempfile::TempDir;

use crate::{HarnessError, ProviderGateway};

/// A mock provider and the gateway of the plugin under test, pointed at it. Fields drop
/// in order: the host first, then the mock, the state directory and the runtime.
pub struct ProviderEnv<P: MockProvider> {
    gateway: ProviderGateway,
    mock: MockServer<P>,
    state_dir: TempDir,
    runtime: tokio::runtime::Runtime,
}

impl<P: MockProvider> ProviderEnv<P> {
    /// Starts the mock with `start`, then the host serving provider `id` against it.
    pub fn start<F, Fut>(id: &str, start: F) -> Result<Self, HarnessError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<MockServer<P>, MockError>>,
    {
        let io = |context: &str| {
            let context = context.to_owned();
            move |source| HarnessError::Io { context, source }
        };
        // The mock serves from this runtime while the test thread makes blocking calls.
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .map_err(io("cannot start the mock runtime"))?;
        let mock = runtime.block_on(start())?;
        let state_dir = tempfile::Builder::new()
            .prefix(&format!("git-access-e2e-{id}-"))
            .tempdir()
            .map_err(io("cannot create a state directory"))?;
        let gateway = ProviderGateway::start(state_dir.path(), id, mock.base_url())?;
        Ok(Self {
            gateway,
            mock,
            state_dir,
            runtime,
        })
    }

    /// The provider's gateway.
    pub fn gateway(&self) -> &ProviderGateway {
        &self.gateway
    }

    /// The running mock (base URL, request log).
    pub fn mock(&self) -> &MockServer<P> {
        &self.mock
    }

    /// The mock's state handle.
    pub fn provider(&self) -> &P {
        self.mock.provider()
    }

    /// The mock's web root: its API base without the API path (e.g. `/api/v4`).
    pub fn web_url(&self) -> String {
        let api = self.mock.base_url();
        api.strip_suffix(self.mock.provider().base_path())
            .unwrap_or(api)
            .to_owned()
    }

    /// The state directory the host uses.
    pub fn state_dir(&self) -> &Path {
        self.state_dir.path()
    }

    /// Starts a webhook receiver on loopback, served from this environment's runtime.
    pub fn webhook_sink(&self) -> Result<MockServer<WebhookSink>, HarnessError> {
        Ok(self.runtime.block_on(WebhookSink::start())?)
    }
}
