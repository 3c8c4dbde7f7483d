//! Signed-in users end to end, for GitHub, GitLab and Bitbucket against their mocks: sign
//! in (OAuth with PKCE through the provider component), create an organization with the
//! session, list repositories and branches with the user's own account, create an
//! application on it (`own_account`), see the webhook installed on the mock, turn a push
//! and a pull/merge request the mock delivers into events (a forged delivery is refused,
//! a replayed one is a duplicate), obtain audited clone credentials, lose access by
//! unlinking the account and regain it by signing in again, and remove the hook by
//! deleting the application. Also: membership of users added by id, and what API keys
//! may not do with `own_account`.
//!
//! `cargo xtask build && cargo test --release -p e2e-tests --test own_account`.

use anyhow::{bail, ensure, Context};
use e2e_tests::conformance::{bitbucket as bb, gitlab as gl};
use e2e_tests::sign_in_setup::{self as setup, OAuthClient};
use e2e_tests::{browser, ApiClient, Host, HostConfig, Reply, TestEnv};
use mock_providers::github::RepositorySeed;
use mock_providers::Delivery;
use serde_json::{json, Value};

const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const BOOTSTRAP: &str = "e2e-bootstrap-own-account-0123456789";
const CLIENT: OAuthClient = OAuthClient {
    id: "e2e-own-account-client",
    secret: "e2e-own-account-secret-0123456789abcdef",
};

/// What differs between providers.
struct Case<'a> {
    provider: &'static str,
    type_name: &'static str,
    /// `owner/name` of the repository the user administers.
    repository: String,
    branch: &'static str,
    login: &'static str,
    /// Makes the mock deliver a push to the repository's hooks.
    push: Box<dyn Fn() -> anyhow::Result<Vec<Delivery>> + 'a>,
    /// Makes the mock deliver a pull (merge) request opened event.
    pull: Box<dyn Fn() -> anyhow::Result<Vec<Delivery>> + 'a>,
    /// The URLs of the repository's hooks on the mock.
    hooks: Box<dyn Fn() -> Vec<String> + 'a>,
}

fn json_of(reply: &Reply, status: u16) -> anyhow::Result<Value> {
    ensure!(
        reply.status == status,
        "expected {status}, got {}: {}",
        reply.status,
        reply.body
    );
    Ok(reply.json()?)
}

fn bearer(session: &str) -> String {
    format!("Bearer {session}")
}

fn call(
    host: &Host,
    method: &str,
    path: &str,
    authorization: &str,
    body: Option<&Value>,
) -> anyhow::Result<Reply> {
    Ok(ApiClient::new(host).call_as(method, path, authorization, body)?)
}

/// The whole browser round trip; the callback's answer, with PKCE checked on the way.
fn sign_in(host: &Host, provider: &str) -> anyhow::Result<Value> {
    let started = browser::start_sign_in(host, provider)?;
    ensure!(
        started.authorize_url.contains("code_challenge="),
        "PKCE for {provider}: {}",
        started.authorize_url
    );
    let callback = browser::approve(&started.authorize_url)?;
    Ok(browser::finish_sign_in(host, &callback, Some(&started.cookie))?.expect(200)?)
}

fn payload_url_path(app: &Value) -> anyhow::Result<String> {
    let url = app["webhook"]["payload_url"]
        .as_str()
        .context("payload_url")?;
    url.find("/webhooks/")
        .map(|at| url[at..].to_owned())
        .context("payload path")
}

fn events(host: &Host, auth: &str, org: &str, app: &str) -> anyhow::Result<Vec<Value>> {
    let page = json_of(
        &call(
            host,
            "GET",
            &format!("/organization/{org}/application/{app}/events?limit=100"),
            auth,
            None,
        )?,
        200,
    )?;
    Ok(page["results"].as_array().cloned().unwrap_or_default())
}

