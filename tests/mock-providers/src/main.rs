//! `mock-providers`: runs mock Git provider servers on loopback for offline demos.
//!
//! ```text
//! mock-providers [--listen 127.0.0.1:9000] [--github-seed seed.json] [--github-enterprise]
//!                [--gitlab-listen 127.0.0.1:9001] [--gitlab-seed seed.json]
//!                [--bitbucket-listen 127.0.0.1:9002] [--bitbucket-seed seed.json]
//! ```
//! Without a seed file each mock serves its built-in demo seed (`seeds/<provider>-demo.json`).

use std::{net::SocketAddr, path::PathBuf};

use anyhow::Context;
use clap::Parser;
use mock_providers::{
    bitbucket::{BitbucketSeed, MockBitbucket},
    github::{GitHubSeed, MockGitHub},
    gitlab::{GitLabSeed, MockGitLab},
    MockServer,
};

/// Mock Git provider servers (GitHub, GitLab, Bitbucket) for trying git-access offline.
#[derive(Debug, Parser)]
#[command(name = "mock-providers", version)]
struct Args {
    /// Address of the GitHub mock (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:9000")]
    listen: SocketAddr,
    /// JSON seed for the GitHub mock (users and tokens); the built-in demo seed when absent.
    #[arg(long, value_name = "FILE")]
    github_seed: Option<PathBuf>,
    /// Serve the GitHub Enterprise Server shape (API under /api/v3).
    #[arg(long)]
    github_enterprise: bool,
    /// Address of the GitLab mock (API under /api/v4).
    #[arg(long, default_value = "127.0.0.1:9001")]
    gitlab_listen: SocketAddr,
    /// JSON seed for the GitLab mock; the built-in demo seed when absent.
    #[arg(long, value_name = "FILE")]
    gitlab_seed: Option<PathBuf>,
    /// Address of the Bitbucket Cloud mock (API under /2.0).
    #[arg(long, default_value = "127.0.0.1:9002")]
    bitbucket_listen: SocketAddr,
    /// JSON seed for the Bitbucket mock; the built-in demo seed when absent.
    #[arg(long, value_name = "FILE")]
    bitbucket_seed: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let args = Args::parse();

    let seed = match &args.github_seed {
        Some(path) => {
            let json = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            GitHubSeed::from_json(&json)
                .with_context(|| format!("{} is not a valid GitHub seed", path.display()))?
        }
        None => GitHubSeed::demo(),
    };
    let summary = describe(&seed);
    let github = if args.github_enterprise {
        MockGitHub::new_enterprise(seed)?
    } else {
        MockGitHub::new(seed)?
    };
    let server = MockServer::start_on(github, args.listen).await?;
    let root = format!("http://{}", server.addr());

    println!("GitHub mock listening on {}", server.base_url());
    println!(
        "point git-access at it: SPIN_VARIABLE_GITHUB_API_URL={} cargo xtask up",
        server.base_url()
    );
    if args.github_seed.is_none() {
        // Demo tokens are fake; printing them is the point of the demo.
        println!("{summary}");
    }
    println!(
        "OAuth sign-in at {root}/login/oauth/authorize (approved at once); \
         make GitHub act with:\n  \
         curl -X POST {root}/_mock/push -H 'content-type: application/json' \
         -d '{{\"repository\":\"octocat/hello-world\",\"branch\":\"main\"}}'\n  \
         curl -X POST {root}/_mock/faults -H 'content-type: application/json' \
         -d '{{\"fault\":\"rate_limit\",\"times\":1}}'\n  \
         curl {root}/_mock/deliveries"
    );

    let gitlab = start_gitlab(&args).await?;
    let bitbucket = start_bitbucket(&args).await?;

    shutdown_signal().await;
    server.shutdown().await?;
    gitlab.shutdown().await?;
    bitbucket.shutdown().await?;
    Ok(())
}

/// Reads a seed file with `parse`, naming the provider when it does not fit.
fn read_seed<T>(
    path: &PathBuf,
    provider: &str,
    parse: fn(&str) -> Result<T, serde_json::Error>,
) -> anyhow::Result<T> {
    let json =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    parse(&json).with_context(|| format!("{} is not a valid {provider} seed", path.display()))
}

