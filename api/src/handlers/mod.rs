//! Request handlers, one module per resource. Each returns a [`Reply`] or a [`Problem`];
//! the entry point renders either.

mod health;
mod provider_list;
mod token_validation;

use crate::problem::Problem;
use crate::reply::Reply;
use crate::router::{Params, Route};

/// Runs the handler of `route`.
pub async fn dispatch(route: Route, params: &Params, body: &[u8]) -> Result<Reply, Problem> {
    match route {
        Route::Healthz => health::check(),
        Route::ListProviders => provider_list::list().await,
        Route::ValidateToken => {
            token_validation::validate(params.get("provider").unwrap_or_default(), body).await
        }
    }
}
