//! The component's export: routes each contract call to the module that owns it.

use crate::bindings::exports::git_access::provider::provider::*;

struct GitHubProvider;

impl Guest for GitHubProvider {
    fn info() -> ProviderInfo {
        crate::provider_info::info()
    }

    fn validate_token(conn: Connection) -> Result<TokenReport, ProviderError> {
        crate::token_validation::validate_token(&conn).map_err(Into::into)
    }

    fn verify_webhook(secret: String, delivery: Delivery) -> Result<GitEvent, ProviderError> {
        crate::webhook_verify::verify_webhook(&secret, &delivery).map_err(Into::into)
    }

    fn clone_credentials(
        conn: Connection,
        repo: RepositoryRef,
    ) -> Result<CloneAccess, ProviderError> {
        crate::clone_credentials::clone_credentials(&conn, &repo).map_err(Into::into)
    }

    git_access_plugin_sdk::unsupported!(
        list_repositories,
        get_repository,
        list_branches,
        create_webhook,
        get_webhook,
        delete_webhook,
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

crate::bindings::export!(GitHubProvider with_types_in crate::bindings);
