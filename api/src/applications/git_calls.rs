//! The provider calls applications make, as one account: an organization Git token
//! (its value read fresh from the store on every call, so a PUT applies at once), the Git
//! account a user linked by signing in (read fresh too, so signing in again applies at
//! once; renewed with its refresh token when it has expired or the provider refuses it),
//! the organization's GitHub App installation (a short-lived installation token minted
//! for the request), or anonymous access to a public repository.

use std::cell::{Cell, OnceCell};
use std::fmt;

use serde_json::{json, Value};

use super::request::RepositoryRef;
use crate::clock;
use crate::crypto::Keyring;
use crate::git_tokens::store as token_store;
use crate::github_app::{self, AppConfig};
use crate::problem::Problem;
use crate::providers::protocol::ProviderError;
use crate::providers::{self, client, CallError};
use crate::redact;
use crate::state::{KeyValue, WasiStore};
use crate::tenancy::renewal;
use crate::tenancy::users::{self, GitAccount};

/// Who calls the provider.
#[derive(Clone, PartialEq, Eq)]
pub struct Account {
    /// Provider id.
    pub provider: String,
    /// The Git token, if any.
    pub git_token_id: Option<String>,
    /// The user whose linked account this is, if any.
    pub user_id: Option<String>,
    /// The organization's GitHub App installation, if the account is one.
    pub installation_id: Option<String>,
    api_url: Option<String>,
    workspace: Option<String>,
    token: String,
    /// The GitHub App and the organization, for an installation.
    app: Option<(AppConfig, String)>,
    /// The linked account as read, for a user account that can be renewed.
    renewable: Option<GitAccount>,
    /// The token obtained during this request: an installation token minted, or a user
    /// account's renewed access token.
    minted: OnceCell<String>,
    /// When the user account's token expires, as read or as renewed.
    expires_at: Cell<Option<i64>>,
}

impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Account")
            .field("provider", &self.provider)
            .field("git_token_id", &self.git_token_id)
            .field("user_id", &self.user_id)
            .field("installation_id", &self.installation_id)
            .field("token", &redact::MARK)
            .finish()
    }
}

/// 422: the token has expired.
pub fn token_expired(id: &str) -> Problem {
    Problem::new(
        422,
        "git-token-expired",
        "Git token expired",
        format!(
            "The Git token '{id}' has expired; renew its value with PUT \
             /organization/{{organizationId}}/gitToken/{id} or choose another token."
        ),
    )
}

impl Account {
    /// Anonymous access (public repositories).
    pub fn anonymous(provider: &str) -> Self {
        Self {
            provider: provider.to_owned(),
            git_token_id: None,
            user_id: None,
            installation_id: None,
            api_url: None,
            workspace: None,
            token: String::new(),
            app: None,
            renewable: None,
            minted: OnceCell::new(),
            expires_at: Cell::new(None),
        }
    }

    /// The account of Git token `id` of `org` for `provider`, with its current value.
    /// 422 when the token does not exist, is for another provider or has expired.
    pub fn of_token(
        kv: &impl KeyValue,
        org: &str,
        provider: &str,
        id: &str,
        now: i64,
    ) -> Result<Self, Problem> {
        let keyring = Keyring::from_variables()?;
        let creds = token_store::credentials(kv, &keyring, org, id, now).map_err(|problem| {
            if problem.status() == 404 {
                Problem::new(
                    422,
                    "git-token-not-found",
                    "Git token not found",
                    format!("No Git token '{id}' exists in this organization."),
                )
            } else {
                problem
            }
        })?;
        if creds.provider != provider {
            return Err(Problem::new(
                422,
                "git-token-provider-mismatch",
                "Git token for another provider",
                format!(
                    "The Git token '{id}' is a {} token; this repository is on {}.",
                    providers::type_name(&creds.provider),
                    providers::type_name(provider)
                ),
            ));
        }
        if creds.expired {
            return Err(token_expired(id));
        }
        Ok(Self {
            provider: provider.to_owned(),
            git_token_id: Some(id.to_owned()),
            user_id: None,
            installation_id: None,
            api_url: creds.git_api_url,
            workspace: creds.workspace,
            token: creds.token,
            app: None,
            renewable: None,
            minted: OnceCell::new(),
            expires_at: Cell::new(None),
        })
    }

