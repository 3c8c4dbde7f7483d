//! The deprecated GitHub App end to end, against the mock GitHub's App model (RS256 JWTs,
//! installations, installation tokens, the install page): an owner signed in with GitHub
//! gets an install link, installs the app on their account choosing one repository, and
//! the browser's return connects the installation (the code GitHub adds proves who
//! installed it). Then: the installation and its repositories, granting and revoking a
//! repository as the user, an application through the installation (webhook, a pushed
//! event, clone credentials with an installation token), suspension showing as lost
//! access, disconnect refused while the application uses it, another organization unable
//! to take the installation, a code that cannot reach someone else's installation, and
//! uninstalling. The app's key and client secret appear in no answer. The app's own
//! deliveries (its webhook URL) reflect an installation suspended or deleted on GitHub. The
//! core of it also
//! runs against a GitHub Enterprise Server (API under `/api/v3`, install page at its web
//! root).
//!
//! `cargo xtask build && cargo test --release -p e2e-tests --test github_app`.

use anyhow::{ensure, Context};
use e2e_tests::{browser, github_seed, origin_of, ApiClient, Host, HostConfig, Reply, TestEnv};
use mock_providers::github::{
    signature_256, Access, AppSeed, GitHubSeed, OAuthAppSeed, OrgRole, RepositorySeed, UserSeed,
    TEST_APP_PRIVATE_KEY_PEM,
};
use serde_json::{json, Value};

const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const BOOTSTRAP: &str = "e2e-bootstrap-github-app-0123456789";
const SIGN_IN_CLIENT: &str = "e2e-github-app-sign-in";
const SIGN_IN_SECRET: &str = "e2e-github-app-sign-in-secret-0123456789";
const APP_ID: u64 = 31337;
const APP_SLUG: &str = "git-access-e2e";
const APP_CLIENT: &str = "Iv23li.e2eapp";
const APP_SECRET: &str = "e2e-app-client-secret-0123456789abcdef";
const APP_WEBHOOK_SECRET: &str = "e2e-app-webhook-secret-0123456789";

fn call(host: &Host, method: &str, path: &str, auth: &str, body: Option<&Value>) -> Reply {
    ApiClient::new(host)
        .call_as(method, path, auth, body)
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}

fn expect_json(reply: &Reply, status: u16) -> anyhow::Result<Value> {
    Ok(reply.expect(status)?)
}

