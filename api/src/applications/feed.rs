//! An application's event feed, in [`SHARDS`] shards (`…:feed:<n>`): a delivery goes to
//! the shard its delivery id hashes to, which holds event ids newest first with their
//! delivery ids; each event is its own key. Recording is a swap of one shard, so two
//! deliveries with one id (same shard) cannot both be recorded: the second sees the first
//! and is a duplicate, while deliveries of other ids mostly swap other shards, and each
//! swap rewrites a small part of the feed. Listing merges the shards by arrival time.
//!
//! A shard lists its newest [`RETAINED_PER_SHARD`] events. Older ones are deleted in
//! batches of [`PRUNE_BATCH`] rather than one per delivery, which saves a write to the
//! store on most deliveries; until then they are not listed, but a replay of one is still
//! recognised.
//!
//! `…:feed` itself marks that the feed exists (created and removed with the application)
//! and holds events recorded before the feed was sharded (schema 3 moves them; schema 4
//! spreads the 8 shards of schema 3 over [`SHARDS`]).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::clock;
use crate::problem::Problem;
use crate::state::{cas, decode_json, encode_json, keys, KeyValue, StateError};

/// Shards of a feed.
pub const SHARDS: usize = 32;

/// Shards of a feed in schema 3.
#[cfg(test)]
pub const SHARDS_SCHEMA_3: usize = 8;

/// Events listed per shard; older ones are dropped (and their delivery ids with them, so a
/// replay older than about `SHARDS × (RETAINED_PER_SHARD + PRUNE_BATCH)` deliveries is
/// not recognised).
pub const RETAINED_PER_SHARD: usize = 16;

/// Dropped events a shard collects before they are deleted together.
pub const PRUNE_BATCH: usize = 16;

/// Events kept per application.
#[cfg(test)]
const RETAINED: usize = SHARDS * RETAINED_PER_SHARD;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Entry {
    event: String,
    delivery: String,
    /// Arrival, nanoseconds since the epoch (0 for entries from before sharding).
    #[serde(default)]
    at_ns: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Feed {
    entries: Vec<Entry>,
    last_delivery_at: Option<String>,
}

/// The keys a new application's feed starts with, and their values.
pub fn initial(org: &str, app: &str) -> Vec<(String, Vec<u8>)> {
    let empty = encode_json(&Feed::default());
    std::iter::once(keys::application_feed(org, app))
        .chain((0..SHARDS).map(|n| keys::application_feed_shard(org, app, n)))
        .map(|key| (key, empty.clone()))
        .collect()
}

/// Every key of an application's feed (marker and shards).
pub fn feed_keys(org: &str, app: &str) -> Vec<String> {
    initial(org, app).into_iter().map(|(key, _)| key).collect()
}

/// The shard a delivery id belongs to.
fn shard_of(delivery_id: &str) -> usize {
    usize::from(Sha256::digest(delivery_id.as_bytes())[0]) % SHARDS
}

/// What recording a delivery did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// A new event with this id.
    New(String),
    /// The delivery was recorded before, as this event.
    Duplicate(String),
    /// The application is gone.
    Gone,
}

