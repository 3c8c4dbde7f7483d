//! A provider plugin that breaks the contract on purpose: it traps in `validate-token`,
//! accepts forged webhook deliveries, and claims repositories without implementing them.
//! `plugin check` must reject it and say why.

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

struct Broken;

impl Guest for Broken {
    fn info() -> ProviderInfo {
        ProviderInfo {
            id: "broken".into(),
            name: "Broken".into(),
            version: "0.0.0".into(),
            default_api_url: "https://broken.example".into(),
            default_web_url: "https://broken.example".into(),
            needs_workspace: false,
            token_kinds: Vec::new(),
            capabilities: vec![
                Capability::ValidateToken,
                Capability::VerifyWebhook,
                Capability::Repositories,
            ],
            webhook_events: Vec::new(),
        }
    }

    fn validate_token(_conn: Connection) -> Result<TokenReport, ProviderError> {
        panic!("validate-token is broken on purpose")
    }

    fn verify_webhook(_secret: String, _delivery: Delivery) -> Result<GitEvent, ProviderError> {
        Ok(GitEvent {
            delivery_id: "forged".into(),
            provider_event: "ping".into(),
            repository: "any/any".into(),
            repository_id: None,
            sender: "anyone".into(),
            detail: EventDetail::Ping,
        })
    }

    git_access_plugin_sdk::unsupported!(
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

bindings::export!(Broken with_types_in bindings);
