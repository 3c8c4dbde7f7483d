//! Organization API keys: `gak_` followed by 43 URL-safe base64 characters (32 random
//! bytes). Only the SHA-256 of a key is stored, in its record and in the lookup key
//! `auth:apikey:<hash>`; the key itself is shown once, in the response that creates it.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::members::decode_existing;
use super::Role;
use crate::clock;
use crate::ids;
use crate::problem::Problem;
use crate::state::{cas, decode_json, encode_json, index, keys, KeyValue, StateError};

/// Prefix of every API key, so leaked keys are easy to recognise and scan for.
pub const PREFIX: &str = "gak_";

/// An API key record (`org:<org>:apikey:<id>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKey {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Free text.
    pub description: Option<String>,
    /// The member it acts as.
    pub member_id: String,
    /// SHA-256 of the key, hex.
    pub hash: String,
    /// RFC 3339.
    pub created_at: String,
}

impl ApiKey {
    /// The API shape (never the key or its hash).
    pub fn to_json(&self, role: Option<Role>) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "member_id": self.member_id,
            "role": role.map(Role::as_str),
            "created_at": self.created_at,
        })
    }
}

/// Where a key's hash leads (`auth:apikey:<hash>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lookup {
    /// Organization of the key.
    pub organization_id: String,
    /// The key's record id.
    pub api_key_id: String,
    /// The member it acts as.
    pub member_id: String,
}

/// SHA-256 of a key, hex.
pub fn hash(secret: &str) -> String {
    crate::crypto::sha256_hex(secret)
}

/// A fresh key and its record (not stored yet).
pub fn new_key(
    member: &str,
    name: &str,
    description: Option<String>,
    now: &str,
) -> Result<(ApiKey, String), Problem> {
    let secret = format!(
        "{PREFIX}{}",
        URL_SAFE_NO_PAD.encode(ids::random_bytes::<32>()?)
    );
    let record = ApiKey {
        id: ids::new_id()?,
        name: name.to_owned(),
        description,
        member_id: member.to_owned(),
        hash: hash(&secret),
        created_at: now.to_owned(),
    };
    Ok((record, secret))
}

/// The record and lookup entries of a key.
pub fn records(org: &str, key: &ApiKey) -> [(String, Vec<u8>); 2] {
    let lookup = Lookup {
        organization_id: org.to_owned(),
        api_key_id: key.id.clone(),
        member_id: key.member_id.clone(),
    };
    [
        (keys::api_key(org, &key.id), encode_json(key)),
        (keys::api_key_lookup(&key.hash), encode_json(&lookup)),
    ]
}

/// Creates a key for a member; returns the record and the key, to show once.
pub fn mint(
    kv: &impl KeyValue,
    org: &str,
    member: &str,
    name: &str,
    description: Option<String>,
) -> Result<(ApiKey, String), Problem> {
    let now = clock::format(clock::now());
    let (record, secret) = new_key(member, name, description, &now)?;
    kv.set_many(&records(org, &record))?;
    let key = keys::api_keys(org);
    cas::update(kv, &key, |current| {
        let mut entries = decode_existing(&key, current)?;
        entries.insert(record.id.clone(), member.to_owned());
        Ok::<_, StateError>(cas::Change::Write(index::encode(&entries), ()))
    })?;
    Ok((record, secret))
}

/// Every key of the organization, oldest first.
pub fn list(kv: &impl KeyValue, org: &str) -> Result<Vec<ApiKey>, StateError> {
    let entries = index::read(kv, &keys::api_keys(org))?.unwrap_or_default();
    read_records(kv, org, entries.keys())
}

