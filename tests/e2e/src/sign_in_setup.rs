//! Test environments where users sign in: the mock providers' OAuth applications, and the
//! host variables that point sign-in at them.

use mock_providers::bitbucket::OAuthConsumerSeed;
use mock_providers::github::OAuthAppSeed;
use mock_providers::gitlab::OAuthAppSeed as GitLabOAuthApp;

use crate::conformance::{bitbucket as bb, gitlab as gl};
use crate::{github_seed, origin_of, HarnessError, Host, HostConfig, TestEnv};

/// The OAuth client git-access signs in with.
#[derive(Debug, Clone, Copy)]
pub struct OAuthClient {
    /// Client id (Bitbucket: consumer key).
    pub id: &'static str,
    /// Client secret.
    pub secret: &'static str,
}

impl OAuthClient {
    /// `config` with the Spin variables of sign-in with `provider` through this client,
    /// at `web_url`.
    fn configure(self, config: HostConfig, provider: &str, web_url: &str) -> HostConfig {
        config
            .variable(&format!("{provider}_oauth_client_id"), self.id)
            .variable(&format!("{provider}_oauth_client_secret"), self.secret)
            .variable(&format!("{provider}_oauth_web_url"), web_url)
    }
}

/// A mock GitHub (the usual seed) where `client` is an OAuth app its default user
/// approves.
pub fn github_env(client: OAuthClient) -> Result<TestEnv, HarnessError> {
    let mut seed = github_seed();
    seed.oauth_apps.push(OAuthAppSeed {
        client_id: client.id.into(),
        client_secret: client.secret.into(),
        approving_user: None,
    });
    TestEnv::start(seed)
}

/// `config` signing in with GitHub through `client` at `env`'s mock.
pub fn github_config(config: HostConfig, env: &TestEnv, client: OAuthClient) -> HostConfig {
    client.configure(config, "github", env.github().base_url())
}

/// A mock GitHub and the mock GitLab of the conformance seed, whose user approves sign-ins.
pub fn gitlab_env() -> Result<TestEnv, HarnessError> {
    TestEnv::start(github_seed())?.with_gitlab(gl::seed())
}

/// Starts a host from `config` signing in with GitLab through `client`, registered with
/// `env`'s mock GitLab once the host's callback URL is known.
pub fn gitlab_host(
    env: &TestEnv,
    config: HostConfig,
    client: OAuthClient,
) -> Result<Host, HarnessError> {
    let gitlab = env
        .gitlab()
        .expect("the environment has a mock GitLab (gitlab_env)");
    let web = gitlab.base_url().trim_end_matches("/api/v4").to_owned();
    let host = Host::start(client.configure(config, "gitlab", &web))?;
    gitlab.provider().add_oauth_app(GitLabOAuthApp {
        client_id: client.id.into(),
        client_secret: client.secret.into(),
        redirect_uri: host.url("/auth/gitlab/callback"),
        user: gl::seeded::USER.into(),
    });
    Ok(host)
}

/// A mock GitHub and the mock Bitbucket of the conformance seed, where `client` is an OAuth
/// consumer its user approves (for any loopback callback: the host's port is not known
/// yet).
pub fn bitbucket_env(client: OAuthClient) -> Result<TestEnv, HarnessError> {
    let mut seed = bb::seed();
    seed.oauth_consumers.push(OAuthConsumerSeed {
        key: client.id.into(),
        secret: client.secret.into(),
        callback_url: "http://127.0.0.1:".into(),
        user: bb::seeded::USER.into(),
        scopes: ["account", "repository", "pullrequest:write", "webhook"]
            .map(String::from)
            .to_vec(),
    });
    TestEnv::start(github_seed())?.with_bitbucket(seed)
}

/// `config` signing in with Bitbucket through `client` at `env`'s mock.
pub fn bitbucket_config(config: HostConfig, env: &TestEnv, client: OAuthClient) -> HostConfig {
    let bitbucket = env
        .bitbucket()
        .expect("the environment has a mock Bitbucket (bitbucket_env)");
    client.configure(config, "bitbucket", &origin_of(bitbucket.base_url()))
}
