//! How this plugin talks to the Bitbucket Cloud REST API (`/2.0`): the API and web base
//! URLs, the bearer credential, workspace and repository paths, the scopes Bitbucket
//! reports (`X-OAuth-Scopes`, `X-Credential-Type`), and its error conventions on top of the
//! SDK's status mapping (a 403 for missing scopes names them in `error.detail`).

use git_access_plugin_sdk::api_url::{self, HttpUrl};
use git_access_plugin_sdk::{
    error_from_response, HttpRequest, HttpResponse, Method, ProviderError, Transport, WasiHttp,
};
use serde::de::DeserializeOwned;

use crate::bindings::types::{Connection, RepositoryRef};

/// API base of Bitbucket Cloud.
pub const DEFAULT_API_URL: &str = "https://api.bitbucket.org/2.0";

/// Web base of Bitbucket Cloud (also where Git and OAuth live).
pub const DEFAULT_WEB_URL: &str = "https://bitbucket.org";

/// Name used in error messages.
pub const SERVICE: &str = "Bitbucket";

/// What Bitbucket's 401 means for a token.
pub const REJECTED: &str = "Bitbucket rejected the token: it is invalid, expired or revoked";

/// A Bitbucket API endpoint and the credential to call it with.
pub struct Bitbucket<'t> {
    api: String,
    web: String,
    token: String,
    transport: &'t dyn Transport,
}

impl Bitbucket<'static> {
    /// The API of a connection (its `api-url`, or Bitbucket Cloud's) over `wasi:http`. An
    /// empty token means anonymous access to public repositories.
    pub fn connect(conn: &Connection) -> Result<Self, ProviderError> {
        Bitbucket::new(&conn.api_url, conn.token.trim(), &WasiHttp)
    }
}

impl<'t> Bitbucket<'t> {
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

    /// The web base, e.g. `https://bitbucket.org`.
    pub fn web_base(&self) -> &str {
        &self.web
    }

    /// The token, empty when anonymous.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// A request for `path` (relative to the API base, query included) with the token.
    pub fn request(&self, method: Method, path: &str) -> HttpRequest {
        HttpRequest::new(method, api_url::join(&self.api, path))
            .header("Accept", "application/json")
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

    /// Sends a request; a non-2xx answer becomes the matching error (see
    /// [`Bitbucket::error`]).
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

    /// The error for a failed response: the SDK's mapping, with Bitbucket's hints — a 401
    /// says the token is invalid, expired or revoked; a 403 names the scopes the endpoint
    /// requires and the token was not granted.
    pub fn error(&self, response: &HttpResponse) -> ProviderError {
        match (response.status, error_from_response(SERVICE, response)) {
            (401, error) if self.token.is_empty() => ProviderError::Unauthorized(format!(
                "Bitbucket requires a token for this request ({error})"
            )),
            (401, _) => ProviderError::Unauthorized(format!(
                "{REJECTED}{}",
                quoted(response).unwrap_or_default()
            )),
            (403, ProviderError::Forbidden { .. }) => {
                let missing = missing_scopes(response);
                let needs = if missing.is_empty() {
                    "a permission it lacks".to_string()
                } else {
                    format!("the {} scope", missing.join(" and "))
                };
                ProviderError::forbidden(
                    format!(
                        "Bitbucket refused the request: the token needs {needs}{}",
                        quoted(response).unwrap_or_default()
                    ),
                    missing,
                )
            }
            (_, error) => error,
        }
    }
}

/// The API and web bases of a connection's `api-url` (Bitbucket Cloud's when empty):
/// `https://api.bitbucket.org/2.0` → `https://bitbucket.org`; any other base loses its
/// `/2.0` (a mock at `http://127.0.0.1:9000/2.0` → `http://127.0.0.1:9000`).
pub fn bases(api_url: &str) -> Result<(String, String), ProviderError> {
    let api = api_url::resolve_base(api_url, DEFAULT_API_URL)?;
    let url = HttpUrl::parse(&api)?;
    let web = if url.host() == "api.bitbucket.org" {
        format!("{}://bitbucket.org", url.scheme)
    } else {
        let root = url.path.strip_suffix("/2.0").unwrap_or(&url.path);
        format!("{}{root}", url.origin())
    };
    Ok((api, web))
}

/// A token as it may go into a header: trimmed, and refused if it could break the header.
pub fn clean_token(token: &str) -> Result<&str, ProviderError> {
    let token = token.trim();
    if token.is_empty() {
        return Err(ProviderError::InvalidInput(
            "a Bitbucket token is required".to_string(),
        ));
    }
    if !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ProviderError::InvalidInput(
            "the Bitbucket token contains spaces or characters a token cannot have".to_string(),
        ));
    }
    Ok(token)
}