/// Re-sends a recorded delivery, optionally forged (signature or secret token replaced)
/// and with a fresh delivery id.
fn resend(host: &Host, delivery: &Delivery, forge: bool) -> anyhow::Result<Reply> {
    let path = delivery
        .url
        .find("/webhooks/")
        .map(|at| delivery.url[at..].to_owned())
        .context("delivery path")?;
    let mut headers: Vec<(String, String)> = Vec::new();
    for (name, value) in &delivery.headers {
        let lower = name.to_ascii_lowercase();
        if matches!(
            lower.as_str(),
            "host" | "content-length" | "connection" | "accept-encoding"
        ) {
            continue;
        }
        let value = if !forge {
            value.clone()
        } else if lower.starts_with("x-hub-signature") {
            format!("sha256={}", "0".repeat(64))
        } else if lower == "x-gitlab-token" {
            "not-the-secret".to_owned()
        } else if lower.contains("uuid") || lower.contains("delivery") {
            format!("forged-{value}")
        } else {
            value.clone()
        };
        headers.push((lower, value));
    }
    Ok(host.send("POST", &path, &headers, Some(&delivery.body))?)
}

/// The own-account journey for one provider.
fn own_account_journey(host: &Host, case: &Case<'_>) -> anyhow::Result<()> {
    let p = case.provider;
    let signed_in = sign_in(host, p)?;
    let session = signed_in["session_token"]
        .as_str()
        .context("session")?
        .to_owned();
    let user_id = signed_in["user"]["id"].as_str().context("user")?.to_owned();
    let accounts = signed_in["user"]["git_accounts"].to_string();
    ensure!(
        accounts.contains(case.login),
        "{p}: linked account {accounts}"
    );
    let auth = bearer(&session);

    // The user creates an organization and becomes its owner; no API key is made.
    let created = json_of(
        &call(
            host,
            "POST",
            "/organization",
            &auth,
            Some(&json!({"name": format!("{p} people")})),
        )?,
        201,
    )?;
    let org = created["organization"]["id"]
        .as_str()
        .context("org")?
        .to_owned();
    assert_eq!(created["member"]["user_id"], user_id.as_str(), "{created}");
    assert_eq!(created["member"]["role"], "owner");
    assert!(created.get("api_token").is_none(), "{created}");
    let me = json_of(&call(host, "GET", "/user", &auth, None)?, 200)?;
    assert!(
        me["organizations"].as_array().is_some_and(|orgs| orgs
            .iter()
            .any(|o| o["id"] == org.as_str() && o["role"] == "owner")),
        "{me}"
    );

    // Repositories and branches through the user's own account.
    let repos = json_of(
        &call(
            host,
            "GET",
            &format!("/organization/{org}/account/{p}/repository?per_page=100"),
            &auth,
            None,
        )?,
        200,
    )?;
    let name = case.repository.rsplit('/').next().unwrap_or_default();
    ensure!(
        repos["results"]
            .as_array()
            .is_some_and(|r| r.iter().any(|repo| repo["name"] == name)),
        "{p}: {} not in {repos}",
        case.repository
    );
    let branches = json_of(
        &call(
            host,
            "GET",
            &format!(
                "/organization/{org}/account/{p}/repository/branch?name={}",
                case.repository
            ),
            &auth,
            None,
        )?,
        200,
    )?;
    ensure!(
        branches["results"].to_string().contains(case.branch),
        "{p}: {branches}"
    );

    // The application on the user's own account gets a managed webhook.
    let request = json!({
        "name": format!("{p}-web"),
        "git_repository": {
            "provider": case.type_name,
            "url": case.repository,
            "branch": case.branch,
            "own_account": true,
        }
    });
    let app = json_of(
        &call(
            host,
            "POST",
            &format!("/organization/{org}/application"),
            &auth,
            Some(&request),
        )?,
        201,
    )?;
    let app_id = app["id"].as_str().context("app id")?.to_owned();
    let git = &app["git_repository"];
    assert_eq!(git["account"], "own_account", "{app}");
    assert_eq!(git["user_id"], user_id.as_str());
    assert_eq!(git["git_account_login"], case.login);
    assert_eq!(git["has_access"], true, "{app}");
    assert_eq!(app["webhook"]["mode"], "managed", "{app}");
    assert!(app.get("webhook_setup").is_none(), "{app}");
    let payload_path = payload_url_path(&app)?;
    ensure!(
        (case.hooks)()
            .iter()
            .any(|url| url.ends_with(&payload_path)),
        "{p}: no hook for {payload_path} on the mock: {:?}",
        (case.hooks)()
    );

    // The mock's own deliveries become events; forged and replayed ones do not.
    let pushed = (case.push)()?;
    let push = pushed.first().context("a push delivery")?;
    let pulled = (case.pull)()?;
    let pull = pulled.first().context("a pull request delivery")?;
    let seen = events(host, &auth, &org, &app_id)?;
    let kinds: Vec<&str> = seen
        .iter()
        .filter_map(|e| e["detail"]["type"].as_str())
        .collect();
    ensure!(
        kinds.contains(&"push") && kinds.contains(&"pull_request"),
        "{p}: events {seen:?}; deliveries {:?} {:?}",
        push.outcome,
        pull.outcome
    );
    let forged = resend(host, push, true)?;
    assert_eq!(forged.status, 401, "{p}: forged {}", forged.body);
    let replayed = resend(host, push, false)?;
    assert_eq!(replayed.status, 200, "{p}: replay {}", replayed.body);
    assert!(replayed.body.contains("duplicate"), "{}", replayed.body);
    // GitHub's ping for the new hook may land at any time; it is not counted.
    let counted = |events: &[Value]| {
        events
            .iter()
            .filter(|e| e["detail"]["type"] != "ping")
            .count()
    };
    assert_eq!(
        counted(&events(host, &auth, &org, &app_id)?),
        counted(&seen),
        "{p}: no new event from forged or replayed deliveries"
    );

    // Clone credentials from the user's account, audited with the user.
    let clone = json_of(
        &call(
            host,
            "POST",
            &format!("/organization/{org}/application/{app_id}/cloneCredentials"),
            &auth,
            None,
        )?,
        200,
    )?;
    assert_eq!(clone["account"], format!("user:{user_id}"), "{p}");
    ensure!(
        clone["password"].as_str().is_some_and(|pw| !pw.is_empty()),
        "{p}: {clone}"
    );
    let audit = json_of(
        &call(
            host,
            "GET",
            &format!("/organization/{org}/application/{app_id}/audit"),
            &auth,
            None,
        )?,
        200,
    )?;
    assert_eq!(
        audit["results"][0]["action"], "clone_credentials",
        "{audit}"
    );
    assert_eq!(audit["results"][0]["user_id"], user_id.as_str());
    assert_eq!(audit["results"][0]["account"], format!("user:{user_id}"));
    let password = clone["password"].as_str().unwrap_or_default();
    assert!(
        !audit.to_string().contains(password),
        "no secret in the audit"
    );

    // Unlinking the account loses access; signing in again restores it.
    let unlinked = call(
        host,
        "DELETE",
        &format!("/user/gitAccount/{p}"),
        &auth,
        None,
    )?;
    assert_eq!(unlinked.status, 204, "{}", unlinked.body);
    let app_path = format!("/organization/{org}/application/{app_id}");
    let lost = json_of(&call(host, "GET", &app_path, &auth, None)?, 200)?;
    assert_eq!(lost["git_repository"]["has_access"], false, "{lost}");
    ensure!(
        lost["git_repository"]["has_access_reason"]
            .as_str()
            .is_some_and(|r| r.contains("no longer linked")),
        "{lost}"
    );
    let refused = call(
        host,
        "POST",
        &format!("{app_path}/cloneCredentials"),
        &auth,
        None,
    )?;
    assert_eq!(refused.status, 422, "{}", refused.body);
    let again = sign_in(host, p)?;
    assert_eq!(again["user"]["id"], user_id.as_str(), "the same user");
    let restored = json_of(&call(host, "GET", &app_path, &auth, None)?, 200)?;
    assert_eq!(restored["git_repository"]["has_access"], true, "{restored}");

    // Deleting the application removes the hook from the repository.
    let deleted = call(host, "DELETE", &app_path, &auth, None)?;
    assert_eq!(deleted.status, 204, "{}", deleted.body);
    ensure!(
        !(case.hooks)()
            .iter()
            .any(|url| url.ends_with(&payload_path)),
        "{p}: the hook is still there: {:?}",
        (case.hooks)()
    );
    Ok(())
}

