//! Figures measured on the real application (the project's `spin.toml`, mock GitHub):
//! webhook ingestion under load, and the Git token list of one organization with and
//! without a large number of other organizations' tokens in the store.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use hyper::header::{HeaderName, HeaderValue};
use hyper::Method;
use mock_providers::github::MockGitHub;
use mock_providers::MockServer;

use crate::api_app::{self, AppHost, Organization};
use crate::api_client::call;
use crate::load::{self, Load, Stats};
use crate::processes::Server;
use crate::token_seed::{self, Template};
use crate::webhook_delivery;

/// Git tokens of the measured organization (all created through the API).
pub const ORG_TOKENS: usize = 50;
/// Git tokens of each seeded organization.
const TOKENS_PER_OTHER_ORG: u64 = 50;

/// What the figures need.
pub struct Settings {
    /// The host binary.
    pub host_bin: PathBuf,
    /// The project's `spin.toml` (components built).
    pub manifest: PathBuf,
    /// A fresh state directory.
    pub state_dir: PathBuf,
    /// The webhook fixtures folder, or why it is missing.
    pub fixtures: Result<PathBuf, String>,
    /// Measured runs per figure (the median is kept).
    pub runs: usize,
    /// Length of one run.
    pub duration: Duration,
    /// Connections of the webhook load.
    pub webhook_connections: usize,
    /// Length of one webhook run: long enough to take in the store's periodic work (a WAL
    /// checkpoint every 100 ms, and the WAL starting over every few seconds under this
    /// load), so the percentiles are those of steady operation.
    pub webhook_duration: Duration,
    /// Git tokens to store for other organizations before the second list measurement.
    pub other_tokens: u64,
}

/// What was measured.
pub struct ApiFigures {
    /// Webhook ingestion, or why it was not measured.
    pub webhook: Result<Stats, String>,
    /// The host's peak RSS in MiB after webhook ingestion (the API and provider
    /// components under load), when known.
    pub webhook_peak_rss: Option<f64>,
    /// Token list with the organization's tokens only in the store.
    pub list_alone: Stats,
    /// Token list after [`Settings::other_tokens`] other-organization tokens were stored.
    pub list_crowded: Stats,
}

/// Sets up the organization through the API, then measures.
pub async fn measure(settings: &Settings) -> anyhow::Result<ApiFigures> {
    let (github, app) = start_mock(settings).await?;

    let host = app.start().await?;
    eprintln!("    creating an organization with {ORG_TOKENS} Git tokens and an application");
    let org = api_app::set_up(&host.base_url, github.provider(), ORG_TOKENS).await?;
    let webhook = match &settings.fixtures {
        Ok(dir) => Ok(webhook_ingestion(settings, &host, dir, &org).await?),
        Err(why) => {
            eprintln!("    webhook ingestion not measured: {why}");
            Err(why.clone())
        }
    };
    let webhook_peak_rss = host.rss_mib().map(|(_, peak)| peak);
    host.stop().await?;
    // The webhook runs leave a WAL of up to 256 MiB; neither host below is to work it off
    // while the token list is measured.
    app.settle_store()?;

    // A copy of the store gets the other organizations' tokens. Both stores are served
    // at once, by hosts started alike, and measured in turns: when the machine runs slower
    // for a while, both figures see it.
    let crowded_app = app.copy_to(&settings.state_dir.with_extension("crowded"))?;
    store_other_tokens(settings, &crowded_app, &org).await?;
    let alone_host = app.start().await?;
    let crowded_host = crowded_app.start().await?;
    let alone_load = token_list_load(settings, &alone_host, &org).await?;
    let crowded_load = token_list_load(settings, &crowded_host, &org).await?;
    let mut medians = load::medians_in_turns(&[&alone_load, &crowded_load], settings.runs)
        .await?
        .into_iter();
    alone_host.stop().await?;
    crowded_host.stop().await?;
    let (Some(list_alone), Some(list_crowded)) = (medians.next(), medians.next()) else {
        anyhow::bail!("no token-list runs");
    };
    Ok(ApiFigures {
        webhook,
        webhook_peak_rss,
        list_alone,
        list_crowded,
    })
}

/// Writes [`Settings::other_tokens`] Git tokens of other organizations straight into the
/// store (the host must be stopped).
async fn store_other_tokens(
    settings: &Settings,
    app: &AppHost,
    org: &Organization,
) -> anyhow::Result<()> {
    eprintln!(
        "    storing {} Git tokens of other organizations",
        settings.other_tokens
    );
    let database = app.database();
    let template_org = org.id.clone();
    let template_token = org.token_ids.last().context("no Git token")?.clone();
    let other_tokens = settings.other_tokens;
    let seeded = tokio::task::spawn_blocking(move || {
        token_seed::seed_other_organizations(
            &database,
            &Template {
                organization: &template_org,
                token: &template_token,
            },
            other_tokens,
            TOKENS_PER_OTHER_ORG,
        )
    })
    .await??;
    eprintln!(
        "    stored {} tokens of {} organizations ({} rows) in {:.1} s",
        seeded.tokens,
        seeded.organizations,
        seeded.rows,
        seeded.elapsed.as_secs_f64()
    );
    Ok(())
}

