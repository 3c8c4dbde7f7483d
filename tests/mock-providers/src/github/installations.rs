//! App installations as a user sees them, with a user's token:
//!
//! - `GET /user/installations`: installations on the user's own account or on an
//!   organization they belong to (for an app user token, of its app only);
//! - `GET /user/installations/{id}/repositories`: those of its repositories the user can
//!   also access;
//! - `PUT|DELETE /user/installations/{id}/repositories/{repository_id}`: add a repository
//!   to a `selected` installation or remove one, as an administrator of the repository.
//!   GitHub takes classic tokens with `repo` here (OAuth tokens are classic ones to the
//!   mock); a `selected` installation keeps at least one repository.
//!
//! App user, classic and OAuth tokens may list; fine-grained and installation tokens get
//! GitHub's `403`.

use std::collections::BTreeMap;

use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    Extension,
};
use chrono::Utc;
use serde_json::{json, Value};

use super::access::{not_accessible_message, Caller};
use super::apps::installation_body;
use super::repos::{requires_authentication, with_accepted, DEFAULT_PER_PAGE, MAX_PER_PAGE};
use super::responses::{error, insert, json_response, not_found, repo_json, Accepted};
use super::routes::Ctx;
use super::seed::{RepoRole, RepositorySelection, TokenKind};
use super::state::{GitHubState, Installation, Token, User};
use crate::pagination::{paginate, PageParams};
use crate::query::QueryMap;

const LIST_DOCS_URL: &str = "https://docs.github.com/rest/apps/installations#list-app-installations-accessible-to-the-user-access-token";
const REPOS_DOCS_URL: &str = "https://docs.github.com/rest/apps/installations#list-repositories-accessible-to-the-user-access-token";
const ADD_DOCS_URL: &str =
    "https://docs.github.com/rest/apps/installations#add-a-repository-to-an-app-installation";
const REMOVE_DOCS_URL: &str =
    "https://docs.github.com/rest/apps/installations#remove-a-repository-from-an-app-installation";

/// `GET /user/installations`.
pub(super) async fn list_user_installations(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    QueryMap(query): QueryMap,
) -> Response {
    let (token, user) = match listing_user(&caller, LIST_DOCS_URL) {
        Ok(found) => found,
        Err(refusal) => return *refusal,
    };
    let items: Vec<Value> = {
        let state = ctx.github.lock();
        state
            .installations()
            .filter(|i| visible(&state, &token, &user, i))
            .filter_map(|i| installation_body(&ctx, &state, i))
            .collect()
    };
    let url = format!("{}/user/installations", ctx.api);
    page_object(
        &items,
        &query,
        &url,
        |total, page| json!({"total_count": total, "installations": page}),
    )
}

/// `GET /user/installations/{installation_id}/repositories`.
pub(super) async fn list_user_installation_repos(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    QueryMap(query): QueryMap,
) -> Response {
    let (token, user) = match listing_user(&caller, REPOS_DOCS_URL) {
        Ok(found) => found,
        Err(refusal) => return *refusal,
    };
    let (selection, items) = {
        let state = ctx.github.lock();
        let Some(installation) = id
            .parse()
            .ok()
            .and_then(|id| state.installation(id))
            .filter(|i| visible(&state, &token, &user, i))
        else {
            return not_found();
        };
        let items: Vec<Value> = state
            .reach(installation)
            .iter()
            .filter_map(|full_name| {
                let (owner, name) = full_name.split_once('/')?;
                let repo = state.repo(owner, name)?;
                let role = state.role_of(&user.login, repo)?;
                // A classic token without `repo` sees public repositories only.
                let token_sees =
                    !repo.private || !token.kind.has_scopes() || token.has_scope("repo");
                let owner = state.user(&repo.owner)?;
                token_sees.then(|| repo_json(&ctx.api, &ctx.web, repo, owner, Some(Some(role))))
            })
            .collect();
        (installation.selection, items)
    };
    let url = format!("{}/user/installations/{id}/repositories", ctx.api);
    page_object(&items, &query, &url, |total, page| {
        json!({
            "total_count": total,
            "repository_selection": selection.as_str(),
            "repositories": page,
        })
    })
}

/// `PUT /user/installations/{installation_id}/repositories/{repository_id}`.
pub(super) async fn add_repository(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path((installation_id, repository_id)): Path<(String, String)>,
) -> Response {
    change_repository(&ctx, &caller, &installation_id, &repository_id, true)
}

/// `DELETE /user/installations/{installation_id}/repositories/{repository_id}`.
pub(super) async fn remove_repository(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    Path((installation_id, repository_id)): Path<(String, String)>,
) -> Response {
    change_repository(&ctx, &caller, &installation_id, &repository_id, false)
}

