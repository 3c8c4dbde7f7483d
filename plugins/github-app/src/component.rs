//! The component's export: the installation calls and `list-repositories` go to this
//! plugin's modules; repositories, branches, webhooks, deliveries, clone credentials and
//! OAuth are the GitHub plugin's, called as they are.
//!
//! The export exists in the wasm component only (natively a shared library cannot carry
//! its names); the `Guest` implementation is type-checked everywhere.
#![cfg_attr(not(target_family = "wasm"), allow(dead_code))]

use git_access_github::api_client::GitHub;
use git_access_github::bindings::exports::git_access::provider::provider::*;
use git_access_plugin_sdk::{timestamp, WasiHttp};

use crate::app_api::App;

struct GitHubAppProvider;

/// The app's API over `wasi:http`, with a token issued now.
fn app_api(app: &AppCredentials) -> Result<App<'static>, ProviderError> {
    let now = timestamp::now_unix().ok_or_else(|| {
        git_access_plugin_sdk::ProviderError::Other(
            "the component has no clock to date the GitHub App's token".to_string(),
        )
    })?;
    App::connect(app, &WasiHttp, now).map_err(Into::into)
}

impl Guest for GitHubAppProvider {
    fn info() -> ProviderInfo {
        crate::provider_info::info()
    }

    fn validate_token(_: Connection) -> Result<TokenReport, ProviderError> {
        Err(ProviderError::Unsupported(
            "GitHub App installations are connected through the GitHub App routes (the app's \
             credentials and an installation id), not as Git tokens; use the `github` \
             provider to check a token"
                .to_string(),
        ))
    }

    fn list_repositories(
        conn: Connection,
        page: PageRequest,
    ) -> Result<RepositoryPage, ProviderError> {
        let github = GitHub::connect(&conn)?;
        crate::installation_repositories::list_repositories(
            &github,
            conn.workspace.as_deref(),
            &page,
        )
        .map_err(Into::into)
    }

    fn get_repository(conn: Connection, repo: RepositoryRef) -> Result<Repository, ProviderError> {
        let github = GitHub::connect(&conn)?;
        git_access_github::repositories::get_repository(&github, &repo).map_err(Into::into)
    }

    fn list_branches(
        conn: Connection,
        repo: RepositoryRef,
        page: PageRequest,
    ) -> Result<BranchPage, ProviderError> {
        let github = GitHub::connect(&conn)?;
        git_access_github::repositories::list_branches(&github, &repo, &page).map_err(Into::into)
    }

    fn create_webhook(
        conn: Connection,
        repo: RepositoryRef,
        spec: WebhookSpec,
    ) -> Result<Webhook, ProviderError> {
        let github = GitHub::connect(&conn)?;
        git_access_github::webhooks::create_webhook(&github, &repo, &spec).map_err(Into::into)
    }

    fn get_webhook(
        conn: Connection,
        repo: RepositoryRef,
        id: String,
    ) -> Result<Webhook, ProviderError> {
        let github = GitHub::connect(&conn)?;
        git_access_github::webhooks::get_webhook(&github, &repo, &id).map_err(Into::into)
    }

    fn delete_webhook(
        conn: Connection,
        repo: RepositoryRef,
        id: String,
    ) -> Result<(), ProviderError> {
        let github = GitHub::connect(&conn)?;
        git_access_github::webhooks::delete_webhook(&github, &repo, &id).map_err(Into::into)
    }

    fn verify_webhook(secret: String, delivery: Delivery) -> Result<GitEvent, ProviderError> {
        git_access_github::webhook_verify::verify_webhook(&secret, &delivery).map_err(Into::into)
    }

    fn clone_credentials(
        conn: Connection,
        repo: RepositoryRef,
    ) -> Result<CloneAccess, ProviderError> {
        // The installation token as password, user name `x-access-token`.
        git_access_github::clone_credentials::clone_credentials(&conn, &repo).map_err(Into::into)
    }

    fn oauth_authorize_url(req: AuthorizeRequest) -> Result<String, ProviderError> {
        git_access_github::oauth::authorize_url(&req).map_err(Into::into)
    }

    fn oauth_exchange_code(req: ExchangeRequest) -> Result<OauthTokens, ProviderError> {
        git_access_github::oauth::exchange_code(&WasiHttp, &req).map_err(Into::into)
    }

    fn oauth_refresh_token(req: RefreshRequest) -> Result<OauthTokens, ProviderError> {
        // Expiring user tokens of the app's user authorization.
        git_access_github::oauth::refresh_token(&WasiHttp, &req).map_err(Into::into)
    }

    fn get_installation(
        app: AppCredentials,
        installation_id: String,
    ) -> Result<Installation, ProviderError> {
        crate::installations::get_installation(&app_api(&app)?, &installation_id)
            .map_err(Into::into)
    }

    fn create_installation_token(
        app: AppCredentials,
        installation_id: String,
    ) -> Result<OauthTokens, ProviderError> {
        crate::installations::create_installation_token(&app_api(&app)?, &installation_id)
            .map_err(Into::into)
    }

    fn list_installation_repositories(
        app: AppCredentials,
        installation_id: String,
        page: PageRequest,
    ) -> Result<RepositoryPage, ProviderError> {
        crate::installation_repositories::list_installation_repositories(
            &app_api(&app)?,
            &installation_id,
            &page,
        )
        .map_err(Into::into)
    }

    fn add_installation_repository(
        conn: Connection,
        installation_id: String,
        repository_id: String,
    ) -> Result<(), ProviderError> {
        let github = GitHub::connect(&conn)?;
        crate::installations::add_installation_repository(&github, &installation_id, &repository_id)
            .map_err(Into::into)
    }

    fn remove_installation_repository(
        conn: Connection,
        installation_id: String,
        repository_id: String,
    ) -> Result<(), ProviderError> {
        let github = GitHub::connect(&conn)?;
        crate::installations::remove_installation_repository(
            &github,
            &installation_id,
            &repository_id,
        )
        .map_err(Into::into)
    }

    fn delete_installation(
        app: AppCredentials,
        installation_id: String,
    ) -> Result<(), ProviderError> {
        crate::installations::delete_installation(&app_api(&app)?, &installation_id)
            .map_err(Into::into)
    }
}

#[cfg(target_family = "wasm")]
git_access_github::bindings::export!(GitHubAppProvider with_types_in git_access_github::bindings);

#[cfg(test)]
mod tests {
    use super::*;
    use git_access_github::bindings::types::OauthClient;

    #[test]
    fn refresh_is_the_github_plugins() {
        // Checked before anything is sent, so no transport is needed: the call reaches
        // the GitHub plugin's refresh rather than answering `unsupported`.
        let answer = <GitHubAppProvider as Guest>::oauth_refresh_token(RefreshRequest {
            client: OauthClient {
                client_id: "Iv1.abc".into(),
                client_secret: "shh".into(),
                redirect_uri: "https://ga.example.com/oauth/github/callback".into(),
                web_url: String::new(),
            },
            refresh_token: " ".into(),
        });
        assert!(matches!(
            answer,
            Err(ProviderError::InvalidInput(m)) if m == "the OAuth refresh token is required"
        ));
    }
}
