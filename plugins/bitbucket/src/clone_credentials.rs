//! `clone-credentials`: an HTTPS clone URL for a repository, with the token as password.
//!
//! Bitbucket Cloud takes access tokens and OAuth tokens as the password of the user
//! `x-token-auth`: `https://x-token-auth:<token>@bitbucket.org/<workspace>/<slug>.git`.
//! Webhook payloads carry no clone URL; this is where git-access gets one.

use git_access_plugin_sdk::{api_url, ProviderError};

use crate::api_client::{bases, clean_token, full_name};
use crate::bindings::types::{CloneAccess, Connection, RepositoryRef};

const USERNAME: &str = "x-token-auth";

/// Clone URL and credentials for `repo`; without a token, the anonymous URL.
pub fn clone_credentials(
    conn: &Connection,
    repo: &RepositoryRef,
) -> Result<CloneAccess, ProviderError> {
    let (_, web) = bases(&conn.api_url)?;
    let path = full_name(repo)?;
    let url = format!("{web}/{path}.git");
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
    let token = clean_token(token)?;
    Ok(CloneAccess {
        url_with_credentials: api_url::clone_url_with_credentials(&web, &path, USERNAME, token),
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
            workspace: Some("acme".to_string()),
        }
    }

    fn repo(owner: &str, name: &str) -> RepositoryRef {
        RepositoryRef {
            owner: owner.to_string(),
            name: name.to_string(),
        }
    }

    #[test]
    fn bitbucket_cloud() {
        let creds = clone_credentials(&conn("", "ATCTT3x=ab/c"), &repo("acme", "api")).unwrap();
        assert_eq!(creds.url, "https://bitbucket.org/acme/api.git");
        assert_eq!(
            creds.url_with_credentials,
            "https://x-token-auth:ATCTT3x%3Dab%2Fc@bitbucket.org/acme/api.git"
        );
        assert_eq!(creds.username, "x-token-auth");
        assert_eq!(creds.password, "ATCTT3x=ab/c");
    }

    #[test]
    fn mocks_anonymous_and_invalid() {
        let creds = clone_credentials(
            &conn("http://127.0.0.1:9000/2.0", "t"),
            &repo("acme", "api.git"),
        )
        .unwrap();
        assert_eq!(
            creds.url_with_credentials,
            "http://x-token-auth:t@127.0.0.1:9000/acme/api.git"
        );
        let anonymous = clone_credentials(&conn("", ""), &repo("acme", "api")).unwrap();
        assert_eq!(anonymous.url_with_credentials, anonymous.url);
        for (owner, name) in [("a/b", "c"), ("a", ""), ("", "c"), ("a", "c?d")] {
            assert!(
                matches!(
                    clone_credentials(&conn("", "t"), &repo(owner, name)),
                    Err(ProviderError::InvalidInput(_))
                ),
                "{owner}/{name}"
            );
        }
    }
}
