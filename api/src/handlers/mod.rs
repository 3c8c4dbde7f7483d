//! Request handlers, one module per resource. Each returns a [`Reply`] or a [`Problem`];
//! the entry point renders either.
//!
//! Organization routes start with [`org_access`]: the path's organization id is checked,
//! the caller authenticated, membership and role verified, before anything else.

mod admin;
mod api_tokens;
mod git_auth_providers;
mod git_tokens;
mod health;
mod members;
mod openapi;
mod organizations;
mod provider_list;
mod token_validation;

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
        Route::ListGitTokens => git_tokens::list(incoming, params),
        Route::CreateGitToken => git_tokens::create(incoming, params).await,
        Route::GetGitToken => git_tokens::get(incoming, params),
        Route::ReplaceGitToken => git_tokens::replace(incoming, params).await,
        Route::DeleteGitToken => git_tokens::delete(incoming, params),
        Route::GitTokenServices => git_tokens::associated_services(incoming, params),
        Route::ListGitAuthProviders => git_auth_providers::list(incoming, params).await,
        Route::Reencrypt => admin::reencrypt(incoming, params),
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
