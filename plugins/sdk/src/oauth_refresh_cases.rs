//! Token-endpoint answers to a refresh that every OAuth plugin must map the same way, for
//! plugins' native tests: one table, run against each plugin's `oauth-refresh-token`
//! through the fake transport, so the providers cannot drift apart. Enabled by the
//! `test-support` feature.

use std::fmt::Debug;

use crate::fake_transport::FakeTransport;
use crate::ProviderError;

/// What a refresh must fail with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    /// `unauthorized`, saying the refresh token was refused and the user must sign in again.
    SignInAgain,
    /// `invalid-input`, naming the OAuth client's settings.
    ClientSettings,
    /// `rate-limited`, with the provider's `Retry-After`, if sent.
    RateLimited,
    /// `unavailable`.
    Unavailable,
}

/// One answer of the token endpoint, and what it must mean.
#[derive(Debug, Clone, Copy)]
pub struct Case {
    /// HTTP status.
    pub status: u16,
    /// Response headers.
    pub headers: &'static [(&'static str, &'static str)],
    /// Response body.
    pub body: &'static str,
    /// The error the refresh must return.
    pub expected: Expected,
}

/// The answers of an RFC 6749 §5.2 token endpoint (GitLab's, Bitbucket's; the descriptions
/// are GitLab's), throttling and outages.
pub const STANDARD: &[Case] = &[
    Case {
        status: 400,
        headers: &[],
        body: r#"{"error":"invalid_grant","error_description":"The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client."}"#,
        expected: Expected::SignInAgain,
    },
    Case {
        status: 401,
        headers: &[],
        body: r#"{"error":"invalid_token","error_description":"The access token is invalid"}"#,
        expected: Expected::SignInAgain,
    },
    Case {
        status: 401,
        headers: &[],
        body: r#"{"error":"invalid_client","error_description":"Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method."}"#,
        expected: Expected::ClientSettings,
    },
    Case {
        status: 400,
        headers: &[],
        body: r#"{"error":"unauthorized_client","error_description":"The client is not authorized to perform this request using this method."}"#,
        expected: Expected::ClientSettings,
    },
    Case {
        status: 429,
        headers: &[("Retry-After", "30")],
        body: "Retry later\n",
        expected: Expected::RateLimited,
    },
    Case {
        status: 503,
        headers: &[],
        body: "<html><body>Service Unavailable</body></html>",
        expected: Expected::Unavailable,
    },
];

/// Runs every case: `refresh` is the plugin's refresh, sent through a fake whose POSTs to
/// URLs containing `endpoint` get the case's answer. Panics, naming the case, unless the
/// one request went there and the error has the expected kind and wording and carries
/// none of `secrets`.
pub fn assert_refusals<T: Debug>(
    endpoint: &str,
    cases: &[Case],
    secrets: &[&str],
    refresh: impl Fn(&FakeTransport) -> Result<T, ProviderError>,
) {
    for case in cases {
        let fake = FakeTransport::new().on("POST", endpoint, case.status, case.headers, case.body);
        let error = match refresh(&fake) {
            Ok(tokens) => panic!("{case:?}: expected an error, got {tokens:?}"),
            Err(error) => error,
        };
        assert_eq!(fake.sent().len(), 1, "{case:?}: {:?}", fake.sent_lines());
        let printed = format!("{error} {error:?}");
        for secret in secrets {
            assert!(
                !printed.contains(secret),
                "{case:?}: a secret leaked: {printed}"
            );
        }
        let fits = match (case.expected, &error) {
            (Expected::SignInAgain, ProviderError::Unauthorized(m)) => {
                m.contains("refused the refresh token") && m.contains("sign in")
            }
            (Expected::ClientSettings, ProviderError::InvalidInput(m)) => m.contains("settings"),
            (Expected::RateLimited, ProviderError::RateLimited { retry_after, .. }) => {
                let sent = case
                    .headers
                    .iter()
                    .find(|(name, _)| name.eq_ignore_ascii_case("retry-after"))
                    .and_then(|(_, value)| value.parse().ok());
                *retry_after == sent
            }
            (Expected::Unavailable, ProviderError::Unavailable { .. }) => true,
            _ => false,
        };
        assert!(fits, "{case:?}: got {error:?}");
    }
}
