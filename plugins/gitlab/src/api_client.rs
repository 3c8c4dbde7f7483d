//! How this plugin talks to the GitLab REST API (`/api/v4`): the API and web base URLs
//! (gitlab.com or a self-managed instance), the credential header, project paths, and
//! GitLab's error conventions on top of the SDK's status mapping (`insufficient_scope`
//! names the scopes an endpoint needs).

use git_access_plugin_sdk::api_url::{self, HttpUrl};
use git_access_plugin_sdk::{
    error_from_response, HttpRequest, HttpResponse, Method, ProviderError, Transport, WasiHttp,
};
use serde::de::DeserializeOwned;

use crate::bindings::types::{Connection, RepositoryRef};

/// API base of gitlab.com.
pub const DEFAULT_API_URL: &str = "https://gitlab.com/api/v4";

/// Web base of gitlab.com.
pub const DEFAULT_WEB_URL: &str = "https://gitlab.com";

/// Name used in error messages.
pub const SERVICE: &str = "GitLab";

/// Path of the REST API under an instance's web root.
pub const API_SUFFIX: &str = "/api/v4";

/// What GitLab's 401 means for a token.
pub const REJECTED: &str = "GitLab rejected the token: it is invalid, expired or revoked";

/// A GitLab API endpoint and the credential to call it with.
pub struct GitLab<'t> {
    api: String,
    web: String,
    token: String,
    transport: &'t dyn Transport,
}

impl GitLab<'static> {
    /// The API of a connection (its `api-url`, or gitlab.com's) over `wasi:http`. An empty
    /// token means anonymous access to public projects.
    pub fn connect(conn: &Connection) -> Result<Self, ProviderError> {
        GitLab::new(&conn.api_url, conn.token.trim(), &WasiHttp)
    }
}

impl<'t> GitLab<'t> {
    /// The API behind `api_url` (see [`bases`]) called with `token` through `transport`.
    pub fn new(
        api_url: &str,
        token: &str,
        transport: &'t dyn Transport,
    ) -> Result<Self, ProviderError> {
        let (api, web) = bases(api_url)?;
        let token = match token.trim() {
            "" => "",
            token => clean_token(token)?,
        };
        Ok(Self {
            api,
            web,
            token: token.to_string(),
            transport,
        })
    }

    /// The web base, e.g. `https://gitlab.com` (also where Git and OAuth live).
    pub fn web_base(&self) -> &str {
        &self.web
    }

    /// The token, empty when anonymous.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// A request for `path` (relative to the API base, query included) with the token.
    pub fn request(&self, method: Method, path: &str) -> HttpRequest {
        let request = HttpRequest::new(method, api_url::join(&self.api, path))
            .header("Accept", "application/json")
            .header("User-Agent", "git-access");
        authorize(request, &self.token)
    }

    /// A GET of `path`.
    pub fn get(&self, path: &str) -> HttpRequest {
        self.request(Method::Get, path)
    }

    /// Sends a request; any status is `Ok`.
    pub fn send(&self, request: HttpRequest) -> Result<HttpResponse, ProviderError> {
        self.transport.send(request)
    }

    /// Sends a request; a non-2xx answer becomes the matching error (see [`GitLab::error`]).
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

    /// The error for a failed response: the SDK's mapping, with GitLab's own hints — a 401
    /// says the token is invalid, expired or revoked (GitLab's `error_description` tells
    /// which); a 403 `insufficient_scope` names the scope the endpoint needs.
    pub fn error(&self, response: &HttpResponse) -> ProviderError {
        let body: Option<serde_json::Value> = serde_json::from_slice(&response.body).ok();
        let quoted = body
            .as_ref()
            .and_then(gitlab_message)
            .map(|m| format!(" (GitLab said: {m})"))
            .unwrap_or_default();
        match (response.status, error_from_response(SERVICE, response)) {
            (401, _) if self.token.is_empty() => ProviderError::Unauthorized(format!(
                "GitLab requires a token for this request{quoted}"
            )),
            (401, _) => ProviderError::Unauthorized(format!("{REJECTED}{quoted}")),
            (403, ProviderError::Forbidden { .. }) => {
                match body.as_ref().and_then(insufficient_scope) {
                    Some(scope) => ProviderError::forbidden(
                        format!(
                            "GitLab refused the request: the token needs the `{scope}` scope{quoted}"
                        ),
                        vec![scope],
                    ),
                    None => ProviderError::forbidden(
                        format!(
                            "GitLab refused the request: the token's role or scopes do not allow it{quoted}"
                        ),
                        Vec::new(),
                    ),
                }
            }
            (_, error) => error,
        }
    }
}

