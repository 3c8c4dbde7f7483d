//! `GET /api/providers`: the API asks each provider component for its info through
//! service chaining and lists what the plugin returned.

use anyhow::Context;
use e2e_tests::{github_seed, TestEnv};

#[test]
fn provider_list_shows_github_as_its_plugin_describes_it() -> anyhow::Result<()> {
    let env = TestEnv::start(github_seed())?;
    let host = env.host()?;

    let reply = host.get("/api/providers")?;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let body = reply.json()?;
    let results = body["results"]
        .as_array()
        .with_context(|| format!("`results` is not an array: {body}"))?;
    let github = results
        .iter()
        .find(|p| p["id"] == "github")
        .with_context(|| format!("no github provider in {body}"))?;

    assert_eq!(github["name"], "GitHub", "{github}");
    assert_eq!(github["type"], "GITHUB", "{github}");
    assert_eq!(
        github["default_api_url"],
        env.github().base_url(),
        "the gateway reports the configured api_url: {github}"
    );
    let capabilities = github["capabilities"]
        .as_array()
        .with_context(|| format!("`capabilities` is not an array: {github}"))?;
    assert!(
        capabilities.iter().any(|c| c == "validate_token"),
        "{github}"
    );
    let token_kinds = github["token_kinds"].to_string();
    assert!(token_kinds.contains("classic_pat"), "{github}");
    assert!(
        token_kinds.contains("admin:repo_hook"),
        "classic PATs need admin:repo_hook: {github}"
    );

    assert!(
        env.github().requests().is_empty(),
        "info is pure: no call reaches GitHub"
    );
    Ok(())
}
