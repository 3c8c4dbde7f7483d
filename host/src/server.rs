//! The HTTP listener: accepts connections, hands requests to the runtime, and shuts down
//! gracefully on SIGINT or SIGTERM.
//!
//! Thread per core: each worker thread runs its own single-threaded async runtime, and
//! every accepted connection is pinned to one worker (round robin). A request, the
//! component instance serving it and its service-chained calls all run on that thread, so
//! a wake raised inside a guest never has to wake another thread (with a work-stealing
//! runtime, every such wake could cost a futex call and a context switch).

use std::io::Write as _;
use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::time::Duration;

use anyhow::Context as _;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::runtime::Handle;

use crate::runtime::{Options, Runtime};

/// How long in-flight requests may run after a shutdown signal.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Loads the app and serves it with `threads` worker threads until a shutdown signal
/// arrives.
pub fn up(options: Options, listen: SocketAddr, threads: NonZeroUsize) -> anyhow::Result<()> {
    let workers = (0..threads.get())
        .map(Worker::start)
        .collect::<anyhow::Result<Vec<_>>>()?;
    let acceptor = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let served = acceptor.block_on(serve(options, listen, &workers));
    for worker in workers {
        worker.stop();
    }
    served
}

/// A thread running a single-threaded async runtime until it is stopped.
struct Worker {
    handle: Handle,
    stop: tokio::sync::oneshot::Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

impl Worker {
    fn start(n: usize) -> anyhow::Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(format!("worker-{n}"))
            .spawn(move || {
                runtime.block_on(async {
                    let _ = stopped.await;
                });
            })
            .context("cannot start a worker thread")?;
        Ok(Self {
            handle,
            stop,
            thread,
        })
    }

    /// Ends the runtime (dropping what still runs on it) and waits for the thread.
    fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.thread.join();
    }
}

async fn serve(options: Options, listen: SocketAddr, workers: &[Worker]) -> anyhow::Result<()> {
    let runtime = crate::allocator::purging_at_once(|| Runtime::load(&options))?;
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, manifest = %options.manifest.display(), "serving");
    // The one line on stdout: scripts and tests wait for it.
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "listening on http://{addr}")?;
    stdout.flush()?;
    drop(stdout);

    let graceful = GracefulShutdown::new();
    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    let mut next_worker = (0..workers.len()).cycle();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, client) = match accepted {
                    Ok(pair) => pair,
                    Err(err) => {
                        tracing::warn!("accept failed: {err}");
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                // The worker registers the socket with its own reactor, so its readiness
                // events wake tasks on that thread only.
                let stream = match stream.into_std() {
                    Ok(stream) => stream,
                    Err(err) => {
                        tracing::warn!(%client, "cannot hand the connection over: {err}");
                        continue;
                    }
                };
                let runtime = runtime.clone();
                let watcher = graceful.watcher();
                let worker = &workers[next_worker.next().unwrap_or_default()];
                worker.handle.spawn(async move {
                    let stream = match tokio::net::TcpStream::from_std(stream) {
                        Ok(stream) => stream,
                        Err(err) => {
                            tracing::warn!(%client, "cannot register the connection: {err}");
                            return;
                        }
                    };
                    let service = service_fn(move |request| {
                        let runtime = runtime.clone();
                        async move { Ok::<_, std::convert::Infallible>(runtime.handle(request, client).await) }
                    });
                    let connection = http1::Builder::new()
                        .timer(hyper_util::rt::TokioTimer::new())
                        .header_read_timeout(Duration::from_secs(30))
                        .serve_connection(TokioIo::new(stream), service);
                    if let Err(err) = watcher.watch(connection).await {
                        tracing::debug!(%client, "connection ended: {err}");
                    }
                });
            }
            () = &mut shutdown => {
                tracing::info!("shutting down");
                break;
            }
        }
    }
    drop(listener);
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("in-flight requests did not finish within {DRAIN_TIMEOUT:?}");
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(err) => {
                    tracing::warn!("cannot watch SIGTERM: {err}");
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
