//! One-off API calls the figures need to set themselves up (organization, Git tokens,
//! application): a fresh loopback connection per call, JSON in and out.

use anyhow::{bail, Context};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use serde_json::Value;

/// `method base+path` with `Authorization: Token <key>` and an optional JSON body; the
/// answer's JSON when its status is `expect`, otherwise an error quoting the answer.
pub async fn call(
    base: &str,
    method: hyper::Method,
    path: &str,
    key: &str,
    body: Option<&Value>,
    expect: u16,
) -> anyhow::Result<Value> {
    let uri: hyper::Uri = format!("{base}{path}").parse()?;
    let host = uri.host().context("no host")?.to_owned();
    anyhow::ensure!(
        host == "127.0.0.1" || host == "localhost",
        "set-up calls target loopback only, not {host}"
    );
    let port = uri.port_u16().unwrap_or(80);
    let stream = tokio::net::TcpStream::connect((host.as_str(), port)).await?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    let mut request = hyper::Request::builder()
        .method(method.clone())
        .uri(uri)
        .header(hyper::header::HOST, format!("{host}:{port}"))
        .header(hyper::header::AUTHORIZATION, format!("Token {key}"));
    let bytes = match body {
        Some(json) => {
            request = request.header(hyper::header::CONTENT_TYPE, "application/json");
            Bytes::from(json.to_string())
        }
        None => Bytes::new(),
    };
    let response = sender.send_request(request.body(Full::new(bytes))?).await?;
    let status = response.status().as_u16();
    let body = response.into_body().collect().await?.to_bytes();
    if status != expect {
        bail!(
            "{method} {path}: expected {expect}, got {status}: {}",
            String::from_utf8_lossy(&body)
        );
    }
    if body.is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_slice(&body).with_context(|| format!("{method} {path}: not JSON"))
}
