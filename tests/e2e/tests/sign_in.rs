//! Sign-in with GitHub end to end: the api's OAuth flow (state bound to the browser by a
//! cookie, PKCE) against the mock GitHub's OAuth web flow, through the GitHub provider
//! component; then the session, the linked account and unlinking.
//!
//! `cargo xtask build && cargo test --release -p e2e-tests --test sign_in`.

use anyhow::Context;
use e2e_tests::{browser, github_seed, Host, TestEnv};
use mock_providers::github::OAuthAppSeed;

const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const CLIENT_ID: &str = "Iv1.e2eclient0001";
const CLIENT_SECRET: &str = "e2e-oauth-client-secret-0123456789abcdef";

fn bearer(session: &str) -> Vec<(String, String)> {
    vec![("authorization".to_owned(), format!("Bearer {session}"))]
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

    let started = browser::start_sign_in(&host, "github")?;
    let authorize_url = &started.authorize_url;
    assert!(
        started.set_cookie.contains("HttpOnly"),
        "{}",
        started.set_cookie
    );
    assert!(
        authorize_url.starts_with(env.github().base_url()),
        "{authorize_url}"
    );
    assert!(
        authorize_url.contains("code_challenge="),
        "PKCE: {authorize_url}"
    );
    assert!(authorize_url.contains("state="), "{authorize_url}");
    let callback = browser::approve(authorize_url)?;

    // Without the browser's cookie the callback is refused, and that does not burn it.
    let foreign = browser::finish_sign_in(&host, &callback, None)?.expect(400)?;
    assert_eq!(foreign["type"], "/problems/sign-in-failed");
    let wrong = browser::finish_sign_in(&host, &callback, Some("ga_oauth_binding=somebody-else"))?
        .expect(400)?;
    assert!(
        wrong["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("another browser"),
        "{wrong}"
    );

    let signed_in =
        browser::finish_sign_in(&host, &callback, Some(&started.cookie))?.expect(200)?;
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
    let replay = browser::finish_sign_in(&host, &callback, Some(&started.cookie))?.expect(400)?;
    assert_eq!(replay["type"], "/problems/sign-in-failed");

    // The session reads the user; signing in again finds the same user.
    let me = host
        .send("GET", "/user", &bearer(&session), None)?
        .expect(200)?;
    assert_eq!(me["id"], signed_in["user"]["id"]);
    let again = browser::sign_in(&host, "github")?;
    assert_eq!(again["user"]["id"], signed_in["user"]["id"]);

    // Unlink; a bad session is 401.
    let unlinked = host.send("DELETE", "/user/gitAccount/github", &bearer(&session), None)?;
    assert_eq!(unlinked.status, 204, "{}", unlinked.body);
    let me = host
        .send("GET", "/user", &bearer(&session), None)?
        .expect(200)?;
    assert_eq!(me["git_accounts"], serde_json::json!([]));
    let gone = host.send("DELETE", "/user/gitAccount/github", &bearer(&session), None)?;
    assert_eq!(gone.status, 404);
    let nobody = host.send("GET", "/user", &bearer("gas_nope"), None)?;
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
    let answer = host.get("/auth/github/login")?.expect(501)?;
    assert_eq!(answer["type"], "/problems/sign-in-not-configured");
    Ok(())
}
