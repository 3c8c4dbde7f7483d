//! The installation calls: `get-installation`, `create-installation-token` and
//! `delete-installation` as the app (`/app/installations/{id}`), and
//! `add-installation-repository` / `remove-installation-repository` as a user who
//! administers the installation (`/user/installations/{id}/repositories/{repository_id}`,
//! with the user's token from signing in through the app).

use std::collections::BTreeMap;

use git_access_github::api_client::GitHub;
use git_access_github::bindings::types::{Installation, OauthTokens};
use git_access_plugin_sdk::{timestamp, Method, ProviderError};
use serde::Deserialize;

use crate::app_api::{checked_id, App};

/// An installation as GitHub returns it (the fields this plugin reads).
#[derive(Deserialize)]
struct InstallationJson {
    id: u64,
    account: Option<AccountJson>,
    #[serde(default)]
    repository_selection: String,
    #[serde(default)]
    html_url: String,
    suspended_at: Option<String>,
}

/// A user or organization has a `login`; an enterprise a `slug` and a `name`.
#[derive(Deserialize)]
struct AccountJson {
    login: Option<String>,
    slug: Option<String>,
    name: Option<String>,
}

/// The answer of `POST /app/installations/{id}/access_tokens`.
#[derive(Deserialize)]
struct AccessTokenJson {
    token: String,
    expires_at: Option<String>,
    #[serde(default)]
    permissions: BTreeMap<String, serde_json::Value>,
}

/// `GET /app/installations/{id}`.
pub fn get_installation(app: &App, installation_id: &str) -> Result<Installation, ProviderError> {
    let id = checked_id("installation", installation_id)?;
    let request = app.github().get(&format!("/app/installations/{id}"));
    let json: InstallationJson = app.call(request, id)?.json()?;
    let account = json
        .account
        .and_then(|a| a.login.or(a.slug).or(a.name))
        .unwrap_or_default();
    Ok(Installation {
        id: json.id.to_string(),
        account,
        repository_selection: json.repository_selection,
        html_url: json.html_url,
        suspended: json.suspended_at.is_some(),
    })
}

/// `POST /app/installations/{id}/access_tokens`: a token that acts as the installation for
/// an hour, with the installation's permissions (as `name:level` scopes).
pub fn create_installation_token(
    app: &App,
    installation_id: &str,
) -> Result<OauthTokens, ProviderError> {
    let id = checked_id("installation", installation_id)?;
    let request = app.github().request(
        Method::Post,
        &format!("/app/installations/{id}/access_tokens"),
    );
    let json: AccessTokenJson = app.call(request, id)?.json()?;
    if json.token.trim().is_empty() {
        return Err(ProviderError::Other(
            "GitHub answered without an installation token".to_string(),
        ));
    }
    let scopes = json
        .permissions
        .iter()
        .map(|(name, level)| match level.as_str() {
            Some(level) => format!("{name}:{level}"),
            // GitHub's levels are strings; anything else is kept as JSON.
            None => format!("{name}:{level}"),
        })
        .collect();
    Ok(OauthTokens {
        access_token: json.token,
        refresh_token: None,
        expires_at: json
            .expires_at
            .as_deref()
            .and_then(timestamp::normalize_rfc3339),
        scopes,
    })
}

/// `DELETE /app/installations/{id}`: uninstalls the app from the account.
pub fn delete_installation(app: &App, installation_id: &str) -> Result<(), ProviderError> {
    let id = checked_id("installation", installation_id)?;
    let request = app
        .github()
        .request(Method::Delete, &format!("/app/installations/{id}"));
    app.call(request, id)?;
    Ok(())
}

/// `PUT /user/installations/{id}/repositories/{repository_id}` with the user's token.
pub fn add_installation_repository(
    github: &GitHub,
    installation_id: &str,
    repository_id: &str,
) -> Result<(), ProviderError> {
    change_installation_repository(github, Method::Put, installation_id, repository_id)
}

/// `DELETE /user/installations/{id}/repositories/{repository_id}` with the user's token.
pub fn remove_installation_repository(
    github: &GitHub,
    installation_id: &str,
    repository_id: &str,
) -> Result<(), ProviderError> {
    change_installation_repository(github, Method::Delete, installation_id, repository_id)
}

