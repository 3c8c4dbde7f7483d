//! `git-access-bench`: measures the host side by side with its baselines in one run and
//! writes `bench/results.md` and `bench/results.json`. Run it through `cargo xtask bench`.

mod api_app;
mod api_client;
mod api_figures;
mod ids;
mod instantiate;
mod load;
mod processes;
mod report;
mod token_seed;
mod webhook_delivery;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;

use load::{Load, Stats};
use processes::{first_ok, host_command, RedisServer, Server};
use report::Report;

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Option<Cmd>,
    /// One short run per figure instead of five.
    #[arg(long)]
    quick: bool,
    /// The host binary.
    #[arg(long)]
    host_bin: Option<PathBuf>,
    /// Folder with the test components (`sandbox_probe.wasm`, `hello_world.wasm`).
    #[arg(long)]
    components_dir: Option<PathBuf>,
    /// A `wasmtime` CLI with `serve`: the hello-world component is then also measured on
    /// it, for reference.
    #[arg(long)]
    wasmtime_bin: Option<PathBuf>,
    /// The project's `spin.toml`, its components built (the API figures run on it).
    #[arg(long)]
    manifest: Option<PathBuf>,
    /// Git tokens of other organizations stored for the token-list figure (seeding a
    /// million takes seconds, so `--quick` stores as many).
    #[arg(long, default_value_t = 1_000_000)]
    other_org_tokens: u64,
    /// Where to write results.md and results.json.
    #[arg(long, default_value = "bench")]
    out: PathBuf,
    /// The command line that started the run, for the report.
    #[arg(long, default_value = "cargo xtask bench")]
    command_line: String,
}

