//! GitHub Apps on the GitHub mock over real loopback HTTP: JWT authentication and its
//! refusals, installations, installation tokens, suspension and uninstalling, a user's
//! installations and their repositories, and the install flow through to the user token.
//! JWTs are signed here with the crate's fixed test key, as an app's client would.

mod support;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use mock_providers::github::{
    Access, AppSeed, GitHubSeed, InstallationSeed, MockGitHub, OrgRole, RepositorySeed,
    RepositorySelection, TokenSeed, UserSeed, TEST_APP_PRIVATE_KEY_PEM,
};
use mock_providers::MockServer;
use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPublicKey};
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::LineEnding;
use rsa::signature::{SignatureEncoding, Signer};
use rsa::RsaPrivateKey;
use serde_json::{json, Value};
use sha2::Sha256;
use support::{runtime, send, Reply};

/// App 1: the crate's test key as SPKI; installed on octo-org (selected) and octocat (all).
const DEPLOYER: u64 = 1;
/// App 2: the same key given as PKCS#1; installed on octo-org (all); no user sign-in on
/// install.
const AUDITOR: u64 = 2;
/// App 3: expiring user tokens with refresh tokens; installed nowhere.
const REFRESHER: u64 = 3;
const ORG_SELECTED: u64 = 10;
const OCTOCAT_ALL: u64 = 11;
const AUDITOR_ORG: u64 = 20;
const CALLBACK: &str = "https://ga.example.test/github/app/callback";

struct Fixture {
    server: MockServer<MockGitHub>,
    _runtime: tokio::runtime::Runtime,
}

impl Fixture {
    fn start() -> Self {
        Self::start_shaped(false)
    }

    fn start_enterprise() -> Self {
        Self::start_shaped(true)
    }

    fn start_shaped(enterprise: bool) -> Self {
        let runtime = runtime();
        let server = runtime
            .block_on(async {
                if enterprise {
                    MockGitHub::start_enterprise(seed()).await
                } else {
                    MockGitHub::start(seed()).await
                }
            })
            .expect("mock starts");
        Self {
            server,
            _runtime: runtime,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.base_url())
    }

    fn web(&self, path: &str) -> String {
        format!("http://{}{path}", self.server.addr())
    }

    fn github(&self) -> &MockGitHub {
        self.server.provider()
    }

    /// A call with `Authorization: Bearer <credential>`.
    fn call(&self, method: &str, path: &str, credential: &str, body: Option<&Value>) -> Reply {
        let auth = format!("Bearer {credential}");
        let bytes = body.map(|b| b.to_string().into_bytes());
        let mut headers = vec![
            ("Authorization", auth.as_str()),
            ("Accept", "application/vnd.github+json"),
        ];
        if bytes.is_some() {
            headers.push(("Content-Type", "application/json"));
        }
        send(method, &self.url(path), &headers, bytes.as_deref())
    }

    /// Mints an installation token with a good JWT of `app`.
    fn mint(&self, app: u64, installation: u64) -> String {
        let path = format!("/app/installations/{installation}/access_tokens");
        let reply = self.call("POST", &path, &jwt(app), None);
        assert_eq!(reply.status, 201, "{}", reply.text);
        reply.json()["token"].as_str().expect("token").to_owned()
    }

    fn repo_id(&self, token: &str, full_name: &str) -> u64 {
        let reply = self.call("GET", &format!("/repos/{full_name}"), token, None);
        assert_eq!(reply.status, 200, "{}", reply.text);
        reply.json()["id"].as_u64().expect("id")
    }
}

