//! `ApplicationRequest`: `{name, description?, git_repository: {provider, url, branch,
//! root_path?, git_token_id?, own_account?, github_app?}}`. `url` is a repository URL
//! (`https://github.com/o/r[.git]`) or `owner/name`. The account: `git_token_id` (an
//! organization Git token), `own_account: true` (the caller's linked Git account, for a
//! signed-in user), `github_app: true` (the organization's GitHub App installation), or
//! none (a public repository used without credentials).

use crate::ids;
use crate::json_body::{self, Members};
use crate::problem::Problem;

const MEMBERS: &[&str] = &["name", "description", "git_repository"];
const GIT_MEMBERS: &[&str] = &[
    "provider",
    "url",
    "branch",
    "root_path",
    "git_token_id",
    "own_account",
    "github_app",
];

/// A repository as `owner` (may hold `/` for nested namespaces) and `name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepositoryRef {
    /// Owner, organization, group path or workspace.
    pub owner: String,
    /// Repository name.
    pub name: String,
}

/// A parsed application request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationRequest {
    /// Name.
    pub name: String,
    /// Provider `type` as given (`GITHUB`).
    pub provider_type: String,
    /// The repository.
    pub repository: RepositoryRef,
    /// Branch.
    pub branch: String,
    /// Root path, `/` by default.
    pub root_path: String,
    /// Git token id (lowercase UUID), if any.
    pub git_token_id: Option<String>,
    /// Whether to use the caller's own linked Git account.
    pub own_account: bool,
    /// Whether to use the organization's GitHub App installation.
    pub github_app: bool,
}

impl ApplicationRequest {
    /// Parses and checks a body.
    pub fn parse(body: &[u8]) -> Result<Self, Problem> {
        let members = json_body::parse_object(body, MEMBERS)?;
        let name = members.required_string("name")?;
        json_body::check_text("name", &name, 100)?;
        if let Some(description) = members.optional_string("description")? {
            json_body::check_text("description", &description, 1000)?;
        }
        let git: Members = members
            .optional_object("git_repository", GIT_MEMBERS)?
            .ok_or_else(|| Problem::bad_request("Member 'git_repository' is required."))?;
        let provider_type = git.required_string("provider").map_err(prefixed)?;
        let url = git.required_string("url").map_err(prefixed)?;
        let repository = parse_repository(&url)?;
        let branch = git.required_string("branch").map_err(prefixed)?;
        if branch.len() > 255
            || branch.contains(|c: char| {
                c.is_whitespace() || c.is_control() || c == '~' || c == '^' || c == ':'
            })
            || branch.contains("..")
        {
            return Err(Problem::bad_request(
                "Member 'git_repository.branch' is not a valid branch name.",
            ));
        }
        let root_path = parse_root_path(git.optional_string("root_path")?)?;
        let git_token_id = git
            .optional_string("git_token_id")?
            .map(|id| ids::checked("git_repository.git_token_id", &id))
            .transpose()?;
        let own_account = git.optional_bool("own_account").map_err(prefixed)?;
        let github_app = git.optional_bool("github_app").map_err(prefixed)?;
        if [git_token_id.is_some(), own_account, github_app]
            .iter()
            .filter(|chosen| **chosen)
            .count()
            > 1
        {
            return Err(Problem::bad_request(
                "Give at most one of 'git_repository.git_token_id' (an organization Git token), \
                 'git_repository.own_account' (your linked Git account) and \
                 'git_repository.github_app' (the organization's GitHub App installation).",
            ));
        }
        Ok(Self {
            name,
            provider_type,
            repository,
            branch,
            root_path,
            git_token_id,
            own_account,
            github_app,
        })
    }
}

/// Names the nested member in "Member 'x' is required".
fn prefixed(problem: Problem) -> Problem {
    let detail = problem
        .detail()
        .replacen("Member '", "Member 'git_repository.", 1);
    Problem::bad_request(detail)
}

