//! The GitLab mock over real loopback HTTP: authentication, scopes and roles, listings
//! and pagination, hooks, faults, deliveries and OAuth, as GitLab answers them.

mod support;

use std::time::Duration;

use mock_providers::gitlab::{
    AccessLevel, GitLabSeed, GroupSeed, MockGitLab, OAuthAppSeed, ProjectSeed, TokenSeed, UserSeed,
};
use mock_providers::{Fault, MockServer, WebhookSink};
use serde_json::json;
use support::{get, runtime, send, send_json, Reply};

const MAINTAINER: &str = "glpat-groupMaintainer";
const PROJECT_DEV: &str = "glpat-projectDeveloper";
const READ_ONLY: &str = "glpat-readRepository";
const READ_API: &str = "glpat-readApi";
const EXPIRED: &str = "glpat-expired";
const REVOKED: &str = "glpat-revoked";

struct Fixture {
    server: MockServer<MockGitLab>,
    runtime: tokio::runtime::Runtime,
}

impl Fixture {
    fn start() -> Self {
        let runtime = runtime();
        let day = |text: &str| text.parse().expect("date");
        let seed = GitLabSeed {
            users: vec![UserSeed::new("jsmith")],
            groups: vec![
                GroupSeed::new("acme", &[("jsmith", AccessLevel::Owner)]),
                GroupSeed::new("acme/platform", &[]),
            ],
            projects: vec![
                ProjectSeed::private("acme/platform", "api").with_branches(&[
                    "main",
                    "develop",
                    "feature-a",
                    "feature-b",
                ]),
                ProjectSeed::public("jsmith", "site"),
            ],
            tokens: vec![
                TokenSeed::group(
                    MAINTAINER,
                    "acme",
                    AccessLevel::Maintainer,
                    &["api", "read_repository"],
                )
                .expiring(day("2099-12-31")),
                TokenSeed::project(
                    PROJECT_DEV,
                    "acme/platform/api",
                    AccessLevel::Developer,
                    &["api"],
                ),
                TokenSeed::personal(READ_ONLY, "jsmith", &["read_repository"]),
                TokenSeed::personal(READ_API, "jsmith", &["read_api"]),
                TokenSeed::personal(EXPIRED, "jsmith", &["api"]).expiring(day("2020-01-01")),
                TokenSeed::personal(REVOKED, "jsmith", &["api"]).revoked(),
            ],
            oauth_apps: vec![OAuthAppSeed {
                client_id: "app".into(),
                client_secret: "app-secret".into(),
                redirect_uri: "http://127.0.0.1:1/callback".into(),
                user: "jsmith".into(),
            }],
        }
        .with_many_projects("acme", "service", 45);
        let server = runtime
            .block_on(MockGitLab::start(seed))
            .expect("mock starts");
        Self { server, runtime }
    }

    fn api(&self, path: &str) -> String {
        format!("{}{path}", self.server.base_url())
    }

    fn web(&self, path: &str) -> String {
        let api = self.server.base_url();
        format!("{}{path}", api.strip_suffix("/api/v4").unwrap_or(api))
    }
}

fn private(token: &str) -> Option<(&'static str, &str)> {
    Some(("PRIVATE-TOKEN", token))
}