/// Grants or revokes the installation's access to one repository. GitHub answers 204, or
/// 304 when nothing changes (both succeed); 422 when the installation covers all
/// repositories or the repository is its last one (`invalid-input` quoting GitHub).
fn change_installation_repository(
    github: &GitHub,
    method: Method,
    installation_id: &str,
    repository_id: &str,
) -> Result<(), ProviderError> {
    let installation = checked_id("installation", installation_id)?;
    let repository = checked_id("repository", repository_id)?;
    if github.token().is_empty() {
        return Err(ProviderError::InvalidInput(
            "changing an installation's repositories needs the token of a user who \
             administers it (from signing in through the GitHub App)"
                .to_string(),
        ));
    }
    let path = format!("/user/installations/{installation}/repositories/{repository}");
    let response = github.send(github.request(method, &path))?;
    if response.is_success() || response.status == 304 {
        return Ok(());
    }
    Err(match github.error(&response) {
        ProviderError::NotFound(message) => ProviderError::NotFound(format!(
            "installation {installation} or repository {repository}: {message}"
        )),
        error => error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{app_credentials, assert_app_token, assert_token, NOW};
    use git_access_plugin_sdk::fake_transport::FakeTransport;
    use serde_json::json;

    fn installation_json(suspended_at: Option<&str>) -> String {
        json!({
            "id": 42,
            "account": {"login": "octo-org", "id": 1, "type": "Organization"},
            "repository_selection": "selected",
            "access_tokens_url": "https://api.github.com/app/installations/42/access_tokens",
            "html_url": "https://github.com/organizations/octo-org/settings/installations/42",
            "app_id": 12345,
            "target_type": "Organization",
            "permissions": {"contents": "read", "metadata": "read"},
            "events": ["push", "pull_request"],
            "suspended_at": suspended_at,
            "suspended_by": null
        })
        .to_string()
    }

    #[test]
    fn reads_an_installation_as_the_app() {
        let fake = FakeTransport::new().on(
            "GET",
            "/app/installations/42",
            200,
            &[],
            &installation_json(None),
        );
        let app = App::connect(&app_credentials("http://gh"), &fake, NOW).unwrap();
        let installation = get_installation(&app, " 42 ").unwrap();
        assert_eq!(installation.id, "42");
        assert_eq!(installation.account, "octo-org");
        assert_eq!(installation.repository_selection, "selected");
        assert_eq!(
            installation.html_url,
            "https://github.com/organizations/octo-org/settings/installations/42"
        );
        assert!(!installation.suspended);
        assert_eq!(fake.sent_lines(), ["GET http://gh/app/installations/42"]);
        assert_app_token(&fake.sent()[0]);
        assert_eq!(
            fake.sent()[0].headers().get("x-github-api-version"),
            Some("2022-11-28")
        );
    }

    #[test]
    fn suspended_and_enterprise_installations() {
        let fake = FakeTransport::new().on(
            "GET",
            "/app/installations/42",
            200,
            &[],
            &installation_json(Some("2026-11-01T10:00:00Z")),
        );
        let app = App::connect(&app_credentials("http://gh"), &fake, NOW).unwrap();
        assert!(get_installation(&app, "42").unwrap().suspended);

        let enterprise = json!({
            "id": 7, "account": {"slug": "acme", "name": "Acme"}, "repository_selection": "all",
            "html_url": "https://github.com/enterprises/acme/settings/installations/7",
            "suspended_at": null
        })
        .to_string();
        let fake = FakeTransport::new().on("GET", "/app/installations/7", 200, &[], &enterprise);
        let app = App::connect(&app_credentials("http://gh"), &fake, NOW).unwrap();
        let installation = get_installation(&app, "7").unwrap();
        assert_eq!(installation.account, "acme");
        assert_eq!(installation.repository_selection, "all");
    }

    #[test]
    fn unknown_installations_and_bad_credentials() {
        let fake = FakeTransport::new();
        let app = App::connect(&app_credentials("http://gh"), &fake, NOW).unwrap();
        assert!(matches!(
            get_installation(&app, "404"),
            Err(ProviderError::NotFound(m)) if m.contains("no installation 404 of this GitHub App")
        ));
        assert!(matches!(
            delete_installation(&app, "404"),
            Err(ProviderError::NotFound(m)) if m.contains("no installation 404")
        ));
        assert!(matches!(
            get_installation(&app, "x/1"),
            Err(ProviderError::InvalidInput(_))
        ));
        assert_eq!(fake.sent().len(), 2, "no request for an invalid id");

        let fake = FakeTransport::new().on(
            "POST",
            "/access_tokens",
            401,
            &[],
            r#"{"message":"A JSON web token could not be decoded"}"#,
        );
        let app = App::connect(&app_credentials("http://gh"), &fake, NOW).unwrap();
        match create_installation_token(&app, "42") {
            Err(ProviderError::Unauthorized(message)) => {
                assert!(
                    message.starts_with("GitHub rejected the GitHub App credentials"),
                    "{message}"
                );
                assert!(message.ends_with("(GitHub said: A JSON web token could not be decoded)"));
            }
            other => panic!("expected unauthorized, got {other:?}"),
        }
    }

    #[test]
    fn mints_installation_tokens() {
        let body = json!({
            "token": "ghs_16C7e42F292c6912E7710c838347Ae178B4a",
            "expires_at": "2026-07-11T22:14:10Z",
            "permissions": {
                "pull_requests": "write", "contents": "read", "metadata": "read",
                "repository_hooks": "write"
            },
            "repository_selection": "selected"
        })
        .to_string();
        let fake = FakeTransport::new().on(
            "POST",
            "/app/installations/42/access_tokens",
            201,
            &[],
            &body,
        );
        let app = App::connect(
            &app_credentials("https://ghe.example.com/api/v3"),
            &fake,
            NOW,
        )
        .unwrap();
        let tokens = create_installation_token(&app, "42").unwrap();
        assert_eq!(
            tokens.access_token,
            "ghs_16C7e42F292c6912E7710c838347Ae178B4a"
        );
        assert_eq!(tokens.refresh_token, None);
        assert_eq!(tokens.expires_at.as_deref(), Some("2026-07-11T22:14:10Z"));
        assert_eq!(
            tokens.scopes,
            [
                "contents:read",
                "metadata:read",
                "pull_requests:write",
                "repository_hooks:write"
            ]
        );
        assert_eq!(
            fake.sent_lines(),
            ["POST https://ghe.example.com/api/v3/app/installations/42/access_tokens"]
        );
        assert_app_token(&fake.sent()[0]);
    }

    #[test]
    fn suspended_installations_cannot_mint_tokens() {
        let fake = FakeTransport::new().on(
            "POST",
            "/access_tokens",
            403,
            &[],
            r#"{"message":"This installation has been suspended"}"#,
        );
        let app = App::connect(&app_credentials("http://gh"), &fake, NOW).unwrap();
        assert!(matches!(
            create_installation_token(&app, "42"),
            Err(ProviderError::Forbidden { message, .. }) if message.contains("suspended")
        ));
    }

    #[test]
    fn deletes_installations() {
        let fake = FakeTransport::new().on("DELETE", "/app/installations/42", 204, &[], "");
        let app = App::connect(&app_credentials("http://gh"), &fake, NOW).unwrap();
        delete_installation(&app, "42").unwrap();
        assert_eq!(fake.sent_lines(), ["DELETE http://gh/app/installations/42"]);
        assert_app_token(&fake.sent()[0]);
    }

    #[test]
    fn adds_and_removes_repositories_with_the_users_token() {
        let path = "/user/installations/42/repositories/1296269";
        let fake =
            FakeTransport::new()
                .on("PUT", path, 204, &[], "")
                .on("DELETE", path, 304, &[], "");
        let github = GitHub::new("http://gh", "ghu_user", &fake);
        add_installation_repository(&github, "42", "1296269").unwrap();
        remove_installation_repository(&github, "42", "1296269").unwrap();
        assert_eq!(
            fake.sent_lines(),
            [
                "PUT http://gh/user/installations/42/repositories/1296269",
                "DELETE http://gh/user/installations/42/repositories/1296269"
            ]
        );
        for request in fake.sent() {
            assert_token(&request, "ghu_user");
        }
    }

    #[test]
    fn repository_changes_github_refuses() {
        let path = "/user/installations/42/repositories/7";
        let fake = FakeTransport::new()
            .on(
                "DELETE",
                path,
                422,
                &[],
                r#"{"message":"This app is installed on all repositories of the account"}"#,
            )
            .on(
                "PUT",
                path,
                403,
                &[],
                r#"{"message":"Must have admin rights to Repository."}"#,
            );
        let github = GitHub::new("http://gh", "ghu_user", &fake);
        assert!(matches!(
            remove_installation_repository(&github, "42", "7"),
            Err(ProviderError::InvalidInput(m)) if m.contains("HTTP 422") && m.contains("installed on all repositories")
        ));
        assert!(matches!(
            add_installation_repository(&github, "42", "7"),
            Err(ProviderError::Forbidden { message, .. }) if message.contains("Must have admin rights")
        ));
        assert!(matches!(
            add_installation_repository(&github, "43", "7"),
            Err(ProviderError::NotFound(m)) if m.starts_with("installation 43 or repository 7: ")
        ));
        let rejected =
            FakeTransport::new().on("PUT", path, 401, &[], r#"{"message":"Bad credentials"}"#);
        let github = GitHub::new("http://gh", "ghu_user", &rejected);
        assert!(matches!(
            add_installation_repository(&github, "42", "7"),
            Err(ProviderError::Unauthorized(m)) if m.contains("token")
        ));
    }

    #[test]
    fn repository_changes_need_a_token_and_numeric_ids() {
        let fake = FakeTransport::new();
        let anonymous = GitHub::new("http://gh", "", &fake);
        assert!(matches!(
            add_installation_repository(&anonymous, "42", "7"),
            Err(ProviderError::InvalidInput(m)) if m.contains("needs the token of a user")
        ));
        let github = GitHub::new("http://gh", "ghu_user", &fake);
        assert!(matches!(
            add_installation_repository(&github, "42", "octo/repo"),
            Err(ProviderError::InvalidInput(m)) if m.starts_with("invalid GitHub repository id")
        ));
        assert!(matches!(
            remove_installation_repository(&github, "", "7"),
            Err(ProviderError::InvalidInput(m)) if m.starts_with("invalid GitHub installation id")
        ));
        assert!(fake.sent().is_empty());
    }
}
