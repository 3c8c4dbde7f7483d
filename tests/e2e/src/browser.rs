//! The browser side of signing in: start at `/auth/{provider}/login`, let the mock
//! provider approve at once, come back to the callback with the binding cookie. Redirects
//! are not followed, so each step can be inspected.

use serde_json::Value;

use crate::{HarnessError, Host, Reply};

/// A client that does not follow redirects.
pub fn browser() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .max_redirects(0)
        .build()
        .into()
}

/// A sign-in as started: where the provider's authorization page is, and the binding
/// cookie (`name=value`) the browser got.
#[derive(Debug, Clone)]
pub struct SignInStart {
    /// The provider's authorization URL (302 `location`).
    pub authorize_url: String,
    /// The `Set-Cookie` pair to send back with the callback.
    pub cookie: String,
    /// The whole `Set-Cookie` header, for its attributes.
    pub set_cookie: String,
}

fn step_failed(step: &str, url: &str, reason: String) -> HarnessError {
    HarnessError::Http {
        method: "GET".into(),
        url: url.to_owned(),
        reason: format!("{step}: {reason}"),
        stderr: String::new(),
    }
}

/// `GET url` without following the redirect: its `location`.
fn redirect(step: &str, url: &str) -> Result<(String, ureq::http::HeaderMap), HarnessError> {
    let response = browser()
        .get(url)
        .call()
        .map_err(|e| step_failed(step, url, e.to_string()))?;
    if response.status() != 302 {
        return Err(step_failed(
            step,
            url,
            format!("HTTP {} instead of a redirect", response.status()),
        ));
    }
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| step_failed(step, url, "no location".into()))?
        .to_owned();
    Ok((location, response.headers().clone()))
}

/// `GET /auth/{provider}/login`.
pub fn start_sign_in(host: &Host, provider: &str) -> Result<SignInStart, HarnessError> {
    let url = host.url(&format!("/auth/{provider}/login"));
    let (authorize_url, headers) = redirect("login", &url)?;
    let set_cookie = headers
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| step_failed("login", &url, "no binding cookie".into()))?
        .to_owned();
    let cookie = set_cookie.split(';').next().unwrap_or_default().to_owned();
    Ok(SignInStart {
        authorize_url,
        cookie,
        set_cookie,
    })
}

/// The mock provider's approval: the callback URL it redirects to.
pub fn approve(authorize_url: &str) -> Result<String, HarnessError> {
    Ok(redirect("approval", authorize_url)?.0)
}

/// The callback as the provider redirected to it, with `cookie` (or none).
pub fn finish_sign_in(
    host: &Host,
    callback_url: &str,
    cookie: Option<&str>,
) -> Result<Reply, HarnessError> {
    let path = callback_url.strip_prefix(host.base_url()).ok_or_else(|| {
        step_failed(
            "callback",
            callback_url,
            "the provider redirected elsewhere".into(),
        )
    })?;
    let headers: Vec<(String, String)> = cookie
        .map(|c| vec![("cookie".to_owned(), c.to_owned())])
        .unwrap_or_default();
    host.send("GET", path, &headers, None)
}

/// The whole round trip; the callback's answer (`session_token`, `user`).
pub fn sign_in(host: &Host, provider: &str) -> Result<Value, HarnessError> {
    let started = start_sign_in(host, provider)?;
    let callback = approve(&started.authorize_url)?;
    finish_sign_in(host, &callback, Some(&started.cookie))?.expect(200)
}
