//! Routing: maps a request method and path to a [`Route`] and its path parameters.
//!
//! The route table is data ([`ROUTES`]); adding an endpoint is one line here and one arm
//! in `handlers::dispatch`. Patterns are literal segments and `{name}` placeholders that
//! match one non-empty segment. A path that matches a pattern under another method
//! resolves to [`Resolution::MethodNotAllowed`] with the methods it does accept.

/// Every endpoint the API serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `GET /healthz`: liveness plus a key-value round trip.
    Healthz,
    /// `GET /api/providers`: the configured providers and what each offers.
    ListProviders,
    /// `POST /api/providers/{provider}/validate-token`: check a token with a provider.
    ValidateToken,
    /// `GET /api/openapi.json`: the OpenAPI document of this API.
    OpenApi,
    /// `POST /organization`: create an organization (bootstrap token).
    CreateOrganization,
    /// `GET /organization/{organizationId}`.
    GetOrganization,
    /// `GET /organization/{organizationId}/member`.
    ListMembers,
    /// `POST /organization/{organizationId}/member`.
    CreateMember,
    /// `GET /organization/{organizationId}/member/{memberId}`.
    GetMember,
    /// `PUT /organization/{organizationId}/member/{memberId}`.
    ReplaceMember,
    /// `DELETE /organization/{organizationId}/member/{memberId}`.
    DeleteMember,
    /// `GET /organization/{organizationId}/apiToken`.
    ListApiTokens,
    /// `POST /organization/{organizationId}/apiToken`.
    CreateApiToken,
    /// `DELETE /organization/{organizationId}/apiToken/{apiTokenId}`.
    DeleteApiToken,
    /// `GET /organization/{organizationId}/gitToken`.
    ListGitTokens,
    /// `POST /organization/{organizationId}/gitToken`.
    CreateGitToken,
    /// `GET /organization/{organizationId}/gitToken/{gitTokenId}`.
    GetGitToken,
    /// `PUT /organization/{organizationId}/gitToken/{gitTokenId}`.
    ReplaceGitToken,
    /// `DELETE /organization/{organizationId}/gitToken/{gitTokenId}`.
    DeleteGitToken,
    /// `GET /organization/{organizationId}/gitToken/{gitTokenId}/associatedServices`.
    GitTokenServices,
    /// `GET /organization/{organizationId}/account/gitAuthProvider`.
    ListGitAuthProviders,
    /// `POST /organization/{organizationId}/admin/reencrypt`: key rotation.
    Reencrypt,
    /// `GET /organization/{organizationId}/application`.
    ListApplications,
    /// `POST /organization/{organizationId}/application`.
    CreateApplication,
    /// `GET /organization/{organizationId}/application/{applicationId}`.
    GetApplication,
    /// `PUT /organization/{organizationId}/application/{applicationId}`.
    ReplaceApplication,
    /// `DELETE /organization/{organizationId}/application/{applicationId}`.
    DeleteApplication,
    /// `GET /organization/{organizationId}/application/{applicationId}/events`.
    ApplicationEvents,
    /// `POST /organization/{organizationId}/application/{applicationId}/cloneCredentials`.
    CloneCredentials,
    /// `GET /organization/{organizationId}/application/{applicationId}/audit`.
    ApplicationAudit,
    /// `POST /webhooks/{provider}/{applicationId}`: public webhook receiver.
    ReceiveWebhook,
    /// `GET /service/{serviceId}/gitWebhookStatus`.
    WebhookStatus,
    /// `POST /service/{serviceId}/gitWebhook/sync`.
    WebhookSync,
    /// `GET /organization/{organizationId}/account/{provider}/repository`.
    ListRepositories,
    /// `GET /organization/{organizationId}/account/{provider}/repository/branch`.
    ListBranches,
    /// `GET /auth/{provider}/login`: start an OAuth sign-in.
    SignInStart,
    /// `GET /auth/{provider}/callback`: finish it, issue a session.
    SignInCallback,
    /// `GET /user`: the signed-in user and their Git accounts.
    CurrentUser,
    /// `DELETE /user/gitAccount/{provider}`: unlink a Git account.
    UnlinkGitAccount,
    /// `GET /organization/{organizationId}/github/connect`: a GitHub App install link.
    GitHubInstallLink,
    /// `POST /organization/{organizationId}/github/connect`: connect an installation.
    GitHubConnect,
    /// `GET /github/app/callback`: where GitHub sends the browser after installing.
    GitHubAppCallback,
    /// `GET /organization/{organizationId}/github/installation`.
    GitHubInstallation,
    /// `GET /organization/{organizationId}/github/installation/repository`.
    GitHubInstallationRepositories,
    /// `PUT /organization/{organizationId}/github/installation/repository/{repositoryId}`.
    GitHubAddRepository,
    /// `DELETE /organization/{organizationId}/github/installation/repository/{repositoryId}`.
    GitHubRemoveRepository,
    /// `DELETE /organization/{organizationId}/github/disconnect`.
    GitHubDisconnect,
    /// `DELETE /organization/{organizationId}/github/installation`: uninstall the app.
    GitHubUninstall,
    /// `POST /webhooks/github-app`: the GitHub App's own deliveries.
    GitHubAppWebhook,
}