/// Records `event` (its id is `event_id`, fresh) for delivery `delivery_id`, unless that
/// delivery was recorded already.
pub fn record(
    kv: &impl KeyValue,
    org: &str,
    app: &str,
    event_id: &str,
    delivery_id: &str,
    event: &Value,
    at: &str,
) -> Result<Recorded, StateError> {
    let event_key = keys::application_event(org, app, event_id);
    kv.set(&event_key, &encode_json(event))?;
    let key = keys::application_feed_shard(org, app, shard_of(delivery_id));
    let at_ns = clock::now_nanos();
    let outcome = cas::update(kv, &key, |current| {
        let Some(bytes) = current else {
            return Ok::<_, StateError>(cas::Change::Keep((Recorded::Gone, Vec::new())));
        };
        let mut shard: Feed = decode_json(&key, bytes)?;
        if let Some(seen) = shard.entries.iter().find(|e| e.delivery == delivery_id) {
            return Ok(cas::Change::Keep((
                Recorded::Duplicate(seen.event.clone()),
                Vec::new(),
            )));
        }
        shard.entries.insert(
            0,
            Entry {
                event: event_id.to_owned(),
                delivery: delivery_id.to_owned(),
                at_ns,
            },
        );
        let dropped: Vec<String> = if shard.entries.len() >= RETAINED_PER_SHARD + PRUNE_BATCH {
            shard
                .entries
                .split_off(RETAINED_PER_SHARD)
                .into_iter()
                .map(|e| e.event)
                .collect()
        } else {
            Vec::new()
        };
        shard.last_delivery_at = Some(at.to_owned());
        Ok(cas::Change::Write(
            encode_json(&shard),
            (Recorded::New(event_id.to_owned()), dropped),
        ))
    });
    let (recorded, dropped) = match outcome {
        Ok(outcome) => outcome,
        Err(error) => {
            // Not recorded: the event key must not outlive the attempt.
            let _ = kv.delete_many(&[event_key]);
            return Err(error);
        }
    };
    let mut doomed: Vec<String> = dropped
        .iter()
        .map(|id| keys::application_event(org, app, id))
        .collect();
    if !matches!(recorded, Recorded::New(_)) {
        doomed.push(event_key);
    }
    if !doomed.is_empty() {
        kv.delete_many(&doomed)?;
    }
    Ok(recorded)
}

/// The marker and the shards, as stored.
fn read_all(kv: &impl KeyValue, org: &str, app: &str) -> Result<Vec<Feed>, StateError> {
    let keys = feed_keys(org, app);
    let mut feeds = Vec::with_capacity(keys.len());
    for (key, value) in keys.iter().zip(kv.get_many(&keys)?) {
        if let Some(bytes) = value {
            feeds.push(decode_json::<Feed>(key, &bytes)?);
        }
    }
    Ok(feeds)
}

/// Ids of every stored event (listed, or dropped and awaiting deletion), newest first.
pub fn event_ids(kv: &impl KeyValue, org: &str, app: &str) -> Result<Vec<String>, StateError> {
    ids(kv, org, app, usize::MAX)
}

/// Ids of the newest `per_shard` events of each shard, newest first.
fn ids(
    kv: &impl KeyValue,
    org: &str,
    app: &str,
    per_shard: usize,
) -> Result<Vec<String>, StateError> {
    let mut entries: Vec<Entry> = read_all(kv, org, app)?
        .into_iter()
        .flat_map(|feed| feed.entries.into_iter().take(per_shard))
        .collect();
    // Stable: entries from before sharding (all 0) keep their order, after the others.
    entries.sort_by_key(|e| std::cmp::Reverse(e.at_ns));
    Ok(entries.into_iter().map(|e| e.event).collect())
}

/// When the last verified delivery arrived, if any did.
pub fn last_delivery_at(
    kv: &impl KeyValue,
    org: &str,
    app: &str,
) -> Result<Option<String>, StateError> {
    // RFC 3339 UTC with a fixed layout: the greatest string is the latest time.
    Ok(read_all(kv, org, app)?
        .into_iter()
        .filter_map(|feed| feed.last_delivery_at)
        .max())
}

