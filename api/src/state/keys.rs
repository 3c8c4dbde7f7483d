//! The key layout, in one place.
//!
//! ```text
//! meta:schema_version                      decimal schema version (see `schema`)
//! meta:healthz_checks                      8-byte LE counter bumped by GET /healthz
//! meta:organizations                       index: organization id → name
//! auth:apikey:<sha256 hex of the key>      {organization_id, api_key_id, member_id}
//! org:<org>                                organization record
//! org:<org>:members                        index: member id → role
//! org:<org>:member:<member>                member record (name, email)
//! org:<org>:apikeys                        index: API key id → member id
//! org:<org>:apikey:<key>                   API key record (name, member, hash; never the key)
//! org:<org>:gittokens                      index: Git token id → lowercase name
//! org:<org>:gittoken:<token>               Git token record, value sealed (AES-256-GCM)
//! org:<org>:gittoken:<token>:services      services using the token (see `git_tokens::usage`)
//! app:<app>                                {organization_id}: where an application lives
//! org:<org>:applications                   index: application id → lowercase name
//! org:<org>:application:<app>              application record, webhook secret sealed
//! org:<org>:application:<app>:feed         marker of the feed; events recorded before schema 3
//! org:<org>:application:<app>:feed:<n>     feed shard n: newest-first event and delivery ids (CAS)
//! org:<org>:application:<app>:event:<ev>   one normalized webhook event
//! org:<org>:application:<app>:audit        clone-credential audit trail (CAS, bounded)
//! oauth:state:<sha256 hex of state>        pending sign-in: provider, PKCE verifier, browser binding
//! auth:session:<sha256 hex of session>     {user_id, expires_at}
//! user:account:<provider>:<login>          {user_id}: who signed in with that account
//! user:<user>                              user record
//! user:<user>:gitaccount:<provider>        linked Git account, OAuth token sealed
//! user:<user>:organizations                index: organization id → member id (CAS)
//! org:<org>:githubapp                      connected GitHub App installation
//! org:<org>:githubapp:token                its latest installation token, sealed, until it expires
//! githubapp:installation:<id>              {organization_id}: who holds the installation (CAS)
//! githubapp:state:<sha256 hex of state>    pending GitHub App install link (CAS, single use)
//! ```
//!
//! `app:<app>` exists because the webhook receiver and `/service/{id}` routes get only
//! the application id; it is written once with the application and never changed.
//!
//! Every id is a UUID checked before it reaches here, so ids cannot smuggle a `:` into a
//! key. Everything an organization owns starts with `org:<org>`.

/// Schema version of the stored data.
pub const SCHEMA_VERSION: &str = "meta:schema_version";
/// Counter bumped by every `GET /healthz`.
pub const HEALTHZ_CHECKS: &str = "meta:healthz_checks";
/// Index of every organization (for migrations and operators).
pub const ORGANIZATIONS: &str = "meta:organizations";

/// Where an API key's hash leads to its organization and member.
pub fn api_key_lookup(hash_hex: &str) -> String {
    format!("auth:apikey:{hash_hex}")
}

/// An organization record.
pub fn organization(org: &str) -> String {
    format!("org:{org}")
}

/// Index of an organization's members (id → role).
pub fn members(org: &str) -> String {
    format!("org:{org}:members")
}

/// A member record.
pub fn member(org: &str, member: &str) -> String {
    format!("org:{org}:member:{member}")
}

/// Index of an organization's API keys (id → member id).
pub fn api_keys(org: &str) -> String {
    format!("org:{org}:apikeys")
}

/// An API key record.
pub fn api_key(org: &str, key: &str) -> String {
    format!("org:{org}:apikey:{key}")
}

/// Index of an organization's Git tokens (id → lowercase name).
pub fn git_tokens(org: &str) -> String {
    format!("org:{org}:gittokens")
}

/// A Git token record.
pub fn git_token(org: &str, token: &str) -> String {
    format!("org:{org}:gittoken:{token}")
}

/// The services that use a Git token.
pub fn git_token_services(org: &str, token: &str) -> String {
    format!("org:{org}:gittoken:{token}:services")
}

/// Where an application lives: `{organization_id}`.
pub fn application_lookup(app: &str) -> String {
    format!("app:{app}")
}

/// Index of an organization's applications (id → lowercase name).
pub fn applications(org: &str) -> String {
    format!("org:{org}:applications")
}

/// An application record.
pub fn application(org: &str, app: &str) -> String {
    format!("org:{org}:application:{app}")
}

/// An application's event feed (ids of its events, newest first, and delivery ids).
pub fn application_feed(org: &str, app: &str) -> String {
    format!("org:{org}:application:{app}:feed")
}

/// Shard `n` of an application's event feed.
pub fn application_feed_shard(org: &str, app: &str, n: usize) -> String {
    format!("org:{org}:application:{app}:feed:{n}")
}

/// One event of an application.
pub fn application_event(org: &str, app: &str, event: &str) -> String {
    format!("org:{org}:application:{app}:event:{event}")
}

/// An application's audit trail.
pub fn application_audit(org: &str, app: &str) -> String {
    format!("org:{org}:application:{app}:audit")
}

/// A pending OAuth sign-in, by the SHA-256 of its `state`.
pub fn oauth_state(state_hash: &str) -> String {
    format!("oauth:state:{state_hash}")
}

/// A user session, by the SHA-256 of the session token.
pub fn session(session_hash: &str) -> String {
    format!("auth:session:{session_hash}")
}

/// The user who signed in with a provider account (`login` lowercase).
pub fn user_account(provider: &str, login: &str) -> String {
    format!("user:account:{provider}:{login}")
}

/// A user record.
pub fn user(user: &str) -> String {
    format!("user:{user}")
}

/// A user's linked Git account at a provider.
pub fn git_account(user: &str, provider: &str) -> String {
    format!("user:{user}:gitaccount:{provider}")
}

/// The lease of the request renewing that account's access token
/// ([`crate::tenancy::renewal`]).
pub fn git_account_renewal(user: &str, provider: &str) -> String {
    format!("user:{user}:gitaccount:{provider}:renewal")
}

/// The organizations a user belongs to (organization id → member id).
pub fn user_organizations(user: &str) -> String {
    format!("user:{user}:organizations")
}

/// An organization's connected GitHub App installation.
pub fn github_app_connection(org: &str) -> String {
    format!("org:{org}:githubapp")
}

/// The latest installation token of an organization's GitHub App installation.
pub fn github_app_token(org: &str) -> String {
    format!("org:{org}:githubapp:token")
}

/// Which organization holds a GitHub App installation.
pub fn github_app_claim(installation_id: &str) -> String {
    format!("githubapp:installation:{installation_id}")
}

/// A pending GitHub App install link, by the SHA-256 of its state.
pub fn github_app_state(state_hash: &str) -> String {
    format!("githubapp:state:{state_hash}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn organization_keys_share_the_org_prefix() {
        let org = "0b5e0f5e-8f59-4b5e-9c3a-1d2e3f4a5b6c";
        for key in [
            organization(org),
            members(org),
            member(org, "m"),
            api_keys(org),
            api_key(org, "k"),
            git_tokens(org),
            git_token(org, "t"),
            git_token_services(org, "t"),
            applications(org),
            application(org, "a"),
            application_feed(org, "a"),
            application_event(org, "a", "e"),
            application_audit(org, "a"),
            github_app_connection(org),
            github_app_token(org),
        ] {
            assert!(key.starts_with(&format!("org:{org}")), "{key}");
        }
        assert_eq!(git_token_services("o", "t"), "org:o:gittoken:t:services");
    }
}