/// Starts the GitLab mock and says how to use it.
async fn start_gitlab(args: &Args) -> anyhow::Result<MockServer<MockGitLab>> {
    let seed = match &args.gitlab_seed {
        Some(path) => read_seed(path, "GitLab", GitLabSeed::from_json)?,
        None => GitLabSeed::demo(),
    };
    let mut lines = vec!["GitLab demo tokens:".to_owned()];
    for t in &seed.tokens {
        let owner = t
            .user
            .as_deref()
            .or(t.project.as_deref())
            .or(t.group.as_deref())
            .unwrap_or_default();
        lines.push(format!(
            "  {} ({:?} of {owner}, scopes [{}]{})",
            t.value,
            t.kind,
            t.scopes.join(", "),
            t.access_level
                .map(|l| format!(", role {l:?}"))
                .unwrap_or_default()
        ));
    }
    let server = MockServer::start_on(MockGitLab::new(seed)?, args.gitlab_listen).await?;
    let root = format!("http://{}", server.addr());
    println!("\nGitLab mock listening on {}", server.base_url());
    println!(
        "point git-access at it: SPIN_VARIABLE_GITLAB_API_URL={} \
         SPIN_VARIABLE_GITLAB_ALLOWED_HOST={root}",
        server.base_url()
    );
    if args.gitlab_seed.is_none() {
        // Demo tokens are fake; printing them is the point of the demo.
        println!("{}", lines.join("\n"));
    }
    println!(
        "make GitLab act with: curl -X POST {root}/_mock/push -H 'content-type: application/json' \
         -d '{{\"project\":\"acme/platform/api\",\"user\":\"jsmith\"}}'"
    );
    Ok(server)
}

/// Starts the Bitbucket mock and says how to use it.
async fn start_bitbucket(args: &Args) -> anyhow::Result<MockServer<MockBitbucket>> {
    let seed = match &args.bitbucket_seed {
        Some(path) => read_seed(path, "Bitbucket", BitbucketSeed::from_json)?,
        None => BitbucketSeed::demo(),
    };
    let mut lines = vec!["Bitbucket demo tokens (workspace in brackets):".to_owned()];
    for t in &seed.tokens {
        let reach = t
            .repository
            .as_deref()
            .or(t.project.as_deref())
            .or(t.user.as_deref())
            .unwrap_or("the workspace");
        lines.push(format!(
            "  {} ({:?} token of {reach} [{}], scopes [{}]{})",
            t.value,
            t.kind,
            t.workspace.as_deref().unwrap_or_default(),
            t.scopes.join(", "),
            if t.expires_at.is_some() {
                ", expiring"
            } else {
                ""
            }
        ));
    }
    let server = MockServer::start_on(MockBitbucket::new(seed)?, args.bitbucket_listen).await?;
    let root = format!("http://{}", server.addr());
    println!("\nBitbucket mock listening on {}", server.base_url());
    println!(
        "point git-access at it: SPIN_VARIABLE_BITBUCKET_API_URL={} \
         SPIN_VARIABLE_BITBUCKET_ALLOWED_HOST={root}",
        server.base_url()
    );
    if args.bitbucket_seed.is_none() {
        println!("{}", lines.join("\n"));
    }
    println!(
        "make Bitbucket act with: curl -X POST {root}/_mock/push -H 'content-type: application/json' \
         -d '{{\"repository\":\"acme/api\",\"user\":\"emma\"}}'"
    );
    Ok(server)
}

/// The seed's tokens, repositories and OAuth apps, one per line.
fn describe(seed: &GitHubSeed) -> String {
    let mut lines = vec!["demo tokens:".to_owned()];
    for t in &seed.tokens {
        let state = match (t.revoked, t.expires_at) {
            (true, _) => "revoked".to_owned(),
            (false, Some(at)) => format!("expires {}", at.to_rfc3339()),
            (false, None) => "no expiry".to_owned(),
        };
        let grants = if t.kind.has_scopes() {
            format!("scopes [{}]", t.scopes.join(", "))
        } else {
            let permissions: Vec<String> = t
                .permissions
                .iter()
                .map(|(name, access)| format!("{name}:{}", access.as_str()))
                .collect();
            format!("permissions [{}]", permissions.join(", "))
        };
        lines.push(format!(
            "  {} ({}, owner {}, {grants}, {state})",
            t.value,
            t.kind.as_str(),
            t.owner
        ));
    }
    lines.push("repositories:".to_owned());
    for r in &seed.repositories {
        let visibility = format!("{:?}", r.visibility).to_lowercase();
        lines.push(format!("  {}/{} ({visibility})", r.owner, r.name));
    }
    for app in &seed.oauth_apps {
        lines.push(format!(
            "OAuth app: client id {}, secret {}",
            app.client_id, app.client_secret
        ));
    }
    for app in &seed.apps {
        lines.push(format!(
            "GitHub App {} ({}): client id {}, secret {}, install at /apps/{}/installations/new, \
             JWT key tests/mock-providers/seeds/github-app-test-key.pem",
            app.id, app.slug, app.client_id, app.client_secret, app.slug
        ));
    }
    for installation in &seed.installations {
        lines.push(format!(
            "  installation {} of app {} on {} ({})",
            installation.id,
            installation.app_id,
            installation.account,
            installation.repository_selection.as_str()
        ));
    }
    lines.join("\n")
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
