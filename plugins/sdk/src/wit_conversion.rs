//! Macros that connect the SDK to a plugin's own wit-bindgen types.
//!
//! wit-bindgen generates the contract types inside each plugin crate, so the SDK cannot
//! name them. These macros expand inside the plugin, where they can.

/// Implements `From<git_access_plugin_sdk::ProviderError>` for the plugin's WIT
/// `provider-error`, so plugin code can use `?` on SDK results.
///
/// Pass the path of the generated `types` module (the module that holds `ProviderError`,
/// `ForbiddenDetail` and `RetryDetail`):
///
/// ```ignore
/// git_access_plugin_sdk::provider_error_conversion!(
///     crate::bindings::exports::git_access::provider::types
/// );
/// ```
#[macro_export]
macro_rules! provider_error_conversion {
    ($($types:ident)::+) => {
        impl ::core::convert::From<$crate::ProviderError> for $($types)::+::ProviderError {
            fn from(error: $crate::ProviderError) -> Self {
                use $($types)::+ as wit;
                match error {
                    $crate::ProviderError::Unauthorized(message) => {
                        wit::ProviderError::Unauthorized(message)
                    }
                    $crate::ProviderError::Forbidden { message, missing } => {
                        wit::ProviderError::Forbidden(wit::ForbiddenDetail { message, missing })
                    }
                    $crate::ProviderError::NotFound(message) => {
                        wit::ProviderError::NotFound(message)
                    }
                    $crate::ProviderError::RateLimited { message, retry_after } => {
                        wit::ProviderError::RateLimited(wit::RetryDetail { message, retry_after })
                    }
                    $crate::ProviderError::InvalidInput(message) => {
                        wit::ProviderError::InvalidInput(message)
                    }
                    $crate::ProviderError::Unavailable { message, retry_after } => {
                        wit::ProviderError::Unavailable(wit::RetryDetail { message, retry_after })
                    }
                    $crate::ProviderError::Unsupported(message) => {
                        wit::ProviderError::Unsupported(message)
                    }
                    $crate::ProviderError::Other(message) => wit::ProviderError::Other(message),
                }
            }
        }
    };
}

/// Implements `From<git_access_plugin_sdk::oauth::Tokens>` for the plugin's WIT
/// `oauth-tokens`, so the OAuth calls can return what [`oauth`](crate::oauth) reads.
///
/// Pass the path of the generated `types` module (the module that holds `OauthTokens`):
///
/// ```ignore
/// git_access_plugin_sdk::oauth_tokens_conversion!(self::types);
/// ```
#[macro_export]
macro_rules! oauth_tokens_conversion {
    ($($types:ident)::+) => {
        impl ::core::convert::From<$crate::oauth::Tokens> for $($types)::+::OauthTokens {
            fn from(tokens: $crate::oauth::Tokens) -> Self {
                Self {
                    access_token: tokens.access_token,
                    refresh_token: tokens.refresh_token,
                    expires_at: tokens.expires_at,
                    scopes: tokens.scopes,
                }
            }
        }
    };
}