fn seed() -> GitHubSeed {
    let permissions = [
        ("contents", Access::Read),
        ("pull_requests", Access::Write),
        ("repository_hooks", Access::Write),
        ("metadata", Access::Read),
    ];
    let pkcs1 = test_key()
        .to_public_key()
        .to_pkcs1_pem(LineEnding::LF)
        .expect("PKCS#1 PEM");
    assert!(pkcs1.starts_with("-----BEGIN RSA PUBLIC KEY-----"));
    let mut auditor = AppSeed::new(AUDITOR, "auditor", "Iv23li.auditor", "auditor-secret")
        .with_public_key(&pkcs1)
        .with_permissions(&[("metadata", Access::Read)]);
    auditor.request_oauth_on_install = false;
    GitHubSeed {
        users: vec![
            UserSeed::user("octocat"),
            UserSeed::user("hubot"),
            UserSeed::user("mona"),
            UserSeed::organization(
                "octo-org",
                &[("octocat", OrgRole::Admin), ("hubot", OrgRole::Member)],
            ),
        ],
        repositories: vec![
            RepositorySeed::private("octo-org", "platform"),
            RepositorySeed::public("octo-org", "website"),
            RepositorySeed::private("octo-org", "docs"),
            RepositorySeed::public("hubot", "tools"),
            RepositorySeed::private("mona", "other"),
        ],
        tokens: vec![
            TokenSeed::classic("ghp_octocat", "octocat", &["repo", "admin:repo_hook"]),
            TokenSeed::classic("ghp_noRepo", "octocat", &["read:user"]),
            TokenSeed::classic("ghp_hubot", "hubot", &["repo"]),
            TokenSeed::classic("ghp_mona", "mona", &["repo"]),
            TokenSeed::fine_grained("github_pat_octocat", "octocat", &[]),
        ],
        apps: vec![
            AppSeed::new(DEPLOYER, "deployer", "Iv23li.deployer", "deployer-secret")
                .with_permissions(&permissions)
                .with_callback_url(CALLBACK),
            auditor,
            AppSeed::new(
                REFRESHER,
                "refresher",
                "Iv23li.refresher",
                "refresher-secret",
            )
            .with_expiring_user_tokens(),
        ],
        installations: vec![
            InstallationSeed::selected(ORG_SELECTED, DEPLOYER, "octo-org", &["octo-org/platform"]),
            InstallationSeed::all(OCTOCAT_ALL, DEPLOYER, "octocat"),
            InstallationSeed::all(AUDITOR_ORG, AUDITOR, "octo-org"),
        ],
        ..GitHubSeed::default()
    }
    .with_many_repositories("octocat", "repo", 35)
}

fn test_key() -> RsaPrivateKey {
    RsaPrivateKey::from_pkcs1_pem(TEST_APP_PRIVATE_KEY_PEM).expect("test key parses")
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A JWT as an app's client makes it: RS256 over `header.claims`, base64url unpadded.
fn sign(header: &Value, claims: &Value) -> String {
    let encode = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    let input = format!("{}.{}", encode(header), encode(claims));
    let signature = SigningKey::<Sha256>::new(test_key()).sign(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
}

/// A good JWT of `app`: issued 60 s ago (GitHub's advice against clock drift), expiring in
/// nine minutes.
fn jwt(app: u64) -> String {
    let iat = now() - 60;
    sign(
        &json!({"alg": "RS256", "typ": "JWT"}),
        &json!({"iss": app.to_string(), "iat": iat, "exp": iat + 600}),
    )
}

fn assert_refused(reply: &Reply, status: u16, message: &str) {
    assert_eq!(reply.status, status, "{}", reply.text);
    let body = reply.json();
    assert_eq!(body["message"], message, "{}", reply.text);
    assert!(body["documentation_url"]
        .as_str()
        .is_some_and(|u| u.starts_with("https://docs.github.com/")));
}

/// The value of `name` in a URL's query.
fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == name).then(|| mock_providers::query::decode(v))
    })
}

