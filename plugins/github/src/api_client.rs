//! How this plugin talks to the GitHub REST API: the API and web base URLs (github.com,
//! Enterprise Cloud, Enterprise Server), the headers every call carries, repository paths,
//! and GitHub's error conventions on top of the SDK's status mapping (scope and permission
//! headers that name what a token lacks).

use git_access_plugin_sdk::api_url::{self, HttpUrl};
use git_access_plugin_sdk::{
    error_from_response, HttpRequest, HttpResponse, Method, ProviderError, Transport, WasiHttp,
};
use serde::de::DeserializeOwned;

use crate::bindings::types::{Connection, RepositoryRef};

/// API base of github.com.
pub const DEFAULT_API_URL: &str = "https://api.github.com";

/// Web base of github.com.
pub const DEFAULT_WEB_URL: &str = "https://github.com";

/// Name used in error messages.
pub const SERVICE: &str = "GitHub";

/// REST API version this plugin is written against.
const API_VERSION: &str = "2022-11-28";

/// What GitHub's 401 means for a token.
pub const REJECTED: &str = "GitHub rejected the token: it is invalid, expired or revoked";

/// Classic scopes to name when GitHub hides a resource from a token, most useful first.
const PREFERRED_SCOPES: &[&str] = &["admin:repo_hook", "repo"];

/// A GitHub API endpoint and the credential to call it with.
pub struct GitHub<'t> {
    base: String,
    token: String,
    transport: &'t dyn Transport,
}

impl GitHub<'static> {
    /// The API of a connection (its `api-url`, or github.com's) over `wasi:http`. An empty
    /// token means anonymous access to public data.
    pub fn connect(conn: &Connection) -> Result<Self, ProviderError> {
        let base = api_base(&conn.api_url)?;
        let token = match conn.token.trim() {
            "" => "",
            token => clean_token(token)?,
        };
        Ok(GitHub::new(base, token, &WasiHttp))
    }
}

impl<'t> GitHub<'t> {
    /// An API at `base` (no trailing `/`) called with `token` through `transport`.
    pub fn new(base: impl Into<String>, token: &str, transport: &'t dyn Transport) -> Self {
        Self {
            base: base.into(),
            token: token.to_string(),
            transport,
        }
    }

    /// The token, empty when anonymous.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// A request for `path` (relative to the API base, query included) with GitHub's
    /// recommended headers and the token.
    pub fn request(&self, method: Method, path: &str) -> HttpRequest {
        HttpRequest::new(method, api_url::join(&self.base, path))
            .header("Accept", "application/vnd.github+json")
            .header("X-GitHub-Api-Version", API_VERSION)
            .header("User-Agent", "git-access")
            .bearer_auth(&self.token)
    }

    /// A GET of `path`.
    pub fn get(&self, path: &str) -> HttpRequest {
        self.request(Method::Get, path)
    }

    /// Sends a request; any status is `Ok`.
    pub fn send(&self, request: HttpRequest) -> Result<HttpResponse, ProviderError> {
        self.transport.send(request)
    }

    /// Sends a request; a non-2xx answer becomes the matching error (see [`GitHub::error`]).
    pub fn call(&self, request: HttpRequest) -> Result<HttpResponse, ProviderError> {
        let response = self.send(request)?;
        if response.is_success() {
            Ok(response)
        } else {
            Err(self.error(&response))
        }
    }

    /// GETs `path` and decodes the JSON answer.
    pub fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T, ProviderError> {
        self.call(self.get(path))?.json()
    }

