//! `gateway ⊕ plugin` with `wac-graph`, wired explicitly and checked afterwards.

use std::error::Error;

use wac_graph::types::Package;
use wac_graph::{CompositionGraph, EncodeOptions, InstantiationArgumentError};

use crate::{exports, imports, ComposeError, HTTP_HANDLER_INTERFACE, PROVIDER_INTERFACE};

/// Composes the gateway with a plugin: the plugin's `git-access:provider/provider@0.1.0`
/// export satisfies the gateway's import, and the result exports the gateway's
/// `wasi:http/incoming-handler@0.2.0`.
///
/// The result may import only `wasi:*` interfaces and what the gateway itself imports from
/// the host: Spin variables, and the contract's `git-access:provider/types@0.1.0`, an
/// interface of types only that a host satisfies without defining anything (wasmtime
/// skips type exports when it matches an instance import). Anything else the plugin needs
/// is an error naming it.
pub fn compose(gateway: &[u8], plugin: &[u8]) -> Result<Vec<u8>, ComposeError> {
    let gateway_imports = imports(gateway).map_err(|e| as_role(e, "gateway"))?;
    let gateway_exports = exports(gateway).map_err(|e| as_role(e, "gateway"))?;
    let plugin_exports = exports(plugin).map_err(|e| as_role(e, "plugin"))?;
    if !gateway_imports.iter().any(|n| n == PROVIDER_INTERFACE) {
        return Err(ComposeError::GatewayShape {
            what: "import",
            name: PROVIDER_INTERFACE,
            found: gateway_imports,
        });
    }
    if !gateway_exports.iter().any(|n| n == HTTP_HANDLER_INTERFACE) {
        return Err(ComposeError::GatewayShape {
            what: "export",
            name: HTTP_HANDLER_INTERFACE,
            found: gateway_exports,
        });
    }
    if !plugin_exports.iter().any(|n| n == PROVIDER_INTERFACE) {
        return Err(ComposeError::PluginMissingProvider {
            found: plugin_exports,
        });
    }

    let composed = wire(gateway, plugin)?;

    // wac leaves any import the plugin needs as an import of the result; the host must be
    // able to provide each of them.
    let unexpected: Vec<String> = imports(&composed)?
        .into_iter()
        .filter(|name| {
            name == PROVIDER_INTERFACE
                || !(name.starts_with("wasi:") || gateway_imports.contains(name))
        })
        .collect();
    if !unexpected.is_empty() {
        return Err(ComposeError::UnexpectedImports { names: unexpected });
    }
    Ok(composed)
}

fn wire(gateway: &[u8], plugin: &[u8]) -> Result<Vec<u8>, ComposeError> {
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
        .alias_instance_export(plugin, PROVIDER_INTERFACE)
        .map_err(graph_error)?;
    graph
        .set_instantiation_argument(gateway, PROVIDER_INTERFACE, provider)
        .map_err(|e| match e {
            InstantiationArgumentError::ArgumentTypeMismatch { source, .. } => {
                ComposeError::Mismatch {
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
