//! The Bitbucket Cloud mock over real loopback HTTP: token kinds and their reach, scopes,
//! workspaces, listings and pagination, webhooks, faults, signed deliveries and OAuth.

mod support;

use std::time::Duration;

use mock_providers::bitbucket::{
    signature, BitbucketSeed, MockBitbucket, OAuthConsumerSeed, RepositorySeed, TokenSeed,
    UserSeed, WorkspaceRole, WorkspaceSeed,
};
use mock_providers::{Fault, MockServer, WebhookSink};
use serde_json::json;
use support::{get, runtime, send, send_json, Reply};

const WORKSPACE: &str = "ATCTT3xWorkspace";
const REPOSITORY: &str = "ATCTT3xRepository";
const PROJECT: &str = "ATCTT3xProject";
const NO_WEBHOOK: &str = "ATCTT3xNoWebhook";
const WEBHOOK_ONLY: &str = "ATCTT3xWebhookOnly";
const OTHER: &str = "ATCTT3xOtherWorkspace";
const EXPIRED: &str = "ATCTT3xExpired";
const OAUTH_MEMBER: &str = "bbo-member";

struct Fixture {
    server: MockServer<MockBitbucket>,
    runtime: tokio::runtime::Runtime,
}

impl Fixture {
    fn start() -> Self {
        let runtime = runtime();
        let all = ["repository", "pullrequest:write", "webhook"];
        let seed = BitbucketSeed {
            users: vec![UserSeed::new("emma"), UserSeed::new("sam")],
            workspaces: vec![
                WorkspaceSeed::new(
                    "acme",
                    &[
                        ("emma", WorkspaceRole::Owner),
                        ("sam", WorkspaceRole::Member),
                    ],
                ),
                WorkspaceSeed::new("other", &[]),
            ],
            repositories: vec![
                RepositorySeed::private("acme", "api")
                    .in_project("PLAT")
                    .with_branches(&["main", "develop", "feature-a"]),
                RepositorySeed::private("other", "x"),
            ],
            tokens: vec![
                TokenSeed::workspace(WORKSPACE, "acme", &all),
                TokenSeed::repository(REPOSITORY, "acme", "api", &all),
                TokenSeed::project(PROJECT, "acme", "PLAT", &all),
                TokenSeed::workspace(NO_WEBHOOK, "acme", &["repository", "pullrequest:write"]),
                TokenSeed::workspace(WEBHOOK_ONLY, "acme", &["webhook"]),
                TokenSeed::workspace(OTHER, "other", &all),
                TokenSeed::workspace(EXPIRED, "acme", &all)
                    .expiring("2020-01-01T00:00:00Z".parse().expect("date")),
                TokenSeed::oauth(OAUTH_MEMBER, "sam", &["account", "repository", "webhook"]),
            ],
            oauth_consumers: vec![OAuthConsumerSeed {
                key: "key".into(),
                secret: "secret".into(),
                callback_url: "http://127.0.0.1:1/callback".into(),
                user: "emma".into(),
                scopes: vec!["account".into(), "repository".into(), "webhook".into()],
            }],
        }
        .with_many_repositories("acme", "service", 24);
        let server = runtime
            .block_on(MockBitbucket::start(seed))
            .expect("mock starts");
        Self { server, runtime }
    }

    fn api(&self, path: &str) -> String {
        format!("{}{path}", self.server.base_url())
    }

