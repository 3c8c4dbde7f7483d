//! `POST /api/providers/{id}/validate-token` through every layer: API → service chaining
//! → gateway ⊕ GitHub plugin → outbound HTTP → mock GitHub, and back.

use anyhow::Context;
use e2e_tests::{closed_port_url, github_seed, tokens, Host, Reply, TestEnv, DEMO_LOGIN};
use serde_json::{json, Value};

fn validate(host: &Host, provider: &str, token: &str) -> anyhow::Result<Reply> {
    Ok(host.post_json(
        &format!("/api/providers/{provider}/validate-token"),
        &json!({ "token": token, "git_api_url": null, "workspace": null }),
    )?)
}

/// The API's error shape: a JSON problem with every standard member.
fn assert_problem(reply: &Reply, status: u16) -> anyhow::Result<Value> {
    assert_eq!(reply.status, status, "{}", reply.body);
    let problem = reply.json()?;
    for member in ["type", "title", "detail", "instance"] {
        assert!(
            problem[member].is_string(),
            "problem lacks `{member}`: {problem}"
        );
    }
    assert_eq!(problem["status"], status, "{problem}");
    Ok(problem)
}

/// Secrets never leave: not in a response body, not in the host's logs.
fn assert_token_not_leaked(host: &Host, token: &str, replies: &[&Reply]) {
    for reply in replies {
        assert!(
            !reply.body.contains(token),
            "the token value is in a response: {}",
            reply.body
        );
    }
    assert!(
        !host.stderr().contains(token),
        "the token value is in the host's logs"
    );
}

#[test]
fn classic_token_lacking_admin_repo_hook_is_422_naming_it() -> anyhow::Result<()> {
    let env = TestEnv::start(github_seed())?;
    let host = env.host()?;

    let reply = validate(&host, "github", tokens::REPO_ONLY)?;
    let problem = assert_problem(&reply, 422)?;
    let detail = problem["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("admin:repo_hook"), "{problem}");
    assert_eq!(
        problem["missing_permissions"],
        json!(["admin:repo_hook"]),
        "{problem}"
    );

    let user_calls: Vec<_> = env
        .github()
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path == "/user")
        .collect();
    assert!(
        !user_calls.is_empty(),
        "the plugin asked GitHub who the token is"
    );
    assert!(
        user_calls
            .iter()
            .all(|r| r.status == 200 && r.account.as_deref() == Some(DEMO_LOGIN)),
        "the token reached GitHub intact: {user_calls:?}"
    );
    assert_token_not_leaked(&host, tokens::REPO_ONLY, &[&reply]);
    Ok(())
}

#[test]
fn classic_token_with_every_scope_is_reported_with_account_kind_and_expiry() -> anyhow::Result<()> {
    let env = TestEnv::start(github_seed())?;
    let host = env.host()?;

    let reply = validate(&host, "github", tokens::FULL)?;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let report = reply.json()?;
    assert_eq!(report["account"], DEMO_LOGIN, "{report}");
    assert_eq!(report["kind"], "classic_pat", "{report}");
    assert_eq!(report["missing"], json!([]), "{report}");
    let scopes = report["scopes"].to_string();
    assert!(
        scopes.contains("\"repo\"") && scopes.contains("\"admin:repo_hook\""),
        "{report}"
    );

    let expires_at = report["expires_at"]
        .as_str()
        .with_context(|| format!("no expires_at in {report}"))?;
    let parsed = chrono::DateTime::parse_from_rfc3339(expires_at)
        .with_context(|| format!("expires_at is not RFC 3339: {expires_at}"))?;
    assert_eq!(parsed.offset().local_minus_utc(), 0, "UTC: {expires_at}");
    assert_eq!(
        parsed,
        chrono::DateTime::parse_from_rfc3339(tokens::FULL_EXPIRES_AT)?,
        "the expiry GitHub announced"
    );

    assert!(env.github().calls("GET", "/user") >= 1);
    assert_token_not_leaked(&host, tokens::FULL, &[&reply]);
    Ok(())
}

#[test]
fn unknown_token_is_422_and_unknown_provider_is_404() -> anyhow::Result<()> {
    let env = TestEnv::start(github_seed())?;
    let host = env.host()?;

    let refused = validate(&host, "github", tokens::UNKNOWN)?;
    assert_problem(&refused, 422)?;
    let user_calls = env.github().calls("GET", "/user");
    assert!(user_calls >= 1, "GitHub was asked and said Bad credentials");

    let no_such_provider = validate(&host, "nosuchprovider", tokens::FULL)?;
    assert_problem(&no_such_provider, 404)?;
    assert_eq!(
        env.github().calls("GET", "/user"),
        user_calls,
        "an unknown provider reaches no provider"
    );

    assert_token_not_leaked(&host, tokens::UNKNOWN, &[&refused]);
    assert_token_not_leaked(&host, tokens::FULL, &[&no_such_provider]);
    Ok(())
}

#[test]
fn unreachable_provider_is_502() -> anyhow::Result<()> {
    let env = TestEnv::start(github_seed())?;
    let host = Host::start(env.host_config().github_at(&closed_port_url()?))?;

    let reply = validate(&host, "github", tokens::FULL)?;
    assert_problem(&reply, 502)?;
    assert_token_not_leaked(&host, tokens::FULL, &[&reply]);
    Ok(())
}
