//! Sign-ins that outlive their access tokens: GitLab and Bitbucket issue OAuth tokens that
//! expire (two hours on the real services; about a minute here), with a refresh token, and
//! so does GitHub for apps with expiring user tokens.
//! Applications on a user's own account keep working: the API renews the token when it is
//! due, or once after the provider refuses it, stores the new (for GitLab, rotated)
//! tokens sealed, and settles concurrent renewals on one token. A renewal the provider
//! refuses shows as lost access until the user signs in again.
//!
//! `cargo xtask build && cargo test --release -p e2e-tests --test sign_in_renewal`.

use std::time::Duration;

use anyhow::{ensure, Context};
use e2e_tests::conformance::{bitbucket as bb, gitlab as gl};
use e2e_tests::sign_in_setup::{self as setup, OAuthClient};
use e2e_tests::{browser, ApiClient, Host, HostConfig, Reply, TestEnv};
use mock_providers::github::RepositorySeed;
use serde_json::{json, Value};

const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const BOOTSTRAP: &str = "e2e-bootstrap-renewal-0123456789";
const CLIENT: OAuthClient = OAuthClient {
    id: "e2e-renewal-client",
    secret: "e2e-renewal-secret-0123456789abcdef",
};

/// Access tokens the mocks issue live this long: the API renews a token a minute before it
/// expires, so these are due four seconds after they are issued (enough for a test's calls
/// between two renewals, even on a busy machine).
const LIFETIME: Duration = Duration::from_secs(64);
/// Long enough for a token of [`LIFETIME`] to be due.
const UNTIL_DUE: Duration = Duration::from_millis(4600);

fn base_config(env: &TestEnv) -> HostConfig {
    env.host_config()
        .variable("encryption_key", KEY)
        .variable("bootstrap_token", BOOTSTRAP)
}

/// A signed-in user with an organization and an application on their own account.
struct Signed<'h> {
    host: &'h Host,
    auth: String,
    app_id: String,
    app_path: String,
}

impl<'h> Signed<'h> {
    /// Signs in with `provider`, creates an organization and an application on
    /// `repository` through the user's own account.
    fn start(
        host: &'h Host,
        provider: &str,
        type_name: &str,
        repository: &str,
    ) -> anyhow::Result<Self> {
        let signed_in = browser::sign_in(host, provider)?;
        let session = signed_in["session_token"].as_str().context("session")?;
        let auth = format!("Bearer {session}");
        let call = |method: &str, path: &str, body: Option<&Value>| {
            ApiClient::new(host).call_as(method, path, &auth, body)
        };
        let org = call(
            "POST",
            "/organization",
            Some(&json!({"name": format!("{provider} renewal")})),
        )?
        .expect(201)?;
        let org = org["organization"]["id"]
            .as_str()
            .context("org")?
            .to_owned();
        let app = call(
            "POST",
            &format!("/organization/{org}/application"),
            Some(&json!({
                "name": format!("{provider}-renewal"),
                "git_repository": {
                    "provider": type_name,
                    "url": repository,
                    "branch": "main",
                    "own_account": true,
                }
            })),
        )?
        .expect(201)?;
        ensure!(app["git_repository"]["has_access"] == true, "{app}");
        let app_id = app["id"].as_str().context("app id")?.to_owned();
        Ok(Self {
            host,
            app_path: format!("/organization/{org}/application/{app_id}"),
            app_id,
            auth,
        })
    }

    fn call(&self, method: &str, path: &str) -> anyhow::Result<Reply> {
        Ok(ApiClient::new(self.host).call_as(method, path, &self.auth, None)?)
    }

    fn clone_credentials(&self) -> anyhow::Result<Reply> {
        self.call("POST", &format!("{}/cloneCredentials", self.app_path))
    }

    /// The webhook status, which reads the hook at the provider with the account.
    fn webhook_status(&self) -> anyhow::Result<Value> {
        let path = format!("/service/{}/gitWebhookStatus", self.app_id);
        Ok(self.call("GET", &path)?.expect(200)?)
    }

    fn application(&self) -> anyhow::Result<Value> {
        Ok(self.call("GET", &self.app_path)?.expect(200)?)
    }

    /// The user's linked account at the provider, as `GET /user` shows it.
    fn git_account(&self) -> anyhow::Result<Value> {
        let me = self.call("GET", "/user")?.expect(200)?;
        me["git_accounts"]
            .as_array()
            .and_then(|accounts| accounts.first())
            .cloned()
            .context("a linked account")
    }
}

