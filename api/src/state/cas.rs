//! Read-modify-write that cannot lose an update: compare-and-swap with bounded retry.

use super::{KeyValue, StateError, STORE};

/// Attempts before giving up with [`StateError::Contention`] (a 503 with `Retry-After`).
pub const MAX_ATTEMPTS: u32 = 16;

/// What to do with the value read.
pub enum Change<T> {
    /// Write these bytes, then return the value.
    Write(Vec<u8>, T),
    /// Leave the key as it is and return the value.
    Keep(T),
}

/// Reads `key`, lets `decide` choose the new value from the current one, and writes it
/// only if nobody changed the key meanwhile; otherwise reads again and re-decides.
/// `decide` may run several times and must not have side effects.
pub fn update<K, T, E>(
    kv: &K,
    key: &str,
    mut decide: impl FnMut(Option<&[u8]>) -> Result<Change<T>, E>,
) -> Result<T, E>
where
    K: KeyValue,
    E: From<StateError>,
{
    for _ in 0..MAX_ATTEMPTS {
        let (cas, current) = kv.watch(key)?;
        match decide(current.as_deref())? {
            Change::Keep(out) => return Ok(out),
            Change::Write(bytes, out) => {
                if kv.swap(cas, &bytes)? {
                    return Ok(out);
                }
            }
        }
    }
    Err(StateError::Contention {
        store: STORE,
        key: key.to_owned(),
        attempts: MAX_ATTEMPTS,
    }
    .into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::memory::MemoryStore;

    fn append(kv: &MemoryStore, key: &str, byte: u8) -> Result<usize, StateError> {
        update(kv, key, |current| {
            let mut value = current.unwrap_or_default().to_vec();
            value.push(byte);
            let len = value.len();
            Ok::<_, StateError>(Change::Write(value, len))
        })
    }

    #[test]
    fn a_concurrent_write_is_not_lost() {
        let kv = MemoryStore::new();
        kv.set("k", b"a").unwrap();
        // Another request appends `b` between our read and our swap.
        kv.interfere(|map| map.get_mut("k").unwrap().push(b'b'));
        assert_eq!(append(&kv, "k", b'c').unwrap(), 3);
        assert_eq!(kv.get("k").unwrap().unwrap(), b"abc");
        assert_eq!(kv.swaps(), 2, "the first swap failed and was retried");
    }

    #[test]
    fn a_concurrent_create_fails_the_swap_of_an_absent_key() {
        let kv = MemoryStore::new();
        kv.interfere(|map| {
            map.insert("k".into(), b"x".to_vec());
        });
        assert_eq!(append(&kv, "k", b'y').unwrap(), 2);
        assert_eq!(kv.get("k").unwrap().unwrap(), b"xy");
    }

    #[test]
    fn keep_writes_nothing() {
        let kv = MemoryStore::new();
        let out = update(&kv, "k", |_| Ok::<_, StateError>(Change::Keep(7))).unwrap();
        assert_eq!(out, 7);
        assert_eq!(kv.get("k").unwrap(), None);
        assert_eq!(kv.swaps(), 0);
    }

    #[test]
    fn endless_contention_gives_up() {
        let kv = MemoryStore::new();
        for i in 0..MAX_ATTEMPTS {
            kv.interfere(move |map| {
                map.insert("k".into(), vec![i as u8]);
            });
        }
        match append(&kv, "k", 1) {
            Err(StateError::Contention { attempts, .. }) => assert_eq!(attempts, MAX_ATTEMPTS),
            other => panic!("{other:?}"),
        }
    }
}
