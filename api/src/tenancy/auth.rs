//! Authentication and the organization check every organization route starts with.
//!
//! `Authorization: Token <API key>`: the key's SHA-256 leads to its organization and
//! member (`auth:apikey:<hash>`); the member index gives the role. A key of another
//! organization gets the same 404 as an organization that does not exist.
//!
//! The bootstrap token (Spin variable `bootstrap_token`) is the operator's: it is accepted
//! only by `POST /organization`, which creates an organization with its owner and first
//! API key. Leaving the variable empty turns organization creation off.

use sha2::{Digest, Sha256};

use super::api_keys::{self, Lookup};
use super::{members, organization_not_found, users, Role};
use crate::problem::Problem;
use crate::state::{decode_json, keys, schema, KeyValue};

/// Spin variable holding the bootstrap token.
pub const BOOTSTRAP_VARIABLE: &str = "bootstrap_token";

/// Who is calling, within the organization of the path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The organization.
    pub organization_id: String,
    /// The member the credential acts as.
    pub member_id: String,
    /// The API key used, when the caller sent one.
    pub api_key_id: Option<String>,
    /// The signed-in user, when the caller sent a session.
    pub user_id: Option<String>,
    /// The member's role.
    pub role: Role,
}

/// What the `Authorization` header holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential<'a> {
    /// `Token <API key>`.
    ApiKey(&'a str),
    /// `Bearer <session>` from sign-in.
    Session(&'a str),
}

/// 401 with the challenge header.
pub fn unauthorized(detail: impl Into<String>) -> Problem {
    Problem::new(401, "unauthorized", "Unauthorized", detail)
        .with_header("www-authenticate", "Token realm=\"git-access\"")
}

/// The credential of `Authorization: Token <key>` or `Authorization: Bearer <session>`.
pub fn credential(authorization: Option<&str>) -> Result<Credential<'_>, Problem> {
    let Some(header) = authorization.map(str::trim).filter(|h| !h.is_empty()) else {
        return Err(unauthorized(
            "This endpoint needs an organization API key (`Authorization: Token <key>`) or a \
             session from sign-in (`Authorization: Bearer <session>`).",
        ));
    };
    let (scheme, credential) = header.split_once(' ').unwrap_or((header, ""));
    let credential = credential.trim();
    let session = scheme.eq_ignore_ascii_case("bearer");
    if !session && !scheme.eq_ignore_ascii_case("token") {
        return Err(unauthorized(
            "Unsupported authorization scheme; send `Authorization: Token <key>` or \
             `Authorization: Bearer <session>`.",
        ));
    }
    if credential.is_empty() {
        return Err(unauthorized(format!(
            "The `Authorization: {}` header has no credential.",
            if session { "Bearer" } else { "Token" }
        )));
    }
    Ok(if session {
        Credential::Session(credential)
    } else {
        Credential::ApiKey(credential)
    })
}

/// The credential of `Authorization: Token <credential>` (the bootstrap token).
pub fn token_credential(authorization: Option<&str>) -> Result<&str, Problem> {
    match credential(authorization)? {
        Credential::ApiKey(secret) => Ok(secret),
        Credential::Session(_) => Err(unauthorized(
            "This endpoint needs `Authorization: Token <key>`, not a session.",
        )),
    }
}

/// Authenticates the API key or session and checks that its member belongs to
/// `organization`; also brings the store's schema up to date (read in the same batch as
/// the key).
pub fn authenticate(
    kv: &impl KeyValue,
    authorization: Option<&str>,
    organization: &str,
) -> Result<Caller, Problem> {
    let secret = match credential(authorization)? {
        Credential::ApiKey(secret) => secret,
        Credential::Session(session) => return authenticate_session(kv, session, organization),
    };
    let lookup_key = keys::api_key_lookup(&api_keys::hash(secret));
    let mut found = kv
        .get_many(&[keys::SCHEMA_VERSION.to_owned(), lookup_key.clone()])?
        .into_iter();
    let version = found.next().flatten();
    let lookup = found.next().flatten();
    schema::ensure(kv, version.as_deref())?;
    let Some(lookup) = lookup else {
        return Err(unauthorized(
            "The API key is not valid: it is unknown or was revoked.",
        ));
    };
    let lookup: Lookup = decode_json(&lookup_key, &lookup)?;
    if lookup.organization_id != organization {
        return Err(organization_not_found(organization));
    }
    let role = members::role_of(kv, organization, &lookup.member_id)?.ok_or_else(|| {
        unauthorized("The API key is not valid: its member was removed from the organization.")
    })?;
    Ok(Caller {
        organization_id: lookup.organization_id,
        member_id: lookup.member_id,
        api_key_id: Some(lookup.api_key_id),
        user_id: None,
        role,
    })
}