    /// The error for a failed response: the SDK's mapping, with GitHub's own hints added —
    /// 401 says the token is invalid, expired or revoked; 403 names the fine-grained
    /// permissions (`X-Accepted-GitHub-Permissions`) or classic scopes
    /// (`X-Accepted-OAuth-Scopes`) the endpoint accepts and the token lacks; a 404 says
    /// when the token's scopes cannot see the resource, since GitHub hides rather than
    /// refuses.
    pub fn error(&self, response: &HttpResponse) -> ProviderError {
        let quoted = github_message(response)
            .map(|m| format!(" (GitHub said: {m})"))
            .unwrap_or_default();
        match (response.status, error_from_response(SERVICE, response)) {
            (401, _) if self.token.is_empty() => ProviderError::Unauthorized(format!(
                "GitHub requires a token for this request{quoted}"
            )),
            (401, _) => ProviderError::Unauthorized(format!("{REJECTED}{quoted}")),
            (403, ProviderError::Forbidden { .. }) if response.header("x-github-sso").is_some() => {
                // `X-GitHub-SSO: required; url=https://github.com/orgs/o/sso?authorization_request=…`
                let url = response
                    .header("x-github-sso")
                    .and_then(|v| v.split_once("url="))
                    .map(|(_, url)| format!(" at {}", url.trim()))
                    .unwrap_or_default();
                ProviderError::forbidden(
                    format!(
                        "the organization uses SAML single sign-on: authorize the token for it{url}{quoted}"
                    ),
                    Vec::new(),
                )
            }
            (403, ProviderError::Forbidden { .. }) => {
                let permissions = accepted_permissions(response);
                let scopes = missing_scopes(response);
                let (missing, needs) = if !permissions.is_empty() {
                    let needs =
                        format!("the fine-grained permission {}", permissions.join(" and "));
                    (permissions, needs)
                } else if let Some(scope) = scopes {
                    let needs = format!("the {scope} scope");
                    (vec![scope], needs)
                } else {
                    (Vec::new(), "a permission it lacks".to_string())
                };
                ProviderError::forbidden(
                    format!("GitHub refused the request: the token needs {needs}{quoted}"),
                    missing,
                )
            }
            (404, ProviderError::NotFound(message)) => match missing_scopes(response) {
                Some(scope) => ProviderError::NotFound(format!(
                    "{message}; the token lacks the {scope} scope, and GitHub hides what a \
                     token may not see"
                )),
                None => ProviderError::NotFound(message),
            },
            (_, error) => error,
        }
    }
}

/// The API base for a connection: its `api-url`, or github.com's when empty.
pub fn api_base(api_url: &str) -> Result<String, ProviderError> {
    api_url::resolve_base(api_url, DEFAULT_API_URL)
}

/// The web (and Git) base URL that belongs to an API base:
/// `https://api.github.com` → `https://github.com`,
/// `https://HOST/api/v3` → `https://HOST` (GitHub Enterprise Server),
/// `https://api.SUB.ghe.com` → `https://SUB.ghe.com` (GitHub Enterprise Cloud with data
/// residency); anything else (a mock server) is used as it is.
pub fn web_base(api_base: &str) -> Result<String, ProviderError> {
    let url = HttpUrl::parse(api_base)?;
    let host = url.host();
    if host == "api.github.com" {
        return Ok(format!("{}://github.com", url.scheme));
    }
    if let Some(prefix) = url.path.strip_suffix("/api/v3") {
        return Ok(format!("{}{prefix}", url.origin()));
    }
    if let (Some(sub), "") = (host.strip_prefix("api."), url.path.as_str()) {
        if sub.ends_with(".ghe.com") {
            let port = &url.authority[host.len()..];
            return Ok(format!("{}://{sub}{port}", url.scheme));
        }
    }
    Ok(url.to_string())
}

/// A token as it may go into a header: trimmed, and refused if it could break the header.
pub fn clean_token(token: &str) -> Result<&str, ProviderError> {
    let token = token.trim();
    if token.is_empty() {
        return Err(ProviderError::InvalidInput(
            "a GitHub token is required".to_string(),
        ));
    }
    if !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ProviderError::InvalidInput(
            "the GitHub token contains spaces or characters a token cannot have".to_string(),
        ));
    }
    Ok(token)
}

/// `/repos/{owner}/{name}` for a repository, with both names checked.
pub fn repo_path(repo: &RepositoryRef) -> Result<String, ProviderError> {
    let owner = checked_name("owner", &repo.owner)?;
    let name = checked_name(
        "repository name",
        repo.name.strip_suffix(".git").unwrap_or(&repo.name),
    )?;
    Ok(format!("/repos/{owner}/{name}"))
}

/// Owners and repository names are letters, digits, `-`, `_` and `.`; anything else could
/// change the meaning of a URL.
pub fn checked_name<'a>(what: &str, value: &'a str) -> Result<&'a str, ProviderError> {
    let ok = !value.is_empty()
        && value != "."
        && value != ".."
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    if ok {
        Ok(value)
    } else {
        Err(ProviderError::InvalidInput(format!(
            "invalid GitHub {what} `{value}`: use letters, digits, `-`, `_` and `.`"
        )))
    }
}

