//! The component's export: routes each contract call to the module that owns it.

use git_access_plugin_sdk::WasiHttp;

use crate::api_client::GitLab;
use crate::bindings::exports::git_access::provider::provider::*;

struct GitLabProvider;

impl Guest for GitLabProvider {
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
        let gitlab = GitLab::connect(&conn)?;
        crate::repositories::list_repositories(&gitlab, &page).map_err(Into::into)
    }

    fn get_repository(conn: Connection, repo: RepositoryRef) -> Result<Repository, ProviderError> {
        let gitlab = GitLab::connect(&conn)?;
        crate::repositories::get_repository(&gitlab, &repo).map_err(Into::into)
    }

    fn list_branches(
        conn: Connection,
        repo: RepositoryRef,
        page: PageRequest,
    ) -> Result<BranchPage, ProviderError> {
        let gitlab = GitLab::connect(&conn)?;
        crate::repositories::list_branches(&gitlab, &repo, &page).map_err(Into::into)
    }

    fn create_webhook(
        conn: Connection,
        repo: RepositoryRef,
        spec: WebhookSpec,
    ) -> Result<Webhook, ProviderError> {
        let gitlab = GitLab::connect(&conn)?;
        crate::webhooks::create_webhook(&gitlab, &repo, &spec).map_err(Into::into)
    }

    fn get_webhook(
        conn: Connection,
        repo: RepositoryRef,
        id: String,
    ) -> Result<Webhook, ProviderError> {
        let gitlab = GitLab::connect(&conn)?;
        crate::webhooks::get_webhook(&gitlab, &repo, &id).map_err(Into::into)
    }

    fn delete_webhook(
        conn: Connection,
        repo: RepositoryRef,
        id: String,
    ) -> Result<(), ProviderError> {
        let gitlab = GitLab::connect(&conn)?;
        crate::webhooks::delete_webhook(&gitlab, &repo, &id).map_err(Into::into)
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

    // GitLab has no app installations in the GitHub App sense.
    git_access_plugin_sdk::unsupported!(
        get_installation,
        create_installation_token,
        list_installation_repositories,
        add_installation_repository,
        remove_installation_repository,
        delete_installation,
    );
}

crate::bindings::export!(GitLabProvider with_types_in crate::bindings);
