//! Spin 2.0 imports implemented natively: `fermyon:spin/key-value@2.0.0` and
//! `fermyon:spin/variables@2.0.0`.
//!
//! As in Spin, a host bug traps the guest (outer `wasmtime::Result`), while a condition
//! the guest should handle is the WIT error (inner `Result`).

use std::sync::Arc;

use wasmtime::component::Resource;

use crate::component_state::{ComponentState, OpenError};
use crate::key_value::KeyValueStore;

/// Generated bindings for the vendored Spin WIT in `host/wit/spin@2.0.0`.
#[allow(missing_docs)]
pub mod bindings {
    wasmtime::component::bindgen!({
        path: "wit/spin@2.0.0",
        world: "fermyon:spin/host",
        imports: { default: async | trappable },
        with: {
            "fermyon:spin/key-value.store": super::OpenStore,
        },
    });
}

use bindings::fermyon::spin::{key_value, variables};

/// A store a guest has opened.
pub struct OpenStore(Arc<KeyValueStore>);

/// Adds the Spin imports to a linker.
pub fn add_to_linker(
    linker: &mut wasmtime::component::Linker<ComponentState>,
) -> wasmtime::Result<()> {
    type Data = wasmtime::component::HasSelf<ComponentState>;
    key_value::add_to_linker::<ComponentState, Data>(linker, |s| s)?;
    variables::add_to_linker::<ComponentState, Data>(linker, |s| s)?;
    Ok(())
}

fn kv_error(err: impl std::fmt::Display) -> key_value::Error {
    key_value::Error::Other(err.to_string())
}

impl key_value::Host for ComponentState {}

impl ComponentState {
    /// The backend of a store the guest opened (shared, so no borrow of the table is held
    /// while a command is awaited).
    fn opened(&self, store: &Resource<OpenStore>) -> wasmtime::Result<Arc<KeyValueStore>> {
        Ok(self.table.get(store)?.0.clone())
    }
}

impl key_value::HostStore for ComponentState {
    async fn open(
        &mut self,
        label: String,
    ) -> wasmtime::Result<Result<Resource<OpenStore>, key_value::Error>> {
        match self.open_store(&label) {
            Ok(backend) => Ok(Ok(self.table.push(OpenStore(backend))?)),
            Err(OpenError::AccessDenied) => Ok(Err(key_value::Error::AccessDenied)),
            Err(OpenError::NoSuchStore) => Ok(Err(key_value::Error::NoSuchStore)),
        }
    }

    async fn get(
        &mut self,
        store: Resource<OpenStore>,
        key: String,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, key_value::Error>> {
        Ok(self.opened(&store)?.get(&key).await.map_err(kv_error))
    }

    async fn set(
        &mut self,
        store: Resource<OpenStore>,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), key_value::Error>> {
        Ok(self
            .opened(&store)?
            .set(&key, &value)
            .await
            .map_err(kv_error))
    }

    async fn delete(
        &mut self,
        store: Resource<OpenStore>,
        key: String,
    ) -> wasmtime::Result<Result<(), key_value::Error>> {
        Ok(self.opened(&store)?.delete(&key).await.map_err(kv_error))
    }

    async fn exists(
        &mut self,
        store: Resource<OpenStore>,
        key: String,
    ) -> wasmtime::Result<Result<bool, key_value::Error>> {
        Ok(self.opened(&store)?.exists(&key).await.map_err(kv_error))
    }

    async fn get_keys(
        &mut self,
        store: Resource<OpenStore>,
    ) -> wasmtime::Result<Result<Vec<String>, key_value::Error>> {
        Ok(self.opened(&store)?.keys().await.map_err(kv_error))
    }

    async fn drop(&mut self, store: Resource<OpenStore>) -> wasmtime::Result<()> {
        self.table.delete(store)?;
        Ok(())
    }
}

impl variables::Host for ComponentState {
    async fn get(&mut self, name: String) -> wasmtime::Result<Result<String, variables::Error>> {
        if crate::manifest::check_variable_name(&name).is_err() {
            return Ok(Err(variables::Error::InvalidName(name)));
        }
        Ok(match self.config.variables.get(&name) {
            Some(value) => Ok(value.clone()),
            None => Err(variables::Error::Undefined(format!(
                "no variable named '{name}' for component '{}'",
                self.config.id
            ))),
        })
    }
}
