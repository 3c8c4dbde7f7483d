//! Key-value stores behind Spin's key-value interfaces (`fermyon:spin/key-value` and
//! `wasi:keyvalue`).
//!
//! The default store lives in SQLite at `<state-dir>/sqlite_key_value.db` with Spin's own
//! schema, so `spin up` and this host can share state. A runtime config can put any store
//! on Redis instead. Both backends implement compare-and-swap strictly: a swap succeeds
//! only if the value is still the one read when the CAS handle was made, including "still
//! absent" — a concurrent create is reported as a conflict, never overwritten.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, TryLockError};
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, FromRedisValue};

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

/// A failure inside a store (reported to the guest as `other(...)`).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StoreError(pub String);

impl From<rusqlite::Error> for StoreError {
    fn from(err: rusqlite::Error) -> Self {
        Self(format!("key-value store (sqlite): {err}"))
    }
}

impl From<redis::RedisError> for StoreError {
    fn from(err: redis::RedisError) -> Self {
        Self(format!("key-value store (redis): {err}"))
    }
}

/// Outcome of a compare-and-swap.
#[derive(Debug, PartialEq, Eq)]
pub enum CasOutcome {
    /// The new value was written.
    Swapped,
    /// The value had changed; this is the current one.
    Conflict(Option<Vec<u8>>),
}

/// One named store on its backend. SQLite answers within the host call (statements take
/// microseconds); Redis is awaited, so a worker serves its other requests meanwhile.
pub enum KeyValueStore {
    /// A label in a SQLite database.
    Sqlite(SqliteStore),
    /// A Redis server.
    Redis(RedisStore),
}

/// Calls the same method on whichever backend the store is on.
macro_rules! on_backend {
    ($store:expr, $method:ident($($arg:expr),*)) => {
        match $store {
            KeyValueStore::Sqlite(store) => store.$method($($arg),*),
            KeyValueStore::Redis(store) => store.$method($($arg),*).await,
        }
    };
}

impl KeyValueStore {
    /// Reads a value.
    pub async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        on_backend!(self, get(key))
    }

    /// Writes a value.
    pub async fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        on_backend!(self, set(key, value))
    }

    /// Deletes a value; deleting a missing key succeeds.
    pub async fn delete(&self, key: &str) -> Result<(), StoreError> {
        on_backend!(self, delete(key))
    }

    /// Whether the key exists.
    pub async fn exists(&self, key: &str) -> Result<bool, StoreError> {
        on_backend!(self, exists(key))
    }

    /// Every key of the store.
    pub async fn keys(&self) -> Result<Vec<String>, StoreError> {
        on_backend!(self, keys())
    }

    /// Writes `new` only if the current value equals `expected` (`None`: absent).
    pub async fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        new: &[u8],
    ) -> Result<CasOutcome, StoreError> {
        on_backend!(self, compare_and_swap(key, expected, new))
    }

    /// Adds `delta` to the 8-byte little-endian integer at `key` (absent = 0).
    pub async fn increment(&self, key: &str, delta: i64) -> Result<i64, StoreError> {
        on_backend!(self, increment(key, delta))
    }

    /// Reads several values.
    pub async fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        on_backend!(self, get_many(keys))
    }

    /// Writes several values.
    pub async fn set_many(&self, items: &[(String, Vec<u8>)]) -> Result<(), StoreError> {
        on_backend!(self, set_many(items))
    }

    /// Deletes several values.
    pub async fn delete_many(&self, keys: &[String]) -> Result<(), StoreError> {
        on_backend!(self, delete_many(keys))
    }
}

fn decode_counter(value: Option<Vec<u8>>) -> Result<i64, StoreError> {
    match value {
        None => Ok(0),
        Some(bytes) => <[u8; 8]>::try_from(bytes.as_slice())
            .map(i64::from_le_bytes)
            .map_err(|_| {
                StoreError("increment: the value is not an 8-byte little-endian integer".into())
            }),
    }
}

// ---------------------------------------------------------------------------------------
// SQLite

/// An open SQLite key-value database (Spin's file layout and schema).
#[derive(Clone)]
pub struct SqliteDatabase {
    conn: Arc<Mutex<Connection>>,
}

/// One named store (`label`) in a SQLite database.
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
    label: String,
}