/// A session acts as the member its user is in `organization`; a user who is not a
/// member gets the same 404 as an organization that does not exist.
fn authenticate_session(
    kv: &impl KeyValue,
    session: &str,
    organization: &str,
) -> Result<Caller, Problem> {
    schema::ensure(kv, kv.get(keys::SCHEMA_VERSION)?.as_deref())?;
    let user = users::session_user(kv, session)?;
    let member = users::member_in(kv, &user.id, organization)?
        .ok_or_else(|| organization_not_found(organization))?;
    let role = members::role_of(kv, organization, &member)?
        .ok_or_else(|| organization_not_found(organization))?;
    Ok(Caller {
        organization_id: organization.to_owned(),
        member_id: member,
        api_key_id: None,
        user_id: Some(user.id),
        role,
    })
}

/// Checks the operator's bootstrap token (constant-time comparison of digests).
pub fn check_bootstrap(authorization: Option<&str>, configured: &str) -> Result<(), Problem> {
    if configured.trim().is_empty() {
        return Err(Problem::new(
            403,
            "forbidden",
            "Forbidden",
            format!(
                "Creating organizations is turned off: the Spin variable '{BOOTSTRAP_VARIABLE}' \
                 is empty."
            ),
        ));
    }
    let presented = token_credential(authorization)?;
    let a = Sha256::digest(presented.as_bytes());
    let b = Sha256::digest(configured.trim().as_bytes());
    let difference = a
        .iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y));
    if difference != 0 {
        return Err(unauthorized(
            "Creating an organization needs the operator's bootstrap token: send \
             `Authorization: Token <bootstrap_token>`.",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::memory::MemoryStore;
    use crate::tenancy::members::{self, MemberFields};
    use crate::tenancy::organizations::{create, Created, NewOrganization};

    fn org(kv: &MemoryStore, name: &str) -> Created {
        create(
            kv,
            NewOrganization {
                name: name.into(),
                description: None,
                owner_name: "owner".into(),
                owner_email: None,
                owner_user_id: None,
            },
        )
        .unwrap()
    }

    fn header(secret: &str) -> String {
        format!("Token {secret}")
    }

    #[test]
    fn a_key_opens_its_own_organization_only() {
        let kv = MemoryStore::new();
        let acme = org(&kv, "Acme");
        let other = org(&kv, "Other");
        let caller =
            authenticate(&kv, Some(&header(acme.key_secret())), &acme.organization.id).unwrap();
        assert_eq!(caller.role, Role::Owner);
        assert_eq!(caller.member_id, acme.owner.id);
        let problem = authenticate(
            &kv,
            Some(&header(acme.key_secret())),
            &other.organization.id,
        )
        .unwrap_err();
        assert_eq!(problem.status(), 404);
        assert_eq!(
            problem.detail(),
            format!("Organization '{}' was not found.", other.organization.id)
        );
        // The schema was initialised on the way.
        assert_eq!(
            kv.get(keys::SCHEMA_VERSION).unwrap().unwrap(),
            schema::CURRENT.to_string().as_bytes()
        );
    }

    #[test]
    fn missing_wrong_and_revoked_keys_are_401() {
        let kv = MemoryStore::new();
        let acme = org(&kv, "Acme");
        let org_id = &acme.organization.id;
        for (authorization, detail) in [
            (None, "This endpoint needs an organization API key (`Authorization: Token <key>`) or a session from sign-in (`Authorization: Bearer <session>`)."),
            (Some("Basic abc"), "Unsupported authorization scheme; send `Authorization: Token <key>` or `Authorization: Bearer <session>`."),
            (Some("Token"), "The `Authorization: Token` header has no credential."),
            (Some("Token gak_nope"), "The API key is not valid: it is unknown or was revoked."),
        ] {
            let problem = authenticate(&kv, authorization, org_id).unwrap_err();
            assert_eq!(problem.status(), 401, "{authorization:?}");
            assert_eq!(problem.detail(), detail);
            let reply = problem.into_reply();
            assert_eq!(reply.header("www-authenticate"), Some("Token realm=\"git-access\""));
        }
        // Removing the member revokes its keys.
        let dev = members::add(
            &kv,
            org_id,
            MemberFields {
                name: "ci".into(),
                email: None,
                role: Role::Devops,
                user_id: None,
            },
        )
        .unwrap();
        let (_, secret) = api_keys::mint(&kv, org_id, &dev.id, "ci", None).unwrap();
        assert_eq!(
            authenticate(&kv, Some(&header(&secret)), org_id)
                .unwrap()
                .role,
            Role::Devops
        );
        members::remove(&kv, org_id, &dev.id).unwrap();
        assert_eq!(
            authenticate(&kv, Some(&header(&secret)), org_id)
                .unwrap_err()
                .status(),
            401
        );
    }

    #[test]
    fn a_session_acts_as_its_users_member() {
        use crate::state::encode_json;
        use crate::tenancy::users::{sha256_hex, Session, User};
        let kv = MemoryStore::new();
        let acme = org(&kv, "Acme");
        let org_id = &acme.organization.id;
        let user = User {
            id: "9f1c2a4e-1d2b-4c3d-8e4f-5a6b7c8d9e0f".into(),
            name: "ada".into(),
            created_at: "2026-01-01T00:00:00Z".into(),
        };
        kv.set(&keys::user(&user.id), &encode_json(&user)).unwrap();
        let session = |expires_at| {
            encode_json(&Session {
                user_id: user.id.clone(),
                expires_at,
            })
        };
        kv.set(&keys::session(&sha256_hex("gas_live")), &session(i64::MAX))
            .unwrap();
        kv.set(&keys::session(&sha256_hex("gas_old")), &session(1))
            .unwrap();
        // Not a member yet: the organization does not exist for this user.
        let problem = authenticate(&kv, Some("Bearer gas_live"), org_id).unwrap_err();
        assert_eq!(problem.status(), 404);
        let member = members::add(
            &kv,
            org_id,
            MemberFields {
                name: "ada".into(),
                email: None,
                role: Role::Devops,
                user_id: Some(user.id.clone()),
            },
        )
        .unwrap();
        let caller = authenticate(&kv, Some("Bearer gas_live"), org_id).unwrap();
        assert_eq!(caller.member_id, member.id);
        assert_eq!(caller.role, Role::Devops);
        assert_eq!(caller.user_id.as_deref(), Some(user.id.as_str()));
        assert_eq!(caller.api_key_id, None);
        let expired = authenticate(&kv, Some("Bearer gas_old"), org_id).unwrap_err();
        assert_eq!(expired.status(), 401);
        assert_eq!(
            expired.into_reply().header("www-authenticate"),
            Some("Bearer realm=\"git-access\"")
        );
        // Removing the member ends the session's access to the organization.
        members::remove(&kv, org_id, &member.id).unwrap();
        assert_eq!(
            authenticate(&kv, Some("Bearer gas_live"), org_id)
                .unwrap_err()
                .status(),
            404
        );
    }

    #[test]
    fn bootstrap_token_is_checked_and_can_be_turned_off() {
        assert!(check_bootstrap(Some("Token s3cret-bootstrap"), "s3cret-bootstrap").is_ok());
        assert_eq!(
            check_bootstrap(Some("Token wrong"), "s3cret-bootstrap")
                .unwrap_err()
                .status(),
            401
        );
        assert_eq!(
            check_bootstrap(None, "s3cret-bootstrap")
                .unwrap_err()
                .status(),
            401
        );
        let off = check_bootstrap(Some("Token anything"), "  ").unwrap_err();
        assert_eq!(off.status(), 403);
        assert_eq!(
            off.detail(),
            "Creating organizations is turned off: the Spin variable 'bootstrap_token' is empty."
        );
    }
}