/// Workspace ids and repository slugs are letters, digits, `-`, `_` and `.`; anything else
/// could change the meaning of a URL.
pub fn checked_name<'a>(what: &str, value: &'a str) -> Result<&'a str, ProviderError> {
    let value = value.trim();
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
            "invalid Bitbucket {what} `{value}`: use letters, digits, `-`, `_` and `.`"
        )))
    }
}

/// `workspace/slug` of a repository, both checked.
pub fn full_name(repo: &RepositoryRef) -> Result<String, ProviderError> {
    let workspace = checked_name("workspace", &repo.owner)?;
    let name = repo.name.trim();
    let slug = checked_name("repository slug", name.strip_suffix(".git").unwrap_or(name))?;
    Ok(format!("{workspace}/{slug}"))
}

/// `/repositories/{workspace}/{slug}` for a repository.
pub fn repo_path(repo: &RepositoryRef) -> Result<String, ProviderError> {
    Ok(format!("/repositories/{}", full_name(repo)?))
}

/// The scopes Bitbucket says the token has (`X-OAuth-Scopes`), if it says.
pub fn granted_scopes(response: &HttpResponse) -> Option<Vec<String>> {
    let header = response.header("x-oauth-scopes")?;
    Some(split_list(header))
}

/// The scopes a refusal says the token has: `X-OAuth-Scopes`, else the body's
/// `error.detail.granted`.
pub fn refused_with_scopes(response: &HttpResponse) -> Option<Vec<String>> {
    granted_scopes(response).or_else(|| {
        let body: serde_json::Value = serde_json::from_slice(&response.body).ok()?;
        let granted = body.pointer("/error/detail/granted")?.as_array()?;
        Some(
            granted
                .iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect(),
        )
    })
}