/// The fine-grained permissions an endpoint accepts, from `X-Accepted-GitHub-Permissions`
/// (`contents=read,metadata=read; administration=write`: sets of alternatives separated by
/// `;`), as this plugin's vocabulary (`contents:read`). The first set is returned.
pub fn accepted_permissions(response: &HttpResponse) -> Vec<String> {
    let Some(header) = response.header("x-accepted-github-permissions") else {
        return Vec::new();
    };
    let first_set = header.split(';').next().unwrap_or_default();
    first_set
        .split(',')
        .filter_map(|p| {
            let (name, level) = p.trim().split_once('=')?;
            let (name, level) = (name.trim(), level.trim());
            // `allows_permissionless_access=true` is not a permission.
            (!name.is_empty() && name != "allows_permissionless_access" && !level.is_empty())
                .then(|| format!("{name}:{level}"))
        })
        .collect()
}

/// For a classic or OAuth token (GitHub sends `X-OAuth-Scopes`): the scope to ask for when
/// none of the scopes the endpoint accepts (`X-Accepted-OAuth-Scopes`) was granted.
pub fn missing_scopes(response: &HttpResponse) -> Option<String> {
    let granted: Vec<&str> = split_list(response.header("x-oauth-scopes")?);
    let accepted: Vec<&str> = split_list(response.header("x-accepted-oauth-scopes")?);
    if accepted.is_empty() || accepted.iter().any(|a| granted.contains(a)) {
        return None;
    }
    let preferred = PREFERRED_SCOPES
        .iter()
        .find(|p| accepted.contains(p))
        .copied()
        .unwrap_or(accepted[0]);
    Some(preferred.to_string())
}

/// Splits a comma-separated header value.
pub fn split_list(value: &str) -> Vec<&str> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

/// GitHub's own `message`, if the body has one.
pub fn github_message(response: &HttpResponse) -> Option<String> {
    let body: serde_json::Value = serde_json::from_slice(&response.body).ok()?;
    let message = body.get("message")?.as_str()?.trim();
    (!message.is_empty()).then(|| message.chars().take(300).collect())
}

#[cfg(test)]
pub mod fake {
    //! The SDK's fake transport, under the name the tests use.
    pub use git_access_plugin_sdk::fake_transport::FakeTransport as FakeGitHub;
}

#[cfg(test)]
mod tests {
    use super::fake::FakeGitHub;
    use super::*;
    use git_access_plugin_sdk::fake_transport::response;

    #[test]
    fn requests_carry_github_headers() {
        let fake = FakeGitHub::new();
        let github = GitHub::new("http://127.0.0.1:9000", "ghp_x", &fake);
        let request = github.get("/user");
        assert_eq!(request.url(), "http://127.0.0.1:9000/user");
        let headers = request.headers();
        assert_eq!(headers.get("authorization"), Some("Bearer ghp_x"));
        assert_eq!(headers.get("accept"), Some("application/vnd.github+json"));
        assert_eq!(headers.get("x-github-api-version"), Some("2022-11-28"));
        assert_eq!(headers.get("user-agent"), Some("git-access"));
        let anonymous = GitHub::new("http://x", "", &fake);
        assert!(anonymous.get("/x").headers().get("authorization").is_none());
    }

    #[test]
    fn tokens_and_names_are_checked() {
        assert_eq!(clean_token("  ghp_abc\n").unwrap(), "ghp_abc");
        assert!(matches!(
            clean_token(""),
            Err(ProviderError::InvalidInput(_))
        ));
        assert!(matches!(
            clean_token("ghp a"),
            Err(ProviderError::InvalidInput(_))
        ));
        assert_eq!(api_base("").unwrap(), DEFAULT_API_URL);
        let repo = |o: &str, n: &str| RepositoryRef {
            owner: o.into(),
            name: n.into(),
        };
        assert_eq!(repo_path(&repo("o", "r.git")).unwrap(), "/repos/o/r");
        for (o, n) in [
            ("o/x", "r"),
            ("o", ""),
            ("o", ".."),
            ("o", "r?x"),
            ("", "r"),
        ] {
            assert!(repo_path(&repo(o, n)).is_err(), "{o}/{n}");
        }
    }

