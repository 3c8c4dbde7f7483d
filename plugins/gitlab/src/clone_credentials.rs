//! `clone-credentials`: an HTTPS clone URL for a project, with the token as password.
//!
//! GitLab takes `oauth2` as the user name for OAuth tokens and any non-empty user name for
//! personal, project and group access tokens, so `oauth2` works for every kind.

use git_access_plugin_sdk::{api_url, ProviderError};

use crate::api_client::{bases, clean_token, full_path};
use crate::bindings::types::{CloneAccess, Connection, RepositoryRef};

const USERNAME: &str = "oauth2";

/// Clone URL and credentials for `repo`; without a token, the anonymous URL.
pub fn clone_credentials(
    conn: &Connection,
    repo: &RepositoryRef,
) -> Result<CloneAccess, ProviderError> {
    let (_, web) = bases(&conn.api_url)?;
    let path = full_path(repo)?;
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
    fn gitlab_com_with_subgroups() {
        let creds =
            clone_credentials(&conn("", "glpat-abc"), &repo("acme/platform", "api")).unwrap();
        assert_eq!(creds.url, "https://gitlab.com/acme/platform/api.git");
        assert_eq!(
            creds.url_with_credentials,
            "https://oauth2:glpat-abc@gitlab.com/acme/platform/api.git"
        );
        assert_eq!(creds.username, "oauth2");
        assert_eq!(creds.password, "glpat-abc");
    }

    #[test]
    fn self_managed_instances() {
        let creds = clone_credentials(
            &conn("https://git.example.com/gitlab/api/v4", "t+k"),
            &repo("ops", "site.git"),
        )
        .unwrap();
        assert_eq!(creds.url, "https://git.example.com/gitlab/ops/site.git");
        assert_eq!(
            creds.url_with_credentials,
            "https://oauth2:t%2Bk@git.example.com/gitlab/ops/site.git"
        );
    }

    #[test]
    fn anonymous_and_invalid() {
        let creds = clone_credentials(&conn("", ""), &repo("o", "r")).unwrap();
        assert_eq!(creds.url_with_credentials, creds.url);
        assert!(creds.password.is_empty());
        for (owner, name) in [("o/../x", "r"), ("o", ""), ("", "r"), ("o", "r?x")] {
            assert!(
                matches!(
                    clone_credentials(&conn("", "glpat-x"), &repo(owner, name)),
                    Err(ProviderError::InvalidInput(_))
                ),
                "{owner}/{name}"
            );
        }
    }
}
