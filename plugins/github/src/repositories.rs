//! `list-repositories`, `get-repository` and `list-branches`.
//!
//! Repositories come from `GET /user/repos` (every repository the token's user owns,
//! collaborates on or reaches through an organization, public and private, sorted by full
//! name so pages are stable), or from `GET /installation/repositories` for a GitHub App
//! installation token (`ghs_`), which has no user. Search and cursors: see [`paging`].
//! [`list_repositories_from`] lists any of these, e.g. for the `github-app` plugin.

use git_access_plugin_sdk::{timestamp, ProviderError};
use serde::Deserialize;

use crate::api_client::{repo_path, GitHub};
use crate::bindings::types::{
    Branch, BranchPage, PageRequest, Repository, RepositoryPage, RepositoryRef, Visibility,
};
use crate::paging::{self, UpstreamPage};

/// `GET /user/repos` with every affiliation and visibility, in a stable order.
const USER_REPOS: &str =
    "/user/repos?affiliation=owner,collaborator,organization_member&visibility=all&sort=full_name&direction=asc";

/// `GET /installation/repositories`: what an App installation token may reach.
pub const INSTALLATION_REPOS: &str = "/installation/repositories";

/// A repository as GitHub returns it (the fields this plugin reads).
#[derive(Debug, Clone, Deserialize)]
pub struct RepoJson {
    /// GitHub's numeric id.
    pub id: u64,
    /// Repository name.
    pub name: String,
    /// `owner/name`.
    pub full_name: String,
    /// The owning user or organization.
    pub owner: OwnerJson,
    /// Web page.
    pub html_url: String,
    /// HTTPS clone URL.
    pub clone_url: Option<String>,
    /// Default branch (absent or empty for an empty repository).
    pub default_branch: Option<String>,
    /// Whether it is private (older answers carry no `visibility`).
    #[serde(default)]
    pub private: bool,
    /// `public`, `private` or `internal`.
    pub visibility: Option<String>,
    /// What the caller may do on it.
    pub permissions: Option<RepoPermissions>,
    /// Last push.
    pub pushed_at: Option<String>,
    /// Last change of the repository's settings or contents.
    pub updated_at: Option<String>,
}

/// The owner of a repository.
#[derive(Debug, Clone, Deserialize)]
pub struct OwnerJson {
    /// User or organization login.
    pub login: String,
}

/// What the token's user may do on a repository (sent to authenticated callers).
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct RepoPermissions {
    /// Administers it (may manage webhooks).
    #[serde(default)]
    pub admin: bool,
}

/// The answer of `GET /installation/repositories` and
/// `GET /user/installations/{id}/repositories`: `{total_count, repositories}`.
#[derive(Deserialize)]
pub struct InstallationRepos {
    /// The repositories of this page.
    pub repositories: Vec<RepoJson>,
}

#[derive(Deserialize)]
struct BranchJson {
    name: String,
    commit: BranchCommit,
    #[serde(default)]
    protected: bool,
}

#[derive(Deserialize)]
struct BranchCommit {
    sha: String,
}

/// A list of repositories that GitHub pages through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepositoryList<'p> {
    /// `GET /user/repos`: what the token's user reaches.
    User,
    /// The repositories of a GitHub App installation at this path, answered as
    /// [`InstallationRepos`]: [`INSTALLATION_REPOS`] with an installation token, or
    /// `/user/installations/{id}/repositories` with a user's token.
    Installation(&'p str),
}

impl RepositoryList<'static> {
    /// The list a token reaches: an installation token's installation, else its user's.
    pub fn for_token(token: &str) -> Self {
        if is_installation_token(token) {
            RepositoryList::Installation(INSTALLATION_REPOS)
        } else {
            RepositoryList::User
        }
    }
}

/// One page of the repositories the token can reach.
pub fn list_repositories(
    github: &GitHub,
    request: &PageRequest,
) -> Result<RepositoryPage, ProviderError> {
    list_repositories_from(github, RepositoryList::for_token(github.token()), request)
}

/// One page of `list`, with this plugin's search and cursors (see [`paging`]).
pub fn list_repositories_from(
    github: &GitHub,
    list: RepositoryList,
    request: &PageRequest,
) -> Result<RepositoryPage, ProviderError> {
    if github.token().is_empty() {
        return Err(ProviderError::InvalidInput(
            "listing repositories needs a token; a public repository can be read by name"
                .to_string(),
        ));
    }
    let (items, next) = paging::collect(request, repo_matches, |page, size| {
        fetch_repositories(github, list, page, size)
    })?;
    Ok(RepositoryPage {
        items: items.into_iter().map(repository).collect(),
        next,
    })
}

