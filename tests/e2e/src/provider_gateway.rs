//! A provider component (gateway ⊕ plugin) served by the real host on a public route, so
//! tests can call every contract function through the composed component, not only what
//! the API exposes.
//!
//! The host runs `tests/e2e/fixtures/provider-gateways.toml`, a test-only manifest that
//! routes `/provider-<id>/...` to the same `target/components/provider-<id>.wasm` that
//! `spin.toml` serves privately. Calls follow the gateway protocol
//! (`plugins/gateway/README.md`): `POST /provider-<id>/<wit-function>` with one JSON
//! member per parameter.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::{artifacts, HarnessError, Host, HostConfig, Reply};

/// The test manifest with the providers on public routes.
pub fn gateway_manifest() -> PathBuf {
    artifacts::workspace_root().join("tests/e2e/fixtures/provider-gateways.toml")
}

/// `scheme://host:port` of a URL (what an outbound allow-list entry may hold).
pub fn origin_of(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("http", url));
    let authority = rest.split('/').next().unwrap_or(rest);
    format!("{scheme}://{authority}")
}

/// The host serving one provider's gateway.
pub struct ProviderGateway {
    host: Host,
    provider: String,
}

impl ProviderGateway {
    /// Starts the host on the gateway manifest with state in `state_dir`, the provider's
    /// API base variable (`<id>_api_url`) set to `api_url`, and its allow-list to that
    /// URL's origin.
    pub fn start(state_dir: &Path, provider: &str, api_url: &str) -> Result<Self, HarnessError> {
        let mut config = HostConfig::new(state_dir).provider_at(provider, api_url);
        config.manifest = gateway_manifest();
        Ok(Self {
            host: Host::start(config)?,
            provider: provider.to_owned(),
        })
    }

    /// Calls `function` (its WIT name, e.g. `list-repositories`) with `args` (a JSON object
    /// with one member per parameter).
    pub fn call(&self, function: &str, args: &Value) -> Result<Reply, HarnessError> {
        self.host
            .post_json(&format!("/provider-{}/{function}", self.provider), args)
    }

    /// `GET /provider-<id>/info`.
    pub fn info(&self) -> Result<Reply, HarnessError> {
        self.host.get(&format!("/provider-{}/info", self.provider))
    }

    /// The host process (its logs, base URL).
    pub fn host(&self) -> &Host {
        &self.host
    }
}

/// The error case of a gateway reply (`{"error": {"type": ...}}`), if it is an error.
pub fn error_type(reply: &Reply) -> Option<String> {
    let body: Value = serde_json::from_str(&reply.body).ok()?;
    body.pointer("/error/type")?.as_str().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_drop_paths() {
        assert_eq!(
            origin_of("http://127.0.0.1:9000/api/v3"),
            "http://127.0.0.1:9000"
        );
        assert_eq!(
            origin_of("https://api.github.com"),
            "https://api.github.com"
        );
    }

    #[test]
    fn the_manifest_routes_every_provider_publicly() {
        let text = std::fs::read_to_string(gateway_manifest()).expect("fixture manifest");
        for id in ["github", "gitlab", "bitbucket"] {
            assert!(
                text.contains(&format!("route = \"/provider-{id}/...\"")),
                "{text}"
            );
        }
        assert!(!text.contains("private = true"), "{text}");
    }
}
