//! Operator configuration, from Spin variables.

/// The optional `api_url` variable: the API base to use when a call leaves it empty
/// (a self-managed server, or a mock in tests). Absent or empty means none.
pub fn api_url() -> Option<String> {
    spin_sdk::variables::get("api_url")
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}
