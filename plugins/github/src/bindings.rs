//! Bindings generated from the provider contract (`wit/v0.2.0`, world `plugin`).
//!
//! Public, with a public `export!` macro, so that a plugin built on this crate (`github-app`)
//! uses the same generated types and exports its own implementation with
//! `git_access_github::bindings::export!(Impl with_types_in git_access_github::bindings)`.

#![allow(missing_docs)] // Generated; the WIT comments become the documentation.

wit_bindgen::generate!({
    path: "../../wit/v0.2.0",
    world: "plugin",
    pub_export_macro: true,
});

pub use git_access::provider::types;

git_access_plugin_sdk::provider_error_conversion!(self::types);
git_access_plugin_sdk::oauth_tokens_conversion!(self::types);
