//! The real backend: `wasi:keyvalue@0.2.0-draft2` (store, batch, atomics), generated from
//! the WIT vendored in `host/wit/keyvalue@0.2.0-draft2` (the same files Spin 4 and our
//! host implement).

use super::{KeyValue, StateError, STORE};

#[allow(missing_docs, clippy::all)]
mod bindings {
    wit_bindgen::generate!({
        path: "../host/wit/keyvalue@0.2.0-draft2",
        world: "wasi:keyvalue/imports",
        generate_all,
    });
}

use bindings::wasi::keyvalue::{atomics, batch, store};

/// The API's bucket ([`STORE`]).
pub struct WasiStore {
    bucket: store::Bucket,
}

impl WasiStore {
    /// Opens [`STORE`].
    pub fn open() -> Result<Self, StateError> {
        store::open(STORE)
            .map(|bucket| Self { bucket })
            .map_err(|e| failed("open the store", e))
    }
}

fn failed(action: &str, error: store::Error) -> StateError {
    let reason = match error {
        store::Error::NoSuchStore => "no such store (check key_value_stores)".to_owned(),
        store::Error::AccessDenied => {
            "access denied (the component may not use this store)".to_owned()
        }
        store::Error::Other(message) => message,
    };
    StateError::Store {
        store: STORE,
        action: action.to_owned(),
        reason,
    }
}

impl KeyValue for WasiStore {
    type Cas = atomics::Cas;

    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StateError> {
        self.bucket
            .get(key)
            .map_err(|e| failed(&format!("read '{key}'"), e))
    }

    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, StateError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        // Backends may leave absent keys out of the answer: match by key, not position.
        let found = batch::get_many(&self.bucket, keys)
            .map_err(|e| failed(&format!("read {} keys", keys.len()), e))?;
        let mut by_key: std::collections::HashMap<String, Option<Vec<u8>>> =
            found.into_iter().collect();
        Ok(keys
            .iter()
            .map(|key| by_key.remove(key).flatten())
            .collect())
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), StateError> {
        self.bucket
            .set(key, value)
            .map_err(|e| failed(&format!("write '{key}'"), e))
    }

    fn set_many(&self, entries: &[(String, Vec<u8>)]) -> Result<(), StateError> {
        batch::set_many(&self.bucket, entries)
            .map_err(|e| failed(&format!("write {} keys", entries.len()), e))
    }

    fn delete_many(&self, keys: &[String]) -> Result<(), StateError> {
        batch::delete_many(&self.bucket, keys)
            .map_err(|e| failed(&format!("delete {} keys", keys.len()), e))
    }

    fn increment(&self, key: &str, delta: i64) -> Result<i64, StateError> {
        atomics::increment(&self.bucket, key, delta)
            .map_err(|e| failed(&format!("increment '{key}'"), e))
    }

    fn watch(&self, key: &str) -> Result<(Self::Cas, Option<Vec<u8>>), StateError> {
        let action = || format!("start a compare-and-swap on '{key}'");
        let cas = atomics::Cas::new(&self.bucket, key).map_err(|e| failed(&action(), e))?;
        let current = cas.current().map_err(|e| failed(&action(), e))?;
        Ok((cas, current))
    }

    fn swap(&self, cas: Self::Cas, value: &[u8]) -> Result<bool, StateError> {
        match atomics::swap(cas, value) {
            Ok(()) => Ok(true),
            Err(atomics::CasError::CasFailed(_)) => Ok(false),
            Err(atomics::CasError::StoreError(e)) => Err(failed("compare-and-swap", e)),
        }
    }
}
