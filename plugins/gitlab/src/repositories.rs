//! `list-repositories`, `get-repository` and `list-branches`.
//!
//! Repositories are the projects the token is a member of (`GET /projects?membership=true`:
//! a project token sees its project, a group token its group's projects, a personal token
//! every project of its user), in path order, filtered by GitLab itself with `search=`
//! (matching `group/project` when the search contains `/`). `can-admin-hooks` is true
//! where the token's role (project or inherited group access) is Maintainer or Owner.

use git_access_plugin_sdk::{api_url, timestamp, ProviderError};
use serde::Deserialize;

use crate::api_client::{project_path, GitLab};
use crate::bindings::types::{
    Branch, BranchPage, PageRequest, Repository, RepositoryPage, RepositoryRef, Visibility,
};
use crate::paging::{self, Cursor};

/// Lowest access level that may manage project webhooks: Maintainer.
pub const MAINTAINER: u32 = 40;

/// A project as GitLab returns it (the fields this plugin reads).
#[derive(Debug, Clone, Deserialize)]
pub struct ProjectJson {
    pub id: u64,
    pub path: String,
    pub path_with_namespace: String,
    #[serde(default)]
    pub namespace: Option<NamespaceJson>,
    pub web_url: String,
    pub http_url_to_repo: Option<String>,
    pub default_branch: Option<String>,
    pub visibility: Option<String>,
    pub last_activity_at: Option<String>,
    pub permissions: Option<PermissionsJson>,
}

/// The namespace (user, group or subgroup) a project lives in.
#[derive(Debug, Clone, Deserialize)]
pub struct NamespaceJson {
    pub full_path: String,
}

/// The caller's access to a project: directly, and through the project's group.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub struct PermissionsJson {
    pub project_access: Option<AccessJson>,
    pub group_access: Option<AccessJson>,
}

/// One access level (10 Guest … 40 Maintainer, 50 Owner).
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct AccessJson {
    pub access_level: u32,
}

impl ProjectJson {
    /// The caller's effective access level, if GitLab said.
    pub fn access_level(&self) -> Option<u32> {
        let permissions = self.permissions?;
        [permissions.project_access, permissions.group_access]
            .into_iter()
            .flatten()
            .map(|a| a.access_level)
            .max()
    }
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
    id: String,
}

/// One page of the projects the token is a member of.
pub fn list_repositories(
    gitlab: &GitLab,
    request: &PageRequest,
) -> Result<RepositoryPage, ProviderError> {
    if gitlab.token().is_empty() {
        return Err(ProviderError::InvalidInput(
            "listing projects needs a token; a public project can be read by its path".to_string(),
        ));
    }
    let cursor = Cursor::of(request)?;
    let mut pairs = vec![
        ("membership", "true"),
        ("simple", "false"),
        ("order_by", "path"),
        ("sort", "asc"),
    ];
    let search = paging::search(request);
    if let Some(text) = search {
        pairs.push(("search", text));
        if text.contains('/') {
            pairs.push(("search_namespaces", "true"));
        }
    }
    let path = cursor.query(&api_url::with_query("/projects", pairs));
    let response = gitlab.call(gitlab.get(&path))?;
    let projects: Vec<ProjectJson> = response.json()?;
    Ok(RepositoryPage {
        items: projects.into_iter().map(repository).collect(),
        next: cursor.next(&response),
    })
}

/// Reads one project (anonymously too, for a public one).
pub fn get_repository(gitlab: &GitLab, repo: &RepositoryRef) -> Result<Repository, ProviderError> {
    let project: ProjectJson = gitlab.get_json(&project_path(repo)?)?;
    Ok(repository(project))
}

/// One page of a project's branches, filtered by GitLab with `search=`.
pub fn list_branches(
    gitlab: &GitLab,
    repo: &RepositoryRef,
    request: &PageRequest,
) -> Result<BranchPage, ProviderError> {
    let cursor = Cursor::of(request)?;
    let mut path = format!("{}/repository/branches", project_path(repo)?);
    if let Some(text) = paging::search(request) {
        path = api_url::with_query(&path, [("search", text)]);
    }
    let response = gitlab.call(gitlab.get(&cursor.query(&path)))?;
    let branches: Vec<BranchJson> = response.json()?;
    Ok(BranchPage {
        items: branches
            .into_iter()
            .map(|b| Branch {
                name: b.name,
                commit_sha: b.commit.id,
                protected: b.protected,
            })
            .collect(),
        next: cursor.next(&response),
    })
}

