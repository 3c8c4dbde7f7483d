//! What the plugin tells git-access about itself.

use crate::api_client::{DEFAULT_API_URL, DEFAULT_WEB_URL};
use crate::bindings::types::{
    Capability, ProviderInfo, TokenKind, TokenKindInfo, WebhookEventKind,
};
use crate::token_validation::{CLASSIC_REQUIRED, FINE_GRAINED_REQUIRED};

/// The plugin's description.
pub fn info() -> ProviderInfo {
    let names = |required: &[(&str, &str)]| required.iter().map(|(n, _)| n.to_string()).collect();
    ProviderInfo {
        id: "github".to_string(),
        name: "GitHub".to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        default_api_url: DEFAULT_API_URL.to_string(),
        default_web_url: DEFAULT_WEB_URL.to_string(),
        needs_workspace: false,
        token_kinds: vec![
            TokenKindInfo {
                kind: TokenKind::ClassicPat,
                label: "Classic personal access token".to_string(),
                required_permissions: names(CLASSIC_REQUIRED),
            },
            TokenKindInfo {
                kind: TokenKind::FineGrainedPat,
                label: "Fine-grained personal access token".to_string(),
                required_permissions: names(FINE_GRAINED_REQUIRED),
            },
            TokenKindInfo {
                kind: TokenKind::OauthToken,
                label: "OAuth token (from signing in with GitHub)".to_string(),
                required_permissions: names(CLASSIC_REQUIRED),
            },
            TokenKindInfo {
                kind: TokenKind::AppToken,
                label: "GitHub App user or installation token".to_string(),
                required_permissions: names(FINE_GRAINED_REQUIRED),
            },
        ],
        capabilities: vec![
            Capability::ValidateToken,
            Capability::Repositories,
            Capability::Webhooks,
            Capability::VerifyWebhook,
            Capability::CloneCredentials,
            Capability::Oauth,
            Capability::SelfManaged,
        ],
        webhook_events: vec![
            WebhookEventKind::Push,
            WebhookEventKind::TagPush,
            WebhookEventKind::PullRequest,
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_github() {
        let info = info();
        assert_eq!(info.id, "github");
        assert_eq!(info.default_api_url, "https://api.github.com");
        assert!(!info.needs_workspace);
        assert_eq!(
            info.token_kinds[0].required_permissions,
            ["repo", "admin:repo_hook"]
        );
        assert_eq!(
            info.token_kinds[1].required_permissions,
            ["contents:read", "webhooks:write", "pull_requests:write"]
        );
        assert_eq!(info.capabilities.len(), 7);
        assert!(!info.capabilities.contains(&Capability::AppInstallations));
    }
}
