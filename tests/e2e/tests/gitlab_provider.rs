//! The GitLab provider component (gateway ⊕ plugins/gitlab) served by the real host and
//! called through its gateway, against the mock GitLab: project, group, personal and
//! OAuth tokens, roles and scopes, webhooks with real deliveries, self-managed URLs and
//! OAuth sign-in. Behaviour every provider shares is checked by the conformance suite
//! (conformance.rs).

use std::time::Duration;

use anyhow::{ensure, Context};
use e2e_tests::conformance::gitlab::{seed, seeded, GitLabFixture};
use e2e_tests::conformance::{delivery_json, ProviderFixture};
use e2e_tests::{error_type, Reply};
use mock_providers::gitlab::{AccessLevel, OAuthAppSeed, TokenSeed};
use mock_providers::Received;
use serde_json::{json, Value};

const PROJECT_MAINTAINER: &str = "glpat-e2eProjectMaintainer0000001";
const CLIENT_ID: &str = "e2e-gitlab-app";
const CLIENT_SECRET: &str = "e2e-gitlab-secret";
const REDIRECT_URI: &str = "https://ga.example.com/oauth/gitlab/callback";

fn start() -> anyhow::Result<GitLabFixture> {
    let mut seed = seed();
    let project = format!("{}/{}", seeded::NAMESPACE, seeded::PROJECT);
    let token = TokenSeed::project(
        PROJECT_MAINTAINER,
        &project,
        AccessLevel::Maintainer,
        &["api", "read_repository"],
    );
    seed.tokens.push(match "2099-06-30".parse() {
        Ok(day) => token.expiring(day),
        Err(_) => token,
    });
    seed.oauth_apps.push(OAuthAppSeed {
        client_id: CLIENT_ID.into(),
        client_secret: CLIENT_SECRET.into(),
        redirect_uri: REDIRECT_URI.into(),
        user: seeded::USER.into(),
    });
    Ok(GitLabFixture::start_with(seed)?)
}

fn repo() -> Value {
    json!({"owner": seeded::NAMESPACE, "name": seeded::PROJECT})
}

fn ok(reply: &Reply) -> anyhow::Result<Value> {
    ensure!(reply.status == 200, "HTTP {}: {}", reply.status, reply.body);
    Ok(reply.json()?)
}

fn expect_error(reply: &Reply, status: u16, kind: &str) -> anyhow::Result<Value> {
    ensure!(
        reply.status == status && error_type(reply).as_deref() == Some(kind),
        "expected {status} {kind}, got {}: {}",
        reply.status,
        reply.body
    );
    Ok(reply.json()?)
}

fn validate(fx: &GitLabFixture, token: &str) -> anyhow::Result<Reply> {
    Ok(fx
        .gateway()
        .call("validate-token", &json!({"conn": fx.connection(token)}))?)
}

#[test]
fn a_project_token_reports_kind_bot_account_project_and_expiry() -> anyhow::Result<()> {
    let fx = start()?;
    let report = ok(&validate(&fx, PROJECT_MAINTAINER)?)?;
    assert_eq!(report["kind"], "project_token", "{report}");
    let account = report["account"].as_str().unwrap_or_default();
    assert!(
        account.starts_with("project_") && account.contains("_bot_"),
        "{report}"
    );
    assert_eq!(report["workspace"], "acme/platform/api");
    assert_eq!(report["expires_at"], "2099-06-30T00:00:00Z");
    assert_eq!(report["missing"], json!([]));
    assert_eq!(report["scopes"], json!(["api", "read_repository"]));
    let statuses: Vec<(&str, &str)> = report["permissions"]
        .as_array()
        .context("permissions")?
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap_or(""),
                p["status"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [
            ("api", "granted"),
            ("read_repository", "granted"),
            ("maintainer", "granted")
        ]
    );

    let group = ok(&validate(&fx, seeded::GROUP_MAINTAINER)?)?;
    assert_eq!(
        (group["kind"].clone(), group["workspace"].clone()),
        (json!("group_token"), json!("acme"))
    );
    assert!(
        fx.env().mock().requests().iter().all(|r| r.method == "GET"),
        "validation never writes"
    );
    Ok(())
}

#[test]
fn a_low_role_and_missing_scopes_are_named_with_reasons() -> anyhow::Result<()> {
    let fx = start()?;
    let report = ok(&validate(&fx, seeded::PROJECT_DEVELOPER)?)?;
    assert_eq!(report["missing"], json!(["maintainer"]));
    let role = &report["permissions"][2];
    assert!(
        role["reason"]
            .as_str()
            .is_some_and(|r| r.contains("Developer (30)")),
        "{role}"
    );
    let report = ok(&validate(&fx, seeded::NO_API)?)?;
    assert_eq!(report["missing"], json!(["api"]));
    assert_eq!(report["permissions"][2]["status"], "unverified");
    assert!(
        !report["warnings"].as_array().is_some_and(Vec::is_empty),
        "{report}"
    );
    Ok(())
}