#[test]
fn a_good_jwt_reads_the_app_and_its_installations() {
    let fx = Fixture::start();
    let app = fx.call("GET", "/app", &jwt(DEPLOYER), None);
    assert_eq!(app.status, 200, "{}", app.text);
    assert_eq!(app.json()["slug"], "deployer");
    assert_eq!(app.json()["installations_count"], 2);
    assert!(app.header("x-ratelimit-remaining").is_some());

    let org = fx
        .call("GET", "/app/installations/10", &jwt(DEPLOYER), None)
        .json();
    assert_eq!(org["id"], ORG_SELECTED);
    assert_eq!(org["account"]["login"], "octo-org");
    assert_eq!(org["account"]["type"], "Organization");
    assert_eq!(org["target_type"], "Organization");
    assert_eq!(org["target_id"], org["account"]["id"]);
    assert_eq!(org["app_id"], DEPLOYER);
    assert_eq!(org["app_slug"], "deployer");
    assert_eq!(org["repository_selection"], "selected");
    assert_eq!(
        org["html_url"],
        "https://github.com/organizations/octo-org/settings/installations/10"
    );
    assert_eq!(
        org["access_tokens_url"],
        fx.url("/app/installations/10/access_tokens")
    );
    assert_eq!(
        org["repositories_url"],
        fx.url("/installation/repositories")
    );
    assert_eq!(org["permissions"]["repository_hooks"], "write");
    assert!(org["suspended_at"].is_null() && org["suspended_by"].is_null());
    assert!(org["created_at"].is_string() && org["events"].is_array());

    let user = fx
        .call("GET", "/app/installations/11", &jwt(DEPLOYER), None)
        .json();
    assert_eq!(user["target_type"], "User");
    assert_eq!(user["repository_selection"], "all");
    assert_eq!(
        user["html_url"],
        "https://github.com/settings/installations/11"
    );

    // Another app's installation and an unknown one are not found.
    for path in ["/app/installations/20", "/app/installations/99"] {
        assert_refused(
            &fx.call("GET", path, &jwt(DEPLOYER), None),
            404,
            "Not Found",
        );
    }
    let listed = fx
        .call("GET", "/app/installations", &jwt(DEPLOYER), None)
        .json();
    let ids: Vec<&Value> = listed
        .as_array()
        .expect("array")
        .iter()
        .map(|i| &i["id"])
        .collect();
    assert_eq!(ids, [&json!(ORG_SELECTED), &json!(OCTOCAT_ALL)]);

    // The installation on a repository, organization or user.
    for (path, id) in [
        ("/repos/octo-org/platform/installation", Some(ORG_SELECTED)),
        ("/repos/octo-org/website/installation", None),
        ("/orgs/octo-org/installation", Some(ORG_SELECTED)),
        ("/users/octocat/installation", Some(OCTOCAT_ALL)),
        ("/orgs/octocat/installation", None),
    ] {
        let reply = fx.call("GET", path, &jwt(DEPLOYER), None);
        match id {
            Some(id) => assert_eq!(reply.json()["id"], id, "{path}"),
            None => assert_eq!(reply.status, 404, "{path}"),
        }
    }

    // `iss` as a number works too, and so does an app whose key was given as PKCS#1.
    let iat = now() - 30;
    let numeric = sign(
        &json!({"alg": "RS256"}),
        &json!({"iss": DEPLOYER, "iat": iat, "exp": iat + 600}),
    );
    assert_eq!(fx.call("GET", "/app", &numeric, None).status, 200);
    let auditor = fx.call("GET", "/app/installations/20", &jwt(AUDITOR), None);
    assert_eq!(auditor.json()["app_slug"], "auditor");
    assert_eq!(fx.github().app_private_key_pem(AUDITOR), None);
    assert_eq!(
        fx.github().app_private_key_pem(DEPLOYER),
        Some(TEST_APP_PRIVATE_KEY_PEM)
    );
}

#[test]
fn bad_jwts_and_tokens_are_refused_as_github_does() {
    let fx = Fixture::start();
    let header = json!({"alg": "RS256", "typ": "JWT"});
    let t = now();
    let claims = |iat: i64, exp: i64| json!({"iss": "1", "iat": iat, "exp": exp});
    let good = jwt(DEPLOYER);
    let (signed, _) = good.rsplit_once('.').expect("three parts");
    let other_claims = URL_SAFE_NO_PAD.encode(claims(t - 10, t + 500).to_string());
    let tampered = format!(
        "{}.{other_claims}.{}",
        signed.split('.').next().unwrap_or_default(),
        good.rsplit('.').next().unwrap_or_default()
    );
    let unsigned = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(json!({"alg": "none"}).to_string()),
        URL_SAFE_NO_PAD.encode(claims(t - 10, t + 500).to_string())
    );
    let undecodable = "A JSON web token could not be decoded";
    let cases = [
        ("not-a-jwt".to_owned(), undecodable),
        ("ghp_octocat".to_owned(), undecodable),
        (tampered, undecodable),
        (unsigned, undecodable),
        (
            sign(
                &header,
                &json!({"iss": "999", "iat": t - 10, "exp": t + 500}),
            ),
            "Integration not found",
        ),
        (
            sign(&header, &claims(t - 700, t - 100)),
            "'Expiration time' claim ('exp') must be a numeric value representing the future \
             time at which the assertion expires",
        ),
        (
            sign(&header, &claims(t - 10, t - 10 + 601)),
            "'Expiration time' claim ('exp') is too far in the future",
        ),
        (
            sign(&header, &claims(t + 120, t + 300)),
            "'Issued at' claim ('iat') must be an Integer representing the time that the \
             assertion was issued",
        ),
    ];
    for (credential, message) in &cases {
        let reply = fx.call("GET", "/app/installations/10", credential, None);
        assert_refused(&reply, 401, message);
        assert_eq!(reply.json()["status"], "401");
    }
    let anonymous = send("GET", &fx.url("/app"), &[], None);
    assert_refused(&anonymous, 401, undecodable);

    // Clock drift: `iat` up to a minute ahead passes.
    let drifted = sign(&header, &claims(t + 30, t + 600));
    assert_eq!(fx.call("GET", "/app", &drifted, None).status, 200);

    // A JWT is no token elsewhere.
    for path in [
        "/user",
        "/installation/repositories",
        "/repos/octo-org/platform",
    ] {
        assert_refused(&fx.call("GET", path, &good, None), 401, "Bad credentials");
    }
}

