//! The provider conformance suite (`e2e_tests::conformance`) against every provider plugin,
//! each through its composed component served by the host, against its mock. GitHub runs
//! it twice: github.com-shaped, and GitHub Enterprise Server under `/api/v3`.

use e2e_tests::conformance::{
    self, bitbucket::BitbucketFixture, github::GitHubFixture, gitlab::GitLabFixture,
};

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
