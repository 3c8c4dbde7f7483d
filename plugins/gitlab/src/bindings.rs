//! Bindings generated from the provider contract (`wit/v0.1.0`, world `plugin`).

wit_bindgen::generate!({
    path: "../../wit/v0.1.0",
    world: "plugin",
});

pub use git_access::provider::types;

git_access_plugin_sdk::provider_error_conversion!(self::types);