#[test]
fn expired_and_revoked_tokens_are_unauthorized() -> anyhow::Result<()> {
    let fx = start()?;
    let expired = expect_error(&validate(&fx, seeded::EXPIRED)?, 401, "unauthorized")?;
    assert!(expired.to_string().contains("expired"), "{expired}");
    ok(&validate(&fx, PROJECT_MAINTAINER)?)?;
    assert!(fx.env().provider().revoke_token(PROJECT_MAINTAINER));
    let revoked = expect_error(&validate(&fx, PROJECT_MAINTAINER)?, 401, "unauthorized")?;
    assert!(revoked.to_string().contains("revoked"), "{revoked}");
    Ok(())
}

#[test]
fn projects_and_branches_page_past_the_first_page() -> anyhow::Result<()> {
    let fx = start()?;
    let conn = fx.connection(seeded::GROUP_MAINTAINER);
    let page = |cursor: Value| -> anyhow::Result<Value> {
        ok(&fx.gateway().call(
            "list-repositories",
            &json!({"conn": conn, "page": {"cursor": cursor, "per_page": 50, "search": null}}),
        )?)
    };
    let first = page(Value::Null)?;
    assert_eq!(first["items"].as_array().map(Vec::len), Some(50));
    assert_eq!(first["next"], "2:50");
    let third = page(json!("3:50"))?;
    assert_eq!(third["items"].as_array().map(Vec::len), Some(21));
    assert!(third["next"].is_null());
    let api = &first["items"][0];
    assert_eq!(api["full_name"], "acme/platform/api", "path order");
    assert_eq!(api["can_admin_hooks"], true);
    assert!(api["clone_url"]
        .as_str()
        .is_some_and(|u| u.ends_with("/acme/platform/api.git")));

    let branches = ok(&fx.gateway().call(
        "list-branches",
        &json!({"conn": conn, "repo": repo(), "page": {"cursor": null, "per_page": 2, "search": "RELEASE"}}),
    )?)?;
    assert_eq!(branches["items"][0]["name"], "release/1.0");
    assert!(branches["next"].is_null());
    Ok(())
}

fn delivery_of(received: &Received) -> (Vec<(String, String)>, Vec<u8>) {
    (received.headers.clone(), received.body.clone())
}

#[test]
fn webhook_round_trip_with_real_deliveries() -> anyhow::Result<()> {
    let fx = start()?;
    let sink = fx.env().webhook_sink()?;
    let url = format!("{}/hooks/gitlab/app-1", sink.base_url());
    let secret = "e2e-webhook-secret";
    let conn = fx.connection(PROJECT_MAINTAINER);
    let created = ok(&fx.gateway().call(
        "create-webhook",
        &json!({"conn": conn, "repo": repo(), "spec": {
            "url": url, "secret": secret, "events": ["push", "pull_request"], "description": "app-1"}}),
    )?)?;
    assert_eq!(created["events"], json!(["push", "pull_request"]));
    let hooks = fx.env().provider().hooks("acme/platform/api");
    assert_eq!(hooks.len(), 1);
    assert_eq!(
        hooks[0].token.as_deref(),
        Some(secret),
        "the secret is the hook's token"
    );

    fx.env()
        .provider()
        .push("acme/platform/api", "main", seeded::USER, "Deploy me")
        .context("push")?;
    fx.env()
        .provider()
        .merge_request(
            "acme/platform/api",
            "update",
            4,
            "develop",
            "main",
            seeded::USER,
        )
        .context("merge request")?;
    let received = sink.provider().wait_for(2, Duration::from_secs(10));
    ensure!(received.len() == 2, "deliveries: {received:?}");

    let verify = |secret: &str, headers: &[(String, String)], body: &[u8]| {
        fx.gateway().call(
            "verify-webhook",
            &json!({"secret": secret, "delivery": delivery_json(headers, body)}),
        )
    };
    let (headers, body) = delivery_of(&received[0]);
    let event = ok(&verify(secret, &headers, &body)?)?;
    assert_eq!(event["provider_event"], "Push Hook");
    assert_eq!(event["repository"], "acme/platform/api");
    assert_eq!(event["sender"], seeded::USER);
    assert_eq!(
        event["delivery_id"].as_str(),
        received[0].header("idempotency-key")
    );
    let push = &event["detail"]["value"];
    assert_eq!(event["detail"]["type"], "push");
    assert_eq!(push["ref"], "refs/heads/main");
    assert_eq!(push["head_commit"]["message"], "Deploy me");

    let (mr_headers, mr_body) = delivery_of(&received[1]);
    let mr = ok(&verify(secret, &mr_headers, &mr_body)?)?;
    assert_eq!(mr["detail"]["type"], "pull_request");
    assert_eq!(mr["detail"]["value"]["action"], "synchronized");
    assert_eq!(mr["detail"]["value"]["number"], 4);

    // Forgeries: a token off by one character, another secret, no token at all.
    let tampered: Vec<(String, String)> = headers
        .iter()
        .map(|(n, v)| {
            let value = if n.eq_ignore_ascii_case("x-gitlab-token") {
                format!("{}X", &v[..v.len() - 1])
            } else {
                v.clone()
            };
            (n.clone(), value)
        })
        .collect();
    expect_error(&verify(secret, &tampered, &body)?, 401, "unauthorized")?;
    expect_error(
        &verify("another-secret", &headers, &body)?,
        401,
        "unauthorized",
    )?;
    let unsigned: Vec<(String, String)> = headers
        .iter()
        .filter(|(n, _)| !n.eq_ignore_ascii_case("x-gitlab-token"))
        .cloned()
        .collect();
    expect_error(&verify(secret, &unsigned, &body)?, 401, "unauthorized")?;
    let no_event: Vec<(String, String)> = headers
        .iter()
        .filter(|(n, _)| !n.eq_ignore_ascii_case("x-gitlab-event"))
        .cloned()
        .collect();
    expect_error(&verify(secret, &no_event, &body)?, 400, "invalid_input")?;

    let id = created["id"].as_str().context("hook id")?;
    ok(&fx.gateway().call(
        "delete-webhook",
        &json!({"conn": conn, "repo": repo(), "id": id}),
    )?)?;
    assert!(fx.env().provider().hooks("acme/platform/api").is_empty());
    Ok(())
}

