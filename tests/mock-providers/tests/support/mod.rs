//! What the GitLab and Bitbucket mock tests share: a runtime for the mock and blocking
//! HTTP calls from the test thread.

#![allow(dead_code)] // Each test file uses a part.

use serde_json::Value;

/// A response as a test looks at it.
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub text: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
}

/// The mocks serve from this runtime while the test thread makes blocking calls.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// Sends a request with `headers` and an optional body; redirects are not followed.
pub fn send(method: &str, url: &str, headers: &[(&str, &str)], body: Option<&[u8]>) -> Reply {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .proxy(None)
        .build()
        .into();
    let request = ureq::http::Request::builder().method(method).uri(url);
    let request = headers
        .iter()
        .fold(request, |r, (name, value)| r.header(*name, *value));
    let request = request
        .body(body.map(<[u8]>::to_vec).unwrap_or_default())
        .expect("valid request");
    let mut response = agent.run(request).expect("request reaches the mock");
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    let text = response.body_mut().read_to_string().unwrap_or_default();
    Reply {
        status,
        headers,
        text,
    }
}

/// A GET with one header.
pub fn get(url: &str, header: Option<(&str, &str)>) -> Reply {
    send("GET", url, header.as_slice(), None)
}

/// A request with a JSON body.
pub fn send_json(method: &str, url: &str, header: (&str, &str), body: &Value) -> Reply {
    let bytes = body.to_string().into_bytes();
    send(
        method,
        url,
        &[header, ("Content-Type", "application/json")],
        Some(&bytes),
    )
}