/// Splits a scope list (`repository, webhook` or `repository webhook`).
pub fn split_list(value: &str) -> Vec<String> {
    value
        .split([',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// The scopes a 403 says are required and were not granted: `error.detail.required` minus
/// `error.detail.granted`, else `X-Accepted-OAuth-Scopes` minus `X-OAuth-Scopes`.
fn missing_scopes(response: &HttpResponse) -> Vec<String> {
    let body: Option<serde_json::Value> = serde_json::from_slice(&response.body).ok();
    let list = |value: Option<&serde_json::Value>| -> Vec<String> {
        value
            .and_then(|v| v.as_array())
            .map(|items| {
                items
                    .iter()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let detail = body.as_ref().and_then(|b| b.pointer("/error/detail"));
    let (required, granted) = match detail {
        Some(detail) if detail.get("required").is_some() => {
            (list(detail.get("required")), list(detail.get("granted")))
        }
        _ => (
            response
                .header("x-accepted-oauth-scopes")
                .map(split_list)
                .unwrap_or_default(),
            granted_scopes(response).unwrap_or_default(),
        ),
    };
    required
        .into_iter()
        .filter(|scope| !granted.contains(scope))
        .collect()
}

/// ` (Bitbucket said: …)` from the body's `error.message`.
fn quoted(response: &HttpResponse) -> Option<String> {
    let body: serde_json::Value = serde_json::from_slice(&response.body).ok()?;
    let message = body
        .pointer("/error/message")
        .or_else(|| body.get("error_description"))
        .and_then(|m| m.as_str())?
        .trim();
    (!message.is_empty()).then(|| {
        format!(
            " (Bitbucket said: {})",
            message.chars().take(300).collect::<String>()
        )
    })
}

#[cfg(test)]
pub mod fake {
    //! The SDK's fake transport, under the name the tests use.
    pub use git_access_plugin_sdk::fake_transport::FakeTransport as FakeBitbucket;
}

#[cfg(test)]
mod tests {
    use super::fake::FakeBitbucket;
    use super::*;
    use git_access_plugin_sdk::fake_transport::response;

    #[test]
    fn bases_for_cloud_and_mocks() {
        assert_eq!(
            bases("").unwrap(),
            (DEFAULT_API_URL.to_string(), DEFAULT_WEB_URL.to_string())
        );
        assert_eq!(
            bases("http://127.0.0.1:9000/2.0/").unwrap(),
            (
                "http://127.0.0.1:9000/2.0".to_string(),
                "http://127.0.0.1:9000".to_string()
            )
        );
        assert!(matches!(
            bases("api.bitbucket.org"),
            Err(ProviderError::InvalidInput(_))
        ));
    }

    #[test]
    fn requests_carry_the_bearer_token() {
        let fake = FakeBitbucket::new();
        let bitbucket = Bitbucket::new("", "ATCTT3xToken", &fake).unwrap();
        let request = bitbucket.get("/repositories/acme");
        assert_eq!(
            request.url(),
            "https://api.bitbucket.org/2.0/repositories/acme"
        );
        assert_eq!(
            request.headers().get("authorization"),
            Some("Bearer ATCTT3xToken")
        );
        let anonymous = Bitbucket::new("", "", &fake).unwrap();
        assert!(anonymous.get("/x").headers().get("authorization").is_none());
    }

    #[test]
    fn names_are_checked() {
        let repo = |owner: &str, name: &str| RepositoryRef {
            owner: owner.into(),
            name: name.into(),
        };
        assert_eq!(
            repo_path(&repo("acme", "web-app.git")).unwrap(),
            "/repositories/acme/web-app"
        );
        for (owner, name) in [("", "a"), ("a/b", "c"), ("a", ".."), ("a", "b?c")] {
            assert!(
                matches!(
                    repo_path(&repo(owner, name)),
                    Err(ProviderError::InvalidInput(_))
                ),
                "{owner}/{name}"
            );
        }
    }

    #[test]
    fn bitbucket_errors() {
        let fake = FakeBitbucket::new();
        let bitbucket = Bitbucket::new("", "t", &fake).unwrap();
        let scopes = response(
            403,
            &[],
            r#"{"type":"error","error":{"message":"Your credentials lack one or more required privilege scopes.","detail":{"granted":["repository"],"required":["webhook"]}}}"#,
        );
        match bitbucket.error(&scopes) {
            ProviderError::Forbidden { missing, message } => {
                assert_eq!(missing, ["webhook"]);
                assert!(message.contains("privilege scopes"), "{message}");
            }
            other => panic!("expected forbidden, got {other:?}"),
        }
        let headers = response(
            403,
            &[
                ("X-OAuth-Scopes", "repository"),
                ("X-Accepted-OAuth-Scopes", "pullrequest"),
            ],
            "{}",
        );
        assert!(matches!(
            bitbucket.error(&headers),
            ProviderError::Forbidden { missing, .. } if missing == ["pullrequest"]
        ));
        let rejected = response(
            401,
            &[],
            r#"{"type":"error","error":{"message":"Token is invalid, expired, or not supported for this endpoint."}}"#,
        );
        assert!(matches!(
            bitbucket.error(&rejected),
            ProviderError::Unauthorized(m) if m.starts_with(REJECTED) && m.contains("expired")
        ));
        assert!(matches!(
            bitbucket.error(&response(429, &[], "")),
            ProviderError::RateLimited { .. }
        ));
        assert!(matches!(
            bitbucket.error(&response(500, &[("Retry-After", "3")], "")),
            ProviderError::Unavailable {
                retry_after: Some(3),
                ..
            }
        ));
    }
}
