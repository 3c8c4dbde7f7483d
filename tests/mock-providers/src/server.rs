//! Server scaffolding shared by every mock provider: bind a loopback port, mount the
//! provider's routes under its API prefix, log requests, and stop when dropped.

use std::net::{Ipv4Addr, SocketAddr};

use axum::{middleware, response::Response, Router};
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};

use crate::request_log::{self, RecordedRequest, RequestLog};

/// Why a mock server could not start or stopped badly.
#[derive(Debug, thiserror::Error)]
pub enum MockError {
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Serving failed after start.
    #[error("mock server failed: {0}")]
    Serve(#[source] std::io::Error),
    /// The seed is inconsistent.
    #[error(transparent)]
    Seed(#[from] SeedError),
}

/// A seed that cannot describe a consistent provider state (e.g. a token whose owner is
/// not a seeded user).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid seed: {0}")]
pub struct SeedError(pub String);

/// A provider the scaffolding can serve: its routes and how it answers unknown paths.
pub trait MockProvider: Clone + Send + Sync + 'static {
    /// Short lowercase name used in logs, e.g. `github`.
    const NAME: &'static str;

    /// Path prefix of the API under the server root: empty for `api.github.com`,
    /// `/api/v3` for GitHub Enterprise Server, `/api/v4` for GitLab.
    fn base_path(&self) -> &str;

    /// The provider's routes, relative to [`MockProvider::base_path`]. `base_url` is the
    /// API base URL clients use (for URLs the provider puts in its bodies).
    fn router(&self, base_url: &str) -> Router;

    /// Routes outside the API prefix, at the server root (e.g. GitHub's OAuth pages under
    /// `/login/oauth`); `web_url` is the server's root URL. None by default.
    fn web_router(&self, web_url: &str) -> Router {
        let _ = web_url;
        Router::new()
    }

    /// The provider's answer to a path outside its API.
    fn not_found(&self) -> Response;
}

/// A running mock provider on loopback. Dropping it stops the server.
#[derive(Debug)]
pub struct MockServer<P> {
    provider: P,
    addr: SocketAddr,
    base_url: String,
    log: RequestLog,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl<P: MockProvider> MockServer<P> {
    /// Serves `provider` on `127.0.0.1` at a free port.
    pub async fn start(provider: P) -> Result<Self, MockError> {
        Self::start_on(provider, SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await
    }

    /// Serves `provider` on `addr` (port 0 picks a free one).
    pub async fn start_on(provider: P, addr: SocketAddr) -> Result<Self, MockError> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| MockError::Bind { addr, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| MockError::Bind { addr, source })?;
        let base_url = format!("http://{addr}{}", provider.base_path());
        let log = RequestLog::default();

        let api = provider.router(&base_url);
        let web = provider.web_router(&format!("http://{addr}"));
        let outside = provider.clone();
        let app = match provider.base_path() {
            "" | "/" => api,
            prefix => Router::new().nest(prefix, api),
        }
        .merge(web)
        .fallback(move || {
            let outside = outside.clone();
            async move { outside.not_found() }
        })
        .layer(middleware::from_fn_with_state(
            log.clone(),
            request_log::record,
        ));

        let (shutdown, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    // Either an explicit stop or the handle being dropped ends the server.
                    let _ = stopped.await;
                })
                .await
        });
        tracing::debug!(provider = P::NAME, %base_url, "mock server started");
        Ok(Self {
            provider,
            addr,
            base_url,
            log,
            shutdown: Some(shutdown),
            task: Some(task),
        })
    }

    /// API base URL to configure a client with, e.g. `http://127.0.0.1:41234` or
    /// `http://127.0.0.1:41234/api/v3`; no trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The socket address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The provider's state handle, to inspect or change it while the server runs.
    pub fn provider(&self) -> &P {
        &self.provider
    }

    /// The request log.
    pub fn log(&self) -> &RequestLog {
        &self.log
    }

    /// Every request received so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.log.entries()
    }

    /// How many times `method endpoint` was called, with `endpoint` relative to the API
    /// base (e.g. `/user`, also for an Enterprise mock under `/api/v3`).
    pub fn calls(&self, method: &str, endpoint: &str) -> usize {
        let path = format!(
            "{}{endpoint}",
            self.provider.base_path().trim_end_matches('/')
        );
        self.log.count(method, &path)
    }

    /// Stops accepting requests and waits until the server has finished.
    pub async fn shutdown(mut self) -> Result<(), MockError> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match self.task.take() {
            Some(task) => match task.await {
                Ok(result) => result.map_err(MockError::Serve),
                Err(join) => Err(MockError::Serve(std::io::Error::other(join))),
            },
            None => Ok(()),
        }
    }
}

impl<P> Drop for MockServer<P> {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
