//! A stored application and its API shape.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::clock;
use crate::crypto::Sealed;
use crate::git_tokens::record::GitToken;
use crate::github_app::Connection;
use crate::providers;
use crate::tenancy::users::GitAccount;

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

/// The application's credential as read now, for `has_access` and the response.
#[derive(Debug, Clone, Copy)]
pub enum CredentialNow<'a> {
    /// A public repository used without credentials.
    Anonymous,
    /// The organization Git token (`None`: it no longer exists).
    Token(Option<&'a GitToken>),
    /// The user's linked Git account (`None`: it is no longer linked).
    UserAccount(Option<&'a GitAccount>),
    /// The organization's GitHub App installation (`None`: none is connected).
    Installation(Option<&'a Connection>),
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
    /// The organization Git token used, if the application uses one.
    pub git_token_id: Option<String>,
    /// The user whose linked Git account the application uses (the user who created it
    /// with `own_account`). Neither this nor a token: a public repository without
    /// credentials.
    #[serde(default)]
    pub user_id: Option<String>,
    /// The organization's GitHub App installation, when the application reaches its
    /// repository through it (the deprecated GitHub App).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub github_app_installation_id: Option<String>,
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

    /// Whether the application reaches its repository with credentials (a Git token, a
    /// linked account or the GitHub App), so git-access manages its webhook.
    pub fn uses_credentials(&self) -> bool {
        self.account_kind() != "public"
    }

    /// How the application reaches its repository: `git_token`, `own_account`,
    /// `github_app` or `public`.
    pub fn account_kind(&self) -> &'static str {
        match (
            &self.git_token_id,
            &self.user_id,
            &self.github_app_installation_id,
        ) {
            (Some(_), _, _) => "git_token",
            (None, Some(_), _) => "own_account",
            (None, None, Some(_)) => "github_app",
            (None, None, None) => "public",
        }
    }

    /// Whether the application can reach its repository now, and why not. `credential`
    /// is its token or linked account as read now.
    pub fn access(&self, credential: CredentialNow<'_>, now: i64) -> (bool, Option<String>) {
        match credential {
            CredentialNow::Anonymous => (true, None),
            CredentialNow::Token(token) => self.token_access(token, now),
            CredentialNow::UserAccount(account) => self.account_access(account, now),
            CredentialNow::Installation(connection) => self.installation_access(connection),
        }
    }

    fn installation_access(&self, connection: Option<&Connection>) -> (bool, Option<String>) {
        let ours = self
            .github_app_installation_id
            .as_deref()
            .unwrap_or_default();
        match connection {
            // Its token is minted for each call, so there is no stale value to lose access by.
            Some(c) if c.installation_id == ours && !c.suspended => (true, None),
            Some(c) if c.installation_id == ours => (
                false,
                Some(format!(
                    "The GitHub App installation {ours} on {} is suspended; unsuspend it on \
                     GitHub ({}).",
                    c.account, c.html_url
                )),
            ),
            _ => (
                false,
                Some(format!(
                    "The GitHub App installation {ours} is no longer connected to organization \
                     '{}'; connect it again.",
                    self.organization_id
                )),
            ),
        }
    }

    fn token_access(&self, token: Option<&GitToken>, now: i64) -> (bool, Option<String>) {
        let token_id = self.git_token_id.as_deref().unwrap_or_default();
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

    fn account_access(&self, account: Option<&GitAccount>, now: i64) -> (bool, Option<String>) {
        let user = self.user_id.as_deref().unwrap_or_default();
        let name = providers::display_name(&self.provider);
        let again = format!("user '{user}' must sign in with {name} again");
        let Some(account) = account else {
            return (
                false,
                Some(format!(
                    "The {name} account of user '{user}' is no longer linked; {again}."
                )),
            );
        };
        if account.lost(now) {
            return (
                false,
                Some(format!(
                    "The {name} sign-in of user '{user}' ({}) expired at {}; {again}.",
                    account.login,
                    clock::format(account.expires_at.unwrap_or_default())
                )),
            );
        }
        match &self.access_loss {
            Some(loss) if loss.token_version == account.token.nonce => (
                false,
                Some(format!(
                    "{name} refused the account of user '{user}' ({}) at {}: {} Then {again}.",
                    account.login, loss.at, loss.reason
                )),
            ),
            _ => (true, None),
        }
    }

    /// The API shape. Never the webhook secret.
    pub fn to_json(&self, credential: CredentialNow<'_>, now: i64) -> Value {
        let (has_access, reason) = self.access(credential, now);
        let (token_name, login) = match credential {
            CredentialNow::Token(token) => (token.map(|t| t.name.clone()), None),
            CredentialNow::UserAccount(account) => (None, account.map(|a| a.login.clone())),
            CredentialNow::Installation(connection) => {
                (None, connection.map(|c| c.account.clone()))
            }
            CredentialNow::Anonymous => (None, None),
        };
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
                "account": self.account_kind(),
                "git_token_id": self.git_token_id,
                "git_token_name": token_name,
                "user_id": self.user_id,
                "github_app_installation_id": self.github_app_installation_id,
                "git_account_login": login,
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
            user_id: None,
            github_app_installation_id: None,
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
        assert_eq!(public.access(CredentialNow::Anonymous, now), (true, None));

        let mut app = sample("a", "web", Some("t"));
        let (ok, reason) = app.access(CredentialNow::Token(None), now);
        assert!(!ok);
        assert_eq!(reason.unwrap(), "The Git token 't' no longer exists.");

        let live = token_sample("t", "deploy", Some("2099-01-01T00:00:00Z"));
        assert_eq!(
            app.access(CredentialNow::Token(Some(&live)), now),
            (true, None)
        );
        let expired = token_sample("t", "deploy", Some("2026-05-01T00:00:00Z"));
        let (ok, reason) = app.access(CredentialNow::Token(Some(&expired)), now);
        assert!(!ok);
        assert!(reason.unwrap().contains("expired at 2026-05-01T00:00:00Z"));

        // A refusal holds until the value is replaced (a new seal, a new nonce).
        app.access_loss = Some(AccessLoss {
            reason: "Bad credentials.".into(),
            token_version: live.secret.nonce.clone(),
            at: "2026-05-30T00:00:00Z".into(),
        });
        let (ok, reason) = app.access(CredentialNow::Token(Some(&live)), now);
        assert!(!ok);
        assert!(reason.unwrap().contains("Bad credentials."));
        let mut renewed = live.clone();
        renewed.secret.nonce = "another-nonce".into();
        assert_eq!(
            app.access(CredentialNow::Token(Some(&renewed)), now),
            (true, None)
        );
    }

    #[test]
    fn own_account_access_follows_the_linked_account() {
        let now = clock::parse("2026-06-01T00:00:00Z").unwrap();
        let mut app = sample("a", "web", None);
        app.user_id = Some("u".into());
        assert_eq!(app.account_kind(), "own_account");
        let (ok, reason) = app.access(CredentialNow::UserAccount(None), now);
        assert!(!ok);
        assert!(reason.unwrap().contains("no longer linked"));
        let account = GitAccount {
            provider: "github".into(),
            login: "ada".into(),
            kind: "oauth".into(),
            scopes: vec![],
            token: Sealed {
                alg: "A256GCM".into(),
                kid: "k".into(),
                nonce: "n1".into(),
                ciphertext: "c".into(),
            },
            expires_at: None,
            refresh_token: None,
            redirect_uri: None,
            linked_at: "2026-01-01T00:00:00Z".into(),
            renewed_at: None,
        };
        assert_eq!(
            app.access(CredentialNow::UserAccount(Some(&account)), now),
            (true, None)
        );
        let expired = GitAccount {
            expires_at: Some(now - 1),
            ..account.clone()
        };
        let (ok, reason) = app.access(CredentialNow::UserAccount(Some(&expired)), now);
        assert!(!ok);
        assert!(reason.unwrap().contains("sign in with GitHub again"));
        // With a refresh token, an expired token is renewed on its next use.
        let renewable = GitAccount {
            refresh_token: Some(account.token.clone()),
            ..expired
        };
        assert_eq!(
            app.access(CredentialNow::UserAccount(Some(&renewable)), now),
            (true, None)
        );
        // A refusal holds until the user signs in again (a new seal).
        app.access_loss = Some(AccessLoss {
            reason: "Bad credentials.".into(),
            token_version: "n1".into(),
            at: "2026-05-30T00:00:00Z".into(),
        });
        assert!(
            !app.access(CredentialNow::UserAccount(Some(&account)), now)
                .0
        );
        let mut relinked = account.clone();
        relinked.token.nonce = "n2".into();
        let body = app.to_json(CredentialNow::UserAccount(Some(&relinked)), now);
        assert_eq!(body["git_repository"]["has_access"], true);
        assert_eq!(body["git_repository"]["account"], "own_account");
        assert_eq!(body["git_repository"]["git_account_login"], "ada");
    }

    #[test]
    fn github_app_access_follows_the_connected_installation() {
        let now = clock::parse("2026-06-01T00:00:00Z").unwrap();
        let mut app = sample("a", "web", None);
        app.github_app_installation_id = Some("7".into());
        assert_eq!(app.account_kind(), "github_app");
        assert!(app.uses_credentials());
        let connected = Connection::from_installation(
            &json!({"id": "7", "account": "acme", "repository_selection": "selected",
                    "html_url": "https://github.com/organizations/acme/settings/installations/7",
                    "suspended": false}),
            now,
            "m",
        );
        let body = app.to_json(CredentialNow::Installation(Some(&connected)), now);
        assert_eq!(body["git_repository"]["has_access"], true);
        assert_eq!(body["git_repository"]["account"], "github_app");
        assert_eq!(body["git_repository"]["github_app_installation_id"], "7");
        assert_eq!(body["git_repository"]["git_account_login"], "acme");
        let suspended = Connection {
            suspended: true,
            ..connected.clone()
        };
        let (ok, reason) = app.access(CredentialNow::Installation(Some(&suspended)), now);
        assert!(!ok);
        assert!(reason.unwrap().contains("suspended"));
        let other = Connection {
            installation_id: "8".into(),
            ..connected
        };
        for connection in [Some(&other), None] {
            let (ok, reason) = app.access(CredentialNow::Installation(connection), now);
            assert!(!ok);
            assert!(reason.unwrap().contains("no longer connected"));
        }
    }

    #[test]
    fn response_names_the_token_and_hides_the_secret() {
        let now = clock::parse("2026-06-01T00:00:00Z").unwrap();
        let token = token_sample("t", "deploy", None);
        let body = sample("a", "web", Some("t")).to_json(CredentialNow::Token(Some(&token)), now);
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
