//! `list-repositories`, `get-repository` and `list-branches`.
//!
//! Repositories are those of the connection's workspace the token reaches
//! (`GET /repositories/{workspace}`; a repository token sees its repository, a project
//! token its project's, a workspace token all), or, without a workspace (a user's OAuth
//! token), every repository its user is a member of (`GET /repositories?role=member`).
//! Bitbucket filters by name itself (`q=name ~ "…"`, or `full_name` when the search holds a
//! `/`). Payloads and listings carry no permission flags: `can-admin-hooks` follows the
//! token's `webhook` scope when Bitbucket reports its scopes, and is assumed otherwise.

use git_access_plugin_sdk::{api_url, timestamp, HttpResponse, ProviderError};
use serde::Deserialize;

use crate::api_client::{checked_name, granted_scopes, repo_path, Bitbucket};
use crate::bindings::types::{
    Branch, BranchPage, Connection, PageRequest, Repository, RepositoryPage, RepositoryRef,
    Visibility,
};
use crate::paging::{self, Cursor, Paginated};
use crate::permission_probes::has_scope;

/// A repository as Bitbucket returns it (the fields this plugin reads).
#[derive(Debug, Clone, Deserialize)]
pub struct RepoJson {
    pub uuid: Option<String>,
    pub full_name: String,
    pub slug: Option<String>,
    #[serde(default)]
    pub is_private: bool,
    pub mainbranch: Option<MainBranch>,
    #[serde(default)]
    pub links: Links,
    pub updated_on: Option<String>,
    pub workspace: Option<WorkspaceJson>,
}

/// The default branch.
#[derive(Debug, Clone, Deserialize)]
pub struct MainBranch {
    pub name: String,
}

/// The workspace a repository belongs to.
#[derive(Debug, Clone, Deserialize)]
pub struct WorkspaceJson {
    pub slug: String,
}

/// A repository's links (`html`, `clone`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Links {
    pub html: Option<Href>,
    #[serde(default)]
    pub clone: Vec<CloneLink>,
}

/// One link.
#[derive(Debug, Clone, Deserialize)]
pub struct Href {
    pub href: String,
}

/// One clone link (`https` or `ssh`).
#[derive(Debug, Clone, Deserialize)]
pub struct CloneLink {
    pub name: String,
    pub href: String,
}

impl RepoJson {
    /// The repository's slug: `slug`, else the part of `full_name` after the workspace.
    pub fn slug(&self) -> &str {
        self.slug
            .as_deref()
            .or_else(|| self.full_name.split_once('/').map(|(_, slug)| slug))
            .unwrap_or(&self.full_name)
    }
}

#[derive(Deserialize)]
struct BranchJson {
    name: String,
    target: Option<Target>,
}

#[derive(Deserialize)]
struct Target {
    hash: String,
}

/// The connection's workspace, checked, if it has one.
pub fn workspace(conn: &Connection) -> Result<Option<String>, ProviderError> {
    match conn.workspace.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(ws) => Ok(Some(checked_name("workspace", ws)?.to_string())),
    }
}

/// One page of the repositories the token reaches (in `workspace` if given).
pub fn list_repositories(
    bitbucket: &Bitbucket,
    workspace: Option<&str>,
    request: &PageRequest,
) -> Result<RepositoryPage, ProviderError> {
    if bitbucket.token().is_empty() {
        return Err(ProviderError::InvalidInput(
            "listing repositories needs a token; a public repository can be read by name"
                .to_string(),
        ));
    }
    let cursor = Cursor::of(request)?;
    let field = if request.search.as_deref().is_some_and(|s| s.contains('/')) {
        "full_name"
    } else {
        "name"
    };
    let search = paging::search_query(field, request);
    let mut pairs = vec![("sort", "full_name")];
    let path = match workspace {
        Some(ws) => format!("/repositories/{}", checked_name("workspace", ws)?),
        None => {
            pairs.push(("role", "member"));
            "/repositories".to_string()
        }
    };
    if let Some(q) = search.as_deref() {
        pairs.push(("q", q));
    }
    let path = api_url::with_query(&path, pairs);
    let mut scopes = None;
    let (items, next) = cursor.read(&path, |url| {
        let response = bitbucket.call(bitbucket.get(url))?;
        scopes = granted_scopes(&response);
        response.json::<Paginated<RepoJson>>()
    })?;
    let can_admin_hooks = hooks_allowed(scopes.as_deref());
    Ok(RepositoryPage {
        items: items
            .into_iter()
            .map(|r| repository(bitbucket.web_base(), r, can_admin_hooks))
            .collect(),
        next,
    })
}

