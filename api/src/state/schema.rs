//! Schema version of the stored data (`meta:schema_version`, ASCII decimal) and the
//! migrations that bring an older store up to date.
//!
//! Every request that touches organization data reads the version (batched with its first
//! read) and calls [`ensure`]. A store older than [`CURRENT`] is migrated step by step;
//! each step must be idempotent, because two instances may run it at once, and the
//! version moves forward with compare-and-swap only after its step has run. A store newer
//! than this build is refused (503) rather than misread.
//!
//! Adding a migration: bump [`CURRENT`], append a [`Step`] to [`steps`] whose `to` is the
//! new version, and test it on a store written by the previous version.

use super::{cas, keys, KeyValue, StateError, STORE};

/// Schema version this build writes.
pub const CURRENT: u32 = 4;

/// One migration: brings the store from `to - 1` to `to`.
pub struct Step<K> {
    /// The version after this step.
    pub to: u32,
    /// What it does, for logs.
    pub describe: &'static str,
    /// Does it; must be idempotent.
    pub run: fn(&K) -> Result<(), StateError>,
}

/// Every migration, in order.
pub fn steps<K: KeyValue>() -> Vec<Step<K>> {
    vec![
        Step {
            to: 1,
            describe: "create the organization index meta:organizations",
            run: create_organization_index,
        },
        Step {
            to: 2,
            describe: "create the application index of every organization",
            run: create_application_indexes,
        },
        Step {
            to: 3,
            describe: "shard the event feed of every application",
            run: shard_feeds,
        },
        Step {
            to: 4,
            describe: "spread the event feed of every application over 32 shards",
            run: reshard_feeds,
        },
    ]
}

/// Migrates the store to [`CURRENT`] if needed; `stored` is the value of
/// [`keys::SCHEMA_VERSION`] as the caller read it.
pub fn ensure<K: KeyValue>(kv: &K, stored: Option<&[u8]>) -> Result<(), StateError> {
    migrate(kv, stored, &steps(), CURRENT).map(|_| ())
}

/// Runs the steps between the stored version and `target`; returns the version reached.
pub fn migrate<K: KeyValue>(
    kv: &K,
    stored: Option<&[u8]>,
    steps: &[Step<K>],
    target: u32,
) -> Result<u32, StateError> {
    let mut version = parse(stored)?;
    if version > target {
        return Err(StateError::SchemaTooNew {
            store: STORE,
            found: version,
            supported: target,
        });
    }
    let start = version;
    for step in steps.iter().filter(|s| s.to > start && s.to <= target) {
        eprintln!(
            "api: migrating the store to schema {}: {}",
            step.to, step.describe
        );
        (step.run)(kv)?;
        version = cas::update(kv, keys::SCHEMA_VERSION, |current| {
            let seen = parse(current)?;
            Ok::<_, StateError>(if seen >= step.to {
                cas::Change::Keep(seen)
            } else {
                cas::Change::Write(step.to.to_string().into_bytes(), step.to)
            })
        })?;
    }
    Ok(version)
}

/// The stored version; an absent key is version 0 (a store that predates versioning).
fn parse(stored: Option<&[u8]>) -> Result<u32, StateError> {
    let Some(bytes) = stored else { return Ok(0) };
    std::str::from_utf8(bytes)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .ok_or_else(|| StateError::corrupt(keys::SCHEMA_VERSION, "not a decimal version number"))
}

/// Version 1: the organization index exists (organizations are added to it with CAS).
fn create_organization_index<K: KeyValue>(kv: &K) -> Result<(), StateError> {
    cas::update(kv, keys::ORGANIZATIONS, |current| {
        Ok::<_, StateError>(match current {
            Some(_) => cas::Change::Keep(()),
            None => cas::Change::Write(b"{}".to_vec(), ()),
        })
    })
}

/// Version 2: every organization has its application index (created empty where absent;
/// no application can exist before this version, so nothing is overwritten).
fn create_application_indexes<K: KeyValue>(kv: &K) -> Result<(), StateError> {
    let organizations = super::index::read(kv, keys::ORGANIZATIONS)?.unwrap_or_default();
    for org in organizations.keys() {
        cas::update(kv, &keys::applications(org), |current| {
            Ok::<_, StateError>(match current {
                Some(_) => cas::Change::Keep(()),
                None => cas::Change::Write(b"{}".to_vec(), ()),
            })
        })?;
    }
    Ok(())
}

/// Version 3: every application's event feed is sharded (see
/// `applications::feed::shard_existing`).
fn shard_feeds<K: KeyValue>(kv: &K) -> Result<(), StateError> {
    for_each_application(kv, crate::applications::feed::shard_existing)
}

/// Version 4: every application's feed is spread over the current number of shards (see
/// `applications::feed::reshard`).
fn reshard_feeds<K: KeyValue>(kv: &K) -> Result<(), StateError> {
    for_each_application(kv, crate::applications::feed::reshard)
}