/// Schema 3: gives an application of an older store its shards, moving the events its
/// single feed key holds into them. Idempotent: shards that exist are kept, and the
/// moved entries leave the marker only once every shard exists.
pub fn shard_existing(kv: &impl KeyValue, org: &str, app: &str) -> Result<(), StateError> {
    let marker = keys::application_feed(org, app);
    let Some(bytes) = kv.get(&marker)? else {
        return Ok(());
    };
    let legacy: Feed = decode_json(&marker, &bytes)?;
    for n in 0..SHARDS {
        let shard = Feed {
            entries: legacy
                .entries
                .iter()
                .filter(|e| shard_of(&e.delivery) == n)
                .cloned()
                .collect(),
            last_delivery_at: legacy.last_delivery_at.clone(),
        };
        let key = keys::application_feed_shard(org, app, n);
        cas::update(kv, &key, |current| {
            Ok::<_, StateError>(match current {
                Some(_) => cas::Change::Keep(()),
                None => cas::Change::Write(encode_json(&shard), ()),
            })
        })?;
    }
    cas::update(kv, &marker, |current| {
        let Some(bytes) = current else {
            return Ok::<_, StateError>(cas::Change::Keep(()));
        };
        let mut feed: Feed = decode_json(&marker, bytes)?;
        if feed.entries.is_empty() {
            return Ok(cas::Change::Keep(()));
        }
        feed.entries.clear();
        Ok(cas::Change::Write(encode_json(&feed), ()))
    })
}

/// Schema 4: spreads the entries of an application's shards (8 in schema 3) over
/// [`SHARDS`] by the same hash. Idempotent, and each shard is swapped: entries already in
/// place (also ones recorded meanwhile) stay, moved ones are added.
pub fn reshard(kv: &impl KeyValue, org: &str, app: &str) -> Result<(), StateError> {
    let keys: Vec<String> = (0..SHARDS)
        .map(|n| keys::application_feed_shard(org, app, n))
        .collect();
    let mut all: Vec<Entry> = Vec::new();
    let mut last: Option<String> = None;
    let mut found = false;
    for (key, value) in keys.iter().zip(kv.get_many(&keys)?) {
        if let Some(bytes) = value {
            let feed: Feed = decode_json(key, &bytes)?;
            found = true;
            all.extend(feed.entries);
            last = last.max(feed.last_delivery_at);
        }
    }
    if !found {
        return Ok(());
    }
    for (n, key) in keys.iter().enumerate() {
        let moved: Vec<&Entry> = all.iter().filter(|e| shard_of(&e.delivery) == n).collect();
        cas::update(kv, key, |current| {
            let mut feed: Feed = match current {
                Some(bytes) => decode_json(key, bytes)?,
                None => Feed::default(),
            };
            let before = feed.clone();
            feed.entries.retain(|e| shard_of(&e.delivery) == n);
            for entry in &moved {
                if !feed.entries.iter().any(|e| e.delivery == entry.delivery) {
                    feed.entries.push((*entry).clone());
                }
            }
            feed.entries.sort_by_key(|e| std::cmp::Reverse(e.at_ns));
            feed.last_delivery_at = feed.last_delivery_at.clone().max(last.clone());
            Ok::<_, StateError>(if current.is_some() && feed == before {
                cas::Change::Keep(())
            } else {
                cas::Change::Write(encode_json(&feed), ())
            })
        })?;
    }
    Ok(())
}

