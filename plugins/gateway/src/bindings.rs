//! Bindings generated from the provider contract (`wit/v0.1.0`, world `gateway`): the
//! imported `provider` interface.

wit_bindgen::generate!({
    path: "../../wit/v0.1.0",
    world: "gateway",
});

pub use git_access::provider::{provider, types};
