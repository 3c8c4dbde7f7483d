//! Members of an organization: records (`org:<org>:member:<id>`, name and e-mail) and the
//! member index (`org:<org>:members`, id → role), the single source of truth for roles.
//! Every role change goes through a compare-and-swap on the index that also keeps at
//! least one owner.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{api_keys, users, Role};
use crate::clock;
use crate::ids;
use crate::problem::Problem;
use crate::state::{cas, decode_json, encode_json, get_json, index, keys, KeyValue, StateError};

/// A member record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// Id.
    pub id: String,
    /// Display name (a person or an automation).
    pub name: String,
    /// E-mail, if any.
    pub email: Option<String>,
    /// The signed-in user this member is, if any (a session then acts as this member).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

impl Member {
    /// The API shape, with the role from the index.
    pub fn to_json(&self, role: Role) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "email": self.email,
            "user_id": self.user_id,
            "role": role.as_str(),
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        })
    }
}

/// Name, e-mail and role as a request gives them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberFields {
    /// Display name.
    pub name: String,
    /// E-mail.
    pub email: Option<String>,
    /// Role.
    pub role: Role,
    /// The user this member is (set when adding; it cannot change).
    pub user_id: Option<String>,
}

/// 404 for a member id that is not in the organization.
pub fn not_found(id: &str) -> Problem {
    Problem::new(
        404,
        "not-found",
        "Not found",
        format!("Member '{id}' was not found in this organization."),
    )
}

fn last_owner() -> Problem {
    Problem::new(
        409,
        "last-owner",
        "Last owner",
        "An organization keeps at least one owner; make another member owner first.",
    )
}

/// The member index: id → role.
pub fn roles(kv: &impl KeyValue, org: &str) -> Result<Vec<(String, Role)>, StateError> {
    let key = keys::members(org);
    let entries = index::read(kv, &key)?.unwrap_or_default();
    decode_roles(&key, entries)
}

fn decode_roles(key: &str, entries: index::Entries) -> Result<Vec<(String, Role)>, StateError> {
    entries
        .into_iter()
        .map(|(id, role)| {
            Role::parse(&role)
                .map(|role| (id, role))
                .ok_or_else(|| StateError::corrupt(key, format!("unknown role '{role}'")))
        })
        .collect()
}

/// The role of one member, if it belongs to the organization.
pub fn role_of(kv: &impl KeyValue, org: &str, member: &str) -> Result<Option<Role>, StateError> {
    Ok(roles(kv, org)?
        .into_iter()
        .find(|(id, _)| id == member)
        .map(|(_, role)| role))
}

/// Every member with its role, oldest first.
pub fn list(kv: &impl KeyValue, org: &str) -> Result<Vec<(Member, Role)>, StateError> {
    let roles = roles(kv, org)?;
    let record_keys: Vec<String> = roles.iter().map(|(id, _)| keys::member(org, id)).collect();
    let records = kv.get_many(&record_keys)?;
    let mut members = Vec::with_capacity(roles.len());
    for ((_, role), (key, bytes)) in roles.into_iter().zip(record_keys.iter().zip(records)) {
        if let Some(bytes) = bytes {
            members.push((decode_json::<Member>(key, &bytes)?, role));
        }
    }
    members.sort_by(|(a, _), (b, _)| (&a.created_at, &a.id).cmp(&(&b.created_at, &b.id)));
    Ok(members)
}

/// One member with its role.
pub fn get(kv: &impl KeyValue, org: &str, id: &str) -> Result<Option<(Member, Role)>, StateError> {
    let Some(role) = role_of(kv, org, id)? else {
        return Ok(None);
    };
    Ok(get_json::<Member>(kv, &keys::member(org, id))?.map(|m| (m, role)))
}

/// Adds a member; a member for a user also enters the user's organizations (409 when the
/// user already is a member here).
pub fn add(kv: &impl KeyValue, org: &str, fields: MemberFields) -> Result<Member, Problem> {
    let now = clock::format(clock::now());
    let member = Member {
        id: ids::new_id()?,
        name: fields.name,
        email: fields.email,
        user_id: fields.user_id,
        created_at: now.clone(),
        updated_at: now,
    };
    if let Some(user) = &member.user_id {
        users::join(kv, user, org, &member.id)?;
    }
    let stored = kv
        .set(&keys::member(org, &member.id), &encode_json(&member))
        .map_err(Problem::from)
        .and_then(|()| {
            let key = keys::members(org);
            cas::update(kv, &key, |current| {
                let mut entries = decode_existing(&key, current)?;
                entries.insert(member.id.clone(), fields.role.as_str().to_owned());
                Ok::<_, Problem>(cas::Change::Write(index::encode(&entries), ()))
            })
        });
    if let Err(problem) = stored {
        if let Some(user) = &member.user_id {
            let _ = users::leave(kv, user, org);
        }
        return Err(problem);
    }
    Ok(member)
}

/// Replaces a member's name, e-mail and role; 404 when absent, 409 when it would leave
/// no owner.
pub fn update(
    kv: &impl KeyValue,
    org: &str,
    id: &str,
    fields: MemberFields,
) -> Result<Member, Problem> {
    let key = keys::members(org);
    cas::update(kv, &key, |current| {
        let mut entries = decode_existing(&key, current)?;
        let roles = decode_roles(&key, entries.clone())?;
        let old = roles
            .iter()
            .find(|(member, _)| member == id)
            .map(|(_, role)| *role)
            .ok_or_else(|| not_found(id))?;
        if old == Role::Owner && fields.role != Role::Owner && owners(&roles) == 1 {
            return Err(last_owner());
        }
        if old == fields.role {
            return Ok(cas::Change::Keep(()));
        }
        entries.insert(id.to_owned(), fields.role.as_str().to_owned());
        Ok(cas::Change::Write(index::encode(&entries), ()))
    })?;
    let record_key = keys::member(org, id);
    let existing: Member = get_json(kv, &record_key)?.ok_or_else(|| not_found(id))?;
    let member = Member {
        name: fields.name,
        email: fields.email,
        updated_at: clock::format(clock::now()),
        ..existing
    };
    kv.set(&record_key, &encode_json(&member))?;
    Ok(member)
}

