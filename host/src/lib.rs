//! git-access host: runs a Spin application (`spin.toml`) on wasmtime with Spin's HTTP
//! trigger, key-value and variables, a per-component outbound allow-list and in-process
//! service chaining.
#![deny(missing_docs)]

pub mod allocator;
pub mod allowed_hosts;
pub mod component_state;
pub mod key_value;
pub mod manifest;
pub mod outbound;
pub mod plugin_check;
pub mod routes;
pub mod runtime;
pub mod runtime_config;
pub mod server;
pub mod spin_imports;
pub mod variables;
pub mod wasi_keyvalue;
