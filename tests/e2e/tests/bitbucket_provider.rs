//! The Bitbucket provider component (gateway ⊕ plugins/bitbucket) served by the real host
//! and called through its gateway, against the mock Bitbucket: repository and workspace
//! tokens, the required workspace, webhooks with real signed deliveries and OAuth
//! sign-in. Behaviour every provider shares is checked by the conformance suite
//! (conformance.rs).

use std::time::Duration;

use anyhow::{ensure, Context};
use e2e_tests::conformance::bitbucket::{seed, seeded, BitbucketFixture};
use e2e_tests::conformance::{delivery_json, ProviderFixture};
use e2e_tests::{error_type, Reply};
use mock_providers::bitbucket::{OAuthConsumerSeed, TokenSeed, WorkspaceSeed};
use mock_providers::Received;
use serde_json::{json, Value};

const REPOSITORY_TOKEN: &str = "ATCTT3xE2eRepositoryToken000001";
const OTHER_WORKSPACE_TOKEN: &str = "ATCTT3xE2eOtherWorkspace0000002";
const CONSUMER_KEY: &str = "e2e-bitbucket-key";
const CONSUMER_SECRET: &str = "e2e-bitbucket-secret";
const CALLBACK: &str = "https://ga.example.com/oauth/bitbucket/callback";

fn start() -> anyhow::Result<BitbucketFixture> {
    let all = ["repository", "pullrequest:write", "webhook"];
    let mut seed = seed();
    seed.workspaces.push(WorkspaceSeed::new("other", &[]));
    seed.tokens.push(TokenSeed::repository(
        REPOSITORY_TOKEN,
        seeded::WORKSPACE,
        seeded::REPOSITORY,
        &all,
    ));
    seed.tokens
        .push(TokenSeed::workspace(OTHER_WORKSPACE_TOKEN, "other", &all));
    seed.oauth_consumers.push(OAuthConsumerSeed {
        key: CONSUMER_KEY.into(),
        secret: CONSUMER_SECRET.into(),
        callback_url: CALLBACK.into(),
        user: seeded::USER.into(),
        scopes: vec![
            "account".into(),
            "repository".into(),
            "pullrequest:write".into(),
            "webhook".into(),
        ],
    });
    Ok(BitbucketFixture::start_with(seed)?)
}

