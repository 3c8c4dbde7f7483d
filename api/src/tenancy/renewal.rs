//! Renewal of a linked Git account's access token with the refresh token its provider
//! issued at sign-in (`oauth-refresh-token`, contract 0.2.0), so applications on a user's
//! own GitLab or Bitbucket account keep working after its two-hour tokens expire.
//!
//! A call renews the token when it is about to use one that has expired (or will within
//! [`RENEW_AHEAD`](super::users::RENEW_AHEAD) seconds), and once after the provider refused
//! it. One request at a time renews an account: it takes a short lease (by
//! compare-and-swap), and concurrent requests wait for its result instead of spending the
//! refresh token too (GitLab and GitHub rotate it: a second use is refused). The new
//! tokens are sealed and written back by compare-and-swap on the account record, and only
//! over the token that was renewed: when the user signed in again meanwhile, the stored
//! token wins and is used.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::clock;
use crate::crypto::Keyring;
use crate::providers::protocol::ProviderError;
use crate::providers::{self, client, CallError};
use crate::redact;
use crate::state::{cas, decode_json, encode_json, keys, KeyValue, StateError};

use super::users::{self, GitAccount};

/// Seconds a renewal holds its lease; a request that finds an older one takes over.
const LEASE_SECONDS: i64 = 15;
/// How long a request waits for another request's renewal, and how often it looks.
const WAIT: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(25);

/// A renewed access token and when it expires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Renewed {
    /// The access token to call with.
    pub token: String,
    /// When it stops working (Unix seconds), if the provider says.
    pub expires_at: Option<i64>,
}

/// The lease of the request renewing an account (`…:gitaccount:<provider>:renewal`).
#[derive(Debug, Serialize, Deserialize)]
struct Lease {
    /// The seal nonce of the token being renewed.
    token: String,
    /// Unix seconds after which another request may take over.
    until: i64,
}

/// Renews the access token of `stale`, the account `user` linked at its provider, stores
/// the new tokens and returns the access token to call with. Fails with `unauthorized` (a refusal, which callers record as
/// lost access) when the provider refuses the refresh token or cannot refresh at all, so
/// the user must sign in again.
pub async fn renew(
    kv: &impl KeyValue,
    user: &str,
    stale: &GitAccount,
) -> Result<Renewed, CallError> {
    let keyring = Keyring::from_variables().map_err(|p| internal(p.detail()))?;
    let lease = keys::git_account_renewal(user, &stale.provider);
    if !claim(kv, &lease, &stale.token.nonce, clock::now())? {
        if let Some(renewed) = wait_for_other(kv, &keyring, user, stale)? {
            return Ok(renewed);
        }
        // The other renewal did not finish in time: renew here.
    }
    // A renewal that ended between reading `stale` and taking the lease already stored a
    // token; renewing again would spend a rotated refresh token.
    if let Some(renewed) = renewed_meanwhile(kv, &keyring, user, stale)? {
        let _ = kv.delete_many(&[lease]);
        return Ok(renewed);
    }
    let renewed = renew_now(kv, &keyring, user, stale).await;
    // Best effort: a lease left behind expires.
    let _ = kv.delete_many(&[lease]);
    renewed
}

/// Takes the lease on renewing token `token` (its seal nonce), unless another request
/// holds a current one.
fn claim(kv: &impl KeyValue, key: &str, token: &str, now: i64) -> Result<bool, CallError> {
    cas::update(kv, key, |current| {
        let held = current
            .and_then(|bytes| serde_json::from_slice::<Lease>(bytes).ok())
            .is_some_and(|lease| lease.token == token && lease.until >= now);
        if held {
            return Ok::<_, StateError>(cas::Change::Keep(false));
        }
        let lease = Lease {
            token: token.to_owned(),
            until: now + LEASE_SECONDS,
        };
        Ok(cas::Change::Write(encode_json(&lease), true))
    })
    .map_err(|e| internal(e.to_string()))
}

/// The token another request's renewal stores, if it does within [`WAIT`].
fn wait_for_other(
    kv: &impl KeyValue,
    keyring: &Keyring,
    user: &str,
    stale: &GitAccount,
) -> Result<Option<Renewed>, CallError> {
    let lease = keys::git_account_renewal(user, &stale.provider);
    let started = std::time::Instant::now();
    while started.elapsed() < WAIT {
        std::thread::sleep(POLL);
        if let Some(renewed) = renewed_meanwhile(kv, keyring, user, stale)? {
            return Ok(Some(renewed));
        }
        if kv
            .get(&lease)
            .map_err(|e| internal(e.to_string()))?
            .is_none()
        {
            // Released without a new token (the renewal failed): renew here, where the
            // failure is reported.
            return Ok(None);
        }
    }
    Ok(None)
}