#[test]
fn gitlab_sign_ins_are_renewed_with_rotating_refresh_tokens() -> anyhow::Result<()> {
    let env = setup::gitlab_env()?;
    let host = setup::gitlab_host(&env, base_config(&env), CLIENT)?;
    let gitlab = env.gitlab().context("mock GitLab")?;
    let mock = gitlab.provider();
    mock.set_oauth_token_lifetime(LIFETIME);
    let project = format!("{}/{}", gl::seeded::NAMESPACE, gl::seeded::PROJECT);
    let user = Signed::start(&host, "gitlab", "GITLAB", &project)?;
    let linked = user.git_account()?;
    assert_eq!(linked["renewable"], true, "{linked}");
    assert_eq!(linked["renewed_at"], Value::Null, "{linked}");
    assert_eq!(mock.refresh_grants(), 0, "a fresh token is used as it is");

    // Due: the next call renews it first, once.
    std::thread::sleep(UNTIL_DUE);
    let clone = user.clone_credentials()?.expect(200)?;
    assert_eq!(mock.refresh_grants(), 1);
    user.clone_credentials()?.expect(200)?;
    assert_eq!(
        mock.refresh_grants(),
        1,
        "the renewed token is stored and reused"
    );
    let renewed = user.git_account()?;
    ensure!(renewed["renewed_at"].is_string(), "{renewed}");
    ensure!(
        renewed["expires_at"].as_str() > linked["expires_at"].as_str(),
        "{renewed} after {linked}"
    );
    // The clone credentials say when the renewed token they carry expires.
    assert_eq!(clone["expires_at"], renewed["expires_at"], "{clone}");

    // Concurrent requests on a due token settle on one renewal chain: GitLab refuses a
    // used refresh token, and the request that loses takes the stored token.
    std::thread::sleep(UNTIL_DUE);
    let token_calls = || gitlab.log().count("POST", "/oauth/token");
    let calls_before = token_calls();
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let calls: Vec<_> = (0..4)
            .map(|_| scope.spawn(|| user.clone_credentials().map(|r| r.status)))
            .collect();
        calls
            .into_iter()
            .map(|call| call.join().expect("thread").unwrap_or(0))
            .collect()
    });
    assert_eq!(statuses, [200; 4], "{}", host.stderr());
    // One of them renewed; the others waited for its token rather than spend the
    // refresh token again.
    assert_eq!(mock.refresh_grants(), 2, "{}", host.stderr());
    assert_eq!(
        token_calls(),
        calls_before + 1,
        "one call to GitLab's token endpoint"
    );
    user.clone_credentials()?.expect(200)?;

    // Ended early by GitLab (before its expiry): refused once, renewed, retried.
    let before = mock.refresh_grants();
    mock.expire_oauth_access_tokens();
    let status = user.webhook_status()?;
    assert_eq!(status["status"], "ACTIVE", "{status}");
    assert_eq!(mock.refresh_grants(), before + 1);
    assert_eq!(user.application()?["git_repository"]["has_access"], true);

    // The user revokes the application at GitLab: the renewal is refused, access is lost
    // with a reason, and signing in again restores it.
    mock.revoke_oauth_authorizations();
    let status = user.webhook_status()?;
    assert_eq!(status["status"], "UNABLE_TO_VERIFY", "{status}");
    ensure!(
        status["detail"]
            .as_str()
            .is_some_and(|d| d.contains("could not be renewed")
                && d.contains("must sign in with GitLab again")),
        "{status}"
    );
    let lost = user.application()?;
    assert_eq!(lost["git_repository"]["has_access"], false, "{lost}");
    ensure!(
        lost["git_repository"]["has_access_reason"]
            .as_str()
            .is_some_and(|r| r.contains("could not be renewed")),
        "{lost}"
    );
    browser::sign_in(&host, "gitlab")?;
    assert_eq!(user.application()?["git_repository"]["has_access"], true);
    assert_eq!(user.webhook_status()?["status"], "ACTIVE");
    user.clone_credentials()?.expect(200)?;
    Ok(())
}

#[test]
fn bitbucket_sign_ins_are_renewed_with_their_lasting_refresh_token() -> anyhow::Result<()> {
    let env = setup::bitbucket_env(CLIENT)?;
    let host = Host::start(setup::bitbucket_config(base_config(&env), &env, CLIENT))?;
    let mock = env.bitbucket().context("mock Bitbucket")?.provider();
    mock.set_oauth_token_lifetime(LIFETIME);
    let repository = format!("{}/{}", bb::seeded::WORKSPACE, bb::seeded::REPOSITORY);
    let user = Signed::start(&host, "bitbucket", "BITBUCKET", &repository)?;
    assert_eq!(user.git_account()?["renewable"], true);

    std::thread::sleep(UNTIL_DUE);
    user.clone_credentials()?.expect(200)?;
    assert_eq!(mock.refresh_grants(), 1);
    // Bitbucket keeps its refresh token: the same one renews again.
    mock.expire_oauth_access_tokens();
    assert_eq!(user.webhook_status()?["status"], "ACTIVE");
    assert_eq!(mock.refresh_grants(), 2);
    assert_eq!(user.application()?["git_repository"]["has_access"], true);
    Ok(())
}

#[test]
fn github_sign_ins_with_expiring_user_tokens_are_renewed() -> anyhow::Result<()> {
    let env = setup::github_env(CLIENT)?;
    let mock = env.github().provider();
    mock.add_repository(RepositorySeed::private("octocat", "hello").with_branches(&["main"]))?;
    ensure!(
        mock.set_expiring_user_tokens(CLIENT.id, true),
        "the OAuth app"
    );
    mock.set_oauth_token_lifetime(LIFETIME);
    let host = Host::start(setup::github_config(base_config(&env), &env, CLIENT))?;
    let user = Signed::start(&host, "github", "GITHUB", "octocat/hello")?;
    assert_eq!(user.git_account()?["renewable"], true);

    std::thread::sleep(UNTIL_DUE);
    assert_eq!(user.webhook_status()?["status"], "ACTIVE");
    assert_eq!(mock.refresh_grants(), 1);
    // GitHub rotates refresh tokens too: the stored one renews again.
    mock.expire_oauth_access_tokens();
    assert_eq!(user.webhook_status()?["status"], "ACTIVE");
    assert_eq!(mock.refresh_grants(), 2);
    Ok(())
}