/// Implements contract functions as returning `unsupported`, for use inside the plugin's
/// `impl Guest for ...` block. The types of the `provider` interface (`Connection`,
/// `PageRequest`, `ProviderError`, ...) must be in scope, e.g. through
/// `use bindings::exports::git_access::provider::provider::*;`.
///
/// Serves plugins of every contract version: a plugin names only the functions of its
/// version (`oauth_refresh_token` exists from 0.2.0 on).
///
/// ```ignore
/// impl Guest for Component {
///     fn info() -> ProviderInfo { /* ... */ }
///     git_access_plugin_sdk::unsupported!(list_repositories, get_repository, list_branches);
/// }
/// ```
#[macro_export]
macro_rules! unsupported {
    ($($function:ident),+ $(,)?) => {
        $( $crate::unsupported!(@one $function); )+
    };
    (@one list_repositories) => {
        fn list_repositories(_: Connection, _: PageRequest) -> Result<RepositoryPage, ProviderError> {
            Err($crate::ProviderError::unsupported("list-repositories").into())
        }
    };
    (@one get_repository) => {
        fn get_repository(_: Connection, _: RepositoryRef) -> Result<Repository, ProviderError> {
            Err($crate::ProviderError::unsupported("get-repository").into())
        }
    };
    (@one list_branches) => {
        fn list_branches(
            _: Connection,
            _: RepositoryRef,
            _: PageRequest,
        ) -> Result<BranchPage, ProviderError> {
            Err($crate::ProviderError::unsupported("list-branches").into())
        }
    };
    (@one create_webhook) => {
        fn create_webhook(
            _: Connection,
            _: RepositoryRef,
            _: WebhookSpec,
        ) -> Result<Webhook, ProviderError> {
            Err($crate::ProviderError::unsupported("create-webhook").into())
        }
    };
    (@one get_webhook) => {
        fn get_webhook(_: Connection, _: RepositoryRef, _: String) -> Result<Webhook, ProviderError> {
            Err($crate::ProviderError::unsupported("get-webhook").into())
        }
    };
    (@one delete_webhook) => {
        fn delete_webhook(_: Connection, _: RepositoryRef, _: String) -> Result<(), ProviderError> {
            Err($crate::ProviderError::unsupported("delete-webhook").into())
        }
    };
    (@one validate_token) => {
        fn validate_token(_: Connection) -> Result<TokenReport, ProviderError> {
            Err($crate::ProviderError::unsupported("validate-token").into())
        }
    };
    (@one verify_webhook) => {
        fn verify_webhook(_: String, _: Delivery) -> Result<GitEvent, ProviderError> {
            Err($crate::ProviderError::unsupported("verify-webhook").into())
        }
    };
    (@one clone_credentials) => {
        fn clone_credentials(
            _: Connection,
            _: RepositoryRef,
        ) -> Result<CloneAccess, ProviderError> {
            Err($crate::ProviderError::unsupported("clone-credentials").into())
        }
    };
    (@one oauth_authorize_url) => {
        fn oauth_authorize_url(_: AuthorizeRequest) -> Result<String, ProviderError> {
            Err($crate::ProviderError::unsupported("oauth-authorize-url").into())
        }
    };
    (@one oauth_exchange_code) => {
        fn oauth_exchange_code(_: ExchangeRequest) -> Result<OauthTokens, ProviderError> {
            Err($crate::ProviderError::unsupported("oauth-exchange-code").into())
        }
    };
    (@one oauth_refresh_token) => {
        fn oauth_refresh_token(_: RefreshRequest) -> Result<OauthTokens, ProviderError> {
            Err($crate::ProviderError::unsupported("oauth-refresh-token").into())
        }
    };
    (@one get_installation) => {
        fn get_installation(_: AppCredentials, _: String) -> Result<Installation, ProviderError> {
            Err($crate::ProviderError::unsupported("get-installation").into())
        }
    };
    (@one create_installation_token) => {
        fn create_installation_token(
            _: AppCredentials,
            _: String,
        ) -> Result<OauthTokens, ProviderError> {
            Err($crate::ProviderError::unsupported("create-installation-token").into())
        }
    };
    (@one list_installation_repositories) => {
        fn list_installation_repositories(
            _: AppCredentials,
            _: String,
            _: PageRequest,
        ) -> Result<RepositoryPage, ProviderError> {
            Err($crate::ProviderError::unsupported("list-installation-repositories").into())
        }
    };
    (@one add_installation_repository) => {
        fn add_installation_repository(
            _: Connection,
            _: String,
            _: String,
        ) -> Result<(), ProviderError> {
            Err($crate::ProviderError::unsupported("add-installation-repository").into())
        }
    };
    (@one remove_installation_repository) => {
        fn remove_installation_repository(
            _: Connection,
            _: String,
            _: String,
        ) -> Result<(), ProviderError> {
            Err($crate::ProviderError::unsupported("remove-installation-repository").into())
        }
    };
    (@one delete_installation) => {
        fn delete_installation(_: AppCredentials, _: String) -> Result<(), ProviderError> {
            Err($crate::ProviderError::unsupported("delete-installation").into())
        }
    };
}

