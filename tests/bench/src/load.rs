//! A closed-loop HTTP/1.1 load generator: N keep-alive connections, each sending its next
//! request when the previous answer is read, bounded in requests and time.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{HeaderName, HeaderValue};
use hyper::Method;
use hyper_util::rt::TokioIo;
use serde::Serialize;

/// One load run's settings.
#[derive(Debug, Clone)]
pub struct Load {
    /// Full URL (loopback only).
    pub url: String,
    /// Concurrent connections.
    pub connections: usize,
    /// Wall-clock bound.
    pub duration: Duration,
    /// Request-count bound (all connections together).
    pub max_requests: u64,
    /// What every request looks like.
    pub request: Request,
    /// The serving process, whose CPU time per request the run reports (Linux).
    pub server_pid: Option<u32>,
}

impl Load {
    /// GETs of `url`.
    pub fn get(url: String, connections: usize, duration: Duration, max_requests: u64) -> Self {
        Self {
            url,
            connections,
            duration,
            max_requests,
            request: Request::default(),
            server_pid: None,
        }
    }

    /// The same load, reporting the CPU time `pid` spends per request.
    pub fn on_server(self, pid: Option<u32>) -> Self {
        Self {
            server_pid: pid,
            ..self
        }
    }
}

/// The request every connection sends over and over (`GET`, no headers, no body, any
/// 2xx answer counts by default).
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// Method.
    pub method: Method,
    /// Headers sent with every request (besides `Host`).
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// Body sent with every request (shared, not copied).
    pub body: Bytes,
    /// A header that gets a fresh UUID v4 on every request, e.g. `X-GitHub-Delivery`.
    pub fresh_id_header: Option<HeaderName>,
    /// The one status that counts as success; `None`: any 2xx.
    pub expect_status: Option<u16>,
}

impl Request {
    fn succeeded(&self, status: hyper::StatusCode) -> bool {
        match self.expect_status {
            Some(expected) => status.as_u16() == expected,
            None => status.is_success(),
        }
    }
}

/// What a run measured.
#[derive(Debug, Clone, Serialize)]
pub struct Stats {
    /// Successful responses (2xx, or the expected status).
    pub ok: u64,
    /// Other responses and transport errors.
    pub errors: u64,
    /// Successful responses per second.
    pub rps: f64,
    /// Median latency, microseconds.
    pub p50_us: f64,
    /// 99th percentile latency, microseconds.
    pub p99_us: f64,
    /// CPU time of the serving process (all its threads, user and system) per successful
    /// response, microseconds; `None` when the load names no server or /proc cannot tell.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_cpu_us: Option<f64>,
    /// Statuses of the failed requests and how often each came (0: transport error).
    pub error_statuses: BTreeMap<u16, u64>,
}

