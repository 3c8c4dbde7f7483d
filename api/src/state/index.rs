//! Per-organization index keys: a JSON object mapping each record id of one kind to a
//! short tag (a Git token's lowercase name, a member's role, an API key's member id).
//!
//! Listing reads the index and then the records in one batch, so it costs O(items in the
//! organization). Uniqueness and invariants that span records (names unique per
//! organization, at least one owner) are checked on the index inside the same
//! compare-and-swap that changes it, so two racing requests cannot both pass.

use std::collections::BTreeMap;

use super::{decode_json, encode_json, KeyValue, StateError};

/// Record id → tag.
pub type Entries = BTreeMap<String, String>;

/// The index at `key`; `None` when the key does not exist.
pub fn read(kv: &impl KeyValue, key: &str) -> Result<Option<Entries>, StateError> {
    kv.get(key)?.map(|bytes| decode(key, &bytes)).transpose()
}

/// Decodes index bytes read from `key`.
pub fn decode(key: &str, bytes: &[u8]) -> Result<Entries, StateError> {
    decode_json(key, bytes)
}

/// Index bytes.
pub fn encode(entries: &Entries) -> Vec<u8> {
    encode_json(entries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::memory::MemoryStore;

    #[test]
    fn round_trips_and_reports_corruption() {
        let kv = MemoryStore::new();
        assert_eq!(read(&kv, "i").unwrap(), None);
        let mut entries = Entries::new();
        entries.insert("id-1".into(), "deploy".into());
        kv.set("i", &encode(&entries)).unwrap();
        assert_eq!(read(&kv, "i").unwrap(), Some(entries));
        kv.set("i", b"[1]").unwrap();
        assert!(matches!(read(&kv, "i"), Err(StateError::Corrupt { .. })));
    }
}
