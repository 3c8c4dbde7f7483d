//! The component's export: routes each contract call to the module that owns it.
//!
//! The export exists in the wasm component only: natively (unit tests) a shared library
//! cannot carry export names such as `git-access:provider/provider@0.2.0#info`, and the
//! `Guest` implementation is still type-checked.

use git_access_plugin_sdk::WasiHttp;

use crate::api_client::GitHub;
use crate::bindings::exports::git_access::provider::provider::*;

#[cfg_attr(not(target_family = "wasm"), allow(dead_code))]
struct GitHubProvider;

impl Guest for GitHubProvider {
    fn info() -> ProviderInfo {
        crate::provider_info::info()
    }

    fn validate_token(conn: Connection) -> Result<TokenReport, ProviderError> {
        crate::token_validation::validate_token(&conn).map_err(Into::into)
    }

    fn list_repositories(
        conn: Connection,
        page: PageRequest,
    ) -> Result<RepositoryPage, ProviderError> {
        let github = GitHub::connect(&conn)?;
        crate::repositories::list_repositories(&github, &page).map_err(Into::into)
    }

    fn get_repository(conn: Connection, repo: RepositoryRef) -> Result<Repository, ProviderError> {
        let github = GitHub::connect(&conn)?;
        crate::repositories::get_repository(&github, &repo).map_err(Into::into)
    }

    fn list_branches(
        conn: Connection,
        repo: RepositoryRef,
        page: PageRequest,
    ) -> Result<BranchPage, ProviderError> {
        let github = GitHub::connect(&conn)?;
        crate::repositories::list_branches(&github, &repo, &page).map_err(Into::into)
    }

    fn create_webhook(
        conn: Connection,
        repo: RepositoryRef,
        spec: WebhookSpec,
    ) -> Result<Webhook, ProviderError> {
        let github = GitHub::connect(&conn)?;
        crate::webhooks::create_webhook(&github, &repo, &spec).map_err(Into::into)
    }

    fn get_webhook(
        conn: Connection,
        repo: RepositoryRef,
        id: String,
    ) -> Result<Webhook, ProviderError> {
        let github = GitHub::connect(&conn)?;
        crate::webhooks::get_webhook(&github, &repo, &id).map_err(Into::into)
    }

    fn delete_webhook(
        conn: Connection,
        repo: RepositoryRef,
        id: String,
    ) -> Result<(), ProviderError> {
        let github = GitHub::connect(&conn)?;
        crate::webhooks::delete_webhook(&github, &repo, &id).map_err(Into::into)
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

    fn oauth_authorize_url(req: AuthorizeRequest) -> Result<String, ProviderError> {
        crate::oauth::authorize_url(&req).map_err(Into::into)
    }

    fn oauth_exchange_code(req: ExchangeRequest) -> Result<OauthTokens, ProviderError> {
        crate::oauth::exchange_code(&WasiHttp, &req).map_err(Into::into)
    }

    fn oauth_refresh_token(req: RefreshRequest) -> Result<OauthTokens, ProviderError> {
        crate::oauth::refresh_token(&WasiHttp, &req).map_err(Into::into)
    }

    // GitHub App installations belong to the separate `github-app` plugin.
    git_access_plugin_sdk::unsupported!(
        get_installation,
        create_installation_token,
        list_installation_repositories,
        add_installation_repository,
        remove_installation_repository,
        delete_installation,
    );
}

#[cfg(target_family = "wasm")]
crate::bindings::export!(GitHubProvider with_types_in crate::bindings);
