//! Why a call to a provider component failed, and the problem an API client sees for it.

use crate::problem::Problem;

use super::protocol::ProviderError;

/// A failed call to a provider component.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// The id cannot name a component (a configuration mistake).
    #[error("'{0}' is not a valid provider id")]
    InvalidId(String),
    /// The request did not get an HTTP answer (no such component, refused, timed out).
    #[error("could not reach {url}: {reason}")]
    Unreachable {
        /// The function URL.
        url: String,
        /// What the HTTP client said.
        reason: String,
    },
    /// The answer does not follow the gateway protocol.
    #[error("{url} answered HTTP {status} with {what}")]
    Protocol {
        /// The function URL.
        url: String,
        /// HTTP status of the answer.
        status: u16,
        /// What was wrong with it.
        what: String,
    },
    /// The provider answered with a `provider-error`.
    #[error("provider error: {0:?}")]
    Provider(ProviderError),
}

impl CallError {
    /// The problem for this failure of a call to `provider`.
    ///
    /// Credentials the provider refuses are the client's to fix (422); a provider that is
    /// throttled, down or broken is a bad gateway (502) with a retry hint when known.
    pub fn to_problem(&self, provider: &str) -> Problem {
        match self {
            CallError::InvalidId(id) => Problem::configuration(format!(
                "The Spin variable 'providers' lists '{id}', which is not a valid provider id \
                 (lowercase letters, digits and inner '-')."
            )),
            CallError::Unreachable { url, reason } => Problem::new(
                502,
                "provider-unreachable",
                "Provider unreachable",
                format!("Could not reach the {provider} provider at {url}: {reason}."),
            ),
            CallError::Protocol { url, status, what } => Problem::new(
                502,
                "provider-protocol",
                "Provider protocol error",
                format!(
                    "The {provider} provider answered {url} with HTTP {status} and {what}, \
                     outside the gateway protocol."
                ),
            ),
            CallError::Provider(error) => provider_problem(provider, error),
        }
    }
}

/// 422 naming each permission the token lacks; adds `missing_permissions`.
pub fn missing_permissions(missing: &[String]) -> Problem {
    Problem::new(
        422,
        "missing-permissions",
        "Missing permissions",
        format!(
            "The token is missing required permissions: {}",
            missing.join(", ")
        ),
    )
    .with("missing_permissions", missing.to_vec())
}

fn provider_problem(provider: &str, error: &ProviderError) -> Problem {
    match error {
        ProviderError::Unauthorized(message) => Problem::new(
            422,
            "token-rejected",
            "Token rejected",
            or_default(message, || {
                format!("The {provider} provider rejected the token.")
            }),
        ),
        ProviderError::Forbidden { message, missing } if missing.is_empty() => Problem::new(
            422,
            "missing-permissions",
            "Missing permissions",
            or_default(message, || {
                format!("The {provider} provider refused the call for lack of permissions.")
            }),
        ),
        ProviderError::Forbidden { missing, .. } => missing_permissions(missing),
        ProviderError::NotFound(message) => Problem::new(
            404,
            "provider-not-found",
            "Not found at the provider",
            format!(
                "The {provider} provider found nothing: {}",
                sentence(message)
            ),
        ),
        ProviderError::InvalidInput(message) => Problem::new(
            400,
            "provider-invalid-input",
            "Rejected by the provider",
            format!(
                "The {provider} provider refused the input: {}",
                sentence(message)
            ),
        ),
        ProviderError::RateLimited {
            message,
            retry_after,
        } => retryable(
            "provider-rate-limited",
            "Provider rate limit reached",
            format!(
                "The {provider} provider is rate limited: {}",
                sentence(message)
            ),
            *retry_after,
        ),
        ProviderError::Unavailable {
            message,
            retry_after,
        } => retryable(
            "provider-unavailable",
            "Provider unavailable",
            format!(
                "The {provider} provider is unavailable: {}",
                sentence(message)
            ),
            *retry_after,
        ),
        ProviderError::Unsupported(message) => Problem::new(
            501,
            "provider-unsupported",
            "Not supported by the provider",
            format!(
                "The {provider} provider does not support this: {}",
                sentence(message)
            ),
        ),
        ProviderError::Other(message) => Problem::new(
            502,
            "provider-error",
            "Provider error",
            format!("The {provider} provider failed: {}", sentence(message)),
        ),
    }
}

/// 502 whose detail ends with a retry hint; adds `retry_after` and `Retry-After` when
/// the provider said how long to wait.
fn retryable(
    slug: &'static str,
    title: &'static str,
    detail: String,
    retry_after: Option<u32>,
) -> Problem {
    match retry_after {
        Some(seconds) => {
            let unit = if seconds == 1 { "second" } else { "seconds" };
            Problem::new(
                502,
                slug,
                title,
                format!("{detail} Retry after {seconds} {unit}."),
            )
            .with("retry_after", seconds)
            .with_header("retry-after", seconds.to_string())
        }
        None => Problem::new(502, slug, title, format!("{detail} Retry later.")),
    }
}

