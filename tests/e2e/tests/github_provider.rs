//! The GitHub provider component (gateway ⊕ plugins/github) served by the real host and
//! called through its gateway, against the mock GitHub: every token kind, webhooks with
//! real signed deliveries, the signature vector of GitHub's documentation, throttling and
//! outages, OAuth sign-in, anonymous access and GitHub Enterprise Server URLs.
//! Behaviour every provider shares is checked by the conformance suite (conformance.rs).

use std::time::Duration;

use anyhow::{ensure, Context};
use e2e_tests::conformance::delivery_json;
use e2e_tests::{error_type, ProviderGateway, Reply, TestEnv};
use mock_providers::github::{
    Access, GitHubSeed, OAuthAppSeed, OrgRole, RepositorySeed, TokenKind, TokenSeed, UserSeed,
};
use mock_providers::{Fault, Received};
use serde_json::{json, Value};

const USER: &str = "octocat";
const ORG: &str = "octo-org";
/// A user whose account may make two API calls an hour.
const BUSY_USER: &str = "busy-bee";

mod tokens {
    pub const CLASSIC: &str = "ghp_githubE2eClassic000000000000000001";
    pub const OAUTH: &str = "gho_githubE2eOAuth00000000000000000002";
    pub const FINE: &str = "github_pat_githubE2eFine_00000000003";
    pub const FINE_NOTHING_SELECTED: &str = "github_pat_githubE2eFineEmpty_00004";
    pub const FINE_EXPIRED: &str = "github_pat_githubE2eFineExpired_0005";
    pub const APP_USER: &str = "ghu_githubE2eAppUser0000000000000000006";
    pub const INSTALLATION: &str = "ghs_githubE2eInstallation00000000000007";
    pub const INSTALLATION_NO_HOOKS: &str = "ghs_githubE2eInstallNoHooks0000000008";
    pub const OAUTH_REVOKED: &str = "gho_githubE2eOAuthRevoked000000000009";
    pub const SMALL_QUOTA: &str = "ghp_githubE2eSmallQuota00000000000010";
}

const CLIENT_ID: &str = "Iv1.e2eclient";
const CLIENT_SECRET: &str = "e2e-client-secret";

fn seed() -> GitHubSeed {
    let all = [
        ("contents", Access::Read),
        ("webhooks", Access::Write),
        ("pull_requests", Access::Write),
    ];
    let at = |text: &str| text.parse().ok();
    let mut classic = TokenSeed::classic(tokens::CLASSIC, USER, &["repo", "admin:repo_hook"]);
    classic.expires_at = at("2099-12-01T10:00:00Z");
    let mut fine = TokenSeed::fine_grained(tokens::FINE, USER, &all);
    fine.expires_at = at("2099-06-30T00:00:00Z");
    let mut fine_expired = TokenSeed::fine_grained(tokens::FINE_EXPIRED, USER, &all);
    fine_expired.expires_at = at("2020-01-01T00:00:00Z");
    GitHubSeed {
        users: vec![
            UserSeed {
                name: Some("The Octocat".into()),
                ..UserSeed::user(USER)
            },
            UserSeed::organization(ORG, &[(USER, OrgRole::Admin)]),
            UserSeed {
                rate_limit: Some(2),
                ..UserSeed::user(BUSY_USER)
            },
        ],
        repositories: vec![
            RepositorySeed::private(ORG, "platform").with_branches(&["main", "develop"]),
            RepositorySeed::public(ORG, "website").with_branches(&["main", "gh-pages"]),
            RepositorySeed::private(USER, "secret-service"),
        ],
        tokens: vec![
            classic,
            TokenSeed::classic(
                tokens::OAUTH,
                USER,
                &["repo", "admin:repo_hook", "read:user"],
            )
            .with_kind(TokenKind::Oauth),
            TokenSeed::classic(tokens::OAUTH_REVOKED, USER, &["repo"])
                .with_kind(TokenKind::Oauth)
                .revoked(),
            fine,
            TokenSeed::fine_grained(tokens::FINE_NOTHING_SELECTED, USER, &all).only(&[]),
            fine_expired,
            TokenSeed::fine_grained(tokens::APP_USER, USER, &all).with_kind(TokenKind::AppUser),
            TokenSeed::fine_grained(tokens::INSTALLATION, ORG, &all)
                .with_kind(TokenKind::Installation)
                .only(&["octo-org/platform", "octo-org/website"]),
            TokenSeed::fine_grained(
                tokens::INSTALLATION_NO_HOOKS,
                ORG,
                &[("contents", Access::Read), ("pull_requests", Access::Write)],
            )
            .with_kind(TokenKind::Installation)
            .only(&["octo-org/platform"]),
            TokenSeed::classic(tokens::SMALL_QUOTA, BUSY_USER, &["repo", "admin:repo_hook"]),
        ],
        oauth_apps: vec![OAuthAppSeed {
            client_id: CLIENT_ID.into(),
            client_secret: CLIENT_SECRET.into(),
            approving_user: Some(USER.into()),
        }],
        ..GitHubSeed::default()
    }
}

