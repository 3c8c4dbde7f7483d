//! A stored application and its API shape.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::crypto::Sealed;
use crate::git_tokens::record::GitToken;
use crate::providers;

/// How the webhook was set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WebhookMode {
    /// Created by git-access through the provider with the application's token.
    Managed,
    /// Public repository without credentials: its owner adds the hook by hand.
    Manual,
}

/// The application's webhook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookState {
    /// Managed or manual.
    pub mode: WebhookMode,
    /// Provider's id of the hook (managed hooks).
    pub hook_id: Option<String>,
    /// Where deliveries go: `<public URL>/webhooks/<provider>/<application id>`.
    pub payload_url: String,
    /// The shared secret, sealed.
    pub secret: Sealed,
}

/// Access found lost by a provider call (revoked token): holds until the token's value is
/// replaced. The value's version is the nonce of its sealed form, which every PUT (and
/// every re-encryption) changes; `updated_at` has only second precision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessLoss {
    /// What the provider said, redacted.
    pub reason: String,
    /// Version of the token's value when access was lost (see above).
    pub token_version: String,
    /// When it was noticed, RFC 3339.
    pub at: String,
}

/// An application record (`org:<org>:application:<id>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Application {
    /// Id.
    pub id: String,
    /// Organization.
    pub organization_id: String,
    /// Name, unique per organization ignoring case.
    pub name: String,
    /// Provider id, lowercase.
    pub provider: String,
    /// Repository owner (GitLab: the full namespace path).
    pub owner: String,
    /// Repository name.
    pub repository: String,
    /// Provider's id of the repository.
    pub repository_id: String,
    /// Web URL of the repository.
    pub html_url: String,
    /// HTTPS clone URL.
    pub clone_url: String,
    /// `public`, `private` or `internal`.
    pub visibility: String,
    /// Branch deployed.
    pub branch: String,
    /// Directory of the application inside the repository.
    pub root_path: String,
    /// The organization Git token used; `None` for a public repository without credentials.
    pub git_token_id: Option<String>,
    /// The webhook.
    pub webhook: WebhookState,
    /// Set when a provider call found the token refused.
    #[serde(default)]
    pub access_loss: Option<AccessLoss>,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

impl Application {
    /// The associated data the webhook secret is sealed with.
    pub fn secret_context(org: &str, id: &str) -> String {
        format!("git-access/application/{org}/{id}/webhook-secret")
    }