/// A mock GitHub with the organization's tokens and repository, and how to start the
/// host against it.
async fn start_mock(settings: &Settings) -> anyhow::Result<(MockServer<MockGitHub>, AppHost)> {
    let github = MockGitHub::start(api_app::github_seed(ORG_TOKENS)).await?;
    let app = AppHost::new(
        &settings.host_bin,
        &settings.manifest,
        &settings.state_dir,
        github.base_url(),
    );
    Ok((github, app))
}

/// An API figure measured on its own.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Figure {
    /// Webhook ingestion.
    Webhook,
    /// The token list (after storing `--other-org-tokens` Git tokens of other
    /// organizations; 0 for none).
    TokenList,
}

/// Sets up the organization, then measures `figure` only (printing the host's pid first,
/// for a profiler to attach).
pub async fn only(settings: &Settings, figure: Figure) -> anyhow::Result<Stats> {
    let (github, app) = start_mock(settings).await?;
    let host = app.start().await?;
    let tokens = match figure {
        Figure::Webhook => 1,
        Figure::TokenList => ORG_TOKENS,
    };
    let org = api_app::set_up(&host.base_url, github.provider(), tokens).await?;
    let host = match figure {
        Figure::TokenList if settings.other_tokens > 0 => {
            host.stop().await?;
            store_other_tokens(settings, &app, &org).await?;
            app.start().await?
        }
        _ => host,
    };
    eprintln!("host pid {}", host.pid().unwrap_or_default());
    let stats = match figure {
        Figure::Webhook => {
            let fixtures = settings
                .fixtures
                .as_ref()
                .map_err(|why| anyhow::anyhow!("{why}"))?;
            webhook_ingestion(settings, &host, fixtures, &org).await?
        }
        Figure::TokenList => token_list(settings, &host, &org).await?,
    };
    host.stop().await?;
    Ok(stats)
}

/// Signed push deliveries at the application's receiver; every one must be new (202).
async fn webhook_ingestion(
    settings: &Settings,
    host: &Server,
    fixtures: &std::path::Path,
    org: &Organization,
) -> anyhow::Result<Stats> {
    let base = host.base_url.as_str();
    let load = Load {
        url: format!("{base}/webhooks/github/{}", org.application_id),
        connections: settings.webhook_connections,
        duration: settings.webhook_duration,
        max_requests: 5_000_000,
        request: webhook_delivery::push_delivery(
            fixtures,
            &org.webhook_secret,
            org.hook_id,
            api_app::REPOSITORY,
        )?,
        server_pid: host.pid(),
    };
    // The warm-up brings the feed's 32 shards to where they drop old events (a batch of
    // 16 once a shard holds 32), so measured deliveries do too, as in steady operation.
    let runs = load::repeated(&load, settings.runs, Duration::from_secs(20), 1000).await?;
    let stats = load::median(runs)?;
    let events = call(
        base,
        Method::GET,
        &format!(
            "/organization/{}/application/{}/events?limit=100",
            org.id, org.application_id
        ),
        &org.key,
        None,
        200,
    )
    .await?;
    let pushes = events["results"].as_array().map_or(0, |events| {
        events
            .iter()
            .filter(|e| e["detail"]["type"] == "push")
            .count()
    });
    anyhow::ensure!(
        pushes == 100,
        "expected the last 100 events to be pushes, found {pushes}"
    );
    Ok(stats)
}

/// `GET /organization/{org}/gitToken` on one connection; the answer must list exactly
/// the organization's own tokens.
async fn token_list(
    settings: &Settings,
    host: &Server,
    org: &Organization,
) -> anyhow::Result<Stats> {
    let load = token_list_load(settings, host, org).await?;
    load::medians_in_turns(&[&load], settings.runs)
        .await?
        .pop()
        .context("no token-list runs")
}

/// The token-list load on one connection, once the list was checked and the host warmed up.
async fn token_list_load(
    settings: &Settings,
    host: &Server,
    org: &Organization,
) -> anyhow::Result<Load> {
    let base = host.base_url.as_str();
    let path = format!("/organization/{}/gitToken", org.id);
    let listed = call(base, Method::GET, &path, &org.key, None, 200).await?;
    let count = listed["results"].as_array().map_or(0, Vec::len);
    anyhow::ensure!(
        count == ORG_TOKENS,
        "the list has {count} tokens, expected {ORG_TOKENS}"
    );
    let mut load =
        Load::get(format!("{base}{path}"), 1, settings.duration, 200_000).on_server(host.pid());
    load.request.headers.push((
        HeaderName::from_static("authorization"),
        HeaderValue::try_from(format!("Token {}", org.key))?,
    ));
    load::without_errors(
        &load,
        load::warm_up(&load, Duration::from_millis(500), 500).await?,
    )?;
    Ok(load)
}
