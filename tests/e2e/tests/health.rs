//! `GET /healthz` proves the key-value path: a counter in Spin KV (SQLite in the state
//! dir) that survives a restart of the host.

use anyhow::Context;
use e2e_tests::{github_seed, TestEnv};

#[test]
fn healthz_counts_checks_and_the_count_survives_a_restart() -> anyhow::Result<()> {
    let env = TestEnv::start(github_seed())?;
    let host = env.host()?;

    let first = host.get("/healthz")?;
    assert_eq!(first.status, 200, "{}", first.body);
    let first = first.json()?;
    assert_eq!(first["status"], "ok", "{first}");
    assert_eq!(first["kv"], "ok", "{first}");
    let n = first["checks"]
        .as_u64()
        .with_context(|| format!("`checks` is not a number: {first}"))?;

    let second = host.get("/healthz")?.json()?;
    assert_eq!(second["checks"], n + 1, "{second}");

    let host = host.restart()?;
    assert!(
        env.state_dir().join("sqlite_key_value.db").is_file(),
        "the default store lives in <state-dir>/sqlite_key_value.db"
    );
    let third = host.get("/healthz")?.json()?;
    assert_eq!(
        third["checks"],
        n + 2,
        "the count continues after a restart: {third}"
    );

    assert!(
        env.github().requests().is_empty(),
        "health checks never call a provider"
    );
    Ok(())
}