#[test]
fn a_developer_cannot_create_the_webhook() -> anyhow::Result<()> {
    let fx = start()?;
    let reply = fx.gateway().call(
        "create-webhook",
        &json!({"conn": fx.connection(seeded::PROJECT_DEVELOPER), "repo": repo(), "spec": {
            "url": "https://ga.example.com/hooks/x", "secret": "s", "events": [], "description": ""}}),
    )?;
    let body = expect_error(&reply, 403, "forbidden")?;
    assert_eq!(body["error"]["value"]["missing"], json!(["maintainer"]));
    Ok(())
}

#[test]
fn self_managed_urls_web_root_api_url_clone_and_oauth() -> anyhow::Result<()> {
    let fx = start()?;
    let root = fx.env().web_url();
    // The instance's web root and its API URL both work as `api-url`.
    for api_url in [root.clone(), format!("{root}/api/v4/")] {
        let conn = json!({"api_url": api_url, "token": PROJECT_MAINTAINER, "workspace": null});
        let report = ok(&fx
            .gateway()
            .call("validate-token", &json!({"conn": conn}))?)?;
        assert_eq!(report["kind"], "project_token", "{api_url}: {report}");
        let access = ok(&fx
            .gateway()
            .call("clone-credentials", &json!({"conn": conn, "repo": repo()}))?)?;
        assert_eq!(access["url"], format!("{root}/acme/platform/api.git"));
        assert_eq!(access["username"], "oauth2");
        let host = root.trim_start_matches("http://");
        assert_eq!(
            access["url_with_credentials"],
            format!("http://oauth2:{PROJECT_MAINTAINER}@{host}/acme/platform/api.git")
        );
    }

    let client = json!({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                        "redirect_uri": REDIRECT_URI, "web_url": root});
    let url = ok(&fx.gateway().call(
        "oauth-authorize-url",
        &json!({"req": {"client": client, "state": "st", "code_challenge": null, "scopes": []}}),
    )?)?;
    let url = url.as_str().context("url")?;
    assert!(
        url.starts_with(&format!("{root}/oauth/authorize?client_id={CLIENT_ID}&")),
        "{url}"
    );
    assert!(
        url.contains("scope=api%20read_repository%20read_user"),
        "{url}"
    );

    let verifier = "dBjftJeZ4CVP-mJ92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let challenge = "ngF5GsXcbwljx6u133FFr3Xht9xooA_DuaX_3QwODtc";
    let code = fx
        .env()
        .provider()
        .authorize(
            CLIENT_ID,
            &["api", "read_repository", "read_user"],
            REDIRECT_URI,
            Some(challenge),
        )
        .context("code")?;
    let tokens = ok(&fx.gateway().call(
        "oauth-exchange-code",
        &json!({"req": {"client": client, "code": code, "code_verifier": verifier}}),
    )?)?;
    assert_eq!(
        tokens["scopes"],
        json!(["api", "read_repository", "read_user"])
    );
    assert!(tokens["refresh_token"].is_string() && tokens["expires_at"].is_string());
    let access_token = tokens["access_token"].as_str().context("access token")?;
    let report = ok(&validate(&fx, access_token)?)?;
    assert_eq!(report["kind"], "oauth_token");
    assert_eq!(report["account"], seeded::USER);
    assert_eq!(report["missing"], json!([]), "{report}");

    let reused = fx.gateway().call(
        "oauth-exchange-code",
        &json!({"req": {"client": client, "code": code, "code_verifier": verifier}}),
    )?;
    expect_error(&reused, 400, "invalid_input")?;
    Ok(())
}
