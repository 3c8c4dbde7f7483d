//! Bindings generated from the provider contract (`wit/v0.2.0`, world `plugin`).

wit_bindgen::generate!({
    path: "../../wit/v0.2.0",
    world: "plugin",
});

pub use git_access::provider::types;

git_access_plugin_sdk::provider_error_conversion!(self::types);
git_access_plugin_sdk::oauth_tokens_conversion!(self::types);
