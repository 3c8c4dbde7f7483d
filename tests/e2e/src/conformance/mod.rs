//! The provider conformance suite: the same behavioural checks run against every provider
//! plugin, each through its composed component served by the real host, against its mock.
//!
//! A provider joins by implementing [`ProviderFixture`]: the mock it runs against, the
//! tokens its seed holds (good, lacking each permission, expired, revoked), a repository
//! with branches, how its webhook deliveries are signed, and how to make its mock throttle
//! or fail. [`run`] then goes through [`CHECKS`] and reports every result, like
//! `git-access-host plugin check` does for a bare plugin against a tiny mock.
//!
//! ```no_run
//! # fn main() -> Result<(), e2e_tests::HarnessError> {
//! let fixture = e2e_tests::conformance::github::GitHubFixture::start(false)?;
//! e2e_tests::conformance::run(&fixture).assert_passed();
//! # Ok(()) }
//! ```

pub mod bitbucket;
pub mod github;
pub mod gitlab;
mod provider_env;

use std::collections::BTreeSet;

use serde_json::{json, Value};

use crate::{error_type, HarnessError, ProviderGateway, Reply};

/// What the suite needs to know about one provider and its running mock.
pub trait ProviderFixture {
    /// Provider id, e.g. `github` (served at `/provider-<id>/`).
    fn id(&self) -> &str;

    /// The provider's gateway, served by the host and pointed at the mock.
    fn gateway(&self) -> &ProviderGateway;

    /// The `conn` argument for `token` (API URL left empty: the gateway fills in the
    /// mock's, as the operator's variable does in production).
    fn connection(&self, token: &str) -> Value {
        json!({"api_url": "", "token": token, "workspace": null})
    }

    /// A token with every permission git-access needs.
    fn good_token(&self) -> String;

    /// Tokens that work but each lack permissions, with the names `missing` must list.
    fn lacking_tokens(&self) -> Vec<(String, Vec<String>)>;

    /// A token past its expiry.
    fn expired_token(&self) -> String;

    /// A token its owner revoked.
    fn revoked_token(&self) -> String;

    /// How many repositories the good token reaches (more than 100, to page).
    fn repository_count(&self) -> usize;

    /// A search text and the full names (`owner/name`) it must find, exactly.
    fn search(&self) -> (String, Vec<String>);

    /// A repository (`owner`, `name`) the good token administers.
    fn repository(&self) -> (String, String);

    /// The repository's branches, in any order.
    fn branches(&self) -> Vec<String>;

    /// A delivery as the provider would send it, signed with `secret`: headers and body.
    fn signed_delivery(&self, secret: &str) -> (Vec<(String, String)>, Vec<u8>);

    /// The header that carries the signature or secret token.
    fn signature_header(&self) -> &str;

    /// Whether that signature covers the body (an HMAC). A provider that sends a shared
    /// secret back instead (GitLab's `X-Gitlab-Token`) authenticates the sender only: a
    /// changed body cannot be told from the real one.
    fn signs_body(&self) -> bool {
        true
    }

    /// The URLs of the hooks the repository has at the provider right now.
    fn hook_urls(&self) -> Vec<String>;

    /// Makes the mock's next call answer as throttled, asking to retry after `seconds`.
    fn throttle_next_call(&self, seconds: u64);

    /// Makes the mock's next call fail with a server error.
    fn fail_next_call(&self);
}

