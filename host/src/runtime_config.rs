//! Spin's runtime config file (`--runtime-config-file`): where each key-value store lives.
//!
//! ```toml
//! [key_value_store.default]
//! type = "redis"
//! url = "redis://127.0.0.1:6379"
//!
//! [key_value_store.cache]
//! type = "spin"            # SQLite
//! path = "cache.db"        # relative to this file; default: the state dir's database
//! ```

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{anyhow, Context as _};
use serde::Deserialize;

use crate::key_value::{KeyValueStore, RedisStore, SqliteDatabase};

/// The parsed file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuntimeConfig {
    /// Stores by label.
    #[serde(default)]
    pub key_value_store: BTreeMap<String, StoreConfig>,
}

/// One `[key_value_store.<label>]`.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum StoreConfig {
    /// SQLite, Spin's default kind.
    Spin {
        /// Database file; relative paths are relative to the config file.
        #[serde(default)]
        path: Option<PathBuf>,
    },
    /// A Redis server.
    Redis {
        /// `redis://host:port[/db]`.
        url: String,
    },
}

impl RuntimeConfig {
    /// Reads a runtime config file; errors name the file, line and key.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        toml::from_str(&text).map_err(|err| {
            let line = err
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1)
                .unwrap_or(1);
            anyhow!("{}:{line}: {}", path.display(), err.message())
        })
    }
}

/// Opens every store: `default` on SQLite in `state_dir` unless the config says
/// otherwise, plus each configured label.
pub fn open_stores(
    config: &RuntimeConfig,
    config_dir: &Path,
    state_dir: &Path,
) -> anyhow::Result<HashMap<String, Arc<KeyValueStore>>> {
    let mut databases: HashMap<PathBuf, SqliteDatabase> = HashMap::new();
    let mut sqlite = |path: PathBuf| -> anyhow::Result<SqliteDatabase> {
        if let Some(db) = databases.get(&path) {
            return Ok(db.clone());
        }
        let db = SqliteDatabase::open(&path)
            .with_context(|| format!("opening key-value database {}", path.display()))?;
        databases.insert(path, db.clone());
        Ok(db)
    };
    let default_db = state_dir.join("sqlite_key_value.db");
    let mut stores: HashMap<String, Arc<KeyValueStore>> = HashMap::new();
    for (label, store) in &config.key_value_store {
        let backend: Arc<KeyValueStore> = match store {
            StoreConfig::Spin { path } => {
                let path = path
                    .as_ref()
                    .map(|p| config_dir.join(p))
                    .unwrap_or_else(|| default_db.clone());
                Arc::new(KeyValueStore::Sqlite(sqlite(path)?.store(label)))
            }
            StoreConfig::Redis { url } => {
                let store =
                    RedisStore::new(url).map_err(|e| anyhow!("[key_value_store.{label}] {e}"))?;
                store.ping().map_err(|e| {
                    anyhow!("[key_value_store.{label}] cannot reach Redis at {url}: {e}")
                })?;
                Arc::new(KeyValueStore::Redis(store))
            }
        };
        stores.insert(label.clone(), backend);
    }
    if !stores.contains_key("default") {
        stores.insert(
            "default".into(),
            Arc::new(KeyValueStore::Sqlite(sqlite(default_db)?.store("default"))),
        );
    }
    Ok(stores)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_spin_style_stores_and_rejects_unknown_types() {
        let config: RuntimeConfig = toml::from_str(
            r#"
[key_value_store.default]
type = "redis"
url = "redis://127.0.0.1:6379"
[key_value_store.cache]
type = "spin"
path = "cache.db"
"#,
        )
        .unwrap();
        assert!(matches!(
            config.key_value_store["default"],
            StoreConfig::Redis { .. }
        ));
        assert!(
            toml::from_str::<RuntimeConfig>("[key_value_store.x]\ntype = \"mongo\"\n").is_err()
        );
    }

    #[tokio::test]
    async fn default_store_is_sqlite_in_the_state_dir() {
        let dir = std::env::temp_dir().join(format!("rc-test-{}", std::process::id()));
        let stores = open_stores(&RuntimeConfig::default(), &dir, &dir).unwrap();
        stores["default"].set("k", b"v").await.unwrap();
        assert!(dir.join("sqlite_key_value.db").exists());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