    fn web(&self, path: &str) -> String {
        let api = self.server.base_url();
        format!("{}{path}", api.strip_suffix("/2.0").unwrap_or(api))
    }
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

fn call(url: &str, token: &str) -> Reply {
    let value = bearer(token);
    get(url, Some(("Authorization", value.as_str())))
}

fn full_names(reply: &Reply) -> Vec<String> {
    reply.json()["values"]
        .as_array()
        .expect("values")
        .iter()
        .map(|r| r["full_name"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn tokens_reach_what_their_kind_allows() {
    let fx = Fixture::start();
    let list = |token: &str| full_names(&call(&fx.api("/repositories/acme?pagelen=100"), token));
    assert_eq!(list(WORKSPACE).len(), 25);
    assert_eq!(list(REPOSITORY), ["acme/api"]);
    assert_eq!(list(PROJECT), ["acme/api"]);
    let reply = call(&fx.api("/repositories/acme"), REPOSITORY);
    assert_eq!(reply.header("x-credential-type"), Some("repo_access_token"));
    assert_eq!(
        reply.header("x-oauth-scopes"),
        Some("repository, pullrequest:write, webhook")
    );
    assert_eq!(reply.header("x-accepted-oauth-scopes"), Some("repository"));

    let foreign = call(&fx.api("/repositories/acme"), OTHER);
    assert_eq!(foreign.status, 403);
    assert!(foreign.header("x-oauth-scopes").is_some());
    let unknown = call(&fx.api("/repositories/nope"), WORKSPACE);
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.json()["type"], "error");
    assert_eq!(
        call(&fx.api("/repositories/other/x"), WORKSPACE).status,
        404
    );

    assert_eq!(
        call(&fx.api("/workspaces/acme"), WORKSPACE).json()["slug"],
        "acme"
    );
    assert_eq!(call(&fx.api("/workspaces/acme"), REPOSITORY).status, 403);
    assert_eq!(call(&fx.api("/workspaces/nope"), REPOSITORY).status, 404);

    for token in [EXPIRED, "ATCTT3xUnknown"] {
        let reply = call(&fx.api("/repositories/acme"), token);
        assert_eq!(reply.status, 401);
        assert_eq!(
            reply.json()["error"]["message"],
            "Token is invalid, expired, or not supported for this endpoint."
        );
    }
    assert!(fx.server.provider().revoke_token(REPOSITORY));
    assert_eq!(call(&fx.api("/repositories/acme"), REPOSITORY).status, 401);
}

#[test]
fn scopes_are_enforced_and_named() {
    let fx = Fixture::start();
    let reply = call(&fx.api("/repositories/acme"), WEBHOOK_ONLY);
    assert_eq!(reply.status, 403);
    assert_eq!(
        reply.json()["error"]["detail"],
        json!({"granted": ["webhook"], "required": ["repository"]})
    );
    let hooks = call(&fx.api("/repositories/acme/api/hooks"), NO_WEBHOOK);
    assert_eq!(hooks.status, 403);
    assert_eq!(
        hooks.json()["error"]["detail"]["required"],
        json!(["webhook"])
    );
    assert_eq!(
        call(&fx.api("/repositories/acme/api/pullrequests"), NO_WEBHOOK).status,
        200
    );
    // Access tokens cannot read the user; an OAuth token with `account` can.
    let user = call(&fx.api("/user"), WORKSPACE);
    assert_eq!(user.status, 403);
    assert_eq!(
        user.json()["error"]["detail"]["required"],
        json!(["account"])
    );
    assert_eq!(
        call(&fx.api("/user"), OAUTH_MEMBER).json()["nickname"],
        "sam"
    );
    // A plain member may not manage hooks.
    assert_eq!(
        call(&fx.api("/repositories/acme/api/hooks"), OAUTH_MEMBER).status,
        403
    );
}

#[test]
fn listings_page_filter_and_sort() {
    let fx = Fixture::start();
    let first = call(&fx.api("/repositories/acme?sort=full_name"), WORKSPACE).json();
    assert_eq!(
        (
            first["pagelen"].clone(),
            first["size"].clone(),
            first["page"].clone()
        ),
        (json!(10), json!(25), json!(1))
    );
    assert_eq!(first["values"][0]["full_name"], "acme/api");
    let next = first["next"].as_str().expect("next").to_owned();
    assert!(
        next.contains("sort=full_name") && next.contains("page=2"),
        "{next}"
    );
    let third = call(&next.replace("page=2", "page=3"), WORKSPACE).json();
    assert!(third.get("next").is_none());
    assert_eq!(third["values"].as_array().map(Vec::len), Some(5));

    let found = full_names(&call(
        &fx.api("/repositories/acme?q=name%20~%20%22SERVICE-01%22"),
        WORKSPACE,
    ));
    assert_eq!(found.len(), 10);
    let exact = full_names(&call(
        &fx.api("/repositories/acme?q=full_name%20%3D%20%22acme%2Fapi%22"),
        WORKSPACE,
    ));
    assert_eq!(exact, ["acme/api"]);
    assert_eq!(
        call(&fx.api("/repositories/acme?q=name%20~%20oops"), WORKSPACE).status,
        400
    );
    assert_eq!(
        call(&fx.api("/repositories/acme?sort=colour"), WORKSPACE).status,
        400
    );

    let member = full_names(&call(
        &fx.api("/repositories?role=member&pagelen=100"),
        OAUTH_MEMBER,
    ));
    assert_eq!(member.len(), 25, "sam's workspace only");

    let repo = call(&fx.api("/repositories/acme/api"), REPOSITORY).json();
    assert_eq!(repo["mainbranch"]["name"], "main");
    assert_eq!(repo["is_private"], true);
    let clone = repo["links"]["clone"][0]["href"]
        .as_str()
        .expect("clone link");
    assert!(
        clone.starts_with("http://x-token-auth@127.0.0.1:"),
        "{clone}"
    );

    let branches = call(
        &fx.api("/repositories/acme/api/refs/branches?pagelen=1&sort=name"),
        REPOSITORY,
    )
    .json();
    assert_eq!(branches["values"][0]["name"], "develop");
    assert_eq!(branches["size"], 3);
    assert!(branches["next"].as_str().is_some());
    let feature = call(
        &fx.api("/repositories/acme/api/refs/branches?q=name%20~%20%22feat%22"),
        REPOSITORY,
    )
    .json();
    assert_eq!(
        feature["values"][0]["target"]["hash"]
            .as_str()
            .map(str::len),
        Some(40)
    );
}

#[test]
fn webhooks_round_trip() {
    let fx = Fixture::start();
    let hooks = fx.api("/repositories/acme/api/hooks");
    let auth = bearer(REPOSITORY);
    let header = ("Authorization", auth.as_str());
    let bad = send_json(
        "POST",
        &hooks,
        header,
        &json!({"url": "https://x/", "events": ["repo:nope"]}),
    );
    assert_eq!(bad.status, 400);
    let created = send_json(
        "POST",
        &hooks,
        header,
        &json!({"url": "https://ga.example.com/h", "description": "d", "active": true, "secret": "s3cret",
                "events": ["repo:push", "pullrequest:created"]}),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    let hook = created.json();
    assert_eq!(hook["secret_set"], true);
    assert!(hook.get("secret").is_none());
    let uuid = hook["uuid"].as_str().expect("uuid").to_owned();
    assert!(uuid.starts_with('{') && uuid.ends_with('}'));
    let one = format!("{hooks}/{}", uuid.replace('{', "%7B").replace('}', "%7D"));
    assert_eq!(
        call(&one, REPOSITORY).json()["url"],
        "https://ga.example.com/h"
    );
    let updated = send_json(
        "PUT",
        &one,
        header,
        &json!({"url": "https://ga.example.com/h", "events": ["repo:push"], "secret": null}),
    );
    assert_eq!(updated.json()["secret_set"], false);
    assert_eq!(updated.json()["description"], "d", "unchanged fields stay");
    assert_eq!(
        call(&hooks, REPOSITORY).json()["values"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    assert_eq!(send("DELETE", &one, &[header], None).status, 204);
    assert_eq!(call(&one, REPOSITORY).status, 404);
    assert_eq!(send("DELETE", &one, &[header], None).status, 404);
}

#[test]
fn faults_throttle_and_fail() {
    let fx = Fixture::start();
    fx.server
        .provider()
        .inject(Fault::TooManyRequests { retry_after: 42 }, 1);
    let throttled = call(&fx.api("/repositories/acme"), WORKSPACE);
    assert_eq!(throttled.status, 429);
    assert_eq!(throttled.header("retry-after"), Some("42"));
    fx.server.provider().inject(
        Fault::ServerError {
            status: 503,
            retry_after: Some(5),
        },
        1,
    );
    let failed = call(&fx.api("/repositories/acme"), WORKSPACE);
    assert_eq!(
        (failed.status, failed.header("retry-after")),
        (503, Some("5"))
    );
    assert_eq!(call(&fx.api("/repositories/acme"), WORKSPACE).status, 200);
}

#[test]
fn deliveries_are_signed() {
    let fx = Fixture::start();
    let sink = fx.runtime.block_on(WebhookSink::start()).expect("sink");
    let auth = bearer(REPOSITORY);
    let created = send_json(
        "POST",
        &fx.api("/repositories/acme/api/hooks"),
        ("Authorization", auth.as_str()),
        &json!({"url": format!("{}/hooks/bitbucket", sink.base_url()), "secret": "s3cret",
                "events": ["repo:push", "pullrequest:created", "pullrequest:fulfilled"]}),
    );
    assert_eq!(created.status, 201);
    fx.server
        .provider()
        .push("acme/api", "develop", "emma", "Fix")
        .expect("pushed");
    fx.server
        .provider()
        .pull_request(
            "acme/api",
            "pullrequest:fulfilled",
            3,
            "develop",
            "main",
            "emma",
        )
        .expect("delivered");
    let received = sink.provider().wait_for(2, Duration::from_secs(5));
    assert_eq!(received.len(), 2);
    let push = &received[0];
    assert_eq!(push.header("x-event-key"), Some("repo:push"));
    assert_eq!(
        push.header("x-hub-signature"),
        Some(signature("s3cret", &push.body).as_str())
    );
    assert!(push.header("x-request-uuid").is_some());
    let body: serde_json::Value = serde_json::from_slice(&push.body).expect("JSON");
    let change = &body["push"]["changes"][0];
    assert_eq!(change["new"]["name"], "develop");
    assert_eq!(
        change["new"]["target"]["hash"].as_str().map(str::len),
        Some(40)
    );
    assert!(
        body["repository"]["links"].get("clone").is_none(),
        "no clone URL, as Bitbucket"
    );
    assert_eq!(body["actor"]["nickname"], "emma");
    let pr: serde_json::Value = serde_json::from_slice(&received[1].body).expect("JSON");
    assert_eq!(pr["pullrequest"]["state"], "MERGED");
    assert_eq!(
        pr["pullrequest"]["source"]["commit"]["hash"]
            .as_str()
            .map(str::len),
        Some(12)
    );
}

#[test]
fn oauth_code_exchange() {
    let fx = Fixture::start();
    let authorize = get(
        &fx.web("/site/oauth2/authorize?client_id=key&response_type=code&state=s1"),
        None,
    );
    assert_eq!(authorize.status, 302);
    let location = authorize.header("location").expect("redirect").to_owned();
    assert!(
        location.starts_with("http://127.0.0.1:1/callback?code="),
        "{location}"
    );
    let code = location
        .split("code=")
        .nth(1)
        .and_then(|r| r.split('&').next())
        .expect("code");
    let form = [("Content-Type", "application/x-www-form-urlencoded")];
    let basic = "Basic a2V5OnNlY3JldA=="; // key:secret
    let body = format!("grant_type=authorization_code&code={code}");
    let tokens = send(
        "POST",
        &fx.web("/site/oauth2/access_token"),
        &[form[0], ("Authorization", basic)],
        Some(body.as_bytes()),
    );
    assert_eq!(tokens.status, 200, "{}", tokens.text);
    let tokens = tokens.json();
    assert_eq!(tokens["scopes"], "account repository webhook");
    let access = tokens["access_token"].as_str().expect("token");
    assert_eq!(call(&fx.api("/user"), access).json()["nickname"], "emma");
    let again = send(
        "POST",
        &fx.web("/site/oauth2/access_token"),
        &[form[0], ("Authorization", basic)],
        Some(body.as_bytes()),
    );
    assert_eq!(
        (again.status, again.json()["error"].clone()),
        (400, json!("invalid_grant"))
    );
    let wrong = send(
        "POST",
        &fx.web("/site/oauth2/access_token"),
        &form,
        Some(b"grant_type=authorization_code&code=x&client_id=key&client_secret=nope"),
    );
    assert_eq!(wrong.status, 401);
}

#[test]
fn control_endpoints_make_bitbucket_act() {
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
        json!({"fault": "server_error", "status": 502, "seconds": 3}),
    );
    assert_eq!(fault.json()["pending"], 1);
    let failed = call(&fx.api("/repositories/acme"), WORKSPACE);
    assert_eq!(
        (failed.status, failed.header("retry-after")),
        (502, Some("3"))
    );
    let pushed = post(
        "/_mock/push",
        json!({"repository": "acme/api", "user": "emma"}),
    );
    assert_eq!(
        (pushed.status, pushed.json()),
        (200, json!([])),
        "no hooks yet"
    );
    let pr = post(
        "/_mock/pull_request",
        json!({"repository": "acme/api", "source": "develop", "user": "emma"}),
    );
    assert_eq!(pr.status, 200);
    assert_eq!(
        post(
            "/_mock/push",
            json!({"repository": "acme/nope", "user": "emma"})
        )
        .status,
        404
    );
    assert_eq!(get(&fx.web("/_mock/deliveries"), None).json(), json!([]));
}
