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

/// `key:secret` as HTTP Basic credentials.
const CONSUMER_BASIC: &str = "Basic a2V5OnNlY3JldA==";

impl Fixture {
    fn bitbucket(&self) -> &MockBitbucket {
        self.server.provider()
    }

    /// `POST /site/oauth2/access_token` with a form body and `headers`.
    fn access_token(&self, body: &str, headers: &[(&str, &str)]) -> Reply {
        let mut all = vec![("Content-Type", "application/x-www-form-urlencoded")];
        all.extend_from_slice(headers);
        send(
            "POST",
            &self.web("/site/oauth2/access_token"),
            &all,
            Some(body.as_bytes()),
        )
    }

    /// emma signs in to the consumer: the token endpoint's answer to the code.
    fn sign_in(&self) -> serde_json::Value {
        let code = self.bitbucket().authorize("key", None, None).expect("code");
        let reply = self.access_token(
            &format!("grant_type=authorization_code&code={code}"),
            &[("Authorization", CONSUMER_BASIC)],
        );
        assert_eq!(reply.status, 200, "{}", reply.text);
        reply.json()
    }

    /// `grant_type=refresh_token`, the consumer's credentials as HTTP Basic.
    fn refresh(&self, refresh_token: &serde_json::Value) -> Reply {
        let refresh_token = refresh_token.as_str().expect("a refresh token");
        self.access_token(
            &format!("grant_type=refresh_token&refresh_token={refresh_token}"),
            &[("Authorization", CONSUMER_BASIC)],
        )
    }
}

fn user_with(fx: &Fixture, access_token: &serde_json::Value) -> Reply {
    call(
        &fx.api("/user"),
        access_token.as_str().expect("an access token"),
    )
}

#[test]
fn oauth_refresh_keeps_the_refresh_token() {
    let fx = Fixture::start();
    let first = fx.sign_in();
    assert_eq!(first["expires_in"], 7200);
    assert!(first["refresh_token"].is_string(), "{first}");

    let refreshed = fx.refresh(&first["refresh_token"]);
    assert_eq!(refreshed.status, 200, "{}", refreshed.text);
    let second = refreshed.json();
    assert_eq!(second["state"], "refresh_token");
    assert_eq!(second["token_type"], "bearer");
    assert_eq!(second["expires_in"], 7200);
    assert_eq!(second["scopes"], "account repository webhook");
    assert_ne!(second["access_token"], first["access_token"]);
    // Bitbucket does not rotate: the same refresh token comes back.
    assert_eq!(second["refresh_token"], first["refresh_token"]);
    assert_eq!(
        user_with(&fx, &second["access_token"]).json()["nickname"],
        "emma"
    );
    assert_eq!(
        user_with(&fx, &first["access_token"]).status,
        200,
        "the earlier access token works until it expires"
    );

    // The refresh token keeps working, with the credentials as form fields too.
    let third = fx.access_token(
        &format!(
            "grant_type=refresh_token&refresh_token={}&client_id=key&client_secret=secret",
            first["refresh_token"].as_str().expect("refresh token")
        ),
        &[],
    );
    assert_eq!(third.status, 200, "{}", third.text);
    assert_eq!(third.json()["refresh_token"], first["refresh_token"]);
    assert_eq!(user_with(&fx, &third.json()["access_token"]).status, 200);
    assert_eq!(fx.bitbucket().refresh_grants(), 2);
}

#[test]
fn oauth_refresh_refuses_bad_tokens_and_clients() {
    let fx = Fixture::start();
    let tokens = fx.sign_in();
    let refresh_token = tokens["refresh_token"].as_str().expect("refresh token");

    let wrong_secret = fx.access_token(
        &format!("grant_type=refresh_token&refresh_token={refresh_token}"),
        &[("Authorization", "Basic a2V5Om5vcGU=")], // key:nope
    );
    assert_eq!(wrong_secret.status, 401, "{}", wrong_secret.text);
    assert_eq!(wrong_secret.json()["error"], "invalid_client");
    let unknown = fx.refresh(&json!("bbr-unknown"));
    assert_eq!(unknown.status, 400, "{}", unknown.text);
    let body = unknown.json();
    assert_eq!(body["error"], "invalid_grant");
    assert!(body["error_description"].is_string(), "{body}");
    // An access token is not a refresh token.
    assert_eq!(fx.refresh(&tokens["access_token"]).status, 400);
    assert_eq!(fx.bitbucket().refresh_grants(), 0);

    assert!(fx.bitbucket().revoke_token(refresh_token));
    let revoked = fx.refresh(&tokens["refresh_token"]);
    assert_eq!(
        (revoked.status, revoked.json()["error"].clone()),
        (400, json!("invalid_grant"))
    );
    assert_eq!(fx.bitbucket().refresh_grants(), 0);

    // The user revokes the consumer's access: its tokens stop, a new sign-in works.
    let granted = fx.sign_in();
    fx.bitbucket().revoke_oauth_authorizations();
    assert_eq!(user_with(&fx, &granted["access_token"]).status, 401);
    assert_eq!(fx.refresh(&granted["refresh_token"]).status, 400);
    assert_eq!(call(&fx.api("/user"), OAUTH_MEMBER).status, 200);
    assert_eq!(user_with(&fx, &fx.sign_in()["access_token"]).status, 200);
}

#[test]
fn expired_oauth_tokens_are_refused_and_refresh_still_works() {
    let fx = Fixture::start();
    let tokens = fx.sign_in();
    assert_eq!(user_with(&fx, &tokens["access_token"]).status, 200);
    fx.bitbucket().expire_oauth_access_tokens();
    let expired = user_with(&fx, &tokens["access_token"]);
    assert_eq!(expired.status, 401);
    assert_eq!(
        expired.json()["error"]["message"],
        "Token is invalid, expired, or not supported for this endpoint."
    );
    // A seeded OAuth token is not a grant of the token endpoint and keeps working.
    assert_eq!(call(&fx.api("/user"), OAUTH_MEMBER).status, 200);
    let refreshed = fx.refresh(&tokens["refresh_token"]);
    assert_eq!(refreshed.status, 200, "{}", refreshed.text);
    assert_eq!(
        user_with(&fx, &refreshed.json()["access_token"]).status,
        200
    );

    // A short lifetime: reported in `expires_in`, and enforced by the API.
    fx.bitbucket()
        .set_oauth_token_lifetime(Duration::from_secs(1));
    let short = fx.refresh(&tokens["refresh_token"]).json();
    assert_eq!(short["expires_in"], 1);
    assert_eq!(user_with(&fx, &short["access_token"]).status, 200);
    std::thread::sleep(Duration::from_millis(1200));
    assert_eq!(user_with(&fx, &short["access_token"]).status, 401);
    let renewed = fx.refresh(&tokens["refresh_token"]).json();
    assert_eq!(user_with(&fx, &renewed["access_token"]).status, 200);
    assert_eq!(fx.bitbucket().refresh_grants(), 3);
}
