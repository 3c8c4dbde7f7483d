//! In-memory [`KeyValue`] for unit tests, with strict compare-and-swap and a way to play
//! a concurrent writer between `watch` and `swap`.

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};

use super::{decode_counter, KeyValue, StateError};

type Interference = Box<dyn FnOnce(&mut BTreeMap<String, Vec<u8>>)>;

/// A map in a `RefCell`.
#[derive(Default)]
pub struct MemoryStore {
    map: RefCell<BTreeMap<String, Vec<u8>>>,
    interferences: RefCell<VecDeque<Interference>>,
    swaps: RefCell<u32>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs `change` on the data right before the next swap, as a concurrent request would.
    pub fn interfere(&self, change: impl FnOnce(&mut BTreeMap<String, Vec<u8>>) + 'static) {
        self.interferences.borrow_mut().push_back(Box::new(change));
    }

    /// Every key and value.
    pub fn dump(&self) -> BTreeMap<String, Vec<u8>> {
        self.map.borrow().clone()
    }

    /// Keys, sorted.
    pub fn keys(&self) -> Vec<String> {
        self.map.borrow().keys().cloned().collect()
    }

    /// Swaps attempted so far.
    pub fn swaps(&self) -> u32 {
        *self.swaps.borrow()
    }
}

impl KeyValue for MemoryStore {
    type Cas = (String, Option<Vec<u8>>);

    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StateError> {
        Ok(self.map.borrow().get(key).cloned())
    }

    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, StateError> {
        let map = self.map.borrow();
        Ok(keys.iter().map(|k| map.get(k).cloned()).collect())
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), StateError> {
        self.map.borrow_mut().insert(key.to_owned(), value.to_vec());
        Ok(())
    }

    fn set_many(&self, entries: &[(String, Vec<u8>)]) -> Result<(), StateError> {
        let mut map = self.map.borrow_mut();
        for (key, value) in entries {
            map.insert(key.clone(), value.clone());
        }
        Ok(())
    }

    fn delete_many(&self, keys: &[String]) -> Result<(), StateError> {
        let mut map = self.map.borrow_mut();
        for key in keys {
            map.remove(key);
        }
        Ok(())
    }

    fn increment(&self, key: &str, delta: i64) -> Result<i64, StateError> {
        let mut map = self.map.borrow_mut();
        let current = match map.get(key) {
            None => 0,
            Some(bytes) => decode_counter(bytes)
                .ok_or_else(|| StateError::corrupt(key, "not an 8-byte counter"))?,
        };
        let next = current + delta;
        map.insert(key.to_owned(), next.to_le_bytes().to_vec());
        Ok(next)
    }

    fn watch(&self, key: &str) -> Result<(Self::Cas, Option<Vec<u8>>), StateError> {
        let current = self.map.borrow().get(key).cloned();
        Ok(((key.to_owned(), current.clone()), current))
    }

    fn swap(&self, (key, seen): Self::Cas, value: &[u8]) -> Result<bool, StateError> {
        *self.swaps.borrow_mut() += 1;
        let interference = self.interferences.borrow_mut().pop_front();
        let mut map = self.map.borrow_mut();
        if let Some(change) = interference {
            change(&mut map);
        }
        if map.get(&key) != seen.as_ref() {
            return Ok(false);
        }
        map.insert(key, value.to_vec());
        Ok(true)
    }
}