impl SqliteDatabase {
    /// Opens (creating if needed) the database file and Spin's table.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Self::open_with_wal_limit(path, WAL_SIZE_LIMIT)
    }

    /// [`Self::open`], the WAL starting over past `wal_limit` bytes.
    fn open_with_wal_limit(path: &Path, wal_limit: u64) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError(format!("cannot create {}: {e}", dir.display())))?;
        }
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        // Requests never checkpoint the WAL themselves (copying pages back and syncing
        // the file would stall every request waiting on this connection); a background
        // thread does it instead.
        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        conn.pragma_update(
            None,
            "journal_size_limit",
            i64::try_from(wal_limit).unwrap_or(-1),
        )?;
        conn.execute(
            "CREATE TABLE IF NOT EXISTS spin_key_value (
                store TEXT NOT NULL,
                key   TEXT NOT NULL,
                value BLOB NOT NULL,
                PRIMARY KEY (store, key)
            )",
            [],
        )?;
        let conn = Arc::new(Mutex::new(conn));
        spawn_checkpointer(path, Arc::downgrade(&conn), wal_limit)?;
        Ok(Self { conn })
    }

    /// A handle on the store named `label`.
    pub fn store(&self, label: &str) -> SqliteStore {
        SqliteStore {
            conn: self.conn.clone(),
            label: label.to_owned(),
        }
    }
}

/// How often the background thread checkpoints the WAL into the database file.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(100);

/// How often, between checkpoints, it starts writing the WAL's new pages to disk (see
/// [`start_writeback`]).
const WRITEBACK_EVERY: std::time::Duration = std::time::Duration::from_millis(10);

/// WAL size past which the background thread makes the WAL start over (see
/// [`spawn_checkpointer`]); the file is cut back to this size when it does. Making it
/// start over holds every write for a few milliseconds: at 64 MiB that came about twice a
/// second under webhook load, and nearly half the deliveries slower than the 99th
/// percentile had waited on it.
const WAL_SIZE_LIMIT: u64 = 256 << 20;

/// Checkpoints the WAL of `path` from its own connection until the database `alive`
/// points at is dropped. A PASSIVE checkpoint copies the WAL into the database without
/// taking the requests' connection, so requests never checkpoint themselves. Under a
/// steady stream of writes it never quite completes, though, and the WAL only starts over
/// after a complete one: so once the WAL passes `wal_limit` bytes, a second pass runs while
/// requests' writes are held (the lock on `alive`'s connection). It copies just what came
/// since the first, completes, and the next write starts the WAL over. That short hold
/// comes once per `wal_limit` bytes written, not on every checkpoint.
///
/// A checkpoint first syncs the WAL to disk. Left to that sync, 100 ms of frames went to
/// disk in one burst, and requests writing meanwhile slowed down: most requests slower than
/// the 99th percentile overlapped a checkpoint. So the thread also starts the WAL's
/// writeback every 10 ms, and the checkpoint's sync finds little left to write.
fn spawn_checkpointer(
    path: &Path,
    alive: std::sync::Weak<Mutex<Connection>>,
    wal_limit: u64,
) -> Result<(), StoreError> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    let passive = move || conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    std::thread::Builder::new()
        .name("sqlite-checkpoint".into())
        .spawn(move || {
            let mut wal_file = None;
            let mut checkpointed = std::time::Instant::now();
            while alive.strong_count() > 0 {
                std::thread::sleep(WRITEBACK_EVERY);
                if wal_file.is_none() {
                    // Absent until the first write.
                    wal_file = std::fs::File::open(&wal).ok();
                }
                let Some(file) = &wal_file else { continue };
                start_writeback(file);
                if checkpointed.elapsed() < CHECKPOINT_EVERY {
                    continue;
                }
                checkpointed = std::time::Instant::now();
                let wal_size = || file.metadata().map_or(0, |m| m.len());
                let outcome = passive().and_then(|()| {
                    let Some(requests) = alive.upgrade().filter(|_| wal_size() > wal_limit) else {
                        return Ok(());
                    };
                    let _held = requests.lock();
                    passive()
                });
                if let Err(err) = outcome {
                    tracing::warn!("WAL checkpoint failed: {err}");
                }
            }
        })
        .map_err(|e| StoreError(format!("cannot start the WAL checkpoint thread: {e}")))?;
    Ok(())
}