/// Sets the credential header: `PRIVATE-TOKEN` for GitLab access tokens (`glpat-`, used by
/// personal, project and group tokens), `Authorization: Bearer` for anything else (OAuth
/// tokens, and access tokens without the prefix, which GitLab also accepts that way).
pub fn authorize(request: HttpRequest, token: &str) -> HttpRequest {
    if token.is_empty() {
        request
    } else if token.starts_with("glpat-") {
        request.header("PRIVATE-TOKEN", token)
    } else {
        request.bearer_auth(token)
    }
}

/// The API and web bases of a connection's `api-url` (gitlab.com's when empty):
/// `https://HOST/api/v4` → (`https://HOST/api/v4`, `https://HOST`). A URL without the
/// `/api/v4` suffix is taken as the instance's web root (`https://HOST` or
/// `https://HOST/gitlab`), since that is what users copy from their browser.
pub fn bases(api_url: &str) -> Result<(String, String), ProviderError> {
    let url = HttpUrl::parse(&api_url::resolve_base(api_url, DEFAULT_API_URL)?)?;
    let origin = url.origin();
    match url.path.strip_suffix(API_SUFFIX) {
        Some(root) => Ok((format!("{origin}{}", url.path), format!("{origin}{root}"))),
        None => Ok((
            format!("{origin}{}{API_SUFFIX}", url.path),
            format!("{origin}{}", url.path),
        )),
    }
}

/// A token as it may go into a header: trimmed, and refused if it could break the header.
pub fn clean_token(token: &str) -> Result<&str, ProviderError> {
    let token = token.trim();
    if token.is_empty() {
        return Err(ProviderError::InvalidInput(
            "a GitLab token is required".to_string(),
        ));
    }
    if !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ProviderError::InvalidInput(
            "the GitLab token contains spaces or characters a token cannot have".to_string(),
        ));
    }
    Ok(token)
}

/// The full path of a project, `group/subgroup/project`, with every segment checked.
/// `owner` is the namespace (a user, group or subgroup path), `name` the project path.
pub fn full_path(repo: &RepositoryRef) -> Result<String, ProviderError> {
    let owner = repo.owner.trim().trim_matches('/');
    let name = repo.name.trim();
    let name = name.strip_suffix(".git").unwrap_or(name);
    if owner.is_empty() {
        return Err(ProviderError::InvalidInput(
            "the GitLab namespace (owner) of the project is required".to_string(),
        ));
    }
    for segment in owner.split('/') {
        checked_segment("namespace", segment)?;
    }
    checked_segment("project path", name)?;
    Ok(format!("{owner}/{name}"))
}

/// `/projects/{url-encoded full path}` for a project.
pub fn project_path(repo: &RepositoryRef) -> Result<String, ProviderError> {
    Ok(format!(
        "/projects/{}",
        api_url::encode_path_segment(&full_path(repo)?)
    ))
}

/// GitLab paths are letters, digits, `-`, `_` and `.` (not starting with `-` or `.`);
/// anything else could change the meaning of a URL.
fn checked_segment<'a>(what: &str, value: &'a str) -> Result<&'a str, ProviderError> {
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
            "invalid GitLab {what} `{value}`: use letters, digits, `-`, `_` and `.`"
        )))
    }
}

/// Ids GitLab hands out (projects, groups, users, hooks) are numbers.
pub fn checked_id<'a>(what: &str, id: &'a str) -> Result<&'a str, ProviderError> {
    let id = id.trim();
    if !id.is_empty() && id.len() <= 20 && id.bytes().all(|b| b.is_ascii_digit()) {
        Ok(id)
    } else {
        Err(ProviderError::InvalidInput(format!(
            "invalid GitLab {what} id `{id}`: it is a number"
        )))
    }
}

/// For `{"error": "insufficient_scope", "scope": "api read_api"}`: the scope to ask for
/// (`api` when it is one of the alternatives, as git-access needs it anyway).
fn insufficient_scope(body: &serde_json::Value) -> Option<String> {
    if body.get("error")?.as_str()? != "insufficient_scope" {
        return None;
    }
    let scopes: Vec<&str> = body
        .get("scope")
        .and_then(|s| s.as_str())
        .unwrap_or_default()
        .split([' ', ','])
        .filter(|s| !s.is_empty())
        .collect();
    let chosen = if scopes.contains(&"api") {
        "api"
    } else {
        scopes.first().copied().unwrap_or("api")
    };
    Some(chosen.to_string())
}

