//! The real application under load: the host serving the project's `spin.toml` (the API and
//! the provider components) against a mock GitHub on loopback, and what the API figures
//! set up through the API itself: an organization, its Git tokens (each validated at the
//! mock) and an application on one of them, whose webhook the mock installs.

use std::path::{Path, PathBuf};

use anyhow::Context;
use hyper::Method;
use mock_providers::github::{GitHubSeed, MockGitHub, RepositorySeed, TokenSeed, UserSeed};
use serde_json::json;

use crate::api_client::call;
use crate::processes::{host_command, Server};

/// The encryption key (base64 of 32 bytes) of benchmark runs only.
const ENCRYPTION_KEY: &str = "YmVuY2gta2V5LTAxMjM0NTY3ODlhYmNkZWYwMTIzNDU=";
/// The operator's bootstrap token in benchmark runs.
const BOOTSTRAP: &str = "bench-bootstrap-0123456789abcdef";
/// The GitHub account every seeded token acts as.
const LOGIN: &str = "octocat";
/// The repository of the application.
pub const REPOSITORY: &str = "octocat/hello";

/// A classic PAT value of the mock GitHub (`ghp_` + 36 characters).
fn token_value(n: usize) -> String {
    format!("ghp_bench{n:031}")
}

/// One user with `tokens` classic tokens (`repo`, `admin:repo_hook`) and a private
/// repository [`REPOSITORY`].
pub fn github_seed(tokens: usize) -> GitHubSeed {
    GitHubSeed {
        users: vec![UserSeed {
            id: Some(583231),
            name: Some("The Octocat".to_owned()),
            ..UserSeed::user(LOGIN)
        }],
        tokens: (0..tokens)
            .map(|n| TokenSeed::classic(&token_value(n), LOGIN, &["repo", "admin:repo_hook"]))
            .collect(),
        repositories: vec![RepositorySeed::private(LOGIN, "hello").with_branches(&["main"])],
        ..GitHubSeed::default()
    }
}

/// How to start the host on the real manifest, pointed at the mock GitHub.
#[derive(Clone)]
pub struct AppHost {
    bin: PathBuf,
    manifest: PathBuf,
    state_dir: PathBuf,
    github_url: String,
}

impl AppHost {
    /// The host `bin` on `manifest` with state in `state_dir`, GitHub at `github_url`.
    pub fn new(bin: &Path, manifest: &Path, state_dir: &Path, github_url: &str) -> Self {
        Self {
            bin: bin.to_owned(),
            manifest: manifest.to_owned(),
            state_dir: state_dir.to_owned(),
            github_url: github_url.trim_end_matches('/').to_owned(),
        }
    }

    /// The key-value database the API's state lives in.
    pub fn database(&self) -> PathBuf {
        self.state_dir.join("sqlite_key_value.db")
    }

    /// Folds the write-ahead log the last host left into the database file and waits for
    /// the file to reach the disk (the host must be stopped). A host started on a store
    /// with a large WAL would otherwise copy it into the database in the background, and
    /// the kernel write it back, while the next figure is measured.
    pub fn settle_store(&self) -> anyhow::Result<()> {
        let database = self.database();
        let conn = rusqlite::Connection::open(&database)
            .with_context(|| format!("open {}", database.display()))?;
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        drop(conn);
        std::fs::File::open(&database)?.sync_all()?;
        Ok(())
    }

    /// The same app on a copy of this one's key-value database in `state_dir` (the host
    /// must be stopped).
    pub fn copy_to(&self, state_dir: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(state_dir)?;
        for entry in std::fs::read_dir(&self.state_dir)? {
            let entry = entry?;
            if entry
                .file_name()
                .to_string_lossy()
                .starts_with("sqlite_key_value.db")
            {
                std::fs::copy(entry.path(), state_dir.join(entry.file_name()))?;
            }
        }
        Ok(Self {
            state_dir: state_dir.to_owned(),
            ..self.clone()
        })
    }

    /// Starts the host with only the variables set here (none of the caller's own).
    pub async fn start(&self) -> anyhow::Result<Server> {
        let mut command = host_command(&self.bin, &self.manifest, &self.state_dir);
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("SPIN_VARIABLE_") {
                command.env_remove(name);
            }
        }
        for (name, value) in [
            ("GITHUB_API_URL", self.github_url.as_str()),
            ("GITHUB_ALLOWED_HOST", self.github_url.as_str()),
            ("GITHUB_WEB_HOST", self.github_url.as_str()),
            ("ENCRYPTION_KEY", ENCRYPTION_KEY),
            ("BOOTSTRAP_TOKEN", BOOTSTRAP),
        ] {
            command.env(format!("SPIN_VARIABLE_{name}"), value);
        }
        Server::spawn(command).await
    }
}

/// What the API figures work on.
pub struct Organization {
    /// Organization id.
    pub id: String,
    /// The owner's API key.
    pub key: String,
    /// Its Git tokens, in creation order.
    pub token_ids: Vec<String>,
    /// The application on the first token.
    pub application_id: String,
    /// The application's webhook secret, as the mock GitHub received it.
    pub webhook_secret: String,
    /// The hook's id at the mock.
    pub hook_id: u64,
}

/// Creates an organization with `tokens` Git tokens and an application on the first one,
/// all through the API of the host at `base`.
pub async fn set_up(
    base: &str,
    github: &MockGitHub,
    tokens: usize,
) -> anyhow::Result<Organization> {
    let created = call(
        base,
        Method::POST,
        "/organization",
        BOOTSTRAP,
        Some(&json!({"name": "Bench"})),
        201,
    )
    .await?;
    let id = text(&created["organization"]["id"])?;
    let key = text(&created["api_token"]["token"])?;
    let mut token_ids = Vec::with_capacity(tokens);
    for n in 0..tokens {
        let token = call(
            base,
            Method::POST,
            &format!("/organization/{id}/gitToken"),
            &key,
            Some(&json!({
                "name": format!("deploy-{n:02}"),
                "type": "GITHUB",
                "token": token_value(n),
                "description": "created by the benchmark",
            })),
            201,
        )
        .await?;
        token_ids.push(text(&token["id"])?);
    }
    let first = token_ids.first().context("no Git token")?;
    let application = call(
        base,
        Method::POST,
        &format!("/organization/{id}/application"),
        &key,
        Some(&json!({
            "name": "web",
            "git_repository": {
                "provider": "GITHUB",
                "url": format!("https://github.com/{REPOSITORY}"),
                "branch": "main",
                "root_path": "/",
                "git_token_id": first,
            }
        })),
        201,
    )
    .await?;
    let application_id = text(&application["id"])?;
    let hook = github
        .hooks(REPOSITORY)
        .into_iter()
        .find(|hook| hook.url.ends_with(&application_id))
        .context("the mock GitHub has no hook for the application")?;
    Ok(Organization {
        id,
        key,
        token_ids,
        application_id,
        webhook_secret: hook.secret.context("the hook has no secret")?,
        hook_id: hook.id,
    })
}

fn text(value: &serde_json::Value) -> anyhow::Result<String> {
    value
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("expected a string, got {value}"))
}
