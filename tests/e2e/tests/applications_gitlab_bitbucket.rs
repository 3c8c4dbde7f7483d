//! Applications on GitLab and Bitbucket end to end: the real host serving `spin.toml`
//! (api + provider components) against the mock GitLab and the mock Bitbucket. The same
//! flow runs for both: an application created on an organization Git token installs its
//! hook on the mock, signed deliveries become normalized events, forged ones are refused,
//! replays are recognised, a refused token loses access until its value is renewed, clone
//! credentials have the provider's shape, and deleting the application removes the hook.
//! Repositories and branches are listed through a GitLab group token and a Bitbucket
//! workspace token.
//!
//! Published deliveries from `../shared/fixtures/webhooks` (MANIFEST.md there) are also
//! posted, signed with the application's secret, when that folder exists; the test says
//! when it is skipped (`GIT_ACCESS_WEBHOOK_FIXTURES` may point elsewhere).
//!
//! `cargo xtask build && cargo test --release -p e2e-tests --test applications_gitlab_bitbucket`.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{ensure, Context};
use e2e_tests::conformance::{bitbucket as bb_suite, gitlab as gl_suite};
use e2e_tests::{application_request, github_seed, ApiClient, Host, HostConfig, TestEnv};
use git_access_plugin_sdk::webhook_fixtures;
use mock_providers::bitbucket::{self, MockBitbucket};
use mock_providers::gitlab::{self, AccessLevel, MockGitLab};
use mock_providers::{Delivery, DeliveryOutcome};
use serde_json::{json, Value};

/// Encryption key (base64 of 32 bytes) used by these tests only.
const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
/// The operator's bootstrap token in these tests.
const BOOTSTRAP: &str = "e2e-bootstrap-apps-gl-bb-0123456789";

/// The GitLab project the applications use (in subgroup `acme/platform`).
const GITLAB_PROJECT: &str = "acme/platform/api";
/// The Bitbucket repository the applications use.
const BITBUCKET_REPOSITORY: &str = "acme/api";
/// GitLab project token of [`GITLAB_PROJECT`], Maintainer: the application's token.
const GITLAB_PROJECT_TOKEN: &str = "glpat-e2eAppsProjectMaintainer0001";
/// Its renewed value (a new project token of the same project).
const GITLAB_RENEWED: &str = "glpat-e2eAppsProjectRenewed0000002";
/// Bitbucket repository access token of [`BITBUCKET_REPOSITORY`]: the application's token.
const BITBUCKET_REPO_TOKEN: &str = "ATCTT3xE2eAppsRepositoryToken00001";
/// Its renewed value.
const BITBUCKET_RENEWED: &str = "ATCTT3xE2eAppsRepositoryRenewed002";
/// A Bitbucket repository access token that expires while the test runs.
const BITBUCKET_EXPIRING: &str = "ATCTT3xE2eAppsRepositoryExpiring03";
/// Headers that carry a delivery's id (GitLab: `Idempotency-Key`, else
/// `X-Gitlab-Event-UUID`; Bitbucket: `X-Request-UUID`), the key replays are recognised by.
const DELIVERY_ID_HEADERS: &[&str] = &["Idempotency-Key", "X-Gitlab-Event-UUID", "X-Request-UUID"];
/// Scopes of a Bitbucket access token that git-access needs.
const BITBUCKET_SCOPES: &[&str] = &["repository", "pullrequest:write", "webhook"];

/// A hook at the provider, as the flow compares it.
#[derive(Debug)]
struct HookView {
    url: String,
    push: bool,
    pull_requests: bool,
    active: bool,
    secret: Option<String>,
}

/// The mock a [`Provider`] drives.
enum Mock<'e> {
    GitLab(&'e MockGitLab),
    Bitbucket(&'e MockBitbucket),
}

/// One provider under the shared flow: its ids, its mock, the repository and what its
/// deliveries and clone credentials look like.
struct Provider<'e> {
    /// Path id (`gitlab`).
    id: &'static str,
    /// `type` in requests (`GITLAB`).
    type_name: &'static str,
    /// The repository, `owner/name` (a GitLab owner may be a subgroup path).
    repository: &'static str,
    /// Its branches.
    branches: &'static [&'static str],
    /// `workspace` of a Git token (Bitbucket needs one).
    workspace: Option<&'static str>,
    /// User name of clone credentials.
    clone_username: &'static str,
    /// Who pushes and opens pull requests at the mock.
    user: &'static str,
    /// `provider_event` of a push and of an opened pull request.
    push_event: &'static str,
    pull_request_event: &'static str,
    /// `provider_action` of an opened pull request.
    opened_action: &'static str,
    /// Length of a pull request's `head_sha` (Bitbucket abbreviates to 12).
    head_sha_len: usize,
    mock: Mock<'e>,
    /// The mock's web root (clone URLs live there).
    web_url: String,
}