/// Reads one repository (anonymously too, for a public one).
pub fn get_repository(
    bitbucket: &Bitbucket,
    repo: &RepositoryRef,
) -> Result<Repository, ProviderError> {
    let response: HttpResponse = bitbucket.call(bitbucket.get(&repo_path(repo)?))?;
    let can_admin_hooks = hooks_allowed(granted_scopes(&response).as_deref());
    Ok(repository(
        bitbucket.web_base(),
        response.json()?,
        can_admin_hooks,
    ))
}

/// One page of a repository's branches.
pub fn list_branches(
    bitbucket: &Bitbucket,
    repo: &RepositoryRef,
    request: &PageRequest,
) -> Result<BranchPage, ProviderError> {
    let cursor = Cursor::of(request)?;
    let search = paging::search_query("name", request);
    let mut pairs = vec![("sort", "name")];
    if let Some(q) = search.as_deref() {
        pairs.push(("q", q));
    }
    let path = api_url::with_query(&format!("{}/refs/branches", repo_path(repo)?), pairs);
    let (items, next) = cursor.read(&path, |url| {
        bitbucket.get_json::<Paginated<BranchJson>>(url)
    })?;
    Ok(BranchPage {
        items: items
            .into_iter()
            .map(|b| Branch {
                name: b.name,
                commit_sha: b.target.map(|t| t.hash).unwrap_or_default(),
                // Bitbucket models protection as branch restrictions, not a branch flag.
                protected: false,
            })
            .collect(),
        next,
    })
}

/// Whether scopes allow managing webhooks; assumed when Bitbucket does not report them.
fn hooks_allowed(scopes: Option<&[String]>) -> bool {
    scopes.is_none_or(|scopes| has_scope(scopes, "webhook"))
}

/// The contract's view of a Bitbucket repository. Clone links carry the caller's user name
/// (`https://user@bitbucket.org/…`); it is removed.
pub fn repository(web: &str, json: RepoJson, can_admin_hooks: bool) -> Repository {
    let slug = json.slug().to_string();
    let owner = json
        .workspace
        .as_ref()
        .map(|w| w.slug.clone())
        .or_else(|| {
            json.full_name
                .split_once('/')
                .map(|(owner, _)| owner.to_string())
        })
        .unwrap_or_default();
    let html_url = json
        .links
        .html
        .as_ref()
        .map(|h| h.href.clone())
        .unwrap_or_else(|| format!("{web}/{}", json.full_name));
    let clone_url = json
        .links
        .clone
        .iter()
        .find(|c| c.name == "https")
        .map(|c| without_userinfo(&c.href))
        .unwrap_or_else(|| format!("{web}/{}.git", json.full_name));
    Repository {
        id: json.uuid.clone().unwrap_or_else(|| json.full_name.clone()),
        owner,
        name: slug,
        full_name: json.full_name,
        html_url,
        clone_url,
        default_branch: json.mainbranch.map(|b| b.name).filter(|b| !b.is_empty()),
        visibility: if json.is_private {
            Visibility::Private
        } else {
            Visibility::Public
        },
        can_admin_hooks,
        updated_at: json
            .updated_on
            .as_deref()
            .and_then(timestamp::normalize_rfc3339),
    }
}

