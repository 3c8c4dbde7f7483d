//! Fills the key-value store with other organizations' Git tokens, straight into Spin's
//! SQLite file (`spin_key_value`, store `default`) while the host is stopped: creating a
//! million through the API would validate each with the provider.
//!
//! The key layout is the API's (api/README.md, "State"): per organization its record, its
//! (empty) application index and its Git token index (id → lowercase name); per token its
//! record and its usage key. Each organization is added to `meta:organizations`. Records
//! are copies of ones the API wrote for the measured organization, re-keyed, so shapes and
//! sizes are real. Sealed values are copied as they are: bound to the record they were
//! sealed for, they would not open under the new ids, and listing never opens them.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::Value;

/// Spin's label of the default store.
const STORE: &str = "default";
/// Spin's write statement.
const SQL_SET: &str = "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3)
                       ON CONFLICT(store, key) DO UPDATE SET value = ?3";
const ORGANIZATIONS: &str = "meta:organizations";

/// What to copy: an organization and one of its Git tokens, as the API stored them.
pub struct Template<'a> {
    /// Organization id.
    pub organization: &'a str,
    /// Id of a Git token of that organization that no application uses.
    pub token: &'a str,
}

/// What seeding wrote.
pub struct Seeded {
    /// Organizations added.
    pub organizations: u64,
    /// Git tokens added.
    pub tokens: u64,
    /// Rows written.
    pub rows: u64,
    /// Time the transaction took.
    pub elapsed: Duration,
}

