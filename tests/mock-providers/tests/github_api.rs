//! The GitHub mock's repositories, hooks, pagination, access rules, faults, OAuth and
//! webhook deliveries, over real loopback HTTP.

use std::time::Duration;

use mock_providers::github::{
    signature_256, Access, GitHubSeed, MockGitHub, OAuthAppSeed, OrgRole, RepositorySeed,
    TokenKind, TokenSeed, UserSeed,
};
use mock_providers::{DeliveryOutcome, Fault, MockServer, WebhookSink};
use serde_json::{json, Value};

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    text: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("{e}: {}", self.text))
    }
}

/// The mock runs on its own runtime while the test thread makes blocking calls. Fields
/// drop in order: the servers stop before their runtime.
struct Fixture {
    server: MockServer<MockGitHub>,
    sink: MockServer<WebhookSink>,
    _runtime: tokio::runtime::Runtime,
}

impl Fixture {
    fn start(enterprise: bool) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let server = runtime
            .block_on(async {
                if enterprise {
                    MockGitHub::start_enterprise(seed()).await
                } else {
                    MockGitHub::start(seed()).await
                }
            })
            .expect("mock starts");
        let sink = runtime.block_on(WebhookSink::start()).expect("sink starts");
        Self {
            server,
            sink,
            _runtime: runtime,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.base_url())
    }

    fn github(&self) -> &MockGitHub {
        self.server.provider()
    }
}

fn seed() -> GitHubSeed {
    GitHubSeed {
        users: vec![
            UserSeed::user("octocat"),
            UserSeed::user("hubot"),
            UserSeed::organization(
                "octo-org",
                &[("octocat", OrgRole::Admin), ("hubot", OrgRole::Member)],
            ),
        ],
        repositories: vec![
            RepositorySeed::private("octo-org", "platform").with_branches(&["main", "develop"]),
            RepositorySeed {
                empty: true,
                ..RepositorySeed::private("octo-org", "empty")
            },
        ],
        tokens: vec![
            TokenSeed::classic("ghp_full", "octocat", &["repo", "admin:repo_hook"]),
            TokenSeed::classic("ghp_user", "octocat", &["read:user"]),
            TokenSeed::classic("ghp_hubot", "hubot", &["repo", "admin:repo_hook"]),
            TokenSeed::fine_grained(
                "github_pat_contents",
                "octocat",
                &[("contents", Access::Read)],
            )
            .only(&["octo-org/platform"]),
            TokenSeed::fine_grained("ghs_app", "octo-org", &[("webhooks", Access::Write)])
                .with_kind(TokenKind::Installation)
                .only(&["octo-org/platform"]),
        ],
        oauth_apps: vec![OAuthAppSeed {
            client_id: "Iv1.app".into(),
            client_secret: "shh".into(),
            approving_user: None,
        }],
        ..GitHubSeed::default()
    }
    .with_many_repositories("octocat", "repo", 150)
}

fn send(method: &str, url: &str, token: Option<&str>, body: Option<&Value>) -> Reply {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .proxy(None)
        .build()
        .into();
    let auth = token.map(|t| format!("Bearer {t}"));
    let result = match method {
        "GET" | "DELETE" => {
            let mut request = if method == "GET" {
                agent.get(url)
            } else {
                agent.delete(url)
            };
            if let Some(auth) = &auth {
                request = request.header("Authorization", auth.as_str());
            }
            request.call()
        }
        _ => {
            let mut request = if method == "PATCH" {
                agent.patch(url)
            } else {
                agent.post(url)
            };
            if let Some(auth) = &auth {
                request = request.header("Authorization", auth.as_str());
            }
            request
                .header("Content-Type", "application/json")
                .send(body.map(Value::to_string).unwrap_or_default())
        }
    };
    let mut response = result.expect("the mock answers");
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    let text = response.body_mut().read_to_string().unwrap_or_default();
    Reply {
        status,
        headers,
        text,
    }
}

