//! The `git-access-host` process under test: start it, wait until it is ready, talk to it,
//! stop it.

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{mpsc, Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::Value;

use crate::{artifacts, http_client, HarnessError, Reply};

/// How long the host may take to print `listening on` (it compiles components on a cold
/// cache; tests run in parallel on two cores).
const START_TIMEOUT: Duration = Duration::from_secs(180);
/// How long the host may take to exit after SIGTERM.
const STOP_TIMEOUT: Duration = Duration::from_secs(20);
/// Most of the host's stderr kept for failure messages (the tail is kept).
const STDERR_LIMIT: usize = 256 * 1024;

/// How to run the host.
#[derive(Debug, Clone)]
pub struct HostConfig {
    /// The `git-access-host` binary.
    pub bin: PathBuf,
    /// The Spin manifest.
    pub manifest: PathBuf,
    /// `--state-dir` (key-value database, component cache).
    pub state_dir: PathBuf,
    /// Spin variables, by manifest name (e.g. `github_api_url`), passed as
    /// `SPIN_VARIABLE_<NAME>` environment variables.
    pub variables: Vec<(String, String)>,
    /// Extra arguments after `up …` (e.g. `--request-timeout-secs 1`).
    pub args: Vec<String>,
    /// Longest wait for readiness.
    pub start_timeout: Duration,
}

impl HostConfig {
    /// The built host and manifest (see [`crate::host_bin`], [`crate::manifest`]) with
    /// state in `state_dir` and no variables.
    pub fn new(state_dir: impl Into<PathBuf>) -> Self {
        Self {
            bin: artifacts::host_bin(),
            manifest: artifacts::manifest(),
            state_dir: state_dir.into(),
            variables: Vec::new(),
            args: Vec::new(),
            start_timeout: START_TIMEOUT,
        }
    }

    /// Points the GitHub provider at `api_url` (a mock, or a closed port): its API base and
    /// its outbound allow-list (`github_allowed_host`, `github_web_host`: the origin).
    pub fn github_at(self, api_url: &str) -> Self {
        let origin = crate::origin_of(api_url);
        self.provider_at("github", api_url)
            .variable("github_web_host", &origin)
    }

    /// Points provider `id` (`gitlab`, `bitbucket`, …) at `api_url`: its API base
    /// (`<id>_api_url`) and its outbound allow-list (`<id>_allowed_host`: the origin).
    pub fn provider_at(self, id: &str, api_url: &str) -> Self {
        self.variable(&format!("{id}_api_url"), api_url)
            .variable(&format!("{id}_allowed_host"), &crate::origin_of(api_url))
    }

    /// Sets a Spin variable (replacing an earlier value of the same name).
    pub fn variable(mut self, name: &str, value: &str) -> Self {
        self.variables
            .retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.variables.push((name.to_owned(), value.to_owned()));
        self
    }
}

/// A running host. Dropping it kills the process.
pub struct Host {
    config: HostConfig,
    child: Option<Child>,
    base_url: String,
    stderr: Arc<Mutex<String>>,
    stderr_reader: Option<JoinHandle<()>>,
    agent: ureq::Agent,
}

impl Host {
    /// Starts the host on `127.0.0.1:0` and waits for its `listening on http://…` line.
    pub fn start(config: HostConfig) -> Result<Self, HarnessError> {
        artifacts::check_built(&config.bin, &config.manifest)?;
        std::fs::create_dir_all(&config.state_dir).map_err(|source| HarnessError::Io {
            context: format!("cannot create {}", config.state_dir.display()),
            source,
        })?;

        let mut command = Command::new(&config.bin);
        command
            .arg("up")
            .arg("--manifest")
            .arg(&config.manifest)
            .args(["--listen", "127.0.0.1:0"])
            .arg("--state-dir")
            .arg(&config.state_dir)
            .args(&config.args)
            // Nothing the host writes may land in the workspace.
            .current_dir(&config.state_dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // Only the variables the test chose: a developer's own settings must not leak in.
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("SPIN_VARIABLE_") {
                command.env_remove(name);
            }
        }
        for (name, value) in &config.variables {
            command.env(format!("SPIN_VARIABLE_{}", name.to_uppercase()), value);
        }
        let mut child = command.spawn().map_err(|source| HarnessError::Spawn {
            bin: config.bin.display().to_string(),
            source,
        })?;

        let stderr = Arc::new(Mutex::new(String::new()));
        let stderr_reader = child.stderr.take().map(|pipe| {
            let sink = Arc::clone(&stderr);
            std::thread::spawn(move || collect_stderr(pipe, &sink))
        });
        let (ready_tx, ready_rx) = mpsc::channel();
        if let Some(stdout) = child.stdout.take() {
            std::thread::spawn(move || watch_stdout(stdout, ready_tx));
        }

        let mut host = Self {
            config,
            child: Some(child),
            base_url: String::new(),
            stderr,
            stderr_reader,
            agent: http_client::agent(),
        };
        match ready_rx.recv_timeout(host.config.start_timeout) {
            Ok(url) => {
                host.base_url = url.trim_end_matches('/').to_owned();
                Ok(host)
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                host.kill();
                Err(HarnessError::StartTimeout {
                    seconds: host.config.start_timeout.as_secs(),
                    stderr: host.stderr(),
                })
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                // stdout closed without the line: the host is exiting.
                let status = host.wait_exit().map_or_else(|e| e, |s| s.to_string());
                Err(HarnessError::ExitedEarly {
                    status,
                    stderr: host.stderr(),
                })
            }
        }
    }

    /// Base URL, e.g. `http://127.0.0.1:41234`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Absolute URL of `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// The configuration it was started with.
    pub fn config(&self) -> &HostConfig {
        &self.config
    }

    /// What the host has written to stderr so far (its logs).
    pub fn stderr(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// `GET path`.
    pub fn get(&self, path: &str) -> Result<Reply, HarnessError> {
        self.request("GET", path, None)
    }

    /// `POST path` with a JSON body.
    pub fn post_json(&self, path: &str, body: &Value) -> Result<Reply, HarnessError> {
        self.request("POST", path, Some(body))
    }

    /// Any request; `Err` only when no HTTP response came back.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Reply, HarnessError> {
        let url = self.url(path);
        http_client::send(&self.agent, method, &url, body).map_err(|reason| HarnessError::Http {
            method: method.to_owned(),
            url,
            reason,
            stderr: self.stderr(),
        })
    }

    /// Any request with these headers and raw body bytes (a signed webhook delivery, a
    /// malformed body); `Err` only when no HTTP response came back.
    pub fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(String, String)],
        body: Option<&[u8]>,
    ) -> Result<Reply, HarnessError> {
        let url = self.url(path);
        http_client::send_raw(&self.agent, method, &url, headers, body).map_err(|reason| {
            HarnessError::Http {
                method: method.to_owned(),
                url,
                reason,
                stderr: self.stderr(),
            }
        })
    }

    /// Stops the host with SIGTERM, as an operator would, and returns its exit status.
    pub fn stop(mut self) -> Result<ExitStatus, HarnessError> {
        self.terminate();
        self.wait_exit().map_err(HarnessError::Stop)
    }

    /// Stops the host and starts it again with the same configuration (same state dir).
    pub fn restart(self) -> Result<Self, HarnessError> {
        let config = self.config.clone();
        self.stop()?;
        Self::start(config)
    }

    #[cfg(unix)]
    fn terminate(&mut self) {
        if let Some(child) = &self.child {
            if let Ok(pid) = libc::pid_t::try_from(child.id()) {
                // SAFETY: plain syscall on the pid of a child we have not reaped yet, so
                // it cannot name another process.
                unsafe {
                    libc::kill(pid, libc::SIGTERM);
                }
            }
        }
    }

    #[cfg(not(unix))]
    fn terminate(&mut self) {
        self.kill();
    }

    /// Waits up to [`STOP_TIMEOUT`] for the process to exit (killing it after that), then
    /// collects the rest of its stderr.
    fn wait_exit(&mut self) -> Result<ExitStatus, String> {
        let Some(mut child) = self.child.take() else {
            return Err("the host was already stopped".into());
        };
        let pid = child.id();
        let (tx, rx) = mpsc::channel();
        let waiter = std::thread::spawn(move || {
            let _ = tx.send(child.wait());
            child
        });
        let outcome = match rx.recv_timeout(STOP_TIMEOUT) {
            Ok(Ok(status)) => Ok(status),
            Ok(Err(e)) => Err(format!("waiting for the host: {e}")),
            Err(_) => {
                kill_pid(pid);
                let _ = rx.recv();
                Err(format!(
                    "the host did not exit within {}s and was killed",
                    STOP_TIMEOUT.as_secs()
                ))
            }
        };
        let _ = waiter.join();
        if let Some(reader) = self.stderr_reader.take() {
            let _ = reader.join();
        }
        outcome
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if let Some(reader) = self.stderr_reader.take() {
            let _ = reader.join();
        }
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        self.kill();
    }
}