/// One page of events, newest first: those after event `cursor` (from the start when
/// `None`), at most `limit`; plus the cursor of the next page.
pub fn page(
    kv: &impl KeyValue,
    org: &str,
    app: &str,
    cursor: Option<&str>,
    limit: usize,
) -> Result<(Vec<Value>, Option<String>), Problem> {
    let ids = ids(kv, org, app, RETAINED_PER_SHARD)?;
    let start = match cursor {
        None => 0,
        Some(cursor) => ids
            .iter()
            .position(|id| id == cursor)
            .map(|i| i + 1)
            .ok_or_else(|| {
                Problem::bad_request(
                    "Query parameter 'cursor' names no retained event; start again without it.",
                )
            })?,
    };
    let slice: Vec<&String> = ids.iter().skip(start).take(limit).collect();
    let wanted: Vec<String> = slice
        .iter()
        .map(|id| keys::application_event(org, app, id))
        .collect();
    let mut events = Vec::with_capacity(wanted.len());
    for (key, value) in wanted.iter().zip(kv.get_many(&wanted)?) {
        if let Some(bytes) = value {
            events.push(decode_json::<Value>(key, &bytes)?);
        }
    }
    let next = (start + slice.len() < ids.len())
        .then(|| slice.last().map(|id| (*id).clone()))
        .flatten();
    Ok((events, next))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::state::memory::MemoryStore;

    fn feed(kv: &MemoryStore) {
        kv.set_many(&initial("o", "a")).unwrap();
    }

    fn rec(kv: &MemoryStore, event: &str, delivery: &str) -> Recorded {
        record(
            kv,
            "o",
            "a",
            event,
            delivery,
            &json!({"id": event}),
            "2026-01-01T00:00:00Z",
        )
        .unwrap()
    }

    #[test]
    fn replays_are_recorded_once() {
        let kv = MemoryStore::new();
        feed(&kv);
        assert_eq!(rec(&kv, "e1", "d1"), Recorded::New("e1".into()));
        assert_eq!(rec(&kv, "e2", "d1"), Recorded::Duplicate("e1".into()));
        assert_eq!(
            kv.get(&keys::application_event("o", "a", "e2")).unwrap(),
            None
        );
        assert_eq!(event_ids(&kv, "o", "a").unwrap(), vec!["e1"]);
        assert_eq!(
            last_delivery_at(&kv, "o", "a").unwrap().as_deref(),
            Some("2026-01-01T00:00:00Z")
        );
    }

    #[test]
    fn a_concurrent_replay_loses_the_race() {
        let kv = MemoryStore::new();
        feed(&kv);
        // The same delivery is recorded by another request between our read and our swap.
        let key = keys::application_feed_shard("o", "a", shard_of("d1"));
        kv.interfere(move |map| {
            let other = Feed {
                entries: vec![Entry {
                    event: "other".into(),
                    delivery: "d1".into(),
                    at_ns: 1,
                }],
                last_delivery_at: None,
            };
            map.insert(key, encode_json(&other));
        });
        assert_eq!(rec(&kv, "e1", "d1"), Recorded::Duplicate("other".into()));
    }

    #[test]
    fn deliveries_spread_over_the_shards() {
        let used: std::collections::BTreeSet<usize> =
            (0..512).map(|i| shard_of(&format!("d{i}"))).collect();
        assert_eq!(used.len(), SHARDS);
    }

    #[test]
    fn pages_newest_first_and_bounds_the_feed() {
        let kv = MemoryStore::new();
        feed(&kv);
        for i in 0..5 {
            rec(&kv, &format!("e{i}"), &format!("d{i}"));
        }
        let (first, next) = page(&kv, "o", "a", None, 2).unwrap();
        assert_eq!(first, vec![json!({"id": "e4"}), json!({"id": "e3"})]);
        let (second, next) = page(&kv, "o", "a", next.as_deref(), 2).unwrap();
        assert_eq!(second, vec![json!({"id": "e2"}), json!({"id": "e1"})]);
        let (last, next) = page(&kv, "o", "a", next.as_deref(), 2).unwrap();
        assert_eq!((last.len(), next), (1, None));
        assert_eq!(
            page(&kv, "o", "a", Some("nope"), 2).unwrap_err().status(),
            400
        );
        assert_eq!(
            record(&kv, "o", "gone", "x", "d", &json!({}), "t").unwrap(),
            Recorded::Gone
        );
    }

    #[test]
    fn old_events_are_dropped_in_batches() {
        let kv = MemoryStore::new();
        feed(&kv);
        let total = RETAINED * 4;
        for i in 0..total {
            rec(&kv, &format!("e{i}"), &format!("d{i}"));
        }
        let listed = ids(&kv, "o", "a", RETAINED_PER_SHARD).unwrap();
        assert_eq!(listed.len(), RETAINED);
        assert_eq!(listed[0], format!("e{}", total - 1));
        let (page, _) = page(&kv, "o", "a", None, RETAINED + 10).unwrap();
        assert_eq!(page.len(), RETAINED, "only retained events are listed");
        // Dropped events wait for their batch: at most PRUNE_BATCH - 1 per shard are stored
        // beyond the listed ones, and every stored id has its event.
        let stored = event_ids(&kv, "o", "a").unwrap();
        assert!(
            stored.len() < RETAINED + SHARDS * PRUNE_BATCH,
            "{}",
            stored.len()
        );
        assert!(stored.len() > RETAINED);
        for id in &stored {
            assert!(kv
                .get(&keys::application_event("o", "a", id))
                .unwrap()
                .is_some());
        }
        assert_eq!(
            kv.get(&keys::application_event("o", "a", "e0")).unwrap(),
            None
        );
        // A replay of a dropped event that still awaits deletion is recognised.
        let waiting = &stored[RETAINED..];
        let delivery = format!("d{}", &waiting[0][1..]);
        assert_eq!(
            rec(&kv, "x", &delivery),
            Recorded::Duplicate(waiting[0].clone())
        );
    }

    #[test]
    fn eight_shards_are_spread_over_all_keeping_their_events() {
        let kv = MemoryStore::new();
        feed(&kv);
        // Schema 3: every entry in shard (hash % 8).
        let mut old: Vec<Feed> = vec![Feed::default(); SHARDS_SCHEMA_3];
        for i in 0..40u64 {
            let delivery = format!("d{i}");
            let n = usize::from(Sha256::digest(delivery.as_bytes())[0]) % SHARDS_SCHEMA_3;
            old[n].entries.insert(
                0,
                Entry {
                    event: format!("e{i}"),
                    delivery,
                    at_ns: i + 1,
                },
            );
            old[n].last_delivery_at = Some("2026-01-01T00:00:00Z".into());
        }
        for (n, shard) in old.iter().enumerate() {
            kv.set(
                &keys::application_feed_shard("o", "a", n),
                &encode_json(shard),
            )
            .unwrap();
        }
        reshard(&kv, "o", "a").unwrap();
        let swaps = kv.swaps();
        reshard(&kv, "o", "a").unwrap();
        assert_eq!(kv.swaps(), swaps, "a second run changes nothing");
        let expected: Vec<String> = (0..40).rev().map(|i| format!("e{i}")).collect();
        assert_eq!(event_ids(&kv, "o", "a").unwrap(), expected);
        for i in 0..40 {
            assert_eq!(
                rec(&kv, "x", &format!("d{i}")),
                Recorded::Duplicate(format!("e{i}"))
            );
        }
        assert_eq!(
            last_delivery_at(&kv, "o", "a").unwrap().as_deref(),
            Some("2026-01-01T00:00:00Z")
        );
        // An application without a feed is left alone.
        reshard(&kv, "o", "none").unwrap();
        assert_eq!(
            kv.get(&keys::application_feed_shard("o", "none", 0))
                .unwrap(),
            None
        );
    }

    #[test]
    fn an_older_single_key_feed_is_sharded_keeping_its_events() {
        let kv = MemoryStore::new();
        let legacy = Feed {
            entries: (0..10)
                .rev()
                .map(|i| Entry {
                    event: format!("e{i}"),
                    delivery: format!("d{i}"),
                    at_ns: 0,
                })
                .collect(),
            last_delivery_at: Some("2026-01-01T00:00:00Z".into()),
        };
        kv.set(&keys::application_feed("o", "a"), &encode_json(&legacy))
            .unwrap();
        shard_existing(&kv, "o", "a").unwrap();
        shard_existing(&kv, "o", "a").unwrap();
        let ids = event_ids(&kv, "o", "a").unwrap();
        assert_eq!(ids.len(), 10);
        // A replay of a moved delivery is still recognised, a new one lands first.
        assert_eq!(rec(&kv, "x", "d3"), Recorded::Duplicate("e3".into()));
        assert_eq!(rec(&kv, "e10", "d10"), Recorded::New("e10".into()));
        assert_eq!(event_ids(&kv, "o", "a").unwrap()[0], "e10");
        assert_eq!(
            last_delivery_at(&kv, "o", "a").unwrap().as_deref(),
            Some("2026-01-01T00:00:00Z")
        );
    }
}
