//! Composition of the git-access gateway with a provider plugin.
//!
//! The gateway imports `git-access:provider/provider@<version>` and exports
//! `wasi:http/incoming-handler@0.2.0`; a plugin exports the provider interface of the
//! contract version it was built against ([`contract_version`]), and is composed with the
//! gateway built for that version. [`compose`]
//! wires one into the other with `wac-graph` (explicitly, so a mistyped plugin fails with a
//! precise message instead of being skipped) and checks that the result needs nothing the
//! host does not provide. [`imports`] and [`exports`] list a component's top-level names;
//! the host's conformance checker reuses them.
#![deny(missing_docs)]

mod component_names;
mod composition;

pub use component_names::{exports, imports};
pub use composition::compose;

/// Contract versions git-access serves, oldest first: released versions are frozen
/// (`wit/v<version>`), and plugins built against any of them keep working.
pub const CONTRACT_VERSIONS: &[&str] = &["0.1.0", "0.2.0"];

/// The newest contract version, which first-party plugins and the default gateway use.
pub const LATEST_CONTRACT: &str = "0.2.0";

/// The contract interface of the newest version.
pub const PROVIDER_INTERFACE: &str = "git-access:provider/provider@0.2.0";

/// The contract interface a plugin exports and the gateway imports, without its version.
const PROVIDER_INTERFACE_NAME: &str = "git-access:provider/provider";

/// The contract interface of `version`.
pub fn provider_interface(version: &str) -> String {
    format!("{PROVIDER_INTERFACE_NAME}@{version}")
}

/// The file name of the gateway for contract `version` among the deployable components
/// (`target/components`): `gateway.wasm` for the newest, `gateway-v<version>.wasm` for
/// older ones.
pub fn gateway_file_name(version: &str) -> String {
    if version == LATEST_CONTRACT {
        "gateway.wasm".to_owned()
    } else {
        format!("gateway-v{version}.wasm")
    }
}

/// The contract version a plugin exports (`0.1.0`, `0.2.0`), from its component bytes.
pub fn contract_version(plugin: &[u8]) -> Result<&'static str, ComposeError> {
    let found = exports(plugin).map_err(|e| match e {
        ComposeError::InvalidComponent { reason, .. } => ComposeError::InvalidComponent {
            role: "plugin",
            reason,
        },
        other => other,
    })?;
    version_among(&found).ok_or(ComposeError::PluginMissingProvider { found })
}

/// The contract version of the provider interface among `names`, if any.
fn version_among(names: &[String]) -> Option<&'static str> {
    CONTRACT_VERSIONS.iter().rev().copied().find(|version| {
        let interface = provider_interface(version);
        names.contains(&interface)
    })
}

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
    /// The plugin exports no contract version git-access serves.
    #[error(
        "the plugin does not export `{PROVIDER_INTERFACE_NAME}` of a contract version \
         git-access serves ({}){}",
        CONTRACT_VERSIONS.join(", "),
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
        name: String,
        /// What the gateway has instead.
        found: Vec<String>,
    },
    /// The plugin's export does not have the type the gateway imports.
    #[error(
        "the plugin's `{interface}` does not match the contract the gateway expects: {reason}"
    )]
    Mismatch {
        /// The contract interface, with its version.
        interface: String,
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