fn base_config(env: &TestEnv) -> HostConfig {
    env.host_config()
        .variable("encryption_key", KEY)
        .variable("bootstrap_token", BOOTSTRAP)
}

fn github_case(env: &TestEnv) -> anyhow::Result<Case<'_>> {
    let github = env.github().provider();
    github.add_repository(RepositorySeed::private("octocat", "hello").with_branches(&["main"]))?;
    Ok(Case {
        provider: "github",
        type_name: "GITHUB",
        repository: "octocat/hello".into(),
        branch: "main",
        login: "octocat",
        push: Box::new(move || {
            github
                .push("octocat/hello", "main", "Deploy me")
                .context("push")
        }),
        pull: Box::new(move || {
            github
                .pull_request("octocat/hello", "opened", 7, "feature", "main")
                .context("pull request")
        }),
        hooks: Box::new(move || {
            github
                .hooks("octocat/hello")
                .into_iter()
                .map(|h| h.url)
                .collect()
        }),
    })
}

#[test]
fn github_user_signs_in_and_runs_an_application_on_their_own_account() -> anyhow::Result<()> {
    let env = setup::github_env(CLIENT)?;
    let case = github_case(&env)?;
    let host = Host::start(setup::github_config(base_config(&env), &env, CLIENT))?;
    own_account_journey(&host, &case)
}