#[cfg(test)]
mod tests {
    /// Stand-ins shaped like wit-bindgen's output for the contract.
    #[allow(dead_code)] // Only the shapes matter here.
    mod types {
        pub struct ForbiddenDetail {
            pub message: String,
            pub missing: Vec<String>,
        }
        pub struct RetryDetail {
            pub message: String,
            pub retry_after: Option<u32>,
        }
        pub enum ProviderError {
            Unauthorized(String),
            Forbidden(ForbiddenDetail),
            NotFound(String),
            RateLimited(RetryDetail),
            InvalidInput(String),
            Unavailable(RetryDetail),
            Unsupported(String),
            Other(String),
        }
        pub struct Connection;
        pub struct RepositoryRef;
        pub struct Repository;
        pub struct RefreshRequest;
        #[derive(Debug, PartialEq)]
        pub struct OauthTokens {
            pub access_token: String,
            pub refresh_token: Option<String>,
            pub expires_at: Option<String>,
            pub scopes: Vec<String>,
        }
    }

    crate::provider_error_conversion!(self::types);
    crate::oauth_tokens_conversion!(self::types);

    use types::{
        Connection, OauthTokens, ProviderError, RefreshRequest, Repository, RepositoryRef,
    };

    trait Guest {
        fn get_repository(
            conn: Connection,
            repo: RepositoryRef,
        ) -> Result<Repository, ProviderError>;
        fn oauth_refresh_token(req: RefreshRequest) -> Result<OauthTokens, ProviderError>;
        fn delete_installation(app: String, id: String) -> Result<(), ProviderError>;
    }

    struct Plugin;
    type AppCredentials = String;

    impl Guest for Plugin {
        crate::unsupported!(get_repository, oauth_refresh_token, delete_installation);
    }

    #[test]
    fn converts_every_case() {
        let converted: ProviderError = crate::ProviderError::RateLimited {
            message: "slow down".into(),
            retry_after: Some(5),
        }
        .into();
        assert!(matches!(
            converted,
            ProviderError::RateLimited(types::RetryDetail { retry_after: Some(5), ref message }) if message == "slow down"
        ));
        let converted: ProviderError =
            crate::ProviderError::forbidden("no", vec!["admin:repo_hook".into()]).into();
        assert!(
            matches!(converted, ProviderError::Forbidden(d) if d.missing == ["admin:repo_hook"])
        );
        for error in [
            crate::ProviderError::Unauthorized(String::new()),
            crate::ProviderError::NotFound(String::new()),
            crate::ProviderError::InvalidInput(String::new()),
            crate::ProviderError::unavailable(""),
            crate::ProviderError::Other(String::new()),
        ] {
            let _: ProviderError = error.into();
        }
    }

    #[test]
    fn unsupported_defaults() {
        match Plugin::get_repository(Connection, RepositoryRef) {
            Err(ProviderError::Unsupported(message)) => {
                assert_eq!(
                    message,
                    "this provider plugin does not implement `get-repository`"
                )
            }
            _ => panic!("expected unsupported"),
        }
        assert!(matches!(
            Plugin::delete_installation(String::new(), String::new()),
            Err(ProviderError::Unsupported(_))
        ));
        assert!(matches!(
            Plugin::oauth_refresh_token(RefreshRequest),
            Err(ProviderError::Unsupported(m)) if m.ends_with("`oauth-refresh-token`")
        ));
    }

    #[test]
    fn converts_tokens() {
        let tokens = crate::oauth::Tokens {
            access_token: "a".into(),
            refresh_token: Some("r".into()),
            expires_at: Some("2026-01-01T00:00:00Z".into()),
            scopes: vec!["api".into()],
        };
        assert_eq!(
            OauthTokens::from(tokens),
            OauthTokens {
                access_token: "a".into(),
                refresh_token: Some("r".into()),
                expires_at: Some("2026-01-01T00:00:00Z".into()),
                scopes: vec!["api".into()],
            }
        );
    }
}