/// Renews now: the provider call and the write-back.
async fn renew_now(
    kv: &impl KeyValue,
    keyring: &Keyring,
    user: &str,
    stale: &GitAccount,
) -> Result<Renewed, CallError> {
    let provider = stale.provider.as_str();
    let name = providers::display_name(provider);
    let again = format!("user '{user}' must sign in with {name} again");
    let Some(sealed) = &stale.refresh_token else {
        return Err(refused(format!(
            "The {name} sign-in of user '{user}' ({}) has expired and has no refresh token; \
             {again}.",
            stale.login
        )));
    };
    let refresh = open(
        keyring,
        sealed,
        &GitAccount::refresh_context(user, provider),
    )?;
    let client = providers::oauth_client(provider, stale.redirect_uri.as_deref().unwrap_or(""))
        .map_err(|p| internal(p.detail()))?;
    let args = serde_json::json!({"req": {"client": client, "refresh_token": refresh}});
    let tokens = match client::call(provider, "oauth-refresh-token", Some(&args)).await {
        Ok(tokens) => tokens,
        Err(CallError::Provider(ProviderError::Unauthorized(message))) => {
            // The user may have signed in again meanwhile.
            if let Some(renewed) = renewed_meanwhile(kv, keyring, user, stale)? {
                return Ok(renewed);
            }
            return Err(refused(format!(
                "The {name} sign-in of user '{user}' ({}) expired and could not be renewed \
                 ({}).",
                stale.login,
                redact::text(message.trim().trim_end_matches('.'), &refresh)
            )));
        }
        Err(CallError::Provider(ProviderError::Unsupported(message))) => {
            return Err(refused(format!(
                "The {name} sign-in of user '{user}' ({}) expired and could not be renewed: \
                 the {provider} provider cannot refresh tokens ({}); {again}.",
                stale.login,
                redact::text(message.trim().trim_end_matches('.'), &refresh)
            )));
        }
        Err(error) => return Err(error),
    };
    let access = tokens["access_token"]
        .as_str()
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            internal(format!(
                "{name} renewed the sign-in without an access token"
            ))
        })?
        .to_owned();
    let mut fresh = stale.clone();
    fresh.token = keyring
        .seal(
            access.as_bytes(),
            &GitAccount::token_context(user, provider),
        )
        .map_err(|p| internal(p.detail()))?;
    // Providers that rotate refresh tokens send a new one; the others keep the old one.
    if let Some(rotated) = tokens["refresh_token"].as_str().filter(|t| !t.is_empty()) {
        fresh.refresh_token = Some(
            keyring
                .seal(
                    rotated.as_bytes(),
                    &GitAccount::refresh_context(user, provider),
                )
                .map_err(|p| internal(p.detail()))?,
        );
    }
    fresh.expires_at = tokens["expires_at"].as_str().and_then(clock::parse);
    fresh.renewed_at = Some(clock::format(clock::now()));
    store(kv, keyring, user, stale, fresh, access)
}

/// Writes `fresh` over `stale` unless the record changed meanwhile, in which case the
/// stored token is used (and ours, still valid where refresh tokens do not rotate, is
/// dropped).
fn store(
    kv: &impl KeyValue,
    keyring: &Keyring,
    user: &str,
    stale: &GitAccount,
    fresh: GitAccount,
    access: String,
) -> Result<Renewed, CallError> {
    let key = keys::git_account(user, &stale.provider);
    let outcome = cas::update(kv, &key, |current| {
        let Some(bytes) = current else {
            // Unlinked meanwhile: use the token for this request, store nothing.
            return Ok::<_, StateError>(cas::Change::Keep(None));
        };
        let stored: GitAccount = decode_json(&key, bytes)?;
        if stored.token.nonce != stale.token.nonce {
            return Ok(cas::Change::Keep(Some(stored)));
        }
        Ok(cas::Change::Write(encode_json(&fresh), None))
    })
    .map_err(|e| internal(e.to_string()))?;
    match outcome {
        Some(stored) => usable(keyring, user, &stored),
        None => Ok(Renewed {
            token: access,
            expires_at: fresh.expires_at,
        }),
    }
}

/// The account's token, when another request renewed it (or the user signed in again)
/// since `stale` was read.
fn renewed_meanwhile(
    kv: &impl KeyValue,
    keyring: &Keyring,
    user: &str,
    stale: &GitAccount,
) -> Result<Option<Renewed>, CallError> {
    let stored = users::git_account(kv, user, &stale.provider)
        .map_err(|e| internal(e.to_string()))?
        .filter(|stored| stored.token.nonce != stale.token.nonce);
    stored
        .map(|stored| usable(keyring, user, &stored))
        .transpose()
}

/// The stored account's token and expiry.
fn usable(keyring: &Keyring, user: &str, account: &GitAccount) -> Result<Renewed, CallError> {
    Ok(Renewed {
        token: open(
            keyring,
            &account.token,
            &GitAccount::token_context(user, &account.provider),
        )?,
        expires_at: account.expires_at,
    })
}

fn open(
    keyring: &Keyring,
    sealed: &crate::crypto::Sealed,
    context: &str,
) -> Result<String, CallError> {
    keyring
        .open(sealed, context)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| internal(format!("a sealed token cannot be opened ({context})")))
}

