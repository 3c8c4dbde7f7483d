//! Signed-in users: their records, sessions, linked Git accounts and the organizations
//! they belong to.
//!
//! A user comes from signing in with a Git provider (`handlers::sign_in`). A session
//! (`Authorization: Bearer <session>`) identifies the user; inside an organization it acts
//! as the member linked to that user (`user:<user>:organizations`, organization id →
//! member id, kept in step with the member records by compare-and-swap). A user who
//! creates an organization becomes its owner; owners and admins add other users as
//! members by their user id.

use serde::{Deserialize, Serialize};

use crate::clock;
use crate::crypto::Sealed;
use crate::problem::Problem;
use crate::providers;
use crate::state::{cas, get_json, index, keys, KeyValue, StateError};

/// A user record (`user:<user>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Id.
    pub id: String,
    /// Display name, from the provider account that created the user.
    pub name: String,
    /// RFC 3339.
    pub created_at: String,
}

/// A session (`auth:session:<sha256 of the session token>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// Whose session.
    pub user_id: String,
    /// Unix seconds.
    pub expires_at: i64,
}

/// A Git account linked by signing in (`user:<user>:gitaccount:<provider>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GitAccount {
    /// Provider id.
    pub provider: String,
    /// Account login at the provider.
    pub login: String,
    /// Token kind as the provider reported it.
    pub kind: String,
    /// Scopes granted.
    pub scopes: Vec<String>,
    /// The OAuth access token, sealed with [`GitAccount::token_context`].
    pub token: Sealed,
    /// When the access token stops working (Unix seconds), when the provider says so.
    #[serde(default)]
    pub expires_at: Option<i64>,
    /// The OAuth refresh token, sealed with [`GitAccount::refresh_context`], when the
    /// provider issued one: the access token is renewed with it instead of asking the user
    /// to sign in again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<Sealed>,
    /// The redirect URI the tokens were issued for (GitLab wants it again on refresh).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_uri: Option<String>,
    /// RFC 3339.
    pub linked_at: String,
    /// When the access token was last renewed (RFC 3339), if ever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renewed_at: Option<String>,
}

/// Seconds before its expiry at which an access token is renewed, so a call never starts
/// with a token about to stop working.
pub const RENEW_AHEAD: i64 = 60;

impl GitAccount {
    /// The associated data the token is sealed with.
    pub fn token_context(user: &str, provider: &str) -> String {
        format!("git-access/user/{user}/gitaccount/{provider}")
    }

    /// The associated data the refresh token is sealed with.
    pub fn refresh_context(user: &str, provider: &str) -> String {
        format!("{}/refresh", Self::token_context(user, provider))
    }

    /// Whether the access token has expired.
    pub fn expired(&self, now: i64) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }

    /// Whether the access token can be renewed without the user (a refresh token is kept).
    pub fn renewable(&self) -> bool {
        self.refresh_token.is_some()
    }

    /// Whether the sign-in no longer works and cannot be renewed: the user must sign in
    /// again.
    pub fn lost(&self, now: i64) -> bool {
        self.expired(now) && !self.renewable()
    }

    /// Whether the access token should be renewed before it is used.
    pub fn due_for_renewal(&self, now: i64) -> bool {
        self.renewable() && self.expires_at.is_some_and(|at| at - RENEW_AHEAD <= now)
    }
}

/// 401 with the Bearer challenge.
pub fn unauthorized(detail: impl Into<String>) -> Problem {
    Problem::new(401, "unauthorized", "Unauthorized", detail)
        .with_header("www-authenticate", "Bearer realm=\"git-access\"")
}

pub use crate::crypto::sha256_hex;

/// The user of session token `session`; 401 when it is unknown, expired or its user gone.
pub fn session_user(kv: &impl KeyValue, session: &str) -> Result<User, Problem> {
    let found: Option<Session> = get_json(kv, &keys::session(&sha256_hex(session)))?;
    let Some(found) = found.filter(|s| s.expires_at > clock::now()) else {
        return Err(unauthorized(
            "The session is unknown or has expired; sign in again.",
        ));
    };
    get_json::<User>(kv, &keys::user(&found.user_id))?
        .ok_or_else(|| unauthorized("The session's user no longer exists."))
}

/// A user record.
pub fn get(kv: &impl KeyValue, id: &str) -> Result<Option<User>, StateError> {
    get_json(kv, &keys::user(id))
}

/// The user's linked account at `provider`.
pub fn git_account(
    kv: &impl KeyValue,
    user: &str,
    provider: &str,
) -> Result<Option<GitAccount>, StateError> {
    get_json(kv, &keys::git_account(user, provider))
}

