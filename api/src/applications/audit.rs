//! The audit trail of an application (`…:audit`): who obtained clone credentials, when,
//! through which account. Never the credential itself. Bounded to the last [`RETAINED`].

use serde::{Deserialize, Serialize};

use crate::state::{cas, decode_json, encode_json, keys, KeyValue, StateError};

/// Records kept per application.
pub const RETAINED: usize = 200;

/// One audited action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// RFC 3339.
    pub at: String,
    /// What was done, e.g. `clone_credentials`.
    pub action: String,
    /// Member who did it.
    pub member_id: String,
    /// API key used, if the member called with one.
    #[serde(default)]
    pub api_key_id: Option<String>,
    /// Signed-in user, if the member called with a session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// Account used: `git_token:<id>`, `user:<id>` or `anonymous`.
    pub account: String,
    /// `owner/name`.
    pub repository: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Trail {
    entries: Vec<Entry>,
}

/// The value a new application's trail starts with.
pub fn initial() -> Vec<u8> {
    encode_json(&Trail::default())
}

/// Appends `entry` (newest first); `false` when the application is gone.
pub fn append(kv: &impl KeyValue, org: &str, app: &str, entry: Entry) -> Result<bool, StateError> {
    let key = keys::application_audit(org, app);
    cas::update(kv, &key, |current| {
        let Some(bytes) = current else {
            return Ok::<_, StateError>(cas::Change::Keep(false));
        };
        let mut trail: Trail = decode_json(&key, bytes)?;
        trail.entries.insert(0, entry.clone());
        trail.entries.truncate(RETAINED);
        Ok(cas::Change::Write(encode_json(&trail), true))
    })
}

/// The trail, newest first; `None` when the application is gone.
pub fn list(kv: &impl KeyValue, org: &str, app: &str) -> Result<Option<Vec<Entry>>, StateError> {
    let key = keys::application_audit(org, app);
    kv.get(&key)?
        .map(|bytes| decode_json::<Trail>(&key, &bytes).map(|trail| trail.entries))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::memory::MemoryStore;

    #[test]
    fn appends_newest_first_and_bounded() {
        let kv = MemoryStore::new();
        let entry = |n: usize| Entry {
            at: format!("t{n}"),
            action: "clone_credentials".into(),
            member_id: "m".into(),
            api_key_id: Some("k".into()),
            user_id: None,
            account: "anonymous".into(),
            repository: "o/r".into(),
        };
        assert!(!append(&kv, "o", "a", entry(0)).unwrap());
        kv.set(&keys::application_audit("o", "a"), &initial())
            .unwrap();
        for n in 0..RETAINED + 1 {
            assert!(append(&kv, "o", "a", entry(n)).unwrap());
        }
        let listed = list(&kv, "o", "a").unwrap().unwrap();
        assert_eq!(listed.len(), RETAINED);
        assert_eq!(listed[0].at, format!("t{RETAINED}"));
        assert_eq!(list(&kv, "o", "gone").unwrap(), None);
        let trail: Trail =
            serde_json::from_slice(&kv.get(&keys::application_audit("o", "a")).unwrap().unwrap())
                .unwrap();
        assert_eq!(trail.entries.len(), RETAINED);
        assert_eq!(trail.entries[0].at, format!("t{RETAINED}"));
    }
}