impl<'e> Provider<'e> {
    fn gitlab(env: &'e TestEnv) -> anyhow::Result<Self> {
        let server = env.gitlab().context("the environment has no GitLab")?;
        Ok(Self {
            id: "gitlab",
            type_name: "GITLAB",
            repository: GITLAB_PROJECT,
            branches: gl_suite::seeded::BRANCHES,
            workspace: None,
            clone_username: "oauth2",
            user: gl_suite::seeded::USER,
            push_event: "Push Hook",
            pull_request_event: "Merge Request Hook",
            opened_action: "open",
            head_sha_len: 40,
            mock: Mock::GitLab(server.provider()),
            web_url: web_root(server.base_url(), gitlab::API_PATH),
        })
    }

    fn bitbucket(env: &'e TestEnv) -> anyhow::Result<Self> {
        let server = env
            .bitbucket()
            .context("the environment has no Bitbucket")?;
        Ok(Self {
            id: "bitbucket",
            type_name: "BITBUCKET",
            repository: BITBUCKET_REPOSITORY,
            branches: bb_suite::seeded::BRANCHES,
            workspace: Some(bb_suite::seeded::WORKSPACE),
            clone_username: "x-token-auth",
            user: bb_suite::seeded::USER,
            push_event: "repo:push",
            pull_request_event: "pullrequest:created",
            opened_action: "created",
            head_sha_len: 12,
            mock: Mock::Bitbucket(server.provider()),
            web_url: web_root(server.base_url(), bitbucket::API_PATH),
        })
    }

    /// `GitTokenRequest` for `value`.
    fn token_request(&self, name: &str, value: &str) -> Value {
        let mut request = json!({"name": name, "type": self.type_name, "token": value});
        if let Some(workspace) = self.workspace {
            request["workspace"] = json!(workspace);
        }
        request
    }

    fn hooks(&self) -> Vec<HookView> {
        match self.mock {
            Mock::GitLab(mock) => mock
                .hooks(self.repository)
                .into_iter()
                .map(|h| HookView {
                    url: h.url,
                    push: h.push_events,
                    pull_requests: h.merge_requests_events,
                    // GitLab hooks have no on/off switch (the mock never disables one).
                    active: true,
                    secret: h.token,
                })
                .collect(),
            Mock::Bitbucket(mock) => mock
                .hooks(self.repository)
                .into_iter()
                .map(|h| HookView {
                    push: h.events.iter().any(|e| e == "repo:push"),
                    pull_requests: ["created", "updated", "fulfilled", "rejected"]
                        .iter()
                        .all(|a| h.events.contains(&format!("pullrequest:{a}"))),
                    url: h.url,
                    active: h.active,
                    secret: h.secret,
                })
                .collect(),
        }
    }

    /// One commit pushed to `branch`; the one delivery the application's hook got.
    fn push(&self, branch: &str, message: &str) -> anyhow::Result<Delivery> {
        let sent = match self.mock {
            Mock::GitLab(mock) => mock.push(self.repository, branch, self.user, message),
            Mock::Bitbucket(mock) => mock.push(self.repository, branch, self.user, message),
        };
        only_delivery(sent.context("the mock could not push")?)
    }

    /// Pull (merge) request `number` opened from `source` into `target`; its delivery.
    fn open_pull_request(
        &self,
        number: u64,
        source: &str,
        target: &str,
    ) -> anyhow::Result<Delivery> {
        let sent = match self.mock {
            Mock::GitLab(mock) => {
                mock.merge_request(self.repository, "open", number, source, target, self.user)
            }
            Mock::Bitbucket(mock) => mock.pull_request(
                self.repository,
                "pullrequest:created",
                number,
                source,
                target,
                self.user,
            ),
        };
        only_delivery(sent.context("the mock could not open a pull request")?)
    }

    /// The commit a push delivery moved the branch to, read from its body.
    fn pushed_commit(&self, delivery: &Delivery) -> anyhow::Result<String> {
        let body: Value = serde_json::from_slice(&delivery.body)?;
        let after = match self.mock {
            Mock::GitLab(_) => &body["after"],
            Mock::Bitbucket(_) => &body["push"]["changes"][0]["new"]["target"]["hash"],
        };
        Ok(after.as_str().context("pushed commit")?.to_owned())
    }

