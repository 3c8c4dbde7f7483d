//! The git-access gateway: a generic Spin HTTP component that imports
//! `git-access:provider/provider` (contract 0.2.0, or 0.1.0 with the `contract-v0-1`
//! feature) and serves each of its functions as
//! `POST /<function>` with JSON in and out (protocol: `plugins/gateway/README.md`).
//!
//! It knows no provider: composed with a plugin at build time, it becomes that provider's
//! `provider-<id>` component.

mod bindings;
mod config;
mod dispatch;
mod protocol;
mod wire;

use spin_sdk::http::{Method, Request, Response};
use spin_sdk::http_component;

use crate::protocol::{CallError, Reply};

/// Serves one call.
#[http_component]
fn handle(req: Request) -> Response {
    let path = req
        .header("spin-path-info")
        .and_then(|v| v.as_str())
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| req.path())
        .to_string();
    let function = path.trim_matches('/');
    let reply = match (req.method(), function) {
        (Method::Get, "info") | (Method::Post, _) => dispatch::call(
            function,
            req.body(),
            req.header("content-type").and_then(|v| v.as_str()),
            config::api_url().as_deref(),
        ),
        _ if dispatch::FUNCTIONS.contains(&function) => {
            Err(CallError::MethodNotAllowed(function.to_string()))
        }
        _ => Err(CallError::UnknownFunction(function.to_string())),
    };
    protocol::respond(reply.unwrap_or_else(Reply::from))
}
