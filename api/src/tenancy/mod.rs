//! Who may do what: organizations, their members with roles, API keys, and the check
//! every organization route starts with ([`auth`]).
//!
//! A member is an organization's principal with one [`role::Role`]; its credentials are
//! API keys (`Authorization: Token <key>`), or a signed-in user's session
//! (`Authorization: Bearer <session>`, see [`users`]). Roles live in the
//! organization's member index (`org:<org>:members`, member id → role), so the "at least
//! one owner" rule is checked inside the compare-and-swap that changes a role, and
//! authentication reads one small key to learn the caller's role.

pub mod api_keys;
pub mod auth;
pub mod members;
pub mod organizations;
pub mod renewal;
pub mod role;
pub mod users;

pub use auth::Caller;
pub use role::{Action, Role};

use crate::problem::Problem;

/// 404 for an organization that does not exist or that the caller does not belong to
/// (the two are indistinguishable on purpose).
pub fn organization_not_found(id: &str) -> Problem {
    Problem::new(
        404,
        "not-found",
        "Not found",
        format!("Organization '{id}' was not found."),
    )
}
