//! The GitHub App install page at the web root, `GET /apps/{slug}/installations/new`.
//!
//! The mock has no login page and no account or repository picker, so the query says what
//! the person would have chosen there:
//!
//! - `login`: who installs (default: the app's `approving_user`, else the first seeded
//!   user, as `/login/oauth/authorize` decides);
//! - `account`, or `suggested_target_id` (an account id, as GitHub's install links take):
//!   where (default: `login`'s own account); an organization needs `login` to be one of
//!   its owners;
//! - `repositories=a,b` (names in the account, or `owner/name`): a `selected`
//!   installation; every repository when absent;
//! - `state`: handed back unchanged.
//!
//! It installs the app (or, when it is already installed there, changes its repositories:
//! `setup_action=update`) and answers `302` to the app's `callback_url` (the installation's
//! settings page when it has none) with `code` (when the app has
//! `request_oauth_on_install`: single-use, exchanged at `POST /login/oauth/access_token`
//! with the app's client id and secret for an app user token of `login`),
//! `installation_id`, `setup_action` and `state`.

use axum::{
    extract::{Path, State},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use chrono::Utc;

use super::oauth;
use super::routes::Ctx;
use super::seed::{AccountType, OrgRole, RepositorySelection};
use super::state::GitHubState;
use crate::query::{self, QueryMap};

/// `GET /apps/{slug}/installations/new`.
pub(super) async fn install(
    State(ctx): State<Ctx>,
    Path(slug): Path<String>,
    QueryMap(query): QueryMap,
) -> Response {
    let mut state = ctx.github.lock();
    let chosen = Choice {
        login: query.get("login").map(String::as_str),
        account: query.get("account").map(String::as_str),
        target_id: query.get("suggested_target_id").map(String::as_str),
        repositories: query.get("repositories").map(|list| {
            list.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        }),
    };
    let installed = match install_as_chosen(&mut state, &slug, &chosen) {
        Ok(installed) => installed,
        Err((status, why)) => return (status, why).into_response(),
    };
    let code = if installed.request_oauth {
        oauth::new_code(
            &mut state,
            &installed.client_id,
            Some(&installed.login),
            &[],
            None,
            None,
        )
    } else {
        None
    };
    let target = installed.callback_url.clone().unwrap_or_else(|| {
        let id = installed.installation_id;
        match installed.org {
            Some(ref org) => format!(
                "{}/organizations/{org}/settings/installations/{id}",
                ctx.web
            ),
            None => format!("{}/settings/installations/{id}", ctx.web),
        }
    });
    drop(state);
    let mut params = Vec::new();
    if let Some(code) = code {
        params.push(format!("code={}", query::encode(&code)));
    }
    params.push(format!("installation_id={}", installed.installation_id));
    params.push(format!("setup_action={}", installed.setup_action));
    if let Some(state) = query.get("state") {
        params.push(format!("state={}", query::encode(state)));
    }
    let separator = if target.contains('?') { '&' } else { '?' };
    let location = format!("{target}{separator}{}", params.join("&"));
    match HeaderValue::from_str(&location) {
        Ok(location) => (StatusCode::FOUND, [(header::LOCATION, location)]).into_response(),
        Err(_) => (StatusCode::BAD_REQUEST, "invalid callback_url").into_response(),
    }
}

/// What the person chose on the page GitHub would have shown.
struct Choice<'a> {
    login: Option<&'a str>,
    account: Option<&'a str>,
    target_id: Option<&'a str>,
    repositories: Option<Vec<String>>,
}

/// An installation made or changed, and where to send the browser.
struct Installed {
    installation_id: u64,
    setup_action: &'static str,
    login: String,
    /// The organization it is on, for its settings page.
    org: Option<String>,
    client_id: String,
    callback_url: Option<String>,
    request_oauth: bool,
}

/// Installs (or reconfigures) the app as chosen; the page's refusal otherwise.
fn install_as_chosen(
    state: &mut GitHubState,
    slug: &str,
    chosen: &Choice<'_>,
) -> Result<Installed, (StatusCode, String)> {
    let refuse = |status: StatusCode, why: String| (status, why);
    let app = state
        .app_by_slug(slug)
        .ok_or_else(|| refuse(StatusCode::NOT_FOUND, format!("no GitHub App '{slug}'")))?
        .clone();
    let user = match chosen.login.or(app.approving_user.as_deref()) {
        Some(login) => state.user(login),
        None => state.first_user(),
    }
    .filter(|u| u.account_type == AccountType::User)
    .ok_or_else(|| refuse(StatusCode::NOT_FOUND, "no such user to install as".into()))?
    .clone();
    let account = match (chosen.account, chosen.target_id) {
        (Some(login), _) => state.user(login),
        (None, Some(id)) => {
            let id: Option<u64> = id.parse().ok();
            state.accounts().find(|u| Some(u.id) == id)
        }
        (None, None) => Some(&user),
    }
    .ok_or_else(|| {
        refuse(
            StatusCode::NOT_FOUND,
            "no such account to install on".into(),
        )
    })?
    .clone();
    let may_install = match account.account_type {
        AccountType::User => account.login.eq_ignore_ascii_case(&user.login),
        AccountType::Organization => account
            .members
            .iter()
            .any(|(m, role)| m.eq_ignore_ascii_case(&user.login) && *role == OrgRole::Admin),
    };
    if !may_install {
        return Err(refuse(
            StatusCode::FORBIDDEN,
            format!(
                "'{}' may not install apps on '{}'",
                user.login, account.login
            ),
        ));
    }
    let existing = state.installation_of(app.id, &account.login).map(|i| i.id);
    let (installation_id, setup_action) = match existing {
        None => {
            let id = state
                .install(app.id, &account.login, chosen.repositories.as_deref())
                .map_err(|why| refuse(StatusCode::UNPROCESSABLE_ENTITY, why))?;
            (id, "install")
        }
        Some(id) => {
            reconfigure(state, id, &account.login, chosen.repositories.as_deref())
                .map_err(|why| refuse(StatusCode::UNPROCESSABLE_ENTITY, why))?;
            (id, "update")
        }
    };
    Ok(Installed {
        installation_id,
        setup_action,
        login: user.login,
        org: (account.account_type == AccountType::Organization).then_some(account.login),
        client_id: app.client_id,
        callback_url: app.callback_url,
        request_oauth: app.request_oauth_on_install,
    })
}

/// Sets an existing installation's repositories: every one, or those listed.
fn reconfigure(
    state: &mut GitHubState,
    id: u64,
    account: &str,
    repositories: Option<&[String]>,
) -> Result<(), String> {
    let (selection, full_names) = match repositories {
        None => (RepositorySelection::All, Vec::new()),
        Some([]) => return Err("choose at least one repository".to_owned()),
        Some(names) => {
            let mut full_names = Vec::new();
            for name in names {
                let full_name = state
                    .account_repo(account, name)
                    .ok_or_else(|| format!("'{name}' is not a repository of '{account}'"))?;
                if !full_names.contains(&full_name) {
                    full_names.push(full_name);
                }
            }
            (RepositorySelection::Selected, full_names)
        }
    };
    if let Some(installation) = state.installation_mut(id) {
        installation.selection = selection;
        installation.repositories = full_names;
        installation.updated_at = Utc::now();
    }
    Ok(())
}
