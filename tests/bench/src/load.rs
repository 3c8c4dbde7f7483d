//! A closed-loop HTTP/1.1 load generator: N keep-alive connections, each sending its next
//! request when the previous answer is read, bounded in requests and time.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
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
}

/// What a run measured.
#[derive(Debug, Clone, Serialize)]
pub struct Stats {
    /// Successful (2xx) responses.
    pub ok: u64,
    /// Non-2xx responses and transport errors.
    pub errors: u64,
    /// Successful responses per second.
    pub rps: f64,
    /// Median latency, microseconds.
    pub p50_us: f64,
    /// 99th percentile latency, microseconds.
    pub p99_us: f64,
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
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..load.connections {
        let uri = uri.clone();
        let host = host.clone();
        tasks.push(tokio::spawn(async move {
            connection_loop(&host, port, uri, per_connection, deadline).await
        }));
    }
    let mut latencies = Vec::new();
    let mut errors = 0;
    for task in tasks {
        let (lat, err) = task.await??;
        latencies.extend(lat);
        errors += err;
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort_unstable();
    Ok(Stats {
        ok: latencies.len() as u64,
        errors,
        rps: latencies.len() as f64 / elapsed,
        p50_us: percentile(&latencies, 0.50),
        p99_us: percentile(&latencies, 0.99),
    })
}

async fn connection_loop(
    host: &str,
    port: u16,
    uri: hyper::Uri,
    max: u64,
    deadline: Instant,
) -> anyhow::Result<(Vec<u32>, u64)> {
    let stream = tokio::net::TcpStream::connect((host, port)).await?;
    stream.set_nodelay(true)?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    let authority = format!("{host}:{port}");
    let mut latencies = Vec::with_capacity(max.min(1 << 20) as usize);
    let mut errors = 0;
    for _ in 0..max {
        if Instant::now() >= deadline {
            break;
        }
        let request = hyper::Request::get(uri.clone())
            .header(hyper::header::HOST, &authority)
            .body(Empty::<Bytes>::new())?;
        let sent = Instant::now();
        sender.ready().await?;
        match sender.send_request(request).await {
            Ok(response) => {
                let ok = response.status().is_success();
                response.into_body().collect().await?;
                if ok {
                    latencies.push(sent.elapsed().as_micros().min(u32::MAX as u128) as u32);
                } else {
                    errors += 1;
                }
            }
            Err(_) => {
                errors += 1;
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