/// Runs the load and returns its statistics.
pub async fn run(load: &Load) -> anyhow::Result<Stats> {
    let uri: hyper::Uri = load.url.parse()?;
    let host = uri.host().unwrap_or("127.0.0.1").to_owned();
    anyhow::ensure!(
        host == "127.0.0.1" || host == "localhost",
        "benchmarks target loopback only, not {host}"
    );
    let port = uri.port_u16().unwrap_or(80);
    let per_connection = load.max_requests.div_ceil(load.connections as u64);
    let deadline = Instant::now() + load.duration;
    let cpu_before = load.server_pid.and_then(process_cpu_ns);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for seed in 0..load.connections {
        let target = Target {
            host: host.clone(),
            port,
            authority: HeaderValue::try_from(format!("{host}:{port}"))?,
            uri: uri.clone(),
            request: load.request.clone(),
        };
        tasks.push(tokio::spawn(async move {
            connection_loop(target, per_connection, deadline, seed as u64).await
        }));
    }
    let mut latencies = Vec::new();
    let mut error_statuses = BTreeMap::new();
    for task in tasks {
        let (lat, errors) = task.await??;
        latencies.extend(lat);
        for (status, count) in errors {
            *error_statuses.entry(status).or_insert(0) += count;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let cpu_ns = cpu_before
        .zip(load.server_pid.and_then(process_cpu_ns))
        .map(|(before, after)| after.saturating_sub(before));
    latencies.sort_unstable();
    Ok(Stats {
        server_cpu_us: cpu_ns
            .filter(|_| !latencies.is_empty())
            .map(|ns| ns as f64 / 1000.0 / latencies.len() as f64),
        ok: latencies.len() as u64,
        errors: error_statuses.values().sum(),
        rps: latencies.len() as f64 / elapsed,
        p50_us: percentile(&latencies, 0.50),
        p99_us: percentile(&latencies, 0.99),
        error_statuses,
    })
}

/// CPU time process `pid` has used so far, nanoseconds: the sum over its threads of the
/// first field of `/proc/<pid>/task/<tid>/schedstat` (time on a CPU, user and system).
fn process_cpu_ns(pid: u32) -> Option<u64> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    let mut total = 0;
    for task in tasks.flatten() {
        let schedstat = std::fs::read_to_string(task.path().join("schedstat")).ok()?;
        total += schedstat.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(total)
}

/// Runs `load` for `duration` (at most `requests`), for a warm-up that does not count.
pub async fn warm_up(load: &Load, duration: Duration, requests: u64) -> anyhow::Result<Stats> {
    run(&Load {
        duration,
        max_requests: requests,
        ..load.clone()
    })
    .await
}

/// Runs `load` `runs` times after a warm-up (`warm_up` long, at most `warm_up_requests`)
/// that does not count; the runs' statistics, slowest first.
pub async fn repeated(
    load: &Load,
    runs: usize,
    warm_up_for: Duration,
    warm_up_requests: u64,
) -> anyhow::Result<Vec<Stats>> {
    warm_up(load, warm_up_for, warm_up_requests).await?;
    let mut all = Vec::with_capacity(runs);
    for _ in 0..runs {
        all.push(run(load).await?);
    }
    all.sort_by(|a, b| a.rps.total_cmp(&b.rps));
    Ok(all)
}

/// Runs each of `loads` `runs` times, taking turns (every round runs each load once), so
/// that a slower stretch of the machine weighs on all of them alike; each load's median
/// run. A run with a failed request fails.
pub async fn medians_in_turns(loads: &[&Load], runs: usize) -> anyhow::Result<Vec<Stats>> {
    let mut all = vec![Vec::with_capacity(runs); loads.len()];
    for _ in 0..runs {
        for (load, all) in loads.iter().zip(&mut all) {
            all.push(without_errors(load, run(load).await?)?);
        }
    }
    all.into_iter().map(median).collect()
}

/// `stats`, unless some of `load`'s requests failed.
pub fn without_errors(load: &Load, stats: Stats) -> anyhow::Result<Stats> {
    anyhow::ensure!(
        stats.errors == 0,
        "{}: {} requests failed ({:?})",
        load.url,
        stats.errors,
        stats.error_statuses
    );
    Ok(stats)
}

/// The run with the median req/s.
pub fn median(mut runs: Vec<Stats>) -> anyhow::Result<Stats> {
    anyhow::ensure!(!runs.is_empty(), "no load runs");
    runs.sort_by(|a, b| a.rps.total_cmp(&b.rps));
    let middle = runs.len() / 2;
    Ok(runs.swap_remove(middle))
}

/// Where one connection sends what.
struct Target {
    host: String,
    port: u16,
    /// `Host` header value.
    authority: HeaderValue,
    uri: hyper::Uri,
    request: Request,
}

impl Target {
    fn next_request(&self, rng: &mut fastrand::Rng) -> anyhow::Result<hyper::Request<Full<Bytes>>> {
        let mut builder = hyper::Request::builder()
            .method(self.request.method.clone())
            .uri(self.uri.clone())
            .header(hyper::header::HOST, &self.authority);
        for (name, value) in &self.request.headers {
            builder = builder.header(name, value);
        }
        if let Some(name) = &self.request.fresh_id_header {
            builder = builder.header(name, crate::ids::uuid_v4(rng));
        }
        Ok(builder.body(Full::new(self.request.body.clone()))?)
    }
}

async fn connection_loop(
    target: Target,
    max: u64,
    deadline: Instant,
    seed: u64,
) -> anyhow::Result<(Vec<u32>, BTreeMap<u16, u64>)> {
    let stream = tokio::net::TcpStream::connect((target.host.as_str(), target.port)).await?;
    stream.set_nodelay(true)?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    let mut rng = fastrand::Rng::with_seed(fastrand::u64(..) ^ seed);
    let mut latencies = Vec::with_capacity(max.min(1 << 20) as usize);
    let mut errors = BTreeMap::new();
    for _ in 0..max {
        if Instant::now() >= deadline {
            break;
        }
        let request = target.next_request(&mut rng)?;
        let sent = Instant::now();
        sender.ready().await?;
        match sender.send_request(request).await {
            Ok(response) => {
                let status = response.status();
                response.into_body().collect().await?;
                if target.request.succeeded(status) {
                    latencies.push(sent.elapsed().as_micros().min(u32::MAX as u128) as u32);
                } else {
                    *errors.entry(status.as_u16()).or_insert(0) += 1;
                }
            }
            Err(_) => {
                *errors.entry(0).or_insert(0) += 1;
                break;
            }
        }
    }
    Ok((latencies, errors))
}

fn percentile(sorted: &[u32], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let index = ((sorted.len() - 1) as f64 * q).round() as usize;
    f64::from(sorted[index])
}