/// The organizations the user belongs to: organization id → member id.
pub fn memberships(kv: &impl KeyValue, user: &str) -> Result<index::Entries, StateError> {
    Ok(index::read(kv, &keys::user_organizations(user))?.unwrap_or_default())
}

/// The member the user is in `org`, if any.
pub fn member_in(kv: &impl KeyValue, user: &str, org: &str) -> Result<Option<String>, StateError> {
    Ok(memberships(kv, user)?.remove(org))
}

/// Records that `user` is member `member` of `org`; 409 when the user already is a member
/// of it.
pub fn join(kv: &impl KeyValue, user: &str, org: &str, member: &str) -> Result<(), Problem> {
    let key = keys::user_organizations(user);
    cas::update(kv, &key, |current| {
        let mut entries = match current {
            Some(bytes) => index::decode(&key, bytes)?,
            None => index::Entries::new(),
        };
        if let Some(existing) = entries.get(org) {
            if existing != member {
                return Err(Problem::new(
                    409,
                    "already-a-member",
                    "Already a member",
                    format!("User '{user}' is already member '{existing}' of this organization."),
                ));
            }
            return Ok(cas::Change::Keep(()));
        }
        entries.insert(org.to_owned(), member.to_owned());
        Ok(cas::Change::Write(index::encode(&entries), ()))
    })
}

/// Forgets that `user` belongs to `org` (nothing to do when it does not).
pub fn leave(kv: &impl KeyValue, user: &str, org: &str) -> Result<(), StateError> {
    let key = keys::user_organizations(user);
    cas::update(kv, &key, |current| {
        let Some(bytes) = current else {
            return Ok(cas::Change::Keep(()));
        };
        let mut entries = index::decode(&key, bytes)?;
        if entries.remove(org).is_none() {
            return Ok(cas::Change::Keep(()));
        }
        Ok(cas::Change::Write(index::encode(&entries), ()))
    })
}

/// 422 when the user has no account linked at `provider`.
pub fn not_linked(provider: &str) -> Problem {
    Problem::new(
        422,
        "git-account-not-linked",
        "No linked Git account",
        format!(
            "You have no {name} account linked: sign in with {name} (GET /auth/{provider}/login) \
             or choose an organization Git token.",
            name = providers::display_name(provider)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::memory::MemoryStore;

    #[test]
    fn memberships_join_and_leave() {
        let kv = MemoryStore::new();
        assert!(memberships(&kv, "u").unwrap().is_empty());
        join(&kv, "u", "o1", "m1").unwrap();
        join(&kv, "u", "o2", "m2").unwrap();
        // Joining again as the same member is a no-op; as another member a conflict.
        join(&kv, "u", "o1", "m1").unwrap();
        assert_eq!(join(&kv, "u", "o1", "m9").unwrap_err().status(), 409);
        assert_eq!(member_in(&kv, "u", "o1").unwrap().as_deref(), Some("m1"));
        leave(&kv, "u", "o1").unwrap();
        leave(&kv, "u", "o1").unwrap();
        assert_eq!(member_in(&kv, "u", "o1").unwrap(), None);
        assert_eq!(memberships(&kv, "u").unwrap().len(), 1);
    }

    #[test]
    fn accounts_expire_only_when_the_provider_says_so() {
        let account = GitAccount {
            provider: "gitlab".into(),
            login: "ada".into(),
            kind: "oauth".into(),
            scopes: vec![],
            token: Sealed {
                alg: "A256GCM".into(),
                kid: "k".into(),
                nonce: "n".into(),
                ciphertext: "c".into(),
            },
            expires_at: Some(100),
            refresh_token: None,
            redirect_uri: None,
            linked_at: "2026-01-01T00:00:00Z".into(),
            renewed_at: None,
        };
        assert!(!account.expired(99));
        assert!(account.expired(100));
        assert!(account.lost(100) && !account.due_for_renewal(100));
        let renewable = GitAccount {
            refresh_token: Some(account.token.clone()),
            ..account.clone()
        };
        assert!(!renewable.lost(100));
        assert!(!renewable.due_for_renewal(100 - RENEW_AHEAD - 1));
        assert!(renewable.due_for_renewal(100 - RENEW_AHEAD));
        let forever = GitAccount {
            expires_at: None,
            ..renewable
        };
        assert!(!forever.expired(i64::MAX));
        assert!(!forever.due_for_renewal(i64::MAX));
    }
}