/// Starts writing `file`'s dirty pages to disk without waiting for them (Linux
/// `sync_file_range`, as PostgreSQL's `checkpoint_flush_after` does). It makes nothing
/// durable; it only spreads the writing that a later fsync would do all at once.
#[cfg(target_os = "linux")]
fn start_writeback(file: &std::fs::File) {
    use std::os::fd::AsRawFd;
    // SAFETY: a valid open descriptor; the call only starts writeback of its pages.
    let rc = unsafe { libc::sync_file_range(file.as_raw_fd(), 0, 0, libc::SYNC_FILE_RANGE_WRITE) };
    if rc != 0 {
        tracing::debug!(
            "sync_file_range on the WAL: {}",
            std::io::Error::last_os_error()
        );
    }
}

#[cfg(not(target_os = "linux"))]
fn start_writeback(_file: &std::fs::File) {}

const SQL_GET: &str = "SELECT value FROM spin_key_value WHERE store = ?1 AND key = ?2";
const SQL_SET: &str = "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3)
                       ON CONFLICT(store, key) DO UPDATE SET value = ?3";
const SQL_DELETE: &str = "DELETE FROM spin_key_value WHERE store = ?1 AND key = ?2";

/// How long a request spins for the connection before it sleeps. A statement holds it
/// for microseconds to tens of them; sleeping and being woken costs as much, and under
/// load it left a core idle while one worker waited on the other's statements.
const SPIN_FOR_CONNECTION: std::time::Duration = std::time::Duration::from_micros(50);

impl SqliteStore {
    fn with<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let poisoned = || StoreError("key-value store lock poisoned".into());
        // The clock is read only once the connection is found busy.
        let mut spin_until = None;
        let mut conn = loop {
            match self.conn.try_lock() {
                Ok(conn) => break conn,
                Err(TryLockError::Poisoned(_)) => return Err(poisoned()),
                Err(TryLockError::WouldBlock) => {
                    let now = std::time::Instant::now();
                    if now >= *spin_until.get_or_insert(now + SPIN_FOR_CONNECTION) {
                        break self.conn.lock().map_err(|_| poisoned())?;
                    }
                    std::hint::spin_loop();
                }
            }
        };
        f(&mut conn)
    }

    fn read(&self, conn: &Connection, key: &str) -> rusqlite::Result<Option<Vec<u8>>> {
        conn.prepare_cached(SQL_GET)?
            .query_row(params![self.label, key], |row| row.get(0))
            .optional()
    }

    /// Runs `f` in an immediate transaction, so it is atomic also against other
    /// processes sharing the file (e.g. `spin up`).
    fn transaction<T>(
        &self,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.with(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        })
    }
}

// The operations of [`KeyValueStore`], answered within the call.
impl SqliteStore {
    pub(crate) fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.with(|c| Ok(self.read(c, key)?))
    }

    pub(crate) fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.with(|c| {
            c.prepare_cached(SQL_SET)?
                .execute(params![self.label, key, value])?;
            Ok(())
        })
    }

    pub(crate) fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.with(|c| {
            c.prepare_cached(SQL_DELETE)?
                .execute(params![self.label, key])?;
            Ok(())
        })
    }

    pub(crate) fn exists(&self, key: &str) -> Result<bool, StoreError> {
        self.with(|c| {
            Ok(
                c.prepare_cached("SELECT 1 FROM spin_key_value WHERE store = ?1 AND key = ?2")?
                    .query_row(params![self.label, key], |_| Ok(()))
                    .optional()?
                    .is_some(),
            )
        })
    }

    pub(crate) fn keys(&self) -> Result<Vec<String>, StoreError> {
        self.with(|c| {
            Ok(
                c.prepare_cached("SELECT key FROM spin_key_value WHERE store = ?1")?
                    .query_map(params![self.label], |row| row.get(0))?
                    .collect::<rusqlite::Result<_>>()?,
            )
        })
    }

    pub(crate) fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        new: &[u8],
    ) -> Result<CasOutcome, StoreError> {
        self.transaction(|tx| {
            let current = self.read(tx, key)?;
            if current.as_deref() != expected {
                return Ok(CasOutcome::Conflict(current));
            }
            tx.prepare_cached(SQL_SET)?
                .execute(params![self.label, key, new])?;
            Ok(CasOutcome::Swapped)
        })
    }

    pub(crate) fn increment(&self, key: &str, delta: i64) -> Result<i64, StoreError> {
        self.transaction(|tx| {
            let value = decode_counter(self.read(tx, key)?)?
                .checked_add(delta)
                .ok_or_else(|| StoreError("increment overflows a 64-bit integer".into()))?;
            tx.prepare_cached(SQL_SET)?.execute(params![
                self.label,
                key,
                value.to_le_bytes().as_slice()
            ])?;
            Ok(value)
        })
    }

    pub(crate) fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        self.with(|c| {
            // One read transaction: a consistent snapshot, and one lock instead of one
            // per key.
            let tx = c.transaction()?;
            let values = keys
                .iter()
                .map(|k| self.read(&tx, k))
                .collect::<rusqlite::Result<_>>()?;
            tx.commit()?;
            Ok(values)
        })
    }

    pub(crate) fn set_many(&self, items: &[(String, Vec<u8>)]) -> Result<(), StoreError> {
        self.transaction(|tx| {
            let mut stmt = tx.prepare_cached(SQL_SET)?;
            for (k, v) in items {
                stmt.execute(params![self.label, k, v])?;
            }
            Ok(())
        })
    }

    pub(crate) fn delete_many(&self, keys: &[String]) -> Result<(), StoreError> {
        self.transaction(|tx| {
            let mut stmt = tx.prepare_cached(SQL_DELETE)?;
            for k in keys {
                stmt.execute(params![self.label, k])?;
            }
            Ok(())
        })
    }
}