    /// Deliveries that must be refused: `delivery` resent (under a fresh delivery id)
    /// with a wrong secret, without one, and (where the signature covers the body) with
    /// a changed body.
    fn forgeries(&self, delivery: &Delivery) -> Vec<Forgery> {
        let mut headers = delivery.headers.clone();
        for (name, value) in headers.iter_mut() {
            if DELIVERY_ID_HEADERS
                .iter()
                .any(|id| name.eq_ignore_ascii_case(id))
            {
                *value = "0f0f0f0f-0000-4000-8000-00000000f0f0".to_owned();
            }
        }
        let body = delivery.body.clone();
        match self.mock {
            Mock::GitLab(_) => {
                let mut wrong = headers.clone();
                set_header(&mut wrong, "X-Gitlab-Token", "not-the-secret");
                let mut missing = headers;
                remove_header(&mut missing, "X-Gitlab-Token");
                vec![
                    Forgery::new("wrong X-Gitlab-Token", wrong, body.clone()),
                    Forgery::new("no X-Gitlab-Token", missing, body),
                ]
            }
            Mock::Bitbucket(_) => {
                let mut wrong = headers.clone();
                let forged = bitbucket::signature("not-the-secret", &body);
                set_header(&mut wrong, "X-Hub-Signature", &forged);
                let mut missing = headers.clone();
                remove_header(&mut missing, "X-Hub-Signature");
                let mut tampered = body.clone();
                tampered.extend_from_slice(b" ");
                vec![
                    Forgery::new("signed with another secret", wrong, body.clone()),
                    Forgery::new("unsigned", missing, body),
                    Forgery::new("body changed after signing", headers, tampered),
                ]
            }
        }
    }

    /// The published deliveries of [`GITLAB_FIXTURES`] or [`BITBUCKET_FIXTURES`] in
    /// `dir`, pointed at the application's repository and signed with `secret` the way the
    /// provider signs (headers, and an HMAC of the exact bytes sent); each also as
    /// published, about its own repository, signed the same way.
    fn fixture_deliveries(&self, dir: &Path, secret: &str) -> anyhow::Result<Vec<FixtureDelivery>> {
        let rows = match self.mock {
            Mock::GitLab(_) => GITLAB_FIXTURES,
            Mock::Bitbucket(_) => BITBUCKET_FIXTURES,
        };
        let signed = |row: &FixtureRow, json: &Value, body: &[u8]| match self.mock {
            // GitLab sends the secret token back as is: it does not cover the body.
            Mock::GitLab(_) => {
                gitlab::delivery_request(
                    row.event,
                    row.delivery_id,
                    FIXTURE_HOOK_UUID,
                    &self.web_url,
                    Some(secret),
                    json,
                )
                .0
            }
            Mock::Bitbucket(_) => {
                let (mut headers, _) = bitbucket::delivery_request(
                    row.event,
                    row.delivery_id,
                    FIXTURE_HOOK_UUID,
                    None,
                    json,
                );
                // HMAC of the bytes sent, never of re-serialized JSON.
                let signature = bitbucket::signature(secret, body);
                set_header(&mut headers, "X-Hub-Signature", &signature);
                headers
            }
        };
        rows.iter()
            .map(|row| {
                let path = dir.join(row.file);
                let published = std::fs::read(&path).with_context(|| path.display().to_string())?;
                let mut json: Value = serde_json::from_slice(&published)
                    .with_context(|| path.display().to_string())?;
                let elsewhere = FixtureSend {
                    headers: signed(row, &json, &published),
                    body: published,
                };
                // The receiver records deliveries about the application's repository only.
                let (_, pointer) = row
                    .checks
                    .iter()
                    .find(|(event, _)| *event == "/repository")
                    .with_context(|| format!("{}: no repository check", row.file))?;
                *json
                    .pointer_mut(pointer)
                    .with_context(|| format!("{}: {pointer}", row.file))? =
                    Value::String(self.repository.to_owned());
                let body = serde_json::to_vec(&json)?;
                let expected = row
                    .checks
                    .iter()
                    .map(|(event, payload)| {
                        let value = json.pointer(payload).cloned();
                        Ok((
                            *event,
                            value.with_context(|| format!("{}: {payload}", row.file))?,
                        ))
                    })
                    .collect::<anyhow::Result<_>>()?;
                Ok(FixtureDelivery {
                    file: row.file,
                    kind: row.kind,
                    expected,
                    ours: FixtureSend {
                        headers: signed(row, &json, &body),
                        body,
                    },
                    elsewhere,
                })
            })
            .collect()
    }

    fn revoke(&self, value: &str) -> bool {
        match self.mock {
            Mock::GitLab(mock) => mock.revoke_token(value),
            Mock::Bitbucket(mock) => mock.revoke_token(value),
        }
    }
}

/// A delivery the receiver must refuse, and how it was forged.
struct Forgery {
    what: &'static str,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Forgery {
    fn new(what: &'static str, headers: Vec<(String, String)>, body: Vec<u8>) -> Self {
        Self {
            what,
            headers,
            body,
        }
    }
}

/// A published delivery (`../shared/fixtures/webhooks`) and what its event must hold.
struct FixtureRow {
    /// Path under the fixtures folder.
    file: &'static str,
    /// The provider's event header value.
    event: &'static str,
    /// `detail.type` of its event.
    kind: &'static str,
    /// Delivery id sent with it.
    delivery_id: &'static str,
    /// (JSON pointer into the event, JSON pointer into the payload) that must be equal.
    checks: &'static [(&'static str, &'static str)],
}

