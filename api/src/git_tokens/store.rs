//! Git tokens in key-value: records (`org:<org>:gittoken:<id>`), the per-organization
//! index (`org:<org>:gittokens`, id → lowercase name) and the usage keys (see `usage`).
//!
//! Names are unique per organization ignoring case: checked early (before asking the
//! provider) and again inside the compare-and-swap that adds or renames the index entry,
//! which is what makes it hold under races.

use std::fmt;

use super::record::GitToken;
use super::usage::{self, ServiceRef};
use crate::crypto::Keyring;
use crate::problem::Problem;
use crate::redact;
use crate::state::{cas, decode_json, encode_json, index, keys, KeyValue, StateError};
use crate::tenancy::members::decode_existing;

/// 404 for a token id that is not in the organization.
pub fn not_found(id: &str) -> Problem {
    Problem::new(
        404,
        "not-found",
        "Not found",
        format!("Git token '{id}' was not found in this organization."),
    )
}

fn name_taken(name: &str) -> Problem {
    Problem::new(
        409,
        "git-token-name-taken",
        "Name already used",
        format!("A Git token named '{name}' already exists in this organization (names are compared ignoring case)."),
    )
}

/// The index key of a name.
fn name_key(name: &str) -> String {
    name.to_lowercase()
}

/// 409 when another token of the organization has this name.
pub fn check_name_free(
    kv: &impl KeyValue,
    org: &str,
    name: &str,
    except: Option<&str>,
) -> Result<(), Problem> {
    let entries = index::read(kv, &keys::git_tokens(org))?.unwrap_or_default();
    check_name_in(&entries, name, except)
}

fn check_name_in(
    entries: &index::Entries,
    name: &str,
    except: Option<&str>,
) -> Result<(), Problem> {
    let wanted = name_key(name);
    let clash = entries
        .iter()
        .any(|(id, taken)| *taken == wanted && Some(id.as_str()) != except);
    if clash {
        Err(name_taken(name))
    } else {
        Ok(())
    }
}

/// Every token of the organization with its number of services, sorted by name.
pub fn list(kv: &impl KeyValue, org: &str) -> Result<Vec<(GitToken, usize)>, StateError> {
    let entries = index::read(kv, &keys::git_tokens(org))?.unwrap_or_default();
    let ids: Vec<&String> = entries.keys().collect();
    read_many(kv, org, &ids)
}

/// One token with its number of services.
pub fn get(
    kv: &impl KeyValue,
    org: &str,
    id: &str,
) -> Result<Option<(GitToken, usize)>, StateError> {
    let id = id.to_owned();
    Ok(read_many(kv, org, &[&id])?.into_iter().next())
}

fn read_many(
    kv: &impl KeyValue,
    org: &str,
    ids: &[&String],
) -> Result<Vec<(GitToken, usize)>, StateError> {
    let wanted: Vec<String> = ids
        .iter()
        .flat_map(|id| [keys::git_token(org, id), keys::git_token_services(org, id)])
        .collect();
    let values = kv.get_many(&wanted)?;
    let mut tokens = Vec::with_capacity(ids.len());
    for (pair_keys, pair) in wanted.chunks(2).zip(values.chunks(2)) {
        let [record_key, usage_key] = pair_keys else {
            continue;
        };
        let [Some(record), usage] = pair else {
            continue;
        };
        let record: GitToken = decode_json(record_key, record)?;
        let count = usage::decode(usage_key, usage.as_deref())?.len();
        tokens.push((record, count));
    }
    tokens.sort_by_cached_key(|(token, _)| (token.name.to_lowercase(), token.created_at.clone()));
    Ok(tokens)
}

/// Stores a new token: its record and empty usage first (fresh keys), then the index
/// entry, under CAS, with the name check. On a name clash the record is removed again.
pub fn insert(kv: &impl KeyValue, org: &str, token: &GitToken) -> Result<(), Problem> {
    let record_key = keys::git_token(org, &token.id);
    let usage_key = keys::git_token_services(org, &token.id);
    kv.set_many(&[
        (record_key.clone(), encode_json(token)),
        (usage_key.clone(), usage::initial()),
    ])?;
    let key = keys::git_tokens(org);
    let added = cas::update(kv, &key, |current| {
        let mut entries = decode_existing(&key, current)?;
        if let Err(clash) = check_name_in(&entries, &token.name, None) {
            return Ok::<_, StateError>(cas::Change::Keep(Err(clash)));
        }
        entries.insert(token.id.clone(), name_key(&token.name));
        Ok(cas::Change::Write(index::encode(&entries), Ok(())))
    })?;
    if added.is_err() {
        kv.delete_many(&[record_key, usage_key])?;
    }
    added
}