fn repo() -> Value {
    json!({"owner": seeded::WORKSPACE, "name": seeded::REPOSITORY})
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

fn validate(fx: &BitbucketFixture, conn: Value) -> anyhow::Result<Reply> {
    Ok(fx
        .gateway()
        .call("validate-token", &json!({"conn": conn}))?)
}

#[test]
fn a_repository_token_reports_its_kind_and_workspace() -> anyhow::Result<()> {
    let fx = start()?;
    let report = ok(&validate(&fx, fx.connection(REPOSITORY_TOKEN))?)?;
    assert_eq!(report["kind"], "repository_token", "{report}");
    assert_eq!(report["workspace"], seeded::WORKSPACE);
    assert_eq!(report["account"], "access token of acme/api");
    assert_eq!(report["missing"], json!([]));
    assert!(report["expires_at"].is_null());
    let workspace = ok(&validate(&fx, fx.connection(seeded::FULL))?)?;
    assert_eq!(workspace["kind"], "workspace_token");
    let repositories = ok(&fx.gateway().call(
        "list-repositories",
        &json!({"conn": fx.connection(REPOSITORY_TOKEN), "page": {"cursor": null, "per_page": 10, "search": null}}),
    )?)?;
    assert_eq!(
        repositories["items"].as_array().map(Vec::len),
        Some(1),
        "{repositories}"
    );
    assert!(
        fx.env().mock().requests().iter().all(|r| r.method == "GET"),
        "validation never writes"
    );
    Ok(())
}

#[test]
fn the_workspace_is_required_and_checked() -> anyhow::Result<()> {
    let fx = start()?;
    let conn = |token: &str, workspace: Value| json!({"api_url": "", "token": token, "workspace": workspace});
    let missing = expect_error(
        &validate(&fx, conn(seeded::FULL, Value::Null))?,
        400,
        "invalid_input",
    )?;
    assert!(
        missing.to_string().contains("workspace is required"),
        "{missing}"
    );
    let unknown = expect_error(
        &validate(&fx, conn(seeded::FULL, json!("no-such-workspace")))?,
        404,
        "not_found",
    )?;
    assert!(
        unknown.to_string().contains("no-such-workspace"),
        "{unknown}"
    );
    let foreign = expect_error(
        &validate(&fx, conn(OTHER_WORKSPACE_TOKEN, json!(seeded::WORKSPACE)))?,
        403,
        "forbidden",
    )?;
    assert!(
        foreign.to_string().contains("another workspace"),
        "{foreign}"
    );
    expect_error(
        &validate(&fx, conn(seeded::FULL, json!("acme/../x")))?,
        400,
        "invalid_input",
    )?;
    Ok(())
}

#[test]
fn missing_scopes_expired_and_revoked_tokens() -> anyhow::Result<()> {
    let fx = start()?;
    let report = ok(&validate(&fx, fx.connection(seeded::WEBHOOK_ONLY))?)?;
    assert_eq!(
        report["missing"],
        json!(["repository", "pullrequest:write"])
    );
    expect_error(
        &validate(&fx, fx.connection(seeded::EXPIRED))?,
        401,
        "unauthorized",
    )?;
    ok(&validate(&fx, fx.connection(REPOSITORY_TOKEN))?)?;
    assert!(fx.env().provider().revoke_token(REPOSITORY_TOKEN));
    expect_error(
        &validate(&fx, fx.connection(REPOSITORY_TOKEN))?,
        401,
        "unauthorized",
    )?;
    Ok(())
}

fn delivery_of(received: &Received) -> (Vec<(String, String)>, Vec<u8>) {
    (received.headers.clone(), received.body.clone())
}

#[test]
fn webhook_round_trip_with_real_signed_deliveries() -> anyhow::Result<()> {
    let fx = start()?;
    let sink = fx.env().webhook_sink()?;
    let url = format!("{}/hooks/bitbucket/app-1", sink.base_url());
    let secret = "e2e-webhook-secret";
    let conn = fx.connection(REPOSITORY_TOKEN);
    let created = ok(&fx.gateway().call(
        "create-webhook",
        &json!({"conn": conn, "repo": repo(), "spec": {
            "url": url, "secret": secret, "events": ["push", "pull_request"], "description": "app-1"}}),
    )?)?;
    assert_eq!(created["has_secret"], true);
    let hooks = fx.env().provider().hooks("acme/api");
    assert_eq!(hooks.len(), 1);
    assert_eq!(hooks[0].secret.as_deref(), Some(secret));
    assert_eq!(
        hooks[0].events,
        [
            "repo:push",
            "pullrequest:created",
            "pullrequest:updated",
            "pullrequest:fulfilled",
            "pullrequest:rejected"
        ]
    );

    fx.env()
        .provider()
        .push("acme/api", "feature/login", seeded::USER, "Deploy me")
        .context("push")?;
    fx.env()
        .provider()
        .pull_request(
            "acme/api",
            "pullrequest:fulfilled",
            9,
            "develop",
            "main",
            seeded::USER,
        )
        .context("pull request")?;
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
    assert_eq!(event["provider_event"], "repo:push");
    assert_eq!(event["repository"], "acme/api");
    assert_eq!(event["sender"], seeded::USER);
    assert_eq!(
        event["delivery_id"].as_str(),
        received[0].header("x-request-uuid")
    );
    let push = &event["detail"]["value"];
    assert_eq!(push["ref"], "refs/heads/feature/login");
    assert_eq!(push["created"], true);
    assert_eq!(push["head_commit"]["message"], "Deploy me");
    assert_eq!(push["after"].as_str().map(str::len), Some(40));

    let (pr_headers, pr_body) = delivery_of(&received[1]);
    let pr = ok(&verify(secret, &pr_headers, &pr_body)?)?;
    assert_eq!(pr["detail"]["value"]["action"], "merged");
    assert_eq!(pr["detail"]["value"]["number"], 9);
    assert_eq!(
        pr["detail"]["value"]["head_sha"].as_str().map(str::len),
        Some(12)
    );

    let mut tampered = body.clone();
    tampered.push(b' ');
    expect_error(&verify(secret, &headers, &tampered)?, 401, "unauthorized")?;
    expect_error(
        &verify("another-secret", &headers, &body)?,
        401,
        "unauthorized",
    )?;
    let unsigned: Vec<(String, String)> = headers
        .iter()
        .filter(|(n, _)| !n.eq_ignore_ascii_case("x-hub-signature"))
        .cloned()
        .collect();
    expect_error(&verify(secret, &unsigned, &body)?, 401, "unauthorized")?;

    let id = created["id"].as_str().context("hook id")?;
    ok(&fx.gateway().call(
        "delete-webhook",
        &json!({"conn": conn, "repo": repo(), "id": id}),
    )?)?;
    assert!(fx.env().provider().hooks("acme/api").is_empty());
    Ok(())
}

#[test]
fn oauth_sign_in_and_clone_credentials() -> anyhow::Result<()> {
    let fx = start()?;
    let root = fx.env().web_url();
    let cloud = json!({"client_id": CONSUMER_KEY, "client_secret": CONSUMER_SECRET,
                       "redirect_uri": CALLBACK, "web_url": ""});
    let url = ok(&fx.gateway().call(
        "oauth-authorize-url",
        &json!({"req": {"client": cloud, "state": "st", "code_challenge": null, "scopes": []}}),
    )?)?;
    assert!(
        url.as_str().is_some_and(|u| u.starts_with(&format!(
            "https://bitbucket.org/site/oauth2/authorize?client_id={CONSUMER_KEY}&response_type=code&"
        ))),
        "{url}"
    );

    let client = json!({"client_id": CONSUMER_KEY, "client_secret": CONSUMER_SECRET,
                        "redirect_uri": CALLBACK, "web_url": root});
    let code = fx
        .env()
        .provider()
        .authorize(CONSUMER_KEY, Some(CALLBACK), None)
        .context("code")?;
    let tokens = ok(&fx.gateway().call(
        "oauth-exchange-code",
        &json!({"req": {"client": client, "code": code, "code_verifier": null}}),
    )?)?;
    assert_eq!(
        tokens["scopes"],
        json!(["account", "repository", "pullrequest:write", "webhook"])
    );
    let access_token = tokens["access_token"].as_str().context("access token")?;
    let report = ok(&validate(&fx, fx.connection(access_token))?)?;
    assert_eq!(report["kind"], "oauth_token");
    assert_eq!(report["account"], seeded::USER);
    assert_eq!(report["missing"], json!([]));

    let access = ok(&fx.gateway().call(
        "clone-credentials",
        &json!({"conn": fx.connection(access_token), "repo": repo()}),
    )?)?;
    let host = root.trim_start_matches("http://");
    assert_eq!(access["username"], "x-token-auth");
    assert_eq!(
        access["url_with_credentials"],
        format!("http://x-token-auth:{access_token}@{host}/acme/api.git")
    );
    Ok(())
}