#[test]
fn gitlab_user_signs_in_and_runs_an_application_on_their_own_account() -> anyhow::Result<()> {
    let env = setup::gitlab_env()?;
    let host = setup::gitlab_host(&env, base_config(&env), CLIENT)?;
    let mock = env.gitlab().context("mock GitLab")?.provider();
    let project = format!("{}/{}", gl::seeded::NAMESPACE, gl::seeded::PROJECT);
    let case = Case {
        provider: "gitlab",
        type_name: "GITLAB",
        repository: project.clone(),
        branch: "main",
        login: gl::seeded::USER,
        push: Box::new(|| {
            mock.push(&project, "main", gl::seeded::USER, "Deploy me")
                .context("push")
        }),
        pull: Box::new(|| {
            mock.merge_request(&project, "open", 3, "develop", "main", gl::seeded::USER)
                .context("merge request")
        }),
        hooks: Box::new(|| mock.hooks(&project).into_iter().map(|h| h.url).collect()),
    };
    own_account_journey(&host, &case)
}

#[test]
fn bitbucket_user_signs_in_and_runs_an_application_on_their_own_account() -> anyhow::Result<()> {
    let env = setup::bitbucket_env(CLIENT)?;
    let host = Host::start(setup::bitbucket_config(base_config(&env), &env, CLIENT))?;
    let mock = env.bitbucket().context("mock Bitbucket")?.provider();
    let full_name = format!("{}/{}", bb::seeded::WORKSPACE, bb::seeded::REPOSITORY);
    let case = Case {
        provider: "bitbucket",
        type_name: "BITBUCKET",
        repository: full_name.clone(),
        branch: "main",
        login: bb::seeded::USER,
        push: Box::new(|| {
            mock.push(&full_name, "main", bb::seeded::USER, "Deploy me")
                .context("push")
        }),
        pull: Box::new(|| {
            mock.pull_request(
                &full_name,
                "pullrequest:created",
                5,
                "develop",
                "main",
                bb::seeded::USER,
            )
            .context("pull request")
        }),
        hooks: Box::new(|| mock.hooks(&full_name).into_iter().map(|h| h.url).collect()),
    };
    own_account_journey(&host, &case)
}