#[test]
fn installation_tokens_reach_what_the_installation_reaches() {
    let fx = Fixture::start();
    let before = now();
    let reply = fx.call(
        "POST",
        "/app/installations/10/access_tokens",
        &jwt(DEPLOYER),
        None,
    );
    assert_eq!(reply.status, 201, "{}", reply.text);
    let minted = reply.json();
    let token = minted["token"].as_str().expect("token");
    assert!(token.starts_with("ghs_"), "{token}");
    let expires =
        chrono::DateTime::parse_from_rfc3339(minted["expires_at"].as_str().expect("date"))
            .expect("RFC 3339")
            .timestamp();
    assert!(
        (before + 3590..=now() + 3610).contains(&expires),
        "{expires}"
    );
    assert_eq!(
        minted["permissions"],
        json!({"contents": "read", "metadata": "read", "pull_requests": "write", "repository_hooks": "write"})
    );
    assert_eq!(minted["repository_selection"], "selected");
    assert!(minted.get("repositories").is_none());

    let listed = fx.call("GET", "/installation/repositories", token, None);
    assert_eq!(listed.status, 200, "{}", listed.text);
    let listed = listed.json();
    assert_eq!(listed["total_count"], 1);
    assert_eq!(listed["repository_selection"], "selected");
    assert_eq!(listed["repositories"][0]["full_name"], "octo-org/platform");
    assert_eq!(
        fx.call("GET", "/repos/octo-org/platform", token, None)
            .status,
        200
    );
    // `repository_hooks: write` is the webhooks permission.
    assert_eq!(
        fx.call("GET", "/repos/octo-org/platform/hooks", token, None)
            .status,
        200
    );
    assert_eq!(
        fx.call("GET", "/repos/octo-org/docs", token, None).status,
        404
    );
    assert_eq!(fx.call("GET", "/user", token, None).status, 403);

    // "all": every repository of the account, paginated.
    let all = fx.mint(DEPLOYER, OCTOCAT_ALL);
    let first = fx.call("GET", "/installation/repositories?per_page=30", &all, None);
    assert_eq!(first.json()["total_count"], 35);
    assert_eq!(first.json()["repository_selection"], "all");
    let link = first.header("link").expect("Link header");
    assert!(
        link.contains("rel=\"next\"") && link.contains("page=2"),
        "{link}"
    );
    let second = fx.call(
        "GET",
        "/installation/repositories?per_page=30&page=2",
        &all,
        None,
    );
    assert_eq!(
        second.json()["repositories"].as_array().map(Vec::len),
        Some(5)
    );

    // Narrowed tokens: fewer repositories or permissions, never more.
    let narrowed = fx.call(
        "POST",
        "/app/installations/11/access_tokens",
        &jwt(DEPLOYER),
        Some(&json!({"repositories": ["repo-001"], "permissions": {"contents": "read"}})),
    );
    assert_eq!(narrowed.status, 201, "{}", narrowed.text);
    let narrowed = narrowed.json();
    assert_eq!(narrowed["repository_selection"], "selected");
    assert_eq!(narrowed["permissions"], json!({"contents": "read"}));
    assert_eq!(narrowed["repositories"][0]["full_name"], "octocat/repo-001");
    let narrow_token = narrowed["token"].as_str().expect("token");
    let listed = fx.call("GET", "/installation/repositories", narrow_token, None);
    assert_eq!(listed.json()["total_count"], 1);
    for (body, message) in [
        (
            json!({"repositories": ["platform"]}),
            "There is at least one repository that does not exist or is not accessible to the \
             parent installation.",
        ),
        (
            json!({"repository_ids": [987654321]}),
            "There is at least one repository that does not exist or is not accessible to the \
             parent installation.",
        ),
        (
            json!({"permissions": {"contents": "write"}}),
            "The permissions requested are not granted to this installation.",
        ),
    ] {
        let reply = fx.call(
            "POST",
            "/app/installations/11/access_tokens",
            &jwt(DEPLOYER),
            Some(&body),
        );
        assert_refused(&reply, 422, message);
    }
    let other_app = fx.call(
        "POST",
        "/app/installations/20/access_tokens",
        &jwt(DEPLOYER),
        None,
    );
    assert_refused(&other_app, 404, "Not Found");
}

