//! State in Spin key-value: the API component is its only reader and writer.
//!
//! Key layout (grows with the API): `meta:<name>` for service-wide bookkeeping; later
//! `org:<organization id>:...` for everything owned by an organization, with
//! per-organization index keys so listing never scans the store.
//!
//! Counters are stored as 8-byte little-endian `i64`, the encoding `wasi:keyvalue`
//! `atomics.increment` uses, so a counter can move to atomic increments without a
//! migration. [`Store::increment`] is a plain read-modify-write over
//! `fermyon:spin/key-value@2.0.0` (get then set): concurrent increments may collapse
//! into one, which is acceptable for the health-check counter, not for data that must
//! not lose updates.

use spin_sdk::key_value;

use crate::problem::Problem;

/// Counter bumped by every `GET /healthz`.
pub const HEALTHZ_CHECKS_KEY: &str = "meta:healthz_checks";

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
        /// What Spin said.
        reason: String,
    },
    /// A counter key holds something other than an 8-byte little-endian i64.
    #[error("key-value store '{store}' has key '{key}' holding {len} bytes, not an 8-byte little-endian counter")]
    CorruptCounter {
        /// Store name.
        store: &'static str,
        /// The key.
        key: String,
        /// Length of the stored value.
        len: usize,
    },
    /// A counter reached `i64::MAX`.
    #[error("key-value store '{store}' has counter '{key}' at its maximum, {max}", max = i64::MAX)]
    CounterOverflow {
        /// Store name.
        store: &'static str,
        /// The key.
        key: String,
    },
}

impl StateError {
    /// 503: state is unavailable, so the request cannot be served now.
    pub fn to_problem(&self) -> Problem {
        Problem::new(
            503,
            "storage-unavailable",
            "Storage unavailable",
            format!("The {self}."),
        )
    }
}

/// An open key-value store.
pub struct Store {
    inner: key_value::Store,
}

impl Store {
    /// Opens the API's store ([`STORE`]).
    pub fn open() -> Result<Self, StateError> {
        key_value::Store::open(STORE)
            .map(|inner| Self { inner })
            .map_err(|e| store_error("open", e))
    }

    /// Adds one to the counter at `key` (absent counts as 0) and returns the new value.
    pub fn increment(&self, key: &str) -> Result<i64, StateError> {
        let stored = self
            .inner
            .get(key)
            .map_err(|e| store_error(&format!("read '{key}'"), e))?;
        let next = next_count(key, stored.as_deref())?;
        self.inner
            .set(key, &encode_counter(next))
            .map_err(|e| store_error(&format!("write '{key}'"), e))?;
        Ok(next)
    }
}

fn store_error(action: &str, error: key_value::Error) -> StateError {
    let reason = match error {
        key_value::Error::StoreTableFull => "too many stores are open".to_owned(),
        key_value::Error::NoSuchStore => "no such store (check key_value_stores)".to_owned(),
        key_value::Error::AccessDenied => {
            "access denied (the component may not use this store)".to_owned()
        }
        key_value::Error::Other(message) => message,
    };
    StateError::Store {
        store: STORE,
        action: action.to_owned(),
        reason,
    }
}

/// The value after incrementing the stored counter bytes of `key`.
pub fn next_count(key: &str, stored: Option<&[u8]>) -> Result<i64, StateError> {
    let current = match stored {
        None => 0,
        Some(bytes) => decode_counter(bytes).ok_or_else(|| StateError::CorruptCounter {
            store: STORE,
            key: key.to_owned(),
            len: bytes.len(),
        })?,
    };
    current
        .checked_add(1)
        .ok_or_else(|| StateError::CounterOverflow {
            store: STORE,
            key: key.to_owned(),
        })
}

/// Counter bytes: 8-byte little-endian i64.
pub fn encode_counter(value: i64) -> [u8; 8] {
    value.to_le_bytes()
}

/// Reads counter bytes; `None` unless exactly 8 bytes.
pub fn decode_counter(bytes: &[u8]) -> Option<i64> {
    <[u8; 8]>::try_from(bytes).ok().map(i64::from_le_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counter_encoding_is_8_byte_little_endian() {
        assert_eq!(encode_counter(1), [1, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(encode_counter(258), [2, 1, 0, 0, 0, 0, 0, 0]);
        assert_eq!(decode_counter(&encode_counter(-5)), Some(-5));
        assert_eq!(decode_counter(b"1"), None);
        assert_eq!(decode_counter(&[0; 9]), None);
    }

    #[test]
    fn increments_from_absent_and_existing_values() {
        assert_eq!(next_count("k", None).unwrap(), 1);
        assert_eq!(next_count("k", Some(&encode_counter(41))).unwrap(), 42);
    }

    #[test]
    fn rejects_corrupt_and_exhausted_counters() {
        let err = next_count("meta:x", Some(b"12")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "key-value store 'default' has key 'meta:x' holding 2 bytes, not an 8-byte \
             little-endian counter"
        );
        let problem = err.to_problem();
        assert_eq!(problem.status(), 503);
        assert_eq!(
            problem.detail(),
            "The key-value store 'default' has key 'meta:x' holding 2 bytes, not an 8-byte \
             little-endian counter."
        );
        assert!(matches!(
            next_count("k", Some(&encode_counter(i64::MAX))),
            Err(StateError::CounterOverflow { .. })
        ));
    }
}
