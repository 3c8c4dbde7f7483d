//! What the plugin tells git-access about itself.

use git_access_github::api_client::{DEFAULT_API_URL, DEFAULT_WEB_URL};
use git_access_github::bindings::types::{Capability, ProviderInfo, TokenKind, TokenKindInfo};

/// Installation permissions git-access needs, in GitHub App vocabulary (the `name:level`
/// scopes `create-installation-token` reports).
pub const REQUIRED_PERMISSIONS: &[&str] = &[
    "contents:read",
    "repository_hooks:write",
    "pull_requests:write",
];

/// The plugin's description.
pub fn info() -> ProviderInfo {
    ProviderInfo {
        id: "github-app".to_string(),
        name: "GitHub App (deprecated)".to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        default_api_url: DEFAULT_API_URL.to_string(),
        default_web_url: DEFAULT_WEB_URL.to_string(),
        needs_workspace: false,
        token_kinds: vec![TokenKindInfo {
            kind: TokenKind::AppToken,
            label: "GitHub App installation token".to_string(),
            required_permissions: REQUIRED_PERMISSIONS.iter().map(|p| p.to_string()).collect(),
        }],
        capabilities: vec![
            Capability::Repositories,
            Capability::Webhooks,
            Capability::VerifyWebhook,
            Capability::CloneCredentials,
            Capability::Oauth,
            Capability::AppInstallations,
            Capability::SelfManaged,
        ],
        // The GitHub plugin's webhooks, delegated to.
        webhook_events: git_access_github::provider_info::info().webhook_events,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_the_github_app_flow() {
        let info = info();
        assert_eq!(info.id, "github-app");
        assert_eq!(info.name, "GitHub App (deprecated)");
        assert_eq!(info.default_api_url, "https://api.github.com");
        assert_eq!(info.default_web_url, "https://github.com");
        assert_eq!(info.token_kinds.len(), 1);
        assert_eq!(info.token_kinds[0].kind, TokenKind::AppToken);
        assert!(info.capabilities.contains(&Capability::AppInstallations));
        assert!(
            !info.capabilities.contains(&Capability::ValidateToken),
            "installations are not connected as Git tokens"
        );
        assert_eq!(info.capabilities.len(), 7);
        assert_eq!(info.webhook_events.len(), 3);
    }
}
