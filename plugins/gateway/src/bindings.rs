//! Bindings generated from the provider contract (world `gateway`): the imported
//! `provider` interface. The gateway is built once per contract version it serves:
//! `wit/v0.2.0` by default, `wit/v0.1.0` with the `contract-v0-1` feature, so plugins built
//! against either keep working.

#[cfg(not(feature = "contract-v0-1"))]
wit_bindgen::generate!({
    path: "../../wit/v0.2.0",
    world: "gateway",
});

#[cfg(feature = "contract-v0-1")]
wit_bindgen::generate!({
    path: "../../wit/v0.1.0",
    world: "gateway",
});

pub use git_access::provider::{provider, types};