#[test]
fn a_suspended_installation_mints_nothing_and_its_tokens_stop() {
    let fx = Fixture::start();
    let token = fx.mint(DEPLOYER, ORG_SELECTED);
    assert!(fx.github().suspend_installation(ORG_SELECTED));
    let suspended = "This installation has been suspended";
    assert_refused(
        &fx.call("GET", "/installation/repositories", &token, None),
        403,
        suspended,
    );
    let mint = fx.call(
        "POST",
        "/app/installations/10/access_tokens",
        &jwt(DEPLOYER),
        None,
    );
    assert_refused(&mint, 403, suspended);
    let shown = fx
        .call("GET", "/app/installations/10", &jwt(DEPLOYER), None)
        .json();
    assert!(shown["suspended_at"].is_string());
    assert_eq!(shown["suspended_by"]["login"], "octocat");
    assert!(
        fx.github()
            .installation(ORG_SELECTED)
            .expect("kept")
            .suspended
    );

    assert!(fx.github().unsuspend_installation(ORG_SELECTED));
    assert_eq!(
        fx.call("GET", "/installation/repositories", &token, None)
            .status,
        200
    );

    // The app may suspend and unsuspend too.
    let path = "/app/installations/10/suspended";
    assert_eq!(fx.call("PUT", path, &jwt(DEPLOYER), None).status, 204);
    assert!(
        fx.github()
            .installation(ORG_SELECTED)
            .expect("kept")
            .suspended
    );
    assert_eq!(fx.call("DELETE", path, &jwt(DEPLOYER), None).status, 204);
    assert!(
        !fx.github()
            .installation(ORG_SELECTED)
            .expect("kept")
            .suspended
    );
    assert!(!fx.github().suspend_installation(404));
}

#[test]
fn deleting_an_installation_ends_it_and_its_tokens() {
    let fx = Fixture::start();
    let token = fx.mint(DEPLOYER, ORG_SELECTED);
    let other_app = fx.call("DELETE", "/app/installations/20", &jwt(DEPLOYER), None);
    assert_refused(&other_app, 404, "Not Found");
    let deleted = fx.call("DELETE", "/app/installations/10", &jwt(DEPLOYER), None);
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    assert!(deleted.text.is_empty());
    assert_eq!(fx.github().installation(ORG_SELECTED), None);
    assert_refused(
        &fx.call("GET", "/app/installations/10", &jwt(DEPLOYER), None),
        404,
        "Not Found",
    );
    assert_refused(
        &fx.call("GET", "/installation/repositories", &token, None),
        401,
        "Bad credentials",
    );
    assert_eq!(
        fx.call(
            "POST",
            "/app/installations/10/access_tokens",
            &jwt(DEPLOYER),
            None
        )
        .status,
        404
    );
}

