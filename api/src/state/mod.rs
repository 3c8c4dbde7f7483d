//! State in key-value: the API component is its only reader and writer.
//!
//! Everything goes through the [`KeyValue`] trait: [`WasiStore`] is the real backend
//! (`wasi:keyvalue@0.2.0-draft2` store, atomics and batch, as Spin 4 and our host offer
//! it); tests use an in-memory one. Key names are built only in [`keys`], which also
//! documents the layout.
//!
//! Rules every module that writes state follows:
//! - records get fresh random ids, so creating a record never races with anyone;
//! - per-organization index keys are created together with the organization and only
//!   ever changed through [`cas::update`] (compare-and-swap with bounded retry), so
//!   concurrent updates cannot lose one another and listing reads one index key plus
//!   one batch of records, never a scan of the store;
//! - the first access of a request checks [`schema`] and runs pending migrations.
//!
//! Why not rely on compare-and-swap to create keys: Spin's SQLite backend upserts when a
//! key was absent at `Cas::new` (a concurrent create is overwritten and reported as
//! success) and its Redis backend appears to report a lost race as success. Our host is
//! strict; the API stays correct on both by only swapping keys that already exist.

pub mod cas;
pub mod index;
pub mod keys;
#[cfg(test)]
pub mod memory;
pub mod schema;
mod wasi_store;

use serde::de::DeserializeOwned;
use serde::Serialize;

pub use wasi_store::WasiStore;

use crate::problem::Problem;

/// Name of the store the API uses.
pub const STORE: &str = "default";

/// Why a key-value operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The store could not be opened or an operation on it failed.
    #[error("key-value store '{store}' failed to {action}: {reason}")]
    Store {
        /// Store name.
        store: &'static str,
        /// What was being done, e.g. `read 'meta:healthz_checks'`.
        action: String,
        /// What the backend said.
        reason: String,
    },
    /// A key holds bytes this version cannot read.
    #[error(
        "key-value store '{store}' has key '{key}' holding data this version cannot read: {reason}"
    )]
    Corrupt {
        /// Store name.
        store: &'static str,
        /// The key.
        key: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Compare-and-swap kept failing: too many concurrent writers on one key.
    #[error("key-value store '{store}' key '{key}' kept changing under concurrent updates ({attempts} attempts)")]
    Contention {
        /// Store name.
        store: &'static str,
        /// The key.
        key: String,
        /// Attempts made.
        attempts: u32,
    },
    /// The store was written by a newer version of git-access.
    #[error("key-value store '{store}' has schema version {found}, newer than the {supported} this build of git-access understands (was it downgraded?)")]
    SchemaTooNew {
        /// Store name.
        store: &'static str,
        /// Version found in `meta:schema_version`.
        found: u32,
        /// Newest version this build knows.
        supported: u32,
    },
}

impl StateError {
    /// 503: state is unavailable, so the request cannot be served now. Contention is
    /// transient and says so with `Retry-After`.
    pub fn to_problem(&self) -> Problem {
        let problem = Problem::new(
            503,
            "storage-unavailable",
            "Storage unavailable",
            format!("The {self}."),
        );
        match self {
            StateError::Contention { .. } => problem.with_header("retry-after", "1"),
            _ => problem,
        }
    }

    /// A `Corrupt` error for `key`.
    pub fn corrupt(key: &str, reason: impl Into<String>) -> Self {
        StateError::Corrupt {
            store: STORE,
            key: key.to_owned(),
            reason: reason.into(),
        }
    }
}

impl From<StateError> for Problem {
    fn from(error: StateError) -> Self {
        error.to_problem()
    }
}

/// A key-value bucket. Methods mirror `wasi:keyvalue` store, batch and atomics.
pub trait KeyValue {
    /// A compare-and-swap handle: remembers the value seen by [`KeyValue::watch`].
    type Cas;

    /// The value at `key`, if any.
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StateError>;
    /// The values at `keys`, in the same order (`None` where absent).
    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, StateError>;
    /// Sets one key.
    fn set(&self, key: &str, value: &[u8]) -> Result<(), StateError>;
    /// Sets several keys (not atomically as a group).
    fn set_many(&self, entries: &[(String, Vec<u8>)]) -> Result<(), StateError>;
    /// Deletes several keys; absent keys are fine.
    fn delete_many(&self, keys: &[String]) -> Result<(), StateError>;
    /// Adds `delta` to the 8-byte little-endian counter at `key` (absent is 0), atomically.
    fn increment(&self, key: &str, delta: i64) -> Result<i64, StateError>;
    /// Starts a compare-and-swap on `key`: the handle and the value it saw.
    fn watch(&self, key: &str) -> Result<(Self::Cas, Option<Vec<u8>>), StateError>;
    /// Writes `value` if the key still holds what the handle saw (strictly: a key that was
    /// absent must still be absent); `false` when someone changed it meanwhile.
    fn swap(&self, cas: Self::Cas, value: &[u8]) -> Result<bool, StateError>;
}

/// The JSON value at `key`, if any.
pub fn get_json<T: DeserializeOwned>(
    kv: &impl KeyValue,
    key: &str,
) -> Result<Option<T>, StateError> {
    kv.get(key)?
        .map(|bytes| decode_json(key, &bytes))
        .transpose()
}

/// Reads the JSON stored at `key`.
pub fn decode_json<T: DeserializeOwned>(key: &str, bytes: &[u8]) -> Result<T, StateError> {
    serde_json::from_slice(bytes).map_err(|e| StateError::corrupt(key, e.to_string()))
}

/// JSON bytes of a record. Our records are plain structs and maps with string keys, which
/// always serialize.
pub fn encode_json<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_default()
}

/// Reads counter bytes (8-byte little-endian i64, as `atomics.increment` writes them);
/// `None` unless exactly 8 bytes.
#[cfg(test)]
pub fn decode_counter(bytes: &[u8]) -> Option<i64> {
    <[u8; 8]>::try_from(bytes).ok().map(i64::from_le_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counter_encoding_is_8_byte_little_endian() {
        assert_eq!(decode_counter(&258i64.to_le_bytes()), Some(258));
        assert_eq!(decode_counter(&[1, 0, 0, 0, 0, 0, 0, 0]), Some(1));
        assert_eq!(decode_counter(b"1"), None);
        assert_eq!(decode_counter(&[0; 9]), None);
    }

    #[test]
    fn errors_are_503_problems() {
        let problem = StateError::corrupt("meta:x", "expected an object").to_problem();
        assert_eq!(problem.status(), 503);
        assert_eq!(
            problem.detail(),
            "The key-value store 'default' has key 'meta:x' holding data this version cannot \
             read: expected an object."
        );
        let reply = StateError::Contention {
            store: STORE,
            key: "k".into(),
            attempts: 3,
        }
        .to_problem()
        .into_reply();
        assert_eq!(reply.header("retry-after"), Some("1"));
    }
}
