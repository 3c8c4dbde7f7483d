//! `wasi:keyvalue@0.2.0-draft2` (store, atomics, batch) implemented natively, as Spin 4
//! offers it. Compare-and-swap is strict: see [`crate::key_value`].

use std::sync::Arc;

use wasmtime::component::Resource;

use crate::component_state::{ComponentState, OpenError};
use crate::key_value::{CasOutcome, KeyValueStore};

/// Generated bindings for the vendored WIT in `host/wit/keyvalue@0.2.0-draft2`.
#[allow(missing_docs)]
pub mod bindings {
    wasmtime::component::bindgen!({
        path: "wit/keyvalue@0.2.0-draft2",
        world: "wasi:keyvalue/imports",
        imports: { default: async | trappable },
        with: {
            "wasi:keyvalue/store.bucket": super::Bucket,
            "wasi:keyvalue/atomics.cas": super::CasHandle,
        },
    });
}

use bindings::wasi::keyvalue::{atomics, batch, store};

/// An open bucket.
pub struct Bucket(Arc<KeyValueStore>);

/// A compare-and-swap in progress: the value seen when it was made.
pub struct CasHandle {
    backend: Arc<KeyValueStore>,
    key: String,
    seen: Option<Vec<u8>>,
}

/// Adds the `wasi:keyvalue` imports to a linker.
pub fn add_to_linker(
    linker: &mut wasmtime::component::Linker<ComponentState>,
) -> wasmtime::Result<()> {
    type Data = wasmtime::component::HasSelf<ComponentState>;
    store::add_to_linker::<ComponentState, Data>(linker, |s| s)?;
    atomics::add_to_linker::<ComponentState, Data>(linker, |s| s)?;
    batch::add_to_linker::<ComponentState, Data>(linker, |s| s)?;
    Ok(())
}

fn other(err: impl std::fmt::Display) -> store::Error {
    store::Error::Other(err.to_string())
}

impl ComponentState {
    fn bucket(&self, bucket: &Resource<Bucket>) -> wasmtime::Result<Arc<KeyValueStore>> {
        Ok(self.table.get(bucket)?.0.clone())
    }
}

impl store::Host for ComponentState {
    async fn open(
        &mut self,
        identifier: String,
    ) -> wasmtime::Result<Result<Resource<Bucket>, store::Error>> {
        match self.open_store(&identifier) {
            Ok(backend) => Ok(Ok(self.table.push(Bucket(backend))?)),
            Err(OpenError::AccessDenied) => Ok(Err(store::Error::AccessDenied)),
            Err(OpenError::NoSuchStore) => Ok(Err(store::Error::NoSuchStore)),
        }
    }
}

impl store::HostBucket for ComponentState {
    async fn get(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, store::Error>> {
        Ok(self.bucket(&bucket)?.get(&key).await.map_err(other))
    }

    async fn set(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), store::Error>> {
        Ok(self.bucket(&bucket)?.set(&key, &value).await.map_err(other))
    }

    async fn delete(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
    ) -> wasmtime::Result<Result<(), store::Error>> {
        Ok(self.bucket(&bucket)?.delete(&key).await.map_err(other))
    }

    async fn exists(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
    ) -> wasmtime::Result<Result<bool, store::Error>> {
        Ok(self.bucket(&bucket)?.exists(&key).await.map_err(other))
    }

    async fn list_keys(
        &mut self,
        bucket: Resource<Bucket>,
        _cursor: Option<String>,
    ) -> wasmtime::Result<Result<store::KeyResponse, store::Error>> {
        Ok(self
            .bucket(&bucket)?
            .keys()
            .await
            .map(|keys| store::KeyResponse { keys, cursor: None })
            .map_err(other))
    }

    async fn drop(&mut self, bucket: Resource<Bucket>) -> wasmtime::Result<()> {
        self.table.delete(bucket)?;
        Ok(())
    }
}

impl atomics::Host for ComponentState {
    async fn increment(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
        delta: i64,
    ) -> wasmtime::Result<Result<i64, store::Error>> {
        Ok(self
            .bucket(&bucket)?
            .increment(&key, delta)
            .await
            .map_err(other))
    }

    async fn swap(
        &mut self,
        cas: Resource<CasHandle>,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), atomics::CasError>> {
        let handle = self.table.delete(cas)?;
        match handle
            .backend
            .compare_and_swap(&handle.key, handle.seen.as_deref(), &value)
            .await
        {
            Ok(CasOutcome::Swapped) => Ok(Ok(())),
            Ok(CasOutcome::Conflict(current)) => {
                let fresh = self.table.push(CasHandle {
                    backend: handle.backend,
                    key: handle.key,
                    seen: current,
                })?;
                Ok(Err(atomics::CasError::CasFailed(fresh)))
            }
            Err(err) => Ok(Err(atomics::CasError::StoreError(other(err)))),
        }
    }
}

impl atomics::HostCas for ComponentState {
    async fn new(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
    ) -> wasmtime::Result<Result<Resource<CasHandle>, store::Error>> {
        let backend = self.bucket(&bucket)?;
        let seen = match backend.get(&key).await {
            Ok(seen) => seen,
            Err(err) => return Ok(Err(other(err))),
        };
        Ok(Ok(self.table.push(CasHandle { backend, key, seen })?))
    }

    async fn current(
        &mut self,
        cas: Resource<CasHandle>,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, store::Error>> {
        Ok(Ok(self.table.get(&cas)?.seen.clone()))
    }

    async fn drop(&mut self, cas: Resource<CasHandle>) -> wasmtime::Result<()> {
        self.table.delete(cas)?;
        Ok(())
    }
}

impl batch::Host for ComponentState {
    async fn get_many(
        &mut self,
        bucket: Resource<Bucket>,
        keys: Vec<String>,
    ) -> wasmtime::Result<Result<Vec<(String, Option<Vec<u8>>)>, store::Error>> {
        Ok(self
            .bucket(&bucket)?
            .get_many(&keys)
            .await
            .map(|values| keys.into_iter().zip(values).collect())
            .map_err(other))
    }

    async fn set_many(
        &mut self,
        bucket: Resource<Bucket>,
        key_values: Vec<(String, Vec<u8>)>,
    ) -> wasmtime::Result<Result<(), store::Error>> {
        Ok(self
            .bucket(&bucket)?
            .set_many(&key_values)
            .await
            .map_err(other))
    }

    async fn delete_many(
        &mut self,
        bucket: Resource<Bucket>,
        keys: Vec<String>,
    ) -> wasmtime::Result<Result<(), store::Error>> {
        Ok(self
            .bucket(&bucket)?
            .delete_many(&keys)
            .await
            .map_err(other))
    }
}
