//! What a token acts as: `GET /user`, `GET /user/repos` and, for App installation tokens,
//! `GET /installation/repositories`.

use axum::{extract::State, http::StatusCode, response::Response, Extension};
use serde_json::{json, Value};

use super::access::{not_accessible_message, Caller};
use super::repos::{
    paged_response, requires_authentication, with_accepted, DEFAULT_PER_PAGE, MAX_PER_PAGE,
};
use super::responses::{
    error, json_response, repo_json, user_json, validation_failed, Accepted, DOCS_URL,
};
use super::routes::Ctx;
use super::seed::{Access, RepoRole, RepositorySelection, TokenKind};
use super::state::Repo;
use crate::pagination::{paginate, PageParams};
use crate::query::QueryMap;

/// Documentation link of `GET /user`, used in its `Requires authentication` error.
const GET_USER_DOCS_URL: &str =
    "https://docs.github.com/rest/users/users#get-the-authenticated-user";
/// Documentation link of `GET /installation/repositories`.
const INSTALLATION_REPOS_DOCS_URL: &str =
    "https://docs.github.com/rest/apps/installations#list-repositories-accessible-to-the-app-installation";

/// `GET /user`: the account the token acts as.
pub(super) async fn get_user(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
) -> Response {
    match &caller {
        Caller::Anonymous => requires_authentication(GET_USER_DOCS_URL),
        Caller::Installation { .. } => error(
            StatusCode::FORBIDDEN,
            not_accessible_message(TokenKind::Installation),
            GET_USER_DOCS_URL,
        ),
        Caller::User { user, .. } => {
            json_response(StatusCode::OK, user_json(&ctx.api, &ctx.web, user))
        }
    }
}

/// `GET /user/repos`: repositories the user owns, collaborates on or reaches through an
/// organization (`affiliation`), by `visibility`, sorted (`sort`, `direction`), that the
/// token may see (classic tokens without `repo` see public ones only; fine-grained tokens
/// their selection).
pub(super) async fn list_user_repos(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    QueryMap(query): QueryMap,
) -> Response {
    let accepted = Accepted {
        scopes: "",
        permissions: "metadata=read".to_owned(),
    };
    let (token, user) = match &caller {
        Caller::Anonymous => return requires_authentication(DOCS_URL),
        Caller::Installation { token, .. } => {
            return with_accepted(
                error(
                    StatusCode::FORBIDDEN,
                    not_accessible_message(token.kind),
                    DOCS_URL,
                ),
                &accepted,
            )
        }
        Caller::User { token, user } => (token, user),
    };
    if query.contains_key("type")
        && (query.contains_key("affiliation") || query.contains_key("visibility"))
    {
        return validation_failed(
            "Repository",
            "invalid",
            "If you specify visibility or affiliation, you cannot specify type.",
        );
    }
    let (affiliation, visibility) = match query.get("type").map(String::as_str) {
        Some("owner") => ("owner".to_owned(), "all".to_owned()),
        Some("public") => (ALL_AFFILIATIONS.to_owned(), "public".to_owned()),
        Some("private") => (ALL_AFFILIATIONS.to_owned(), "private".to_owned()),
        Some("member") => (
            "collaborator,organization_member".to_owned(),
            "all".to_owned(),
        ),
        _ => (
            query
                .get("affiliation")
                .cloned()
                .unwrap_or_else(|| ALL_AFFILIATIONS.to_owned()),
            query
                .get("visibility")
                .cloned()
                .unwrap_or_else(|| "all".to_owned()),
        ),
    };
    let affiliations: Vec<&str> = affiliation.split(',').map(str::trim).collect();
    let sort = query.get("sort").map_or("full_name", String::as_str);
    let ascending = match query.get("direction").map(String::as_str) {
        Some("asc") => true,
        Some("desc") => false,
        _ => sort == "full_name",
    };

    let state = ctx.github.lock();
    let mut visible: Vec<(Repo, Option<RepoRole>)> = state
        .repos()
        .filter(|repo| {
            let login = &user.login;
            let owner = repo.owner.eq_ignore_ascii_case(login);
            let collaborator = !owner
                && repo
                    .collaborators
                    .keys()
                    .any(|c| c.eq_ignore_ascii_case(login));
            let member = !owner && state.is_org_member(login, repo);
            let affiliated = (owner && affiliations.contains(&"owner"))
                || (collaborator && affiliations.contains(&"collaborator"))
                || (member && affiliations.contains(&"organization_member"));
            let shown = match visibility.as_str() {
                "public" => !repo.private,
                "private" => repo.private,
                _ => true,
            };
            let token_sees = if token.kind.has_scopes() {
                !repo.private || token.has_scope("repo")
            } else {
                token.selects(&repo.full_name())
            };
            affiliated && shown && token_sees
        })
        .map(|repo| (repo.clone(), state.role_of(&user.login, repo)))
        .collect();
    match sort {
        "created" => visible.sort_by_key(|(r, _)| (r.created_at, r.id)),
        "updated" | "pushed" => visible.sort_by_key(|(r, _)| (r.pushed_at, r.id)),
        _ => visible.sort_by_key(|(r, _)| r.full_name().to_ascii_lowercase()),
    }
    if !ascending {
        visible.reverse();
    }
    let items: Vec<Value> = visible
        .iter()
        .filter_map(|(repo, role)| {
            let owner = state.user(&repo.owner)?;
            Some(repo_json(&ctx.api, &ctx.web, repo, owner, Some(*role)))
        })
        .collect();
    drop(state);
    paged_response(
        &items,
        &query,
        &format!("{}/user/repos", ctx.api),
        &accepted,
    )
}

