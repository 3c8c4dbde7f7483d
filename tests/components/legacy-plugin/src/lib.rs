//! A small conforming provider plugin built against contract 0.1.0, as a third party may
//! have published it before 0.2.0: it verifies webhook deliveries signed with a shared
//! token (`X-Legacy-Token`) and supports nothing else. git-access must keep composing,
//! checking and serving it; `oauth-refresh-token`, which 0.1.0 lacks, answers
//! `unsupported` through its gateway.

mod bindings {
    wit_bindgen::generate!({
        path: "../../../wit/v0.1.0",
        world: "plugin",
    });

    pub use git_access::provider::types;

    git_access_plugin_sdk::provider_error_conversion!(self::types);
}

use bindings::exports::git_access::provider::provider::*;
use bindings::types::{Capability, EventDetail};
use git_access_plugin_sdk::signature::constant_time_eq;

struct Legacy;

/// The header that carries the shared token.
const TOKEN_HEADER: &str = "x-legacy-token";

impl Guest for Legacy {
    fn info() -> ProviderInfo {
        ProviderInfo {
            id: "legacy".into(),
            name: "Legacy".into(),
            version: "0.1.0".into(),
            default_api_url: "https://legacy.example".into(),
            default_web_url: "https://legacy.example".into(),
            needs_workspace: false,
            token_kinds: Vec::new(),
            capabilities: vec![Capability::VerifyWebhook],
            webhook_events: Vec::new(),
        }
    }

    fn verify_webhook(secret: String, delivery: Delivery) -> Result<GitEvent, ProviderError> {
        let header = |name: &str| {
            delivery
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case(name))
                .map(|h| h.value.as_str())
        };
        let token = header(TOKEN_HEADER).unwrap_or_default();
        if secret.is_empty() || !constant_time_eq(token.as_bytes(), secret.as_bytes()) {
            return Err(ProviderError::Unauthorized(format!(
                "the {TOKEN_HEADER} header does not carry the webhook's token"
            )));
        }
        Ok(GitEvent {
            delivery_id: header("x-legacy-delivery").unwrap_or_default().into(),
            provider_event: "ping".into(),
            repository: String::new(),
            repository_id: None,
            sender: String::new(),
            detail: EventDetail::Ping,
        })
    }

    git_access_plugin_sdk::unsupported!(
        validate_token,
        list_repositories,
        get_repository,
        list_branches,
        create_webhook,
        get_webhook,
        delete_webhook,
        clone_credentials,
        oauth_authorize_url,
        oauth_exchange_code,
        get_installation,
        create_installation_token,
        list_installation_repositories,
        add_installation_repository,
        remove_installation_repository,
        delete_installation,
    );
}

bindings::export!(Legacy with_types_in bindings);
