//! An application's event feed: `…:feed` holds event ids newest first with their delivery
//! ids (the last [`RETAINED`]); each event is its own key. Recording is a swap of the
//! feed key (created with the application), so two deliveries with one id cannot both be
//! recorded: the second sees the first and is a duplicate.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::problem::Problem;
use crate::state::{cas, decode_json, encode_json, keys, KeyValue, StateError};

/// Events kept per application; older ones are dropped (and their delivery ids with
/// them, so a replay older than this many deliveries is not recognised).
pub const RETAINED: usize = 500;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Entry {
    event: String,
    delivery: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Feed {
    entries: Vec<Entry>,
    last_delivery_at: Option<String>,
}

/// The value a new application's feed starts with.
pub fn initial() -> Vec<u8> {
    encode_json(&Feed::default())
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
    let key = keys::application_feed(org, app);
    let outcome = cas::update(kv, &key, |current| {
        let Some(bytes) = current else {
            return Ok::<_, StateError>(cas::Change::Keep((Recorded::Gone, Vec::new())));
        };
        let mut feed: Feed = decode_json(&key, bytes)?;
        if let Some(seen) = feed.entries.iter().find(|e| e.delivery == delivery_id) {
            return Ok(cas::Change::Keep((
                Recorded::Duplicate(seen.event.clone()),
                Vec::new(),
            )));
        }
        feed.entries.insert(
            0,
            Entry {
                event: event_id.to_owned(),
                delivery: delivery_id.to_owned(),
            },
        );
        let dropped: Vec<String> = feed
            .entries
            .split_off(feed.entries.len().min(RETAINED))
            .into_iter()
            .map(|e| e.event)
            .collect();
        feed.last_delivery_at = Some(at.to_owned());
        Ok(cas::Change::Write(
            encode_json(&feed),
            (Recorded::New(event_id.to_owned()), dropped),
        ))
    })?;
    let (recorded, dropped) = outcome;
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

/// Ids of every retained event, newest first.
pub fn event_ids(kv: &impl KeyValue, org: &str, app: &str) -> Result<Vec<String>, StateError> {
    let key = keys::application_feed(org, app);
    Ok(match kv.get(&key)? {
        Some(bytes) => decode_json::<Feed>(&key, &bytes)?
            .entries
            .into_iter()
            .map(|e| e.event)
            .collect(),
        None => Vec::new(),
    })
}

/// When the last verified delivery arrived, if any did.
pub fn last_delivery_at(
    kv: &impl KeyValue,
    org: &str,
    app: &str,
) -> Result<Option<String>, StateError> {
    let key = keys::application_feed(org, app);
    Ok(match kv.get(&key)? {
        Some(bytes) => decode_json::<Feed>(&key, &bytes)?.last_delivery_at,
        None => None,
    })
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
    let ids = event_ids(kv, org, app)?;
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
        kv.set(&keys::application_feed("o", "a"), &initial())
            .unwrap();
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
        let key = keys::application_feed("o", "a");
        kv.interfere(move |map| {
            let other = Feed {
                entries: vec![Entry {
                    event: "other".into(),
                    delivery: "d1".into(),
                }],
                last_delivery_at: None,
            };
            map.insert(key, encode_json(&other));
        });
        assert_eq!(rec(&kv, "e1", "d1"), Recorded::Duplicate("other".into()));
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
    fn old_events_are_dropped() {
        let kv = MemoryStore::new();
        feed(&kv);
        for i in 0..RETAINED + 2 {
            rec(&kv, &format!("e{i}"), &format!("d{i}"));
        }
        assert_eq!(event_ids(&kv, "o", "a").unwrap().len(), RETAINED);
        assert_eq!(
            kv.get(&keys::application_event("o", "a", "e0")).unwrap(),
            None
        );
        assert!(kv
            .get(&keys::application_event("o", "a", "e2"))
            .unwrap()
            .is_some());
    }
}