/// A refusal: the credential no longer works.
fn refused(message: String) -> CallError {
    CallError::Provider(ProviderError::Unauthorized(message))
}

/// Something on our side (keys, store) failed while renewing.
fn internal(message: impl Into<String>) -> CallError {
    CallError::Provider(ProviderError::Other(format!(
        "renewing the sign-in failed: {}",
        message.into()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::memory::MemoryStore;

    /// Base64 of the 32 bytes `0123456789abcdef0123456789abcdef`.
    const KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

    fn account(keyring: &Keyring, token: &str) -> GitAccount {
        GitAccount {
            provider: "gitlab".into(),
            login: "ada".into(),
            kind: "oauth".into(),
            scopes: vec!["api".into()],
            token: keyring
                .seal(token.as_bytes(), &GitAccount::token_context("u", "gitlab"))
                .unwrap(),
            expires_at: Some(100),
            refresh_token: Some(
                keyring
                    .seal(b"refresh-1", &GitAccount::refresh_context("u", "gitlab"))
                    .unwrap(),
            ),
            redirect_uri: Some("https://ga.example/auth/gitlab/callback".into()),
            linked_at: "2026-01-01T00:00:00Z".into(),
            renewed_at: None,
        }
    }

    fn stored(kv: &MemoryStore) -> Option<GitAccount> {
        users::git_account(kv, "u", "gitlab").unwrap()
    }

    #[test]
    fn renewed_tokens_replace_only_the_token_that_was_renewed() {
        let keyring = Keyring::from_base64(KEY, "").unwrap();
        let kv = MemoryStore::new();
        let stale = account(&keyring, "old-access");
        kv.set(&keys::git_account("u", "gitlab"), &encode_json(&stale))
            .unwrap();

        // Nobody renewed it meanwhile: the new tokens are stored.
        let mut fresh = account(&keyring, "new-access");
        fresh.expires_at = Some(7300);
        let renewed = store(
            &kv,
            &keyring,
            "u",
            &stale,
            fresh.clone(),
            "new-access".into(),
        );
        let new = Renewed {
            token: "new-access".into(),
            expires_at: Some(7300),
        };
        assert_eq!(renewed.ok(), Some(new.clone()));
        assert_eq!(stored(&kv), Some(fresh.clone()));
        assert_eq!(renewed_meanwhile(&kv, &keyring, "u", &fresh).unwrap(), None);

        // A request that renewed from the same stale record loses to the stored token.
        let late = account(&keyring, "late-access");
        let renewed = store(&kv, &keyring, "u", &stale, late, "late-access".into());
        assert_eq!(renewed.ok(), Some(new.clone()));
        assert_eq!(stored(&kv), Some(fresh));
        assert_eq!(
            renewed_meanwhile(&kv, &keyring, "u", &stale).unwrap(),
            Some(new)
        );

        // Unlinked meanwhile: the token serves this request, nothing is stored again.
        kv.delete_many(&[keys::git_account("u", "gitlab")]).unwrap();
        let again = account(&keyring, "again");
        let renewed = store(&kv, &keyring, "u", &stale, again, "again".into());
        assert_eq!(renewed.ok().map(|r| r.token).as_deref(), Some("again"));
        assert_eq!(stored(&kv), None);
    }

    #[test]
    fn one_request_at_a_time_renews_a_token() {
        let kv = MemoryStore::new();
        let key = keys::git_account_renewal("u", "gitlab");
        assert!(claim(&kv, &key, "n1", 100).unwrap());
        assert!(!claim(&kv, &key, "n1", 100 + LEASE_SECONDS).unwrap());
        // A lease left behind expires; a lease on another token does not hold.
        assert!(claim(&kv, &key, "n1", 101 + LEASE_SECONDS).unwrap());
        assert!(claim(&kv, &key, "n2", 102).unwrap());
        // Released: the waiting request stops waiting and renews itself.
        let keyring = Keyring::from_base64(KEY, "").unwrap();
        let stale = account(&keyring, "old");
        kv.set(&keys::git_account("u", "gitlab"), &encode_json(&stale))
            .unwrap();
        kv.delete_many(&[key]).unwrap();
        assert_eq!(wait_for_other(&kv, &keyring, "u", &stale).unwrap(), None);
    }

    #[test]
    fn failures_are_refusals_or_internal_errors_without_secrets() {
        assert!(matches!(
            refused("x".into()),
            CallError::Provider(ProviderError::Unauthorized(m)) if m == "x"
        ));
        assert!(matches!(
            internal("no key"),
            CallError::Provider(ProviderError::Other(m))
                if m == "renewing the sign-in failed: no key"
        ));
        let keyring = Keyring::from_base64(KEY, "").unwrap();
        let sealed = keyring.seal(b"secret", "context-a").unwrap();
        let error = open(&keyring, &sealed, "context-b").unwrap_err();
        assert!(!format!("{error:?}").contains("secret"), "{error:?}");
        assert_eq!(
            open(&keyring, &sealed, "context-a").ok().as_deref(),
            Some("secret")
        );
    }
}