#[test]
fn users_list_the_installations_and_repositories_they_can_access() {
    let fx = Fixture::start();
    let ids = |token: &str| -> Vec<u64> {
        let reply = fx.call("GET", "/user/installations", token, None);
        assert_eq!(reply.status, 200, "{}", reply.text);
        let body = reply.json();
        let ids: Vec<u64> = body["installations"]
            .as_array()
            .expect("installations")
            .iter()
            .filter_map(|i| i["id"].as_u64())
            .collect();
        assert_eq!(body["total_count"], ids.len());
        ids
    };
    assert_eq!(ids("ghp_octocat"), [ORG_SELECTED, OCTOCAT_ALL, AUDITOR_ORG]);
    assert_eq!(ids("ghp_hubot"), [ORG_SELECTED, AUDITOR_ORG]);
    assert!(ids("ghp_mona").is_empty());
    let fine = fx.call("GET", "/user/installations", "github_pat_octocat", None);
    assert_refused(
        &fine,
        403,
        "Resource not accessible by personal access token",
    );
    let app_token = fx.mint(DEPLOYER, ORG_SELECTED);
    let by_app = fx.call("GET", "/user/installations", &app_token, None);
    assert_refused(&by_app, 403, "Resource not accessible by integration");
    let paged = fx.call("GET", "/user/installations?per_page=1", "ghp_octocat", None);
    assert_eq!(paged.json()["total_count"], 3);
    assert!(paged
        .header("link")
        .is_some_and(|l| l.contains("rel=\"last\"")));

    let repos = fx.call(
        "GET",
        "/user/installations/10/repositories",
        "ghp_hubot",
        None,
    );
    assert_eq!(repos.status, 200, "{}", repos.text);
    let repos = repos.json();
    assert_eq!(repos["total_count"], 1);
    assert_eq!(repos["repository_selection"], "selected");
    assert_eq!(repos["repositories"][0]["full_name"], "octo-org/platform");
    assert_eq!(repos["repositories"][0]["permissions"]["admin"], false);
    // A classic token without `repo` sees no private repository.
    let no_repo = fx.call(
        "GET",
        "/user/installations/10/repositories",
        "ghp_noRepo",
        None,
    );
    assert_eq!(no_repo.json()["total_count"], 0);
    let outsider = fx.call(
        "GET",
        "/user/installations/10/repositories",
        "ghp_mona",
        None,
    );
    assert_refused(&outsider, 404, "Not Found");
    let paged = fx.call(
        "GET",
        "/user/installations/11/repositories?per_page=10&page=2",
        "ghp_octocat",
        None,
    );
    assert_eq!(paged.json()["total_count"], 35);
    assert_eq!(
        paged.json()["repositories"].as_array().map(Vec::len),
        Some(10)
    );
    assert!(paged
        .header("link")
        .is_some_and(|l| l.contains("rel=\"prev\"")));
}

#[test]
fn users_add_and_remove_repositories_of_a_selected_installation() {
    let fx = Fixture::start();
    let website = fx.repo_id("ghp_octocat", "octo-org/website");
    let platform = fx.repo_id("ghp_octocat", "octo-org/platform");
    let others = fx.repo_id("ghp_mona", "mona/other");
    let token = fx.mint(DEPLOYER, ORG_SELECTED);
    let path = |installation: u64, repo: u64| {
        format!("/user/installations/{installation}/repositories/{repo}")
    };

    let added = fx.call("PUT", &path(ORG_SELECTED, website), "ghp_octocat", None);
    assert_eq!(added.status, 204, "{}", added.text);
    let snapshot = fx.github().installation(ORG_SELECTED).expect("installed");
    assert_eq!(snapshot.repository_selection, RepositorySelection::Selected);
    assert_eq!(
        snapshot.repositories,
        ["octo-org/platform", "octo-org/website"]
    );
    // The token minted before reaches the new repository at once.
    let listed = fx.call("GET", "/installation/repositories", &token, None);
    assert_eq!(listed.json()["total_count"], 2);

    let removed = fx.call("DELETE", &path(ORG_SELECTED, platform), "ghp_octocat", None);
    assert_eq!(removed.status, 204, "{}", removed.text);
    assert_eq!(
        fx.github()
            .installation(ORG_SELECTED)
            .expect("installed")
            .repositories,
        ["octo-org/website"]
    );
    assert_eq!(
        fx.call("GET", "/repos/octo-org/platform", &token, None)
            .status,
        404
    );
    let last = fx.call("DELETE", &path(ORG_SELECTED, website), "ghp_octocat", None);
    assert_eq!(last.status, 422, "{}", last.text);

    // "all" already has every repository; removing one is refused.
    let octocat_repo = fx.repo_id("ghp_octocat", "octocat/repo-001");
    assert_eq!(
        fx.call("PUT", &path(OCTOCAT_ALL, octocat_repo), "ghp_octocat", None)
            .status,
        204
    );
    let from_all = fx.call(
        "DELETE",
        &path(OCTOCAT_ALL, octocat_repo),
        "ghp_octocat",
        None,
    );
    assert_eq!(from_all.status, 422);
    assert!(
        from_all.json()["message"]
            .as_str()
            .is_some_and(|m| m.contains("installed on all repositories")),
        "{}",
        from_all.text
    );

    // Another account's repository, a member who is no admin, tokens that may not.
    assert_refused(
        &fx.call("PUT", &path(ORG_SELECTED, others), "ghp_octocat", None),
        404,
        "Not Found",
    );
    assert_refused(
        &fx.call("PUT", &path(ORG_SELECTED, platform), "ghp_hubot", None),
        403,
        "Must have admin rights to Repository.",
    );
    assert_refused(
        &fx.call("PUT", &path(ORG_SELECTED, platform), "ghp_mona", None),
        404,
        "Not Found",
    );
    let no_scope = fx.call("PUT", &path(ORG_SELECTED, platform), "ghp_noRepo", None);
    assert_eq!(no_scope.status, 404);
    assert_eq!(no_scope.header("x-accepted-oauth-scopes"), Some("repo"));
    assert_eq!(
        fx.call(
            "PUT",
            &path(ORG_SELECTED, platform),
            "github_pat_octocat",
            None
        )
        .status,
        403
    );
    assert_eq!(
        fx.github()
            .installation(ORG_SELECTED)
            .expect("installed")
            .repositories,
        ["octo-org/website"]
    );
}

