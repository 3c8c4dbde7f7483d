//! A small blocking HTTP client for talking to the host.

use std::time::Duration;

use serde_json::Value;

use crate::HarnessError;

/// Longest a single request to the host may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// Largest response body read (event pages, repository lists).
const BODY_LIMIT: u64 = 16 * 1024 * 1024;

/// A response from the host.
#[derive(Debug, Clone)]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// Headers, names lowercase.
    pub headers: Vec<(String, String)>,
    /// Body as text.
    pub body: String,
}

impl Reply {
    /// The body parsed as JSON.
    pub fn json(&self) -> Result<Value, HarnessError> {
        serde_json::from_str(&self.body).map_err(|e| HarnessError::NotJson {
            reason: e.to_string(),
            body: self.body.clone(),
        })
    }

    /// The body parsed as JSON (`null` when empty), after checking the status is `status`.
    pub fn expect(&self, status: u16) -> Result<Value, HarnessError> {
        if self.status != status {
            return Err(HarnessError::Status {
                expected: status,
                status: self.status,
                body: self.body.clone(),
            });
        }
        if self.body.is_empty() {
            return Ok(Value::Null);
        }
        self.json()
    }

    /// First value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Agent that reports every status as a response (tests assert on 4xx/5xx) and never
/// uses a proxy (everything is on loopback).
pub(crate) fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .timeout_global(Some(REQUEST_TIMEOUT))
        .build()
        .into()
}

/// Performs one request with an optional JSON body; `Err` only when no HTTP response
/// came back.
pub(crate) fn send(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    json_body: Option<&Value>,
) -> Result<Reply, String> {
    let body = json_body.map(|b| b.to_string().into_bytes());
    let headers = match body {
        Some(_) => vec![("content-type".to_owned(), "application/json".to_owned())],
        None => Vec::new(),
    };
    send_raw(agent, method, url, &headers, body.as_deref())
}

/// Performs one request with these headers and raw body bytes (ignored for `GET` and
/// `DELETE`); `Err` only when no HTTP response came back.
pub(crate) fn send_raw(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: Option<&[u8]>,
) -> Result<Reply, String> {
    let result = match method {
        "GET" | "DELETE" => {
            let mut request = if method == "GET" {
                agent.get(url)
            } else {
                agent.delete(url)
            };
            for (name, value) in headers {
                request = request.header(name, value);
            }
            request.call()
        }
        _ => {
            let mut request = match method {
                "PUT" => agent.put(url),
                "PATCH" => agent.patch(url),
                _ => agent.post(url),
            };
            for (name, value) in headers {
                request = request.header(name, value);
            }
            match body {
                Some(body) => request.send(body),
                None => request.send_empty(),
            }
        }
    };
    let mut response = result.map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = response
        .body_mut()
        .with_config()
        .limit(BODY_LIMIT)
        .read_to_string()
        .map_err(|e| format!("reading the body: {e}"))?;
    Ok(Reply {
        status,
        headers,
        body,
    })
}