    /// The Git account `user` linked at `provider` by signing in, with its current token.
    /// 422 when it is not linked (any more) or its sign-in has expired.
    pub fn of_user(
        kv: &impl KeyValue,
        user: &str,
        provider: &str,
        now: i64,
    ) -> Result<Self, Problem> {
        let name = providers::display_name(provider);
        let account = users::git_account(kv, user, provider)?.ok_or_else(|| {
            Problem::new(
                422,
                "git-account-not-linked",
                "Git account not linked",
                format!(
                    "User '{user}' has no {name} account linked any more; that user must sign \
                     in with {name} again."
                ),
            )
        })?;
        // An expired token with a refresh token is renewed on first use.
        if account.lost(now) {
            return Err(Problem::new(
                422,
                "git-account-expired",
                "Git account sign-in expired",
                format!(
                    "The {name} sign-in of user '{user}' ({}) expired at {}; that user must \
                     sign in with {name} again.",
                    account.login,
                    clock::format(account.expires_at.unwrap_or_default())
                ),
            ));
        }
        let keyring = Keyring::from_variables()?;
        let token = keyring
            .open(&account.token, &GitAccount::token_context(user, provider))
            .map_err(|e| {
                Problem::configuration(format!(
                    "The {name} token of user '{user}' cannot be opened: {e}."
                ))
            })?;
        Ok(Self {
            provider: provider.to_owned(),
            git_token_id: None,
            user_id: Some(user.to_owned()),
            installation_id: None,
            api_url: None,
            workspace: None,
            token: String::from_utf8(token).map_err(|_| {
                Problem::configuration(format!("The {name} token of user '{user}' is not UTF-8."))
            })?,
            app: None,
            expires_at: Cell::new(account.expires_at),
            renewable: account.renewable().then_some(account),
            minted: OnceCell::new(),
        })
    }

    /// The GitHub App installation connected to `org` (its calls go to the `github-app`
    /// plugin with an installation token minted on first use). 422 when none is connected,
    /// it is not `expected` (when given) or it is suspended.
    pub fn of_installation(
        kv: &impl KeyValue,
        org: &str,
        expected: Option<&str>,
    ) -> Result<Self, Problem> {
        let connection = github_app::connection(kv, org)?
            .filter(|c| expected.is_none_or(|id| id == c.installation_id))
            .ok_or_else(|| {
                Problem::new(
                    422,
                    "github-app-not-connected",
                    "GitHub App not connected",
                    match expected {
                        Some(id) => format!(
                            "The GitHub App installation {id} is no longer connected to this \
                             organization; connect it again."
                        ),
                        None => "This organization has no GitHub App installation connected; \
                                 connect one first (GET /organization/{organizationId}/github/connect)."
                            .to_owned(),
                    },
                )
            })?;
        if connection.suspended {
            return Err(github_app::suspended(&connection));
        }
        let config = AppConfig::from_variables()?;
        let minted = OnceCell::new();
        if let Some(token) = Keyring::from_variables().ok().and_then(|keyring| {
            github_app::kept_token(kv, &keyring, org, &connection.installation_id, clock::now())
        }) {
            let _ = minted.set(token);
        }
        Ok(Self {
            provider: github_app::PLUGIN.to_owned(),
            git_token_id: None,
            user_id: None,
            installation_id: Some(connection.installation_id),
            api_url: None,
            workspace: None,
            token: String::new(),
            app: Some((config, org.to_owned())),
            renewable: None,
            minted,
            expires_at: Cell::new(None),
        })
    }

    /// Whether the account has credentials (a token or a linked account), so git-access
    /// can manage the repository's webhook itself.
    pub fn has_credentials(&self) -> bool {
        self.git_token_id.is_some() || self.user_id.is_some() || self.installation_id.is_some()
    }

