//! Processes under test: the host on a manifest, and the native hello-world baseline, each
//! started as its own process and read for its `listening on http://…` line.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A running server process, killed on drop.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
}

impl Server {
    /// Spawns `command` and waits for its listening line.
    pub async fn spawn(mut command: Command) -> anyhow::Result<Self> {
        command
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        let mut child = command.spawn().context("cannot start the server process")?;
        let stdout = child.stdout.take().context("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let line = tokio::time::timeout(Duration::from_secs(120), lines.next_line())
            .await
            .context("the server did not start within 120 s")??
            .context("the server exited before listening")?;
        let Some(url) = line.strip_prefix("listening on ") else {
            bail!("unexpected first line: {line}");
        };
        Ok(Self {
            child,
            base_url: url.trim_end_matches('/').to_owned(),
        })
    }

    /// `wasmtime serve` on `component` with its defaults (a fresh instance per request),
    /// on a free loopback port; ready once it says where it serves (on stderr).
    pub async fn spawn_wasmtime_serve(wasmtime: &Path, component: &Path) -> anyhow::Result<Self> {
        let mut command = Command::new(wasmtime);
        command
            .arg("serve")
            // wasi:cli too: Rust's standard library imports it.
            .arg("-Scli")
            .arg("--addr")
            .arg("127.0.0.1:0")
            .arg(component)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command
            .spawn()
            .with_context(|| format!("cannot start {}", wasmtime.display()))?;
        let stderr = child.stderr.take().context("no stderr")?;
        let mut lines = BufReader::new(stderr).lines();
        let url = tokio::time::timeout(Duration::from_secs(120), async {
            while let Some(line) = lines.next_line().await? {
                if let Some(url) = line.strip_prefix("Serving HTTP on ") {
                    return Ok(url.trim_end_matches('/').to_owned());
                }
            }
            bail!("`wasmtime serve` exited before serving")
        })
        .await
        .context("`wasmtime serve` did not start within 120 s")??;
        // Keep reading, so that a full pipe never stalls it.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Self {
            child,
            base_url: url,
        })
    }

    /// Kills the process and waits until it is gone (so its files are closed).
    pub async fn stop(mut self) -> anyhow::Result<()> {
        self.child
            .kill()
            .await
            .context("cannot stop the server process")
    }

    /// The process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// Resident set size and its peak, in MiB, from /proc.
    pub fn rss_mib(&self) -> Option<(f64, f64)> {
        let pid = self.child.id()?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
                .map(|kb| kb / 1024.0)
        };
        Some((field("VmRSS:")?, field("VmHWM:")?))
    }
}

/// A `redis-server` on a free loopback port, without persistence, killed on drop.
pub struct RedisServer {
    _child: Child,
    /// `redis://127.0.0.1:PORT`.
    pub url: String,
}

impl RedisServer {
    /// Starts one, or says why not (no `redis-server` on the `PATH`: CI installs it from
    /// Debian).
    pub async fn start() -> Result<Self, String> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free port: {e}"))?
            .port();
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot start redis-server: {e}"))?;
        let started = Instant::now();
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            if started.elapsed() > Duration::from_secs(10) {
                return Err("redis-server did not listen within 10 s".into());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(Self {
            _child: child,
            url: format!("redis://127.0.0.1:{port}"),
        })
    }
}

/// The host serving `manifest` with a given state dir.
pub fn host_command(host_bin: &Path, manifest: &Path, state_dir: &Path) -> Command {
    let mut command = Command::new(host_bin);
    command
        .args(["up", "--listen", "127.0.0.1:0", "--manifest"])
        .arg(manifest)
        .arg("--state-dir")
        .arg(state_dir)
        .env("RUST_LOG", "warn");
    command
}

/// Waits until `url` answers 200 and returns how long that took from `since`.
pub async fn first_ok(url: &str, since: Instant) -> anyhow::Result<Duration> {
    let load = crate::load::Load::get(url.to_owned(), 1, Duration::from_secs(30), 1);
    let stats = crate::load::run(&load).await?;
    anyhow::ensure!(stats.ok == 1, "{url} did not answer 200");
    Ok(since.elapsed())
}