/// GitLab's own words: `error_description`, `message` (a string, or a map of field
/// errors), or `error`.
fn gitlab_message(body: &serde_json::Value) -> Option<String> {
    let text = if let Some(description) = body.get("error_description").and_then(|d| d.as_str()) {
        description.to_string()
    } else if let Some(message) = body.get("message") {
        match message {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    } else {
        body.get("error")?.as_str()?.to_string()
    };
    let text = text.trim();
    (!text.is_empty()).then(|| text.chars().take(300).collect())
}

#[cfg(test)]
pub mod fake {
    //! The SDK's fake transport, under the name the tests use.
    pub use git_access_plugin_sdk::fake_transport::FakeTransport as FakeGitLab;
}

#[cfg(test)]
mod tests {
    use super::fake::FakeGitLab;
    use super::*;
    use git_access_plugin_sdk::fake_transport::response;

    #[test]
    fn bases_for_cloud_self_managed_and_web_roots() {
        assert_eq!(
            bases("").unwrap(),
            (DEFAULT_API_URL.to_string(), DEFAULT_WEB_URL.to_string())
        );
        assert_eq!(
            bases("https://gitlab.example.com/api/v4/").unwrap(),
            (
                "https://gitlab.example.com/api/v4".to_string(),
                "https://gitlab.example.com".to_string()
            )
        );
        assert_eq!(
            bases("https://example.com/gitlab").unwrap(),
            (
                "https://example.com/gitlab/api/v4".to_string(),
                "https://example.com/gitlab".to_string()
            )
        );
        assert_eq!(
            bases("http://127.0.0.1:9000/api/v4").unwrap().1,
            "http://127.0.0.1:9000"
        );
        assert!(matches!(
            bases("gitlab.example.com"),
            Err(ProviderError::InvalidInput(_))
        ));
    }

    #[test]
    fn credential_headers() {
        let fake = FakeGitLab::new();
        let pat = GitLab::new("", "glpat-abc", &fake).unwrap();
        let request = pat.get("/user");
        assert_eq!(request.url(), "https://gitlab.com/api/v4/user");
        assert_eq!(request.headers().get("private-token"), Some("glpat-abc"));
        assert_eq!(request.headers().get("authorization"), None);
        let oauth = GitLab::new("", "0123abcd", &fake).unwrap();
        assert_eq!(
            oauth.get("/user").headers().get("authorization"),
            Some("Bearer 0123abcd")
        );
        let anonymous = GitLab::new("", "", &fake).unwrap();
        assert!(anonymous.get("/x").headers().get("authorization").is_none());
        assert!(anonymous.get("/x").headers().get("private-token").is_none());
        assert!(matches!(
            GitLab::new("", "glpat-a b", &fake),
            Err(ProviderError::InvalidInput(_))
        ));
    }

    #[test]
    fn project_paths_are_checked_and_encoded() {
        let repo = |owner: &str, name: &str| RepositoryRef {
            owner: owner.into(),
            name: name.into(),
        };
        assert_eq!(
            project_path(&repo("group/sub", "app.git")).unwrap(),
            "/projects/group%2Fsub%2Fapp"
        );
        for (owner, name) in [
            ("", "a"),
            ("g", ""),
            ("g/../x", "a"),
            ("g", "a?b"),
            ("g//h", "a"),
            ("g", "a b"),
        ] {
            assert!(
                matches!(
                    project_path(&repo(owner, name)),
                    Err(ProviderError::InvalidInput(_))
                ),
                "{owner}/{name}"
            );
        }
        assert_eq!(checked_id("hook", " 12 ").unwrap(), "12");
        assert!(checked_id("hook", "1/2").is_err());
    }

    #[test]
    fn gitlab_errors() {
        let fake = FakeGitLab::new();
        let gitlab = GitLab::new("", "glpat-x", &fake).unwrap();
        let expired = response(
            401,
            &[],
            r#"{"error":"invalid_token","error_description":"Token has expired."}"#,
        );
        assert!(matches!(
            gitlab.error(&expired),
            ProviderError::Unauthorized(m) if m.starts_with(REJECTED) && m.contains("Token has expired.")
        ));
        let scope = response(
            403,
            &[],
            r#"{"error":"insufficient_scope","error_description":"The request requires higher privileges than provided by the access token.","scope":"api read_api"}"#,
        );
        assert!(matches!(
            gitlab.error(&scope),
            ProviderError::Forbidden { missing, .. } if missing == ["api"]
        ));
        let role = response(403, &[], r#"{"message":"403 Forbidden"}"#);
        assert!(matches!(
            gitlab.error(&role),
            ProviderError::Forbidden { missing, message } if missing.is_empty() && message.contains("403 Forbidden")
        ));
        let limited = response(
            429,
            &[("Retry-After", "60"), ("RateLimit-Remaining", "0")],
            "Retry later",
        );
        assert!(matches!(
            gitlab.error(&limited),
            ProviderError::RateLimited {
                retry_after: Some(60),
                ..
            }
        ));
        let down = response(502, &[], "");
        assert!(matches!(
            gitlab.error(&down),
            ProviderError::Unavailable { .. }
        ));
        let invalid = response(400, &[], r#"{"message":{"url":["is blocked"]}}"#);
        assert!(matches!(
            gitlab.error(&invalid),
            ProviderError::InvalidInput(_)
        ));
    }
}