/// The route table: method, path pattern, route.
pub const ROUTES: &[(&str, &str, Route)] = &[
    ("GET", "/healthz", Route::Healthz),
    ("GET", "/api/providers", Route::ListProviders),
    (
        "POST",
        "/api/providers/{provider}/validate-token",
        Route::ValidateToken,
    ),
    ("GET", "/api/openapi.json", Route::OpenApi),
    ("POST", "/organization", Route::CreateOrganization),
    (
        "GET",
        "/organization/{organizationId}",
        Route::GetOrganization,
    ),
    (
        "GET",
        "/organization/{organizationId}/member",
        Route::ListMembers,
    ),
    (
        "POST",
        "/organization/{organizationId}/member",
        Route::CreateMember,
    ),
    (
        "GET",
        "/organization/{organizationId}/member/{memberId}",
        Route::GetMember,
    ),
    (
        "PUT",
        "/organization/{organizationId}/member/{memberId}",
        Route::ReplaceMember,
    ),
    (
        "DELETE",
        "/organization/{organizationId}/member/{memberId}",
        Route::DeleteMember,
    ),
    (
        "GET",
        "/organization/{organizationId}/apiToken",
        Route::ListApiTokens,
    ),
    (
        "POST",
        "/organization/{organizationId}/apiToken",
        Route::CreateApiToken,
    ),
    (
        "DELETE",
        "/organization/{organizationId}/apiToken/{apiTokenId}",
        Route::DeleteApiToken,
    ),
    (
        "GET",
        "/organization/{organizationId}/gitToken",
        Route::ListGitTokens,
    ),
    (
        "POST",
        "/organization/{organizationId}/gitToken",
        Route::CreateGitToken,
    ),
    (
        "GET",
        "/organization/{organizationId}/gitToken/{gitTokenId}",
        Route::GetGitToken,
    ),
    (
        "PUT",
        "/organization/{organizationId}/gitToken/{gitTokenId}",
        Route::ReplaceGitToken,
    ),
    (
        "DELETE",
        "/organization/{organizationId}/gitToken/{gitTokenId}",
        Route::DeleteGitToken,
    ),
    (
        "GET",
        "/organization/{organizationId}/gitToken/{gitTokenId}/associatedServices",
        Route::GitTokenServices,
    ),
    (
        "GET",
        "/organization/{organizationId}/account/gitAuthProvider",
        Route::ListGitAuthProviders,
    ),
    (
        "POST",
        "/organization/{organizationId}/admin/reencrypt",
        Route::Reencrypt,
    ),
    (
        "GET",
        "/organization/{organizationId}/application",
        Route::ListApplications,
    ),
    (
        "POST",
        "/organization/{organizationId}/application",
        Route::CreateApplication,
    ),
    (
        "GET",
        "/organization/{organizationId}/application/{applicationId}",
        Route::GetApplication,
    ),
    (
        "PUT",
        "/organization/{organizationId}/application/{applicationId}",
        Route::ReplaceApplication,
    ),
    (
        "DELETE",
        "/organization/{organizationId}/application/{applicationId}",
        Route::DeleteApplication,
    ),
    (
        "GET",
        "/organization/{organizationId}/application/{applicationId}/events",
        Route::ApplicationEvents,
    ),
    (
        "POST",
        "/organization/{organizationId}/application/{applicationId}/cloneCredentials",
        Route::CloneCredentials,
    ),
    (
        "GET",
        "/organization/{organizationId}/application/{applicationId}/audit",
        Route::ApplicationAudit,
    ),
    (
        "POST",
        "/webhooks/{provider}/{applicationId}",
        Route::ReceiveWebhook,
    ),
    (
        "GET",
        "/service/{serviceId}/gitWebhookStatus",
        Route::WebhookStatus,
    ),
    (
        "POST",
        "/service/{serviceId}/gitWebhook/sync",
        Route::WebhookSync,
    ),
    (
        "GET",
        "/organization/{organizationId}/account/{provider}/repository",
        Route::ListRepositories,
    ),
    (
        "GET",
        "/organization/{organizationId}/account/{provider}/repository/branch",
        Route::ListBranches,
    ),
    ("GET", "/auth/{provider}/login", Route::SignInStart),
    ("GET", "/auth/{provider}/callback", Route::SignInCallback),
    ("GET", "/user", Route::CurrentUser),
    (
        "DELETE",
        "/user/gitAccount/{provider}",
        Route::UnlinkGitAccount,
    ),
    (
        "GET",
        "/organization/{organizationId}/github/connect",
        Route::GitHubInstallLink,
    ),
    (
        "POST",
        "/organization/{organizationId}/github/connect",
        Route::GitHubConnect,
    ),
    ("GET", "/github/app/callback", Route::GitHubAppCallback),
    ("POST", "/webhooks/github-app", Route::GitHubAppWebhook),
    (
        "GET",
        "/organization/{organizationId}/github/installation",
        Route::GitHubInstallation,
    ),
    (
        "DELETE",
        "/organization/{organizationId}/github/installation",
        Route::GitHubUninstall,
    ),
    (
        "GET",
        "/organization/{organizationId}/github/installation/repository",
        Route::GitHubInstallationRepositories,
    ),
    (
        "PUT",
        "/organization/{organizationId}/github/installation/repository/{repositoryId}",
        Route::GitHubAddRepository,
    ),
    (
        "DELETE",
        "/organization/{organizationId}/github/installation/repository/{repositoryId}",
        Route::GitHubRemoveRepository,
    ),
    (
        "DELETE",
        "/organization/{organizationId}/github/disconnect",
        Route::GitHubDisconnect,
    ),
];

