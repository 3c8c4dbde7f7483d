//! Applications, webhooks and clone credentials end to end: the real host serving
//! `spin.toml` (api + GitHub provider component) against the mock GitHub, which installs
//! hooks and fires signed deliveries at the host's webhook receiver.
//!
//! `cargo xtask build && cargo test --release -p e2e-tests --test applications`.

use anyhow::{ensure, Context};
use e2e_tests::{
    application_request, github_seed, tokens, ApiClient, Host, HostConfig, TestEnv, DEMO_LOGIN,
};
use mock_providers::github::{signature_256, RepositorySeed, TokenSeed};
use serde_json::{json, Value};

/// Encryption key (base64 of 32 bytes) used by these tests only.
const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
/// The operator's bootstrap token in these tests.
const BOOTSTRAP: &str = "e2e-bootstrap-apps-0123456789";
/// The value a revoked token is renewed with.
const RENEWED: &str = "ghp_e2eAppsRenewed00000000000000000000007";
/// A token that expired in 2020.
const EXPIRED: &str = "ghp_e2eAppsExpired00000000000000000000008";
/// A token that expires in three days ("expires soon" under the default 14-day window).
const SOON: &str = "ghp_e2eAppsSoon0000000000000000000000009";

const PRIVATE_REPO: &str = "octocat/hello";
const PUBLIC_REPO: &str = "octocat/open";

fn start_env() -> anyhow::Result<TestEnv> {
    let env = TestEnv::start(github_seed())?;
    let github = env.github().provider();
    github.add_repository(
        RepositorySeed::private("octocat", "hello").with_branches(&["main", "dev"]),
    )?;
    github.add_repository(RepositorySeed::public("octocat", "open").with_branches(&["main"]))?;
    let classic = |value: &str| TokenSeed::classic(value, DEMO_LOGIN, &["repo", "admin:repo_hook"]);
    github.add_token(classic(RENEWED))?;
    let past = "2020-01-01T00:00:00Z".parse().context("timestamp")?;
    github.add_token(classic(EXPIRED).expiring(past))?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs() as i64;
    let soon = chrono::DateTime::from_timestamp(now + 3 * 86_400, 0).context("timestamp")?;
    github.add_token(classic(SOON).expiring(soon))?;
    Ok(env)
}

fn config(env: &TestEnv) -> HostConfig {
    env.host_config()
        .variable("encryption_key", KEY)
        .variable("bootstrap_token", BOOTSTRAP)
}

fn app_request(name: &str, repo: &str, branch: &str, token: Option<&str>) -> Value {
    application_request(
        "GITHUB",
        name,
        &format!("https://github.com/{repo}"),
        branch,
        token,
    )
}

