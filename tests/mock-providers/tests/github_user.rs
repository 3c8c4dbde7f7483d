//! `GET /user` of the GitHub mock over real loopback HTTP.

use mock_providers::{
    github::{GitHubSeed, MockGitHub, TokenKind, TokenSeed},
    MockServer,
};
use serde_json::Value;

/// A response as a test looks at it.
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Value,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The mock runs on its own runtime while the test thread makes blocking calls.
struct Fixture {
    server: MockServer<MockGitHub>,
    // Kept after `server` so the server is dropped (and stopped) first.
    _runtime: tokio::runtime::Runtime,
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

fn seed() -> GitHubSeed {
    GitHubSeed::from_json(
        r#"{
          "users": [{"login": "octocat", "id": 583231, "name": "The Octocat"}],
          "tokens": [
            {"value": "ghp_full", "kind": "classic", "scopes": ["repo", "admin:repo_hook"],
             "expires_at": "2099-12-01T10:00:00Z", "owner": "octocat"},
            {"value": "ghp_repo", "kind": "classic", "scopes": ["repo"], "owner": "octocat"},
            {"value": "ghp_old", "kind": "classic", "scopes": ["repo"],
             "expires_at": "2020-01-01T00:00:00Z", "owner": "octocat"},
            {"value": "ghp_gone", "kind": "classic", "scopes": ["repo"], "owner": "octocat",
             "revoked": true},
            {"value": "github_pat_fine", "kind": "fine_grained", "owner": "octocat"}
          ]
        }"#,
    )
    .expect("seed parses")
}

fn start() -> Fixture {
    let runtime = runtime();
    let server = runtime
        .block_on(MockGitHub::start(seed()))
        .expect("mock starts");
    Fixture {
        server,
        _runtime: runtime,
    }
}

fn start_enterprise() -> Fixture {
    let runtime = runtime();
    let server = runtime
        .block_on(MockGitHub::start_enterprise(seed()))
        .expect("mock starts");
    Fixture {
        server,
        _runtime: runtime,
    }
}

fn get(url: &str, authorization: Option<&str>) -> Reply {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .build()
        .into();
    let mut request = agent
        .get(url)
        .header("Accept", "application/vnd.github+json");
    if let Some(value) = authorization {
        request = request.header("Authorization", value);
    }
    let mut response = request.call().expect("request reaches the mock");
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    let text = response.body_mut().read_to_string().expect("body");
    let body = serde_json::from_str(&text).expect("JSON body");
    Reply {
        status,
        headers,
        body,
    }
}

fn assert_bad_credentials(reply: &Reply) {
    assert_eq!(reply.status, 401);
    assert_eq!(
        reply.body,
        serde_json::json!({
            "message": "Bad credentials",
            "documentation_url": "https://docs.github.com/rest",
            "status": "401"
        })
    );
}

#[test]
fn classic_token_gets_user_with_scopes_expiry_and_rate_limit_headers() {
    let fx = start();
    let url = format!("{}/user", fx.server.base_url());

    let reply = get(&url, Some("Bearer ghp_full"));
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body["login"], "octocat");
    assert_eq!(reply.body["id"], 583231);
    assert_eq!(reply.body["name"], "The Octocat");
    assert_eq!(reply.body["type"], "User");
    assert_eq!(
        reply.header("x-oauth-scopes"),
        Some("repo, admin:repo_hook")
    );
    assert_eq!(reply.header("x-accepted-oauth-scopes"), Some(""));
    assert_eq!(
        reply.header("github-authentication-token-expiration"),
        Some("2099-12-01 10:00:00 UTC")
    );
    assert_eq!(
        reply.header("x-github-media-type"),
        Some("github.v3; format=json")
    );
    assert_eq!(reply.header("x-ratelimit-limit"), Some("5000"));
    assert_eq!(reply.header("x-ratelimit-used"), Some("1"));
    assert_eq!(reply.header("x-ratelimit-remaining"), Some("4999"));
    assert_eq!(reply.header("x-ratelimit-resource"), Some("core"));
    assert!(reply
        .header("x-ratelimit-reset")
        .and_then(|r| r.parse::<i64>().ok())
        .is_some());
    assert!(reply
        .header("content-type")
        .is_some_and(|c| c.starts_with("application/json")));

    // The `token` scheme works too, and the rate counter moves per user.
    let again = get(&url, Some("token ghp_repo"));
    assert_eq!(again.status, 200);
    assert_eq!(again.header("x-oauth-scopes"), Some("repo"));
    assert_eq!(again.header("github-authentication-token-expiration"), None);
    assert_eq!(again.header("x-ratelimit-used"), Some("2"));
}

