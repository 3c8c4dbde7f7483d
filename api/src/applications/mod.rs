//! Applications: a repository (and branch, root path) at a Git provider, reached with an
//! organization Git token or anonymously for public repositories, with a webhook that
//! turns the provider's deliveries into deployment events.
//!
//! - [`request`]: the `ApplicationRequest` body;
//! - [`record`]: what is stored (webhook secret sealed) and the response shape, with
//!   `has_access` computed from the token at read time;
//! - [`store`]: create, list, replace, delete, and the `app:<id>` look-up the public
//!   webhook receiver and `/service/{id}` routes use;
//! - [`feed`]: the per-application event feed, deduplicated by delivery id;
//! - [`audit`]: who obtained clone credentials, when, with which account;
//! - [`git_calls`]: the provider calls applications make, with the current token value.

pub mod audit;
pub mod feed;
pub mod git_calls;
pub mod record;
pub mod request;
pub mod store;
