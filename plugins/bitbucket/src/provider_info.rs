//! What the plugin tells git-access about itself.

use crate::api_client::{DEFAULT_API_URL, DEFAULT_WEB_URL};
use crate::bindings::types::{
    Capability, ProviderInfo, TokenKind, TokenKindInfo, WebhookEventKind,
};
use crate::permission_probes::REQUIRED;

/// The plugin's description.
pub fn info() -> ProviderInfo {
    let required: Vec<String> = REQUIRED.iter().map(|(name, _)| name.to_string()).collect();
    let kind = |kind, label: &str| TokenKindInfo {
        kind,
        label: label.to_string(),
        required_permissions: required.clone(),
    };
    ProviderInfo {
        id: "bitbucket".to_string(),
        name: "Bitbucket".to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        default_api_url: DEFAULT_API_URL.to_string(),
        default_web_url: DEFAULT_WEB_URL.to_string(),
        needs_workspace: true,
        token_kinds: vec![
            kind(TokenKind::RepositoryToken, "Repository access token"),
            kind(TokenKind::ProjectToken, "Project access token"),
            kind(TokenKind::WorkspaceToken, "Workspace access token"),
            kind(
                TokenKind::OauthToken,
                "OAuth token (from signing in with Bitbucket)",
            ),
        ],
        // Bitbucket Data Center speaks another API (`/rest/api/1.0`): no self-managed.
        capabilities: vec![
            Capability::ValidateToken,
            Capability::Repositories,
            Capability::Webhooks,
            Capability::VerifyWebhook,
            Capability::CloneCredentials,
            Capability::Oauth,
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
    fn describes_bitbucket() {
        let info = info();
        assert_eq!(info.id, "bitbucket");
        assert_eq!(info.default_api_url, "https://api.bitbucket.org/2.0");
        assert!(info.needs_workspace);
        assert_eq!(
            info.token_kinds[0].required_permissions,
            ["repository", "pullrequest:write", "webhook"]
        );
        assert!(!info.capabilities.contains(&Capability::SelfManaged));
    }
}