#[derive(Subcommand)]
enum Cmd {
    /// The native baseline: a hyper hello-world (internal).
    NativeHello,
    /// Drive load at one URL and print its statistics (for profiling by hand).
    Load {
        /// Loopback URL.
        url: String,
        /// Concurrent connections.
        #[arg(long, default_value_t = 32)]
        connections: usize,
        /// Seconds.
        #[arg(long, default_value_t = 5)]
        seconds: u64,
    },
    /// Set up the API on `--manifest` against a mock GitHub, then measure one API figure
    /// only (for profiling by hand: the host's pid is printed first).
    Api {
        /// Which figure.
        #[arg(value_enum)]
        figure: api_figures::Figure,
        /// Concurrent connections (webhook ingestion; the token list uses one).
        #[arg(long, default_value_t = 32)]
        connections: usize,
        /// Seconds.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
    },
    /// Print the mean instantiation time of one component, in microseconds (for
    /// profiling by hand).
    Instantiate {
        /// The component (`.wasm`).
        component: PathBuf,
        /// Instances to time.
        #[arg(long, default_value_t = 2000)]
        count: u32,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match cli.command {
        Some(Cmd::NativeHello) => runtime.block_on(native_hello()),
        Some(Cmd::Load {
            url,
            connections,
            seconds,
        }) => runtime.block_on(async {
            let stats = load::run(&Load::get(
                url,
                connections,
                Duration::from_secs(seconds),
                u64::MAX / 2,
            ))
            .await?;
            println!("{}", serde_json::to_string(&stats)?);
            Ok(())
        }),
        Some(Cmd::Api {
            figure,
            connections,
            seconds,
        }) => runtime.block_on(async {
            let (Some(host_bin), Some(manifest)) = (&cli.host_bin, &cli.manifest) else {
                anyhow::bail!("--host-bin and --manifest are required");
            };
            let manifest = std::fs::canonicalize(manifest)?;
            let work = tempfile::tempdir()?;
            let workspace = manifest.parent().map(PathBuf::from).unwrap_or_default();
            let settings = api_figures::Settings {
                host_bin: std::fs::canonicalize(host_bin)?,
                manifest: manifest.clone(),
                state_dir: work.path().join("api-state"),
                fixtures: webhook_delivery::fixtures_dir(&workspace),
                runs: 1,
                duration: Duration::from_secs(seconds),
                webhook_connections: connections,
                webhook_duration: Duration::from_secs(seconds),
                other_tokens: cli.other_org_tokens,
            };
            let stats = api_figures::only(&settings, figure).await?;
            println!("{}", serde_json::to_string(&stats)?);
            Ok(())
        }),
        Some(Cmd::Instantiate { component, count }) => runtime.block_on(async {
            let us = instantiate::mean_instantiation_us(&component, count).await?;
            println!("{us:.1}");
            Ok(())
        }),
        None => runtime.block_on(bench(&cli)),
    }
}

/// The baseline every req/s figure is compared with.
async fn native_hello() -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("listening on http://{}", listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let service = service_fn(|_req| async {
                Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(
                    bytes::Bytes::from_static(b"ok"),
                )))
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

const CONNECTIONS: usize = 32;

async fn bench(cli: &Cli) -> anyhow::Result<()> {
    let runs = if cli.quick { 1 } else { 5 };
    let duration = Duration::from_secs(if cli.quick { 1 } else { 3 });
    let mut report = Report::new(&cli.command_line, runs);
    let (Some(host_bin), Some(components_dir), Some(app_manifest)) =
        (&cli.host_bin, &cli.components_dir, &cli.manifest)
    else {
        anyhow::bail!("--host-bin, --components-dir and --manifest are required");
    };
    let app_manifest = std::fs::canonicalize(app_manifest)?;
    let work = tempfile::tempdir()?;
    let probe = std::fs::canonicalize(components_dir.join("sandbox_probe.wasm"))?;
    let hello_world = std::fs::canonicalize(components_dir.join("hello_world.wasm"))?;
    let host_bin = &std::fs::canonicalize(host_bin)?;
    let manifest = work.path().join("spin.toml");
    std::fs::write(&manifest, report::probe_manifest(&probe, &hello_world))?;

    // The baseline, the reference and the host run side by side, each idle while another
    // is measured, and the loads take turns: a slower stretch of the machine weighs on
    // every figure alike, not on whichever ran then.
    eprintln!("==> native hello-world baseline, the host's components, in turns");
    let exe = std::env::current_exe()?;
    let mut native_cmd = tokio::process::Command::new(&exe);
    native_cmd.arg("native-hello");
    let native = Server::spawn(native_cmd).await?;
    let reference_server = match &cli.wasmtime_bin {
        Some(wasmtime) => Some(Server::spawn_wasmtime_serve(wasmtime, &hello_world).await?),
        None => None,
    };
    let state = work.path().join("state");
    let host = Server::spawn(host_command(host_bin, &manifest, &state)).await?;
    let idle_rss = host.rss_mib().map(|(rss, _)| rss);
    store_bench_key(&host.base_url).await?;
    let redis = on_redis(host_bin, &manifest, work.path()).await?;
    let crowd = |server: &Server, path: &str| {
        Load::get(
            format!("{}{path}", server.base_url),
            CONNECTIONS,
            duration,
            5_000_000,
        )
        .on_server(server.pid())
    };
    let mut loads = vec![
        crowd(&native, "/"),
        crowd(&host, "/hello"),
        crowd(&host, "/ok"),
        crowd(&host, "/kv-get/bench"),
        crowd(&host, "/kv-set/bench?v"),
    ];
    if let Ok((_, redis_host)) = &redis {
        loads.push(crowd(redis_host, "/kv-get/bench"));
        loads.push(crowd(redis_host, "/kv-set/bench?v"));
    }
    if let Some(reference) = &reference_server {
        loads.push(crowd(reference, "/hello"));
    }
    let mut medians = medians_after_warm_up(&loads, runs).await?.into_iter();
    let mut next = || medians.next().context("a load without its figure");
    let (native_hello, hello, probe_hello, kv_read, kv_write) =
        (next()?, next()?, next()?, next()?, next()?);
    let redis_kv = match &redis {
        Ok(_) => Ok((next()?, next()?)),
        Err(why) => Err(why.clone()),
    };
    let reference = reference_server.is_some().then(next).transpose()?;
    drop(redis);

    let one = |path: &str| {
        Load::get(format!("{}{path}", host.base_url), 1, duration, 5_000_000).on_server(host.pid())
    };
    let mut medians = medians_after_warm_up(
        &[
            one("/ok"),
            one("/fetch?url=http://backend.spin.internal/ok"),
        ],
        runs,
    )
    .await?
    .into_iter();
    let (Some(direct), Some(chained)) = (medians.next(), medians.next()) else {
        anyhow::bail!("no chaining runs");
    };
    let load_rss = host.rss_mib();
    drop((host, native, reference_server));

    let other_tokens = cli.other_org_tokens;
    let webhook_duration = if cli.quick {
        duration
    } else {
        Duration::from_secs(10)
    };
    eprintln!("==> API on spin.toml (mock GitHub): webhook ingestion, token list");
    let workspace = app_manifest.parent().map(PathBuf::from).unwrap_or_default();
    let api = api_figures::measure(&api_figures::Settings {
        host_bin: host_bin.clone(),
        manifest: app_manifest.clone(),
        state_dir: work.path().join("api-state"),
        fixtures: webhook_delivery::fixtures_dir(&workspace),
        runs,
        duration,
        webhook_connections: CONNECTIONS,
        webhook_duration,
        other_tokens,
    })
    .await?;

    eprintln!("==> cold start (empty cache, then warm cache)");
    let mut cold = Vec::new();
    let mut warm = Vec::new();
    for i in 0..runs {
        let state = work.path().join(format!("cold-{i}"));
        for samples in [&mut cold, &mut warm] {
            let started = Instant::now();
            let server = Server::spawn(host_command(host_bin, &manifest, &state)).await?;
            samples.push(first_ok(&format!("{}/ok", server.base_url), started).await?);
        }
    }

    eprintln!("==> instantiation");
    let count = if cli.quick { 500 } else { 3000 };
    let instantiation_us = instantiate::mean_instantiation_us(&probe, count).await?;
    let hello_instantiation_us = instantiate::mean_instantiation_us(&hello_world, count).await?;

    report.ratio(
        "hello-world req/s, host vs native hyper (32 conns)",
        &hello,
        &native_hello,
        0.5,
    );
    report.cpu_per_request(
        "server CPU per request (all threads), hello-world: host vs native hyper (32 conns)",
        &hello,
        &native_hello,
    );
    match &reference {
        Some(reference) => report.comparison(
            "reference: the same hello-world component on `wasmtime serve` vs native hyper \
             (32 conns)",
            reference,
            &native_hello,
        ),
        None => report.not_measured(
            "reference: the same hello-world component on `wasmtime serve`",
            "no `--wasmtime-bin`",
        ),
    }
    report.comparison(
        "hello on the Spin SDK probe component (`/ok`) vs native hyper (32 conns)",
        &probe_hello,
        &native_hello,
    );
    report.ratio(
        "KV read req/s vs the probe's hello (same component, 32 conns)",
        &kv_read,
        &probe_hello,
        0.8,
    );
    report.ratio(
        "KV write req/s vs the probe's hello (same component, 32 conns)",
        &kv_write,
        &probe_hello,
        0.8,
    );
    match &redis_kv {
        Ok((read, write)) => {
            report.ratio(
                "KV read req/s on Redis vs the probe's hello (same component, 32 conns)",
                read,
                &probe_hello,
                0.8,
            );
            report.ratio(
                "KV write req/s on Redis vs the probe's hello (same component, 32 conns)",
                write,
                &probe_hello,
                0.8,
            );
        }
        Err(why) => {
            report.not_measured("KV read and write on Redis", why);
        }
    }
    report.chaining(&chained, &direct, 100.0);
    report.cold_start(&cold, &warm, 1000.0);
    report.value(
        "instantiation, Spin SDK probe component (pooling allocator, mean)",
        instantiation_us,
        "µs",
        None,
    );
    report.value(
        "instantiation, hello-world component (pooling allocator, mean)",
        hello_instantiation_us,
        "µs",
        None,
    );
    if let Some(rss) = idle_rss {
        report.value("host RSS at idle", rss, "MiB", Some(150.0));
    }
    if let Some((_, peak)) = load_rss {
        report.value("host peak RSS under load (VmHWM)", peak, "MiB", Some(150.0));
    }
    if let Some(peak) = api.webhook_peak_rss {
        report.value(
            "host peak RSS under webhook load (API and provider components, VmHWM)",
            peak,
            "MiB",
            Some(150.0),
        );
    }
    let webhook_figure = format!(
        "webhook ingestion vs host hello-world (signed GitHub push → verify → dedupe → store, \
         32 conns, {} s runs)",
        webhook_duration.as_secs()
    );
    match &api.webhook {
        Ok(webhook) => {
            report.webhook_ingestion(&webhook_figure, webhook, &hello, 0.5, 10.0);
            report.cpu_per_request(
                "host CPU per request (all threads): webhook delivery vs hello-world (32 conns)",
                webhook,
                &hello,
            );
        }
        Err(why) => report.not_measured(&webhook_figure, why),
    }
    let list_figure = format!(
        "token list p99, org of {} tokens, 0 vs {} other-org tokens (1 conn)",
        api_figures::ORG_TOKENS,
        thousands(other_tokens)
    );
    report.p99_growth(&list_figure, &api.list_crowded, &api.list_alone, 1.2);
    report.raw("native hello", &native_hello);
    if let Some(reference) = &reference {
        report.raw("wasmtime serve, hello-world component", reference);
    }
    report.raw("host hello-world component", &hello);
    report.raw("host probe hello (/ok)", &probe_hello);
    report.raw("host KV read", &kv_read);
    report.raw("host KV write", &kv_write);
    if let Ok((read, write)) = &redis_kv {
        report.raw("host KV read on Redis", read);
        report.raw("host KV write on Redis", write);
    }
    report.raw("host probe hello (/ok), 1 conn", &direct);
    report.raw("host chained call, 1 conn", &chained);
    if let Ok(webhook) = &api.webhook {
        report.raw("webhook ingestion (signed push)", webhook);
    }
    report.raw("token list, 0 other-org tokens, 1 conn", &api.list_alone);
    report.raw(
        &format!(
            "token list, {} other-org tokens, 1 conn",
            thousands(other_tokens)
        ),
        &api.list_crowded,
    );
    report.write(&cli.out)?;
    eprintln!("wrote {}/results.md and results.json", cli.out.display());
    Ok(())
}

/// `1000000` as `1,000,000`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A throwaway Redis and a host serving `manifest` with its `default` store there, its
/// bench key stored; `Err(why)` when there is no Redis to run.
async fn on_redis(
    host_bin: &Path,
    manifest: &Path,
    work: &Path,
) -> anyhow::Result<Result<(RedisServer, Server), String>> {
    let redis = match RedisServer::start().await {
        Ok(redis) => redis,
        Err(why) => return Ok(Err(why)),
    };
    let config = work.join("redis-runtime-config.toml");
    std::fs::write(
        &config,
        format!(
            "[key_value_store.default]\ntype = \"redis\"\nurl = \"{}\"\n",
            redis.url
        ),
    )?;
    let mut command = host_command(host_bin, manifest, &work.join("redis-state"));
    command.arg("--runtime-config-file").arg(&config);
    let host = Server::spawn(command).await?;
    store_bench_key(&host.base_url).await?;
    Ok(Ok((redis, host)))
}

/// Stores the value the KV read figure reads.
async fn store_bench_key(base: &str) -> anyhow::Result<()> {
    let set = load::run(&Load::get(
        format!("{base}/kv-set/bench?value"),
        1,
        Duration::from_secs(10),
        1,
    ))
    .await?;
    anyhow::ensure!(set.ok == 1, "kv-set failed at {base}");
    Ok(())
}

/// Each load's median run of `runs`, taken in turns after a short warm-up of each (so
/// first-request costs do not count); a failed request fails.
async fn medians_after_warm_up(loads: &[Load], runs: usize) -> anyhow::Result<Vec<Stats>> {
    for load in loads {
        load::warm_up(load, Duration::from_millis(300), 2_000).await?;
    }
    load::medians_in_turns(&loads.iter().collect::<Vec<_>>(), runs).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands_groups_digits() {
        assert_eq!(super::thousands(0), "0");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(100_000), "100,000");
        assert_eq!(super::thousands(1_000_000), "1,000,000");
    }
}