/// Adds `tokens` Git tokens, `per_org` to an organization, in one transaction.
pub fn seed_other_organizations(
    db: &Path,
    template: &Template<'_>,
    tokens: u64,
    per_org: u64,
) -> anyhow::Result<Seeded> {
    let started = Instant::now();
    let mut conn = Connection::open(db).with_context(|| format!("open {}", db.display()))?;
    // Nobody else has the file open: a rollback journal avoids writing everything twice
    // (WAL, then checkpoint). The host switches back to WAL when it opens the file.
    conn.pragma_update(None, "journal_mode", "DELETE")?;
    conn.pragma_update(None, "synchronous", "OFF")?;
    conn.pragma_update(None, "cache_size", -262_144)?;

    let read = |key: &str| -> anyhow::Result<Vec<u8>> {
        conn.query_row(
            "SELECT value FROM spin_key_value WHERE store = ?1 AND key = ?2",
            params![STORE, key],
            |row| row.get(0),
        )
        .optional()?
        .with_context(|| format!("no {key} in {}", db.display()))
    };
    let org = template.organization;
    let org_record: Value = serde_json::from_slice(&read(&format!("org:{org}"))?)?;
    let token_key = format!("org:{org}:gittoken:{}", template.token);
    let token_record: Value = serde_json::from_slice(&read(&token_key)?)?;
    let services = read(&format!("{token_key}:services"))?;
    let mut all_orgs: BTreeMap<String, String> = serde_json::from_slice(&read(ORGANIZATIONS)?)?;

    // Sorted ids make the inserts appends to the primary-key index.
    let mut rng = fastrand::Rng::with_seed(0x5eed);
    let org_count = tokens.div_ceil(per_org.max(1));
    let mut org_ids: Vec<String> = (0..org_count)
        .map(|_| crate::ids::uuid_v4(&mut rng))
        .collect();
    org_ids.sort_unstable();

    let tx = conn.transaction()?;
    let mut rows = 0u64;
    {
        let mut insert = tx.prepare(SQL_SET)?;
        let mut put = |key: &str, value: &[u8]| -> rusqlite::Result<()> {
            insert.execute(params![STORE, key, value])?;
            rows += 1;
            Ok(())
        };
        let mut left = tokens;
        for (n, org_id) in org_ids.iter().enumerate() {
            let name = format!("Other organization {n}");
            let mut record = org_record.clone();
            record["id"] = Value::from(org_id.as_str());
            record["name"] = Value::from(name.as_str());
            put(&format!("org:{org_id}"), &serde_json::to_vec(&record)?)?;
            put(&format!("org:{org_id}:applications"), b"{}")?;
            let count = left.min(per_org);
            left -= count;
            let mut token_ids: Vec<String> =
                (0..count).map(|_| crate::ids::uuid_v4(&mut rng)).collect();
            token_ids.sort_unstable();
            let mut index = BTreeMap::new();
            for (i, token_id) in token_ids.iter().enumerate() {
                let token_name = format!("deploy-{i:02}");
                let mut token = token_record.clone();
                token["id"] = Value::from(token_id.as_str());
                token["name"] = Value::from(token_name.as_str());
                let key = format!("org:{org_id}:gittoken:{token_id}");
                put(&key, &serde_json::to_vec(&token)?)?;
                put(&format!("{key}:services"), &services)?;
                index.insert(token_id.as_str(), token_name);
            }
            put(
                &format!("org:{org_id}:gittokens"),
                &serde_json::to_vec(&index)?,
            )?;
            all_orgs.insert(org_id.clone(), name);
        }
        put(ORGANIZATIONS, &serde_json::to_vec(&all_orgs)?)?;
    }
    tx.commit()?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    drop(conn);
    // Written without syncing: wait for the data to reach the disk now, so that the
    // kernel's write-back does not compete with the measurement that follows.
    std::fs::File::open(db)?.sync_all()?;
    Ok(Seeded {
        organizations: org_count,
        tokens,
        rows,
        elapsed: started.elapsed(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORG: &str = "0b5e0f5e-8f59-4b5e-9c3a-1d2e3f4a5b6c";
    const TOKEN: &str = "7d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d";

    fn get(conn: &Connection, key: &str) -> Option<Vec<u8>> {
        conn.query_row(
            "SELECT value FROM spin_key_value WHERE store = ?1 AND key = ?2",
            params![STORE, key],
            |row| row.get(0),
        )
        .optional()
        .unwrap()
    }

    fn json(conn: &Connection, key: &str) -> Value {
        serde_json::from_slice(&get(conn, key).unwrap_or_else(|| panic!("no {key}"))).unwrap()
    }

    #[test]
    fn seeds_other_organizations_in_the_api_key_layout() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("sqlite_key_value.db");
        // The schema and a record set as the host and the API write them.
        host::key_value::SqliteDatabase::open(&db).unwrap();
        let conn = Connection::open(&db).unwrap();
        let token = serde_json::json!({
            "id": TOKEN, "name": "deploy-49", "provider": "github", "description": null,
            "facts": {"kind": "classic_pat", "scopes": ["repo"]},
            "secret": {"alg": "A256GCM", "kid": "00", "nonce": "AA==", "ciphertext": "AA=="},
        });
        for (key, value) in [
            (
                format!("org:{ORG}"),
                serde_json::json!({"id": ORG, "name": "Bench"}).to_string(),
            ),
            (format!("org:{ORG}:gittoken:{TOKEN}"), token.to_string()),
            (
                format!("org:{ORG}:gittoken:{TOKEN}:services"),
                r#"{"services":[],"closed":false}"#.into(),
            ),
            (ORGANIZATIONS.into(), format!(r#"{{"{ORG}":"Bench"}}"#)),
        ] {
            conn.execute(SQL_SET, params![STORE, key, value.as_bytes()])
                .unwrap();
        }
        drop(conn);

        let template = Template {
            organization: ORG,
            token: TOKEN,
        };
        let seeded = seed_other_organizations(&db, &template, 120, 50).unwrap();
        assert_eq!((seeded.organizations, seeded.tokens), (3, 120));
        // Per organization: record, application index, token index; per token: two keys;
        // and the organization index once.
        assert_eq!(seeded.rows, 3 * 3 + 120 * 2 + 1);

        let conn = Connection::open(&db).unwrap();
        let all = json(&conn, ORGANIZATIONS);
        let orgs: Vec<&String> = all
            .as_object()
            .unwrap()
            .keys()
            .filter(|id| *id != ORG)
            .collect();
        assert_eq!(orgs.len(), 3);
        let mut tokens = 0;
        for org in orgs {
            assert_eq!(json(&conn, &format!("org:{org}"))["id"], org.as_str());
            assert_eq!(
                json(&conn, &format!("org:{org}:applications")),
                serde_json::json!({})
            );
            let index = json(&conn, &format!("org:{org}:gittokens"));
            for (id, name) in index.as_object().unwrap() {
                let record = json(&conn, &format!("org:{org}:gittoken:{id}"));
                assert_eq!(record["id"], id.as_str());
                assert_eq!(&record["name"], name);
                assert_eq!(record["secret"], token["secret"]);
                assert!(get(&conn, &format!("org:{org}:gittoken:{id}:services")).is_some());
                tokens += 1;
            }
        }
        assert_eq!(tokens, 120);
        // The template organization is untouched.
        assert_eq!(json(&conn, &format!("org:{ORG}:gittoken:{TOKEN}")), token);
    }
}
