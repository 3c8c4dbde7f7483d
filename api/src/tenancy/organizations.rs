//! Organizations: created with their owner and first API key by the operator's bootstrap
//! token (`POST /organization`), then read by their members.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::api_keys::{self, ApiKey};
use super::members::Member;
use super::{users, Role};
use crate::clock;
use crate::ids;
use crate::problem::Problem;
use crate::state::{cas, encode_json, get_json, index, keys, KeyValue, StateError};

/// An organization record (`org:<org>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organization {
    /// Id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Free text.
    pub description: Option<String>,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

impl Organization {
    /// The API shape.
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        })
    }
}

/// What `POST /organization` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrganization {
    /// Organization name.
    pub name: String,
    /// Organization description.
    pub description: Option<String>,
    /// Name of the owner member (default `owner`).
    pub owner_name: String,
    /// E-mail of the owner member.
    pub owner_email: Option<String>,
    /// The signed-in user who becomes the owner; `None` for the operator's bootstrap,
    /// which gets the owner's first API key instead.
    pub owner_user_id: Option<String>,
}

/// A new organization with its owner and the owner's first API key.
pub struct Created {
    /// The organization.
    pub organization: Organization,
    /// Its owner.
    pub owner: Member,
    /// The owner's API key record and the key itself (shown once), when created by the
    /// operator's bootstrap token.
    pub api_key: Option<(ApiKey, String)>,
}

impl Created {
    /// The bootstrap API key (panics for a user-owned organization).
    #[cfg(test)]
    pub fn key_secret(&self) -> &str {
        &self.api_key.as_ref().expect("an API key").1
    }
}

/// Creates an organization, its owner member (a signed-in user, or else an owner with a
/// first API key) and the empty indexes (every index key exists from the start, so later
/// updates are swaps of existing keys).
pub fn create(kv: &impl KeyValue, new: NewOrganization) -> Result<Created, Problem> {
    let now = clock::format(clock::now());
    let organization = Organization {
        id: ids::new_id()?,
        name: new.name,
        description: new.description,
        created_at: now.clone(),
        updated_at: now.clone(),
    };
    let org = organization.id.as_str();
    let owner = Member {
        id: ids::new_id()?,
        name: new.owner_name,
        email: new.owner_email,
        user_id: new.owner_user_id,
        created_at: now.clone(),
        updated_at: now.clone(),
    };
    let api_key = match owner.user_id {
        Some(_) => None,
        None => Some(api_keys::new_key(&owner.id, "bootstrap", None, &now)?),
    };
    let mut member_index = index::Entries::new();
    member_index.insert(owner.id.clone(), Role::Owner.as_str().to_owned());
    let mut key_index = index::Entries::new();
    if let Some((key, _)) = &api_key {
        key_index.insert(key.id.clone(), owner.id.clone());
    }
    let mut entries = vec![
        (keys::organization(org), encode_json(&organization)),
        (keys::members(org), index::encode(&member_index)),
        (keys::member(org, &owner.id), encode_json(&owner)),
        (keys::api_keys(org), index::encode(&key_index)),
        (keys::git_tokens(org), index::encode(&index::Entries::new())),
        (
            keys::applications(org),
            index::encode(&index::Entries::new()),
        ),
    ];
    if let Some((key, _)) = &api_key {
        entries.extend(api_keys::records(org, key));
    }
    kv.set_many(&entries)?;
    if let Some(user) = &owner.user_id {
        users::join(kv, user, org, &owner.id)?;
    }
    cas::update(kv, keys::ORGANIZATIONS, |current| {
        let mut all = match current {
            Some(bytes) => index::decode(keys::ORGANIZATIONS, bytes)?,
            None => index::Entries::new(),
        };
        all.insert(organization.id.clone(), organization.name.clone());
        Ok::<_, StateError>(cas::Change::Write(index::encode(&all), ()))
    })?;
    Ok(Created {
        organization,
        owner,
        api_key,
    })
}

/// The organization record.
pub fn get(kv: &impl KeyValue, org: &str) -> Result<Option<Organization>, StateError> {
    get_json(kv, &keys::organization(org))
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use crate::state::memory::MemoryStore;

    pub fn new_org(kv: &MemoryStore) -> Created {
        create(
            kv,
            NewOrganization {
                name: "Acme".into(),
                description: None,
                owner_name: "owner".into(),
                owner_email: None,
                owner_user_id: None,
            },
        )
        .unwrap()
    }

    #[test]
    fn creates_records_and_indexes_without_the_key_in_clear() {
        let kv = MemoryStore::new();
        let created = new_org(&kv);
        let org = &created.organization.id;
        assert_eq!(get(&kv, org).unwrap().unwrap().name, "Acme");
        for key in [
            keys::members(org),
            keys::api_keys(org),
            keys::git_tokens(org),
        ] {
            assert!(index::read(&kv, &key).unwrap().is_some(), "{key}");
        }
        let all = index::read(&kv, keys::ORGANIZATIONS).unwrap().unwrap();
        assert_eq!(all.get(org).map(String::as_str), Some("Acme"));
        assert!(created.key_secret().starts_with("gak_"));
        for (key, value) in kv.dump() {
            assert!(
                !String::from_utf8_lossy(&value).contains(created.key_secret()),
                "{key} holds the API key"
            );
        }
    }
}