fn names(reply: &Reply) -> Vec<String> {
    reply
        .json()
        .as_array()
        .expect("array")
        .iter()
        .map(|p| {
            p["path_with_namespace"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

#[test]
fn tokens_authenticate_and_introspect() {
    let fx = Fixture::start();
    let me = get(&fx.api("/personal_access_tokens/self"), private(MAINTAINER));
    assert_eq!(me.status, 200, "{}", me.text);
    let token = me.json();
    assert_eq!(token["scopes"], json!(["api", "read_repository"]));
    assert_eq!(token["expires_at"], "2099-12-31");
    assert_eq!(token["active"], true);
    assert_eq!(token["revoked"], false);

    let bearer = format!("Bearer {MAINTAINER}");
    let user = get(&fx.api("/user"), Some(("Authorization", bearer.as_str()))).json();
    assert_eq!(user["bot"], true);
    let group_id = {
        let group = get(&fx.api("/groups/acme"), private(MAINTAINER)).json();
        group["id"].as_u64().expect("group id")
    };
    assert!(user["username"]
        .as_str()
        .is_some_and(|u| u.starts_with(&format!("group_{group_id}_bot_"))));
    assert_eq!(token["user_id"], user["id"]);

    let unknown = get(&fx.api("/user"), private("glpat-nope"));
    assert_eq!(
        (unknown.status, unknown.json()),
        (401, json!({"message": "401 Unauthorized"}))
    );
    let expired = get(&fx.api("/user"), private(EXPIRED)).json();
    assert_eq!(expired["error"], "invalid_token");
    assert_eq!(expired["error_description"], "Token has expired.");
    let revoked = get(&fx.api("/user"), private(REVOKED));
    assert_eq!(revoked.status, 401);
    assert!(revoked.json()["error_description"]
        .as_str()
        .is_some_and(|d| d.contains("revoked")));
    assert_eq!(get(&fx.api("/user"), None).status, 401);
    assert!(fx.server.provider().revoke_token(MAINTAINER));
    assert_eq!(get(&fx.api("/user"), private(MAINTAINER)).status, 401);
}

#[test]
fn scopes_are_enforced() {
    let fx = Fixture::start();
    let reply = get(&fx.api("/projects?membership=true"), private(READ_ONLY));
    assert_eq!(reply.status, 403);
    assert_eq!(reply.json()["error"], "insufficient_scope");
    assert_eq!(reply.json()["scope"], "api read_api");
    assert_eq!(get(&fx.api("/user"), private(READ_ONLY)).status, 403);
    // Introspection works with any scope.
    assert_eq!(
        get(&fx.api("/personal_access_tokens/self"), private(READ_ONLY)).status,
        200
    );
    // read_api lists, but cannot change hooks.
    assert_eq!(
        get(&fx.api("/projects?membership=true"), private(READ_API)).status,
        200
    );
    let create = send_json(
        "POST",
        &fx.api("/projects/acme%2Fplatform%2Fapi/hooks"),
        ("PRIVATE-TOKEN", READ_API),
        &json!({"url": "http://127.0.0.1:1/h"}),
    );
    assert_eq!(create.status, 403);
    assert_eq!(create.json()["error"], "insufficient_scope");
}

#[test]
fn projects_page_and_search() {
    let fx = Fixture::start();
    let url = fx.api("/projects?membership=true&order_by=path&sort=asc&per_page=20");
    let first = get(&url, private(MAINTAINER));
    assert_eq!(first.status, 200);
    assert_eq!(first.header("x-total"), Some("46"));
    assert_eq!(first.header("x-total-pages"), Some("3"));
    assert_eq!(first.header("x-page"), Some("1"));
    assert_eq!(first.header("x-next-page"), Some("2"));
    assert!(first
        .header("link")
        .is_some_and(|l| l.contains("rel=\"next\"")));
    assert_eq!(
        names(&first)[0],
        "acme/platform/api",
        "path order: api < service-000"
    );
    let last = get(&format!("{url}&page=3"), private(MAINTAINER));
    assert_eq!(last.header("x-next-page"), Some(""));
    assert_eq!(names(&last).len(), 6);

    let search = get(
        &fx.api("/projects?membership=true&search=SERVICE-04"),
        private(MAINTAINER),
    );
    let mut found = names(&search);
    found.sort();
    assert_eq!(
        found,
        (40..45)
            .map(|i| format!("acme/service-0{i}"))
            .collect::<Vec<_>>()
    );
    let namespaces = get(
        &fx.api("/projects?membership=true&search=acme%2Fplatform&search_namespaces=true"),
        private(MAINTAINER),
    );
    assert_eq!(names(&namespaces), ["acme/platform/api"]);

    // A project token sees its project; anonymous callers see public projects only.
    assert_eq!(
        names(&get(
            &fx.api("/projects?membership=true"),
            private(PROJECT_DEV)
        )),
        ["acme/platform/api"]
    );
    assert_eq!(names(&get(&fx.api("/projects"), None)), ["jsmith/site"]);
    let maintained = get(
        &fx.api("/projects?membership=true&min_access_level=40"),
        private(PROJECT_DEV),
    );
    assert!(maintained.json().as_array().is_some_and(Vec::is_empty));
}

#[test]
fn a_project_reads_back_with_permissions_and_branches() {
    let fx = Fixture::start();
    let project = get(
        &fx.api("/projects/acme%2Fplatform%2Fapi"),
        private(PROJECT_DEV),
    );
    assert_eq!(project.status, 200, "{}", project.text);
    let project = project.json();
    assert_eq!(project["default_branch"], "main");
    assert_eq!(project["visibility"], "private");
    assert_eq!(project["permissions"]["project_access"]["access_level"], 30);
    let id = project["id"].as_u64().expect("id");
    assert_eq!(
        get(&fx.api(&format!("/projects/{id}")), private(MAINTAINER)).json()["permissions"]
            ["group_access"]["access_level"],
        40
    );
    let hidden = get(&fx.api("/projects/acme%2Fplatform%2Fapi"), None);
    assert_eq!(
        (hidden.status, hidden.json()),
        (404, json!({"message": "404 Project Not Found"}))
    );

    let branches = get(
        &fx.api(&format!("/projects/{id}/repository/branches?per_page=2")),
        private(MAINTAINER),
    );
    assert_eq!(branches.header("x-total"), Some("4"));
    assert_eq!(branches.header("x-next-page"), Some("2"));
    let feature = get(
        &fx.api(&format!(
            "/projects/{id}/repository/branches?search=FEATURE"
        )),
        private(MAINTAINER),
    )
    .json();
    assert_eq!(feature.as_array().map(Vec::len), Some(2));
    assert_eq!(feature[0]["commit"]["id"].as_str().map(str::len), Some(40));

    let bot = get(&fx.api("/user"), private(PROJECT_DEV)).json();
    let member = get(
        &fx.api(&format!("/projects/{id}/members/all/{}", bot["id"])),
        private(PROJECT_DEV),
    );
    assert_eq!(member.json()["access_level"], 30);
}

#[test]
fn hooks_need_maintainer_and_round_trip() {
    let fx = Fixture::start();
    let hooks = fx.api("/projects/acme%2Fplatform%2Fapi/hooks");
    let refused = get(&hooks, private(PROJECT_DEV));
    assert_eq!(
        (refused.status, refused.json()),
        (403, json!({"message": "403 Forbidden"}))
    );

    let bad = send_json(
        "POST",
        &hooks,
        ("PRIVATE-TOKEN", MAINTAINER),
        &json!({"url": "not a url"}),
    );
    assert_eq!(bad.status, 400);
    let created = send_json(
        "POST",
        &hooks,
        ("PRIVATE-TOKEN", MAINTAINER),
        &json!({"url": "https://ga.example.com/h", "token": "s3cret", "merge_requests_events": true, "description": "d"}),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    let hook = created.json();
    assert_eq!(
        (
            hook["push_events"].clone(),
            hook["merge_requests_events"].clone()
        ),
        (json!(true), json!(true))
    );
    assert!(hook.get("token").is_none(), "the token is never shown");
    let id = hook["id"].as_u64().expect("id");
    assert_eq!(
        fx.server.provider().hooks("acme/platform/api")[0]
            .token
            .as_deref(),
        Some("s3cret")
    );

    // Form bodies work too; GitLab keeps duplicates.
    let form = send(
        "POST",
        &hooks,
        &[
            ("PRIVATE-TOKEN", MAINTAINER),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        Some(b"url=https%3A%2F%2Fga.example.com%2Fh&push_events=false"),
    );
    assert_eq!(form.status, 201);
    assert_eq!(form.json()["push_events"], false);
    assert_eq!(
        get(&hooks, private(MAINTAINER))
            .json()
            .as_array()
            .map(Vec::len),
        Some(2)
    );

    let one = format!("{hooks}/{id}");
    let updated = send_json(
        "PUT",
        &one,
        ("PRIVATE-TOKEN", MAINTAINER),
        &json!({"url": "https://ga.example.com/h2", "tag_push_events": true}),
    );
    assert_eq!(updated.json()["tag_push_events"], true);
    assert_eq!(
        updated.json()["merge_requests_events"],
        true,
        "unchanged fields stay"
    );
    assert_eq!(
        send("DELETE", &one, &[("PRIVATE-TOKEN", MAINTAINER)], None).status,
        204
    );
    let gone = get(&one, private(MAINTAINER));
    assert_eq!(
        (gone.status, gone.json()),
        (404, json!({"message": "404 Not found"}))
    );
    assert_eq!(
        send("DELETE", &one, &[("PRIVATE-TOKEN", MAINTAINER)], None).status,
        404
    );
}

#[test]
fn faults_throttle_and_fail() {
    let fx = Fixture::start();
    fx.server
        .provider()
        .inject(Fault::TooManyRequests { retry_after: 42 }, 1);
    let throttled = get(&fx.api("/user"), private(MAINTAINER));
    assert_eq!(throttled.status, 429);
    assert_eq!(throttled.header("retry-after"), Some("42"));
    assert_eq!(throttled.header("ratelimit-remaining"), Some("0"));
    assert!(throttled
        .header("ratelimit-reset")
        .and_then(|r| r.parse::<i64>().ok())
        .is_some());
    fx.server.provider().inject(
        Fault::ServerError {
            status: 502,
            retry_after: None,
        },
        1,
    );
    let failed = get(&fx.api("/user"), private(MAINTAINER));
    assert_eq!(
        (failed.status, failed.json()),
        (502, json!({"message": "502 Bad Gateway"}))
    );
    assert_eq!(get(&fx.api("/user"), private(MAINTAINER)).status, 200);
}

#[test]
fn pushes_and_merge_requests_are_delivered_with_the_token() {
    let fx = Fixture::start();
    let sink = fx.runtime.block_on(WebhookSink::start()).expect("sink");
    let url = format!("{}/hooks/gitlab", sink.base_url());
    let created = send_json(
        "POST",
        &fx.api("/projects/acme%2Fplatform%2Fapi/hooks"),
        ("PRIVATE-TOKEN", MAINTAINER),
        &json!({"url": url, "token": "s3cret", "merge_requests_events": true}),
    );
    assert_eq!(created.status, 201);
    let pushed = fx
        .server
        .provider()
        .push("acme/platform/api", "main", "jsmith", "Fix")
        .expect("project exists");
    assert_eq!(pushed.len(), 1);
    fx.server
        .provider()
        .merge_request("acme/platform/api", "open", 7, "develop", "main", "jsmith")
        .expect("project exists");
    let received = sink.provider().wait_for(2, Duration::from_secs(5));
    assert_eq!(received.len(), 2);
    let push = &received[0];
    assert_eq!(push.header("x-gitlab-event"), Some("Push Hook"));
    assert_eq!(push.header("x-gitlab-token"), Some("s3cret"));
    assert!(push.header("x-gitlab-event-uuid").is_some());
    assert_eq!(
        push.header("idempotency-key"),
        push.header("x-gitlab-event-uuid")
    );
    let body: serde_json::Value = serde_json::from_slice(&push.body).expect("JSON");
    assert_eq!(body["object_kind"], "push");
    assert_eq!(body["project"]["path_with_namespace"], "acme/platform/api");
    assert_eq!(body["user_username"], "jsmith");
    assert_eq!(body["commits"][0]["id"], body["after"]);
    let mr: serde_json::Value = serde_json::from_slice(&received[1].body).expect("JSON");
    assert_eq!(
        received[1].header("x-gitlab-event"),
        Some("Merge Request Hook")
    );
    assert_eq!(mr["object_attributes"]["iid"], 7);
    assert_eq!(mr["object_attributes"]["action"], "open");
}

#[test]
fn oauth_code_exchange_with_pkce() {
    let fx = Fixture::start();
    let verifier = "dBjftJeZ4CVP-mJ92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let challenge = "ngF5GsXcbwljx6u133FFr3Xht9xooA_DuaX_3QwODtc";
    let authorize = get(
        &fx.web(&format!("/oauth/authorize?client_id=app&redirect_uri=http%3A%2F%2F127.0.0.1%3A1%2Fcallback&response_type=code&scope=api%20read_user&state=xyz&code_challenge={challenge}&code_challenge_method=S256")),
        None,
    );
    assert_eq!(authorize.status, 302);
    let location = authorize.header("location").expect("redirect").to_owned();
    assert!(
        location.starts_with("http://127.0.0.1:1/callback?code="),
        "{location}"
    );
    assert!(location.ends_with("&state=xyz"));
    let code = location
        .split("code=")
        .nth(1)
        .and_then(|r| r.split('&').next())
        .expect("code");
    let form = |verifier: &str| {
        format!("client_id=app&client_secret=app-secret&code={code}&grant_type=authorization_code&redirect_uri=http%3A%2F%2F127.0.0.1%3A1%2Fcallback&code_verifier={verifier}")
    };
    let header = [("Content-Type", "application/x-www-form-urlencoded")];
    let wrong = send(
        "POST",
        &fx.web("/oauth/token"),
        &header,
        Some(form("x".repeat(43).as_str()).as_bytes()),
    );
    assert_eq!(
        (wrong.status, wrong.json()["error"].clone()),
        (400, json!("invalid_grant"))
    );
    // The failed attempt used the code up; ask again.
    let code = fx
        .server
        .provider()
        .authorize(
            "app",
            &["api", "read_user"],
            "http://127.0.0.1:1/callback",
            Some(challenge),
        )
        .expect("code");
    let body = format!("client_id=app&client_secret=app-secret&code={code}&grant_type=authorization_code&redirect_uri=http%3A%2F%2F127.0.0.1%3A1%2Fcallback&code_verifier={verifier}");
    let tokens = send(
        "POST",
        &fx.web("/oauth/token"),
        &header,
        Some(body.as_bytes()),
    );
    assert_eq!(tokens.status, 200, "{}", tokens.text);
    let tokens = tokens.json();
    assert_eq!(tokens["expires_in"], 7200);
    assert_eq!(tokens["scope"], "api read_user");
    let bearer = format!("Bearer {}", tokens["access_token"].as_str().expect("token"));
    assert_eq!(
        get(&fx.api("/user"), Some(("Authorization", bearer.as_str()))).json()["username"],
        "jsmith"
    );
    let info = get(
        &fx.web("/oauth/token/info"),
        Some(("Authorization", bearer.as_str())),
    )
    .json();
    assert_eq!(info["scope"], json!(["api", "read_user"]));
    assert_eq!(
        get(
            &fx.api("/personal_access_tokens/self"),
            Some(("Authorization", bearer.as_str()))
        )
        .status,
        404
    );
    let pat = format!("Bearer {MAINTAINER}");
    assert_eq!(
        get(
            &fx.web("/oauth/token/info"),
            Some(("Authorization", pat.as_str()))
        )
        .status,
        401
    );
    let bad_client = send(
        "POST",
        &fx.web("/oauth/token"),
        &header,
        Some(b"client_id=app&client_secret=no&grant_type=authorization_code&code=x"),
    );
    assert_eq!(bad_client.status, 401);
}

#[test]
fn control_endpoints_make_gitlab_act() {
    let fx = Fixture::start();
    let post = |path: &str, body: serde_json::Value| {
        send(
            "POST",
            &fx.web(path),
            &[("Content-Type", "application/json")],
            Some(body.to_string().as_bytes()),
        )
    };
    let fault = post(
        "/_mock/faults",
        json!({"fault": "too_many_requests", "seconds": 7}),
    );
    assert_eq!(fault.json()["pending"], 1);
    assert_eq!(
        get(&fx.api("/user"), private(MAINTAINER)).header("retry-after"),
        Some("7")
    );
    let pushed = post(
        "/_mock/push",
        json!({"project": "acme/platform/api", "user": "jsmith"}),
    );
    assert_eq!(
        (pushed.status, pushed.json()),
        (200, json!([])),
        "no hooks yet"
    );
    assert_eq!(
        post(
            "/_mock/push",
            json!({"project": "nope/x", "user": "jsmith"})
        )
        .status,
        404
    );
    assert_eq!(
        post("/_mock/faults", json!({"fault": "meteor"})).status,
        400
    );
    assert_eq!(get(&fx.web("/_mock/deliveries"), None).json(), json!([]));
}

const CALLBACK: &str = "http://127.0.0.1:1/callback";
const CALLBACK_ENCODED: &str = "http%3A%2F%2F127.0.0.1%3A1%2Fcallback";
const APP_CREDENTIALS: &str = "client_id=app&client_secret=app-secret";

impl Fixture {
    fn gitlab(&self) -> &MockGitLab {
        self.server.provider()
    }

    /// `POST /oauth/token` with a form body and `headers`.
    fn oauth_token(&self, body: &str, headers: &[(&str, &str)]) -> Reply {
        let mut all = vec![("Content-Type", "application/x-www-form-urlencoded")];
        all.extend_from_slice(headers);
        send(
            "POST",
            &self.web("/oauth/token"),
            &all,
            Some(body.as_bytes()),
        )
    }

    /// jsmith signs in to `app`: the token endpoint's answer to the code.
    fn sign_in(&self) -> serde_json::Value {
        let code = self
            .gitlab()
            .authorize("app", &["api", "read_user"], CALLBACK, None)
            .expect("code");
        let reply = self.oauth_token(
            &format!("grant_type=authorization_code&code={code}&{APP_CREDENTIALS}&redirect_uri={CALLBACK_ENCODED}"),
            &[],
        );
        assert_eq!(reply.status, 200, "{}", reply.text);
        reply.json()
    }

    /// `grant_type=refresh_token` for `app`, credentials in the form.
    fn refresh(&self, refresh_token: &str) -> Reply {
        self.oauth_token(
            &format!("grant_type=refresh_token&refresh_token={refresh_token}&{APP_CREDENTIALS}&redirect_uri={CALLBACK_ENCODED}"),
            &[],
        )
    }

    /// `GET /user` with an OAuth access token.
    fn user_with(&self, access_token: &serde_json::Value) -> Reply {
        let auth = format!("Bearer {}", access_token.as_str().expect("a token"));
        get(&self.api("/user"), Some(("Authorization", auth.as_str())))
    }
}

fn assert_invalid_grant(reply: &Reply) {
    assert_eq!(reply.status, 400, "{}", reply.text);
    let body = reply.json();
    assert_eq!(body["error"], "invalid_grant");
    assert!(body["error_description"].is_string(), "{body}");
}

#[test]
fn oauth_refresh_rotates_both_tokens() {
    let fx = Fixture::start();
    let first = fx.sign_in();
    assert_eq!(first["expires_in"], 7200);
    assert!(
        first["refresh_token"]
            .as_str()
            .is_some_and(|t| !t.is_empty()),
        "{first}"
    );

    let refreshed = fx.refresh(first["refresh_token"].as_str().expect("refresh token"));
    assert_eq!(refreshed.status, 200, "{}", refreshed.text);
    let second = refreshed.json();
    assert_eq!(second["token_type"], "Bearer");
    assert_eq!(second["expires_in"], 7200);
    assert_eq!(second["scope"], "api read_user");
    assert_ne!(second["access_token"], first["access_token"]);
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    assert_eq!(
        fx.user_with(&second["access_token"]).json()["username"],
        "jsmith"
    );

    // GitLab rotates: the previous access token is revoked, the used refresh token is gone.
    let old = fx.user_with(&first["access_token"]);
    assert_eq!(
        (old.status, old.json()),
        (
            401,
            json!({"error": "invalid_token", "error_description": "Token has been revoked."})
        )
    );
    assert_invalid_grant(&fx.refresh(first["refresh_token"].as_str().expect("token")));

    // The new refresh token works once, with the client credentials as HTTP Basic too.
    let basic = "Basic YXBwOmFwcC1zZWNyZXQ="; // app:app-secret
    let third = fx.oauth_token(
        &format!(
            "grant_type=refresh_token&refresh_token={}&redirect_uri={CALLBACK_ENCODED}",
            second["refresh_token"].as_str().expect("token")
        ),
        &[("Authorization", basic)],
    );
    assert_eq!(third.status, 200, "{}", third.text);
    assert_eq!(
        fx.user_with(&third.json()["access_token"]).status,
        200,
        "the third access token works"
    );
    assert_eq!(fx.gitlab().refresh_grants(), 2);
    assert_eq!(fx.server.log().count("POST", "/oauth/token"), 4);
    let used = first["refresh_token"].as_str().expect("token");
    assert!(
        fx.server
            .requests()
            .iter()
            .all(|r| !format!("{r:?}").contains(used)),
        "the log keeps no refresh token"
    );
}

#[test]
fn oauth_refresh_refuses_what_gitlab_refuses() {
    let fx = Fixture::start();
    fx.gitlab().add_oauth_app(OAuthAppSeed {
        client_id: "other".into(),
        client_secret: "other-secret".into(),
        redirect_uri: "http://127.0.0.1:2/callback".into(),
        user: "jsmith".into(),
    });
    let tokens = fx.sign_in();
    let refresh_token = tokens["refresh_token"].as_str().expect("refresh token");

    let wrong_secret = fx.oauth_token(
        &format!("grant_type=refresh_token&refresh_token={refresh_token}&client_id=app&client_secret=nope&redirect_uri={CALLBACK_ENCODED}"),
        &[],
    );
    assert_eq!(wrong_secret.status, 401, "{}", wrong_secret.text);
    assert_eq!(wrong_secret.json()["error"], "invalid_client");
    let other_client = fx.oauth_token(
        &format!("grant_type=refresh_token&refresh_token={refresh_token}&client_id=other&client_secret=other-secret&redirect_uri=http%3A%2F%2F127.0.0.1%3A2%2Fcallback"),
        &[],
    );
    assert_invalid_grant(&other_client);
    for redirect in ["", "&redirect_uri=http%3A%2F%2F127.0.0.1%3A1%2Felsewhere"] {
        assert_invalid_grant(&fx.oauth_token(
            &format!("grant_type=refresh_token&refresh_token={refresh_token}&{APP_CREDENTIALS}{redirect}"),
            &[],
        ));
    }
    assert_invalid_grant(&fx.refresh("glort-unknown"));
    assert_eq!(fx.gitlab().refresh_grants(), 0);

    // None of the refusals used the refresh token up; revoking it does.
    assert_eq!(fx.refresh(refresh_token).status, 200);
    let again = fx.sign_in();
    let refresh_token = again["refresh_token"].as_str().expect("refresh token");
    assert!(fx.gitlab().revoke_token(refresh_token));
    assert_invalid_grant(&fx.refresh(refresh_token));
    assert_eq!(fx.gitlab().refresh_grants(), 1);

    // The user revokes the application: its tokens stop, a new sign-in works.
    let granted = fx.sign_in();
    fx.gitlab().revoke_oauth_authorizations();
    let revoked = fx.user_with(&granted["access_token"]);
    assert_eq!(revoked.status, 401);
    assert_eq!(
        revoked.json()["error_description"],
        "Token has been revoked."
    );
    assert_invalid_grant(&fx.refresh(granted["refresh_token"].as_str().expect("token")));
    assert_eq!(get(&fx.api("/user"), private(READ_API)).status, 200);
    assert_eq!(fx.user_with(&fx.sign_in()["access_token"]).status, 200);
}

#[test]
fn expired_oauth_tokens_are_refused_and_refresh_still_works() {
    let fx = Fixture::start();
    let tokens = fx.sign_in();
    assert_eq!(fx.user_with(&tokens["access_token"]).status, 200);
    fx.gitlab().expire_oauth_access_tokens();
    let expired = fx.user_with(&tokens["access_token"]);
    assert_eq!(
        (expired.status, expired.json()),
        (
            401,
            json!({"error": "invalid_token", "error_description": "Token has expired."})
        )
    );
    // Seeded tokens are not OAuth grants and keep working.
    assert_eq!(get(&fx.api("/user"), private(READ_API)).status, 200);
    let refreshed = fx.refresh(tokens["refresh_token"].as_str().expect("refresh token"));
    assert_eq!(refreshed.status, 200, "{}", refreshed.text);
    assert_eq!(fx.user_with(&refreshed.json()["access_token"]).status, 200);

    // A short lifetime: reported in `expires_in`, and enforced by the API.
    fx.gitlab().set_oauth_token_lifetime(Duration::from_secs(1));
    let short = fx.sign_in();
    assert_eq!(short["expires_in"], 1);
    assert_eq!(fx.user_with(&short["access_token"]).status, 200);
    std::thread::sleep(Duration::from_millis(1200));
    let lapsed = fx.user_with(&short["access_token"]);
    assert_eq!(lapsed.status, 401);
    assert_eq!(lapsed.json()["error_description"], "Token has expired.");
    let renewed = fx.refresh(short["refresh_token"].as_str().expect("refresh token"));
    assert_eq!(renewed.json()["expires_in"], 1);
    assert_eq!(fx.user_with(&renewed.json()["access_token"]).status, 200);
    assert_eq!(fx.gitlab().refresh_grants(), 2);
}
