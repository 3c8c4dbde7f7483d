//! The provider conformance suite (`e2e_tests::conformance`) against every provider plugin,
//! each through its composed component served by the host, against its mock. GitHub runs
//! it twice: github.com-shaped, and GitHub Enterprise Server under `/api/v3`. The GitHub App
//! plugin connects installations rather than Git tokens, so it goes through the host's
//! `plugin check` instead.

use std::process::Command;

use e2e_tests::conformance::{
    self, bitbucket::BitbucketFixture, github::GitHubFixture, gitlab::GitLabFixture,
};
use e2e_tests::{host_bin, workspace_root};

#[test]
fn github_conforms() -> anyhow::Result<()> {
    let fixture = GitHubFixture::start(false)?;
    conformance::run(&fixture).assert_passed();
    Ok(())
}

#[test]
fn github_enterprise_server_conforms() -> anyhow::Result<()> {
    let fixture = GitHubFixture::start(true)?;
    assert!(
        fixture.env().github().base_url().ends_with("/api/v3"),
        "the Enterprise mock serves its API under /api/v3"
    );
    conformance::run(&fixture).assert_passed();
    Ok(())
}

#[test]
fn gitlab_conforms() -> anyhow::Result<()> {
    let fixture = GitLabFixture::start()?;
    assert!(
        fixture.env().mock().base_url().ends_with("/api/v4"),
        "the GitLab mock serves its API under /api/v4, as a self-managed instance"
    );
    conformance::run(&fixture).assert_passed();
    Ok(())
}

#[test]
fn bitbucket_conforms() -> anyhow::Result<()> {
    let fixture = BitbucketFixture::start()?;
    conformance::run(&fixture).assert_passed();
    Ok(())
}

#[test]
fn github_app_passes_the_plugin_check() -> anyhow::Result<()> {
    // `cargo xtask build` builds this plugin in a target dir of its own.
    let plugin = workspace_root()
        .join("target/wasm-github-app/wasm32-wasip2/wasm/git_access_github_app.wasm");
    let output = Command::new(host_bin())
        .args(["plugin", "check"])
        .arg(&plugin)
        .output()?;
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{text}");
    for expected in [
        "info: id `github-app`, name `GitHub App (deprecated)`",
        "validate-token with a credential the provider rejects: unsupported",
        "list-repositories with a rejected credential: unauthorized",
        "the plugin conforms",
    ] {
        assert!(text.contains(expected), "missing '{expected}' in:\n{text}");
    }
    Ok(())
}
