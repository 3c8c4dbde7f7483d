//! The deprecated GitHub App: instead of adding Git tokens, an organization connects one
//! installation of the operator's GitHub App and chooses which repositories it may reach.
//!
//! - The app is the operator's, configured with Spin variables ([`AppConfig`]); its private
//!   key and client secret never leave them: not stored, not logged, not answered.
//! - An organization holds at most one installation (`org:<org>:githubapp`), and an
//!   installation belongs to at most one organization (`githubapp:installation:<id>`,
//!   created by compare-and-swap, so two organizations cannot both claim it).
//! - Connecting needs proof that whoever connects can reach the installation: the
//!   `code` GitHub adds to the install redirect ("request user authorization during
//!   installation") is exchanged for a user token, and that token must list the
//!   installation's repositories. An installation id alone proves nothing (ids are
//!   sequential).
//! - The install link carries a single-use `state` (`githubapp:state:<sha256>`, 10
//!   minutes) naming the organization and member who asked for it, so the browser
//!   redirect back from GitHub, which has no API credential, connects the right
//!   organization.
//!
//! Calls go to the `github-app` plugin ([`PLUGIN`]) through service chaining, like every
//! provider call.
//!
//! Installation tokens last an hour. Minting one signs a JWT in the plugin (an RSA
//! operation) and costs GitHub a call, so the latest one is kept, sealed
//! (`org:<org>:githubapp:token`), and reused until [`TOKEN_MARGIN`] before it expires; a
//! refusal by GitHub drops it.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::clock;
use crate::crypto::{Keyring, Sealed};
use crate::problem::Problem;
use crate::providers::{client, CallError};
use crate::redact;
use crate::state::{cas, decode_json, encode_json, get_json, KeyValue, StateError};

/// The plugin that speaks the GitHub App protocol.
pub const PLUGIN: &str = "github-app";

/// How long an install link may take, seconds.
pub const STATE_TTL: i64 = 600;

pub use crate::state::keys::{
    github_app_claim as claim_key, github_app_connection as connection_key,
    github_app_state as state_key, github_app_token as token_key,
};

/// The operator's GitHub App, from Spin variables.
#[derive(Clone, PartialEq, Eq)]
pub struct AppConfig {
    /// App id (the JWT issuer).
    pub app_id: String,
    /// PEM private key.
    private_key_pem: String,
    /// URL slug (`https://github.com/apps/<slug>`).
    pub slug: String,
    /// OAuth client id of the app.
    pub client_id: String,
    /// OAuth client secret of the app.
    client_secret: String,
    /// Web base URL (empty: https://github.com).
    pub web_url: String,
}

impl std::fmt::Debug for AppConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppConfig")
            .field("app_id", &self.app_id)
            .field("slug", &self.slug)
            .field("client_id", &self.client_id)
            .field("private_key_pem", &redact::MARK)
            .field("client_secret", &redact::MARK)
            .finish()
    }
}

/// The Spin variables of the GitHub App, in the order an operator sets them.
pub const VARIABLES: [&str; 5] = [
    "github_app_id",
    "github_app_slug",
    "github_app_private_key",
    "github_app_client_id",
    "github_app_client_secret",
];

impl AppConfig {
    /// Reads the variables; 501 naming the empty ones when the app is not configured.
    pub fn from_variables() -> Result<Self, Problem> {
        let read = |name: &str| {
            spin_sdk::variables::get(name)
                .unwrap_or_default()
                .trim()
                .to_owned()
        };
        let values = VARIABLES.map(read);
        let missing: Vec<&str> = VARIABLES
            .iter()
            .zip(&values)
            .filter(|(_, value)| value.is_empty())
            .map(|(name, _)| *name)
            .collect();
        if !missing.is_empty() {
            return Err(not_configured(&missing));
        }
        let [app_id, slug, private_key_pem, client_id, client_secret] = values;
        Ok(Self {
            app_id,
            slug,
            private_key_pem,
            client_id,
            client_secret,
            web_url: read("github_app_web_url"),
        })
    }

    /// The `app-credentials` argument of the installation calls.
    fn credentials(&self) -> Value {
        json!({"app_id": self.app_id, "private_key_pem": self.private_key_pem, "api_url": ""})
    }