/// Removes a member and revokes its API keys; 404 when absent, 409 for the last owner.
pub fn remove(kv: &impl KeyValue, org: &str, id: &str) -> Result<(), Problem> {
    let key = keys::members(org);
    cas::update(kv, &key, |current| {
        let mut entries = decode_existing(&key, current)?;
        let roles = decode_roles(&key, entries.clone())?;
        let role = roles
            .iter()
            .find(|(member, _)| member == id)
            .map(|(_, role)| *role)
            .ok_or_else(|| not_found(id))?;
        if role == Role::Owner && owners(&roles) == 1 {
            return Err(last_owner());
        }
        entries.remove(id);
        Ok(cas::Change::Write(index::encode(&entries), ()))
    })?;
    api_keys::revoke_all_of(kv, org, id)?;
    let record_key = keys::member(org, id);
    if let Some(user) = get_json::<Member>(kv, &record_key)?.and_then(|m| m.user_id) {
        users::leave(kv, &user, org)?;
    }
    kv.delete_many(&[record_key])?;
    Ok(())
}

fn owners(roles: &[(String, Role)]) -> usize {
    roles
        .iter()
        .filter(|(_, role)| *role == Role::Owner)
        .count()
}

/// An index that must exist (it is created with the organization).
pub fn decode_existing(key: &str, current: Option<&[u8]>) -> Result<index::Entries, StateError> {
    match current {
        Some(bytes) => index::decode(key, bytes),
        None => Err(StateError::corrupt(key, "the index is missing")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::memory::MemoryStore;
    use crate::tenancy::organizations::{create, NewOrganization};

    fn org(kv: &MemoryStore) -> (String, String) {
        let created = create(
            kv,
            NewOrganization {
                name: "Acme".into(),
                description: None,
                owner_name: "owner".into(),
                owner_email: None,
                owner_user_id: None,
            },
        )
        .unwrap();
        (created.organization.id, created.owner.id)
    }

    fn fields(name: &str, role: Role) -> MemberFields {
        MemberFields {
            name: name.into(),
            email: None,
            role,
            user_id: None,
        }
    }

    #[test]
    fn adds_lists_and_changes_roles() {
        let kv = MemoryStore::new();
        let (org, owner) = org(&kv);
        let dev = add(&kv, &org, fields("ci", Role::Devops)).unwrap();
        let listed = list(&kv, &org).unwrap();
        assert_eq!(listed.len(), 2);
        assert_eq!(role_of(&kv, &org, &dev.id).unwrap(), Some(Role::Devops));
        update(&kv, &org, &dev.id, fields("ci-bot", Role::Viewer)).unwrap();
        let (member, role) = get(&kv, &org, &dev.id).unwrap().unwrap();
        assert_eq!((member.name.as_str(), role), ("ci-bot", Role::Viewer));
        assert_eq!(role_of(&kv, &org, &owner).unwrap(), Some(Role::Owner));
    }

    #[test]
    fn the_last_owner_stays() {
        let kv = MemoryStore::new();
        let (org, owner) = org(&kv);
        assert_eq!(
            update(&kv, &org, &owner, fields("o", Role::Admin))
                .unwrap_err()
                .status(),
            409
        );
        assert_eq!(remove(&kv, &org, &owner).unwrap_err().status(), 409);
        let second = add(&kv, &org, fields("second", Role::Owner)).unwrap();
        remove(&kv, &org, &owner).unwrap();
        assert_eq!(role_of(&kv, &org, &owner).unwrap(), None);
        assert_eq!(remove(&kv, &org, &second.id).unwrap_err().status(), 409);
    }

    #[test]
    fn a_racing_demotion_cannot_remove_the_last_owner() {
        let kv = MemoryStore::new();
        let (org, owner) = org(&kv);
        let second = add(&kv, &org, fields("second", Role::Owner)).unwrap();
        // While we demote `owner`, another request demotes `second`.
        let key = keys::members(&org);
        let second_id = second.id.clone();
        kv.interfere(move |map| {
            let mut entries: index::Entries = serde_json::from_slice(&map[&key]).unwrap();
            entries.insert(second_id, "admin".into());
            map.insert(key, index::encode(&entries));
        });
        let problem = update(&kv, &org, &owner, fields("o", Role::Admin)).unwrap_err();
        assert_eq!(problem.status(), 409);
        assert_eq!(role_of(&kv, &org, &owner).unwrap(), Some(Role::Owner));
    }

    #[test]
    fn unknown_members_are_404() {
        let kv = MemoryStore::new();
        let (org, _) = org(&kv);
        let missing = "0b5e0f5e-8f59-4b5e-9c3a-1d2e3f4a5b6c";
        assert_eq!(
            update(&kv, &org, missing, fields("x", Role::Viewer))
                .unwrap_err()
                .status(),
            404
        );
        assert_eq!(remove(&kv, &org, missing).unwrap_err().status(), 404);
        assert!(get(&kv, &org, missing).unwrap().is_none());
    }
}
