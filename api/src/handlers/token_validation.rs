//! `POST /api/providers/{provider}/validate-token`: asks a provider what a token is and
//! whether it has every permission git-access needs, before anything stores it.
//!
//! Request: `{"token": "...", "git_api_url": null | "https://...", "workspace": null | "..."}`.
//! Answers 200 with the provider's token report when nothing is missing, 422 when
//! permissions are missing or the token is refused, 502 when the provider cannot answer.
//! The token value is never echoed: request errors do not quote it, and every response
//! built after the provider call goes through [`redact`](crate::redact).

use std::fmt;

use serde_json::{json, Map, Value};

use crate::problem::Problem;
use crate::providers::error::missing_permissions;
use crate::providers::protocol::ProviderError;
use crate::providers::{self, client, CallError};
use crate::redact;
use crate::reply::Reply;

/// Handles the route for the provider named in the path.
pub async fn validate(provider: &str, body: &[u8]) -> Result<Reply, Problem> {
    let ids = providers::configured()?;
    let id = providers::find(&ids, provider).ok_or_else(|| providers::unknown(provider, &ids))?;
    let check = TokenCheck::parse(body)?;
    let outcome = client::call(id, "validate-token", Some(&check.gateway_args())).await;
    match judge(id, outcome) {
        Ok(mut report) => {
            redact::value(&mut report, &check.token);
            Ok(Reply::json(200, &report))
        }
        Err(problem) => Err(problem.redact(&check.token)),
    }
}

/// A validated request body.
#[derive(Clone, PartialEq, Eq)]
struct TokenCheck {
    /// The credential, trimmed; never logged or echoed.
    token: String,
    /// API base URL for a self-managed server, without a trailing `/`.
    git_api_url: Option<String>,
    /// Workspace or namespace the token is bound to.
    workspace: Option<String>,
}

impl fmt::Debug for TokenCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCheck")
            .field("token", &redact::MARK)
            .field("git_api_url", &self.git_api_url)
            .field("workspace", &self.workspace)
            .finish()
    }
}

impl TokenCheck {
    /// Parses and checks the body; 400 naming the member at fault.
    fn parse(body: &[u8]) -> Result<Self, Problem> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Err(Problem::bad_request(
                "The request body is empty; send a JSON object with a 'token' member.",
            ));
        }
        // Parsing into `Value` first keeps serde from quoting the input in its errors.
        let value: Value = serde_json::from_slice(body).map_err(|e| {
            Problem::bad_request(format!("The request body is not valid JSON: {e}."))
        })?;
        let Value::Object(members) = value else {
            return Err(Problem::bad_request(format!(
                "The request body must be a JSON object, found {}.",
                kind(&value)
            )));
        };
        let token = optional_string(&members, "token")?
            .ok_or_else(|| Problem::bad_request("Member 'token' is required."))?;
        // It travels in an HTTP header; a space or control character inside means a paste
        // went wrong, and would only produce a confusing provider error later.
        if token.contains(|c: char| c.is_whitespace() || c.is_control()) {
            return Err(Problem::bad_request(
                "Member 'token' must not contain whitespace or control characters.",
            ));
        }
        let git_api_url = optional_string(&members, "git_api_url")?
            .map(|url| api_url(&url))
            .transpose()?;
        let workspace = optional_string(&members, "workspace")?;
        Ok(Self {
            token,
            git_api_url,
            workspace,
        })
    }

    /// The gateway's `validate-token` arguments: `{"conn": connection}`.
    fn gateway_args(&self) -> Value {
        json!({
            "conn": {
                "api_url": self.git_api_url.as_deref().unwrap_or_default(),
                "token": self.token,
                "workspace": self.workspace,
            }
        })
    }
}

/// A string member, trimmed; absent, `null` and blank read as `None`.
fn optional_string(members: &Map<String, Value>, name: &str) -> Result<Option<String>, Problem> {
    match members.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => {
            let s = s.trim();
            Ok((!s.is_empty()).then(|| s.to_owned()))
        }
        Some(other) => Err(Problem::bad_request(format!(
            "Member '{name}' must be a string or null, found {}.",
            kind(other)
        ))),
    }
}

/// Checks `git_api_url` is an absolute http(s) URL with a host; drops a trailing `/`.
/// The value is not quoted back: users do paste tokens into the wrong field.
fn api_url(url: &str) -> Result<String, Problem> {
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    let host = rest.map(|rest| rest.split(['/', '?', '#']).next().unwrap_or_default());
    match host {
        Some(host) if !host.is_empty() && !url.contains(char::is_whitespace) => {
            Ok(url.trim_end_matches('/').to_owned())
        }
        _ => Err(Problem::bad_request(
            "Member 'git_api_url' must be an absolute http:// or https:// URL with a host, \
             e.g. https://ghe.example.com/api/v3, or null for the provider's default.",
        )),
    }
}

