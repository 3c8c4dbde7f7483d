//! The production manifest (spin.toml) offers GitHub, GitLab and Bitbucket: the API lists
//! each as its plugin describes itself, through service chaining to `provider-<id>`.

use anyhow::Context;
use e2e_tests::{github_seed, TestEnv};
use serde_json::Value;

#[test]
fn the_api_lists_gitlab_and_bitbucket_as_their_plugins_describe_them() -> anyhow::Result<()> {
    let env = TestEnv::start(github_seed())?;
    let host = env.host()?;
    let reply = host.get("/api/providers")?;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let body = reply.json()?;
    let results = body["results"]
        .as_array()
        .with_context(|| format!("`results` is not an array: {body}"))?;
    let ids: Vec<&str> = results.iter().filter_map(|p| p["id"].as_str()).collect();
    assert_eq!(
        ids,
        ["github", "gitlab", "bitbucket"],
        "the `providers` default"
    );
    let find = |id: &str| -> anyhow::Result<&Value> {
        results
            .iter()
            .find(|p| p["id"] == id)
            .with_context(|| format!("no {id} in {body}"))
    };

    let gitlab = find("gitlab")?;
    assert_eq!(gitlab["type"], "GITLAB", "{gitlab}");
    assert_eq!(gitlab["name"], "GitLab");
    assert_eq!(gitlab["default_api_url"], "https://gitlab.com/api/v4");
    assert_eq!(gitlab["needs_workspace"], false);
    assert!(
        gitlab["capabilities"].to_string().contains("self_managed"),
        "{gitlab}"
    );
    assert!(
        gitlab["token_kinds"].to_string().contains("project_token"),
        "{gitlab}"
    );
    assert!(
        gitlab["token_kinds"].to_string().contains("maintainer"),
        "{gitlab}"
    );

    let bitbucket = find("bitbucket")?;
    assert_eq!(bitbucket["type"], "BITBUCKET", "{bitbucket}");
    assert_eq!(
        bitbucket["default_api_url"],
        "https://api.bitbucket.org/2.0"
    );
    assert_eq!(bitbucket["needs_workspace"], true);
    assert!(
        bitbucket["token_kinds"]
            .to_string()
            .contains("repository_token"),
        "{bitbucket}"
    );
    assert!(
        bitbucket["token_kinds"].to_string().contains("webhook"),
        "{bitbucket}"
    );
    Ok(())
}