/// `message` trimmed and ending with a full stop (or `No details given.` when empty).
fn sentence(message: &str) -> String {
    let message = message.trim();
    if message.is_empty() {
        "No details given.".to_owned()
    } else if message.ends_with(['.', '!', '?']) {
        message.to_owned()
    } else {
        format!("{message}.")
    }
}

/// `message` trimmed, or the default when it is blank.
fn or_default(message: &str, default: impl FnOnce() -> String) -> String {
    let message = message.trim();
    if message.is_empty() {
        default()
    } else {
        message.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn problem(error: ProviderError) -> Problem {
        CallError::Provider(error).to_problem("github")
    }

    #[test]
    fn unauthorized_is_422_with_the_provider_message() {
        let p = problem(ProviderError::Unauthorized("Bad credentials".into()));
        assert_eq!((p.status(), p.slug()), (422, "token-rejected"));
        assert_eq!(p.detail(), "Bad credentials");
        let p = problem(ProviderError::Unauthorized(" ".into()));
        assert_eq!(p.detail(), "The github provider rejected the token.");
    }

    #[test]
    fn forbidden_names_each_missing_permission() {
        let p = problem(ProviderError::Forbidden {
            message: "no".into(),
            missing: vec!["repo".into(), "admin:repo_hook".into()],
        });
        assert_eq!((p.status(), p.slug()), (422, "missing-permissions"));
        assert_eq!(
            p.detail(),
            "The token is missing required permissions: repo, admin:repo_hook"
        );
        assert_eq!(
            p.member("missing_permissions"),
            Some(&json!(["repo", "admin:repo_hook"]))
        );
    }

    #[test]
    fn throttling_and_outages_are_502_with_a_retry_hint() {
        let p = problem(ProviderError::RateLimited {
            message: "API rate limit exceeded".into(),
            retry_after: Some(30),
        });
        assert_eq!((p.status(), p.slug()), (502, "provider-rate-limited"));
        assert_eq!(
            p.detail(),
            "The github provider is rate limited: API rate limit exceeded. Retry after 30 seconds."
        );
        assert_eq!(p.member("retry_after"), Some(&json!(30)));
        let reply = p.into_reply();
        assert_eq!(reply.header("retry-after"), Some("30"));
        assert_eq!(reply.json_body()["retry_after"], 30);

        let p = problem(ProviderError::Unavailable {
            message: "GitHub answered 503".into(),
            retry_after: None,
        });
        assert_eq!((p.status(), p.slug()), (502, "provider-unavailable"));
        assert_eq!(
            p.detail(),
            "The github provider is unavailable: GitHub answered 503. Retry later."
        );
        assert_eq!(p.member("retry_after"), None);
        assert_eq!(p.into_reply().header("retry-after"), None);
    }

    #[test]
    fn other_cases_map_to_their_status() {
        let cases = [
            (ProviderError::NotFound("no repo".into()), 404),
            (ProviderError::InvalidInput("bad url".into()), 400),
            (ProviderError::Unsupported("no webhooks".into()), 501),
            (ProviderError::Other("boom".into()), 502),
        ];
        for (error, status) in cases {
            assert_eq!(problem(error.clone()).status(), status, "{error:?}");
        }
        assert_eq!(
            problem(ProviderError::Other("boom".into())).detail(),
            "The github provider failed: boom."
        );
    }

    #[test]
    fn transport_and_protocol_failures_are_502() {
        let p = CallError::Unreachable {
            url: "http://provider-github.spin.internal/info".into(),
            reason: "connection refused".into(),
        }
        .to_problem("github");
        assert_eq!((p.status(), p.slug()), (502, "provider-unreachable"));
        assert_eq!(
            p.detail(),
            "Could not reach the github provider at http://provider-github.spin.internal/info: \
             connection refused."
        );
        let p = CallError::Protocol {
            url: "http://provider-github.spin.internal/info".into(),
            status: 500,
            what: "a body that is not a gateway error".into(),
        }
        .to_problem("github");
        assert_eq!((p.status(), p.slug()), (502, "provider-protocol"));
        assert_eq!(
            p.detail(),
            "The github provider answered http://provider-github.spin.internal/info with HTTP 500 \
             and a body that is not a gateway error, outside the gateway protocol."
        );
    }

    #[test]
    fn invalid_ids_are_configuration_errors() {
        let p = CallError::InvalidId("Git Hub".into()).to_problem("Git Hub");
        assert_eq!((p.status(), p.slug()), (500, "configuration"));
        assert!(p.detail().contains("'Git Hub'"), "{}", p.detail());
    }
}