    /// Where a browser installs the app, with `state`.
    pub fn install_url(&self, state: &str) -> String {
        let web = match self.web_url.trim_end_matches('/') {
            "" => "https://github.com",
            web => web,
        };
        format!("{web}/apps/{}/installations/new?state={state}", self.slug)
    }

    /// Removes the app's secrets from a problem's text.
    fn redact(&self, problem: Problem) -> Problem {
        problem
            .redact(&self.private_key_pem)
            .redact(&self.client_secret)
    }

    /// Calls an installation function of the plugin with the app's credentials.
    async fn call_as_app(&self, function: &str, mut args: Value) -> Result<Value, Problem> {
        if let Value::Object(members) = &mut args {
            members.insert("app".into(), self.credentials());
        }
        client::call(PLUGIN, function, Some(&args))
            .await
            .map_err(|e| self.redact(call_problem(&e)))
    }

    /// The installation as GitHub describes it now.
    pub async fn installation(&self, installation_id: &str) -> Result<Value, Problem> {
        self.call_as_app(
            "get-installation",
            json!({ "installation_id": installation_id }),
        )
        .await
    }

    /// One page of the repositories the installation may access.
    pub async fn repositories(&self, installation_id: &str, page: Value) -> Result<Value, Problem> {
        self.call_as_app(
            "list-installation-repositories",
            json!({ "installation_id": installation_id, "page": page }),
        )
        .await
    }

    /// A new installation access token, for calls as the installation, and when it
    /// expires (seconds since the epoch), if GitHub said.
    pub async fn mint_token(
        &self,
        installation_id: &str,
    ) -> Result<(String, Option<i64>), CallError> {
        let args = json!({"app": self.credentials(), "installation_id": installation_id});
        let mut outcome = client::call(PLUGIN, "create-installation-token", Some(&args)).await;
        if let Err(error) = &mut outcome {
            crate::applications::git_calls::Account::redact_also(error, &self.private_key_pem);
            crate::applications::git_calls::Account::redact_also(error, &self.client_secret);
        }
        let tokens = outcome?;
        let token = tokens["access_token"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        Ok((token, tokens["expires_at"].as_str().and_then(clock::parse)))
    }

    /// Uninstalls the app from the installation's account; one already gone is fine.
    pub async fn uninstall(&self, installation_id: &str) -> Result<(), Problem> {
        match self
            .call_as_app(
                "delete-installation",
                json!({ "installation_id": installation_id }),
            )
            .await
        {
            Ok(_) => Ok(()),
            Err(problem) if problem.status() == 404 => Ok(()),
            Err(problem) => Err(problem),
        }
    }

    /// Proves that the user who authorized `code` can reach installation
    /// `installation_id`: exchanges the code for a user token and lists one repository of
    /// the installation with it. The token is not kept.
    pub async fn prove_access(
        &self,
        installation_id: &str,
        code: &str,
        redirect_uri: &str,
    ) -> Result<(), Problem> {
        let args = json!({"req": {
            "client": {
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "redirect_uri": redirect_uri,
                "web_url": self.web_url,
            },
            "code": code,
            "code_verifier": null,
        }});
        let tokens = client::call(PLUGIN, "oauth-exchange-code", Some(&args))
            .await
            .map_err(|e| {
                let problem = call_problem(&e).redact(code);
                if problem.status() >= 500 {
                    return self.redact(problem);
                }
                Problem::new(
                    403,
                    "github-app-authorization-failed",
                    "GitHub authorization failed",
                    format!(
                        "GitHub did not accept the authorization code of the installation \
                         (it is single-use and expires after 10 minutes; install or \
                         configure the app again to get a new one): {}",
                        problem.detail()
                    ),
                )
            })?;
        let token = tokens["access_token"].as_str().unwrap_or_default();
        let args = json!({
            "conn": {"api_url": "", "token": token, "workspace": installation_id},
            "page": {"cursor": null, "per_page": 1, "search": null},
        });
        match client::call(PLUGIN, "list-repositories", Some(&args)).await {
            Ok(_) => Ok(()),
            Err(CallError::Provider(crate::providers::protocol::ProviderError::NotFound(_))) => {
                Err(Problem::new(
                    403,
                    "github-app-installation-not-accessible",
                    "Installation not accessible",
                    format!(
                        "The GitHub account that authorized this connection cannot access \
                         installation {installation_id}; connect it with an account that \
                         administers it."
                    ),
                ))
            }
            Err(e) => Err(self.redact(call_problem(&e).redact(token))),
        }
    }
}

/// Seconds before its expiry a kept installation token is no longer used.
pub const TOKEN_MARGIN: i64 = 300;

/// A kept installation token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct KeptToken {
    installation_id: String,
    token: Sealed,
    expires_at: i64,
}