const GITLAB_FIXTURES: &[FixtureRow] = &[
    FixtureRow {
        file: "gitlab/push.json",
        event: "Push Hook",
        kind: "push",
        delivery_id: "5f1d0c9e-0000-4000-8000-0000000000a1",
        checks: &[
            ("/repository", "/project/path_with_namespace"),
            ("/sender", "/user_username"),
            ("/detail/value/ref", "/ref"),
            ("/detail/value/after", "/after"),
            ("/detail/value/commit_count", "/total_commits_count"),
        ],
    },
    FixtureRow {
        file: "gitlab/merge_request.open.json",
        event: "Merge Request Hook",
        kind: "pull_request",
        delivery_id: "5f1d0c9e-0000-4000-8000-0000000000a2",
        checks: &[
            ("/repository", "/project/path_with_namespace"),
            ("/sender", "/user/username"),
            ("/detail/value/number", "/object_attributes/iid"),
            ("/detail/value/provider_action", "/object_attributes/action"),
            (
                "/detail/value/source_branch",
                "/object_attributes/source_branch",
            ),
            (
                "/detail/value/target_branch",
                "/object_attributes/target_branch",
            ),
        ],
    },
];

const BITBUCKET_FIXTURES: &[FixtureRow] = &[
    FixtureRow {
        file: "bitbucket/go-scm/push.json",
        event: "repo:push",
        kind: "push",
        delivery_id: "6a2e1dbf-0000-4000-8000-0000000000b1",
        checks: &[
            ("/repository", "/repository/full_name"),
            ("/detail/value/ref_name", "/push/changes/0/new/name"),
            ("/detail/value/after", "/push/changes/0/new/target/hash"),
        ],
    },
    FixtureRow {
        file: "bitbucket/go-scm/pr_created.json",
        event: "pullrequest:created",
        kind: "pull_request",
        delivery_id: "6a2e1dbf-0000-4000-8000-0000000000b2",
        checks: &[
            ("/repository", "/repository/full_name"),
            ("/detail/value/number", "/pullrequest/id"),
            ("/detail/value/title", "/pullrequest/title"),
            ("/detail/value/head_sha", "/pullrequest/source/commit/hash"),
            (
                "/detail/value/source_branch",
                "/pullrequest/source/branch/name",
            ),
            (
                "/detail/value/target_branch",
                "/pullrequest/destination/branch/name",
            ),
        ],
    },
];

/// Hook id the published deliveries are sent as from.
const FIXTURE_HOOK_UUID: &str = "5f1d0c9e-0000-4000-8000-0000000000ff";