    #[test]
    fn web_bases_from_api_bases() {
        let cases = [
            ("https://api.github.com", "https://github.com"),
            ("https://api.github.com/", "https://github.com"),
            ("https://ghe.example.com/api/v3", "https://ghe.example.com"),
            (
                "https://ghe.example.com:8443/api/v3/",
                "https://ghe.example.com:8443",
            ),
            ("https://api.acme.ghe.com", "https://acme.ghe.com"),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ];
        for (api, web) in cases {
            assert_eq!(web_base(api).unwrap(), web, "{api}");
        }
    }

    #[test]
    fn errors_name_what_the_token_lacks() {
        let fake = FakeGitHub::new();
        let github = GitHub::new("http://x", "github_pat_x", &fake);
        let fine_grained = response(
            403,
            &[(
                "X-Accepted-GitHub-Permissions",
                "webhooks=read; administration=write",
            )],
            r#"{"message":"Resource not accessible by personal access token"}"#,
        );
        match github.error(&fine_grained) {
            ProviderError::Forbidden { message, missing } => {
                assert_eq!(missing, ["webhooks:read"]);
                assert!(message.contains("webhooks:read"), "{message}");
                assert!(message.contains("Resource not accessible"), "{message}");
            }
            other => panic!("expected forbidden, got {other:?}"),
        }

        let classic = response(
            403,
            &[
                ("X-OAuth-Scopes", "read:user"),
                (
                    "X-Accepted-OAuth-Scopes",
                    "admin:repo_hook, read:repo_hook, repo, write:repo_hook",
                ),
            ],
            "{}",
        );
        assert!(matches!(
            github.error(&classic),
            ProviderError::Forbidden { missing, .. } if missing == ["admin:repo_hook"]
        ));

        let hidden = response(
            404,
            &[("X-OAuth-Scopes", ""), ("X-Accepted-OAuth-Scopes", "repo")],
            r#"{"message":"Not Found"}"#,
        );
        assert!(matches!(
            github.error(&hidden),
            ProviderError::NotFound(m) if m.contains("lacks the repo scope")
        ));
        let plain = response(
            404,
            &[
                ("X-OAuth-Scopes", "repo"),
                ("X-Accepted-OAuth-Scopes", "repo"),
            ],
            "{}",
        );
        assert!(matches!(
            github.error(&plain),
            ProviderError::NotFound(m) if !m.contains("lacks")
        ));

        let sso = response(
            403,
            &[(
                "X-GitHub-SSO",
                "required; url=https://github.com/orgs/o/sso?authorization_request=1",
            )],
            r#"{"message":"Resource protected by organization SAML enforcement."}"#,
        );
        assert!(matches!(
            github.error(&sso),
            ProviderError::Forbidden { message, .. } if message.contains("at https://github.com/orgs/o/sso?authorization_request=1")
        ));

        let rejected = response(401, &[], r#"{"message":"Bad credentials"}"#);
        assert!(matches!(
            github.error(&rejected),
            ProviderError::Unauthorized(m) if m.starts_with(REJECTED) && m.contains("Bad credentials")
        ));
        let anonymous = GitHub::new("http://x", "", &fake);
        assert!(matches!(
            anonymous.error(&rejected),
            ProviderError::Unauthorized(m) if m.contains("requires a token")
        ));
    }

    #[test]
    fn rate_limits_and_outages_keep_their_retry_hint() {
        let fake = FakeGitHub::new();
        let github = GitHub::new("http://x", "ghp_x", &fake);
        let limited = response(
            403,
            &[("X-RateLimit-Remaining", "0"), ("Retry-After", "42")],
            r#"{"message":"API rate limit exceeded"}"#,
        );
        assert!(matches!(
            github.error(&limited),
            ProviderError::RateLimited {
                retry_after: Some(42),
                ..
            }
        ));
        let down = response(503, &[("Retry-After", "5")], "");
        assert!(matches!(
            github.error(&down),
            ProviderError::Unavailable {
                retry_after: Some(5),
                ..
            }
        ));
    }

    #[test]
    fn permissionless_access_is_not_a_permission() {
        let r = response(
            403,
            &[(
                "X-Accepted-GitHub-Permissions",
                "allows_permissionless_access=true",
            )],
            "",
        );
        assert!(accepted_permissions(&r).is_empty());
    }
}
