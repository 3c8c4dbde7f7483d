//! The plugin-side mirror of the WIT `provider-error` variant.

/// Why a provider call failed; one case per case of the WIT `provider-error`.
///
/// Plugins return this from their logic and convert it at the boundary with
/// [`provider_error_conversion!`](crate::provider_error_conversion).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// The credential is invalid, expired or revoked.
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    /// The credential lacks permissions.
    #[error("forbidden: {message}")]
    Forbidden {
        /// Human explanation.
        message: String,
        /// Missing permissions, in provider vocabulary.
        missing: Vec<String>,
    },
    /// The repository, branch, hook or installation does not exist or is hidden.
    #[error("not found: {0}")]
    NotFound(String),
    /// The provider throttled the call.
    #[error("rate limited: {message}")]
    RateLimited {
        /// Human explanation.
        message: String,
        /// Seconds to wait before retrying, if the provider said.
        retry_after: Option<u32>,
    },
    /// An argument is invalid.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The provider is down, unreachable or answered with a server error.
    #[error("unavailable: {message}")]
    Unavailable {
        /// Human explanation.
        message: String,
        /// Seconds to wait before retrying, if the provider said.
        retry_after: Option<u32>,
    },
    /// The plugin does not implement this call.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// Anything else.
    #[error("{0}")]
    Other(String),
}

impl ProviderError {
    /// `unsupported` for a contract function the plugin does not implement.
    pub fn unsupported(function: &str) -> Self {
        Self::Unsupported(format!(
            "this provider plugin does not implement `{function}`"
        ))
    }

    /// `unavailable` without a retry hint.
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::Unavailable {
            message: message.into(),
            retry_after: None,
        }
    }

    /// `forbidden` naming each missing permission.
    pub fn forbidden(message: impl Into<String>, missing: Vec<String>) -> Self {
        Self::Forbidden {
            message: message.into(),
            missing,
        }
    }
}
