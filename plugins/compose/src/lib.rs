//! Composition of the git-access gateway with a provider plugin.
//!
//! The gateway imports `git-access:provider/provider@0.1.0` and exports
//! `wasi:http/incoming-handler@0.2.0`; a plugin exports the provider interface. [`compose`]
//! wires one into the other with `wac-graph` (explicitly, so a mistyped plugin fails with a
//! precise message instead of being skipped) and checks that the result needs nothing the
//! host does not provide. [`imports`] and [`exports`] list a component's top-level names;
//! the host's conformance checker reuses them.
#![deny(missing_docs)]

mod component_names;
mod composition;

pub use component_names::{exports, imports};
pub use composition::compose;

/// The contract interface a plugin exports and the gateway imports.
pub const PROVIDER_INTERFACE: &str = "git-access:provider/provider@0.1.0";

/// The interface the composed component exports to serve HTTP.
pub const HTTP_HANDLER_INTERFACE: &str = "wasi:http/incoming-handler@0.2.0";

/// Why two components could not be composed or a component could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    /// The bytes are not a WebAssembly component (or not a valid one).
    #[error("the {role} is not a valid WebAssembly component: {reason}")]
    InvalidComponent {
        /// `gateway`, `plugin` or `component`.
        role: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The plugin does not export the contract interface.
    #[error(
        "the plugin does not export `{PROVIDER_INTERFACE}`{}",
        describe_found("it exports", found)
    )]
    PluginMissingProvider {
        /// What the plugin exports instead.
        found: Vec<String>,
    },
    /// The gateway does not import the contract or does not export the HTTP handler.
    #[error(
        "the gateway does not {what} `{name}`{}",
        describe_found("it has", found)
    )]
    GatewayShape {
        /// `import` or `export`.
        what: &'static str,
        /// The missing name.
        name: &'static str,
        /// What the gateway has instead.
        found: Vec<String>,
    },
    /// The plugin's export does not have the type the gateway imports.
    #[error("the plugin's `{PROVIDER_INTERFACE}` does not match the contract the gateway expects: {reason}")]
    Mismatch {
        /// The type checker's explanation, e.g. which function result differs.
        reason: String,
    },
    /// The composition needs imports the host does not provide.
    #[error(
        "the composed component imports {} that git-access does not provide \
         (a provider plugin may import only wasi:* interfaces and the contract's types): {}",
        if names.len() == 1 { "an interface" } else { "interfaces" },
        names.join(", ")
    )]
    UnexpectedImports {
        /// The offending import names.
        names: Vec<String>,
    },
    /// `wac-graph` failed for another reason.
    #[error("composition failed: {0}")]
    Graph(String),
}

fn describe_found(prefix: &str, found: &[String]) -> String {
    if found.is_empty() {
        format!(" ({prefix} nothing)")
    } else {
        format!(" ({prefix} {})", found.join(", "))
    }
}