/// What a JSON value is, for error messages.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Turns the provider's answer into the response: the report when the token is usable,
/// otherwise the problem.
fn judge(id: &str, outcome: Result<Value, CallError>) -> Result<Value, Problem> {
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
        Err(e) => Err(e.to_problem(id)),
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

    fn parse(body: Value) -> Result<TokenCheck, Problem> {
        TokenCheck::parse(body.to_string().as_bytes())
    }

    fn rejection(body: &[u8]) -> Problem {
        match TokenCheck::parse(body) {
            Err(problem) => problem,
            Ok(check) => panic!("accepted {check:?}"),
        }
    }

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
    fn parses_a_full_request() {
        let check = parse(json!({
            "token": format!(" {TOKEN}\n"),
            "git_api_url": "https://ghe.example.com/api/v3/",
            "workspace": "team",
            "name": "ignored",
        }))
        .unwrap();
        assert_eq!(check.token, TOKEN);
        assert_eq!(
            check.git_api_url.as_deref(),
            Some("https://ghe.example.com/api/v3")
        );
        assert_eq!(
            check.gateway_args(),
            json!({"conn": {"api_url": "https://ghe.example.com/api/v3", "token": TOKEN, "workspace": "team"}})
        );
    }

    #[test]
    fn optional_members_default_to_the_provider() {
        for body in [
            json!({"token": TOKEN}),
            json!({"token": TOKEN, "git_api_url": null, "workspace": null}),
            json!({"token": TOKEN, "git_api_url": "", "workspace": "  "}),
        ] {
            let check = parse(body).unwrap();
            assert_eq!(
                check.gateway_args(),
                json!({"conn": {"api_url": "", "token": TOKEN, "workspace": null}})
            );
        }
        let check = parse(json!({"token": TOKEN, "git_api_url": "http://127.0.0.1:9000"})).unwrap();
        assert_eq!(check.git_api_url.as_deref(), Some("http://127.0.0.1:9000"));
    }

    #[test]
    fn request_errors_name_the_member() {
        let cases: [(&[u8], &str); 10] = [
            (b"", "The request body is empty; send a JSON object with a 'token' member."),
            (b"{", "The request body is not valid JSON: EOF while parsing an object at line 1 column 1."),
            (b"[]", "The request body must be a JSON object, found an array."),
            (b"{}", "Member 'token' is required."),
            (br#"{"token": null}"#, "Member 'token' is required."),
            (br#"{"token": "  "}"#, "Member 'token' is required."),
            (br#"{"token": 42}"#, "Member 'token' must be a string or null, found a number."),
            (br#"{"token": "abcdefgh", "workspace": ["a"]}"#, "Member 'workspace' must be a string or null, found an array."),
            (br#"{"token": "abcdefgh", "git_api_url": true}"#, "Member 'git_api_url' must be a string or null, found a boolean."),
            (br#"{"token": "abcdefgh", "git_api_url": "ghe.example.com"}"#, "Member 'git_api_url' must be an absolute http:// or https:// URL with a host, e.g. https://ghe.example.com/api/v3, or null for the provider's default."),
        ];
        for (body, detail) in cases {
            let problem = rejection(body);
            assert_eq!(problem.status(), 400);
            assert_eq!(problem.slug(), "invalid-request");
            assert_eq!(problem.detail(), detail);
        }
        let problem = rejection(br#"{"token": "ghp_abc def"}"#);
        assert_eq!(
            problem.detail(),
            "Member 'token' must not contain whitespace or control characters."
        );
        for url in ["https://", "https:///x", "ftp://h", "https://h x"] {
            let body = json!({"token": TOKEN, "git_api_url": url}).to_string();
            assert_eq!(rejection(body.as_bytes()).status(), 400, "{url}");
        }
    }

    #[test]
    fn request_errors_never_quote_the_token() {
        for body in [
            format!(r#"{{"token": "{TOKEN}", "git_api_url": "{TOKEN}"}}"#),
            format!(r#"{{"token": "{TOKEN}", "workspace": 1, "#),
            format!(r#"{{"token": "{TOKEN}\u0001"}}"#),
            format!("{{\"token\": \"{TOKEN}\u{1}\"}}"),
            format!(r#"{{"token": "{TOKEN} {TOKEN}"}}"#),
            format!(r#"["{TOKEN}"]"#),
        ] {
            let rendered = rejection(body.as_bytes()).to_json().to_string();
            assert!(!rendered.contains(TOKEN), "{rendered}");
        }
        let debug = format!("{:?}", parse(json!({"token": TOKEN})).unwrap());
        assert!(!debug.contains(TOKEN), "{debug}");
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