#[test]
fn user_repos_page_with_link_headers() {
    let fx = Fixture::start(false);
    let first = send(
        "GET",
        &fx.url("/user/repos?affiliation=owner&per_page=100"),
        Some("ghp_full"),
        None,
    );
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(first.json().as_array().map(Vec::len), Some(100));
    let link = first.header("link").expect("a Link header");
    let base = fx.server.base_url();
    assert_eq!(
        link,
        format!(
            "<{base}/user/repos?affiliation=owner&per_page=100&page=2>; rel=\"next\", \
             <{base}/user/repos?affiliation=owner&per_page=100&page=2>; rel=\"last\""
        )
    );
    let second = send(
        "GET",
        &fx.url("/user/repos?affiliation=owner&per_page=100&page=2"),
        Some("ghp_full"),
        None,
    );
    let items = second.json();
    assert_eq!(items.as_array().map(Vec::len), Some(50));
    assert_eq!(items[49]["full_name"], "octocat/repo-149");
    let link = second.header("link").expect("a Link header");
    assert!(
        link.contains("rel=\"prev\"") && !link.contains("rel=\"next\""),
        "{link}"
    );

    // Without `repo`, a classic token sees public repositories only.
    let public = send(
        "GET",
        &fx.url("/user/repos?per_page=100"),
        Some("ghp_user"),
        None,
    );
    assert!(public
        .json()
        .as_array()
        .expect("a list")
        .iter()
        .all(|r| r["private"] == false));
    // Organization repositories come with the member's role.
    let hubot = send("GET", &fx.url("/user/repos"), Some("ghp_hubot"), None).json();
    assert_eq!(hubot[1]["full_name"], "octo-org/platform");
    assert_eq!(hubot[1]["permissions"]["admin"], false);
    assert_eq!(hubot[1]["permissions"]["pull"], true);
}

#[test]
fn access_rules_per_token_kind() {
    let fx = Fixture::start(false);
    // Fine-grained: reads what it has, 403 naming what it lacks, 404 outside its selection.
    let commits = send(
        "GET",
        &fx.url("/repos/octo-org/platform/commits?per_page=1"),
        Some("github_pat_contents"),
        None,
    );
    assert_eq!(commits.status, 200);
    assert_eq!(
        commits.header("x-accepted-github-permissions"),
        Some("contents=read")
    );
    let hooks = send(
        "GET",
        &fx.url("/repos/octo-org/platform/hooks"),
        Some("github_pat_contents"),
        None,
    );
    assert_eq!(hooks.status, 403);
    assert_eq!(
        hooks.json()["message"],
        "Resource not accessible by personal access token"
    );
    assert_eq!(
        hooks.header("x-accepted-github-permissions"),
        Some("webhooks=read")
    );
    let outside = send(
        "GET",
        &fx.url("/repos/octo-org/empty"),
        Some("github_pat_contents"),
        None,
    );
    assert_eq!(outside.status, 404);

    // Classic: hooks hidden from a member who does not administer, scopes named.
    let hidden = send(
        "GET",
        &fx.url("/repos/octo-org/platform/hooks"),
        Some("ghp_hubot"),
        None,
    );
    assert_eq!(hidden.status, 404);
    assert_eq!(
        hidden.header("x-accepted-oauth-scopes"),
        Some("admin:repo_hook, read:repo_hook, repo, write:repo_hook")
    );
    assert_eq!(
        hidden.header("x-oauth-scopes"),
        Some("repo, admin:repo_hook")
    );

    // Installation tokens: no user; their own repository list.
    let user = send("GET", &fx.url("/user"), Some("ghs_app"), None);
    assert_eq!(user.status, 403);
    let listed = send(
        "GET",
        &fx.url("/installation/repositories"),
        Some("ghs_app"),
        None,
    )
    .json();
    assert_eq!(listed["total_count"], 1);
    assert_eq!(listed["repositories"][0]["full_name"], "octo-org/platform");
    let not_app = send(
        "GET",
        &fx.url("/installation/repositories"),
        Some("ghp_full"),
        None,
    );
    assert_eq!(not_app.status, 403);

    // Empty repositories have no commits.
    let empty = send(
        "GET",
        &fx.url("/repos/octo-org/empty/commits"),
        Some("ghp_full"),
        None,
    );
    assert_eq!(empty.status, 409);
    assert_eq!(empty.json()["message"], "Git Repository is empty.");
}

