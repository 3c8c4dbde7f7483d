//! Sign-in with GitHub end to end: the api's OAuth flow (state bound to the browser by a
//! cookie, PKCE) against the mock GitHub's OAuth web flow, through the GitHub provider
//! component; then the session, the linked account and unlinking.
//!
//! `cargo xtask build && cargo test --release -p e2e-tests --test sign_in`.

use std::time::Duration;

use anyhow::{bail, Context};
use e2e_tests::{github_seed, Host, TestEnv};
use mock_providers::github::OAuthAppSeed;
use serde_json::Value;

const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const CLIENT_ID: &str = "Iv1.e2eclient0001";
const CLIENT_SECRET: &str = "e2e-oauth-client-secret-0123456789abcdef";

struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self, status: u16) -> anyhow::Result<Value> {
        if self.status != status {
            bail!("expected {status}, got {}: {}", self.status, self.body);
        }
        serde_json::from_str(&self.body).with_context(|| self.body.clone())
    }
}

/// A client that does not follow redirects (the test plays the browser).
fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

fn send(method: &str, url: &str, headers: &[(&str, &str)]) -> anyhow::Result<Answer> {
    let agent = agent();
    let result = if method == "DELETE" {
        let mut request = agent.delete(url);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.call()
    } else {
        let mut request = agent.get(url);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.call()
    };
    let mut response = result.with_context(|| format!("{method} {url}"))?;
    Ok(Answer {
        status: response.status().as_u16(),
        headers: response
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: response.body_mut().read_to_string().unwrap_or_default(),
    })
}

/// Starts a sign-in: the provider URL and the binding cookie (`name=value`).
fn start(host: &Host) -> anyhow::Result<(String, String)> {
    let started = send("GET", &host.url("/auth/github/login"), &[])?;
    if started.status != 302 {
        bail!("login: {} {}", started.status, started.body);
    }
    let location = started.header("location").context("location")?.to_owned();
    let cookie = started.header("set-cookie").context("set-cookie")?;
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    let pair = cookie.split(';').next().context("cookie pair")?.to_owned();
    Ok((location, pair))
}

/// Plays the provider's approval: the callback URL it redirects to.
fn approve(authorize_url: &str) -> anyhow::Result<String> {
    let approved = send("GET", authorize_url, &[])?;
    if approved.status != 302 {
        bail!("authorize: {} {}", approved.status, approved.body);
    }
    Ok(approved.header("location").context("callback")?.to_owned())
}

#[test]
fn sign_in_links_the_account_issues_a_session_and_refuses_replays() -> anyhow::Result<()> {
    let mut seed = github_seed();
    seed.oauth_apps.push(OAuthAppSeed {
        client_id: CLIENT_ID.into(),
        client_secret: CLIENT_SECRET.into(),
        approving_user: None,
    });
    let env = TestEnv::start(seed)?;
    let host = Host::start(
        env.host_config()
            .variable("encryption_key", KEY)
            .variable("github_oauth_client_id", CLIENT_ID)
            .variable("github_oauth_client_secret", CLIENT_SECRET)
            .variable("github_oauth_web_url", env.github().base_url()),
    )?;

    let (authorize_url, cookie) = start(&host)?;
    assert!(
        authorize_url.starts_with(env.github().base_url()),
        "{authorize_url}"
    );
    assert!(
        authorize_url.contains("code_challenge="),
        "PKCE: {authorize_url}"
    );
    assert!(authorize_url.contains("state="), "{authorize_url}");
    let callback = approve(&authorize_url)?;
    let callback_path = callback
        .strip_prefix(host.base_url())
        .context("the provider redirects to our callback")?
        .to_owned();

    // Without the browser's cookie the callback is refused, and that does not burn it.
    let foreign = send("GET", &host.url(&callback_path), &[])?.json(400)?;
    assert_eq!(foreign["type"], "/problems/sign-in-failed");
    let wrong = send(
        "GET",
        &host.url(&callback_path),
        &[("cookie", "ga_oauth_binding=somebody-else")],
    )?
    .json(400)?;
    assert!(
        wrong["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("another browser"),
        "{wrong}"
    );

    let signed_in = send("GET", &host.url(&callback_path), &[("cookie", &cookie)])?.json(200)?;
    assert_eq!(signed_in["token_type"], "Bearer");
    let session = signed_in["session_token"]
        .as_str()
        .context("session")?
        .to_owned();
    assert_eq!(
        signed_in["user"]["git_accounts"][0]["login"], "octocat",
        "{signed_in}"
    );
    assert!(
        !signed_in.to_string().contains("gho_"),
        "the OAuth token is never returned"
    );

    // The state is single use.
    let replay = send("GET", &host.url(&callback_path), &[("cookie", &cookie)])?.json(400)?;
    assert_eq!(replay["type"], "/problems/sign-in-failed");

    // The session reads the user; signing in again finds the same user.
    let bearer = format!("Bearer {session}");
    let me = send("GET", &host.url("/user"), &[("authorization", &bearer)])?.json(200)?;
    assert_eq!(me["id"], signed_in["user"]["id"]);
    let (again_url, again_cookie) = start(&host)?;
    let again_path = approve(&again_url)?
        .strip_prefix(host.base_url())
        .context("callback")?
        .to_owned();
    let again = send("GET", &host.url(&again_path), &[("cookie", &again_cookie)])?.json(200)?;
    assert_eq!(again["user"]["id"], signed_in["user"]["id"]);

    // Unlink; a bad session is 401.
    let unlinked = send(
        "DELETE",
        &host.url("/user/gitAccount/github"),
        &[("authorization", &bearer)],
    )?;
    assert_eq!(unlinked.status, 204, "{}", unlinked.body);
    let me = send("GET", &host.url("/user"), &[("authorization", &bearer)])?.json(200)?;
    assert_eq!(me["git_accounts"], serde_json::json!([]));
    let gone = send(
        "DELETE",
        &host.url("/user/gitAccount/github"),
        &[("authorization", &bearer)],
    )?;
    assert_eq!(gone.status, 404);
    let nobody = send(
        "GET",
        &host.url("/user"),
        &[("authorization", "Bearer gas_nope")],
    )?;
    assert_eq!(nobody.status, 401);

    // The OAuth token is sealed: never in the key-value file in clear.
    let db = rusqlite::Connection::open(env.state_dir().join("sqlite_key_value.db"))?;
    let mut stmt = db.prepare("SELECT key, value FROM spin_key_value")?;
    let rows: Vec<(String, Vec<u8>)> = stmt
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (key, value) in rows {
        let text = String::from_utf8_lossy(&value);
        assert!(!text.contains("gho_"), "an OAuth token in clear at {key}");
        assert!(!key.contains(&session), "the session in clear in a key");
    }
    Ok(())
}

#[test]
fn sign_in_without_client_settings_is_501() -> anyhow::Result<()> {
    let env = TestEnv::start(github_seed())?;
    let host = Host::start(env.host_config().variable("encryption_key", KEY))?;
    let answer = send("GET", &host.url("/auth/github/login"), &[])?.json(501)?;
    assert_eq!(answer["type"], "/problems/sign-in-not-configured");
    Ok(())
}