fn conn(token: &str) -> Value {
    json!({"api_url": "", "token": token, "workspace": null})
}

fn repo(owner: &str, name: &str) -> Value {
    json!({"owner": owner, "name": name})
}

fn ok(gateway: &ProviderGateway, function: &str, args: Value) -> anyhow::Result<Value> {
    let reply = gateway.call(function, &args)?;
    ensure!(
        reply.status == 200,
        "{function}: {} {}",
        reply.status,
        reply.body
    );
    Ok(reply.json()?)
}

fn fails(
    gateway: &ProviderGateway,
    function: &str,
    args: Value,
    status: u16,
    kind: &str,
) -> anyhow::Result<Reply> {
    let reply = gateway.call(function, &args)?;
    ensure!(
        reply.status == status && error_type(&reply).as_deref() == Some(kind),
        "{function}: expected {status} {kind}, got {} {}",
        reply.status,
        reply.body
    );
    Ok(reply)
}

fn validate(gateway: &ProviderGateway, token: &str) -> anyhow::Result<Value> {
    ok(gateway, "validate-token", json!({"conn": conn(token)}))
}

fn statuses(report: &Value) -> Vec<(String, String)> {
    report["permissions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            (
                p["name"].as_str().unwrap_or_default().to_owned(),
                p["status"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

#[test]
fn every_token_kind_is_recognised_with_its_evidence_and_nothing_is_written() -> anyhow::Result<()> {
    let env = TestEnv::start(seed())?;
    let gateway = env.github_gateway()?;

    let classic = validate(&gateway, tokens::CLASSIC)?;
    assert_eq!(classic["kind"], "classic_pat", "{classic}");
    assert_eq!(classic["account"], USER);
    assert_eq!(classic["account_name"], "The Octocat");
    assert_eq!(classic["scopes"], json!(["repo", "admin:repo_hook"]));
    assert_eq!(classic["expires_at"], "2099-12-01T10:00:00Z");
    assert_eq!(
        statuses(&classic),
        pairs(&[("repo", "granted"), ("admin:repo_hook", "granted")])
    );

    let oauth = validate(&gateway, tokens::OAUTH)?;
    assert_eq!(oauth["kind"], "oauth_token", "{oauth}");
    assert_eq!(oauth["missing"], json!([]));

    let fine = validate(&gateway, tokens::FINE)?;
    assert_eq!(fine["kind"], "fine_grained_pat", "{fine}");
    assert_eq!(fine["missing"], json!([]));
    assert_eq!(fine["expires_at"], "2099-06-30T00:00:00Z");
    assert_eq!(
        statuses(&fine),
        pairs(&[
            ("contents:read", "granted"),
            ("webhooks:write", "unverified"),
            ("pull_requests:write", "unverified"),
        ]),
        "write access cannot be proven without writing: {fine}"
    );
    assert_eq!(
        fine["scopes"],
        json!(["contents:read", "webhooks:read", "pull_requests:read"])
    );
    let warnings = fine["warnings"].to_string();
    assert!(
        warnings.contains("no read-only way to check write access"),
        "{fine}"
    );

    let app_user = validate(&gateway, tokens::APP_USER)?;
    assert_eq!(app_user["kind"], "app_token", "{app_user}");
    assert_eq!(app_user["account"], USER);
    assert_eq!(app_user["missing"], json!([]));

    let installation = validate(&gateway, tokens::INSTALLATION)?;
    assert_eq!(installation["kind"], "app_token", "{installation}");
    assert_eq!(
        installation["account"], ORG,
        "an installation acts for its account"
    );
    assert_eq!(installation["missing"], json!([]));
    let no_hooks = validate(&gateway, tokens::INSTALLATION_NO_HOOKS)?;
    assert_eq!(no_hooks["missing"], json!(["webhooks:write"]), "{no_hooks}");

    let nothing_selected = validate(&gateway, tokens::FINE_NOTHING_SELECTED)?;
    assert_eq!(nothing_selected["missing"], json!([]));
    assert!(
        statuses(&nothing_selected)
            .iter()
            .all(|(_, s)| s == "unverified"),
        "{nothing_selected}"
    );
    assert!(
        nothing_selected["warnings"]
            .to_string()
            .contains("cannot reach any repository"),
        "{nothing_selected}"
    );

    for refused in [
        tokens::FINE_EXPIRED,
        tokens::OAUTH_REVOKED,
        "ghp_neverSeeded",
    ] {
        let reply = fails(
            &gateway,
            "validate-token",
            json!({"conn": conn(refused)}),
            401,
            "unauthorized",
        )?;
        assert!(
            reply.body.contains("invalid, expired or revoked"),
            "{}",
            reply.body
        );
    }

    let writes: Vec<_> = env
        .github()
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET")
        .collect();
    assert!(writes.is_empty(), "validation must never write: {writes:?}");
    Ok(())
}

#[test]
fn installation_tokens_list_their_repositories_and_anonymous_reads_public_ones(
) -> anyhow::Result<()> {
    let env = TestEnv::start(seed())?;
    let gateway = env.github_gateway()?;
    let page = json!({"cursor": null, "per_page": 10, "search": null});

    let listed = ok(
        &gateway,
        "list-repositories",
        json!({"conn": conn(tokens::INSTALLATION), "page": page}),
    )?;
    let names: Vec<&str> = listed["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["full_name"].as_str())
        .collect();
    assert_eq!(names, ["octo-org/platform", "octo-org/website"]);
    assert_eq!(env.github().calls("GET", "/installation/repositories"), 1);

    let website = ok(
        &gateway,
        "get-repository",
        json!({"conn": conn(""), "repo": repo(ORG, "website")}),
    )?;
    assert_eq!(website["visibility"], "public");
    assert_eq!(website["can_admin_hooks"], false);
    let branches = ok(
        &gateway,
        "list-branches",
        json!({"conn": conn(""), "repo": repo(ORG, "website"), "page": page}),
    )?;
    assert_eq!(
        branches["items"].as_array().map(Vec::len),
        Some(2),
        "{branches}"
    );
    fails(
        &gateway,
        "get-repository",
        json!({"conn": conn(""), "repo": repo(ORG, "platform")}),
        404,
        "not_found",
    )?;
    fails(
        &gateway,
        "list-repositories",
        json!({"conn": conn(""), "page": page}),
        400,
        "invalid_input",
    )?;
    Ok(())
}

/// Waits for `count` deliveries at the sink.
fn wait_for(
    sink: &mock_providers::MockServer<mock_providers::WebhookSink>,
    count: usize,
) -> anyhow::Result<Vec<Received>> {
    let received = sink.provider().wait_for(count, Duration::from_secs(20));
    ensure!(
        received.len() >= count,
        "expected {count} deliveries, got {received:?}"
    );
    Ok(received)
}

fn verify(gateway: &ProviderGateway, secret: &str, received: &Received) -> anyhow::Result<Reply> {
    Ok(gateway.call(
        "verify-webhook",
        &json!({"secret": secret, "delivery": delivery_json(&received.headers, &received.body)}),
    )?)
}

#[test]
fn webhooks_deliver_signed_events_that_verify_through_the_component() -> anyhow::Result<()> {
    let env = TestEnv::start(seed())?;
    let gateway = env.github_gateway()?;
    let sink = env.webhook_sink()?;
    let hook_url = format!("{}/webhooks/github/app-1", sink.base_url());
    let secret = "app-1-webhook-secret";
    let spec = |secret: &str| json!({"url": hook_url, "secret": secret, "events": ["push", "pull_request"], "description": "app-1"});

    let created = ok(
        &gateway,
        "create-webhook",
        json!({"conn": conn(tokens::CLASSIC), "repo": repo(ORG, "platform"), "spec": spec(secret)}),
    )?;
    let hooks = env.github().provider().hooks("octo-org/platform");
    assert_eq!(hooks.len(), 1);
    assert_eq!(hooks[0].content_type, "json");
    assert_eq!(hooks[0].secret.as_deref(), Some(secret));
    assert_eq!(hooks[0].events, ["push", "pull_request"]);
    assert_eq!(created["id"], hooks[0].id.to_string());

    // GitHub pings a new hook; the ping verifies with the secret.
    let ping = wait_for(&sink, 1)?.remove(0);
    assert_eq!(ping.header("x-github-event"), Some("ping"));
    let event = verify(&gateway, secret, &ping)?;
    assert_eq!(event.status, 200, "{}", event.body);
    let event = event.json()?;
    assert_eq!(event["detail"]["type"], "ping", "{event}");
    assert_eq!(event["repository"], "octo-org/platform");

    // A push arrives signed; the component normalizes it.
    let pushed = env
        .github()
        .provider()
        .push("octo-org/platform", "main", "Deploy me")
        .context("the push was fired")?;
    assert_eq!(pushed.len(), 1);
    let push = wait_for(&sink, 2)?.remove(1);
    let event = verify(&gateway, secret, &push)?.json()?;
    assert_eq!(event["provider_event"], "push", "{event}");
    assert_eq!(event["delivery_id"], pushed[0].id);
    let detail = &event["detail"]["value"];
    assert_eq!(detail["ref"], "refs/heads/main");
    assert_eq!(detail["ref_name"], "main");
    assert_eq!(detail["head_commit"]["message"], "Deploy me");
    assert_eq!(detail["commit_count"], 1);
    let branches = ok(
        &gateway,
        "list-branches",
        json!({"conn": conn(tokens::CLASSIC), "repo": repo(ORG, "platform"), "page": {"cursor": null, "per_page": 10, "search": "main"}}),
    )?;
    assert_eq!(
        branches["items"][0]["commit_sha"], detail["after"],
        "the branch now points at the pushed commit"
    );

    // Forgeries of a real delivery are refused.
    let mut tampered = push.clone();
    tampered.body.extend_from_slice(b"\n");
    for (secret, delivery) in [(secret, &tampered), ("not-the-secret", &push)] {
        let reply = verify(&gateway, secret, delivery)?;
        assert_eq!(
            (reply.status, error_type(&reply).as_deref()),
            (401, Some("unauthorized")),
            "{}",
            reply.body
        );
    }
    let mut unsigned = push.clone();
    unsigned
        .headers
        .retain(|(n, _)| !n.eq_ignore_ascii_case("x-hub-signature-256"));
    let reply = verify(&gateway, secret, &unsigned)?;
    assert_eq!(reply.status, 401, "{}", reply.body);

    // A pull request event.
    env.github()
        .provider()
        .pull_request("octo-org/platform", "opened", 7, "develop", "main")
        .context("the pull request was fired")?;
    let pr = wait_for(&sink, 3)?.remove(2);
    let event = verify(&gateway, secret, &pr)?.json()?;
    let detail = &event["detail"]["value"];
    assert_eq!(event["detail"]["type"], "pull_request", "{event}");
    assert_eq!(detail["number"], 7);
    assert_eq!(detail["action"], "opened");
    assert_eq!(detail["source_branch"], "develop");
    assert_eq!(detail["target_branch"], "main");

    // Creating again with a new secret updates the same hook (the "sync" repair).
    let again = ok(
        &gateway,
        "create-webhook",
        json!({"conn": conn(tokens::CLASSIC), "repo": repo(ORG, "platform"), "spec": spec("rotated-secret")}),
    )?;
    assert_eq!(again["id"], created["id"]);
    let hooks = env.github().provider().hooks("octo-org/platform");
    assert_eq!(hooks.len(), 1);
    assert_eq!(hooks[0].secret.as_deref(), Some("rotated-secret"));
    env.github()
        .provider()
        .push("octo-org/platform", "develop", "After rotation")
        .context("second push")?;
    let push = wait_for(&sink, 4)?.remove(3);
    assert_eq!(verify(&gateway, "rotated-secret", &push)?.status, 200);
    assert_eq!(verify(&gateway, secret, &push)?.status, 401);

    // Delete, then deliveries stop.
    let id = created["id"].as_str().unwrap_or_default().to_owned();
    ok(
        &gateway,
        "delete-webhook",
        json!({"conn": conn(tokens::CLASSIC), "repo": repo(ORG, "platform"), "id": id}),
    )?;
    let after = env
        .github()
        .provider()
        .push("octo-org/platform", "main", "Nobody listens")
        .context("third push")?;
    assert!(after.is_empty(), "no hook, no delivery");
    Ok(())
}

#[test]
fn hooks_need_admin_scopes_and_permissions() -> anyhow::Result<()> {
    let env = TestEnv::start(seed())?;
    let gateway = env.github_gateway()?;
    let spec = json!({"url": "https://ga.example.com/hooks/1", "secret": "s", "events": ["push"], "description": ""});
    let reply = fails(
        &gateway,
        "create-webhook",
        json!({"conn": conn(tokens::INSTALLATION_NO_HOOKS), "repo": repo(ORG, "platform"), "spec": spec}),
        403,
        "forbidden",
    )?;
    let body = reply.json()?;
    assert_eq!(
        body["error"]["value"]["missing"],
        json!(["webhooks:read"]),
        "{body}"
    );
    assert!(env
        .github()
        .provider()
        .hooks("octo-org/platform")
        .is_empty());
    Ok(())
}

#[test]
fn github_documentation_signature_vector() -> anyhow::Result<()> {
    let env = TestEnv::start(seed())?;
    let gateway = env.github_gateway()?;
    let signature = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
    let headers = |signature: &str| {
        vec![
            ("X-GitHub-Event".to_owned(), "ping".to_owned()),
            (
                "X-GitHub-Delivery".to_owned(),
                "72d3162e-cc78-11e3-81ab-4c9367dc0958".to_owned(),
            ),
            ("X-Hub-Signature-256".to_owned(), signature.to_owned()),
        ]
    };
    let call = |signature: &str, body: &[u8]| {
        gateway.call(
            "verify-webhook",
            &json!({"secret": "It's a Secret to Everybody", "delivery": delivery_json(&headers(signature), body)}),
        )
    };
    // The signature verifies: what fails is the body, which is not a GitHub payload.
    let reply = call(signature, b"Hello, World!")?;
    assert_eq!(
        (reply.status, error_type(&reply).as_deref()),
        (400, Some("invalid_input")),
        "{}",
        reply.body
    );
    assert!(reply.body.contains("not JSON"), "{}", reply.body);
    // One changed digit, or one changed byte of the body, and it is a forgery.
    let forged = signature.replace("757107", "757108");
    for (signature, body) in [
        (forged.as_str(), &b"Hello, World!"[..]),
        (signature, b"Hello, World?"),
    ] {
        let reply = call(signature, body)?;
        assert_eq!(
            (reply.status, error_type(&reply).as_deref()),
            (401, Some("unauthorized")),
            "{}",
            reply.body
        );
    }
    Ok(())
}

#[test]
fn throttling_and_outages_map_to_retryable_errors() -> anyhow::Result<()> {
    let env = TestEnv::start(seed())?;
    let gateway = env.github_gateway()?;
    let mock = env.github().provider();
    let validate = || gateway.call("validate-token", &json!({"conn": conn(tokens::CLASSIC)}));
    let retry_after = |reply: &Reply| -> anyhow::Result<Option<u64>> {
        Ok(reply.json()?["error"]["value"]["retry_after"].as_u64())
    };

    mock.inject(Fault::RateLimit { reset_in: 60 }, 1);
    let reply = validate()?;
    assert_eq!(
        (reply.status, error_type(&reply).as_deref()),
        (429, Some("rate_limited")),
        "{}",
        reply.body
    );
    let wait = retry_after(&reply)?.context("a wait from X-RateLimit-Reset")?;
    assert!((55..=60).contains(&wait), "{wait}");

    mock.inject(Fault::TooManyRequests { retry_after: 7 }, 1);
    let reply = validate()?;
    assert_eq!(reply.status, 429, "{}", reply.body);
    assert_eq!(retry_after(&reply)?, Some(7));
    assert_eq!(reply.header("retry-after"), Some("7"));

    mock.inject(
        Fault::ServerError {
            status: 503,
            retry_after: Some(30),
        },
        1,
    );
    let reply = validate()?;
    assert_eq!(
        (reply.status, error_type(&reply).as_deref()),
        (503, Some("unavailable")),
        "{}",
        reply.body
    );
    assert_eq!(reply.header("retry-after"), Some("30"));

    mock.inject(
        Fault::ServerError {
            status: 500,
            retry_after: None,
        },
        1,
    );
    assert_eq!(validate()?.status, 503);
    assert_eq!(validate()?.status, 200, "faults are used up");

    // An account with a quota of two calls an hour: the third is refused by GitHub's own
    // primary limit, with the wait until the window resets.
    let small = || {
        gateway.call(
            "get-repository",
            &json!({"conn": conn(tokens::SMALL_QUOTA), "repo": repo(ORG, "website")}),
        )
    };
    assert_eq!(small()?.status, 200);
    assert_eq!(small()?.status, 200);
    let third = small()?;
    assert_eq!(
        (third.status, error_type(&third).as_deref()),
        (429, Some("rate_limited")),
        "{}",
        third.body
    );
    assert!(
        retry_after(&third)?.is_some_and(|s| s > 3000),
        "{}",
        third.body
    );
    Ok(())
}

#[test]
fn oauth_sign_in_round_trip_with_pkce() -> anyhow::Result<()> {
    let env = TestEnv::start(seed())?;
    let gateway = env.github_gateway()?;
    let web = e2e_tests::origin_of(env.github().base_url());
    let client = json!({
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "redirect_uri": "https://git-access.example.com/oauth/github/callback",
        "web_url": web,
    });
    // RFC 7636 appendix B.
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    let url = ok(
        &gateway,
        "oauth-authorize-url",
        json!({"req": {"client": client, "state": "org-42", "code_challenge": challenge, "scopes": []}}),
    )?;
    let url = url.as_str().context("a URL")?.to_owned();
    assert!(
        url.starts_with(&format!(
            "{web}/login/oauth/authorize?client_id={CLIENT_ID}&"
        )),
        "{url}"
    );
    assert!(
        url.contains("scope=repo%20admin%3Arepo_hook%20read%3Auser%20user%3Aemail"),
        "{url}"
    );

    // The browser follows it; the mock's consent is immediate and redirects back.
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .proxy(None)
        .build()
        .into();
    let response = agent.get(&url).call()?;
    assert_eq!(response.status().as_u16(), 302);
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .context("a Location")?
        .to_owned();
    assert!(
        location.starts_with("https://git-access.example.com/oauth/github/callback?code="),
        "{location}"
    );
    assert!(location.ends_with("&state=org-42"), "{location}");
    let code = location
        .split("code=")
        .nth(1)
        .and_then(|rest| rest.split('&').next())
        .context("a code")?
        .to_owned();

    let exchange = |code: &str, verifier: &str| {
        gateway.call(
            "oauth-exchange-code",
            &json!({"req": {"client": client, "code": code, "code_verifier": verifier}}),
        )
    };
    let wrong = exchange(&code, &"x".repeat(43))?;
    assert_eq!(
        error_type(&wrong).as_deref(),
        Some("invalid_input"),
        "{}",
        wrong.body
    );

    // The wrong verifier used the code up; a new sign-in gets a new one.
    let code = env
        .github()
        .provider()
        .authorize(
            CLIENT_ID,
            None,
            &["repo", "admin:repo_hook"],
            None,
            Some(challenge),
        )
        .context("a code")?;
    let tokens = exchange(&code, verifier)?;
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    let tokens = tokens.json()?;
    let access = tokens["access_token"].as_str().context("an access token")?;
    assert!(access.starts_with("gho_"), "{tokens}");
    assert_eq!(tokens["scopes"], json!(["repo", "admin:repo_hook"]));
    let reused = exchange(&code, verifier)?;
    assert_eq!(
        error_type(&reused).as_deref(),
        Some("invalid_input"),
        "codes are single use"
    );

    let report = validate(&gateway, access)?;
    assert_eq!(report["kind"], "oauth_token");
    assert_eq!(report["account"], USER);
    assert_eq!(report["missing"], json!([]));
    Ok(())
}

#[test]
fn enterprise_server_urls() -> anyhow::Result<()> {
    let env = TestEnv::start_enterprise(seed())?;
    let gateway = env.github_gateway()?;
    let api = env.github().base_url().to_owned();
    let root = api.trim_end_matches("/api/v3").to_owned();
    assert_ne!(api, root);

    let report = validate(&gateway, tokens::CLASSIC)?;
    assert_eq!(report["account"], USER);
    assert_eq!(
        env.github().calls("GET", "/user"),
        1,
        "called under /api/v3"
    );
    assert!(env
        .github()
        .requests()
        .iter()
        .all(|r| r.path.starts_with("/api/v3/")));

    let clone = ok(
        &gateway,
        "clone-credentials",
        json!({"conn": conn(tokens::CLASSIC), "repo": repo(ORG, "platform")}),
    )?;
    assert_eq!(
        clone["url"],
        format!("{root}/octo-org/platform.git"),
        "Git is at the host root"
    );

    let repository = ok(
        &gateway,
        "get-repository",
        json!({"conn": conn(tokens::CLASSIC), "repo": repo(ORG, "platform")}),
    )?;
    assert_eq!(repository["html_url"], format!("{root}/octo-org/platform"));

    // An OAuth client configured with the API URL still signs in at the web root.
    let url = ok(
        &gateway,
        "oauth-authorize-url",
        json!({"req": {"client": {"client_id": CLIENT_ID, "client_secret": "", "redirect_uri": "https://ga.example.com/cb", "web_url": api}, "state": "s", "code_challenge": null, "scopes": ["repo"]}}),
    )?;
    assert!(
        url.as_str()
            .is_some_and(|u| u.starts_with(&format!("{root}/login/oauth/authorize?"))),
        "{url}"
    );
    Ok(())
}