fn read_records<'a>(
    kv: &impl KeyValue,
    org: &str,
    ids: impl Iterator<Item = &'a String>,
) -> Result<Vec<ApiKey>, StateError> {
    let record_keys: Vec<String> = ids.map(|id| keys::api_key(org, id)).collect();
    let mut found = Vec::new();
    for (key, bytes) in record_keys.iter().zip(kv.get_many(&record_keys)?) {
        if let Some(bytes) = bytes {
            found.push(decode_json::<ApiKey>(key, &bytes)?);
        }
    }
    found.sort_by(|a, b| (&a.created_at, &a.id).cmp(&(&b.created_at, &b.id)));
    Ok(found)
}

/// Revokes one key; `false` when the organization has no such key.
pub fn revoke(kv: &impl KeyValue, org: &str, id: &str) -> Result<bool, StateError> {
    let key = keys::api_keys(org);
    let removed = cas::update(kv, &key, |current| {
        let mut entries = decode_existing(&key, current)?;
        Ok::<_, StateError>(match entries.remove(id) {
            Some(_) => cas::Change::Write(index::encode(&entries), true),
            None => cas::Change::Keep(false),
        })
    })?;
    if removed {
        delete_records(kv, org, &[id.to_owned()])?;
    }
    Ok(removed)
}

/// Revokes every key of a member.
pub fn revoke_all_of(kv: &impl KeyValue, org: &str, member: &str) -> Result<(), StateError> {
    let key = keys::api_keys(org);
    let removed = cas::update(kv, &key, |current| {
        let mut entries = decode_existing(&key, current)?;
        let theirs: Vec<String> = entries
            .iter()
            .filter(|(_, owner)| *owner == member)
            .map(|(id, _)| id.clone())
            .collect();
        if theirs.is_empty() {
            return Ok::<_, StateError>(cas::Change::Keep(theirs));
        }
        entries.retain(|_, owner| owner != member);
        Ok(cas::Change::Write(index::encode(&entries), theirs))
    })?;
    delete_records(kv, org, &removed)
}

fn delete_records(kv: &impl KeyValue, org: &str, ids: &[String]) -> Result<(), StateError> {
    if ids.is_empty() {
        return Ok(());
    }
    let records = read_records(kv, org, ids.iter())?;
    let mut doomed: Vec<String> = records
        .iter()
        .map(|record| keys::api_key_lookup(&record.hash))
        .collect();
    doomed.extend(ids.iter().map(|id| keys::api_key(org, id)));
    kv.delete_many(&doomed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::get_json;
    use crate::state::memory::MemoryStore;
    use crate::tenancy::organizations::{create, NewOrganization};

    #[test]
    fn keys_are_random_prefixed_and_stored_as_hashes() {
        let kv = MemoryStore::new();
        let created = create(
            &kv,
            NewOrganization {
                name: "Acme".into(),
                description: None,
                owner_name: "owner".into(),
                owner_email: None,
                owner_user_id: None,
            },
        )
        .unwrap();
        let org = &created.organization.id;
        let (record, secret) = mint(&kv, org, &created.owner.id, "ci", None).unwrap();
        assert_eq!(secret.len(), PREFIX.len() + 43);
        assert_ne!(secret, created.key_secret());
        let lookup: Lookup = get_json(&kv, &keys::api_key_lookup(&hash(&secret)))
            .unwrap()
            .unwrap();
        assert_eq!(lookup.api_key_id, record.id);
        assert_eq!(list(&kv, org).unwrap().len(), 2);
        assert!(!record.to_json(None).to_string().contains(&record.hash));

        assert!(revoke(&kv, org, &record.id).unwrap());
        assert!(!revoke(&kv, org, &record.id).unwrap());
        assert_eq!(kv.get(&keys::api_key_lookup(&hash(&secret))).unwrap(), None);

        revoke_all_of(&kv, org, &created.owner.id).unwrap();
        assert!(list(&kv, org).unwrap().is_empty());
        assert_eq!(
            kv.get(&keys::api_key_lookup(&hash(created.key_secret())))
                .unwrap(),
            None
        );
    }

    #[test]
    fn hash_is_sha256_hex() {
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