#[test]
fn unknown_expired_and_revoked_tokens_are_bad_credentials() {
    let fx = start();
    let url = format!("{}/user", fx.server.base_url());
    for token in ["ghp_unknown", "ghp_old", "ghp_gone"] {
        let reply = get(&url, Some(&format!("Bearer {token}")));
        assert_bad_credentials(&reply);
        assert_eq!(reply.header("x-ratelimit-limit"), Some("60"));
    }
    assert_bad_credentials(&get(&url, Some("Basic Zm9vOmJhcg==")));
}

#[test]
fn missing_credentials_require_authentication() {
    let fx = start();
    let reply = get(&format!("{}/user", fx.server.base_url()), None);
    assert_eq!(reply.status, 401);
    assert_eq!(reply.body["message"], "Requires authentication");
    assert_eq!(reply.body["status"], "401");
}

#[test]
fn fine_grained_token_reports_no_scopes() {
    let fx = start();
    let reply = get(
        &format!("{}/user", fx.server.base_url()),
        Some("Bearer github_pat_fine"),
    );
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("x-oauth-scopes"), None);
    assert!(reply.header("x-accepted-github-permissions").is_some());
}

#[test]
fn tokens_can_be_revoked_and_added_while_running() {
    let fx = start();
    let url = format!("{}/user", fx.server.base_url());
    assert_eq!(get(&url, Some("Bearer ghp_repo")).status, 200);
    assert!(fx.server.provider().revoke_token("ghp_repo"));
    assert_bad_credentials(&get(&url, Some("Bearer ghp_repo")));

    fx.server
        .provider()
        .add_token(TokenSeed::classic("gho_new", "octocat", &["repo"]).with_kind(TokenKind::Oauth))
        .expect("valid token");
    let reply = get(&url, Some("Bearer gho_new"));
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("x-oauth-scopes"), Some("repo"));
}

#[test]
fn request_log_records_endpoints_but_no_secrets() {
    let fx = start();
    let base = fx.server.base_url().to_owned();
    get(&format!("{base}/user"), Some("Bearer ghp_full"));
    get(
        &format!("{base}/user?access_token=ghp_full"),
        Some("Bearer ghp_unknown"),
    );
    get(&format!("{base}/nope"), None);

    assert_eq!(fx.server.calls("GET", "/user"), 2);
    let log = fx.server.requests();
    assert_eq!(log.len(), 3);
    assert_eq!(log[0].account.as_deref(), Some("octocat"));
    assert_eq!((log[1].status, log[1].account.as_deref()), (401, None));
    assert_eq!((log[2].path.as_str(), log[2].status), ("/nope", 404));
    let dump = format!("{log:?}");
    assert!(!dump.contains("ghp_"), "log keeps no token: {dump}");
}

#[test]
fn unknown_endpoint_is_github_not_found() {
    let fx = start();
    let reply = get(&format!("{}/repos/a/b", fx.server.base_url()), None);
    assert_eq!(reply.status, 404);
    assert_eq!(reply.body["message"], "Not Found");
    assert_eq!(reply.body["status"], "404");
}

#[test]
fn enterprise_mock_serves_under_api_v3() {
    let fx = start_enterprise();
    let base = fx.server.base_url().to_owned();
    assert!(base.ends_with("/api/v3"), "{base}");

    let reply = get(&format!("{base}/user"), Some("Bearer ghp_full"));
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body["login"], "octocat");
    assert!(reply.header("x-github-enterprise-version").is_some());
    assert_eq!(
        reply.body["url"],
        format!("{base}/users/octocat").as_str(),
        "links point at the Enterprise API"
    );

    // The github.com path does not exist on an Enterprise server.
    let root = base.trim_end_matches("/api/v3");
    assert_eq!(
        get(&format!("{root}/user"), Some("Bearer ghp_full")).status,
        404
    );
    assert_eq!(fx.server.calls("GET", "/user"), 1);
}

#[test]
fn dropping_the_server_frees_the_port() {
    let fx = start();
    let addr = fx.server.addr();
    drop(fx);
    // Connecting now fails: nothing listens any more.
    assert!(std::net::TcpStream::connect(addr).is_err());
}