/// One check: its name and the function that runs it.
pub type Check = (&'static str, fn(&dyn ProviderFixture) -> Result<(), String>);

/// Every check, in the order they run.
pub const CHECKS: &[Check] = &[
    ("info describes the provider", info_describes_the_provider),
    ("a good token validates", good_token_validates),
    (
        "each missing permission is named",
        each_missing_permission_is_named,
    ),
    (
        "an expired token is unauthorized",
        expired_token_is_unauthorized,
    ),
    (
        "a revoked token is unauthorized",
        revoked_token_is_unauthorized,
    ),
    ("repositories page past 100", repositories_page_past_100),
    ("search finds repositories by name", search_finds_by_name),
    ("a repository reads back", repository_reads_back),
    ("branches page one by one", branches_page),
    ("webhooks round-trip idempotently", webhook_round_trip),
    ("deliveries verify, forgeries do not", deliveries_verify),
    ("clone credentials embed the token", clone_credentials),
    (
        "throttling is rate-limited with a wait",
        throttling_is_rate_limited,
    ),
    (
        "server errors are unavailable",
        server_errors_are_unavailable,
    ),
    (
        "unclaimed capabilities are unsupported",
        unclaimed_calls_are_unsupported,
    ),
];

/// Outcome of one check.
#[derive(Debug)]
pub struct Outcome {
    /// The check's name.
    pub check: &'static str,
    /// `Err` with what went wrong.
    pub result: Result<(), String>,
}

/// Every outcome of a run.
#[derive(Debug)]
pub struct Report {
    /// Provider id.
    pub provider: String,
    /// One outcome per check.
    pub outcomes: Vec<Outcome>,
}

impl Report {
    /// Panics listing every failed check (after printing the whole report).
    pub fn assert_passed(&self) {
        let text = self.render();
        println!("{text}");
        let failed = self.outcomes.iter().filter(|o| o.result.is_err()).count();
        assert!(failed == 0, "{failed} conformance check(s) failed:\n{text}");
    }

    /// One line per check.
    pub fn render(&self) -> String {
        let mut out = format!("conformance of `{}`:\n", self.provider);
        for outcome in &self.outcomes {
            match &outcome.result {
                Ok(()) => out.push_str(&format!("  ok    {}\n", outcome.check)),
                Err(why) => out.push_str(&format!("  FAIL  {}: {why}\n", outcome.check)),
            }
        }
        out
    }
}

/// Runs every check against `fixture`.
pub fn run(fixture: &dyn ProviderFixture) -> Report {
    Report {
        provider: fixture.id().to_owned(),
        outcomes: CHECKS
            .iter()
            .map(|(name, check)| Outcome {
                check: name,
                result: check(fixture),
            })
            .collect(),
    }
}

// ---------------------------------------------------------------------------------------
// Helpers

fn call(fx: &dyn ProviderFixture, function: &str, args: Value) -> Result<Reply, String> {
    fx.gateway()
        .call(function, &args)
        .map_err(|e: HarnessError| e.to_string())
}

/// The `ok` value of a call that must succeed.
fn ok(fx: &dyn ProviderFixture, function: &str, args: Value) -> Result<Value, String> {
    let reply = call(fx, function, args)?;
    if reply.status != 200 {
        return Err(format!(
            "{function} answered {}: {}",
            reply.status, reply.body
        ));
    }
    reply.json().map_err(|e| e.to_string())
}

/// A call that must fail with `expected` (`unauthorized`, ...) and HTTP `status`.
fn fails(
    fx: &dyn ProviderFixture,
    function: &str,
    args: Value,
    status: u16,
    expected: &str,
) -> Result<Reply, String> {
    let reply = call(fx, function, args)?;
    match error_type(&reply) {
        Some(kind) if kind == expected && reply.status == status => Ok(reply),
        _ => Err(format!(
            "{function}: expected {status} `{expected}`, got {}: {}",
            reply.status, reply.body
        )),
    }
}

fn ensure(condition: bool, why: impl FnOnce() -> String) -> Result<(), String> {
    if condition {
        Ok(())
    } else {
        Err(why())
    }
}

fn repo_ref(fx: &dyn ProviderFixture) -> Value {
    let (owner, name) = fx.repository();
    json!({"owner": owner, "name": name})
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Follows `next` cursors of a paged function, collecting one field of every item.
fn collect_pages(
    fx: &dyn ProviderFixture,
    function: &str,
    mut args: Value,
    field: &str,
    limit: usize,
) -> Result<(Vec<String>, usize), String> {
    let mut names = Vec::new();
    let mut pages = 0;
    loop {
        pages += 1;
        if pages > limit {
            return Err(format!("{function}: still paging after {limit} pages"));
        }
        let page = ok(fx, function, args.clone())?;
        let items = page["items"]
            .as_array()
            .ok_or_else(|| format!("{function}: no items in {page}"))?;
        names.extend(
            items
                .iter()
                .filter_map(|i| i[field].as_str().map(str::to_owned)),
        );
        match page["next"].as_str() {
            Some(next) => args["page"]["cursor"] = json!(next),
            None => return Ok((names, pages)),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Checks

fn info_describes_the_provider(fx: &dyn ProviderFixture) -> Result<(), String> {
    let reply = fx.gateway().info().map_err(|e| e.to_string())?;
    let info = reply.json().map_err(|e| e.to_string())?;
    ensure(info["id"] == fx.id(), || format!("id: {info}"))?;
    let capabilities = strings(&info["capabilities"]);
    for needed in [
        "validate_token",
        "repositories",
        "webhooks",
        "verify_webhook",
        "clone_credentials",
    ] {
        ensure(capabilities.iter().any(|c| c == needed), || {
            format!("capability `{needed}` missing from {capabilities:?}")
        })?;
    }
    ensure(
        info["token_kinds"]
            .as_array()
            .is_some_and(|k| !k.is_empty()),
        || format!("no token kinds: {info}"),
    )
}

fn good_token_validates(fx: &dyn ProviderFixture) -> Result<(), String> {
    let report = ok(
        fx,
        "validate-token",
        json!({"conn": fx.connection(&fx.good_token())}),
    )?;
    ensure(report["missing"] == json!([]), || {
        format!("missing: {report}")
    })?;
    ensure(
        report["account"].as_str().is_some_and(|a| !a.is_empty()),
        || format!("no account: {report}"),
    )?;
    let permissions = report["permissions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    ensure(!permissions.is_empty(), || {
        format!("no permissions: {report}")
    })?;
    ensure(permissions.iter().all(|p| p["status"] != "missing"), || {
        format!("a permission is missing: {report}")
    })
}

fn each_missing_permission_is_named(fx: &dyn ProviderFixture) -> Result<(), String> {
    let lacking = fx.lacking_tokens();
    ensure(!lacking.is_empty(), || {
        "the fixture names no lacking tokens".into()
    })?;
    for (token, expected) in lacking {
        let report = ok(fx, "validate-token", json!({"conn": fx.connection(&token)}))?;
        let missing: BTreeSet<String> = strings(&report["missing"]).into_iter().collect();
        let expected: BTreeSet<String> = expected.into_iter().collect();
        ensure(missing == expected, || {
            format!("expected missing {expected:?}, got {missing:?}: {report}")
        })?;
    }
    Ok(())
}

fn expired_token_is_unauthorized(fx: &dyn ProviderFixture) -> Result<(), String> {
    fails(
        fx,
        "validate-token",
        json!({"conn": fx.connection(&fx.expired_token())}),
        401,
        "unauthorized",
    )
    .map(drop)
}

fn revoked_token_is_unauthorized(fx: &dyn ProviderFixture) -> Result<(), String> {
    fails(
        fx,
        "validate-token",
        json!({"conn": fx.connection(&fx.revoked_token())}),
        401,
        "unauthorized",
    )
    .map(drop)
}

fn repositories_page_past_100(fx: &dyn ProviderFixture) -> Result<(), String> {
    let expected = fx.repository_count();
    ensure(expected > 100, || {
        format!("the fixture has only {expected} repositories")
    })?;
    let args = json!({
        "conn": fx.connection(&fx.good_token()),
        "page": {"cursor": null, "per_page": 100, "search": null},
    });
    let (names, pages) = collect_pages(fx, "list-repositories", args, "full_name", 50)?;
    let unique: BTreeSet<&String> = names.iter().collect();
    ensure(unique.len() == names.len(), || {
        "a repository came twice".into()
    })?;
    ensure(names.len() == expected, || {
        format!("expected {expected} repositories, got {}", names.len())
    })?;
    ensure(pages >= 2, || {
        format!("{pages} page(s) for {expected} repositories")
    })
}

fn search_finds_by_name(fx: &dyn ProviderFixture) -> Result<(), String> {
    let (text, expected) = fx.search();
    // Case must not matter.
    let args = json!({
        "conn": fx.connection(&fx.good_token()),
        "page": {"cursor": null, "per_page": 10, "search": text.to_uppercase()},
    });
    let (mut names, _) = collect_pages(fx, "list-repositories", args, "full_name", 50)?;
    let mut expected = expected;
    names.sort();
    expected.sort();
    ensure(names == expected, || {
        format!("expected {expected:?}, got {names:?}")
    })
}

fn repository_reads_back(fx: &dyn ProviderFixture) -> Result<(), String> {
    let (owner, name) = fx.repository();
    let repo = ok(
        fx,
        "get-repository",
        json!({"conn": fx.connection(&fx.good_token()), "repo": repo_ref(fx)}),
    )?;
    ensure(
        repo["name"] == name.as_str() && repo["owner"] == owner.as_str(),
        || format!("{repo}"),
    )?;
    ensure(repo["can_admin_hooks"] == true, || {
        format!("not administered: {repo}")
    })?;
    ensure(repo["default_branch"].is_string(), || {
        format!("no default branch: {repo}")
    })?;
    fails(
        fx,
        "get-repository",
        json!({"conn": fx.connection(&fx.good_token()), "repo": {"owner": owner, "name": "no-such-repository"}}),
        404,
        "not_found",
    )
    .map(drop)
}

fn branches_page(fx: &dyn ProviderFixture) -> Result<(), String> {
    let args = json!({
        "conn": fx.connection(&fx.good_token()),
        "repo": repo_ref(fx),
        "page": {"cursor": null, "per_page": 1, "search": null},
    });
    let (mut names, pages) = collect_pages(fx, "list-branches", args, "name", 100)?;
    let mut expected = fx.branches();
    names.sort();
    expected.sort();
    ensure(names == expected, || {
        format!("expected {expected:?}, got {names:?}")
    })?;
    ensure(pages == expected.len(), || {
        format!("{pages} pages of one branch")
    })
}

fn webhook_round_trip(fx: &dyn ProviderFixture) -> Result<(), String> {
    let url = format!(
        "https://git-access.example.com/hooks/{}/conformance",
        fx.id()
    );
    let conn = fx.connection(&fx.good_token());
    let spec = json!({
        "url": url,
        "secret": "conformance-secret",
        "events": ["push", "pull_request"],
        "description": "git-access conformance",
    });
    let args = json!({"conn": conn, "repo": repo_ref(fx), "spec": spec});
    let created = ok(fx, "create-webhook", args.clone())?;
    let id = created["id"]
        .as_str()
        .ok_or_else(|| format!("no id: {created}"))?
        .to_owned();
    ensure(
        created["url"] == url.as_str() && created["active"] == true,
        || format!("{created}"),
    )?;
    ensure(created["has_secret"] == true, || {
        format!("no secret: {created}")
    })?;
    let events = strings(&created["events"]);
    ensure(
        events.iter().any(|e| e == "push") && events.iter().any(|e| e == "pull_request"),
        || format!("events: {created}"),
    )?;

    let again = ok(fx, "create-webhook", args)?;
    ensure(again["id"] == id.as_str(), || {
        format!("a second create made another hook: {again}")
    })?;
    let at_provider = fx.hook_urls();
    ensure(
        at_provider.iter().filter(|u| **u == url).count() == 1,
        || format!("the provider has {at_provider:?}"),
    )?;

    let read = ok(
        fx,
        "get-webhook",
        json!({"conn": conn, "repo": repo_ref(fx), "id": id}),
    )?;
    ensure(
        read["id"] == id.as_str() && read["url"] == url.as_str(),
        || format!("{read}"),
    )?;

    let args = json!({"conn": conn, "repo": repo_ref(fx), "id": id});
    ok(fx, "delete-webhook", args.clone())?;
    ensure(!fx.hook_urls().contains(&url), || {
        "the hook is still there".into()
    })?;
    fails(fx, "get-webhook", args.clone(), 404, "not_found")?;
    // Deleting what is gone succeeds.
    ok(fx, "delete-webhook", args).map(drop)
}

fn deliveries_verify(fx: &dyn ProviderFixture) -> Result<(), String> {
    let secret = "the-application-secret";
    let (headers, body) = fx.signed_delivery(secret);
    let delivery = delivery_json;
    let event = ok(
        fx,
        "verify-webhook",
        json!({"secret": secret, "delivery": delivery(&headers, &body)}),
    )?;
    ensure(
        event["delivery_id"].as_str().is_some_and(|d| !d.is_empty()),
        || format!("no delivery id: {event}"),
    )?;

    if fx.signs_body() {
        let mut tampered = body.clone();
        tampered.extend_from_slice(b" ");
        fails(
            fx,
            "verify-webhook",
            json!({"secret": secret, "delivery": delivery(&headers, &tampered)}),
            401,
            "unauthorized",
        )?;
    }
    fails(
        fx,
        "verify-webhook",
        json!({"secret": "another-secret", "delivery": delivery(&headers, &body)}),
        401,
        "unauthorized",
    )?;
    let unsigned: Vec<(String, String)> = headers
        .iter()
        .filter(|(n, _)| !n.eq_ignore_ascii_case(fx.signature_header()))
        .cloned()
        .collect();
    ensure(unsigned.len() < headers.len(), || {
        format!("the delivery has no {} header", fx.signature_header())
    })?;
    fails(
        fx,
        "verify-webhook",
        json!({"secret": secret, "delivery": delivery(&unsigned, &body)}),
        401,
        "unauthorized",
    )
    .map(drop)
}

fn clone_credentials(fx: &dyn ProviderFixture) -> Result<(), String> {
    let token = fx.good_token();
    let access = ok(
        fx,
        "clone-credentials",
        json!({"conn": fx.connection(&token), "repo": repo_ref(fx)}),
    )?;
    let url = access["url"].as_str().unwrap_or_default();
    let with = access["url_with_credentials"].as_str().unwrap_or_default();
    ensure(url.ends_with(".git") && !url.contains(&token), || {
        format!("url: {access}")
    })?;
    ensure(
        with.contains(&token) && access["password"] == token.as_str(),
        || format!("credentials: {access}"),
    )
}

fn throttling_is_rate_limited(fx: &dyn ProviderFixture) -> Result<(), String> {
    fx.throttle_next_call(42);
    let reply = fails(
        fx,
        "validate-token",
        json!({"conn": fx.connection(&fx.good_token())}),
        429,
        "rate_limited",
    )?;
    let body = reply.json().map_err(|e| e.to_string())?;
    ensure(body["error"]["value"]["retry_after"] == 42, || {
        format!("retry_after: {body}")
    })?;
    ensure(reply.header("retry-after") == Some("42"), || {
        format!("Retry-After header: {:?}", reply.headers)
    })
}

fn server_errors_are_unavailable(fx: &dyn ProviderFixture) -> Result<(), String> {
    fx.fail_next_call();
    fails(
        fx,
        "list-repositories",
        json!({
            "conn": fx.connection(&fx.good_token()),
            "page": {"cursor": null, "per_page": 10, "search": null},
        }),
        503,
        "unavailable",
    )
    .map(drop)
}

fn unclaimed_calls_are_unsupported(fx: &dyn ProviderFixture) -> Result<(), String> {
    let reply = fx.gateway().info().map_err(|e| e.to_string())?;
    let info = reply.json().map_err(|e| e.to_string())?;
    let capabilities = strings(&info["capabilities"]);
    if capabilities.iter().any(|c| c == "app_installations") {
        return Ok(());
    }
    fails(
        fx,
        "get-installation",
        json!({"app": {"app_id": "1", "private_key_pem": "x", "api_url": ""}, "installation_id": "1"}),
        501,
        "unsupported",
    )
    .map(drop)
}

/// Standard padded base64, as the gateway protocol encodes `list<u8>`.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The JSON `delivery` argument for `verify-webhook`.
pub fn delivery_json(headers: &[(String, String)], body: &[u8]) -> Value {
    json!({
        "headers": headers.iter().map(|(n, v)| json!({"name": n, "value": v})).collect::<Vec<_>>(),
        "body": base64(body),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_standard_alphabet() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"Hello, World!"), "SGVsbG8sIFdvcmxkIQ==");
    }
}