    /// `git_token:<id>`, `user:<id>`, `github_app:<installation id>` or `anonymous`, for
    /// audit records.
    pub fn label(&self) -> String {
        match (&self.git_token_id, &self.user_id, &self.installation_id) {
            (Some(id), _, _) => format!("git_token:{id}"),
            (None, Some(user), _) => format!("user:{user}"),
            (None, None, Some(id)) => format!("github_app:{id}"),
            (None, None, None) => "anonymous".to_owned(),
        }
    }

    /// The token to call with: the stored one, renewed first when it is due; or for an
    /// installation the kept one or one minted now (and kept for later requests).
    async fn token(&self) -> Result<String, CallError> {
        if let Some(token) = self.minted.get() {
            return Ok(token.clone());
        }
        if let Some(stale) = &self.renewable {
            if stale.due_for_renewal(clock::now()) {
                return self.renew(stale).await;
            }
        }
        let (Some((app, org)), Some(id)) = (&self.app, &self.installation_id) else {
            return Ok(self.token.clone());
        };
        let (token, expires_at) = app.mint_token(id).await?;
        if let (Some(expires_at), Ok(kv), Ok(keyring)) =
            (expires_at, WasiStore::open(), Keyring::from_variables())
        {
            // Best effort: without it the next request mints another.
            let _ = github_app::keep_token(&kv, &keyring, org, id, &token, expires_at);
        }
        Ok(self.minted.get_or_init(|| token).clone())
    }

    /// Renews a user account's access token with its refresh token, once per request.
    async fn renew(&self, stale: &GitAccount) -> Result<String, CallError> {
        let (Some(user), Ok(kv)) = (&self.user_id, WasiStore::open()) else {
            return Ok(self.token.clone());
        };
        let renewed = renewal::renew(&kv, user, stale).await?;
        self.expires_at.set(renewed.expires_at);
        Ok(self.minted.get_or_init(|| renewed.token).clone())
    }

    /// When the user account's token stops working (Unix seconds), as last read or
    /// renewed; `None` for other accounts or a token without expiry.
    pub fn user_token_expires_at(&self) -> Option<i64> {
        self.expires_at.get()
    }

    /// Whether a refused call may be retried with a renewed token: a renewable user
    /// account not renewed yet in this request.
    fn may_renew_after(&self, error: &CallError) -> bool {
        self.renewable.is_some() && self.minted.get().is_none() && is_refusal(error)
    }

    /// Drops a kept installation token GitHub refused (revoked early, app changed).
    fn forget_refused_token(&self, error: &CallError) {
        if let (Some((_, org)), true) = (&self.app, is_refusal(error)) {
            if let Ok(kv) = WasiStore::open() {
                let _ = kv.delete_many(&[github_app::token_key(org)]);
            }
        }
    }

    fn conn(&self, token: &str) -> Value {
        json!({
            "api_url": self.api_url.as_deref().unwrap_or_default(),
            "token": token,
            "workspace": self.workspace,
        })
    }

    /// Calls `function` with `{conn, repo, …extra}`; the answer is redacted of the token.
    pub async fn call(
        &self,
        function: &str,
        repo: &RepositoryRef,
        extra: Value,
    ) -> Result<Value, CallError> {
        self.call_redacting(function, Some(repo), extra, true).await
    }

    /// Calls `function` with `{conn, …extra}` (no repository); the answer is redacted.
    pub async fn call_account(&self, function: &str, extra: Value) -> Result<Value, CallError> {
        self.call_redacting(function, None, extra, true).await
    }

    /// `clone-credentials`: the one answer that carries the token on purpose (errors are
    /// still redacted).
    pub async fn clone_access(&self, repo: &RepositoryRef) -> Result<Value, CallError> {
        self.call_redacting("clone-credentials", Some(repo), json!({}), false)
            .await
    }