fn token_context(org: &str, installation_id: &str) -> String {
    format!("git-access/github-app/{org}/{installation_id}/token")
}

/// The kept token of `org`'s installation `installation_id`, while it has more than
/// [`TOKEN_MARGIN`] left. Anything unreadable counts as none.
pub fn kept_token(
    kv: &impl KeyValue,
    keyring: &Keyring,
    org: &str,
    installation_id: &str,
    now: i64,
) -> Option<String> {
    let kept: KeptToken = get_json(kv, &token_key(org)).ok().flatten()?;
    if kept.installation_id != installation_id || kept.expires_at - now <= TOKEN_MARGIN {
        return None;
    }
    let bytes = keyring
        .open(&kept.token, &token_context(org, installation_id))
        .ok()?;
    String::from_utf8(bytes).ok()
}

/// Keeps `token` of `org`'s installation for later requests.
pub fn keep_token(
    kv: &impl KeyValue,
    keyring: &Keyring,
    org: &str,
    installation_id: &str,
    token: &str,
    expires_at: i64,
) -> Result<(), Problem> {
    let kept = KeptToken {
        installation_id: installation_id.to_owned(),
        token: keyring.seal(token.as_bytes(), &token_context(org, installation_id))?,
        expires_at,
    };
    kv.set(&token_key(org), &encode_json(&kept))?;
    Ok(())
}

/// 501: the operator has not configured the GitHub App.
pub fn not_configured(missing: &[&str]) -> Problem {
    Problem::new(
        501,
        "github-app-not-configured",
        "GitHub App not configured",
        format!(
            "The GitHub App is not configured: set the Spin variables {}.",
            missing
                .iter()
                .map(|name| format!("'{name}'"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    )
}

fn call_problem(error: &CallError) -> Problem {
    error.to_problem(PLUGIN)
}

/// 422: the installation is suspended on GitHub.
pub fn suspended(connection: &Connection) -> Problem {
    Problem::new(
        422,
        "github-app-installation-suspended",
        "Installation suspended",
        format!(
            "The GitHub App installation {} on {} is suspended; unsuspend it on GitHub ({}) \
             first.",
            connection.installation_id, connection.account, connection.html_url
        ),
    )
}

/// 404: the organization has no installation connected.
pub fn not_connected() -> Problem {
    Problem::new(
        404,
        "github-app-not-connected",
        "GitHub App not connected",
        "This organization has no GitHub App installation connected; get an install link \
         with GET /organization/{organizationId}/github/connect.",
    )
}

/// An installation id as GitHub issues them: a positive decimal number.
pub fn checked_installation_id(raw: &str) -> Result<String, Problem> {
    let id = raw.trim();
    let digits = id.trim_start_matches('0');
    if digits.is_empty() || id.len() > 20 || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Problem::bad_request(
            "'installation_id' must be the GitHub App installation id, a positive number.",
        ));
    }
    Ok(digits.to_owned())
}

/// An organization's connected installation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Connection {
    /// Installation id.
    pub installation_id: String,
    /// Account (user or organization) the app is installed on.
    pub account: String,
    /// `all` or `selected`.
    pub repository_selection: String,
    /// Where the owner manages the installation on GitHub.
    pub html_url: String,
    /// Whether GitHub reported it suspended when last read.
    pub suspended: bool,
    /// RFC 3339.
    pub connected_at: String,
    /// Member who connected it.
    pub connected_by: String,
}

impl Connection {
    /// From a `get-installation` answer.
    pub fn from_installation(installation: &Value, at: i64, member: &str) -> Self {
        let text = |name: &str| installation[name].as_str().unwrap_or_default().to_owned();
        Self {
            installation_id: text("id"),
            account: text("account"),
            repository_selection: text("repository_selection"),
            html_url: text("html_url"),
            suspended: installation["suspended"].as_bool().unwrap_or(false),
            connected_at: clock::format(at),
            connected_by: member.to_owned(),
        }
    }

