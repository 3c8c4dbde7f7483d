//! Provider components: which ones are configured, how to call them, and what their
//! failures mean to API clients.
//!
//! A provider is added by configuration only: a `provider-<id>` component in `spin.toml`
//! and its id in the `providers` Spin variable. Nothing here knows a particular provider;
//! [`client::call`] works for any id that [`is_valid_id`] accepts.

pub mod client;
pub mod error;
pub mod protocol;
pub mod token_check;

pub use error::CallError;

use serde_json::{json, Value};

use crate::problem::Problem;

/// Spin variable holding the comma-separated ids of the configured providers.
pub const VARIABLE: &str = "providers";

/// Ids listed in the `providers` variable: split on commas, trimmed, lowercased, empty
/// entries and repeats dropped, order kept.
pub fn parse_ids(raw: &str) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for id in raw.split(',').map(|id| id.trim().to_ascii_lowercase()) {
        if !id.is_empty() && !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids
}

/// Whether `id` can name a component reachable as `provider-<id>.spin.internal`:
/// lowercase ASCII letters, digits and inner `-`.
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('-')
        && !id.ends_with('-')
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The API's `type` for a provider: its id in uppercase (`github` → `GITHUB`).
pub fn type_name(id: &str) -> String {
    id.to_ascii_uppercase()
}

/// The name people know a provider by (`GitHub`), for messages; other plugins' ids as
/// they are.
pub fn display_name(id: &str) -> String {
    match id {
        "github" => "GitHub".into(),
        "gitlab" => "GitLab".into(),
        "bitbucket" => "Bitbucket".into(),
        "github-app" => "GitHub App".into(),
        other => other.to_owned(),
    }
}

/// The configured id matching `wanted`, ignoring ASCII case (so `GITHUB` finds `github`).
pub fn find<'a>(ids: &'a [String], wanted: &str) -> Option<&'a str> {
    ids.iter()
        .find(|id| id.eq_ignore_ascii_case(wanted))
        .map(String::as_str)
}

/// 404 for a provider id that is not configured.
pub fn unknown(wanted: &str, ids: &[String]) -> Problem {
    let configured = if ids.is_empty() {
        "none".to_owned()
    } else {
        ids.join(", ")
    };
    Problem::new(
        404,
        "unknown-provider",
        "Unknown provider",
        format!("No provider '{wanted}' is configured; configured providers: {configured}."),
    )
}

/// The configured provider ids, read from the `providers` Spin variable.
pub fn configured() -> Result<Vec<String>, Problem> {
    spin_sdk::variables::get(VARIABLE)
        .map(|raw| parse_ids(&raw))
        .map_err(|e| {
            Problem::configuration(format!(
                "The Spin variable '{VARIABLE}' is not available to the api component: {e}."
            ))
        })
}

/// The OAuth client of `provider` from the Spin variables `<provider>_oauth_client_id`,
/// `_client_secret` and `_web_url`, as the contract's `oauth-client` JSON, for tokens
/// issued to `redirect_uri`; 501 when not configured.
pub fn oauth_client(provider: &str, redirect_uri: &str) -> Result<Value, Problem> {
    let read = |suffix: &str| {
        spin_sdk::variables::get(&format!("{provider}_oauth_{suffix}"))
            .unwrap_or_default()
            .trim()
            .to_owned()
    };
    let (id, secret) = (read("client_id"), read("client_secret"));
    if id.is_empty() || secret.is_empty() {
        return Err(Problem::new(
            501,
            "sign-in-not-configured",
            "Sign-in not configured",
            format!(
                "Sign-in with {} is not configured: set the Spin variables \
                 '{provider}_oauth_client_id' and '{provider}_oauth_client_secret'.",
                display_name(provider)
            ),
        ));
    }
    Ok(json!({
        "client_id": id,
        "client_secret": secret,
        "redirect_uri": redirect_uri,
        "web_url": read("web_url"),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_trimmed_lowercase_unique_ids_in_order() {
        assert_eq!(parse_ids("github"), vec!["github"]);
        assert_eq!(
            parse_ids(" github , GitLab,,bitbucket ,github, "),
            vec!["github", "gitlab", "bitbucket"]
        );
        assert!(parse_ids("").is_empty());
        assert!(parse_ids(" , ,").is_empty());
    }

    #[test]
    fn validates_ids_as_host_labels() {
        for id in ["github", "gitea-2", "a"] {
            assert!(is_valid_id(id), "{id}");
        }
        for id in ["", "-x", "x-", "Git", "git hub", "a.b", "a/b", "a_b"] {
            assert!(!is_valid_id(id), "{id}");
        }
    }

    #[test]
    fn finds_ids_case_insensitively() {
        let ids = parse_ids("github,gitlab");
        assert_eq!(find(&ids, "GITLAB"), Some("gitlab"));
        assert_eq!(find(&ids, "gitea"), None);
        assert_eq!(type_name("gitea-2"), "GITEA-2");
    }

    #[test]
    fn unknown_provider_names_the_configured_ones() {
        let problem = unknown("gitea", &parse_ids("github,gitlab"));
        assert_eq!(problem.status(), 404);
        assert_eq!(
            problem.detail(),
            "No provider 'gitea' is configured; configured providers: github, gitlab."
        );
        assert_eq!(
            unknown("x", &[]).detail(),
            "No provider 'x' is configured; configured providers: none."
        );
    }
}