#[test]
fn application_on_a_token_gets_a_webhook_events_and_clone_credentials() -> anyhow::Result<()> {
    let env = start_env()?;
    let host = Host::start(config(&env))?;
    let api = ApiClient::new(&host);
    let github = env.github().provider();
    let (org, key) = api.new_org(BOOTSTRAP, "Acme")?;

    let token = api
        .call(
            "POST",
            &format!("/organization/{org}/gitToken"),
            &key,
            Some(&json!({"name": "deploy", "type": "GITHUB", "token": tokens::FULL})),
        )?
        .expect(201)?;
    let token_id = token["id"].as_str().context("token id")?.to_owned();

    // Refusals that leave nothing behind.
    let missing_branch = api
        .call(
            "POST",
            &format!("/organization/{org}/application"),
            &key,
            Some(&app_request("web", PRIVATE_REPO, "nope", Some(&token_id))),
        )?
        .expect(422)?;
    assert_eq!(missing_branch["type"], "/problems/branch-not-found");
    assert_eq!(
        missing_branch["detail"],
        "The GITHUB repository 'octocat/hello' has no branch 'nope'."
    );
    let anonymous_private = api
        .call(
            "POST",
            &format!("/organization/{org}/application"),
            &key,
            Some(&app_request("web", PRIVATE_REPO, "main", None)),
        )?
        .expect(422)?;
    assert_eq!(anonymous_private["type"], "/problems/repository-not-found");
    assert!(
        github.hooks(PRIVATE_REPO).is_empty(),
        "no hook after refusals"
    );

    // Create: verified, hook installed, attached to the token.
    let app = api
        .call(
            "POST",
            &format!("/organization/{org}/application"),
            &key,
            Some(&app_request("web", PRIVATE_REPO, "main", Some(&token_id))),
        )?
        .expect(201)?;
    let app_id = app["id"].as_str().context("app id")?.to_owned();
    assert_eq!(app["git_repository"]["owner"], "octocat");
    assert_eq!(app["git_repository"]["name"], "hello");
    assert_eq!(app["git_repository"]["git_token_name"], "deploy");
    assert_eq!(app["git_repository"]["has_access"], true);
    assert!(
        app.get("webhook_setup").is_none(),
        "no manual setup with a token"
    );
    let payload_url = format!("{}/webhooks/github/{app_id}", host.base_url());
    assert_eq!(app["webhook"]["payload_url"], payload_url.as_str());
    let hooks = github.hooks(PRIVATE_REPO);
    assert_eq!(hooks.len(), 1, "{hooks:?}");
    assert_eq!(hooks[0].url, payload_url);
    assert_eq!(hooks[0].content_type, "json");
    let secret = hooks[0].secret.clone().context("the hook has a secret")?;
    assert!(
        !app.to_string().contains(&secret),
        "the secret is never in responses"
    );
    let services = api
        .call(
            "GET",
            &format!("/organization/{org}/gitToken/{token_id}/associatedServices"),
            &key,
            None,
        )?
        .expect(200)?;
    assert_eq!(services["results"][0]["service_id"], app_id.as_str());
    let listed = api
        .call(
            "GET",
            &format!("/organization/{org}/application"),
            &key,
            None,
        )?
        .expect(200)?;
    assert_eq!(listed["results"].as_array().map(Vec::len), Some(1));

    // Status.
    let status = api
        .call(
            "GET",
            &format!("/service/{app_id}/gitWebhookStatus"),
            &key,
            None,
        )?
        .expect(200)?;
    assert_eq!(status["status"], "ACTIVE", "{status}");

    // A push and a pull request become events.
    let pushed = github
        .push(PRIVATE_REPO, "main", "Fix the thing")
        .context("push")?;
    assert_eq!(pushed.len(), 1);
    assert_eq!(
        pushed[0].outcome,
        mock_providers::DeliveryOutcome::Delivered { status: 202 },
        "{pushed:?}"
    );
    let opened = github
        .pull_request(PRIVATE_REPO, "opened", 7, "dev", "main")
        .context("pr")?;
    assert_eq!(
        opened[0].outcome,
        mock_providers::DeliveryOutcome::Delivered { status: 202 }
    );
    let pushes = api.events(&org, &app_id, &key, "push")?;
    assert_eq!(pushes.len(), 1, "{pushes:?}");
    assert_eq!(pushes[0]["repository"], "octocat/hello");
    assert_eq!(pushes[0]["detail"]["value"]["ref_name"], "main");
    let prs = api.events(&org, &app_id, &key, "pull_request")?;
    assert_eq!(prs.len(), 1, "{prs:?}");
    assert_eq!(prs[0]["detail"]["value"]["number"], 7);
    // Newest first, one per page through the cursor (GitHub's creation ping is sent in
    // the background: it is recorded too when it arrives after the application was stored).
    let mut kinds = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let query = match &cursor {
            Some(c) => format!("limit=1&cursor={c}"),
            None => "limit=1".to_owned(),
        };
        let page = api
            .call(
                "GET",
                &format!("/organization/{org}/application/{app_id}/events?{query}"),
                &key,
                None,
            )?
            .expect(200)?;
        kinds.extend(
            page["results"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|e| e["detail"]["type"].clone()),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    let not_pings: Vec<&Value> = kinds.iter().filter(|k| *k != "ping").collect();
    assert_eq!(
        not_pings,
        [&json!("pull_request"), &json!("push")],
        "{kinds:?}"
    );
    assert!(kinds.len() <= 3, "{kinds:?}");

    // A replay is accepted once; a forged delivery, an unknown app and a huge body are refused.
    let delivery = &pushed[0];
    let replay_headers = &delivery.headers;
    let replay = api.deliver("github", &app_id, replay_headers, &delivery.body)?;
    let receipt = replay.expect(200)?;
    assert_eq!(receipt["status"], "duplicate");
    assert_eq!(
        api.events(&org, &app_id, &key, "push")?.len(),
        1,
        "no second event"
    );
    let mut forged_body = delivery.body.clone();
    forged_body.extend_from_slice(b" ");
    let forged = api
        .deliver("github", &app_id, replay_headers, &forged_body)?
        .expect(401)?;
    assert_eq!(forged["type"], "/problems/webhook-signature-invalid");
    let unknown = api.deliver(
        "github",
        "0b5e0f5e-8f59-4b5e-9c3a-1d2e3f4a5b6c",
        replay_headers,
        &delivery.body,
    )?;
    assert_eq!(unknown.status, 404, "{}", unknown.body);
    let huge = vec![b'x'; 1024 * 1024 + 1];
    let too_big = api.deliver("github", &app_id, replay_headers, &huge)?;
    assert_eq!(too_big.status, 413, "{}", too_big.body);

    // Clone credentials with the token's current value, audit-logged without it.
    let creds = api.call(
        "POST",
        &format!("/organization/{org}/application/{app_id}/cloneCredentials"),
        &key,
        None,
    )?;
    assert_eq!(creds.header("cache-control"), Some("no-store"));
    let creds = creds.expect(200)?;
    assert_eq!(creds["password"], tokens::FULL);
    assert_eq!(creds["account"], format!("git_token:{token_id}"));
    assert!(
        creds["url"]
            .as_str()
            .unwrap_or_default()
            .ends_with("/octocat/hello.git"),
        "{creds}"
    );
    let db = rusqlite::Connection::open(env.state_dir().join("sqlite_key_value.db"))?;
    let audit: Vec<u8> = db.query_row(
        "SELECT value FROM spin_key_value WHERE key = ?1",
        [format!("org:{org}:application:{app_id}:audit")],
        |row| row.get(0),
    )?;
    let audit = String::from_utf8_lossy(&audit).into_owned();
    assert!(audit.contains("clone_credentials"), "{audit}");
    let mut stmt = db.prepare("SELECT key, value FROM spin_key_value")?;
    let rows: Vec<(String, Vec<u8>)> = stmt
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (k, v) in &rows {
        let text = String::from_utf8_lossy(v);
        assert!(!text.contains(tokens::FULL), "token value in clear at {k}");
        assert!(!text.contains(&secret), "webhook secret in clear at {k}");
    }

    // The hook is removed at the provider: NOT_CONFIGURED; sync repairs it.
    let hook_id = hooks[0].id;
    let removed = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .build()
        .new_agent()
        .delete(&format!(
            "{}/repos/{PRIVATE_REPO}/hooks/{hook_id}",
            env.github().base_url()
        ))
        .header("authorization", &format!("token {}", tokens::FULL))
        .call()?;
    assert_eq!(removed.status().as_u16(), 204);
    let status = api
        .call(
            "GET",
            &format!("/service/{app_id}/gitWebhookStatus"),
            &key,
            None,
        )?
        .expect(200)?;
    assert_eq!(status["status"], "NOT_CONFIGURED", "{status}");
    let synced = api
        .call(
            "POST",
            &format!("/service/{app_id}/gitWebhook/sync"),
            &key,
            None,
        )?
        .expect(200)?;
    assert_eq!(synced["status"], "ACTIVE", "{synced}");
    assert_eq!(github.hooks(PRIVATE_REPO).len(), 1);

    // Someone unsubscribes the hook from pull requests: MISCONFIGURED naming the event;
    // sync fixes it.
    let hook_id = github.hooks(PRIVATE_REPO)[0].id;
    let patched = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .build()
        .new_agent()
        .patch(&format!(
            "{}/repos/{PRIVATE_REPO}/hooks/{hook_id}",
            env.github().base_url()
        ))
        .header("authorization", &format!("token {}", tokens::FULL))
        .header("content-type", "application/json")
        .send(json!({"remove_events": ["pull_request"]}).to_string())?;
    assert_eq!(patched.status().as_u16(), 200);
    let status = api
        .call(
            "GET",
            &format!("/service/{app_id}/gitWebhookStatus"),
            &key,
            None,
        )?
        .expect(200)?;
    assert_eq!(status["status"], "MISCONFIGURED", "{status}");
    assert_eq!(status["missing_events"], json!(["pull_request"]));
    let synced = api
        .call(
            "POST",
            &format!("/service/{app_id}/gitWebhook/sync"),
            &key,
            None,
        )?
        .expect(200)?;
    assert_eq!(synced["status"], "ACTIVE", "{synced}");
    assert_eq!(
        github.hooks(PRIVATE_REPO)[0].id,
        hook_id,
        "the hook was fixed in place"
    );

    // A viewer reads the status but cannot sync; another organization sees nothing.
    let viewer = api
        .call(
            "POST",
            &format!("/organization/{org}/apiToken"),
            &key,
            Some(&json!({"name": "viewer-bot", "role": "viewer"})),
        )?
        .expect(201)?;
    let viewer = viewer["token"].as_str().context("viewer key")?.to_owned();
    let status = api.call(
        "GET",
        &format!("/service/{app_id}/gitWebhookStatus"),
        &viewer,
        None,
    )?;
    assert_eq!(status.status, 200, "{}", status.body);
    let denied = api.call(
        "POST",
        &format!("/service/{app_id}/gitWebhook/sync"),
        &viewer,
        None,
    )?;
    assert_eq!(denied.status, 403, "{}", denied.body);
    let denied = api.call(
        "POST",
        &format!("/organization/{org}/application/{app_id}/cloneCredentials"),
        &viewer,
        None,
    )?;
    assert_eq!(denied.status, 403, "{}", denied.body);
    let (_, other_key) = api.new_org(BOOTSTRAP, "Acme")?;
    let hidden = api.call(
        "GET",
        &format!("/service/{app_id}/gitWebhookStatus"),
        &other_key,
        None,
    )?;
    assert_eq!(hidden.status, 404, "{}", hidden.body);
    let hidden = api.call(
        "GET",
        &format!("/organization/{org}/application/{app_id}"),
        &other_key,
        None,
    )?;
    assert_eq!(hidden.status, 404);

    // The token is revoked: access is lost (noticed by a provider call) until the value
    // is renewed with PUT, then recovers with no change to the application.
    ensure!(github.revoke_token(tokens::FULL), "revoke");
    let status = api
        .call(
            "GET",
            &format!("/service/{app_id}/gitWebhookStatus"),
            &key,
            None,
        )?
        .expect(200)?;
    assert_eq!(status["status"], "UNABLE_TO_VERIFY", "{status}");
    let lost = api
        .call(
            "GET",
            &format!("/organization/{org}/application/{app_id}"),
            &key,
            None,
        )?
        .expect(200)?;
    assert_eq!(lost["git_repository"]["has_access"], false, "{lost}");
    assert!(
        lost["git_repository"]["has_access_reason"]
            .as_str()
            .unwrap_or_default()
            .contains("deploy"),
        "{lost}"
    );
    api.call(
        "PUT",
        &format!("/organization/{org}/gitToken/{token_id}"),
        &key,
        Some(&json!({"name": "deploy", "type": "GITHUB", "token": RENEWED})),
    )?
    .expect(200)?;
    let back = api
        .call(
            "GET",
            &format!("/organization/{org}/application/{app_id}"),
            &key,
            None,
        )?
        .expect(200)?;
    assert_eq!(back["git_repository"]["has_access"], true, "{back}");
    let creds = api
        .call(
            "POST",
            &format!("/organization/{org}/application/{app_id}/cloneCredentials"),
            &key,
            None,
        )?
        .expect(200)?;
    assert_eq!(creds["password"], RENEWED, "the new value is used at once");

    // Token delete refused while used; the app delete removes the hook and the usage.
    let refused = api.call(
        "DELETE",
        &format!("/organization/{org}/gitToken/{token_id}"),
        &key,
        None,
    )?;
    assert_eq!(refused.status, 409);
    api.call(
        "DELETE",
        &format!("/organization/{org}/application/{app_id}"),
        &key,
        None,
    )?
    .expect(204)?;
    assert!(github.hooks(PRIVATE_REPO).is_empty(), "the hook is removed");
    let services = api
        .call(
            "GET",
            &format!("/organization/{org}/gitToken/{token_id}/associatedServices"),
            &key,
            None,
        )?
        .expect(200)?;
    assert_eq!(services["results"], json!([]));
    let gone = api.call(
        "GET",
        &format!("/service/{app_id}/gitWebhookStatus"),
        &key,
        None,
    )?;
    assert_eq!(gone.status, 404);
    let gone = api.deliver("github", &app_id, replay_headers, &delivery.body)?;
    assert_eq!(gone.status, 404);
    api.call(
        "DELETE",
        &format!("/organization/{org}/gitToken/{token_id}"),
        &key,
        None,
    )?
    .expect(204)?;
    let logs = host.stderr();
    for secret in [tokens::FULL, RENEWED, secret.as_str()] {
        assert!(!logs.contains(secret), "a secret reached the host's log");
    }
    Ok(())
}

#[test]
fn public_repository_without_credentials_needs_a_manual_webhook() -> anyhow::Result<()> {
    let env = start_env()?;
    let host = Host::start(config(&env))?;
    let api = ApiClient::new(&host);
    let (org, key) = api.new_org(BOOTSTRAP, "Acme")?;

    let app = api
        .call(
            "POST",
            &format!("/organization/{org}/application"),
            &key,
            Some(&app_request("docs", PUBLIC_REPO, "main", None)),
        )?
        .expect(201)?;
    let app_id = app["id"].as_str().context("app id")?.to_owned();
    let setup = &app["webhook_setup"];
    let secret = setup["secret"]
        .as_str()
        .context("secret shown once")?
        .to_owned();
    assert_eq!(
        setup["payload_url"],
        format!("{}/webhooks/github/{app_id}", host.base_url())
    );
    assert!(env.github().provider().hooks(PUBLIC_REPO).is_empty());
    let again = api
        .call(
            "GET",
            &format!("/organization/{org}/application/{app_id}"),
            &key,
            None,
        )?
        .expect(200)?;
    assert!(again.get("webhook_setup").is_none() && !again.to_string().contains(&secret));

    let status = api
        .call(
            "GET",
            &format!("/service/{app_id}/gitWebhookStatus"),
            &key,
            None,
        )?
        .expect(200)?;
    assert_eq!(status["status"], "NOT_CONFIGURED");
    assert_eq!(status["missing_events"], json!(["push", "pull_request"]));
    let sync = api.call(
        "POST",
        &format!("/service/{app_id}/gitWebhook/sync"),
        &key,
        None,
    )?;
    assert_eq!(sync.status, 409);

    // The owner pastes URL and secret; GitHub's ping arrives signed.
    let body = json!({"zen": "Keep it simple.", "hook_id": 1,
        "repository": {"id": 2, "full_name": PUBLIC_REPO, "name": "open", "owner": {"login": "octocat"}},
        "sender": {"login": "octocat"}}).to_string();
    let headers = |signature: &str| -> Vec<(String, String)> {
        vec![
            ("content-type".into(), "application/json".into()),
            ("x-github-event".into(), "ping".into()),
            (
                "x-github-delivery".into(),
                "7b2c5f9e-0000-4000-8000-000000000001".into(),
            ),
            ("x-hub-signature-256".into(), signature.to_owned()),
        ]
    };
    let wrong = api.deliver(
        "github",
        &app_id,
        &headers(&signature_256("wrong", body.as_bytes())),
        body.as_bytes(),
    )?;
    assert_eq!(wrong.status, 401, "{}", wrong.body);
    let status = api
        .call(
            "GET",
            &format!("/service/{app_id}/gitWebhookStatus"),
            &key,
            None,
        )?
        .expect(200)?;
    assert_eq!(
        status["status"], "NOT_CONFIGURED",
        "a forged delivery does not count"
    );
    let good = headers(&signature_256(&secret, body.as_bytes()));
    let first = api.deliver("github", &app_id, &good, body.as_bytes())?;
    assert_eq!(first.expect(202)?["status"], "accepted");
    let second = api.deliver("github", &app_id, &good, body.as_bytes())?;
    assert_eq!(second.expect(200)?["status"], "duplicate");
    let status = api
        .call(
            "GET",
            &format!("/service/{app_id}/gitWebhookStatus"),
            &key,
            None,
        )?
        .expect(200)?;
    assert_eq!(status["status"], "ACTIVE", "{status}");
    assert_eq!(api.events(&org, &app_id, &key, "ping")?.len(), 1);

    // Clone credentials without an account: the anonymous URL.
    let creds = api
        .call(
            "POST",
            &format!("/organization/{org}/application/{app_id}/cloneCredentials"),
            &key,
            None,
        )?
        .expect(200)?;
    assert_eq!(creds["account"], "anonymous");
    assert_eq!(creds["password"], "");
    Ok(())
}

#[test]
fn tokens_near_expiry_are_listed_and_expired_values_refused() -> anyhow::Result<()> {
    let env = start_env()?;
    let host = Host::start(config(&env))?;
    let api = ApiClient::new(&host);
    let (org, key) = api.new_org(BOOTSTRAP, "Acme")?;
    for (name, value) in [("live", tokens::FULL), ("soon", SOON)] {
        api.call(
            "POST",
            &format!("/organization/{org}/gitToken"),
            &key,
            Some(&json!({"name": name, "type": "GITHUB", "token": value})),
        )?
        .expect(201)?;
    }
    // An expired value is refused when stored, so it never backs an application.
    let expired = api.call(
        "POST",
        &format!("/organization/{org}/gitToken"),
        &key,
        Some(&json!({"name": "old", "type": "GITHUB", "token": EXPIRED})),
    )?;
    assert_eq!(expired.status, 422, "{}", expired.body);
    let all = api
        .call("GET", &format!("/organization/{org}/gitToken"), &key, None)?
        .expect(200)?;
    let expiring = api
        .call(
            "GET",
            &format!("/organization/{org}/gitToken?expiring=true"),
            &key,
            None,
        )?
        .expect(200)?;
    let names = |v: &Value| -> Vec<String> {
        v["results"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t["name"].as_str().map(str::to_owned))
            .collect()
    };
    assert_eq!(names(&all), ["live", "soon"]);
    assert_eq!(names(&expiring), ["soon"], "{expiring}");
    assert_eq!(expiring["results"][0]["expires_soon"], true);
    // A token that expires soon still backs applications.
    let soon_id = expiring["results"][0]["id"].as_str().context("id")?;
    let app = api
        .call(
            "POST",
            &format!("/organization/{org}/application"),
            &key,
            Some(&app_request("web", PRIVATE_REPO, "main", Some(soon_id))),
        )?
        .expect(201)?;
    assert_eq!(app["git_repository"]["has_access"], true);
    let bad = api.call(
        "GET",
        &format!("/organization/{org}/gitToken?expiring=maybe"),
        &key,
        None,
    )?;
    assert_eq!(bad.status, 400);
    Ok(())
}

#[test]
fn repositories_and_branches_are_listed_through_a_token_or_anonymously() -> anyhow::Result<()> {
    let env = start_env()?;
    let host = Host::start(config(&env))?;
    let api = ApiClient::new(&host);
    let (org, key) = api.new_org(BOOTSTRAP, "Acme")?;
    let token = api
        .call(
            "POST",
            &format!("/organization/{org}/gitToken"),
            &key,
            Some(&json!({"name": "deploy", "type": "GITHUB", "token": tokens::FULL})),
        )?
        .expect(201)?;
    let token_id = token["id"].as_str().context("token id")?;

    let repos = api
        .call(
            "GET",
            &format!(
                "/organization/{org}/account/github/repository?gitTokenId={token_id}&per_page=100"
            ),
            &key,
            None,
        )?
        .expect(200)?;
    let names: Vec<&str> = repos["results"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["full_name"].as_str())
        .collect();
    assert!(names.contains(&PRIVATE_REPO), "{repos}");
    let missing = api.call(
        "GET",
        &format!("/organization/{org}/account/github/repository"),
        &key,
        None,
    )?;
    assert_eq!(missing.status, 400);
    let unknown = api.call(
        "GET",
        &format!("/organization/{org}/account/gitea/repository?gitTokenId={token_id}"),
        &key,
        None,
    )?;
    assert_eq!(unknown.status, 404);

    let branches = api
        .call(
            "GET",
            &format!("/organization/{org}/account/github/repository/branch?name=octocat%2Fhello&gitTokenId={token_id}"),
            &key,
            None,
        )?
        .expect(200)?;
    let names: Vec<&str> = branches["results"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|b| b["name"].as_str())
        .collect();
    assert!(
        names.contains(&"main") && names.contains(&"dev"),
        "{branches}"
    );
    let public = api
        .call(
            "GET",
            &format!("/organization/{org}/account/github/repository/branch?name={PUBLIC_REPO}"),
            &key,
            None,
        )?
        .expect(200)?;
    assert_eq!(public["results"][0]["name"], "main", "{public}");

    // A revoked token is refused clearly, without its value.
    ensure!(env.github().provider().revoke_token(tokens::FULL), "revoke");
    let refused = api.call(
        "GET",
        &format!("/organization/{org}/account/github/repository?gitTokenId={token_id}"),
        &key,
        None,
    )?;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(!refused.body.contains(tokens::FULL));
    Ok(())
}
