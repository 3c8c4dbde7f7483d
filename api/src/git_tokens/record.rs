//! A stored Git token and its API shape (`GitTokenResponse`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::clock;
use crate::crypto::Sealed;
use crate::providers;

/// What validation learnt about a token (from the provider's token report).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenFacts {
    /// Token kind, e.g. `classic_pat`.
    pub kind: String,
    /// Account the token acts as.
    pub account: String,
    /// Scopes or permissions the provider reports.
    pub scopes: Vec<String>,
    /// Required permissions it lacks (empty for stored tokens: those are refused).
    pub missing_permissions: Vec<String>,
    /// Expiry, RFC 3339 UTC, if it expires.
    pub expired_at: Option<String>,
    /// Notes from the provider that do not block use.
    pub warnings: Vec<String>,
}

impl TokenFacts {
    /// Reads a token report (`token-report` of the provider contract); members missing
    /// or mistyped read as empty.
    pub fn from_report(report: &Value) -> Self {
        let text = |name: &str| report[name].as_str().unwrap_or_default().to_owned();
        let list = |name: &str| -> Vec<String> {
            report[name]
                .as_array()
                .map(|items| {
                    items
                        .iter()
                        .filter_map(|item| item.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        };
        let expired_at = report["expires_at"]
            .as_str()
            .and_then(clock::parse)
            .map(clock::format);
        Self {
            kind: text("kind"),
            account: text("account"),
            scopes: list("scopes"),
            missing_permissions: list("missing"),
            expired_at,
            warnings: list("warnings"),
        }
    }
}

/// A Git token record (`org:<org>:gittoken:<id>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GitToken {
    /// Id.
    pub id: String,
    /// Name, unique per organization ignoring case.
    pub name: String,
    /// Provider id, lowercase (`github`); the API's `type` is its uppercase form.
    pub provider: String,
    /// Free text.
    pub description: Option<String>,
    /// Workspace or namespace.
    pub workspace: Option<String>,
    /// API base URL of a self-managed server.
    pub git_api_url: Option<String>,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
    /// When the value was last validated with the provider, RFC 3339.
    pub last_validated_at: String,
    /// What validation learnt.
    pub facts: TokenFacts,
    /// The value, sealed under the encryption key (see `crypto`).
    pub secret: Sealed,
}

impl GitToken {
    /// The associated-data context the value is sealed with: binds the ciphertext to this
    /// record, so it cannot be moved to another token or organization.
    pub fn secret_context(org: &str, id: &str) -> String {
        format!("git-access/gittoken/{org}/{id}")
    }

    /// Whether the token has expired at `now` (seconds since the epoch).
    pub fn expired(&self, now: i64) -> bool {
        self.expires_at().is_some_and(|at| at <= now)
    }

    fn expires_at(&self) -> Option<i64> {
        self.facts.expired_at.as_deref().and_then(clock::parse)
    }

    /// The view as a JSON value.
    #[cfg(test)]
    pub fn to_json(&self, associated_services: usize, now: i64, expiry_window: i64) -> Value {
        serde_json::to_value(self.view(associated_services, now, expiry_window)).unwrap_or_default()
    }

    /// `GitTokenResponse`, the reference platform's members plus our extras (never the
    /// value, never the ciphertext), borrowing from the record: it is serialized without
    /// building a JSON tree, which matters when listing many tokens.
    pub fn view(&self, associated_services: usize, now: i64, expiry_window: i64) -> TokenView<'_> {
        let expired = self.expired(now);
        let expires_soon = !expired
            && self
                .expires_at()
                .is_some_and(|at| at <= now + expiry_window);
        TokenView {
            id: &self.id,
            created_at: &self.created_at,
            updated_at: &self.updated_at,
            name: &self.name,
            type_name: providers::type_name(&self.provider),
            description: self.description.as_deref(),
            expired_at: self.facts.expired_at.as_deref(),
            workspace: self.workspace.as_deref(),
            git_api_url: self.git_api_url.as_deref(),
            associated_services_count: associated_services,
            kind: &self.facts.kind,
            account: &self.facts.account,
            scopes: &self.facts.scopes,
            expired,
            expires_soon,
            last_validated_at: &self.last_validated_at,
            missing_permissions: &self.facts.missing_permissions,
            warnings: &self.facts.warnings,
        }
    }
}

/// `GitTokenResponse`: a token as the API shows it (never its value).
#[derive(Debug, Serialize)]
pub struct TokenView<'a> {
    id: &'a str,
    created_at: &'a str,
    updated_at: &'a str,
    name: &'a str,
    #[serde(rename = "type")]
    type_name: String,
    description: Option<&'a str>,
    expired_at: Option<&'a str>,
    workspace: Option<&'a str>,
    git_api_url: Option<&'a str>,
    associated_services_count: usize,
    kind: &'a str,
    account: &'a str,
    scopes: &'a [String],
    /// Whether it has expired.
    pub expired: bool,
    /// Whether it expires within the warning window.
    pub expires_soon: bool,
    last_validated_at: &'a str,
    missing_permissions: &'a [String],
    warnings: &'a [String],
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use serde_json::json;