fn slug_of(reply: &Reply) -> String {
    reply
        .json()
        .ok()
        .and_then(|v| v["type"].as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn env() -> anyhow::Result<TestEnv> {
    Ok(TestEnv::start(seed())?)
}

fn seed() -> GitHubSeed {
    let mut seed = github_seed();
    seed.users.push(UserSeed::user("hubot"));
    seed.users.push(UserSeed::organization(
        "robots",
        &[("hubot", OrgRole::Admin)],
    ));
    seed.repositories.extend([
        RepositorySeed::private("octocat", "hello").with_branches(&["main", "dev"]),
        RepositorySeed::private("octocat", "other").with_branches(&["main"]),
        RepositorySeed::private("robots", "factory").with_branches(&["main"]),
    ]);
    seed.oauth_apps.push(OAuthAppSeed {
        client_id: SIGN_IN_CLIENT.into(),
        client_secret: SIGN_IN_SECRET.into(),
        approving_user: Some("octocat".into()),
    });
    // The app and its installations are added once the host's callback URL is known (see
    // `start`).
    seed
}

/// GitHub's web root: github.com's, or an Enterprise Server's (its API is under `/api/v3`).
fn web_url(env: &TestEnv) -> String {
    origin_of(env.github().base_url())
}

fn app_config(env: &TestEnv) -> HostConfig {
    env.host_config()
        .variable("encryption_key", KEY)
        .variable("bootstrap_token", BOOTSTRAP)
        .variable("github_oauth_client_id", SIGN_IN_CLIENT)
        .variable("github_oauth_client_secret", SIGN_IN_SECRET)
        .variable("github_oauth_web_url", &web_url(env))
        .variable("github_app_id", &APP_ID.to_string())
        .variable("github_app_slug", APP_SLUG)
        .variable("github_app_private_key", TEST_APP_PRIVATE_KEY_PEM)
        .variable("github_app_client_id", APP_CLIENT)
        .variable("github_app_client_secret", APP_SECRET)
        .variable("github_app_web_url", &web_url(env))
        .variable("github_app_webhook_secret", APP_WEBHOOK_SECRET)
}

/// The host, and the app registered on the mock with the host's callback URL (also
/// installed on an organization the signed-in user is not part of: its id).
fn start(env: &TestEnv) -> anyhow::Result<(Host, u64)> {
    let host = Host::start(app_config(env))?;
    env.github().provider().add_app(
        AppSeed::new(APP_ID, APP_SLUG, APP_CLIENT, APP_SECRET)
            .with_permissions(&[
                ("contents", Access::Read),
                ("metadata", Access::Read),
                ("pull_requests", Access::Write),
                ("repository_hooks", Access::Write),
            ])
            .with_callback_url(&host.url("/github/app/callback")),
    )?;
    let foreign = env
        .github()
        .provider()
        .install_app(APP_ID, "robots", None)?;
    Ok((host, foreign))
}

/// Installs the app from `install_url` (extra query appended) and follows GitHub's
/// redirect back to the host: the callback's answer.
fn install(host: &Host, install_url: &str, extra: &str) -> anyhow::Result<(String, Reply)> {
    let callback = browser::approve(&format!("{install_url}{extra}"))?;
    let path = callback
        .strip_prefix(host.base_url())
        .context("GitHub sent the browser elsewhere")?
        .to_owned();
    let reply = host.send("GET", &path, &[], None)?;
    Ok((path, reply))
}

fn install_link(host: &Host, org: &str, auth: &str) -> anyhow::Result<Value> {
    expect_json(
        &call(
            host,
            "GET",
            &format!("/organization/{org}/github/connect"),
            auth,
            None,
        ),
        200,
    )
}

fn new_org(host: &Host, auth: &str, name: &str) -> anyhow::Result<String> {
    let created = expect_json(
        &call(
            host,
            "POST",
            "/organization",
            auth,
            Some(&json!({ "name": name })),
        ),
        201,
    )?;
    Ok(created["organization"]["id"]
        .as_str()
        .context("org id")?
        .to_owned())
}

/// Creates application `web` on `octocat/hello` `main` through the GitHub App: its answer.
fn create_app(host: &Host, org: &str, auth: &str) -> anyhow::Result<Value> {
    expect_json(
        &call(
            host,
            "POST",
            &format!("/organization/{org}/application"),
            auth,
            Some(&json!({
                "name": "web",
                "git_repository": {
                    "provider": "GITHUB",
                    "url": "octocat/hello",
                    "branch": "main",
                    "github_app": true,
                }
            })),
        ),
        201,
    )
}

fn repository_names(page: &Value) -> Vec<String> {
    page["results"]
        .as_array()
        .map(|repos| {
            repos
                .iter()
                .filter_map(|r| r["full_name"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn an_owner_connects_the_github_app_and_runs_an_application_through_it() -> anyhow::Result<()> {
    let env = env()?;
    let (host, foreign_installation) = start(&env)?;
    let github = env.github().provider();
    let mut bodies: Vec<String> = Vec::new();

    let signed_in = browser::sign_in(&host, "github")?;
    let auth = format!(
        "Bearer {}",
        signed_in["session_token"].as_str().context("session")?
    );
    let org = new_org(&host, &auth, "octo deploys")?;
    let base = format!("/organization/{org}/github");

    let none = call(&host, "GET", &format!("{base}/installation"), &auth, None);
    assert_eq!(none.status, 404, "{}", none.body);
    assert_eq!(slug_of(&none), "/problems/github-app-not-connected");

    // The install link, GitHub's install page (one repository chosen), and back.
    let link = install_link(&host, &org, &auth)?;
    bodies.push(link.to_string());
    let install_url = link["install_url"].as_str().context("install_url")?;
    ensure!(
        install_url.starts_with(&format!(
            "{}/apps/{APP_SLUG}/installations/new?state=",
            web_url(&env)
        )),
        "{link}"
    );
    assert_eq!(
        link["callback_url"],
        host.url("/github/app/callback").as_str()
    );
    let (callback_path, connected) =
        install(&host, install_url, "&login=octocat&repositories=hello")?;
    let connected = expect_json(&connected, 200)?;
    bodies.push(connected.to_string());
    assert_eq!(connected["status"], "connected", "{connected}");
    assert_eq!(connected["organization_id"], org.as_str());
    let installation = &connected["installation"];
    assert_eq!(installation["account"], "octocat", "{connected}");
    assert_eq!(installation["repository_selection"], "selected");
    assert_eq!(installation["suspended"], false);
    let installation_id = installation["installation_id"]
        .as_str()
        .context("installation id")?
        .to_owned();
    let mock_id: u64 = installation_id.parse()?;

    // The link works once: its state is gone.
    let replayed = host.send("GET", &callback_path, &[], None)?;
    assert_eq!(replayed.status, 400, "{}", replayed.body);
    assert_eq!(slug_of(&replayed), "/problems/github-app-callback-failed");
    ensure!(replayed.body.contains("unknown"), "{}", replayed.body);

    // The installation and what it may reach.
    let read = expect_json(
        &call(&host, "GET", &format!("{base}/installation"), &auth, None),
        200,
    )?;
    assert_eq!(read["installation_id"], installation_id.as_str(), "{read}");
    let repos = expect_json(
        &call(
            &host,
            "GET",
            &format!("{base}/installation/repository"),
            &auth,
            None,
        ),
        200,
    )?;
    bodies.push(repos.to_string());
    assert_eq!(repository_names(&repos), vec!["octocat/hello"], "{repos}");

    // Granting and revoking a repository, as the signed-in user.
    let own = expect_json(
        &call(
            &host,
            "GET",
            &format!("/organization/{org}/account/github/repository?per_page=100"),
            &auth,
            None,
        ),
        200,
    )?;
    let other_id = own["results"]
        .as_array()
        .and_then(|repos| repos.iter().find(|r| r["full_name"] == "octocat/other"))
        .and_then(|r| r["id"].as_str())
        .context("octocat/other in the user's repositories")?
        .to_owned();
    let repo_path = format!("{base}/installation/repository/{other_id}");
    let granted = call(&host, "PUT", &repo_path, &auth, None);
    assert_eq!(granted.status, 204, "{}", granted.body);
    let reached = github
        .installation(mock_id)
        .context("the installation on the mock")?
        .repositories;
    ensure!(reached.iter().any(|r| r == "octocat/other"), "{reached:?}");
    let revoked = call(&host, "DELETE", &repo_path, &auth, None);
    assert_eq!(revoked.status, 204, "{}", revoked.body);
    let reached = github
        .installation(mock_id)
        .context("installation")?
        .repositories;
    ensure!(!reached.iter().any(|r| r == "octocat/other"), "{reached:?}");
    let key = expect_json(
        &call(
            &host,
            "POST",
            &format!("/organization/{org}/apiToken"),
            &auth,
            Some(&json!({"name": "ci", "role": "admin"})),
        ),
        201,
    )?;
    let api_key = format!("Token {}", key["token"].as_str().context("api key")?);
    let as_key = call(&host, "PUT", &repo_path, &api_key, None);
    assert_eq!(as_key.status, 422, "{}", as_key.body);
    assert_eq!(slug_of(&as_key), "/problems/own-account-needs-session");

    // An application through the installation: branches, webhook, a push, clone access.
    let minted = |env: &TestEnv| {
        env.github().calls(
            "POST",
            &format!("/app/installations/{installation_id}/access_tokens"),
        )
    };
    let minted_before = minted(&env);
    let branches = expect_json(
        &call(
            &host,
            "GET",
            &format!(
                "/organization/{org}/account/github/repository/branch?name=octocat/hello&githubApp=true"
            ),
            &api_key,
            None,
        ),
        200,
    )?;
    ensure!(branches.to_string().contains("\"dev\""), "{branches}");
    let app = create_app(&host, &org, &api_key)?;
    bodies.push(app.to_string());
    let app_id = app["id"].as_str().context("app id")?.to_owned();
    let git = &app["git_repository"];
    assert_eq!(git["account"], "github_app", "{app}");
    assert_eq!(git["github_app_installation_id"], installation_id.as_str());
    assert_eq!(git["git_account_login"], "octocat");
    assert_eq!(git["has_access"], true, "{app}");
    assert_eq!(app["webhook"]["mode"], "managed", "{app}");
    let payload = app["webhook"]["payload_url"].as_str().context("payload")?;
    ensure!(
        github
            .hooks("octocat/hello")
            .iter()
            .any(|h| h.url == payload),
        "no hook for {payload}"
    );
    github
        .push("octocat/hello", "main", "Ship it")
        .context("push")?;
    let events = expect_json(
        &call(
            &host,
            "GET",
            &format!("/organization/{org}/application/{app_id}/events"),
            &api_key,
            None,
        ),
        200,
    )?;
    ensure!(events.to_string().contains("Ship it"), "{events}");
    let clone = expect_json(
        &call(
            &host,
            "POST",
            &format!("/organization/{org}/application/{app_id}/cloneCredentials"),
            &api_key,
            None,
        ),
        200,
    )?;
    assert_eq!(clone["username"], "x-access-token", "{clone}");
    ensure!(
        clone["password"]
            .as_str()
            .is_some_and(|p| p.starts_with("ghs_")),
        "{clone}"
    );
    assert_eq!(clone["account"], format!("github_app:{installation_id}"));
    // Branches, repository, webhook and clone credentials all ran on one installation token:
    // it is kept (sealed) between requests rather than minted for each.
    assert_eq!(minted(&env) - minted_before, 1);
    let status = expect_json(
        &call(
            &host,
            "GET",
            &format!("/service/{app_id}/gitWebhookStatus"),
            &api_key,
            None,
        ),
        200,
    )?;
    assert_eq!(status["status"], "ACTIVE", "{status}");

    // Suspended at GitHub: the application loses access until it is lifted.
    let app_path = format!("/organization/{org}/application/{app_id}");
    ensure!(github.suspend_installation(mock_id), "suspend");
    let read = expect_json(
        &call(&host, "GET", &format!("{base}/installation"), &auth, None),
        200,
    )?;
    assert_eq!(read["suspended"], true, "{read}");
    let lost = expect_json(&call(&host, "GET", &app_path, &api_key, None), 200)?;
    assert_eq!(lost["git_repository"]["has_access"], false, "{lost}");
    ensure!(lost.to_string().contains("suspended"), "{lost}");
    ensure!(github.unsuspend_installation(mock_id), "unsuspend");
    expect_json(
        &call(&host, "GET", &format!("{base}/installation"), &auth, None),
        200,
    )?;
    let back = expect_json(&call(&host, "GET", &app_path, &api_key, None), 200)?;
    assert_eq!(back["git_repository"]["has_access"], true, "{back}");

    let read = expect_json(
        &call(&host, "GET", &format!("{base}/installation"), &auth, None),
        200,
    )?;
    assert_eq!(
        read["applications"],
        json!([{"id": app_id, "name": "web"}]),
        "{read}"
    );

    // Disconnecting is refused while the application uses the installation.
    let refused = call(&host, "DELETE", &format!("{base}/disconnect"), &auth, None);
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert_eq!(slug_of(&refused), "/problems/github-app-in-use");
    ensure!(refused.body.contains("'web'"), "{}", refused.body);

    // Another organization of the same user cannot take the installation.
    let second = new_org(&host, &auth, "second team")?;
    let link = install_link(&host, &second, &auth)?;
    let install_url = link["install_url"].as_str().context("install_url")?;
    let (_, taken) = install(&host, install_url, "&login=octocat&repositories=hello")?;
    assert_eq!(taken.status, 409, "{}", taken.body);
    assert_eq!(slug_of(&taken), "/problems/github-app-installation-taken");

    // A code proves access only to installations its user reaches.
    let link = install_link(&host, &second, &auth)?;
    let install_url = link["install_url"].as_str().context("install_url")?;
    let callback = browser::approve(&format!("{install_url}&login=octocat&repositories=hello"))?;
    let code = callback
        .split(['?', '&'])
        .find_map(|pair| pair.strip_prefix("code="))
        .context("a code in the redirect")?;
    let foreign = call(
        &host,
        "POST",
        &format!("/organization/{second}/github/connect"),
        &auth,
        Some(&json!({"installation_id": foreign_installation.to_string(), "code": code})),
    );
    assert_eq!(foreign.status, 403, "{}", foreign.body);
    assert_eq!(
        slug_of(&foreign),
        "/problems/github-app-installation-not-accessible"
    );

    // Uninstalling (forced) removes it on GitHub; the application reports why it lost access.
    let uninstalled = call(
        &host,
        "DELETE",
        &format!("{base}/installation?force=true"),
        &auth,
        None,
    );
    assert_eq!(uninstalled.status, 204, "{}", uninstalled.body);
    ensure!(github.installation(mock_id).is_none(), "still installed");
    let gone = call(&host, "GET", &format!("{base}/installation"), &auth, None);
    assert_eq!(gone.status, 404, "{}", gone.body);
    let orphan = expect_json(&call(&host, "GET", &app_path, &api_key, None), 200)?;
    assert_eq!(orphan["git_repository"]["has_access"], false, "{orphan}");
    ensure!(
        orphan.to_string().contains("no longer connected"),
        "{orphan}"
    );

    // The application can still be deleted (its hook cannot be reached any more, so it stays).
    let deleted = call(&host, "DELETE", &app_path, &api_key, None);
    assert_eq!(deleted.status, 204, "{}", deleted.body);

    for body in &bodies {
        ensure!(!body.contains("PRIVATE KEY"), "private key in {body}");
        ensure!(!body.contains(APP_SECRET), "client secret in {body}");
    }
    Ok(())
}

#[test]
fn the_github_app_works_with_github_enterprise_server() -> anyhow::Result<()> {
    let env = TestEnv::start_enterprise(seed())?;
    ensure!(env.github().base_url().ends_with("/api/v3"));
    let (host, _) = start(&env)?;
    let signed_in = browser::sign_in(&host, "github")?;
    let auth = format!(
        "Bearer {}",
        signed_in["session_token"].as_str().context("session")?
    );
    let org = new_org(&host, &auth, "enterprise deploys")?;
    let link = install_link(&host, &org, &auth)?;
    let install_url = link["install_url"].as_str().context("install_url")?;
    ensure!(
        install_url.starts_with(&format!("{}/apps/{APP_SLUG}/", web_url(&env))),
        "{link}"
    );
    let (_, connected) = install(&host, install_url, "&login=octocat&repositories=hello")?;
    let connected = expect_json(&connected, 200)?;
    assert_eq!(
        connected["installation"]["account"], "octocat",
        "{connected}"
    );
    let repos = expect_json(
        &call(
            &host,
            "GET",
            &format!("/organization/{org}/github/installation/repository"),
            &auth,
            None,
        ),
        200,
    )?;
    assert_eq!(repository_names(&repos), vec!["octocat/hello"], "{repos}");
    let app = create_app(&host, &org, &auth)?;
    assert_eq!(app["git_repository"]["has_access"], true, "{app}");
    let app_id = app["id"].as_str().context("app id")?;
    let clone = expect_json(
        &call(
            &host,
            "POST",
            &format!("/organization/{org}/application/{app_id}/cloneCredentials"),
            &auth,
            None,
        ),
        200,
    )?;
    ensure!(
        clone["url"]
            .as_str()
            .is_some_and(|url| url.starts_with(&web_url(&env))),
        "clone from the Enterprise host: {clone}"
    );
    Ok(())
}

/// Sends GitHub's `installation` delivery with `action` for `installation_id` to the app's
/// webhook URL, signed with `secret`.
fn app_delivery(host: &Host, installation_id: &str, action: &str, secret: &str) -> Reply {
    let body = json!({
        "action": action,
        "installation": {"id": installation_id.parse::<u64>().unwrap_or_default(),
                         "account": {"login": "octocat"}},
        "sender": {"login": "octocat"},
    })
    .to_string();
    let headers = vec![
        ("content-type".to_owned(), "application/json".to_owned()),
        ("x-github-event".to_owned(), "installation".to_owned()),
        (
            "x-github-delivery".to_owned(),
            format!("{action}-{installation_id}"),
        ),
        (
            "x-hub-signature-256".to_owned(),
            signature_256(secret, body.as_bytes()),
        ),
    ];
    host.send(
        "POST",
        "/webhooks/github-app",
        &headers,
        Some(body.as_bytes()),
    )
    .unwrap_or_else(|e| panic!("app delivery: {e}"))
}

#[test]
fn the_apps_own_deliveries_reflect_an_installation_suspended_or_deleted_on_github(
) -> anyhow::Result<()> {
    let env = env()?;
    let (host, _) = start(&env)?;
    let signed_in = browser::sign_in(&host, "github")?;
    let auth = format!(
        "Bearer {}",
        signed_in["session_token"].as_str().context("session")?
    );
    let org = new_org(&host, &auth, "watchers")?;
    let link = install_link(&host, &org, &auth)?;
    let install_url = link["install_url"].as_str().context("install_url")?;
    let (_, connected) = install(&host, install_url, "&login=octocat&repositories=hello")?;
    let connected = expect_json(&connected, 200)?;
    let id = connected["installation"]["installation_id"]
        .as_str()
        .context("installation id")?
        .to_owned();
    let app = create_app(&host, &org, &auth)?;
    let app_path = format!(
        "/organization/{org}/application/{}",
        app["id"].as_str().context("app id")?
    );
    let access = |host: &Host| -> anyhow::Result<Value> {
        let app = expect_json(&call(host, "GET", &app_path, &auth, None), 200)?;
        Ok(app["git_repository"].clone())
    };

    let forged = app_delivery(&host, &id, "deleted", "not-the-secret-0123456789");
    assert_eq!(forged.status, 401, "{}", forged.body);
    assert_eq!(slug_of(&forged), "/problems/webhook-signature-invalid");
    let other = app_delivery(&host, "987654", "deleted", APP_WEBHOOK_SECRET);
    assert_eq!(expect_json(&other, 200)?["status"], "ignored");

    let suspended = app_delivery(&host, &id, "suspend", APP_WEBHOOK_SECRET);
    assert_eq!(expect_json(&suspended, 200)?["status"], "updated");
    let git = access(&host)?;
    assert_eq!(git["has_access"], false, "{git}");
    ensure!(git.to_string().contains("suspended"), "{git}");
    let lifted = app_delivery(&host, &id, "unsuspend", APP_WEBHOOK_SECRET);
    assert_eq!(expect_json(&lifted, 200)?["status"], "updated");
    assert_eq!(access(&host)?["has_access"], true);

    let deleted = app_delivery(&host, &id, "deleted", APP_WEBHOOK_SECRET);
    assert_eq!(expect_json(&deleted, 200)?["status"], "disconnected");
    let gone = call(
        &host,
        "GET",
        &format!("/organization/{org}/github/installation"),
        &auth,
        None,
    );
    assert_eq!(gone.status, 404, "{}", gone.body);
    let git = access(&host)?;
    assert_eq!(git["has_access"], false, "{git}");
    ensure!(git.to_string().contains("no longer connected"), "{git}");
    Ok(())
}

#[test]
fn without_its_variables_the_github_app_answers_501_naming_them() -> anyhow::Result<()> {
    let env = env()?;
    let host = Host::start(
        env.host_config()
            .variable("encryption_key", KEY)
            .variable("bootstrap_token", BOOTSTRAP),
    )?;
    let (org, key) = ApiClient::new(&host).new_org(BOOTSTRAP, "plain")?;
    let reply = ApiClient::new(&host).call(
        "GET",
        &format!("/organization/{org}/github/connect"),
        &key,
        None,
    )?;
    assert_eq!(reply.status, 501, "{}", reply.body);
    assert_eq!(slug_of(&reply), "/problems/github-app-not-configured");
    ensure!(
        reply.body.contains("'github_app_id'") && reply.body.contains("'github_app_private_key'"),
        "{}",
        reply.body
    );
    // A callback without a state is refused before anything is read.
    let reply = host.send(
        "GET",
        "/github/app/callback?installation_id=12&setup_action=install",
        &[],
        None,
    )?;
    assert!(
        matches!(reply.status, 400 | 501),
        "{}: {}",
        reply.status,
        reply.body
    );
    Ok(())
}