    async fn call_redacting(
        &self,
        function: &str,
        repo: Option<&RepositoryRef>,
        extra: Value,
        redact_answer: bool,
    ) -> Result<Value, CallError> {
        let mut token = self.token().await?;
        let mut args = json!({ "conn": self.conn(&token) });
        if let (Some(args), Some(repo)) = (args.as_object_mut(), repo) {
            args.insert(
                "repo".into(),
                json!({"owner": repo.owner, "name": repo.name}),
            );
        }
        if let (Some(args), Value::Object(extra)) = (args.as_object_mut(), extra) {
            args.extend(extra);
        }
        let mut outcome = client::call(&self.provider, function, Some(&args)).await;
        if let Err(error) = &outcome {
            self.forget_refused_token(error);
            // Refused before its expiry (revoked, or the clocks disagree): renew once.
            if let (true, Some(stale)) = (self.may_renew_after(error), &self.renewable) {
                token = self.renew(stale).await?;
                args["conn"] = self.conn(&token);
                outcome = client::call(&self.provider, function, Some(&args)).await;
            }
        }
        match &mut outcome {
            Ok(value) if redact_answer => redact::value(value, &token),
            Ok(_) => {}
            Err(CallError::Provider(error)) => redact_error(error, &token),
            Err(_) => {}
        }
        outcome
    }

    /// The problem for a failed call, redacted of the token.
    pub fn problem(&self, error: &CallError) -> Problem {
        let problem = error.to_problem(&self.provider).redact(&self.token);
        match self.minted.get() {
            Some(minted) => problem.redact(minted),
            None => problem,
        }
    }

    /// Redacts `secret` (e.g. a webhook secret) from a provider answer's text too.
    pub fn redact_also(error: &mut CallError, secret: &str) {
        if let CallError::Provider(e) = error {
            redact_error(e, secret);
        }
    }
}

/// Whether the error says the credential itself was refused (invalid, expired, revoked).
pub fn is_refusal(error: &CallError) -> bool {
    matches!(error, CallError::Provider(ProviderError::Unauthorized(_)))
}

/// Whether the error says the thing does not exist.
pub fn is_not_found(error: &CallError) -> bool {
    matches!(error, CallError::Provider(ProviderError::NotFound(_)))
}

/// The provider's message, for reasons shown to users.
pub fn message(error: &CallError) -> String {
    match error {
        CallError::Provider(
            ProviderError::Unauthorized(m)
            | ProviderError::NotFound(m)
            | ProviderError::InvalidInput(m)
            | ProviderError::Unsupported(m)
            | ProviderError::Other(m),
        ) => m.clone(),
        CallError::Provider(
            ProviderError::Forbidden { message, .. }
            | ProviderError::RateLimited { message, .. }
            | ProviderError::Unavailable { message, .. },
        ) => message.clone(),
        other => other.to_string(),
    }
}

fn redact_error(error: &mut ProviderError, secret: &str) {
    let text = |m: &mut String| *m = redact::text(m, secret);
    match error {
        ProviderError::Unauthorized(m)
        | ProviderError::NotFound(m)
        | ProviderError::InvalidInput(m)
        | ProviderError::Unsupported(m)
        | ProviderError::Other(m) => text(m),
        ProviderError::Forbidden { message, .. }
        | ProviderError::RateLimited { message, .. }
        | ProviderError::Unavailable { message, .. } => text(message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_token_and_errors_are_redacted() {
        let mut account = Account::anonymous("github");
        account.token = "ghp_secretvalue_0000".into();
        assert!(!format!("{account:?}").contains("ghp_"));
        let mut error = CallError::Provider(ProviderError::Unauthorized(
            "token ghp_secretvalue_0000 refused, secret whsec_0123456789".into(),
        ));
        Account::redact_also(&mut error, "whsec_0123456789");
        let detail = account.problem(&error).detail().to_owned();
        assert!(!detail.contains("ghp_secret"), "{detail}");
        assert!(!detail.contains("whsec_"), "{detail}");
        assert!(is_refusal(&error));
        assert_eq!(account.label(), "anonymous");
    }
}