const ALL_AFFILIATIONS: &str = "owner,collaborator,organization_member";

/// `GET /installation/repositories`: the repositories an installation token may reach.
pub(super) async fn list_installation_repos(
    State(ctx): State<Ctx>,
    Extension(caller): Extension<Caller>,
    QueryMap(query): QueryMap,
) -> Response {
    let accepted = Accepted {
        scopes: "",
        permissions: "metadata=read".to_owned(),
    };
    let Caller::Installation { token, .. } = &caller else {
        return with_accepted(
            error(
                StatusCode::FORBIDDEN,
                "You must authenticate with an installation access token in order to list \
                 repositories for an installation.",
                INSTALLATION_REPOS_DOCS_URL,
            ),
            &accepted,
        );
    };
    // Installation tokens manage hooks when the app has `webhooks: write`.
    let role = if token.grants("webhooks", Access::Write) {
        RepoRole::Admin
    } else {
        RepoRole::Read
    };
    let state = ctx.github.lock();
    // A token an app minted unnarrowed has its installation's selection; seeded and
    // narrowed ones list what they were given.
    let selection = token
        .installation
        .as_ref()
        .filter(|link| link.only.is_none())
        .and_then(|link| state.installation(link.id))
        .map_or(RepositorySelection::Selected, |i| i.selection);
    let mut repos: Vec<&Repo> = token
        .repositories
        .iter()
        .flatten()
        .filter_map(|full_name| {
            let (owner, name) = full_name.split_once('/')?;
            state.repo(owner, name)
        })
        .collect();
    repos.sort_by_key(|r| r.full_name().to_ascii_lowercase());
    let items: Vec<Value> = repos
        .iter()
        .filter_map(|repo| {
            let owner = state.user(&repo.owner)?;
            Some(repo_json(&ctx.api, &ctx.web, repo, owner, Some(Some(role))))
        })
        .collect();
    drop(state);
    let page = paginate(
        &items,
        PageParams::from_query(&query, DEFAULT_PER_PAGE, MAX_PER_PAGE),
    );
    let link = page.link_header(&format!("{}/installation/repositories", ctx.api), &query);
    let body = json!({
        "total_count": page.total,
        "repository_selection": selection.as_str(),
        "repositories": page.items,
    });
    let mut response = json_response(StatusCode::OK, body);
    if let Some(link) = link {
        super::responses::insert(response.headers_mut(), "link", &link);
    }
    with_accepted(response, &accepted)
}
