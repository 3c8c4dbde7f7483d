//! The GitHub API as the GitHub App itself (`Authorization: Bearer <app JWT>`), and the
//! errors that fit such calls: a 401 is about the app's credentials, not a token, and a 404
//! about the installation. Everything else follows the GitHub plugin ([`GitHub`]) and the
//! SDK's status mapping.

use git_access_github::api_client::{api_base, github_message, GitHub, SERVICE};
use git_access_github::bindings::types::AppCredentials;
use git_access_plugin_sdk::{
    error_from_response, HttpRequest, HttpResponse, ProviderError, Transport,
};

use crate::app_jwt::app_jwt;

/// The API of one GitHub App, called with a fresh app token.
pub struct App<'t> {
    base: String,
    github: GitHub<'t>,
    transport: &'t dyn Transport,
}

impl<'t> App<'t> {
    /// The API of `app` (its `api-url`, or github.com's) through `transport`, with a token
    /// issued at `now` (Unix seconds).
    pub fn connect(
        app: &AppCredentials,
        transport: &'t dyn Transport,
        now: i64,
    ) -> Result<Self, ProviderError> {
        let base = api_base(&app.api_url)?;
        let jwt = app_jwt(&app.app_id, &app.private_key_pem, now)?;
        Ok(Self {
            github: GitHub::new(base.clone(), &jwt, transport),
            base,
            transport,
        })
    }

    /// The API base, without a trailing `/`.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The transport, for calls with an installation's token.
    pub fn transport(&self) -> &'t dyn Transport {
        self.transport
    }

    /// The API with the app's token, to build requests with GitHub's headers.
    pub fn github(&self) -> &GitHub<'t> {
        &self.github
    }

    /// Sends a request about `installation_id`; a non-2xx answer becomes [`app_error`].
    pub fn call(
        &self,
        request: HttpRequest,
        installation_id: &str,
    ) -> Result<HttpResponse, ProviderError> {
        let response = self.github.send(request)?;
        if response.is_success() {
            Ok(response)
        } else {
            Err(app_error(&response, installation_id))
        }
    }
}

/// The error for a failed app call about `installation_id`.
pub fn app_error(response: &HttpResponse, installation_id: &str) -> ProviderError {
    let quoted = github_message(response)
        .map(|m| format!(" (GitHub said: {m})"))
        .unwrap_or_default();
    match response.status {
        // Also what a token issued by a clock far off GitHub's gets.
        401 => ProviderError::Unauthorized(format!(
            "GitHub rejected the GitHub App credentials: check the app id and private key, \
             and that this machine's clock is right{quoted}"
        )),
        404 => ProviderError::NotFound(format!(
            "GitHub found no installation {installation_id} of this GitHub App{quoted}"
        )),
        _ => error_from_response(SERVICE, response),
    }
}

/// A GitHub installation or repository id: digits only, so it is safe in a path.
pub fn checked_id<'a>(what: &str, id: &'a str) -> Result<&'a str, ProviderError> {
    let id = id.trim();
    if !id.is_empty() && id.len() <= 20 && id.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(id);
    }
    let shown: String = id.chars().take(40).collect();
    Err(ProviderError::InvalidInput(format!(
        "invalid GitHub {what} id `{shown}`: it is GitHub's number for the {what}"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{app_credentials, NOW};
    use git_access_plugin_sdk::fake_transport::response;
    use git_access_plugin_sdk::fake_transport::FakeTransport;

    #[test]
    fn the_base_is_the_apps_api_url_or_github_com() {
        let fake = FakeTransport::new();
        let app = App::connect(&app_credentials(""), &fake, NOW).unwrap();
        assert_eq!(app.base(), "https://api.github.com");
        let ghes = App::connect(
            &app_credentials("https://GHE.example.com/api/v3/"),
            &fake,
            NOW,
        )
        .unwrap();
        assert_eq!(ghes.base(), "https://ghe.example.com/api/v3");
        assert!(matches!(
            App::connect(&app_credentials("ghe.example.com"), &fake, NOW),
            Err(ProviderError::InvalidInput(m)) if m.contains("invalid API URL")
        ));
        let mut no_key = app_credentials("");
        no_key.private_key_pem = String::new();
        assert!(matches!(
            App::connect(&no_key, &fake, NOW),
            Err(ProviderError::InvalidInput(m)) if m.contains("private key is required")
        ));
        assert!(fake.sent().is_empty());
    }

    #[test]
    fn errors_name_the_app_credentials_and_the_installation() {
        let rejected = response(
            401,
            &[],
            r#"{"message":"'Expiration time' claim ('exp') is too far in the future"}"#,
        );
        match app_error(&rejected, "42") {
            ProviderError::Unauthorized(message) => {
                assert!(
                    message.starts_with("GitHub rejected the GitHub App credentials: check the app id and private key"),
                    "{message}"
                );
                assert!(
                    message.contains("'exp') is too far in the future"),
                    "{message}"
                );
            }
            other => panic!("expected unauthorized, got {other:?}"),
        }
        assert!(matches!(
            app_error(&response(404, &[], r#"{"message":"Not Found"}"#), "42"),
            ProviderError::NotFound(m) if m == "GitHub found no installation 42 of this GitHub App (GitHub said: Not Found)"
        ));
        assert!(matches!(
            app_error(&response(403, &[], r#"{"message":"This installation has been suspended"}"#), "42"),
            ProviderError::Forbidden { message, .. } if message.contains("This installation has been suspended")
        ));
        assert!(matches!(
            app_error(
                &response(
                    403,
                    &[("X-RateLimit-Remaining", "0"), ("Retry-After", "9")],
                    "{}"
                ),
                "42"
            ),
            ProviderError::RateLimited {
                retry_after: Some(9),
                ..
            }
        ));
        assert!(matches!(
            app_error(&response(502, &[], ""), "42"),
            ProviderError::Unavailable { .. }
        ));
    }

    #[test]
    fn ids_are_numbers() {
        assert_eq!(checked_id("installation", " 42 ").unwrap(), "42");
        for bad in ["", "abc", "4 2", "42/../1", "-1", "1e3", &"9".repeat(21)] {
            assert!(
                matches!(checked_id("installation", bad), Err(ProviderError::InvalidInput(m)) if m.starts_with("invalid GitHub installation id")),
                "{bad}"
            );
        }
    }
}