fn without_userinfo(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let authority_end = rest.find('/').unwrap_or(rest.len());
            match rest[..authority_end].rsplit_once('@') {
                Some((_, host)) => format!("{scheme}://{host}{}", &rest[authority_end..]),
                None => url.to_string(),
            }
        }
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api_client::fake::FakeBitbucket;
    use serde_json::json;

    pub fn repo_json(slug: &str) -> serde_json::Value {
        json!({
            "type": "repository", "uuid": format!("{{{slug}-uuid}}"), "full_name": format!("acme/{slug}"),
            "name": slug.to_uppercase(), "slug": slug, "is_private": true,
            "mainbranch": {"name": "main", "type": "branch"},
            "links": {
                "html": {"href": format!("https://bitbucket.org/acme/{slug}")},
                "clone": [
                    {"name": "https", "href": format!("https://bot@bitbucket.org/acme/{slug}.git")},
                    {"name": "ssh", "href": format!("git@bitbucket.org:acme/{slug}.git")}
                ]
            },
            "updated_on": "2024-05-01T10:00:00.123456+00:00",
            "workspace": {"slug": "acme"}
        })
    }

    fn request(cursor: Option<&str>, per_page: u32, search: Option<&str>) -> PageRequest {
        PageRequest {
            cursor: cursor.map(str::to_string),
            per_page,
            search: search.map(str::to_string),
        }
    }

    #[test]
    fn lists_a_workspace_page_by_page() {
        let body = json!({
            "pagelen": 2, "page": 1,
            "values": [repo_json("api"), repo_json("web")],
            "next": "https://api.bitbucket.org/2.0/repositories/acme?pagelen=2&page=2"
        })
        .to_string();
        let fake = FakeBitbucket::new().on(
            "GET",
            "/repositories/acme?",
            200,
            &[("X-OAuth-Scopes", "repository, pullrequest:write")],
            &body,
        );
        let bitbucket = Bitbucket::new("", "t", &fake).unwrap();
        let page =
            list_repositories(&bitbucket, Some("acme"), &request(None, 2, Some("a\"p"))).unwrap();
        assert_eq!(page.next.as_deref(), Some("2:2"));
        assert_eq!(
            fake.sent_lines(),
            ["GET https://api.bitbucket.org/2.0/repositories/acme?sort=full_name&q=name%20~%20%22a%5C%22p%22&pagelen=2"]
        );
        let api = &page.items[0];
        assert_eq!(api.id, "{api-uuid}");
        assert_eq!(api.owner, "acme");
        assert_eq!(api.name, "api");
        assert_eq!(api.full_name, "acme/api");
        assert_eq!(api.clone_url, "https://bitbucket.org/acme/api.git");
        assert_eq!(api.default_branch.as_deref(), Some("main"));
        assert_eq!(api.visibility, Visibility::Private);
        assert!(!api.can_admin_hooks, "no webhook scope");
        assert_eq!(api.updated_at.as_deref(), Some("2024-05-01T10:00:00Z"));
    }

    #[test]
    fn lists_member_repositories_without_a_workspace() {
        let body = json!({"values": [repo_json("api")]}).to_string();
        let fake = FakeBitbucket::new().on("GET", "/repositories?", 200, &[], &body);
        let bitbucket = Bitbucket::new("", "t", &fake).unwrap();
        let page =
            list_repositories(&bitbucket, None, &request(Some("50:3"), 2, Some("acme/a"))).unwrap();
        assert_eq!(page.next, None);
        assert!(page.items[0].can_admin_hooks, "assumed without scopes");
        assert_eq!(
            fake.sent_lines()[0],
            "GET https://api.bitbucket.org/2.0/repositories?sort=full_name&role=member&q=full_name%20~%20%22acme%2Fa%22&pagelen=50&page=3"
        );
    }

    #[test]
    fn reads_a_repository_and_its_branches() {
        let branches = json!({
            "values": [{"name": "main", "target": {"hash": "a".repeat(40)}}],
            "next": "https://api.bitbucket.org/2.0/repositories/acme/api/refs/branches?page=2"
        })
        .to_string();
        let fake = FakeBitbucket::new()
            .on(
                "GET",
                "/repositories/acme/api/refs/branches",
                200,
                &[],
                &branches,
            )
            .on(
                "GET",
                "/repositories/acme/api",
                200,
                &[("X-OAuth-Scopes", "repository webhook")],
                &repo_json("api").to_string(),
            );
        let bitbucket = Bitbucket::new("", "t", &fake).unwrap();
        let repo = RepositoryRef {
            owner: "acme".into(),
            name: "api".into(),
        };
        assert!(get_repository(&bitbucket, &repo).unwrap().can_admin_hooks);
        let page = list_branches(&bitbucket, &repo, &request(None, 10, Some("ma"))).unwrap();
        assert_eq!(page.items[0].commit_sha, "a".repeat(40));
        assert_eq!(page.next.as_deref(), Some("10:2"));
        assert!(fake.sent_lines()[1]
            .contains("/refs/branches?sort=name&q=name%20~%20%22ma%22&pagelen=10"));
    }

    #[test]
    fn errors_and_input() {
        let fake = FakeBitbucket::new();
        let bitbucket = Bitbucket::new("", "t", &fake).unwrap();
        assert!(matches!(
            list_repositories(&bitbucket, Some("a/b"), &request(None, 1, None)),
            Err(ProviderError::InvalidInput(_))
        ));
        assert!(matches!(
            list_repositories(&bitbucket, Some("acme"), &request(None, 1, None)),
            Err(ProviderError::NotFound(_))
        ));
        let anonymous = Bitbucket::new("", "", &fake).unwrap();
        assert!(matches!(
            list_repositories(&anonymous, Some("acme"), &request(None, 1, None)),
            Err(ProviderError::InvalidInput(_))
        ));
        assert_eq!(
            without_userinfo("https://a@b@bitbucket.org/x.git"),
            "https://bitbucket.org/x.git"
        );
        assert_eq!(
            without_userinfo("https://bitbucket.org/x"),
            "https://bitbucket.org/x"
        );
    }
}
