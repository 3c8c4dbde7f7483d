//! Instantiation cost measured in-process with the host's own engine, linker and store
//! settings (pooling allocator, limits, fresh store per instance).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use host::allowed_hosts::AllowedHosts;
use host::component_state::ComponentConfig;
use host::runtime::{host_linker, load_component, new_engine, new_store, Limits};

/// Mean time to instantiate `component` (after a warm-up), in microseconds.
pub async fn mean_instantiation_us(component: &Path, count: u32) -> anyhow::Result<f64> {
    let limits = Limits {
        request_timeout: Duration::from_secs(30),
        max_memory: 256 * 1024 * 1024,
        max_instances: 64,
    };
    let engine = new_engine(&limits)?;
    let cache = tempfile::tempdir()?;
    let component = load_component(&engine, component, cache.path())?;
    let linker = host_linker(&engine)?;
    let pre = linker
        .instantiate_pre(&component)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let config = Arc::new(ComponentConfig {
        id: "bench".into(),
        allowed_hosts: AllowedHosts::default(),
        key_value_stores: Vec::new(),
        variables: HashMap::new(),
        environment: Vec::new(),
        files: Vec::new(),
    });
    let stores = Arc::new(HashMap::new());
    let mut total = Duration::ZERO;
    for i in 0..count + 50 {
        let mut store = new_store(&engine, config.clone(), stores.clone(), None, &limits);
        let started = Instant::now();
        pre.instantiate_async(&mut store)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        if i >= 50 {
            total += started.elapsed();
        }
    }
    Ok(total.as_secs_f64() * 1e6 / f64::from(count))
}
