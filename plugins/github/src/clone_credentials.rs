//! `clone-credentials`: an HTTPS clone URL for a repository, with the token as password.
//!
//! GitHub accepts any user name with a token; `x-access-token` is the conventional one and
//! also works for App installation tokens.

use git_access_plugin_sdk::{api_url::HttpUrl, ProviderError};

use crate::bindings::types::{CloneAccess, Connection, RepositoryRef};
use crate::github_api;

const USERNAME: &str = "x-access-token";

/// Clone URL and credentials for `repo`; without a token, the anonymous URL.
pub fn clone_credentials(
    conn: &Connection,
    repo: &RepositoryRef,
) -> Result<CloneAccess, ProviderError> {
    let web = web_base(&github_api::api_base(&conn.api_url)?)?;
    let owner = checked_name("owner", &repo.owner)?;
    let name = checked_name(
        "repository name",
        repo.name.strip_suffix(".git").unwrap_or(&repo.name),
    )?;
    let url = format!("{web}/{owner}/{name}.git");
    let token = conn.token.trim();
    if token.is_empty() {
        return Ok(CloneAccess {
            url: url.clone(),
            username: String::new(),
            password: String::new(),
            url_with_credentials: url,
            expires_at: None,
        });
    }
    let token = github_api::clean_token(token)?;
    let (scheme, rest) = web.split_once("://").unwrap_or(("https", web.as_str()));
    Ok(CloneAccess {
        url_with_credentials: format!(
            "{scheme}://{USERNAME}:{}@{rest}/{owner}/{name}.git",
            userinfo_encode(token)
        ),
        url,
        username: USERNAME.to_string(),
        password: token.to_string(),
        expires_at: None,
    })
}

/// The web (and Git) base URL that belongs to an API base:
/// `https://api.github.com` → `https://github.com`,
/// `https://HOST/api/v3` → `https://HOST` (GitHub Enterprise Server),
/// `https://api.SUB.ghe.com` → `https://SUB.ghe.com` (GitHub Enterprise Cloud with data
/// residency); anything else (a mock server) is used as it is.
pub fn web_base(api_base: &str) -> Result<String, ProviderError> {
    let url = HttpUrl::parse(api_base)?;
    let host = url.host();
    if host == "api.github.com" {
        return Ok(format!("{}://github.com", url.scheme));
    }
    if let Some(prefix) = url.path.strip_suffix("/api/v3") {
        return Ok(format!("{}{prefix}", url.origin()));
    }
    if let (Some(sub), "") = (host.strip_prefix("api."), url.path.as_str()) {
        if sub.ends_with(".ghe.com") {
            let port = &url.authority[host.len()..];
            return Ok(format!("{}://{sub}{port}", url.scheme));
        }
    }
    Ok(url.to_string())
}

/// Owners and repository names are letters, digits, `-`, `_` and `.`; anything else could
/// change the URL's meaning.
fn checked_name<'a>(what: &str, value: &'a str) -> Result<&'a str, ProviderError> {
    let ok = !value.is_empty()
        && value != "."
        && value != ".."
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    if ok {
        Ok(value)
    } else {
        Err(ProviderError::InvalidInput(format!(
            "invalid GitHub {what} `{value}`: use letters, digits, `-`, `_` and `.`"
        )))
    }
}

/// Percent-encodes a password for the user-info part of a URL.
fn userinfo_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn(api_url: &str, token: &str) -> Connection {
        Connection {
            api_url: api_url.to_string(),
            token: token.to_string(),
            workspace: None,
        }
    }

    fn repo(owner: &str, name: &str) -> RepositoryRef {
        RepositoryRef {
            owner: owner.to_string(),
            name: name.to_string(),
        }
    }

    #[test]
    fn github_com() {
        let creds =
            clone_credentials(&conn("", "ghp_abc"), &repo("octo-org", "hello.world")).unwrap();
        assert_eq!(creds.url, "https://github.com/octo-org/hello.world.git");
        assert_eq!(
            creds.url_with_credentials,
            "https://x-access-token:ghp_abc@github.com/octo-org/hello.world.git"
        );
        assert_eq!(creds.username, "x-access-token");
        assert_eq!(creds.password, "ghp_abc");
        assert_eq!(creds.expires_at, None);
    }

    #[test]
    fn hosts_from_api_urls() {
        let cases = [
            ("https://api.github.com", "https://github.com"),
            ("https://api.github.com/", "https://github.com"),
            ("https://ghe.example.com/api/v3", "https://ghe.example.com"),
            (
                "https://ghe.example.com:8443/api/v3/",
                "https://ghe.example.com:8443",
            ),
            ("https://api.acme.ghe.com", "https://acme.ghe.com"),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ];
        for (api, web) in cases {
            assert_eq!(web_base(api).unwrap(), web, "{api}");
        }
        let creds = clone_credentials(&conn("http://127.0.0.1:8080", "ghp_x"), &repo("o", "r.git"))
            .unwrap();
        assert_eq!(creds.url, "http://127.0.0.1:8080/o/r.git");
        assert_eq!(
            creds.url_with_credentials,
            "http://x-access-token:ghp_x@127.0.0.1:8080/o/r.git"
        );
    }

    #[test]
    fn anonymous_and_invalid() {
        let creds = clone_credentials(&conn("", ""), &repo("o", "r")).unwrap();
        assert_eq!(creds.url_with_credentials, creds.url);
        assert!(creds.password.is_empty());
        for (owner, name) in [
            ("o/x", "r"),
            ("o", ""),
            ("o", ".."),
            ("o", "r?x"),
            ("", "r"),
        ] {
            assert!(
                matches!(
                    clone_credentials(&conn("", "ghp_x"), &repo(owner, name)),
                    Err(ProviderError::InvalidInput(_))
                ),
                "{owner}/{name}"
            );
        }
        assert!(matches!(
            clone_credentials(&conn("github.com", "ghp_x"), &repo("o", "r")),
            Err(ProviderError::InvalidInput(_))
        ));
    }
}