/// `owner/name` from a repository URL or `owner/name`.
pub fn parse_repository(input: &str) -> Result<RepositoryRef, Problem> {
    let invalid = || {
        Problem::bad_request(
            "Member 'git_repository.url' must be a repository URL such as \
             https://github.com/octocat/hello-world or owner/name.",
        )
    };
    let mut path = input.trim();
    for scheme in ["https://", "http://"] {
        if let Some(rest) = path.strip_prefix(scheme) {
            let (authority, rest) = rest.split_once('/').ok_or_else(invalid)?;
            if authority.is_empty() || authority.contains('@') {
                return Err(invalid());
            }
            path = rest;
        }
    }
    let path = path.trim_matches('/');
    let path = path.strip_suffix(".git").unwrap_or(path);
    let (owner, name) = path.rsplit_once('/').ok_or_else(invalid)?;
    let valid = |part: &str| {
        !part.is_empty()
            && part.split('/').all(|segment| {
                !segment.is_empty()
                    && segment != "."
                    && segment != ".."
                    && segment
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            })
    };
    if !valid(owner) || !valid(name) || name.contains('/') {
        return Err(invalid());
    }
    Ok(RepositoryRef {
        owner: owner.to_owned(),
        name: name.to_owned(),
    })
}

/// `/` by default; must start with `/`, no `..`, at most 255 characters.
fn parse_root_path(value: Option<String>) -> Result<String, Problem> {
    let path = value.unwrap_or_else(|| "/".to_owned());
    if !path.starts_with('/')
        || path.len() > 255
        || path.split('/').any(|s| s == "..")
        || path.contains(|c: char| c.is_control())
    {
        return Err(Problem::bad_request(
            "Member 'git_repository.root_path' must be an absolute path inside the repository \
             such as / or /services/web (no '..').",
        ));
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_urls_and_owner_name() {
        for input in [
            "octocat/hello",
            "https://github.com/octocat/hello",
            "https://github.com/octocat/hello.git",
            "https://github.com/octocat/hello/",
        ] {
            assert_eq!(
                parse_repository(input).unwrap(),
                RepositoryRef {
                    owner: "octocat".into(),
                    name: "hello".into()
                },
                "{input}"
            );
        }
        let nested = parse_repository("https://gitlab.com/group/sub/project").unwrap();
        assert_eq!(
            (nested.owner.as_str(), nested.name.as_str()),
            ("group/sub", "project")
        );
        for bad in [
            "hello",
            "",
            "https://github.com",
            "a/../b",
            "https://u:p@github.com/a/b",
            "a b/c",
        ] {
            assert_eq!(parse_repository(bad).unwrap_err().status(), 400, "{bad}");
        }
    }

    #[test]
    fn the_github_app_excludes_the_other_accounts() {
        let body = br#"{"name":"web","git_repository":{"provider":"GITHUB","url":"o/r",
            "branch":"main","github_app":true}}"#;
        let request = ApplicationRequest::parse(body).unwrap();
        assert!(request.github_app && !request.own_account && request.git_token_id.is_none());
        let both = br#"{"name":"web","git_repository":{"provider":"GITHUB","url":"o/r",
            "branch":"main","github_app":true,"own_account":true}}"#;
        let problem = ApplicationRequest::parse(both).unwrap_err();
        assert!(
            problem.detail().contains("at most one"),
            "{}",
            problem.detail()
        );
    }

    #[test]
    fn parses_a_request() {
        let body = br#"{"name":"web","git_repository":{"provider":"GITHUB","url":"octocat/hello",
            "branch":"main","git_token_id":"0B5E0F5E-8f59-4b5e-9c3a-1d2e3f4a5b6c"}}"#;
        let request = ApplicationRequest::parse(body).unwrap();
        assert_eq!(request.root_path, "/");
        assert_eq!(
            request.git_token_id.as_deref(),
            Some("0b5e0f5e-8f59-4b5e-9c3a-1d2e3f4a5b6c")
        );
        let missing = ApplicationRequest::parse(
            br#"{"name":"web","git_repository":{"provider":"GITHUB","url":"o/r"}}"#,
        )
        .unwrap_err();
        assert_eq!(
            missing.detail(),
            "Member 'git_repository.branch' is required."
        );
        let unknown = ApplicationRequest::parse(
            br#"{"name":"web","git_repository":{"provider":"GITHUB","url":"o/r","branch":"m","x":1}}"#,
        )
        .unwrap_err();
        assert!(
            unknown.detail().contains("'git_repository.x'"),
            "{}",
            unknown.detail()
        );
        let escape = ApplicationRequest::parse(
            br#"{"name":"web","git_repository":{"provider":"GITHUB","url":"o/r","branch":"m","root_path":"/../x"}}"#,
        )
        .unwrap_err();
        assert_eq!(escape.status(), 400);
    }
}