/// Values captured by `{name}` placeholders.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Params(Vec<(&'static str, String)>);

impl Params {
    /// The value captured for `name`, if the pattern has that placeholder.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// Outcome of routing one request.
#[derive(Debug, PartialEq, Eq)]
pub enum Resolution {
    /// A route accepts this method and path.
    Matched {
        /// The endpoint.
        route: Route,
        /// Its path parameters.
        params: Params,
    },
    /// The path exists but not for this method; `allow` lists the methods it has.
    MethodNotAllowed {
        /// Accepted methods, sorted, without duplicates.
        allow: Vec<&'static str>,
    },
    /// No route has this path.
    NotFound,
}

/// Resolves `method` and `path` (without query string) against [`ROUTES`].
///
/// One trailing slash is ignored (`/healthz/` is `/healthz`).
pub fn resolve(method: &str, path: &str) -> Resolution {
    let path = match path.strip_suffix('/') {
        Some(stripped) if !stripped.is_empty() => stripped,
        _ => path,
    };
    let mut allow = Vec::new();
    for (route_method, pattern, route) in ROUTES {
        let Some(params) = match_pattern(pattern, path) else {
            continue;
        };
        if *route_method == method {
            return Resolution::Matched {
                route: *route,
                params,
            };
        }
        allow.push(*route_method);
    }
    if allow.is_empty() {
        Resolution::NotFound
    } else {
        allow.sort_unstable();
        allow.dedup();
        Resolution::MethodNotAllowed { allow }
    }
}

/// Matches one pattern against a path, capturing placeholders.
fn match_pattern(pattern: &'static str, path: &str) -> Option<Params> {
    let mut pattern_segments = pattern.split('/');
    let mut path_segments = path.split('/');
    let mut params = Vec::new();
    loop {
        match (pattern_segments.next(), path_segments.next()) {
            (None, None) => return Some(Params(params)),
            (Some(expected), Some(actual)) => {
                match expected
                    .strip_prefix('{')
                    .and_then(|rest| rest.strip_suffix('}'))
                {
                    Some(name) if !actual.is_empty() => params.push((name, actual.to_owned())),
                    Some(_) => return None,
                    None if expected == actual => {}
                    None => return None,
                }
            }
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matched(method: &str, path: &str) -> (Route, Params) {
        match resolve(method, path) {
            Resolution::Matched { route, params } => (route, params),
            other => panic!("{method} {path} resolved to {other:?}"),
        }
    }

    #[test]
    fn static_routes_match() {
        assert_eq!(matched("GET", "/healthz").0, Route::Healthz);
        assert_eq!(matched("GET", "/api/providers").0, Route::ListProviders);
    }

    #[test]
    fn trailing_slash_is_ignored() {
        assert_eq!(matched("GET", "/healthz/").0, Route::Healthz);
        assert_eq!(matched("GET", "/api/providers/").0, Route::ListProviders);
    }

    #[test]
    fn placeholder_captures_the_segment() {
        let (route, params) = matched("POST", "/api/providers/github/validate-token");
        assert_eq!(route, Route::ValidateToken);
        assert_eq!(params.get("provider"), Some("github"));
        assert_eq!(params.get("other"), None);
    }

    #[test]
    fn organization_routes_capture_their_ids() {
        let (route, params) = matched("PUT", "/organization/o-1/gitToken/t-1");
        assert_eq!(route, Route::ReplaceGitToken);
        assert_eq!(params.get("organizationId"), Some("o-1"));
        assert_eq!(params.get("gitTokenId"), Some("t-1"));
        assert_eq!(
            matched("GET", "/organization/o/gitToken/t/associatedServices").0,
            Route::GitTokenServices
        );
        assert_eq!(
            matched("GET", "/organization/o/account/gitAuthProvider").0,
            Route::ListGitAuthProviders
        );
        assert_eq!(
            resolve("PATCH", "/organization/o/gitToken/t"),
            Resolution::MethodNotAllowed {
                allow: vec!["DELETE", "GET", "PUT"]
            }
        );
    }

    #[test]
    fn every_pattern_is_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for (method, pattern, _) in ROUTES {
            assert!(seen.insert((method, pattern)), "{method} {pattern} twice");
        }
    }

    #[test]
    fn placeholder_needs_a_non_empty_segment() {
        assert_eq!(
            resolve("POST", "/api/providers//validate-token"),
            Resolution::NotFound
        );
    }

    #[test]
    fn wrong_method_lists_allowed_methods() {
        assert_eq!(
            resolve("POST", "/healthz"),
            Resolution::MethodNotAllowed { allow: vec!["GET"] }
        );
        assert_eq!(
            resolve("GET", "/api/providers/github/validate-token"),
            Resolution::MethodNotAllowed {
                allow: vec!["POST"]
            }
        );
    }

    #[test]
    fn unknown_paths_are_not_found() {
        for path in [
            "/",
            "",
            "/health",
            "/healthz/extra",
            "/api",
            "/api/providers/github",
            "/api/providers/github/validate-token/more",
            "/API/providers",
        ] {
            assert_eq!(resolve("GET", path), Resolution::NotFound, "{path}");
        }
    }
}
