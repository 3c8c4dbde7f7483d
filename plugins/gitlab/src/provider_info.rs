//! What the plugin tells git-access about itself.

use crate::api_client::{DEFAULT_API_URL, DEFAULT_WEB_URL};
use crate::bindings::types::{
    Capability, ProviderInfo, TokenKind, TokenKindInfo, WebhookEventKind,
};
use crate::token_validation::{REQUIRED_ROLE, REQUIRED_SCOPES};

/// The plugin's description.
pub fn info() -> ProviderInfo {
    let required: Vec<String> = REQUIRED_SCOPES
        .iter()
        .map(|(name, _)| name.to_string())
        .chain(std::iter::once(REQUIRED_ROLE.to_string()))
        .collect();
    let kind = |kind, label: &str| TokenKindInfo {
        kind,
        label: label.to_string(),
        required_permissions: required.clone(),
    };
    ProviderInfo {
        id: "gitlab".to_string(),
        name: "GitLab".to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        default_api_url: DEFAULT_API_URL.to_string(),
        default_web_url: DEFAULT_WEB_URL.to_string(),
        needs_workspace: false,
        token_kinds: vec![
            kind(TokenKind::ProjectToken, "Project access token"),
            kind(TokenKind::GroupToken, "Group access token"),
            kind(TokenKind::PersonalToken, "Personal access token"),
            kind(
                TokenKind::OauthToken,
                "OAuth token (from signing in with GitLab)",
            ),
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
    fn describes_gitlab() {
        let info = info();
        assert_eq!(info.id, "gitlab");
        assert_eq!(info.default_api_url, "https://gitlab.com/api/v4");
        assert_eq!(info.default_web_url, "https://gitlab.com");
        assert!(!info.needs_workspace);
        assert_eq!(
            info.token_kinds[0].required_permissions,
            ["api", "read_repository", "maintainer"]
        );
        assert!(info.capabilities.contains(&Capability::SelfManaged));
        assert!(!info.capabilities.contains(&Capability::AppInstallations));
    }
}
