//! Checking a credential with its provider (`validate-token`) and judging the answer:
//! the token report when the token is usable, otherwise the problem an API client sees.
//!
//! Used by `POST /api/providers/{id}/validate-token` and by Git token create and update,
//! which store nothing unless this says yes.

use serde_json::{json, Value};

use super::error::missing_permissions;
use super::protocol::ProviderError;
use super::{client, CallError};
use crate::problem::Problem;

/// What a provider needs to reach a token's account.
#[derive(Clone, PartialEq, Eq)]
pub struct Connection<'a> {
    /// API base URL of a self-managed server; `None` for the provider's default.
    pub api_url: Option<&'a str>,
    /// The credential.
    pub token: &'a str,
    /// Workspace or namespace, if any.
    pub workspace: Option<&'a str>,
}

impl Connection<'_> {
    /// The gateway's arguments: `{"conn": connection}`.
    pub fn gateway_args(&self) -> Value {
        json!({
            "conn": {
                "api_url": self.api_url.unwrap_or_default(),
                "token": self.token,
                "workspace": self.workspace,
            }
        })
    }
}

/// Asks provider `id` about the token: the report when it is usable, otherwise the
/// problem. Neither is redacted yet: the caller knows the token and redacts.
pub async fn validate(id: &str, conn: &Connection<'_>) -> Result<Value, Problem> {
    judge(
        id,
        client::call(id, "validate-token", Some(&conn.gateway_args())).await,
    )
}

/// Turns the provider's answer into the outcome: the report when the token is usable,
/// otherwise the problem.
pub fn judge(id: &str, outcome: Result<Value, CallError>) -> Result<Value, Problem> {
    match outcome {
        Ok(report) => {
            let missing = missing_list(&report).ok_or_else(|| {
                Problem::new(
                    502,
                    "provider-protocol",
                    "Provider protocol error",
                    format!(
                        "The {id} provider's token report has no 'missing' list of strings, \
                         outside the gateway protocol."
                    ),
                )
            })?;
            if missing.is_empty() {
                Ok(report)
            } else {
                Err(missing_permissions(&missing).with("report", report))
            }
        }
        // The API URL or workspace given with the token leads nowhere: the client's to fix.
        Err(CallError::Provider(ProviderError::NotFound(message))) => Err(Problem::new(
            422,
            "provider-not-found",
            "Not found at the provider",
            format!(
                "The {id} provider found nothing at the given API URL or workspace: {}",
                message.trim()
            ),
        )),
        // The sandbox refused the host: the operator has not allowed it for this provider.
        Err(CallError::Provider(ProviderError::InvalidInput(message)))
            if message.contains("allowed outbound hosts") =>
        {
            Err(Problem::new(
                422,
                "git-api-url-not-allowed",
                "API URL not allowed",
                format!(
                    "The {id} provider may not reach that API URL: {} Ask the operator to add \
                     the host to the provider-{id} component's allowed_outbound_hosts.",
                    sentence(&message)
                ),
            ))
        }
        Err(CallError::Provider(ProviderError::InvalidInput(message))) => Err(Problem::new(
            422,
            "provider-invalid-input",
            "Rejected by the provider",
            format!(
                "The {id} provider refused the connection settings: {}",
                sentence(&message)
            ),
        )),
        Err(e) => Err(e.to_problem(id)),
    }
}

fn sentence(message: &str) -> String {
    let message = message.trim();
    let mut chars = message.chars();
    let capitalized: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => "No details given".to_owned(),
    };
    if capitalized.ends_with(['.', '!', '?']) {
        capitalized
    } else {
        format!("{capitalized}.")
    }
}