#[test]
fn the_install_flow_installs_and_its_code_gives_a_user_token() {
    let fx = Fixture::start();
    let install = fx.web("/apps/deployer/installations/new?state=st%20ate&login=hubot");
    let reply = send("GET", &install, &[], None);
    assert_eq!(reply.status, 302, "{}", reply.text);
    let location = reply.header("location").expect("redirect").to_owned();
    assert!(
        location.starts_with(&format!("{CALLBACK}?code=")),
        "{location}"
    );
    assert_eq!(
        query_param(&location, "setup_action").as_deref(),
        Some("install")
    );
    assert_eq!(query_param(&location, "state").as_deref(), Some("st ate"));
    let id: u64 = query_param(&location, "installation_id")
        .and_then(|id| id.parse().ok())
        .expect("installation id");
    let snapshot = fx.github().installation(id).expect("installed");
    assert_eq!(snapshot.account, "hubot");
    assert_eq!(snapshot.repository_selection, RepositorySelection::All);
    assert_eq!(snapshot.repositories, ["hubot/tools"]);

    // The code gives an app user token of hubot, once.
    let code = query_param(&location, "code").expect("code");
    let exchange = |code: &str, secret: &str| {
        let body = format!("client_id=Iv23li.deployer&client_secret={secret}&code={code}");
        send(
            "POST",
            &fx.web("/login/oauth/access_token"),
            &[
                ("Accept", "application/json"),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            Some(body.as_bytes()),
        )
        .json()
    };
    assert_eq!(
        exchange(&code, "wrong")["error"],
        "incorrect_client_credentials"
    );
    let granted = exchange(&code, "deployer-secret");
    let user_token = granted["access_token"].as_str().expect("token").to_owned();
    assert!(user_token.starts_with("ghu_"), "{granted}");
    assert_eq!(
        exchange(&code, "deployer-secret")["error"],
        "bad_verification_code"
    );
    let me = fx.call("GET", "/user", &user_token, None);
    assert_eq!(me.json()["login"], "hubot");
    assert!(me.header("x-accepted-github-permissions").is_some());
    // It sees its own app's installations only: not the auditor's on octo-org.
    let mine = fx
        .call("GET", "/user/installations", &user_token, None)
        .json();
    let ids: Vec<u64> = mine["installations"]
        .as_array()
        .expect("installations")
        .iter()
        .filter_map(|i| i["id"].as_u64())
        .collect();
    assert_eq!(ids, [ORG_SELECTED, id]);
    let other = format!("/user/installations/{AUDITOR_ORG}/repositories");
    assert_eq!(fx.call("GET", &other, &user_token, None).status, 404);

    // Installing again on an organization changes the installation there.
    let update = fx.web(
        "/apps/deployer/installations/new?login=octocat&account=octo-org&repositories=website,docs",
    );
    let location = send("GET", &update, &[], None)
        .header("location")
        .expect("redirect")
        .to_owned();
    assert_eq!(
        query_param(&location, "setup_action").as_deref(),
        Some("update")
    );
    assert_eq!(
        query_param(&location, "installation_id").as_deref(),
        Some("10")
    );
    assert_eq!(
        fx.github()
            .installation(ORG_SELECTED)
            .expect("installed")
            .repositories,
        ["octo-org/docs", "octo-org/website"]
    );

    // Only an organization's owner installs there; an app without sign-in on install
    // sends no code.
    let member = fx.web("/apps/deployer/installations/new?login=hubot&account=octo-org");
    assert_eq!(send("GET", &member, &[], None).status, 403);
    let unknown = fx.web("/apps/nope/installations/new");
    assert_eq!(send("GET", &unknown, &[], None).status, 404);
    let auditor = fx.web("/apps/auditor/installations/new?login=mona&state=s");
    let location = send("GET", &auditor, &[], None)
        .header("location")
        .expect("redirect")
        .to_owned();
    assert_eq!(query_param(&location, "code"), None);
    let id = query_param(&location, "installation_id").expect("installation id");
    assert_eq!(
        location,
        format!(
            "{}?installation_id={id}&setup_action=install&state=s",
            fx.web(&format!("/settings/installations/{id}"))
        )
    );
}

#[test]
fn handle_installs_and_enterprise_serves_apps_under_api_v3() {
    let fx = Fixture::start_enterprise();
    assert!(fx.url("").ends_with("/api/v3"));
    let id = fx
        .github()
        .install_app(AUDITOR, "octocat", Some(&["octocat/repo-002", "repo-003"]))
        .expect("installs");
    let snapshot = fx.github().installation(id).expect("installed");
    assert_eq!(
        snapshot.repositories,
        ["octocat/repo-002", "octocat/repo-003"]
    );
    assert!(fx.github().install_app(AUDITOR, "octocat", None).is_err());
    assert!(fx
        .github()
        .install_app(AUDITOR, "mona", Some(&["octocat/repo-002"]))
        .is_err());

    let shown = fx
        .call(
            "GET",
            &format!("/app/installations/{id}"),
            &jwt(AUDITOR),
            None,
        )
        .json();
    assert_eq!(
        shown["html_url"],
        fx.web(&format!("/settings/installations/{id}"))
    );
    let token = fx.mint(AUDITOR, id);
    let listed = fx.call("GET", "/installation/repositories", &token, None);
    assert_eq!(listed.json()["total_count"], 2);
    assert!(listed.header("x-github-enterprise-version").is_some());
}

#[test]
fn an_app_with_expiring_user_tokens_refreshes_them() {
    let fx = Fixture::start();
    let token_request = |body: &str| {
        send(
            "POST",
            &fx.web("/login/oauth/access_token"),
            &[
                ("Accept", "application/json"),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            Some(body.as_bytes()),
        )
        .json()
    };
    let refresh = |client: &str, secret: &str, refresh_token: &Value| {
        token_request(&format!(
            "client_id={client}&client_secret={secret}&grant_type=refresh_token&refresh_token={}",
            refresh_token.as_str().unwrap_or_default()
        ))
    };
    let code = fx
        .github()
        .authorize("Iv23li.refresher", Some("hubot"), &[], None, None)
        .expect("code");
    let first = token_request(&format!(
        "client_id=Iv23li.refresher&client_secret=refresher-secret&code={code}"
    ));
    assert!(
        first["access_token"]
            .as_str()
            .is_some_and(|t| t.starts_with("ghu_")),
        "{first}"
    );
    assert_eq!(first["expires_in"], 28800);
    assert_eq!(first["refresh_token_expires_in"], 15897600);
    assert_eq!(
        first["scope"], "",
        "an app's user token has permissions, not scopes"
    );
    assert!(first["refresh_token"]
        .as_str()
        .is_some_and(|t| t.starts_with("ghr_")));

    // Another app cannot use it, and trying does not use it up.
    let foreign = refresh(
        "Iv23li.deployer",
        "deployer-secret",
        &first["refresh_token"],
    );
    assert_eq!(foreign["error"], "bad_refresh_token", "{foreign}");
    let second = refresh(
        "Iv23li.refresher",
        "refresher-secret",
        &first["refresh_token"],
    );
    let user_token = second["access_token"].as_str().expect("a user token");
    assert!(user_token.starts_with("ghu_") && second["access_token"] != first["access_token"]);
    assert_eq!(
        fx.call("GET", "/user", user_token, None).json()["login"],
        "hubot"
    );
    let old = first["access_token"].as_str().expect("token");
    assert_refused(&fx.call("GET", "/user", old, None), 401, "Bad credentials");
    let reused = refresh(
        "Iv23li.refresher",
        "refresher-secret",
        &first["refresh_token"],
    );
    assert_eq!(reused["error"], "bad_refresh_token");
    assert_eq!(fx.github().refresh_grants(), 1);

    // The deployer has no expiring user tokens: its codes give no refresh token.
    let code = fx
        .github()
        .authorize("Iv23li.deployer", Some("hubot"), &[], None, None)
        .expect("code");
    let plain = token_request(&format!(
        "client_id=Iv23li.deployer&client_secret=deployer-secret&code={code}"
    ));
    assert!(plain["access_token"].is_string() && plain.get("refresh_token").is_none());
}
