//! The repositories of an installation: `list-installation-repositories` as the app (it
//! mints an installation token, then reads `GET /installation/repositories`), and
//! `list-repositories` with a connection, whose token is either an installation token or,
//! when `workspace` names an installation, a user's token
//! (`GET /user/installations/{workspace}/repositories`).
//!
//! Both answers are `{total_count, repositories}` pages with `Link` headers; the repository
//! mapping, search and cursors are the GitHub plugin's.

use git_access_github::api_client::GitHub;
use git_access_github::bindings::types::{PageRequest, RepositoryPage};
use git_access_github::repositories::{list_repositories_from, RepositoryList, INSTALLATION_REPOS};
use git_access_plugin_sdk::{api_url, ProviderError};

use crate::app_api::App;
use crate::installations::create_installation_token;

/// One page of what the installation may access, read with a fresh installation token.
pub fn list_installation_repositories(
    app: &App,
    installation_id: &str,
    page: &PageRequest,
) -> Result<RepositoryPage, ProviderError> {
    let token = create_installation_token(app, installation_id)?.access_token;
    let github = GitHub::new(app.base(), &token, app.transport());
    list_repositories_from(
        &github,
        RepositoryList::Installation(INSTALLATION_REPOS),
        page,
    )
}

/// One page of the repositories of the connection's installation: `workspace` is the
/// installation id and the token a user's, or there is no workspace and the token is the
/// installation's own.
pub fn list_repositories(
    github: &GitHub,
    workspace: Option<&str>,
    page: &PageRequest,
) -> Result<RepositoryPage, ProviderError> {
    let Some(installation) = workspace.map(str::trim).filter(|w| !w.is_empty()) else {
        return list_repositories_from(
            github,
            RepositoryList::Installation(INSTALLATION_REPOS),
            page,
        );
    };
    // Sent as given (encoded): GitHub tells a rejected token from an installation this user
    // cannot see, which is what the caller needs to hear first.
    let path = format!(
        "/user/installations/{}/repositories",
        api_url::encode_path_segment(installation)
    );
    list_repositories_from(github, RepositoryList::Installation(&path), page).map_err(|error| {
        match error {
            ProviderError::NotFound(message) => ProviderError::NotFound(format!(
                "the user cannot access GitHub App installation {installation}, or it does \
                 not exist: {message}"
            )),
            error => error,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{app_credentials, assert_app_token, assert_token, NOW};
    use git_access_plugin_sdk::fake_transport::FakeTransport;
    use serde_json::json;

    fn repo_json(i: u32) -> serde_json::Value {
        json!({
            "id": 1000 + i,
            "name": format!("repo-{i}"),
            "full_name": format!("octo-org/repo-{i}"),
            "owner": {"login": "octo-org"},
            "html_url": format!("https://github.com/octo-org/repo-{i}"),
            "clone_url": format!("https://github.com/octo-org/repo-{i}.git"),
            "default_branch": "main",
            "private": true,
            "visibility": "private",
            "pushed_at": "2026-01-02T03:04:05Z"
        })
    }

    fn repositories(count: u32) -> String {
        json!({"total_count": count, "repositories": (0..count).map(repo_json).collect::<Vec<_>>()})
            .to_string()
    }

    fn page(cursor: Option<&str>, per_page: u32, search: Option<&str>) -> PageRequest {
        PageRequest {
            cursor: cursor.map(str::to_string),
            per_page,
            search: search.map(str::to_string),
        }
    }

    const NEXT: (&str, &str) = (
        "Link",
        r#"<http://gh/installation/repositories?per_page=2&page=2>; rel="next""#,
    );

    #[test]
    fn lists_an_installations_repositories_with_a_fresh_token() {
        let fake = FakeTransport::new()
            .on(
                "POST",
                "/app/installations/42/access_tokens",
                201,
                &[],
                r#"{"token":"ghs_installation","expires_at":"2026-07-11T22:14:10Z","permissions":{}}"#,
            )
            .on("GET", "/installation/repositories", 200, &[NEXT], &repositories(2));
        let app = App::connect(&app_credentials("http://gh"), &fake, NOW).unwrap();
        let listed = list_installation_repositories(&app, "42", &page(None, 2, None)).unwrap();
        let names: Vec<&str> = listed.items.iter().map(|r| r.full_name.as_str()).collect();
        assert_eq!(names, ["octo-org/repo-0", "octo-org/repo-1"]);
        assert_eq!(listed.items[0].id, "1000");
        assert_eq!(
            listed.items[0].clone_url,
            "https://github.com/octo-org/repo-0.git"
        );
        assert_eq!(
            listed.next.as_deref(),
            Some("2:2:0"),
            "the GitHub plugin's cursors"
        );
        assert_eq!(
            fake.sent_lines(),
            [
                "POST http://gh/app/installations/42/access_tokens",
                "GET http://gh/installation/repositories?per_page=2&page=1"
            ]
        );
        let sent = fake.sent();
        assert_app_token(&sent[0]);
        assert_token(&sent[1], "ghs_installation");

        // The cursor picks up where the page ended, with a token of its own.
        list_installation_repositories(&app, "42", &page(Some("2:2:0"), 2, None)).unwrap();
        assert_eq!(
            fake.sent_lines()[3],
            "GET http://gh/installation/repositories?per_page=2&page=2"
        );
    }

    #[test]
    fn searching_an_installation_scans_its_pages() {
        let fake = FakeTransport::new()
            .on("POST", "/access_tokens", 201, &[], r#"{"token":"ghs_x"}"#)
            .on(
                "GET",
                "/installation/repositories",
                200,
                &[],
                &repositories(12),
            );
        let app = App::connect(&app_credentials("http://gh"), &fake, NOW).unwrap();
        let listed =
            list_installation_repositories(&app, "42", &page(None, 10, Some("REPO-1"))).unwrap();
        let names: Vec<&str> = listed.items.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["repo-1", "repo-10", "repo-11"]);
        assert_eq!(listed.next, None);
        assert!(fake.sent_lines()[1].ends_with("?per_page=100&page=1"));
    }

    #[test]
    fn an_installation_the_app_lacks_is_not_found() {
        let fake = FakeTransport::new();
        let app = App::connect(&app_credentials("http://gh"), &fake, NOW).unwrap();
        assert!(matches!(
            list_installation_repositories(&app, "9", &page(None, 10, None)),
            Err(ProviderError::NotFound(m)) if m.contains("no installation 9 of this GitHub App")
        ));
        assert_eq!(fake.sent().len(), 1, "no listing without a token");
    }

    #[test]
    fn an_installation_token_lists_its_installation() {
        let fake = FakeTransport::new().on(
            "GET",
            "/installation/repositories",
            200,
            &[],
            &repositories(1),
        );
        let github = GitHub::new("http://gh", "ghs_installation", &fake);
        let listed = list_repositories(&github, None, &page(None, 0, None)).unwrap();
        assert_eq!(listed.items.len(), 1);
        assert_eq!(
            fake.sent_lines(),
            ["GET http://gh/installation/repositories?per_page=30&page=1"]
        );
        // Whatever the token looks like (a mock's, or a future prefix).
        let github = GitHub::new("http://gh", "opaque", &fake);
        assert_eq!(
            list_repositories(&github, Some(" "), &page(None, 5, None))
                .unwrap()
                .items
                .len(),
            1
        );
    }

    #[test]
    fn a_users_token_lists_the_installation_in_workspace() {
        let fake = FakeTransport::new().on(
            "GET",
            "/user/installations/42/repositories",
            200,
            &[],
            &repositories(2),
        );
        let github = GitHub::new("http://gh", "ghu_user", &fake);
        let listed = list_repositories(&github, Some("42"), &page(None, 10, None)).unwrap();
        assert_eq!(listed.items.len(), 2);
        assert_eq!(
            fake.sent_lines(),
            ["GET http://gh/user/installations/42/repositories?per_page=10&page=1"]
        );
        assert_token(&fake.sent()[0], "ghu_user");
    }

    #[test]
    fn an_installation_the_user_cannot_see_is_not_found() {
        let fake = FakeTransport::new();
        let github = GitHub::new("http://gh", "ghu_user", &fake);
        assert!(matches!(
            list_repositories(&github, Some("43"), &page(None, 10, None)),
            Err(ProviderError::NotFound(m)) if m.starts_with("the user cannot access GitHub App installation 43")
        ));
        // An odd id reaches GitHub encoded, never as a path of its own.
        let _ = list_repositories(&github, Some("1/../x"), &page(None, 10, None));
        assert_eq!(
            fake.sent_lines()[1],
            "GET http://gh/user/installations/1%2F..%2Fx/repositories?per_page=10&page=1"
        );
        let rejected = FakeTransport::new().on(
            "GET",
            "/user/installations",
            401,
            &[],
            r#"{"message":"Bad credentials"}"#,
        );
        let github = GitHub::new("http://gh", "ghu_expired", &rejected);
        assert!(matches!(
            list_repositories(&github, Some("42"), &page(None, 10, None)),
            Err(ProviderError::Unauthorized(m)) if m.contains("Bad credentials")
        ));
        let anonymous = GitHub::new("http://gh", "", &rejected);
        assert!(matches!(
            list_repositories(&anonymous, Some("42"), &page(None, 10, None)),
            Err(ProviderError::InvalidInput(_))
        ));
    }
}
