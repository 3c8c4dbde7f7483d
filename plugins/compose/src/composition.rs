//! `gateway ⊕ plugin` with `wac-graph`, wired explicitly and checked afterwards.

use std::error::Error;

use wac_graph::types::Package;
use wac_graph::{CompositionGraph, EncodeOptions, InstantiationArgumentError};

use crate::{
    exports, imports, provider_interface, version_among, ComposeError, HTTP_HANDLER_INTERFACE,
};

/// Composes the gateway with a plugin: the plugin's `git-access:provider/provider@<version>`
/// export satisfies the gateway's import of the same version (a gateway serves one
/// contract version), and the result exports the gateway's
/// `wasi:http/incoming-handler@0.2.0`.
///
/// The result may import only `wasi:*` interfaces and what the gateway itself imports from
/// the host: Spin variables, and the contract's `git-access:provider/types@<version>`, an
/// interface of types only that a host satisfies without defining anything (wasmtime
/// skips type exports when it matches an instance import). Anything else the plugin needs
/// is an error naming it.
pub fn compose(gateway: &[u8], plugin: &[u8]) -> Result<Vec<u8>, ComposeError> {
    let gateway_imports = imports(gateway).map_err(|e| as_role(e, "gateway"))?;
    let gateway_exports = exports(gateway).map_err(|e| as_role(e, "gateway"))?;
    let plugin_exports = exports(plugin).map_err(|e| as_role(e, "plugin"))?;
    let Some(version) = version_among(&plugin_exports) else {
        return Err(ComposeError::PluginMissingProvider {
            found: plugin_exports,
        });
    };
    let interface = provider_interface(version);
    if !gateway_imports.contains(&interface) {
        return Err(ComposeError::GatewayShape {
            what: "import",
            name: interface,
            found: gateway_imports,
        });
    }
    if !gateway_exports.iter().any(|n| n == HTTP_HANDLER_INTERFACE) {
        return Err(ComposeError::GatewayShape {
            what: "export",
            name: HTTP_HANDLER_INTERFACE.to_owned(),
            found: gateway_exports,
        });
    }

    let composed = wire(gateway, plugin, &interface)?;

    // wac leaves any import the plugin needs as an import of the result; the host must be
    // able to provide each of them.
    let unexpected: Vec<String> = imports(&composed)?
        .into_iter()
        .filter(|name| {
            *name == interface || !(name.starts_with("wasi:") || gateway_imports.contains(name))
        })
        .collect();
    if !unexpected.is_empty() {
        return Err(ComposeError::UnexpectedImports { names: unexpected });
    }
    Ok(composed)
}

fn wire(gateway: &[u8], plugin: &[u8], interface: &str) -> Result<Vec<u8>, ComposeError> {
    let mut graph = CompositionGraph::new();
    let gateway = Package::from_bytes("git-access:gateway", None, gateway, graph.types_mut())
        .map_err(|e| invalid("gateway", &e))?;
    let plugin = Package::from_bytes("git-access:plugin", None, plugin, graph.types_mut())
        .map_err(|e| invalid("plugin", &e))?;
    let gateway = graph.register_package(gateway).map_err(graph_error)?;
    let plugin = graph.register_package(plugin).map_err(graph_error)?;

    let gateway = graph.instantiate(gateway);
    let plugin = graph.instantiate(plugin);
    let provider = graph
        .alias_instance_export(plugin, interface)
        .map_err(graph_error)?;
    graph
        .set_instantiation_argument(gateway, interface, provider)
        .map_err(|e| match e {
            InstantiationArgumentError::ArgumentTypeMismatch { source, .. } => {
                ComposeError::Mismatch {
                    interface: interface.to_owned(),
                    reason: chain(source.as_ref()),
                }
            }
            other => graph_error(other),
        })?;
    let handler = graph
        .alias_instance_export(gateway, HTTP_HANDLER_INTERFACE)
        .map_err(graph_error)?;
    graph
        .export(handler, HTTP_HANDLER_INTERFACE)
        .map_err(graph_error)?;
    graph.encode(EncodeOptions::default()).map_err(graph_error)
}

fn as_role(error: ComposeError, role: &'static str) -> ComposeError {
    match error {
        ComposeError::InvalidComponent { reason, .. } => {
            ComposeError::InvalidComponent { role, reason }
        }
        other => other,
    }
}

fn invalid(role: &'static str, error: &dyn std::fmt::Display) -> ComposeError {
    ComposeError::InvalidComponent {
        role,
        reason: format!("{error:#}"),
    }
}

fn graph_error<E: Error>(error: E) -> ComposeError {
    ComposeError::Graph(chain(&error))
}

/// An error and its causes, `outer: inner: innermost`.
fn chain(error: &dyn Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}