    /// `owner/name`.
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.owner, self.repository)
    }

    /// Whether the application can reach its repository now, and why not. `token` is the
    /// application's Git token record as read now (`None` when it has none or it is gone).
    pub fn access(&self, token: Option<&GitToken>, now: i64) -> (bool, Option<String>) {
        let Some(token_id) = &self.git_token_id else {
            return (true, None);
        };
        let Some(token) = token else {
            return (
                false,
                Some(format!("The Git token '{token_id}' no longer exists.")),
            );
        };
        if token.expired(now) {
            return (
                false,
                Some(format!(
                    "The Git token '{}' expired at {}; renew its value with PUT \
                     /organization/{}/gitToken/{}.",
                    token.name,
                    token
                        .facts
                        .expired_at
                        .as_deref()
                        .unwrap_or("an unknown time"),
                    self.organization_id,
                    token.id
                )),
            );
        }
        match &self.access_loss {
            Some(loss) if loss.token_version == token.secret.nonce => (
                false,
                Some(format!(
                    "The {} provider refused the Git token '{}' at {}: {} Renew its value \
                     with PUT /organization/{}/gitToken/{}.",
                    self.provider, token.name, loss.at, loss.reason, self.organization_id, token.id
                )),
            ),
            _ => (true, None),
        }
    }

    /// The API shape. Never the webhook secret.
    pub fn to_json(&self, token: Option<&GitToken>, now: i64) -> Value {
        let (has_access, reason) = self.access(token, now);
        json!({
            "id": self.id,
            "organization_id": self.organization_id,
            "name": self.name,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "git_repository": {
                "provider": providers::type_name(&self.provider),
                "owner": self.owner,
                "name": self.repository,
                "full_name": self.full_name(),
                "url": self.html_url,
                "clone_url": self.clone_url,
                "visibility": self.visibility,
                "branch": self.branch,
                "root_path": self.root_path,
                "git_token_id": self.git_token_id,
                "git_token_name": token.map(|t| t.name.clone()),
                "has_access": has_access,
                "has_access_reason": reason,
            },
            "webhook": {
                "mode": self.webhook.mode,
                "hook_id": self.webhook.hook_id,
                "payload_url": self.webhook.payload_url,
            },
        })
    }
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use crate::clock;
    use crate::git_tokens::record::tests::sample as token_sample;

    /// An application on token `token` (or public when `None`), sealed with a dummy.
    pub fn sample(id: &str, name: &str, token: Option<&str>) -> Application {
        let sealed = Sealed {
            alg: "A256GCM".into(),
            kid: "k".into(),
            nonce: "n".into(),
            ciphertext: "c".into(),
        };
        Application {
            id: id.into(),
            organization_id: "o".into(),
            name: name.into(),
            provider: "github".into(),
            owner: "octocat".into(),
            repository: "hello".into(),
            repository_id: "1".into(),
            html_url: "https://github.com/octocat/hello".into(),
            clone_url: "https://github.com/octocat/hello.git".into(),
            visibility: "private".into(),
            branch: "main".into(),
            root_path: "/".into(),
            git_token_id: token.map(str::to_owned),
            webhook: WebhookState {
                mode: WebhookMode::Managed,
                hook_id: Some("7".into()),
                payload_url: format!("http://127.0.0.1:3000/webhooks/github/{id}"),
                secret: sealed,
            },
            access_loss: None,
            created_at: "2026-01-01T00:00:00Z".into(),
            updated_at: "2026-01-01T00:00:00Z".into(),
        }
    }

    #[test]
    fn access_follows_the_token() {
        let now = clock::parse("2026-06-01T00:00:00Z").unwrap();
        let public = sample("a", "web", None);
        assert_eq!(public.access(None, now), (true, None));

        let mut app = sample("a", "web", Some("t"));
        let (ok, reason) = app.access(None, now);
        assert!(!ok);
        assert_eq!(reason.unwrap(), "The Git token 't' no longer exists.");

        let live = token_sample("t", "deploy", Some("2099-01-01T00:00:00Z"));
        assert_eq!(app.access(Some(&live), now), (true, None));
        let expired = token_sample("t", "deploy", Some("2026-05-01T00:00:00Z"));
        let (ok, reason) = app.access(Some(&expired), now);
        assert!(!ok);
        assert!(reason.unwrap().contains("expired at 2026-05-01T00:00:00Z"));

        // A refusal holds until the value is replaced (a new seal, a new nonce).
        app.access_loss = Some(AccessLoss {
            reason: "Bad credentials.".into(),
            token_version: live.secret.nonce.clone(),
            at: "2026-05-30T00:00:00Z".into(),
        });
        let (ok, reason) = app.access(Some(&live), now);
        assert!(!ok);
        assert!(reason.unwrap().contains("Bad credentials."));
        let mut renewed = live.clone();
        renewed.secret.nonce = "another-nonce".into();
        assert_eq!(app.access(Some(&renewed), now), (true, None));
    }

    #[test]
    fn response_names_the_token_and_hides_the_secret() {
        let now = clock::parse("2026-06-01T00:00:00Z").unwrap();
        let token = token_sample("t", "deploy", None);
        let body = sample("a", "web", Some("t")).to_json(Some(&token), now);
        assert_eq!(body["git_repository"]["git_token_name"], "deploy");
        assert_eq!(body["git_repository"]["owner"], "octocat");
        assert_eq!(body["git_repository"]["provider"], "GITHUB");
        assert_eq!(body["git_repository"]["has_access"], true);
        let text = body.to_string();
        for hidden in ["ciphertext", "nonce", "secret"] {
            assert!(!text.contains(hidden), "{hidden} in {text}");
        }
    }
}
