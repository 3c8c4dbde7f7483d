//! `GET /healthz`: the component runs and its key-value store reads and writes.
//!
//! Each call atomically increments the counter at [`keys::HEALTHZ_CHECKS`]
//! (`wasi:keyvalue` atomics) and reports the new value as `checks`, so two calls answer
//! consecutive numbers and the count survives a restart.

use serde_json::json;

use crate::problem::Problem;
use crate::reply::Reply;
use crate::state::{keys, KeyValue, WasiStore};

/// 200 `{"status":"ok","kv":"ok","checks":N}`, or 503 when key-value fails.
pub fn check() -> Result<Reply, Problem> {
    let checks = WasiStore::open()
        .and_then(|store| store.increment(keys::HEALTHZ_CHECKS, 1))
        .map_err(|e| e.to_problem().with("kv", "error"))?;
    Ok(healthy(checks))
}

fn healthy(checks: i64) -> Reply {
    Reply::json(200, &json!({"status": "ok", "kv": "ok", "checks": checks}))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn healthy_body() {
        let reply = healthy(7);
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header("content-type"), Some("application/json"));
        assert_eq!(
            reply.json_body(),
            json!({"status": "ok", "kv": "ok", "checks": 7})
        );
    }
}