// ---------------------------------------------------------------------------------------
// Redis

/// A store on a Redis server; keys are used as they are, as Spin's Redis store does.
/// Commands are awaited on a multiplexed connection of the calling thread (see
/// [`REDIS_CONNECTIONS`]), opened on first use and again after it failed.
pub struct RedisStore {
    client: redis::Client,
    /// This store's entry in every thread's [`REDIS_CONNECTIONS`].
    id: u64,
}

thread_local! {
    /// The Redis connections a thread opened, by store. A multiplexed connection is driven
    /// by a task on the async runtime that opened it, and each worker thread runs its own
    /// runtime: with a connection per thread, no command waits for another worker to be
    /// free, and the commands of a worker's concurrent requests share its connection
    /// (pipelined), not a lock.
    static REDIS_CONNECTIONS: RefCell<HashMap<u64, MultiplexedConnection>> =
        RefCell::new(HashMap::new());
}

/// Ids of [`RedisStore`]s.
static NEXT_REDIS_STORE: AtomicU64 = AtomicU64::new(0);

/// How long a Redis command may take before it fails (the client's default, 500 ms, is
/// short for a large `MSET` on a busy server).
const REDIS_RESPONSE_TIMEOUT: Duration = Duration::from_secs(10);

/// Compare-and-swap as one atomic script: ARGV[1] is "1" when a value is expected.
static CAS_SCRIPT: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
local current = redis.call('GET', KEYS[1])
if ARGV[1] == '1' then
  if current ~= ARGV[2] then return {0, current} end
else
  if current then return {0, current} end
end
redis.call('SET', KEYS[1], ARGV[3])
return {1, false}
",
    )
});

/// Increment of an 8-byte little-endian counter as one atomic script.
static INCREMENT_SCRIPT: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
local current = redis.call('GET', KEYS[1])
local value = 0
if current then
  if #current ~= 8 then return redis.error_reply('not an 8-byte little-endian integer') end
  value = struct.unpack('<i8', current)
end
value = value + tonumber(ARGV[1])
redis.call('SET', KEYS[1], struct.pack('<i8', value))
return tostring(value)
",
    )
});

impl RedisStore {
    /// Connects lazily to `url` (`redis://host:port/db`).
    pub fn new(url: &str) -> Result<Self, StoreError> {
        Ok(Self {
            client: redis::Client::open(url)?,
            id: NEXT_REDIS_STORE.fetch_add(1, Ordering::Relaxed),
        })
    }

    /// Checks the server answers (used at start-up, before any runtime serves requests,
    /// for a clear error).
    pub fn ping(&self) -> Result<(), StoreError> {
        let mut conn = self.client.get_connection()?;
        redis::cmd("PING").query::<String>(&mut conn)?;
        Ok(())
    }