/// One GitHub page of `list`.
pub fn fetch_repositories(
    github: &GitHub,
    list: RepositoryList,
    page: u32,
    size: u32,
) -> Result<UpstreamPage<RepoJson>, ProviderError> {
    let path = match list {
        RepositoryList::User => USER_REPOS,
        RepositoryList::Installation(path) => path,
    };
    let response = github.call(github.get(&paging::page_query(path, page, size)))?;
    let items = match list {
        RepositoryList::User => response.json::<Vec<RepoJson>>()?,
        RepositoryList::Installation(_) => response.json::<InstallationRepos>()?.repositories,
    };
    Ok(UpstreamPage {
        items,
        next_page: paging::next_page(&response, page),
    })
}

/// Reads one repository (anonymously too, for a public one).
pub fn get_repository(github: &GitHub, repo: &RepositoryRef) -> Result<Repository, ProviderError> {
    let json: RepoJson = github.get_json(&repo_path(repo)?)?;
    Ok(repository(json))
}

/// One page of a repository's branches (anonymously too, for a public repository).
pub fn list_branches(
    github: &GitHub,
    repo: &RepositoryRef,
    request: &PageRequest,
) -> Result<BranchPage, ProviderError> {
    let path = format!("{}/branches", repo_path(repo)?);
    let (items, next) = paging::collect(
        request,
        |branch: &BranchJson, needle| branch.name.to_lowercase().contains(needle),
        |page, size| {
            let response = github.call(github.get(&paging::page_query(&path, page, size)))?;
            Ok(UpstreamPage {
                items: response.json::<Vec<BranchJson>>()?,
                next_page: paging::next_page(&response, page),
            })
        },
    )?;
    Ok(BranchPage {
        items: items
            .into_iter()
            .map(|b| Branch {
                name: b.name,
                commit_sha: b.commit.sha,
                protected: b.protected,
            })
            .collect(),
        next,
    })
}

/// Installation access tokens (`ghs_`) act as an App installation, not as a user.
pub fn is_installation_token(token: &str) -> bool {
    token.starts_with("ghs_")
}

/// A search containing `/` matches `owner/name`; otherwise the name alone.
fn repo_matches(repo: &RepoJson, needle: &str) -> bool {
    let haystack = if needle.contains('/') {
        &repo.full_name
    } else {
        &repo.name
    };
    haystack.to_lowercase().contains(needle)
}

