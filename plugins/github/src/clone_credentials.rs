//! `clone-credentials`: an HTTPS clone URL for a repository, with the token as password.
//!
//! GitHub accepts any user name with a token; `x-access-token` is the conventional one and
//! also works for App installation tokens.

use git_access_plugin_sdk::{api_url, ProviderError};

use crate::api_client::{self, checked_name, web_base};
use crate::bindings::types::{CloneAccess, Connection, RepositoryRef};

const USERNAME: &str = "x-access-token";

/// Clone URL and credentials for `repo`; without a token, the anonymous URL.
pub fn clone_credentials(
    conn: &Connection,
    repo: &RepositoryRef,
) -> Result<CloneAccess, ProviderError> {
    let web = web_base(&api_client::api_base(&conn.api_url)?)?;
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
    let token = api_client::clean_token(token)?;
    Ok(CloneAccess {
        url_with_credentials: api_url::clone_url_with_credentials(
            &web,
            &format!("{owner}/{name}"),
            USERNAME,
            token,
        ),
        url,
        username: USERNAME.to_string(),
        password: token.to_string(),
        expires_at: None,
    })
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