/// Runs `f(kv, org, app)` for every application of every organization.
fn for_each_application<K: KeyValue>(
    kv: &K,
    f: fn(&K, &str, &str) -> Result<(), StateError>,
) -> Result<(), StateError> {
    let organizations = super::index::read(kv, keys::ORGANIZATIONS)?.unwrap_or_default();
    for org in organizations.keys() {
        let apps = super::index::read(kv, &keys::applications(org))?.unwrap_or_default();
        for app in apps.keys() {
            f(kv, org, app)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::memory::MemoryStore;

    #[test]
    fn a_fresh_store_is_migrated_to_the_current_version() {
        let kv = MemoryStore::new();
        ensure(&kv, None).unwrap();
        assert_eq!(kv.get(keys::SCHEMA_VERSION).unwrap().unwrap(), b"4");
        assert_eq!(kv.get(keys::ORGANIZATIONS).unwrap().unwrap(), b"{}");
        // Current: nothing runs, nothing is written.
        let swaps = kv.swaps();
        ensure(&kv, Some(b"4")).unwrap();
        assert_eq!(kv.swaps(), swaps);
    }

    #[test]
    fn migration_keeps_existing_data() {
        let kv = MemoryStore::new();
        kv.set(keys::ORGANIZATIONS, br#"{"o":"Acme"}"#).unwrap();
        ensure(&kv, None).unwrap();
        assert_eq!(
            kv.get(keys::ORGANIZATIONS).unwrap().unwrap(),
            br#"{"o":"Acme"}"#
        );
        // Version 2 gave the existing organization its application index.
        assert_eq!(kv.get(&keys::applications("o")).unwrap().unwrap(), b"{}");
        kv.set(&keys::applications("o"), br#"{"a":"web"}"#).unwrap();
        kv.set(keys::SCHEMA_VERSION, b"1").unwrap();
        ensure(&kv, Some(b"1")).unwrap();
        assert_eq!(
            kv.get(&keys::applications("o")).unwrap().unwrap(),
            br#"{"a":"web"}"#,
            "an existing index is kept"
        );
    }

    fn mark_two(kv: &MemoryStore) -> Result<(), StateError> {
        kv.set("migrated:2", b"yes")
    }

    #[test]
    fn later_steps_run_in_order_and_only_once() {
        let kv = MemoryStore::new();
        let mut all = steps::<MemoryStore>();
        all.truncate(1);
        all.push(Step {
            to: 2,
            describe: "test step",
            run: mark_two,
        });
        assert_eq!(migrate(&kv, Some(b"1"), &all, 2).unwrap(), 2);
        assert_eq!(kv.get("migrated:2").unwrap().unwrap(), b"yes");
        assert_eq!(kv.get(keys::ORGANIZATIONS).unwrap(), None, "step 1 skipped");
        assert_eq!(kv.get(keys::SCHEMA_VERSION).unwrap().unwrap(), b"2");
    }

    #[test]
    fn version_3_shards_the_feeds_of_existing_applications() {
        let kv = MemoryStore::new();
        kv.set(keys::ORGANIZATIONS, br#"{"o":"Acme"}"#).unwrap();
        kv.set(&keys::applications("o"), br#"{"a":"web"}"#).unwrap();
        let legacy = br#"{"entries":[{"event":"e1","delivery":"d1"}],"last_delivery_at":null}"#;
        kv.set(&keys::application_feed("o", "a"), legacy).unwrap();
        kv.set(keys::SCHEMA_VERSION, b"2").unwrap();
        ensure(&kv, Some(b"2")).unwrap();
        assert_feed_of_one_event_in_every_shard(&kv);
    }

    /// The store is current, and application `a` of `o` has its one event `e1` in a feed
    /// with every shard.
    fn assert_feed_of_one_event_in_every_shard(kv: &MemoryStore) {
        assert_eq!(kv.get(keys::SCHEMA_VERSION).unwrap().unwrap(), b"4");
        assert_eq!(
            crate::applications::feed::event_ids(kv, "o", "a").unwrap(),
            vec!["e1"]
        );
        for n in 0..crate::applications::feed::SHARDS {
            assert!(kv
                .get(&keys::application_feed_shard("o", "a", n))
                .unwrap()
                .is_some());
        }
    }

    #[test]
    fn version_4_spreads_the_feeds_of_existing_applications() {
        let kv = MemoryStore::new();
        kv.set(keys::ORGANIZATIONS, br#"{"o":"Acme"}"#).unwrap();
        kv.set(&keys::applications("o"), br#"{"a":"web"}"#).unwrap();
        let old = br#"{"entries":[{"event":"e1","delivery":"d1","at_ns":5}],"last_delivery_at":"2026-01-01T00:00:00Z"}"#;
        let empty = br#"{"entries":[],"last_delivery_at":null}"#;
        for n in 0..crate::applications::feed::SHARDS_SCHEMA_3 {
            let value: &[u8] = if n == 0 { old } else { empty };
            kv.set(&keys::application_feed_shard("o", "a", n), value)
                .unwrap();
        }
        kv.set(keys::SCHEMA_VERSION, b"3").unwrap();
        ensure(&kv, Some(b"3")).unwrap();
        assert_feed_of_one_event_in_every_shard(&kv);
    }

    #[test]
    fn a_newer_or_unreadable_store_is_refused() {
        let kv = MemoryStore::new();
        assert!(matches!(
            ensure(&kv, Some(b"9")),
            Err(StateError::SchemaTooNew { found: 9, .. })
        ));
        assert!(matches!(
            ensure(&kv, Some(b"one")),
            Err(StateError::Corrupt { .. })
        ));
    }
}