    /// A record for tests, sealed with a dummy envelope.
    pub fn sample(id: &str, name: &str, expired_at: Option<&str>) -> GitToken {
        GitToken {
            id: id.into(),
            name: name.into(),
            provider: "github".into(),
            description: None,
            workspace: None,
            git_api_url: None,
            created_at: "2026-01-01T00:00:00Z".into(),
            updated_at: "2026-01-01T00:00:00Z".into(),
            last_validated_at: "2026-01-01T00:00:00Z".into(),
            facts: TokenFacts {
                kind: "classic_pat".into(),
                account: "octocat".into(),
                scopes: vec!["repo".into()],
                missing_permissions: vec![],
                expired_at: expired_at.map(str::to_owned),
                warnings: vec![],
            },
            secret: Sealed {
                alg: "A256GCM".into(),
                kid: "k".into(),
                nonce: "n".into(),
                ciphertext: "c".into(),
            },
        }
    }

    #[test]
    fn reads_a_token_report() {
        let facts = TokenFacts::from_report(&json!({
            "account": "octocat",
            "kind": "classic_pat",
            "scopes": ["repo", "admin:repo_hook"],
            "missing": [],
            "expires_at": "2099-12-01T10:00:00Z",
            "warnings": ["w"],
        }));
        assert_eq!(facts.account, "octocat");
        assert_eq!(facts.scopes, vec!["repo", "admin:repo_hook"]);
        assert_eq!(facts.expired_at.as_deref(), Some("2099-12-01T10:00:00Z"));
        assert_eq!(TokenFacts::from_report(&json!(null)), TokenFacts::default());
    }

    #[test]
    fn response_has_expiry_flags_and_no_secret() {
        let now = clock::parse("2026-06-01T00:00:00Z").unwrap();
        let window = 14 * 86_400;
        let far = sample("id", "deploy", Some("2099-12-01T10:00:00Z")).to_json(2, now, window);
        assert_eq!(far["type"], "GITHUB");
        assert_eq!(far["associated_services_count"], 2);
        assert_eq!(
            (far["expired"].clone(), far["expires_soon"].clone()),
            (json!(false), json!(false))
        );
        let soon = sample("id", "deploy", Some("2026-06-10T00:00:00Z")).to_json(0, now, window);
        assert_eq!(
            (soon["expired"].clone(), soon["expires_soon"].clone()),
            (json!(false), json!(true))
        );
        let past = sample("id", "deploy", Some("2026-05-01T00:00:00Z")).to_json(0, now, window);
        assert_eq!(
            (past["expired"].clone(), past["expires_soon"].clone()),
            (json!(true), json!(false))
        );
        let never = sample("id", "deploy", None).to_json(0, now, window);
        assert_eq!(never["expired_at"], Value::Null);
        assert_eq!(never["expired"], false);
        let rendered = far.to_string();
        for hidden in ["secret", "ciphertext", "nonce", "token\""] {
            assert!(!rendered.contains(hidden), "{hidden} in {rendered}");
        }
    }
}