/// The report's `missing` member, if it is a list of strings.
fn missing_list(report: &Value) -> Option<Vec<String>> {
    report
        .get("missing")?
        .as_array()?
        .iter()
        .map(|name| name.as_str().map(str::to_owned))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "ghp_abcdefghijklmnopqrstuvwxyz0123456789";

    fn report(missing: &[&str]) -> Value {
        json!({
            "account": "octocat",
            "account_name": null,
            "kind": "classic_pat",
            "scopes": ["repo"],
            "permissions": [],
            "missing": missing,
            "expires_at": null,
            "workspace": null,
            "warnings": [],
        })
    }

    #[test]
    fn builds_gateway_arguments() {
        let conn = Connection {
            api_url: Some("https://ghe.example.com/api/v3"),
            token: TOKEN,
            workspace: Some("team"),
        };
        assert_eq!(
            conn.gateway_args(),
            json!({"conn": {"api_url": "https://ghe.example.com/api/v3", "token": TOKEN, "workspace": "team"}})
        );
        let conn = Connection {
            api_url: None,
            token: TOKEN,
            workspace: None,
        };
        assert_eq!(
            conn.gateway_args(),
            json!({"conn": {"api_url": "", "token": TOKEN, "workspace": null}})
        );
    }

    #[test]
    fn denied_hosts_and_refused_settings_are_422() {
        let denied = judge(
            "github",
            Err(CallError::Provider(ProviderError::InvalidInput(
                "the request to https://ghe.example.com was denied: that host is not in this \
                 provider's allowed outbound hosts"
                    .into(),
            ))),
        )
        .unwrap_err();
        assert_eq!(
            (denied.status(), denied.slug()),
            (422, "git-api-url-not-allowed")
        );
        assert_eq!(
            denied.detail(),
            "The github provider may not reach that API URL: The request to \
             https://ghe.example.com was denied: that host is not in this provider's allowed \
             outbound hosts. Ask the operator to add the host to the provider-github \
             component's allowed_outbound_hosts."
        );
        let refused = judge(
            "github",
            Err(CallError::Provider(ProviderError::InvalidInput(
                "bad url".into(),
            ))),
        )
        .unwrap_err();
        assert_eq!(
            (refused.status(), refused.slug()),
            (422, "provider-invalid-input")
        );
        assert_eq!(
            refused.detail(),
            "The github provider refused the connection settings: Bad url."
        );
    }

    #[test]
    fn usable_token_returns_the_report() {
        assert_eq!(judge("github", Ok(report(&[]))).unwrap(), report(&[]));
    }

    #[test]
    fn missing_permissions_are_422_naming_each() {
        let problem = judge("github", Ok(report(&["admin:repo_hook"]))).unwrap_err();
        assert_eq!(problem.status(), 422);
        assert_eq!(
            problem.detail(),
            "The token is missing required permissions: admin:repo_hook"
        );
        let body = problem.at("/api/providers/github/validate-token").to_json();
        assert_eq!(body["type"], "/problems/missing-permissions");
        assert_eq!(body["missing_permissions"], json!(["admin:repo_hook"]));
        assert_eq!(body["report"], report(&["admin:repo_hook"]));
        assert_eq!(body["instance"], "/api/providers/github/validate-token");
    }

    #[test]
    fn report_without_a_missing_list_is_a_protocol_error() {
        for bad in [
            json!({"account": "x"}),
            json!({"missing": "repo"}),
            json!(null),
        ] {
            let problem = judge("github", Ok(bad)).unwrap_err();
            assert_eq!(
                (problem.status(), problem.slug()),
                (502, "provider-protocol")
            );
        }
    }

    #[test]
    fn provider_errors_map_to_client_and_gateway_problems() {
        let refused = judge(
            "github",
            Err(CallError::Provider(ProviderError::Unauthorized(
                "GitHub rejected the token: Bad credentials".into(),
            ))),
        )
        .unwrap_err();
        assert_eq!((refused.status(), refused.slug()), (422, "token-rejected"));
        assert_eq!(
            refused.detail(),
            "GitHub rejected the token: Bad credentials"
        );

        let nowhere = judge(
            "bitbucket",
            Err(CallError::Provider(ProviderError::NotFound(
                "workspace 'x' does not exist".into(),
            ))),
        )
        .unwrap_err();
        assert_eq!(nowhere.status(), 422);
        assert_eq!(
            nowhere.detail(),
            "The bitbucket provider found nothing at the given API URL or workspace: \
             workspace 'x' does not exist"
        );

        let throttled = judge(
            "github",
            Err(CallError::Provider(ProviderError::RateLimited {
                message: "secondary rate limit".into(),
                retry_after: Some(60),
            })),
        )
        .unwrap_err();
        assert_eq!(throttled.status(), 502);
        assert_eq!(throttled.member("retry_after"), Some(&json!(60)));
    }

    #[test]
    fn provider_text_echoing_the_token_is_redacted() {
        let leaky = ProviderError::Unauthorized(format!("token {TOKEN} is revoked"));
        let problem = judge("github", Err(CallError::Provider(leaky)))
            .unwrap_err()
            .redact(TOKEN);
        assert_eq!(problem.detail(), "token [redacted] is revoked");

        let mut leaky_report = report(&["repo"]);
        leaky_report["warnings"] = json!([format!("seen {TOKEN}")]);
        let body = judge("github", Ok(leaky_report))
            .unwrap_err()
            .redact(TOKEN)
            .to_json()
            .to_string();
        assert!(!body.contains(TOKEN), "{body}");
    }
}