/// The contract's view of a GitLab project.
pub fn repository(json: ProjectJson) -> Repository {
    let visibility = match json.visibility.as_deref() {
        Some("public") => Visibility::Public,
        Some("internal") => Visibility::Internal,
        _ => Visibility::Private,
    };
    let can_admin_hooks = json.access_level().is_some_and(|level| level >= MAINTAINER);
    let owner = json
        .namespace
        .as_ref()
        .map(|n| n.full_path.clone())
        .or_else(|| {
            json.path_with_namespace
                .rsplit_once('/')
                .map(|(owner, _)| owner.to_string())
        })
        .unwrap_or_default();
    let clone_url = json
        .http_url_to_repo
        .clone()
        .unwrap_or_else(|| format!("{}.git", json.web_url));
    Repository {
        id: json.id.to_string(),
        owner,
        name: json.path,
        full_name: json.path_with_namespace,
        html_url: json.web_url,
        clone_url,
        default_branch: json.default_branch.filter(|b| !b.is_empty()),
        visibility,
        can_admin_hooks,
        updated_at: json
            .last_activity_at
            .as_deref()
            .and_then(timestamp::normalize_rfc3339),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api_client::fake::FakeGitLab;
    use serde_json::json;

    fn project(id: u64, path: &str, level: Option<u32>) -> serde_json::Value {
        json!({
            "id": id, "path": path, "name": path, "path_with_namespace": format!("acme/platform/{path}"),
            "namespace": {"full_path": "acme/platform"},
            "web_url": format!("https://gitlab.example.com/acme/platform/{path}"),
            "http_url_to_repo": format!("https://gitlab.example.com/acme/platform/{path}.git"),
            "default_branch": "main", "visibility": "internal",
            "last_activity_at": "2024-05-01T10:00:00.123+02:00",
            "permissions": {"project_access": level.map(|l| json!({"access_level": l})), "group_access": {"access_level": 30}}
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
    fn lists_membership_projects_page_by_page() {
        let body = json!([project(1, "api", Some(40)), project(2, "web", None)]).to_string();
        let fake = FakeGitLab::new().on("GET", "/projects?", 200, &[("X-Next-Page", "3")], &body);
        let gitlab = GitLab::new("https://gitlab.example.com/api/v4", "glpat-x", &fake).unwrap();
        let page = list_repositories(&gitlab, &request(Some("2:50"), 10, Some("a/b"))).unwrap();
        assert_eq!(page.next.as_deref(), Some("3:50"));
        assert_eq!(
            fake.sent_lines(),
            ["GET https://gitlab.example.com/api/v4/projects?membership=true&simple=false&order_by=path&sort=asc&search=a%2Fb&search_namespaces=true&per_page=50&page=2"]
        );
        let api = &page.items[0];
        assert_eq!(api.id, "1");
        assert_eq!(api.owner, "acme/platform");
        assert_eq!(api.name, "api");
        assert_eq!(api.full_name, "acme/platform/api");
        assert_eq!(api.visibility, Visibility::Internal);
        assert!(api.can_admin_hooks);
        assert_eq!(api.updated_at.as_deref(), Some("2024-05-01T08:00:00Z"));
        assert!(!page.items[1].can_admin_hooks, "developer via the group");
    }

    #[test]
    fn last_page_and_anonymous_listing() {
        let fake = FakeGitLab::new().on("GET", "/projects?", 200, &[("X-Next-Page", "")], "[]");
        let gitlab = GitLab::new("", "glpat-x", &fake).unwrap();
        let page = list_repositories(&gitlab, &request(None, 0, None)).unwrap();
        assert!(page.items.is_empty() && page.next.is_none());
        assert!(fake.sent_lines()[0].ends_with("&per_page=20&page=1"));
        let anonymous = GitLab::new("", "", &fake).unwrap();
        assert!(matches!(
            list_repositories(&anonymous, &request(None, 0, None)),
            Err(ProviderError::InvalidInput(_))
        ));
    }

    #[test]
    fn reads_a_project_and_its_branches() {
        let fake = FakeGitLab::new()
            .on(
                "GET",
                "/projects/acme%2Fplatform%2Fapi/repository/branches",
                200,
                &[("X-Next-Page", "2")],
                r#"[{"name":"main","commit":{"id":"abc"},"protected":true},{"name":"dev","commit":{"id":"def"}}]"#,
            )
            .on(
                "GET",
                "/projects/acme%2Fplatform%2Fapi",
                200,
                &[],
                &project(1, "api", Some(50)).to_string(),
            );
        let gitlab = GitLab::new("", "glpat-x", &fake).unwrap();
        let repo = RepositoryRef {
            owner: "acme/platform".into(),
            name: "api".into(),
        };
        let found = get_repository(&gitlab, &repo).unwrap();
        assert_eq!(found.default_branch.as_deref(), Some("main"));
        assert!(found.can_admin_hooks);
        let branches = list_branches(&gitlab, &repo, &request(None, 2, Some("ma"))).unwrap();
        assert_eq!(branches.items.len(), 2);
        assert!(branches.items[0].protected && !branches.items[1].protected);
        assert_eq!(branches.items[1].commit_sha, "def");
        assert_eq!(branches.next.as_deref(), Some("2:2"));
        assert!(fake.sent_lines()[1].ends_with("/repository/branches?search=ma&per_page=2&page=1"));
    }

    #[test]
    fn missing_projects_are_not_found() {
        let fake = FakeGitLab::new();
        let gitlab = GitLab::new("", "glpat-x", &fake).unwrap();
        let repo = RepositoryRef {
            owner: "acme".into(),
            name: "gone".into(),
        };
        assert!(matches!(
            get_repository(&gitlab, &repo),
            Err(ProviderError::NotFound(_))
        ));
    }
}
