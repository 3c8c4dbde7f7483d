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
//! ```
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
        ] {
            assert!(key.starts_with(&format!("org:{org}")), "{key}");
        }
        assert_eq!(git_token_services("o", "t"), "org:o:gittoken:t:services");
    }
}