    /// The API shape.
    pub fn to_json(&self) -> Value {
        json!({
            "installation_id": self.installation_id,
            "account": self.account,
            "repository_selection": self.repository_selection,
            "html_url": self.html_url,
            "suspended": self.suspended,
            "connected_at": self.connected_at,
            "connected_by": self.connected_by,
        })
    }
}

/// A pending install link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingInstall {
    /// Organization to connect.
    pub organization_id: String,
    /// Member who asked for the link.
    pub member_id: String,
    /// Seconds since the epoch.
    pub expires_at: i64,
    /// Whether a callback consumed it.
    pub used: bool,
}

/// 400 for an install callback that cannot be trusted.
pub fn callback_failed(detail: impl Into<String>) -> Problem {
    Problem::new(
        400,
        "github-app-callback-failed",
        "GitHub App callback failed",
        detail,
    )
}

/// Consumes the pending install of `state_hash`: only one callback can.
pub fn consume_state(
    kv: &impl KeyValue,
    state_hash: &str,
    now: i64,
) -> Result<PendingInstall, Problem> {
    let key = state_key(state_hash);
    cas::update(kv, &key, |current| {
        let Some(bytes) = current else {
            return Err(callback_failed(
                "The install state is unknown; get a new install link and install again.",
            ));
        };
        let mut pending: PendingInstall = decode_json(&key, bytes)?;
        if pending.used {
            return Err(callback_failed(
                "This install link was already used; get a new one.",
            ));
        }
        if pending.expires_at < now {
            return Err(callback_failed(
                "The install link expired (it lasts 10 minutes); get a new one.",
            ));
        }
        pending.used = true;
        Ok(cas::Change::Write(encode_json(&pending), pending))
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Claim {
    organization_id: String,
}

/// Claims installation `id` for `org`: 409 when another organization holds it.
pub fn claim(kv: &impl KeyValue, id: &str, org: &str) -> Result<(), Problem> {
    let key = claim_key(id);
    cas::update(kv, &key, |current| {
        if let Some(bytes) = current {
            let claim: Claim = decode_json(&key, bytes)?;
            if claim.organization_id != org {
                return Err(Problem::new(
                    409,
                    "github-app-installation-taken",
                    "Installation connected elsewhere",
                    format!(
                        "Installation {id} is connected to another organization; disconnect \
                         it there first."
                    ),
                ));
            }
            return Ok(cas::Change::Keep(()));
        }
        let claim = Claim {
            organization_id: org.to_owned(),
        };
        Ok::<_, Problem>(cas::Change::Write(encode_json(&claim), ()))
    })
}

/// Stores `connection` as `org`'s, unless the organization holds another installation
/// (409: disconnect it first). The claim of its installation must be held already.
pub fn store_connection(
    kv: &impl KeyValue,
    org: &str,
    connection: &Connection,
) -> Result<Connection, Problem> {
    let key = connection_key(org);
    cas::update(kv, &key, |current| {
        let mut next = connection.clone();
        if let Some(bytes) = current {
            let existing: Connection = decode_json(&key, bytes)?;
            if existing.installation_id != connection.installation_id {
                return Err(Problem::new(
                    409,
                    "github-app-already-connected",
                    "Another installation is connected",
                    format!(
                        "This organization is connected to installation {} (on {}); \
                         disconnect it before connecting another.",
                        existing.installation_id, existing.account
                    ),
                ));
            }
            // Connecting again refreshes what GitHub says, not who connected it first.
            next.connected_at = existing.connected_at;
            next.connected_by = existing.connected_by;
        }
        Ok::<_, Problem>(cas::Change::Write(encode_json(&next), next))
    })
}

/// The organization's connection, if any.
pub fn connection(kv: &impl KeyValue, org: &str) -> Result<Option<Connection>, StateError> {
    get_json(kv, &connection_key(org))
}

/// The organization an installation is connected to, if any.
pub fn claimed_by(kv: &impl KeyValue, id: &str) -> Result<Option<String>, StateError> {
    Ok(get_json::<Claim>(kv, &claim_key(id))?.map(|claim| claim.organization_id))
}

/// The applications (id, name) of `org` that reach their repository through its
/// installation.
pub fn dependents(kv: &impl KeyValue, org: &str) -> Result<Vec<(String, String)>, StateError> {
    Ok(crate::applications::store::list(kv, org)?
        .into_iter()
        .filter(|a| a.github_app_installation_id.is_some())
        .map(|a| (a.id, a.name))
        .collect())
}

/// Removes `org`'s connection and releases its installation's claim (if it is still
/// `org`'s). Returns what was connected.
pub fn remove_connection(kv: &impl KeyValue, org: &str) -> Result<Option<Connection>, StateError> {
    let Some(existing) = connection(kv, org)? else {
        return Ok(None);
    };
    let claim_key = claim_key(&existing.installation_id);
    let mut doomed = vec![connection_key(org), token_key(org)];
    if get_json::<Claim>(kv, &claim_key)?.is_some_and(|c| c.organization_id == org) {
        doomed.push(claim_key);
    }
    kv.delete_many(&doomed)?;
    Ok(Some(existing))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::keyring::test_keys::{KEY_A, KEY_B};
    use crate::state::memory::MemoryStore;

    const ORG: &str = "0b5e0f5e-8f59-4b5e-9c3a-1d2e3f4a5b6c";
    const OTHER: &str = "1b5e0f5e-8f59-4b5e-9c3a-1d2e3f4a5b6c";

    fn connection_of(id: &str, member: &str) -> Connection {
        Connection::from_installation(
            &json!({"id": id, "account": "acme", "repository_selection": "selected",
                    "html_url": "https://github.com/organizations/acme/settings/installations/7",
                    "suspended": false}),
            1_700_000_000,
            member,
        )
    }

    #[test]
    fn installation_ids_are_positive_numbers() {
        assert_eq!(checked_installation_id(" 42 ").unwrap(), "42");
        assert_eq!(checked_installation_id("0042").unwrap(), "42");
        for bad in ["", "0", "00", "-1", "4 2", "x", "123456789012345678901"] {
            let problem = checked_installation_id(bad).unwrap_err();
            assert_eq!(problem.status(), 400, "{bad}");
        }
    }

    #[test]
    fn one_installation_belongs_to_one_organization() {
        let kv = MemoryStore::new();
        claim(&kv, "7", ORG).unwrap();
        claim(&kv, "7", ORG).unwrap();
        let problem = claim(&kv, "7", OTHER).unwrap_err();
        assert_eq!(problem.slug(), "github-app-installation-taken");
        // A concurrent claim by another organization between read and swap loses.
        let kv = MemoryStore::new();
        kv.interfere(|map| {
            map.insert(
                claim_key("8"),
                encode_json(&Claim {
                    organization_id: OTHER.into(),
                }),
            );
        });
        assert_eq!(
            claim(&kv, "8", ORG).unwrap_err().slug(),
            "github-app-installation-taken"
        );
    }

    #[test]
    fn an_organization_holds_one_installation_and_reconnecting_keeps_who_connected() {
        let kv = MemoryStore::new();
        let first = store_connection(&kv, ORG, &connection_of("7", "m-1")).unwrap();
        assert_eq!(first.connected_by, "m-1");
        let mut again = connection_of("7", "m-2");
        again.repository_selection = "all".into();
        again.connected_at = clock::format(1_800_000_000);
        let stored = store_connection(&kv, ORG, &again).unwrap();
        assert_eq!(stored.connected_by, "m-1");
        assert_eq!(stored.connected_at, first.connected_at);
        assert_eq!(stored.repository_selection, "all");
        let problem = store_connection(&kv, ORG, &connection_of("9", "m-1")).unwrap_err();
        assert_eq!(problem.status(), 409);
        assert!(
            problem.detail().contains("installation 7"),
            "{}",
            problem.detail()
        );
    }

    #[test]
    fn removing_releases_only_our_claim() {
        let kv = MemoryStore::new();
        claim(&kv, "7", ORG).unwrap();
        store_connection(&kv, ORG, &connection_of("7", "m")).unwrap();
        let removed = remove_connection(&kv, ORG).unwrap().unwrap();
        assert_eq!(removed.installation_id, "7");
        assert!(connection(&kv, ORG).unwrap().is_none());
        claim(&kv, "7", OTHER).unwrap();
        assert!(remove_connection(&kv, ORG).unwrap().is_none());
        // A stale record whose claim moved on leaves the other organization's claim.
        store_connection(&kv, ORG, &connection_of("7", "m")).unwrap();
        remove_connection(&kv, ORG).unwrap();
        assert_eq!(claim(&kv, "7", ORG).unwrap_err().status(), 409);
    }

    #[test]
    fn a_state_is_consumed_once_and_expires() {
        let kv = MemoryStore::new();
        let pending = PendingInstall {
            organization_id: ORG.into(),
            member_id: "m".into(),
            expires_at: 1_000,
            used: false,
        };
        kv.set(&state_key("h"), &encode_json(&pending)).unwrap();
        kv.set(&state_key("old"), &encode_json(&pending)).unwrap();
        assert_eq!(consume_state(&kv, "h", 999).unwrap().organization_id, ORG);
        assert!(consume_state(&kv, "h", 999)
            .unwrap_err()
            .detail()
            .contains("already used"));
        assert!(consume_state(&kv, "old", 1_001)
            .unwrap_err()
            .detail()
            .contains("expired"));
        assert!(consume_state(&kv, "nope", 0)
            .unwrap_err()
            .detail()
            .contains("unknown"));
    }

    #[test]
    fn a_kept_token_serves_its_installation_until_shortly_before_it_expires() {
        let kv = MemoryStore::new();
        let keyring = Keyring::from_base64(KEY_A, "").unwrap();
        let token = "ghs_0123456789abcdefghij";
        keep_token(&kv, &keyring, ORG, "7", token, 10_000).unwrap();
        let stored = String::from_utf8(kv.get(&token_key(ORG)).unwrap().unwrap()).unwrap();
        assert!(!stored.contains(token), "sealed: {stored}");
        assert_eq!(
            kept_token(&kv, &keyring, ORG, "7", 10_000 - TOKEN_MARGIN - 1).as_deref(),
            Some(token)
        );
        assert_eq!(
            kept_token(&kv, &keyring, ORG, "7", 10_000 - TOKEN_MARGIN),
            None
        );
        assert_eq!(
            kept_token(&kv, &keyring, ORG, "8", 0),
            None,
            "another installation"
        );
        assert_eq!(
            kept_token(&kv, &keyring, OTHER, "7", 0),
            None,
            "another organization"
        );
        let other_key = Keyring::from_base64(KEY_B, "").unwrap();
        assert_eq!(kept_token(&kv, &other_key, ORG, "7", 0), None, "unreadable");
        claim(&kv, "7", ORG).unwrap();
        store_connection(&kv, ORG, &connection_of("7", "m")).unwrap();
        remove_connection(&kv, ORG).unwrap();
        assert!(
            kv.get(&token_key(ORG)).unwrap().is_none(),
            "dropped on disconnect"
        );
    }

    #[test]
    fn install_url_and_secrets_stay_out_of_debug() {
        let config = AppConfig {
            app_id: "1".into(),
            private_key_pem: "-----BEGIN RSA PRIVATE KEY-----secret".into(),
            slug: "acme-deploy".into(),
            client_id: "Iv1.x".into(),
            client_secret: "cs_secret".into(),
            web_url: String::new(),
        };
        assert_eq!(
            config.install_url("abc"),
            "https://github.com/apps/acme-deploy/installations/new?state=abc"
        );
        let shown = format!("{config:?}");
        assert!(
            !shown.contains("BEGIN") && !shown.contains("cs_secret"),
            "{shown}"
        );
        let problem = config.redact(Problem::bad_request("key cs_secret leaked"));
        assert!(!problem.detail().contains("cs_secret"));
        let enterprise = AppConfig {
            web_url: "https://ghe.example.com/".into(),
            ..config
        };
        assert!(enterprise
            .install_url("s")
            .starts_with("https://ghe.example.com/apps/acme-deploy/"));
    }

    #[test]
    fn not_configured_names_the_variables() {
        let problem = not_configured(&["github_app_id", "github_app_private_key"]);
        assert_eq!(problem.status(), 501);
        assert!(problem
            .detail()
            .contains("'github_app_id', 'github_app_private_key'"));
    }
}