#[test]
fn users_join_organizations_by_id_and_api_keys_cannot_use_own_accounts() -> anyhow::Result<()> {
    let env = setup::github_env(CLIENT)?;
    let _case = github_case(&env)?;
    let host = Host::start(setup::github_config(base_config(&env), &env, CLIENT))?;
    let signed_in = sign_in(&host, "github")?;
    let session = bearer(signed_in["session_token"].as_str().context("session")?);
    let user_id = signed_in["user"]["id"].as_str().context("user")?;

    // An organization made by the operator; the user is not in it yet.
    let created = json_of(
        &call(
            &host,
            "POST",
            "/organization",
            &format!("Token {BOOTSTRAP}"),
            Some(&json!({"name": "Operated"})),
        )?,
        201,
    )?;
    let org = created["organization"]["id"].as_str().context("org")?;
    let key = format!(
        "Token {}",
        created["api_token"]["token"].as_str().context("key")?
    );
    let outsider = call(
        &host,
        "GET",
        &format!("/organization/{org}"),
        &session,
        None,
    )?;
    assert_eq!(outsider.status, 404, "{}", outsider.body);

    // Unknown users are refused; the owner adds the user as a viewer by id.
    let nobody = call(
        &host,
        "POST",
        &format!("/organization/{org}/member"),
        &key,
        Some(&json!({"name": "x", "role": "viewer",
                     "user_id": "00000000-0000-4000-8000-000000000000"})),
    )?;
    assert_eq!(json_of(&nobody, 422)?["type"], "/problems/user-not-found");
    let member = json_of(
        &call(
            &host,
            "POST",
            &format!("/organization/{org}/member"),
            &key,
            Some(&json!({"name": "Octo", "role": "viewer", "user_id": user_id})),
        )?,
        201,
    )?;
    assert_eq!(member["user_id"], user_id);
    let twice = call(
        &host,
        "POST",
        &format!("/organization/{org}/member"),
        &key,
        Some(&json!({"name": "Octo again", "role": "admin", "user_id": user_id})),
    )?;
    assert_eq!(json_of(&twice, 409)?["type"], "/problems/already-a-member");

    // The session now reads the organization with the viewer role, and no more.
    let read = call(
        &host,
        "GET",
        &format!("/organization/{org}"),
        &session,
        None,
    )?;
    assert_eq!(read.status, 200, "{}", read.body);
    let request = json!({"name": "web", "git_repository": {
        "provider": "GITHUB", "url": "octocat/hello", "branch": "main", "own_account": true}});
    let viewer = call(
        &host,
        "POST",
        &format!("/organization/{org}/application"),
        &session,
        Some(&request),
    )?;
    assert_eq!(viewer.status, 403, "{}", viewer.body);

    // An API key has no own account.
    let by_key = call(
        &host,
        "POST",
        &format!("/organization/{org}/application"),
        &key,
        Some(&request),
    )?;
    assert_eq!(
        json_of(&by_key, 422)?["type"],
        "/problems/own-account-needs-session"
    );
    let both = json!({"name": "web", "git_repository": {
        "provider": "GITHUB", "url": "octocat/hello", "branch": "main", "own_account": true,
        "git_token_id": "00000000-0000-4000-8000-000000000000"}});
    let both = call(
        &host,
        "POST",
        &format!("/organization/{org}/application"),
        &key,
        Some(&both),
    )?;
    assert_eq!(both.status, 400, "{}", both.body);
    let list = call(
        &host,
        "GET",
        &format!("/organization/{org}/account/github/repository"),
        &key,
        None,
    )?;
    assert_eq!(list.status, 400, "{}", list.body);

    // Removing the member ends the session's access.
    let member_id = member["id"].as_str().context("member id")?;
    let removed = call(
        &host,
        "DELETE",
        &format!("/organization/{org}/member/{member_id}"),
        &key,
        None,
    )?;
    assert_eq!(removed.status, 204, "{}", removed.body);
    let gone = call(
        &host,
        "GET",
        &format!("/organization/{org}"),
        &session,
        None,
    )?;
    assert_eq!(gone.status, 404, "{}", gone.body);
    let me = json_of(&call(&host, "GET", "/user", &session, None)?, 200)?;
    assert_eq!(me["organizations"], json!([]), "{me}");
    if signed_in.to_string().contains("gho_") {
        bail!("the OAuth token is never returned");
    }
    Ok(())
}
