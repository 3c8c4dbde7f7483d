//! Request handlers, one module per resource. Each returns a [`Reply`] or a [`Problem`];
//! the entry point renders either.
//!
//! Organization routes start with [`org_access`]: the path's organization id is checked,
//! the caller authenticated, membership and role verified, before anything else.

mod admin;
mod api_tokens;
mod applications;
mod git_auth_providers;
mod git_tokens;
mod github_app;
mod health;
mod members;
mod openapi;
mod organizations;
mod provider_list;
mod repositories;
mod sign_in;
mod token_validation;
mod webhooks;

use crate::ids;
use crate::problem::Problem;
use crate::reply::Reply;
use crate::router::{Params, Route};
use crate::state::WasiStore;
use crate::tenancy::{auth, Action, Caller};

/// What handlers see of a request. Not `Debug`: it holds the caller's credential.
#[derive(Clone, PartialEq, Eq)]
pub struct Incoming {
    /// The `Authorization` header, if any.
    pub authorization: Option<String>,
    /// The body.
    pub body: Vec<u8>,
    /// The query string, without `?` (empty when none).
    pub query: String,
    /// Every header, names lowercase (the webhook receiver hands them to the provider).
    pub headers: Vec<(String, String)>,
    /// The absolute URL the request came to (`spin-full-url`), for the public base URL.
    pub full_url: String,
}

/// Runs the handler of `route`.
pub async fn dispatch(
    route: Route,
    params: &Params,
    incoming: &Incoming,
) -> Result<Reply, Problem> {
    let body = incoming.body.as_slice();
    match route {
        Route::Healthz => health::check(),
        Route::ListProviders => provider_list::list().await,
        Route::ValidateToken => {
            token_validation::validate(params.get("provider").unwrap_or_default(), body).await
        }
        Route::OpenApi => Ok(openapi::document()),
        Route::CreateOrganization => organizations::create(incoming),
        Route::GetOrganization => organizations::get(incoming, params),
        Route::ListMembers => members::list(incoming, params),
        Route::CreateMember => members::create(incoming, params),
        Route::GetMember => members::get(incoming, params),
        Route::ReplaceMember => members::replace(incoming, params),
        Route::DeleteMember => members::delete(incoming, params),
        Route::ListApiTokens => api_tokens::list(incoming, params),
        Route::CreateApiToken => api_tokens::create(incoming, params),
        Route::DeleteApiToken => api_tokens::delete(incoming, params),
        Route::ListGitTokens => git_tokens::list(incoming, params, &incoming.query),
        Route::ListApplications => applications::list(incoming, params),
        Route::CreateApplication => applications::create(incoming, params).await,
        Route::GetApplication => applications::get(incoming, params),
        Route::ReplaceApplication => applications::replace(incoming, params).await,
        Route::DeleteApplication => applications::delete(incoming, params).await,
        Route::ApplicationEvents => applications::events(incoming, params, &incoming.query),
        Route::CloneCredentials => applications::clone_credentials(incoming, params).await,
        Route::ApplicationAudit => applications::audit_trail(incoming, params),
        Route::ReceiveWebhook => webhooks::receive(incoming, params).await,
        Route::WebhookStatus => webhooks::status(incoming, params).await,
        Route::WebhookSync => webhooks::sync(incoming, params).await,
        Route::ListRepositories => repositories::repositories(incoming, params).await,
        Route::ListBranches => repositories::branches(incoming, params).await,
        Route::SignInStart => sign_in::login(incoming, params).await,
        Route::SignInCallback => sign_in::callback(incoming, params).await,
        Route::CurrentUser => sign_in::me(incoming),
        Route::UnlinkGitAccount => sign_in::unlink(incoming, params),
        Route::CreateGitToken => git_tokens::create(incoming, params).await,
        Route::GetGitToken => git_tokens::get(incoming, params),
        Route::ReplaceGitToken => git_tokens::replace(incoming, params).await,
        Route::DeleteGitToken => git_tokens::delete(incoming, params),
        Route::GitTokenServices => git_tokens::associated_services(incoming, params),
        Route::ListGitAuthProviders => git_auth_providers::list(incoming, params).await,
        Route::Reencrypt => admin::reencrypt(incoming, params),
        Route::GitHubInstallLink => github_app::install_link(incoming, params),
        Route::GitHubConnect => github_app::connect_request(incoming, params).await,
        Route::GitHubAppCallback => github_app::callback(incoming).await,
        Route::GitHubInstallation => github_app::installation(incoming, params).await,
        Route::GitHubInstallationRepositories => github_app::repositories(incoming, params).await,
        Route::GitHubAddRepository => github_app::add_repository(incoming, params).await,
        Route::GitHubRemoveRepository => github_app::remove_repository(incoming, params).await,
        Route::GitHubDisconnect => github_app::disconnect(incoming, params),
        Route::GitHubUninstall => github_app::uninstall(incoming, params).await,
        Route::GitHubAppWebhook => github_app::app_webhook(incoming).await,
    }
}

/// Opens the store and checks that the caller belongs to the path's organization with a
/// role that allows `action`.
fn org_access(
    incoming: &Incoming,
    params: &Params,
    action: Action,
) -> Result<(WasiStore, Caller), Problem> {
    let org = ids::path_id(params, "organizationId")?;
    let kv = WasiStore::open()?;
    let caller = auth::authenticate(&kv, incoming.authorization.as_deref(), &org)?;
    caller.role.allow(action)?;
    Ok((kv, caller))
}

/// The percent-decoded value of query parameter `name` (`+` is a space); the first one.
pub fn query_param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (decode(key) == name).then(|| decode(value))
    })
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match u8::from_str_radix(text.get(i + 1..i + 3).unwrap_or("zz"), 16) {
                    Ok(byte) => {
                        out.push(byte);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_query_parameters() {
        let query = "limit=5&cursor=a%2Fb&name=o%2Fr+x&flag";
        assert_eq!(query_param(query, "limit").as_deref(), Some("5"));
        assert_eq!(query_param(query, "cursor").as_deref(), Some("a/b"));
        assert_eq!(query_param(query, "name").as_deref(), Some("o/r x"));
        assert_eq!(query_param(query, "flag").as_deref(), Some(""));
        assert_eq!(query_param(query, "nope"), None);
        assert_eq!(query_param("x=%zz%4", "x").as_deref(), Some("%zz%4"));
    }
}