/// Replaces a token's record (name, description, settings, value). The index entry is
/// renamed under CAS with the name check; the record is swapped only while it exists,
/// so a concurrent delete is never undone.
pub fn replace(kv: &impl KeyValue, org: &str, token: &GitToken) -> Result<(), Problem> {
    let key = keys::git_tokens(org);
    cas::update(kv, &key, |current| {
        let mut entries = decode_existing(&key, current)?;
        let Some(old) = entries.get(&token.id) else {
            return Err(not_found(&token.id));
        };
        if *old == name_key(&token.name) {
            return Ok(cas::Change::Keep(()));
        }
        check_name_in(&entries, &token.name, Some(&token.id))?;
        entries.insert(token.id.clone(), name_key(&token.name));
        Ok(cas::Change::Write(index::encode(&entries), ()))
    })?;
    let record_key = keys::git_token(org, &token.id);
    cas::update(kv, &record_key, |current| match current {
        None => Err(not_found(&token.id)),
        Some(_) => Ok(cas::Change::Write(encode_json(token), ())),
    })
}

/// Deletes a token: refused (409, listing them) while services use it.
pub fn delete(kv: &impl KeyValue, org: &str, id: &str) -> Result<(), Problem> {
    let record_key = keys::git_token(org, id);
    if kv.get(&record_key)?.is_none() {
        return Err(not_found(id));
    }
    usage::close(kv, org, id)?;
    let key = keys::git_tokens(org);
    cas::update(kv, &key, |current| {
        let mut entries = decode_existing(&key, current)?;
        Ok::<_, StateError>(match entries.remove(id) {
            Some(_) => cas::Change::Write(index::encode(&entries), ()),
            None => cas::Change::Keep(()),
        })
    })?;
    kv.delete_many(&[record_key, keys::git_token_services(org, id)])?;
    Ok(())
}

/// The services using a token; 404 when the token does not exist.
pub fn associated_services(
    kv: &impl KeyValue,
    org: &str,
    id: &str,
) -> Result<Vec<ServiceRef>, Problem> {
    if kv.get(&keys::git_token(org, id))?.is_none() {
        return Err(not_found(id));
    }
    Ok(usage::services(kv, org, id)?)
}

/// The outcome of re-encrypting an organization's tokens.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Reencryption {
    /// Tokens now sealed under the current key that were not before.
    pub reencrypted: Vec<String>,
    /// Tokens already under the current key.
    pub already_current: usize,
    /// Tokens that could not be opened, with the reason.
    pub failed: Vec<(String, String)>,
}

enum Outcome {
    Reencrypted,
    AlreadyCurrent,
    Gone,
    Failed(String),
}

/// Seals every token of the organization that is not under the current key again under
/// it, each with its own compare-and-swap (a concurrent replace wins and is kept).
pub fn reencrypt(
    kv: &impl KeyValue,
    org: &str,
    keyring: &Keyring,
) -> Result<Reencryption, Problem> {
    let entries = index::read(kv, &keys::git_tokens(org))?.unwrap_or_default();
    let mut report = Reencryption::default();
    for id in entries.keys() {
        let record_key = keys::git_token(org, id);
        let context = GitToken::secret_context(org, id);
        let outcome = cas::update(kv, &record_key, |current| {
            let Some(bytes) = current else {
                return Ok::<_, Problem>(cas::Change::Keep(Outcome::Gone));
            };
            let mut token: GitToken = decode_json(&record_key, bytes)?;
            if token.secret.kid == keyring.current_id() {
                return Ok(cas::Change::Keep(Outcome::AlreadyCurrent));
            }
            let value = match keyring.open(&token.secret, &context) {
                Ok(value) => value,
                Err(e) => return Ok(cas::Change::Keep(Outcome::Failed(e.to_string()))),
            };
            token.secret = keyring.seal(&value, &context)?;
            Ok(cas::Change::Write(
                encode_json(&token),
                Outcome::Reencrypted,
            ))
        })?;
        match outcome {
            Outcome::Reencrypted => report.reencrypted.push(id.clone()),
            Outcome::AlreadyCurrent => report.already_current += 1,
            Outcome::Gone => {}
            Outcome::Failed(reason) => report.failed.push((id.clone(), reason)),
        }
    }
    Ok(report)
}

