//! How this plugin talks to the GitHub REST API: base URL and the headers every call carries.

use git_access_plugin_sdk::{api_url, HttpRequest, ProviderError};

/// API base of github.com.
pub const DEFAULT_API_URL: &str = "https://api.github.com";

/// Web base of github.com.
pub const DEFAULT_WEB_URL: &str = "https://github.com";

/// Name used in error messages.
pub const SERVICE: &str = "GitHub";

/// REST API version this plugin is written against.
const API_VERSION: &str = "2022-11-28";

/// The API base for a connection: its `api-url`, or github.com's when empty.
pub fn api_base(api_url: &str) -> Result<String, ProviderError> {
    api_url::resolve_base(api_url, DEFAULT_API_URL)
}

/// A token as it may go into a header: trimmed, and refused if it could break the header.
pub fn clean_token(token: &str) -> Result<&str, ProviderError> {
    let token = token.trim();
    if token.is_empty() {
        return Err(ProviderError::InvalidInput(
            "a GitHub token is required".to_string(),
        ));
    }
    if !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ProviderError::InvalidInput(
            "the GitHub token contains spaces or characters a token cannot have".to_string(),
        ));
    }
    Ok(token)
}

/// A GET of `path` under `base`, with GitHub's recommended headers and the token.
pub fn get(base: &str, path: &str, token: &str) -> HttpRequest {
    HttpRequest::get(api_url::join(base, path))
        .header("Accept", "application/vnd.github+json")
        .header("X-GitHub-Api-Version", API_VERSION)
        .header("User-Agent", "git-access")
        .bearer_auth(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_carry_github_headers() {
        let request = get("http://127.0.0.1:9000", "/user", "ghp_x");
        assert_eq!(request.url(), "http://127.0.0.1:9000/user");
        let headers = request.headers();
        assert_eq!(headers.get("authorization"), Some("Bearer ghp_x"));
        assert_eq!(headers.get("accept"), Some("application/vnd.github+json"));
        assert_eq!(headers.get("x-github-api-version"), Some("2022-11-28"));
        assert_eq!(headers.get("user-agent"), Some("git-access"));
    }

    #[test]
    fn tokens_are_checked() {
        assert_eq!(clean_token("  ghp_abc\n").unwrap(), "ghp_abc");
        assert!(matches!(
            clean_token(""),
            Err(ProviderError::InvalidInput(_))
        ));
        assert!(matches!(
            clean_token("ghp a"),
            Err(ProviderError::InvalidInput(_))
        ));
        assert_eq!(api_base("").unwrap(), DEFAULT_API_URL);
    }
}
