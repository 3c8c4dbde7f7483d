//! Key-value stores behind Spin's key-value interfaces.
//!
//! The default store lives in SQLite at `<state-dir>/sqlite_key_value.db` with Spin's own
//! schema, so `spin up` and this host can share state.

use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::{params, Connection, OptionalExtension};

/// A failure inside a store (reported to the guest as `other(...)`).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StoreError(String);

impl From<rusqlite::Error> for StoreError {
    fn from(err: rusqlite::Error) -> Self {
        Self(format!("key-value store: {err}"))
    }
}

/// Operations every key-value backend provides.
pub trait KeyValueBackend: Send + Sync {
    /// Reads a value.
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Writes a value.
    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError>;
    /// Deletes a value; deleting a missing key succeeds.
    fn delete(&self, key: &str) -> Result<(), StoreError>;
    /// Whether the key exists.
    fn exists(&self, key: &str) -> Result<bool, StoreError>;
    /// Every key of the store.
    fn keys(&self) -> Result<Vec<String>, StoreError>;
}

/// One named store (`label`) in a SQLite file shared by all stores.
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
    label: String,
}

/// An open SQLite key-value database.
#[derive(Clone)]
pub struct SqliteDatabase {
    conn: Arc<Mutex<Connection>>,
}

impl SqliteDatabase {
    /// Opens (creating if needed) the database file and Spin's table.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError(format!("cannot create {}: {e}", dir.display())))?;
        }
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.execute(
            "CREATE TABLE IF NOT EXISTS spin_key_value (
                store TEXT NOT NULL,
                key   TEXT NOT NULL,
                value BLOB NOT NULL,
                PRIMARY KEY (store, key)
            )",
            [],
        )?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// A handle on the store named `label`.
    pub fn store(&self, label: &str) -> SqliteStore {
        SqliteStore {
            conn: self.conn.clone(),
            label: label.to_owned(),
        }
    }
}

impl SqliteStore {
    fn with<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T, StoreError> {
        let conn = self
            .conn
            .lock()
            .map_err(|_| StoreError("key-value store lock poisoned".into()))?;
        Ok(f(&conn)?)
    }
}

impl KeyValueBackend for SqliteStore {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.with(|c| {
            c.prepare_cached("SELECT value FROM spin_key_value WHERE store = ?1 AND key = ?2")?
                .query_row(params![self.label, key], |row| row.get(0))
                .optional()
        })
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.with(|c| {
            c.prepare_cached(
                "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3)
                 ON CONFLICT(store, key) DO UPDATE SET value = ?3",
            )?
            .execute(params![self.label, key, value])
            .map(drop)
        })
    }

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.with(|c| {
            c.prepare_cached("DELETE FROM spin_key_value WHERE store = ?1 AND key = ?2")?
                .execute(params![self.label, key])
                .map(drop)
        })
    }

    fn exists(&self, key: &str) -> Result<bool, StoreError> {
        self.with(|c| {
            c.prepare_cached("SELECT 1 FROM spin_key_value WHERE store = ?1 AND key = ?2")?
                .query_row(params![self.label, key], |_| Ok(()))
                .optional()
                .map(|r| r.is_some())
        })
    }

    fn keys(&self) -> Result<Vec<String>, StoreError> {
        self.with(|c| {
            c.prepare_cached("SELECT key FROM spin_key_value WHERE store = ?1")?
                .query_map(params![self.label], |row| row.get(0))?
                .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_round_trip_and_isolation_between_labels() {
        let dir = std::env::temp_dir().join(format!("kv-test-{}", std::process::id()));
        let db = SqliteDatabase::open(&dir.join("sqlite_key_value.db")).unwrap();
        let a = db.store("default");
        let b = db.store("other");
        assert_eq!(a.get("k").unwrap(), None);
        a.set("k", b"v1").unwrap();
        a.set("k", b"v2").unwrap();
        assert_eq!(a.get("k").unwrap().as_deref(), Some(&b"v2"[..]));
        assert!(a.exists("k").unwrap());
        assert!(!b.exists("k").unwrap());
        assert_eq!(a.keys().unwrap(), vec!["k".to_owned()]);
        a.delete("k").unwrap();
        a.delete("k").unwrap();
        assert!(!a.exists("k").unwrap());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