    /// This thread's connection, opened if it has none.
    async fn connection(&self) -> Result<MultiplexedConnection, StoreError> {
        if let Some(conn) = REDIS_CONNECTIONS.with_borrow(|c| c.get(&self.id).cloned()) {
            return Ok(conn);
        }
        let config =
            AsyncConnectionConfig::new().set_response_timeout(Some(REDIS_RESPONSE_TIMEOUT));
        let conn = self
            .client
            .get_multiplexed_async_connection_with_config(&config)
            .await?;
        // Another request of this thread may have connected meanwhile: keep one.
        Ok(REDIS_CONNECTIONS.with_borrow_mut(|c| c.entry(self.id).or_insert(conn).clone()))
    }

    /// Sends `cmd` and reads its reply.
    async fn query<T: FromRedisValue>(&self, cmd: &redis::Cmd) -> Result<T, StoreError> {
        let mut conn = self.connection().await?;
        let reply = cmd.query_async(&mut conn).await;
        self.checked(reply)
    }

    /// Runs `script` with its keys and arguments.
    async fn invoke<T: FromRedisValue>(
        &self,
        script: &redis::ScriptInvocation<'_>,
    ) -> Result<T, StoreError> {
        let mut conn = self.connection().await?;
        let reply = script.invoke_async(&mut conn).await;
        self.checked(reply)
    }

    /// `reply` as a store result; a connection that failed is dropped, so the next
    /// command opens a new one.
    fn checked<T>(&self, reply: redis::RedisResult<T>) -> Result<T, StoreError> {
        reply.map_err(|err| {
            if err.is_io_error()
                || err.is_connection_dropped()
                || err.is_timeout()
                || err.is_unrecoverable_error()
            {
                REDIS_CONNECTIONS.with_borrow_mut(|c| c.remove(&self.id));
            }
            err.into()
        })
    }
}

// The operations of [`KeyValueStore`], awaited.
impl RedisStore {
    pub(crate) async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.query(redis::cmd("GET").arg(key)).await
    }

    pub(crate) async fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.query(redis::cmd("SET").arg(key).arg(value)).await
    }

    pub(crate) async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.query(redis::cmd("DEL").arg(key)).await
    }

    pub(crate) async fn exists(&self, key: &str) -> Result<bool, StoreError> {
        self.query(redis::cmd("EXISTS").arg(key)).await
    }

    pub(crate) async fn keys(&self) -> Result<Vec<String>, StoreError> {
        let mut keys = Vec::new();
        let mut cursor: u64 = 0;
        loop {
            let (next, batch): (u64, Vec<String>) = self
                .query(redis::cmd("SCAN").arg(cursor).arg("COUNT").arg(1000))
                .await?;
            keys.extend(batch);
            if next == 0 {
                return Ok(keys);
            }
            cursor = next;
        }
    }

    pub(crate) async fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        new: &[u8],
    ) -> Result<CasOutcome, StoreError> {
        let (swapped, current): (i64, Option<Vec<u8>>) = self
            .invoke(
                CAS_SCRIPT
                    .key(key)
                    .arg(if expected.is_some() { "1" } else { "0" })
                    .arg(expected.unwrap_or_default())
                    .arg(new),
            )
            .await?;
        Ok(if swapped == 1 {
            CasOutcome::Swapped
        } else {
            CasOutcome::Conflict(current)
        })
    }

    pub(crate) async fn increment(&self, key: &str, delta: i64) -> Result<i64, StoreError> {
        let value: String = self.invoke(INCREMENT_SCRIPT.key(key).arg(delta)).await?;
        value
            .parse()
            .map_err(|_| StoreError(format!("increment: bad reply '{value}'")))
    }

    pub(crate) async fn get_many(
        &self,
        keys: &[String],
    ) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        self.query(redis::cmd("MGET").arg(keys)).await
    }

    pub(crate) async fn set_many(&self, items: &[(String, Vec<u8>)]) -> Result<(), StoreError> {
        if items.is_empty() {
            return Ok(());
        }
        let mut cmd = redis::cmd("MSET");
        for (k, v) in items {
            cmd.arg(k).arg(v.as_slice());
        }
        self.query(&cmd).await
    }

    pub(crate) async fn delete_many(&self, keys: &[String]) -> Result<(), StoreError> {
        if keys.is_empty() {
            return Ok(());
        }
        self.query(redis::cmd("DEL").arg(keys)).await
    }
}

