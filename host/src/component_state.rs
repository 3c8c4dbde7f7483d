//! What one component instance sees during one request: its WASI context, its settings
//! from the manifest, its key-value stores and its outbound hooks.

use std::collections::HashMap;
use std::sync::Arc;

use wasmtime::component::ResourceTable;
use wasmtime::StoreLimits;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::allowed_hosts::AllowedHosts;
use crate::key_value::KeyValueStore;
use crate::outbound::OutboundHooks;

/// A component's settings, resolved from the manifest at start-up.
#[derive(Debug)]
pub struct ComponentConfig {
    /// Component id.
    pub id: String,
    /// Outbound allow-list.
    pub allowed_hosts: AllowedHosts,
    /// Store labels it may open.
    pub key_value_stores: Vec<String>,
    /// Resolved component variables.
    pub variables: HashMap<String, String>,
    /// Environment variables.
    pub environment: Vec<(String, String)>,
    /// Read-only directory mounts: (host directory, guest path).
    pub files: Vec<(std::path::PathBuf, String)>,
}

/// Key-value stores by label, shared by every instance.
pub type Stores = Arc<HashMap<String, Arc<KeyValueStore>>>;

/// The `T` of `Store<T>` for a component instance.
pub struct ComponentState {
    pub(crate) wasi: WasiCtx,
    pub(crate) http: WasiHttpCtx,
    pub(crate) table: ResourceTable,
    pub(crate) hooks: OutboundHooks,
    pub(crate) limits: StoreLimits,
    pub(crate) config: Arc<ComponentConfig>,
    pub(crate) stores: Stores,
}

impl WasiView for ComponentState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for ComponentState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.hooks,
        }
    }
}

/// Why a guest could not open a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenError {
    /// The component's `key_value_stores` does not list the label.
    AccessDenied,
    /// No store has that label.
    NoSuchStore,
}

impl ComponentState {
    /// The backend of store `label`, if this component may open it.
    pub fn open_store(&self, label: &str) -> Result<Arc<KeyValueStore>, OpenError> {
        if !self.config.key_value_stores.iter().any(|l| l == label) {
            return Err(OpenError::AccessDenied);
        }
        self.stores
            .get(label)
            .cloned()
            .ok_or(OpenError::NoSuchStore)
    }
}