#[test]
fn hooks_are_validated_updated_and_deleted_like_github() {
    let fx = Fixture::start(false);
    let hooks = fx.url("/repos/octo-org/platform/hooks");
    let token = Some("ghp_full");

    let bad_json = send("POST", &hooks, token, None);
    assert_eq!(bad_json.status, 400);
    assert_eq!(bad_json.json()["message"], "Problems parsing JSON");
    let bad_event = send(
        "POST",
        &hooks,
        token,
        Some(&json!({"config": {"url": "https://x.example/h"}, "events": ["pushh"]})),
    );
    assert_eq!(bad_event.status, 422);
    assert_eq!(bad_event.json()["message"], "Validation Failed");

    let created = send(
        "POST",
        &hooks,
        token,
        Some(&json!({"name": "web", "config": {"url": "https://x.example/h", "secret": "s"}})),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    let hook = created.json();
    assert_eq!(hook["config"]["content_type"], "form", "GitHub's default");
    assert_eq!(hook["config"]["secret"], "********");
    assert_eq!(hook["events"], json!(["push"]));
    assert!(created
        .header("location")
        .is_some_and(|l| l.ends_with(&format!("/hooks/{}", hook["id"]))));

    let duplicate = send(
        "POST",
        &hooks,
        token,
        Some(&json!({"config": {"url": "https://x.example/h"}})),
    );
    assert_eq!(duplicate.status, 422);
    assert!(duplicate
        .text
        .contains("Hook already exists on this repository"));

    // A config without the secret removes it, as GitHub documents.
    let url = format!("{hooks}/{}", hook["id"]);
    let patched = send(
        "PATCH",
        &url,
        token,
        Some(
            &json!({"config": {"url": "https://x.example/h", "content_type": "json"}, "add_events": ["pull_request"]}),
        ),
    );
    assert_eq!(patched.status, 200, "{}", patched.text);
    let patched = patched.json();
    assert_eq!(patched["events"], json!(["push", "pull_request"]));
    assert!(patched["config"].get("secret").is_none(), "{patched}");

    assert_eq!(send("DELETE", &url, token, None).status, 204);
    assert_eq!(send("DELETE", &url, token, None).status, 404);
    assert_eq!(send("GET", &url, token, None).status, 404);
}

#[test]
fn faults_answer_as_github_throttles_and_fails() {
    let fx = Fixture::start(false);
    let user = fx.url("/user");
    fx.github().inject(Fault::RateLimit { reset_in: 120 }, 1);
    let limited = send("GET", &user, Some("ghp_full"), None);
    assert_eq!(limited.status, 403);
    assert_eq!(limited.header("x-ratelimit-remaining"), Some("0"));
    assert!(limited.json()["message"]
        .as_str()
        .is_some_and(|m| m.starts_with("API rate limit exceeded")));

    fx.github()
        .inject(Fault::SecondaryRateLimit { retry_after: 30 }, 1);
    let secondary = send("GET", &user, Some("ghp_full"), None);
    assert_eq!(
        (secondary.status, secondary.header("retry-after")),
        (403, Some("30"))
    );

    fx.github()
        .inject(Fault::TooManyRequests { retry_after: 5 }, 1);
    assert_eq!(send("GET", &user, Some("ghp_full"), None).status, 429);

    fx.github().inject(
        Fault::ServerError {
            status: 502,
            retry_after: None,
        },
        2,
    );
    assert_eq!(send("GET", &user, Some("ghp_full"), None).status, 502);
    assert_eq!(send("GET", &user, Some("ghp_full"), None).status, 502);
    assert_eq!(send("GET", &user, Some("ghp_full"), None).status, 200);
}

#[test]
fn oauth_exchange_answers_form_or_json_and_errors_with_200() {
    let fx = Fixture::start(true);
    // Enterprise: the web flow is at the host root, outside /api/v3.
    let root = fx.server.base_url().trim_end_matches("/api/v3").to_owned();
    let authorize = send(
        "GET",
        &format!("{root}/login/oauth/authorize?client_id=Iv1.app&redirect_uri=https%3A%2F%2Fga.example%2Fcb&scope=repo&state=xyz"),
        None,
        None,
    );
    assert_eq!(authorize.status, 302);
    let location = authorize.header("location").expect("a redirect").to_owned();
    let code = location
        .split("code=")
        .nth(1)
        .and_then(|r| r.split('&').next())
        .expect("a code")
        .to_owned();
    assert!(location.ends_with("&state=xyz"), "{location}");

    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .build()
        .into();
    let exchange = |code: &str| {
        let mut response = agent
            .post(&format!("{root}/login/oauth/access_token"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .send(format!("client_id=Iv1.app&client_secret=shh&code={code}&redirect_uri=https%3A%2F%2Fga.example%2Fcb"))
            .expect("answers");
        (
            response.status().as_u16(),
            response.body_mut().read_to_string().unwrap_or_default(),
        )
    };
    let (status, body) = exchange(&code);
    assert_eq!(status, 200);
    assert!(body.starts_with("access_token=gho_"), "{body}");
    assert!(
        body.contains("&scope=repo&token_type=bearer") || body.contains("token_type=bearer"),
        "{body}"
    );
    let token = body
        .split('&')
        .find_map(|p| p.strip_prefix("access_token="))
        .expect("a token")
        .to_owned();
    let user = send("GET", &fx.url("/user"), Some(&token), None);
    assert_eq!(user.status, 200);
    assert_eq!(user.header("x-oauth-scopes"), Some("repo"));

    let (status, body) = exchange(&code);
    assert_eq!(status, 200, "GitHub reports exchange errors with 200");
    assert!(body.contains("error=bad_verification_code"), "{body}");
}

#[test]
fn deliveries_are_signed_and_fired_at_loopback_only() {
    let fx = Fixture::start(false);
    let sink_url = format!("{}/hooks/app", fx.sink.base_url());
    let hooks = fx.url("/repos/octo-org/platform/hooks");
    for url in [sink_url.as_str(), "https://hooks.example.com/app"] {
        let created = send(
            "POST",
            &hooks,
            Some("ghp_full"),
            Some(
                &json!({"config": {"url": url, "content_type": "json", "secret": "k"}, "events": ["push", "pull_request"]}),
            ),
        );
        assert_eq!(created.status, 201, "{}", created.text);
    }
    // Both hooks are pinged; only the loopback one is reached.
    let received = fx.sink.provider().wait_for(1, Duration::from_secs(10));
    assert_eq!(received.len(), 1);
    let ping = &received[0];
    assert_eq!(ping.header("x-github-event"), Some("ping"));
    assert_eq!(
        ping.header("x-hub-signature-256"),
        Some(signature_256("k", &ping.body).as_str())
    );

    let fired = fx
        .github()
        .push("octo-org/platform", "main", "Ship it")
        .expect("the repository exists");
    assert_eq!(fired.len(), 2);
    assert!(matches!(
        fired[0].outcome,
        DeliveryOutcome::Delivered { status: 200 }
    ));
    assert!(matches!(fired[1].outcome, DeliveryOutcome::NotAttempted(_)));
    let received = fx.sink.provider().wait_for(2, Duration::from_secs(10));
    let push = &received[1];
    let body: Value = serde_json::from_slice(&push.body).expect("JSON");
    assert_eq!(body["ref"], "refs/heads/main");
    assert_eq!(body["head_commit"]["message"], "Ship it");
    assert_eq!(push.header("x-github-delivery"), Some(fired[0].id.as_str()));
    assert_eq!(
        push.header("x-hub-signature-256"),
        Some(signature_256("k", &push.body).as_str())
    );
}

#[test]
fn deliveries_can_be_fired_at_any_loopback_url() {
    let fx = Fixture::start(false);
    let url = format!("{}/manual", fx.sink.base_url());
    let delivery = fx.github().deliver_to(
        &url,
        "typed-by-hand",
        "ping",
        &json!({"zen": "Approachable is better than simple."}),
    );
    assert!(matches!(
        delivery.outcome,
        DeliveryOutcome::Delivered { status: 200 }
    ));
    let received = fx.sink.provider().wait_for(1, Duration::from_secs(10));
    assert_eq!(received[0].path, "/manual");
    assert_eq!(
        received[0].header("x-hub-signature-256"),
        Some(signature_256("typed-by-hand", &received[0].body).as_str())
    );
    assert_eq!(fx.github().deliveries().len(), 1);
}

/// `POST /login/oauth/access_token` with a form body; a JSON answer when `json`, else
/// GitHub's form-encoded one, decoded into a JSON object of strings.
fn token_endpoint(fx: &Fixture, body: &str, json: bool) -> Value {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .build()
        .into();
    let mut request = agent
        .post(&format!(
            "http://{}/login/oauth/access_token",
            fx.server.addr()
        ))
        .header("Content-Type", "application/x-www-form-urlencoded");
    if json {
        request = request.header("Accept", "application/json");
    }
    let mut response = request.send(body).expect("answers");
    assert_eq!(
        response.status().as_u16(),
        200,
        "GitHub answers the token endpoint with 200, errors too"
    );
    let text = response.body_mut().read_to_string().unwrap_or_default();
    if json {
        return serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    }
    Value::Object(
        mock_providers::query::parse(&text)
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect(),
    )
}

/// octocat signs in to the OAuth app `Iv1.app` with scope `repo`.
fn sign_in(fx: &Fixture) -> Value {
    let code = fx
        .github()
        .authorize("Iv1.app", None, &["repo"], None, None)
        .expect("a code");
    token_endpoint(
        fx,
        &format!("client_id=Iv1.app&client_secret=shh&code={code}"),
        true,
    )
}

fn refresh(fx: &Fixture, refresh_token: &Value, json: bool) -> Value {
    let refresh_token = refresh_token.as_str().unwrap_or_default();
    token_endpoint(
        fx,
        &format!("client_id=Iv1.app&client_secret=shh&grant_type=refresh_token&refresh_token={refresh_token}"),
        json,
    )
}

fn user_with(fx: &Fixture, access_token: &Value) -> Reply {
    send(
        "GET",
        &fx.url("/user"),
        Some(access_token.as_str().expect("an access token")),
        None,
    )
}

fn assert_bad_refresh_token(answer: &Value) {
    assert_eq!(answer["error"], "bad_refresh_token", "{answer}");
    assert_eq!(
        answer["error_description"],
        "The refresh token passed is incorrect or expired."
    );
    assert!(answer["error_uri"].is_string(), "{answer}");
    assert!(answer.get("access_token").is_none(), "{answer}");
}

#[test]
fn without_expiring_user_tokens_there_is_no_refresh() {
    let fx = Fixture::start(false);
    let tokens = sign_in(&fx);
    assert!(tokens["access_token"]
        .as_str()
        .is_some_and(|t| t.starts_with("gho_")));
    for absent in ["expires_in", "refresh_token", "refresh_token_expires_in"] {
        assert!(tokens.get(absent).is_none(), "{absent}: {tokens}");
    }
    let user = user_with(&fx, &tokens["access_token"]);
    assert_eq!(user.status, 200);
    assert_eq!(user.header("github-authentication-token-expiration"), None);
    assert_bad_refresh_token(&refresh(&fx, &tokens["access_token"], true));
    assert_bad_refresh_token(&refresh(&fx, &json!("ghr_unknown"), false));
    assert_eq!(fx.github().refresh_grants(), 0);
}

#[test]
fn expiring_user_tokens_refresh_and_rotate() {
    let fx = Fixture::start(false);
    assert!(!fx.github().set_expiring_user_tokens("Iv1.nope", true));
    assert!(fx.github().set_expiring_user_tokens("Iv1.app", true));
    let first = sign_in(&fx);
    assert_eq!(first["expires_in"], 28800);
    assert_eq!(first["refresh_token_expires_in"], 15897600);
    assert_eq!(first["scope"], "repo");
    assert_eq!(first["token_type"], "bearer");
    assert!(
        first["refresh_token"]
            .as_str()
            .is_some_and(|t| t.starts_with("ghr_")),
        "{first}"
    );
    let user = user_with(&fx, &first["access_token"]);
    assert_eq!(user.status, 200);
    assert_eq!(user.header("x-oauth-scopes"), Some("repo"));
    assert!(user
        .header("github-authentication-token-expiration")
        .is_some());

    // A form-encoded answer, as GitHub gives without `Accept: application/json`.
    let second = refresh(&fx, &first["refresh_token"], false);
    assert_eq!(second["expires_in"], "28800", "{second}");
    assert_eq!(second["scope"], "repo");
    assert!(second["access_token"]
        .as_str()
        .is_some_and(|t| t.starts_with("gho_")));
    assert_ne!(second["access_token"], first["access_token"]);
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    assert_eq!(
        user_with(&fx, &second["access_token"]).json()["login"],
        "octocat"
    );

    // Rotation: the used refresh token and the access token issued with it stop working.
    let old = user_with(&fx, &first["access_token"]);
    assert_eq!(old.status, 401);
    assert_eq!(old.json()["message"], "Bad credentials");
    assert_bad_refresh_token(&refresh(&fx, &first["refresh_token"], true));

    let wrong_secret = token_endpoint(
        &fx,
        &format!(
            "client_id=Iv1.app&client_secret=nope&grant_type=refresh_token&refresh_token={}",
            second["refresh_token"].as_str().expect("refresh token")
        ),
        true,
    );
    assert_eq!(wrong_secret["error"], "incorrect_client_credentials");
    let third = refresh(&fx, &second["refresh_token"], true);
    assert_eq!(user_with(&fx, &third["access_token"]).status, 200);
    assert_eq!(fx.github().refresh_grants(), 2);
}

#[test]
fn expired_user_tokens_are_refused_and_refresh_still_works() {
    let fx = Fixture::start(false);
    fx.github().set_expiring_user_tokens("Iv1.app", true);
    let tokens = sign_in(&fx);
    fx.github().expire_oauth_access_tokens();
    let expired = user_with(&fx, &tokens["access_token"]);
    assert_eq!(expired.status, 401);
    assert_eq!(expired.json()["message"], "Bad credentials");
    // Seeded tokens are not OAuth grants and keep working.
    assert_eq!(
        send("GET", &fx.url("/user"), Some("ghp_full"), None).status,
        200
    );
    let refreshed = refresh(&fx, &tokens["refresh_token"], true);
    assert_eq!(user_with(&fx, &refreshed["access_token"]).status, 200);

    // A short lifetime: reported in `expires_in`, and enforced by the API.
    fx.github().set_oauth_token_lifetime(Duration::from_secs(1));
    let short = refresh(&fx, &refreshed["refresh_token"], true);
    assert_eq!(short["expires_in"], 1);
    assert_eq!(user_with(&fx, &short["access_token"]).status, 200);
    std::thread::sleep(Duration::from_millis(1200));
    assert_eq!(user_with(&fx, &short["access_token"]).status, 401);
    let renewed = refresh(&fx, &short["refresh_token"], true);
    assert_eq!(user_with(&fx, &renewed["access_token"]).status, 200);
    assert_eq!(fx.github().refresh_grants(), 3);

    // A revoked refresh token is refused.
    assert!(fx
        .github()
        .revoke_token(renewed["refresh_token"].as_str().expect("token")));
    assert_bad_refresh_token(&refresh(&fx, &renewed["refresh_token"], true));

    // The user revokes the app: its tokens stop, a new sign-in works.
    fx.github()
        .set_oauth_token_lifetime(Duration::from_secs(3600));
    let granted = sign_in(&fx);
    fx.github().revoke_oauth_authorizations();
    assert_eq!(user_with(&fx, &granted["access_token"]).status, 401);
    assert_bad_refresh_token(&refresh(&fx, &granted["refresh_token"], true));
    assert_eq!(
        send("GET", &fx.url("/user"), Some("ghp_full"), None).status,
        200
    );
    assert_eq!(user_with(&fx, &sign_in(&fx)["access_token"]).status, 200);
}