/// Behaviour every backend must show; run against SQLite always and Redis when a server
/// is available.
#[cfg(test)]
pub(crate) async fn conformance(store: &KeyValueStore) {
    assert_eq!(store.get("k").await.unwrap(), None);
    store.set("k", b"v1").await.unwrap();
    store.set("k", b"v2").await.unwrap();
    assert_eq!(store.get("k").await.unwrap().as_deref(), Some(&b"v2"[..]));
    assert!(store.exists("k").await.unwrap());
    assert!(store.keys().await.unwrap().contains(&"k".to_owned()));
    store.delete("k").await.unwrap();
    store.delete("k").await.unwrap();
    assert!(!store.exists("k").await.unwrap());

    // Strict CAS: creating succeeds once; a second create from the same snapshot fails.
    assert_eq!(
        store.compare_and_swap("c", None, b"a").await.unwrap(),
        CasOutcome::Swapped
    );
    assert_eq!(
        store.compare_and_swap("c", None, b"b").await.unwrap(),
        CasOutcome::Conflict(Some(b"a".to_vec()))
    );
    assert_eq!(
        store.compare_and_swap("c", Some(b"x"), b"b").await.unwrap(),
        CasOutcome::Conflict(Some(b"a".to_vec()))
    );
    assert_eq!(
        store.compare_and_swap("c", Some(b"a"), b"b").await.unwrap(),
        CasOutcome::Swapped
    );
    assert_eq!(store.get("c").await.unwrap().as_deref(), Some(&b"b"[..]));

    assert_eq!(store.increment("n", 5).await.unwrap(), 5);
    assert_eq!(store.increment("n", -2).await.unwrap(), 3);
    assert_eq!(
        store.get("n").await.unwrap().unwrap(),
        3i64.to_le_bytes().to_vec()
    );
    assert!(store.increment("c", 1).await.is_err(), "non-counter value");

    store
        .set_many(&[("m1".into(), b"1".to_vec()), ("m2".into(), b"2".to_vec())])
        .await
        .unwrap();
    assert_eq!(
        store
            .get_many(&["m1".into(), "nope".into(), "m2".into()])
            .await
            .unwrap(),
        vec![Some(b"1".to_vec()), None, Some(b"2".to_vec())]
    );
    store
        .delete_many(&["m1".into(), "m2".into()])
        .await
        .unwrap();
    assert_eq!(store.get("m1").await.unwrap(), None);
    for key in ["c", "n"] {
        store.delete(key).await.unwrap();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sqlite_conformance_and_isolation_between_labels() {
        let dir = std::env::temp_dir().join(format!("kv-test-{}", std::process::id()));
        let db = SqliteDatabase::open(&dir.join("sqlite_key_value.db")).unwrap();
        conformance(&KeyValueStore::Sqlite(db.store("default"))).await;
        db.store("a").set("k", b"v").unwrap();
        assert!(!db.store("b").exists("k").unwrap());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn the_wal_starts_over_under_a_steady_stream_of_writes() {
        let dir = std::env::temp_dir().join(format!("kv-wal-test-{}", std::process::id()));
        let db =
            SqliteDatabase::open_with_wal_limit(&dir.join("sqlite_key_value.db"), 1 << 20).unwrap();
        let store = db.store("default");
        // New values for a second and a half, a write every millisecond (about 50 MiB).
        let value = |i: u32| -> Vec<u8> { i.to_le_bytes().repeat(8 << 10) };
        let started = std::time::Instant::now();
        let mut i = 0;
        while started.elapsed() < std::time::Duration::from_millis(1500) {
            i += 1;
            store.set(&format!("k{}", i % 64), &value(i)).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        let wal = std::fs::metadata(dir.join("sqlite_key_value.db-wal"))
            .unwrap()
            .len();
        assert!(wal < 16 << 20, "the WAL grew to {wal} bytes");
        assert_eq!(store.get(&format!("k{}", i % 64)).unwrap(), Some(value(i)));
        std::fs::remove_dir_all(dir).unwrap();
    }

    /// Runs when `GIT_ACCESS_TEST_REDIS_URL` points at a Redis server (CI starts one).
    #[tokio::test]
    async fn redis_conformance() {
        let Ok(url) = std::env::var("GIT_ACCESS_TEST_REDIS_URL") else {
            eprintln!("skipped: GIT_ACCESS_TEST_REDIS_URL is not set");
            return;
        };
        let store = RedisStore::new(&url).unwrap();
        store.ping().unwrap();
        conformance(&KeyValueStore::Redis(store)).await;
    }
}