#[cfg(unix)]
fn kill_pid(pid: u32) {
    if let Ok(pid) = libc::pid_t::try_from(pid) {
        // SAFETY: the child is being waited on by our own thread and not yet reaped.
        unsafe {
            libc::kill(pid, libc::SIGKILL);
        }
    }
}

#[cfg(not(unix))]
fn kill_pid(_pid: u32) {}

/// Reads stdout until the `listening on <url>` line, hands the URL over, then drains the
/// rest so the host never blocks on a full pipe.
fn watch_stdout(stdout: impl Read, ready: mpsc::Sender<String>) {
    let mut ready = Some(ready);
    for line in BufReader::new(stdout).lines() {
        let Ok(line) = line else { break };
        if let Some(url) = line.trim().strip_prefix("listening on ") {
            if let Some(tx) = ready.take() {
                let _ = tx.send(url.trim().to_owned());
            }
        }
    }
}

/// Appends the host's stderr to `sink`, keeping at most [`STDERR_LIMIT`] bytes (the tail).
fn collect_stderr(mut pipe: impl Read, sink: &Mutex<String>) {
    let mut buffer = [0u8; 8192];
    loop {
        match pipe.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let mut text = sink.lock().unwrap_or_else(PoisonError::into_inner);
                text.push_str(&String::from_utf8_lossy(&buffer[..n]));
                if text.len() > STDERR_LIMIT {
                    let mut cut = text.len() - STDERR_LIMIT;
                    while !text.is_char_boundary(cut) {
                        cut += 1;
                    }
                    text.drain(..cut);
                }
            }
        }
    }
}