/// Headers and body of one signed delivery.
struct FixtureSend {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// A published delivery signed for the application.
struct FixtureDelivery {
    file: &'static str,
    kind: &'static str,
    /// (JSON pointer into the event, the value it must have).
    expected: Vec<(&'static str, Value)>,
    /// About the application's repository.
    ours: FixtureSend,
    /// As published, about another repository.
    elsewhere: FixtureSend,
}

/// The web root of a mock whose API is at `base_url` under `api_path`.
fn web_root(base_url: &str, api_path: &str) -> String {
    base_url
        .strip_suffix(api_path)
        .unwrap_or(base_url)
        .to_owned()
}

fn only_delivery(mut sent: Vec<Delivery>) -> anyhow::Result<Delivery> {
    ensure!(sent.len() == 1, "expected one delivery, got {sent:?}");
    let delivery = sent.remove(0);
    ensure!(
        delivery.outcome == DeliveryOutcome::Delivered { status: 202 },
        "{:?}: {}",
        delivery.outcome,
        String::from_utf8_lossy(&delivery.body)
    );
    Ok(delivery)
}

/// Sets header `name` (any case) to `value`.
fn set_header(headers: &mut Vec<(String, String)>, name: &str, value: &str) {
    remove_header(headers, name);
    headers.push((name.to_owned(), value.to_owned()));
}

fn remove_header(headers: &mut Vec<(String, String)>, name: &str) {
    headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
}

/// GitHub (unused here, always present), GitLab and Bitbucket mocks with the conformance
/// suite's seeds plus this file's application tokens.
fn start_env() -> anyhow::Result<TestEnv> {
    let mut gitlab_seed = gl_suite::seed();
    for value in [GITLAB_PROJECT_TOKEN, GITLAB_RENEWED] {
        gitlab_seed.tokens.push(gitlab::TokenSeed::project(
            value,
            GITLAB_PROJECT,
            AccessLevel::Maintainer,
            &["api", "read_repository"],
        ));
    }
    let mut bitbucket_seed = bb_suite::seed();
    for value in [BITBUCKET_REPO_TOKEN, BITBUCKET_RENEWED] {
        bitbucket_seed.tokens.push(bitbucket::TokenSeed::repository(
            value,
            bb_suite::seeded::WORKSPACE,
            bb_suite::seeded::REPOSITORY,
            BITBUCKET_SCOPES,
        ));
    }
    Ok(TestEnv::start(github_seed())?
        .with_gitlab(gitlab_seed)?
        .with_bitbucket(bitbucket_seed)?)
}

fn config(env: &TestEnv) -> HostConfig {
    env.host_config()
        .variable("encryption_key", KEY)
        .variable("bootstrap_token", BOOTSTRAP)
}

/// An organization with Git token `value` named `deploy`: `(org, key, token id)`.
fn org_with_token(
    api: &ApiClient,
    provider: &Provider,
    value: &str,
) -> anyhow::Result<(String, String, String)> {
    let (org, key) = api.new_org(BOOTSTRAP, "Acme")?;
    let token = api
        .call(
            "POST",
            &format!("/organization/{org}/gitToken"),
            &key,
            Some(&provider.token_request("deploy", value)),
        )?
        .expect(201)?;
    let token_id = token["id"].as_str().context("token id")?.to_owned();
    Ok((org, key, token_id))
}

/// The whole application flow on `provider` with Git token `value`, renewed with
/// `renewed` after the provider stops accepting it.
fn application_flow(
    host: &Host,
    provider: &Provider,
    value: &str,
    renewed: &str,
) -> anyhow::Result<()> {
    let api = ApiClient::new(host);
    let (org, key, token_id) = org_with_token(&api, provider, value)?;
    let app_path = |rest: &str| format!("/organization/{org}/application{rest}");

    // Create: the hook is installed at the provider with both events and a secret.
    let url = format!("{}/{}", provider.web_url, provider.repository);
    let app = api
        .call(
            "POST",
            &app_path(""),
            &key,
            Some(&application_request(
                provider.type_name,
                "web",
                &url,
                "main",
                Some(&token_id),
            )),
        )?
        .expect(201)?;
    let app_id = app["id"].as_str().context("app id")?.to_owned();
    let (owner, name) = provider.repository.rsplit_once('/').context("owner/name")?;
    let repo = &app["git_repository"];
    assert_eq!(repo["provider"], provider.type_name, "{app}");
    assert_eq!(
        (repo["owner"].as_str(), repo["name"].as_str()),
        (Some(owner), Some(name)),
        "{app}"
    );
    assert_eq!(repo["full_name"], provider.repository, "{app}");
    assert_eq!(repo["branch"], "main");
    assert_eq!(repo["git_token_name"], "deploy");
    assert_eq!(repo["has_access"], true, "{app}");
    assert!(
        app.get("webhook_setup").is_none(),
        "no manual setup with a token: {app}"
    );
    let payload_url = format!("{}/webhooks/{}/{app_id}", host.base_url(), provider.id);
    assert_eq!(app["webhook"]["payload_url"], payload_url.as_str(), "{app}");
    let hooks = provider.hooks();
    assert_eq!(hooks.len(), 1, "{hooks:?}");
    let hook = &hooks[0];
    assert_eq!(hook.url, payload_url);
    assert!(hook.push && hook.pull_requests && hook.active, "{hook:?}");
    let secret = hook.secret.clone().context("the hook has a secret")?;
    assert!(secret.len() >= 32, "a 256-bit secret: {}", secret.len());
    assert!(
        !app.to_string().contains(&secret),
        "the secret is never in responses"
    );
    let status = api
        .call(
            "GET",
            &format!("/service/{app_id}/gitWebhookStatus"),
            &key,
            None,
        )?
        .expect(200)?;
    assert_eq!(status["status"], "ACTIVE", "{status}");

    // A push and a pull request, delivered by the mock and signed with the hook's
    // secret, become normalized events.
    let pushed = provider.push("main", "Fix the thing")?;
    let after = provider.pushed_commit(&pushed)?;
    let opened = provider.open_pull_request(7, "develop", "main")?;
    let pushes = api.events(&org, &app_id, &key, "push")?;
    assert_eq!(pushes.len(), 1, "{pushes:?}");
    let push = &pushes[0];
    assert_eq!(push["application_id"], app_id.as_str(), "{push}");
    assert_eq!(push["provider_event"], provider.push_event, "{push}");
    assert_eq!(push["repository"], provider.repository, "{push}");
    assert_eq!(push["sender"], provider.user, "{push}");
    assert!(push["received_at"].is_string(), "{push}");
    let detail = &push["detail"]["value"];
    assert_eq!(detail["ref"], "refs/heads/main", "{push}");
    assert_eq!(detail["ref_name"], "main", "{push}");
    assert_eq!(detail["after"], after.as_str(), "{push}");
    assert_eq!(
        (detail["created"].as_bool(), detail["deleted"].as_bool()),
        (Some(false), Some(false)),
        "{push}"
    );
    assert_eq!(detail["commit_count"], 1, "{push}");
    assert_eq!(detail["head_commit"]["sha"], after.as_str(), "{push}");
    assert_eq!(
        detail["head_commit"]["message"].as_str().map(str::trim),
        Some("Fix the thing"),
        "{push}"
    );
    let prs = api.events(&org, &app_id, &key, "pull_request")?;
    assert_eq!(prs.len(), 1, "{prs:?}");
    let pr = &prs[0];
    assert_eq!(pr["provider_event"], provider.pull_request_event, "{pr}");
    assert_eq!(pr["repository"], provider.repository, "{pr}");
    assert_eq!(pr["sender"], provider.user, "{pr}");
    let detail = &pr["detail"]["value"];
    assert_eq!(detail["number"], 7, "{pr}");
    assert_eq!(detail["action"], "opened", "{pr}");
    assert_eq!(detail["provider_action"], provider.opened_action, "{pr}");
    assert_eq!(
        (
            detail["source_branch"].as_str(),
            detail["target_branch"].as_str()
        ),
        (Some("develop"), Some("main")),
        "{pr}"
    );
    assert_eq!(
        detail["head_sha"].as_str().map(str::len),
        Some(provider.head_sha_len),
        "{pr}"
    );
    assert!(
        detail["url"].as_str().is_some_and(|u| u.contains("/7")),
        "{pr}"
    );
    assert_eq!(detail["source_repository"], Value::Null, "not a fork: {pr}");

    // A replay (same delivery id) is recognised; forgeries are refused and leave nothing.
    let replay = api
        .deliver(provider.id, &app_id, &pushed.headers, &pushed.body)?
        .expect(200)?;
    assert_eq!(replay["status"], "duplicate", "{replay}");
    assert_eq!(replay["event_id"], push["id"], "{replay}");
    let replay = api
        .deliver(provider.id, &app_id, &opened.headers, &opened.body)?
        .expect(200)?;
    assert_eq!(replay["status"], "duplicate", "{replay}");
    for forgery in provider.forgeries(&pushed) {
        let what = forgery.what;
        let refused = api.deliver(provider.id, &app_id, &forgery.headers, &forgery.body)?;
        assert_eq!(refused.status, 401, "{what}: {}", refused.body);
        assert_eq!(
            refused.json()?["type"],
            "/problems/webhook-signature-invalid",
            "{what}"
        );
        assert!(
            !refused.body.contains(&secret),
            "{what}: the secret is not echoed"
        );
    }
    let page = api
        .call(
            "GET",
            &app_path(&format!("/{app_id}/events?limit=100")),
            &key,
            None,
        )?
        .expect(200)?;
    assert_eq!(
        page["results"].as_array().map(Vec::len),
        Some(2),
        "one event per delivery: {page}"
    );

    // Published deliveries, signed with the application's secret.
    if let Some(dir) = webhook_fixtures::fixtures_dir(env!("CARGO_MANIFEST_DIR")) {
        for fixture in provider.fixture_deliveries(&dir, &secret)? {
            // Signed with the right secret, but about another repository: nothing recorded.
            let refused = api
                .deliver(
                    provider.id,
                    &app_id,
                    &fixture.elsewhere.headers,
                    &fixture.elsewhere.body,
                )?
                .expect(422)
                .with_context(|| fixture.file)?;
            assert_eq!(
                refused["type"], "/problems/webhook-repository-mismatch",
                "{}",
                fixture.file
            );
            let receipt = api
                .deliver(
                    provider.id,
                    &app_id,
                    &fixture.ours.headers,
                    &fixture.ours.body,
                )?
                .expect(202)
                .with_context(|| fixture.file)?;
            assert_eq!(receipt["status"], "accepted", "{}", fixture.file);
            let events = api.events(&org, &app_id, &key, fixture.kind)?;
            let event = events
                .iter()
                .find(|e| e["id"] == receipt["event_id"])
                .with_context(|| format!("{}: no event {receipt} in {events:?}", fixture.file))?;
            for (pointer, value) in &fixture.expected {
                assert_eq!(
                    event.pointer(pointer),
                    Some(value),
                    "{} {pointer}: {event}",
                    fixture.file
                );
            }
        }
    }

    // Clone credentials in the provider's shape.
    let creds = api
        .call(
            "POST",
            &app_path(&format!("/{app_id}/cloneCredentials")),
            &key,
            None,
        )?
        .expect(200)?;
    let clone_url = format!("{}/{}.git", provider.web_url, provider.repository);
    assert_eq!(creds["url"], clone_url.as_str(), "{creds}");
    assert_eq!(creds["username"], provider.clone_username, "{creds}");
    assert_eq!(creds["password"], value, "{creds}");
    let (scheme, rest) = clone_url.split_once("://").context("scheme")?;
    assert_eq!(
        creds["url_with_credentials"],
        format!("{scheme}://{}:{value}@{rest}", provider.clone_username),
        "{creds}"
    );
    assert_eq!(creds["account"], format!("git_token:{token_id}"), "{creds}");

    // The provider stops accepting the token: access is lost, with a reason, once a call
    // for the application notices; a new value restores it with no other change.
    let before = api
        .call("GET", &app_path(&format!("/{app_id}")), &key, None)?
        .expect(200)?;
    ensure!(provider.revoke(value), "revoke");
    let status = api
        .call(
            "GET",
            &format!("/service/{app_id}/gitWebhookStatus"),
            &key,
            None,
        )?
        .expect(200)?;
    assert_eq!(status["status"], "UNABLE_TO_VERIFY", "{status}");
    let lost = api
        .call("GET", &app_path(&format!("/{app_id}")), &key, None)?
        .expect(200)?;
    assert_eq!(lost["git_repository"]["has_access"], false, "{lost}");
    let reason = lost["git_repository"]["has_access_reason"]
        .as_str()
        .unwrap_or_default();
    assert!(
        reason.contains("'deploy'") && reason.contains(&format!("gitToken/{token_id}")),
        "{lost}"
    );
    assert!(!reason.contains(value), "{lost}");
    api.call(
        "PUT",
        &format!("/organization/{org}/gitToken/{token_id}"),
        &key,
        Some(&provider.token_request("deploy", renewed)),
    )?
    .expect(200)?;
    let back = api
        .call("GET", &app_path(&format!("/{app_id}")), &key, None)?
        .expect(200)?;
    assert_eq!(back, before, "only access changed, and it is back");
    let creds = api
        .call(
            "POST",
            &app_path(&format!("/{app_id}/cloneCredentials")),
            &key,
            None,
        )?
        .expect(200)?;
    assert_eq!(creds["password"], renewed, "the new value is used at once");

    // Delete removes the hook at the provider; deliveries to the application are 404.
    api.call("DELETE", &app_path(&format!("/{app_id}")), &key, None)?
        .expect(204)?;
    assert!(
        provider.hooks().is_empty(),
        "the hook is removed: {:?}",
        provider.hooks()
    );
    let gone = api.deliver(provider.id, &app_id, &pushed.headers, &pushed.body)?;
    assert_eq!(gone.status, 404, "{}", gone.body);

    let logs = host.stderr();
    for secret in [value, renewed, secret.as_str()] {
        assert!(!logs.contains(secret), "a secret reached the host's log");
    }
    Ok(())
}

/// Repositories and branches through `value` (a token reaching many repositories), then
/// an application on that token.
fn listing_flow(host: &Host, provider: &Provider, value: &str) -> anyhow::Result<()> {
    let api = ApiClient::new(host);
    let (org, key, token_id) = org_with_token(&api, provider, value)?;
    let account = format!("/organization/{org}/account/{}", provider.id);
    let names = |page: &Value, member: &str| -> Vec<String> {
        page["results"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r[member].as_str().map(str::to_owned))
            .collect()
    };

    // More than a page: a cursor leads on, and the repository is among them.
    let mut listed = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..10 {
        let query = match &cursor {
            Some(c) => format!("gitTokenId={token_id}&per_page=100&cursor={c}"),
            None => format!("gitTokenId={token_id}&per_page=100"),
        };
        let page = api
            .call("GET", &format!("{account}/repository?{query}"), &key, None)?
            .expect(200)?;
        listed.extend(names(&page, "full_name"));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert!(listed.len() > 100, "{} repositories", listed.len());
    assert!(
        listed.iter().any(|n| n == provider.repository),
        "{listed:?}"
    );
    let found = api
        .call(
            "GET",
            &format!("{account}/repository?gitTokenId={token_id}&search=api"),
            &key,
            None,
        )?
        .expect(200)?;
    assert_eq!(names(&found, "full_name"), [provider.repository], "{found}");

    let encoded = provider.repository.replace('/', "%2F");
    let branches = api
        .call(
            "GET",
            &format!("{account}/repository/branch?name={encoded}&gitTokenId={token_id}"),
            &key,
            None,
        )?
        .expect(200)?;
    let mut got = names(&branches, "name");
    got.sort();
    let mut want: Vec<String> = provider.branches.iter().map(|b| (*b).to_owned()).collect();
    want.sort();
    assert_eq!(got, want, "{branches}");
    // A private repository is not listed anonymously.
    let anonymous = api.call(
        "GET",
        &format!("{account}/repository/branch?name={encoded}"),
        &key,
        None,
    )?;
    assert_eq!(anonymous.status, 404, "{}", anonymous.body);

    // The same token backs an application.
    let app = api
        .call(
            "POST",
            &format!("/organization/{org}/application"),
            &key,
            Some(&application_request(
                provider.type_name,
                "wide",
                provider.repository,
                "develop",
                Some(&token_id),
            )),
        )?
        .expect(201)?;
    assert_eq!(app["git_repository"]["has_access"], true, "{app}");
    assert_eq!(provider.hooks().len(), 1, "{:?}", provider.hooks());
    Ok(())
}

#[test]
fn gitlab_application_on_a_project_token_gets_a_hook_events_and_clone_credentials(
) -> anyhow::Result<()> {
    let env = start_env()?;
    let host = Host::start(config(&env))?;
    let gitlab = Provider::gitlab(&env)?;
    application_flow(&host, &gitlab, GITLAB_PROJECT_TOKEN, GITLAB_RENEWED)
}

#[test]
fn bitbucket_application_on_a_repository_token_gets_a_hook_events_and_clone_credentials(
) -> anyhow::Result<()> {
    let env = start_env()?;
    let host = Host::start(config(&env))?;
    let bitbucket = Provider::bitbucket(&env)?;
    application_flow(&host, &bitbucket, BITBUCKET_REPO_TOKEN, BITBUCKET_RENEWED)
}

#[test]
fn gitlab_group_token_lists_projects_and_branches_and_backs_an_application() -> anyhow::Result<()> {
    let env = start_env()?;
    let host = Host::start(config(&env))?;
    let gitlab = Provider::gitlab(&env)?;
    listing_flow(&host, &gitlab, gl_suite::seeded::GROUP_MAINTAINER)
}

#[test]
fn bitbucket_workspace_token_lists_repositories_and_branches_and_backs_an_application(
) -> anyhow::Result<()> {
    let env = start_env()?;
    let host = Host::start(config(&env))?;
    let bitbucket = Provider::bitbucket(&env)?;
    listing_flow(&host, &bitbucket, bb_suite::seeded::FULL)
}

/// Bitbucket does not say when a token expires: the API learns it when the provider
/// refuses the token, and a renewed value brings access back.
#[test]
fn bitbucket_token_that_expires_loses_access_until_renewed() -> anyhow::Result<()> {
    let env = start_env()?;
    let host = Host::start(config(&env))?;
    let bitbucket = Provider::bitbucket(&env)?;
    let api = ApiClient::new(&host);
    // Long enough to create the token and the application on a busy machine.
    let lifetime = Duration::from_secs(20);
    let expires = Instant::now() + lifetime;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?;
    let at = chrono::DateTime::from_timestamp((now + lifetime).as_secs() as i64, 0)
        .context("timestamp")?;
    env.bitbucket().context("bitbucket")?.provider().add_token(
        bitbucket::TokenSeed::repository(
            BITBUCKET_EXPIRING,
            bb_suite::seeded::WORKSPACE,
            bb_suite::seeded::REPOSITORY,
            BITBUCKET_SCOPES,
        )
        .expiring(at),
    )?;
    let (org, key, token_id) = org_with_token(&api, &bitbucket, BITBUCKET_EXPIRING)?;
    let app = api
        .call(
            "POST",
            &format!("/organization/{org}/application"),
            &key,
            Some(&application_request(
                bitbucket.type_name,
                "web",
                bitbucket.repository,
                "main",
                Some(&token_id),
            )),
        )?
        .expect(201)?;
    ensure!(
        Instant::now() < expires,
        "the machine was too slow: the token expired during setup"
    );
    let app_id = app["id"].as_str().context("app id")?.to_owned();
    let app_path = format!("/organization/{org}/application/{app_id}");
    let before = api.call("GET", &app_path, &key, None)?.expect(200)?;
    assert_eq!(before["git_repository"]["has_access"], true, "{before}");

    std::thread::sleep(expires.saturating_duration_since(Instant::now()) + Duration::from_secs(1));
    let status = api
        .call(
            "GET",
            &format!("/service/{app_id}/gitWebhookStatus"),
            &key,
            None,
        )?
        .expect(200)?;
    assert_eq!(status["status"], "UNABLE_TO_VERIFY", "{status}");
    assert!(!status.to_string().contains(BITBUCKET_EXPIRING));
    let lost = api.call("GET", &app_path, &key, None)?.expect(200)?;
    assert_eq!(lost["git_repository"]["has_access"], false, "{lost}");
    assert!(
        lost["git_repository"]["has_access_reason"]
            .as_str()
            .is_some_and(|r| r.contains("'deploy'")),
        "{lost}"
    );
    api.call(
        "PUT",
        &format!("/organization/{org}/gitToken/{token_id}"),
        &key,
        Some(&bitbucket.token_request("deploy", BITBUCKET_RENEWED)),
    )?
    .expect(200)?;
    let back = api.call("GET", &app_path, &key, None)?.expect(200)?;
    assert_eq!(back, before, "only access changed, and it is back");
    Ok(())
}