fn change_repository(
    ctx: &Ctx,
    caller: &Caller,
    installation_id: &str,
    repository_id: &str,
    add: bool,
) -> Response {
    let docs = if add { ADD_DOCS_URL } else { REMOVE_DOCS_URL };
    let accepted = Accepted {
        scopes: "repo",
        permissions: String::new(),
    };
    let user = match caller {
        Caller::Anonymous => return requires_authentication(docs),
        Caller::User { token, user } if token.kind.has_scopes() => {
            if !token.has_scope("repo") {
                return with_accepted(not_found(), &accepted);
            }
            user
        }
        Caller::User { token, .. } | Caller::Installation { token, .. } => {
            return error(
                StatusCode::FORBIDDEN,
                not_accessible_message(token.kind),
                docs,
            )
        }
    };
    let outcome = change_selection(
        &mut ctx.github.lock(),
        &user.login,
        installation_id,
        repository_id,
        add,
    );
    let response = match outcome {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(Refusal::NotFound) => not_found(),
        Err(Refusal::NotAdmin) => error(
            StatusCode::FORBIDDEN,
            "Must have admin rights to Repository.",
            docs,
        ),
        Err(Refusal::AllRepositories) => error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "The app is installed on all repositories of this account; choose selected \
             repositories for it before removing one.",
            docs,
        ),
        Err(Refusal::LastRepository) => error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "This request would remove the last repository the app can access; uninstall \
             the app instead.",
            docs,
        ),
    };
    with_accepted(response, &accepted)
}

/// Why a repository cannot be added or removed.
enum Refusal {
    /// Unknown or hidden installation or repository, or a repository of another account.
    NotFound,
    NotAdmin,
    /// Removing from an installation on all repositories.
    AllRepositories,
    /// Removing the only repository of a `selected` installation.
    LastRepository,
}

fn change_selection(
    state: &mut GitHubState,
    login: &str,
    installation_id: &str,
    repository_id: &str,
    add: bool,
) -> Result<(), Refusal> {
    let installation = installation_id
        .parse()
        .ok()
        .and_then(|id| state.installation(id))
        .filter(|i| state.can_access_installation(login, i))
        .ok_or(Refusal::NotFound)?;
    let repo = repository_id
        .parse::<u64>()
        .ok()
        .and_then(|id| state.repos().find(|r| r.id == id))
        .filter(|r| r.owner.eq_ignore_ascii_case(&installation.account))
        .ok_or(Refusal::NotFound)?;
    match state.role_of(login, repo) {
        Some(RepoRole::Admin) => {}
        None if repo.private => return Err(Refusal::NotFound),
        _ => return Err(Refusal::NotAdmin),
    }
    let full_name = repo.full_name();
    let (id, selection) = (installation.id, installation.selection);
    let listed = installation
        .repositories
        .iter()
        .any(|r| r.eq_ignore_ascii_case(&full_name));
    let count = installation.repositories.len();
    let Some(installation) = state.installation_mut(id) else {
        return Err(Refusal::NotFound);
    };
    match (add, selection) {
        // Already reaching every repository of the account.
        (true, RepositorySelection::All) => {}
        (true, RepositorySelection::Selected) if !listed => {
            installation.repositories.push(full_name);
            installation.updated_at = Utc::now();
        }
        (true, RepositorySelection::Selected) => {}
        (false, RepositorySelection::All) => return Err(Refusal::AllRepositories),
        (false, RepositorySelection::Selected) if listed && count == 1 => {
            return Err(Refusal::LastRepository)
        }
        (false, RepositorySelection::Selected) if listed => {
            installation
                .repositories
                .retain(|r| !r.eq_ignore_ascii_case(&full_name));
            installation.updated_at = Utc::now();
        }
        (false, RepositorySelection::Selected) => {}
    }
    Ok(())
}

/// The user a listing acts for: app user, classic and OAuth tokens only.
fn listing_user(caller: &Caller, docs: &str) -> Result<(Token, User), Box<Response>> {
    match caller {
        Caller::Anonymous => Err(Box::new(requires_authentication(docs))),
        Caller::User { token, user } if token.kind != TokenKind::FineGrained => {
            Ok((token.clone(), user.clone()))
        }
        Caller::User { token, .. } | Caller::Installation { token, .. } => Err(Box::new(error(
            StatusCode::FORBIDDEN,
            not_accessible_message(token.kind),
            docs,
        ))),
    }
}

/// Whether the user may see the installation with this token (an app user token sees
/// its own app's installations only).
fn visible(state: &GitHubState, token: &Token, user: &User, installation: &Installation) -> bool {
    state.can_access_installation(&user.login, installation)
        && token.app.is_none_or(|app| app == installation.app_id)
}

/// A page of `items` wrapped in the object GitHub answers with, and its `Link` header.
fn page_object(
    items: &[Value],
    query: &BTreeMap<String, String>,
    url: &str,
    wrap: impl FnOnce(usize, Vec<Value>) -> Value,
) -> Response {
    let page = paginate(
        items,
        PageParams::from_query(query, DEFAULT_PER_PAGE, MAX_PER_PAGE),
    );
    let link = page.link_header(url, query);
    let mut response = json_response(StatusCode::OK, wrap(page.total, page.items));
    if let Some(link) = link {
        insert(response.headers_mut(), "link", &link);
    }
    response
}
