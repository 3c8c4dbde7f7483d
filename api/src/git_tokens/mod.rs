//! Organization Git tokens: credentials for a Git provider that belong to the
//! organization, not to a person.
//!
//! - [`request`]: the `GitTokenRequest` body of create and replace;
//! - [`record`]: what is stored (the value sealed with AES-256-GCM) and the
//!   `GitTokenResponse` shape, which never includes the value;
//! - [`store`]: create, replace, delete, list, re-encrypt, and the credentials
//!   applications use (always the current value, so a replaced value applies at once);
//! - [`usage`]: which services use a token; delete is refused while any does.

pub mod record;
pub mod request;
pub mod store;
pub mod usage;

/// Spin variable: how many days before expiry a token counts as "expires soon".
pub const EXPIRY_WINDOW_VARIABLE: &str = "token_expiry_warning_days";

/// Default of [`EXPIRY_WINDOW_VARIABLE`].
pub const DEFAULT_EXPIRY_WINDOW_DAYS: i64 = 14;

/// The "expires soon" window in seconds, from the Spin variable (default 14 days).
pub fn expiry_window_seconds() -> i64 {
    let days = spin_sdk::variables::get(EXPIRY_WINDOW_VARIABLE)
        .ok()
        .and_then(|v| v.trim().parse::<i64>().ok())
        .filter(|days| (0..=3650).contains(days))
        .unwrap_or(DEFAULT_EXPIRY_WINDOW_DAYS);
    days * 86_400
}