/// What an application needs to call the provider with a token: always the current
/// value, so a value replaced with PUT applies from the next call on.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// Provider id.
    pub provider: String,
    /// API base URL of a self-managed server.
    pub git_api_url: Option<String>,
    /// Workspace or namespace.
    pub workspace: Option<String>,
    /// The token value.
    pub token: String,
    /// Whether it has expired (applications report lost access).
    pub expired: bool,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("provider", &self.provider)
            .field("git_api_url", &self.git_api_url)
            .field("workspace", &self.workspace)
            .field("token", &redact::MARK)
            .field("expired", &self.expired)
            .finish()
    }
}

/// Opens a token's value for use with its provider.
#[cfg_attr(not(test), allow(dead_code))] // used by applications (issue 8)
pub fn credentials(
    kv: &impl KeyValue,
    keyring: &Keyring,
    org: &str,
    id: &str,
    now: i64,
) -> Result<Credentials, Problem> {
    let record_key = keys::git_token(org, id);
    let token: GitToken = crate::state::get_json(kv, &record_key)?.ok_or_else(|| not_found(id))?;
    let value = keyring
        .open(&token.secret, &GitToken::secret_context(org, id))
        .map_err(|e| {
            Problem::configuration(format!(
                "The value of Git token '{id}' cannot be opened: {e}."
            ))
        })?;
    let value = String::from_utf8(value).map_err(|_| {
        Problem::configuration(format!("The value of Git token '{id}' is not UTF-8."))
    })?;
    Ok(Credentials {
        expired: token.expired(now),
        provider: token.provider,
        git_api_url: token.git_api_url,
        workspace: token.workspace,
        token: value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::keyring::test_keys::{KEY_A, KEY_B};
    use crate::git_tokens::record::tests::sample;
    use crate::git_tokens::usage::{attach, detach};
    use crate::ids::new_id;
    use crate::state::memory::MemoryStore;
    use crate::tenancy::organizations::{create, NewOrganization};

    fn org(kv: &MemoryStore) -> String {
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
        .organization
        .id
    }

    fn sealed_token(keyring: &Keyring, org: &str, name: &str, value: &str) -> GitToken {
        let id = new_id().unwrap();
        let mut token = sample(&id, name, None);
        token.secret = keyring
            .seal(value.as_bytes(), &GitToken::secret_context(org, &id))
            .unwrap();
        token
    }

    fn service(id: &str) -> ServiceRef {
        ServiceRef {
            service_id: id.into(),
            service_name: "web".into(),
            service_type: "APPLICATION".into(),
        }
    }

    #[test]
    fn create_list_replace_delete() {
        let kv = MemoryStore::new();
        let org = org(&kv);
        let keyring = Keyring::from_base64(KEY_A, "").unwrap();
        let a = sealed_token(&keyring, &org, "Deploy", "ghp_valueA_0000000000");
        let b = sealed_token(&keyring, &org, "archive", "ghp_valueB_0000000000");
        insert(&kv, &org, &a).unwrap();
        insert(&kv, &org, &b).unwrap();
        let names: Vec<String> = list(&kv, &org)
            .unwrap()
            .into_iter()
            .map(|(t, _)| t.name)
            .collect();
        assert_eq!(names, vec!["archive", "Deploy"]);

        // Names are unique ignoring case, on create and on rename.
        let clash = sealed_token(&keyring, &org, "DEPLOY", "x");
        assert_eq!(insert(&kv, &org, &clash).unwrap_err().status(), 409);
        assert!(
            get(&kv, &org, &clash.id).unwrap().is_none(),
            "nothing left behind"
        );
        assert_eq!(
            check_name_free(&kv, &org, "deploy", None)
                .unwrap_err()
                .status(),
            409
        );
        check_name_free(&kv, &org, "deploy", Some(&a.id)).unwrap();
        let mut renamed = b.clone();
        renamed.name = "deploy".into();
        assert_eq!(replace(&kv, &org, &renamed).unwrap_err().status(), 409);

        // Replace the value: applications read the new one at once.
        let mut updated = a.clone();
        updated.name = "deploy-2".into();
        updated.secret = keyring
            .seal(
                b"ghp_valueA_renewed_00",
                &GitToken::secret_context(&org, &a.id),
            )
            .unwrap();
        replace(&kv, &org, &updated).unwrap();
        let creds = credentials(&kv, &keyring, &org, &a.id, 0).unwrap();
        assert_eq!(creds.token, "ghp_valueA_renewed_00");
        assert!(!format!("{creds:?}").contains("ghp_"));
        check_name_free(&kv, &org, "Deploy", None).unwrap();

        // Delete is refused while a service uses the token.
        attach(&kv, &org, &a.id, service("s1")).unwrap();
        assert_eq!(get(&kv, &org, &a.id).unwrap().unwrap().1, 1);
        let refused = delete(&kv, &org, &a.id).unwrap_err();
        assert_eq!(refused.status(), 409);
        assert_eq!(
            associated_services(&kv, &org, &a.id).unwrap(),
            vec![service("s1")]
        );
        detach(&kv, &org, &a.id, "s1").unwrap();
        delete(&kv, &org, &a.id).unwrap();
        assert_eq!(delete(&kv, &org, &a.id).unwrap_err().status(), 404);
        assert_eq!(list(&kv, &org).unwrap().len(), 1);
        assert!(
            kv.keys().iter().all(|k| !k.contains(&a.id)),
            "{:?}",
            kv.keys()
        );
        assert_eq!(replace(&kv, &org, &updated).unwrap_err().status(), 404);
    }

    #[test]
    fn values_are_never_stored_in_clear() {
        let kv = MemoryStore::new();
        let org = org(&kv);
        let keyring = Keyring::from_base64(KEY_A, "").unwrap();
        let value = "ghp_veryS3cretValue000000000000000000001";
        insert(&kv, &org, &sealed_token(&keyring, &org, "t", value)).unwrap();
        for (key, bytes) in kv.dump() {
            assert!(!String::from_utf8_lossy(&bytes).contains(value), "{key}");
        }
    }

    #[test]
    fn concurrent_creates_with_one_name_keep_one() {
        let kv = MemoryStore::new();
        let org = org(&kv);
        let keyring = Keyring::from_base64(KEY_A, "").unwrap();
        let first = sealed_token(&keyring, &org, "same", "a");
        let second = sealed_token(&keyring, &org, "Same", "b");
        // `second` lands between our read of the index and our swap.
        let key = keys::git_tokens(&org);
        let second_id = second.id.clone();
        kv.interfere(move |map| {
            let mut entries: index::Entries = serde_json::from_slice(&map[&key]).unwrap();
            entries.insert(second_id, "same".into());
            map.insert(key, index::encode(&entries));
        });
        assert_eq!(insert(&kv, &org, &first).unwrap_err().status(), 409);
    }

    #[test]
    fn rotation_reencrypts_under_the_new_key() {
        let kv = MemoryStore::new();
        let org = org(&kv);
        let old = Keyring::from_base64(KEY_A, "").unwrap();
        let a = sealed_token(&old, &org, "a", "value-a-000000");
        let b = sealed_token(&old, &org, "b", "value-b-000000");
        insert(&kv, &org, &a).unwrap();
        insert(&kv, &org, &b).unwrap();

        let rotated = Keyring::from_base64(KEY_B, KEY_A).unwrap();
        let report = reencrypt(&kv, &org, &rotated).unwrap();
        assert_eq!(report.reencrypted.len(), 2);
        assert!(report.failed.is_empty());
        let again = reencrypt(&kv, &org, &rotated).unwrap();
        assert_eq!((again.reencrypted.len(), again.already_current), (0, 2));

        let finished = Keyring::from_base64(KEY_B, "").unwrap();
        assert_eq!(
            credentials(&kv, &finished, &org, &a.id, 0).unwrap().token,
            "value-a-000000"
        );
        let (record, _) = get(&kv, &org, &b.id).unwrap().unwrap();
        assert_eq!(record.secret.kid, finished.current_id());

        // A key nobody has any more is reported, not lost.
        let lost = Keyring::from_base64(KEY_A, "").unwrap();
        let report = reencrypt(&kv, &org, &lost).unwrap();
        assert_eq!(report.failed.len(), 2);
        assert!(
            report.failed[0].1.contains("neither encryption_key"),
            "{:?}",
            report.failed
        );
    }
}