/// The contract's view of a GitHub repository.
pub fn repository(json: RepoJson) -> Repository {
    let visibility = match json.visibility.as_deref() {
        Some("internal") => Visibility::Internal,
        Some("private") => Visibility::Private,
        Some("public") => Visibility::Public,
        _ if json.private => Visibility::Private,
        _ => Visibility::Public,
    };
    let clone_url = json
        .clone_url
        .unwrap_or_else(|| format!("{}.git", json.html_url));
    Repository {
        id: json.id.to_string(),
        owner: json.owner.login,
        name: json.name,
        full_name: json.full_name,
        html_url: json.html_url,
        clone_url,
        default_branch: json.default_branch.filter(|b| !b.is_empty()),
        visibility,
        can_admin_hooks: json.permissions.is_some_and(|p| p.admin),
        updated_at: json
            .pushed_at
            .or(json.updated_at)
            .as_deref()
            .and_then(timestamp::normalize_rfc3339),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api_client::fake::FakeGitHub;
    use serde_json::json;

    fn repo_json(i: u32, private: bool) -> serde_json::Value {
        json!({
            "id": 1000 + i,
            "name": format!("Repo-{i}"),
            "full_name": format!("octocat/Repo-{i}"),
            "owner": {"login": "octocat"},
            "html_url": format!("https://github.com/octocat/Repo-{i}"),
            "clone_url": format!("https://github.com/octocat/Repo-{i}.git"),
            "default_branch": "main",
            "private": private,
            "visibility": if private { "private" } else { "public" },
            "permissions": {"admin": i.is_multiple_of(2), "push": true, "pull": true},
            "pushed_at": "2026-01-02T03:04:05Z",
            "updated_at": "2025-01-01T00:00:00Z"
        })
    }

    fn page_request(cursor: Option<&str>, per_page: u32, search: Option<&str>) -> PageRequest {
        PageRequest {
            cursor: cursor.map(str::to_string),
            per_page,
            search: search.map(str::to_string),
        }
    }

    #[test]
    fn maps_repository_fields() {
        let json: RepoJson = serde_json::from_value(repo_json(2, true)).unwrap();
        let repo = repository(json);
        assert_eq!(repo.id, "1002");
        assert_eq!(repo.owner, "octocat");
        assert_eq!(repo.full_name, "octocat/Repo-2");
        assert_eq!(repo.default_branch.as_deref(), Some("main"));
        assert_eq!(repo.visibility, Visibility::Private);
        assert!(repo.can_admin_hooks);
        assert_eq!(repo.updated_at.as_deref(), Some("2026-01-02T03:04:05Z"));
        let mut internal = repo_json(1, true);
        internal["visibility"] = json!("internal");
        internal["permissions"] = json!(null);
        let repo = repository(serde_json::from_value(internal).unwrap());
        assert_eq!(repo.visibility, Visibility::Internal);
        assert!(!repo.can_admin_hooks);
    }

    #[test]
    fn lists_user_repositories_with_cursor() {
        let body = json!([repo_json(0, false), repo_json(1, true)]).to_string();
        let fake = FakeGitHub::new().on(
            "GET",
            "/user/repos",
            200,
            &[(
                "Link",
                r#"<http://gh/user/repos?per_page=2&page=2>; rel="next""#,
            )],
            &body,
        );
        let github = GitHub::new("http://gh", "ghp_x", &fake);
        let page = list_repositories(&github, &page_request(None, 2, None)).unwrap();
        assert_eq!(page.items.len(), 2);
        assert_eq!(page.next.as_deref(), Some("2:2:0"));
        let sent = fake.sent_lines();
        assert_eq!(
            sent,
            ["GET http://gh/user/repos?affiliation=owner,collaborator,organization_member&visibility=all&sort=full_name&direction=asc&per_page=2&page=1"]
        );
    }

    #[test]
    fn installation_tokens_list_installation_repositories() {
        let body = json!({"total_count": 1, "repositories": [repo_json(7, true)]}).to_string();
        let fake = FakeGitHub::new().on("GET", "/installation/repositories", 200, &[], &body);
        let github = GitHub::new("http://gh", "ghs_x", &fake);
        let page = list_repositories(&github, &page_request(None, 10, None)).unwrap();
        assert_eq!(page.items[0].name, "Repo-7");
        assert_eq!(page.next, None);
    }

    #[test]
    fn search_matches_names_or_full_names() {
        let body = json!([
            repo_json(1, false),
            repo_json(2, false),
            repo_json(12, false)
        ])
        .to_string();
        let fake = FakeGitHub::new().on("GET", "/user/repos", 200, &[], &body);
        let github = GitHub::new("http://gh", "ghp_x", &fake);
        let names = |search| {
            list_repositories(&github, &page_request(None, 10, Some(search)))
                .unwrap()
                .items
                .into_iter()
                .map(|r| r.name)
                .collect::<Vec<_>>()
        };
        assert_eq!(names("repo-1"), ["Repo-1", "Repo-12"]);
        assert_eq!(names("OCTOCAT/REPO-2"), ["Repo-2"]);
        assert!(names("octocat").is_empty(), "plain text matches names only");
    }

    #[test]
    fn anonymous_listing_is_refused_but_branches_work() {
        let fake = FakeGitHub::new().on(
            "GET",
            "/repos/o/r/branches",
            200,
            &[],
            r#"[{"name":"main","commit":{"sha":"abc"},"protected":true},{"name":"dev","commit":{"sha":"def"}}]"#,
        );
        let github = GitHub::new("http://gh", "", &fake);
        assert!(matches!(
            list_repositories(&github, &page_request(None, 10, None)),
            Err(ProviderError::InvalidInput(_))
        ));
        let repo = RepositoryRef {
            owner: "o".into(),
            name: "r".into(),
        };
        let page = list_branches(&github, &repo, &page_request(None, 0, Some("DE"))).unwrap();
        assert_eq!(page.items.len(), 1);
        assert_eq!(page.items[0].commit_sha, "def");
        assert!(!page.items[0].protected);
        assert!(fake.sent()[0].headers().get("authorization").is_none());
    }

    #[test]
    fn missing_repository_is_not_found() {
        let fake = FakeGitHub::new();
        let github = GitHub::new("http://gh", "ghp_x", &fake);
        let repo = RepositoryRef {
            owner: "o".into(),
            name: "gone".into(),
        };
        assert!(matches!(
            get_repository(&github, &repo),
            Err(ProviderError::NotFound(_))
        ));
    }
}
