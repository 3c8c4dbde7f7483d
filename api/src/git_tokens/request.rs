//! The `GitTokenRequest` body of `POST …/gitToken` and `PUT …/gitToken/{id}`:
//! `name`*, `type`*, `token`*, `description`, `workspace`, `git_api_url`.

use std::fmt;

use crate::json_body::{self, Members};
use crate::problem::Problem;
use crate::redact;

/// Members the body may have.
pub const MEMBERS: &[&str] = &[
    "name",
    "type",
    "token",
    "description",
    "workspace",
    "git_api_url",
];

/// A checked request. Provider-dependent rules (is `type` installed, is `workspace`
/// required) are checked by the handler, which knows the providers.
#[derive(Clone, PartialEq, Eq)]
pub struct GitTokenRequest {
    /// Name, unique per organization ignoring case.
    pub name: String,
    /// Provider type as given, e.g. `GITHUB`.
    pub provider_type: String,
    /// The credential; never logged or echoed.
    pub token: String,
    /// Free text.
    pub description: Option<String>,
    /// Workspace (Bitbucket) or namespace.
    pub workspace: Option<String>,
    /// API base URL of a self-managed server.
    pub git_api_url: Option<String>,
}

impl fmt::Debug for GitTokenRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GitTokenRequest")
            .field("name", &self.name)
            .field("type", &self.provider_type)
            .field("token", &redact::MARK)
            .field("description", &self.description)
            .field("workspace", &self.workspace)
            .field("git_api_url", &self.git_api_url)
            .finish()
    }
}

impl GitTokenRequest {
    /// Parses and checks the body; 400 naming the member at fault.
    pub fn parse(body: &[u8]) -> Result<Self, Problem> {
        let members = json_body::parse_object(body, MEMBERS)?;
        Self::from_members(&members)
    }

    fn from_members(members: &Members) -> Result<Self, Problem> {
        let name = members.required_string("name")?;
        json_body::check_text("name", &name, 255)?;
        let provider_type = members.required_string("type")?;
        if !provider_type
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            || provider_type.len() > 63
        {
            return Err(Problem::bad_request(
                "Member 'type' must be a provider type such as GITHUB, GITLAB or BITBUCKET.",
            ));
        }
        let token = members.required_string("token")?;
        json_body::check_token(&token)?;
        let description = members.optional_string("description")?;
        if let Some(description) = &description {
            json_body::check_text("description", description, 1024)?;
        }
        let workspace = members.optional_string("workspace")?;
        if let Some(workspace) = &workspace {
            if workspace.len() > 255
                || !workspace
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_./".contains(&b))
            {
                return Err(Problem::bad_request(
                    "Member 'workspace' must be a workspace or namespace slug (letters, digits, \
                     '-', '_', '.', '/'; at most 255).",
                ));
            }
        }
        let git_api_url = members
            .optional_string("git_api_url")?
            .map(|url| json_body::git_api_url(&url))
            .transpose()?;
        Ok(Self {
            name,
            provider_type,
            token,
            description,
            workspace,
            git_api_url,
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const TOKEN: &str = "ghp_abcdefghijklmnopqrstuvwxyz0123456789";

    fn parse(body: serde_json::Value) -> Result<GitTokenRequest, Problem> {
        GitTokenRequest::parse(body.to_string().as_bytes())
    }

    #[test]
    fn parses_a_full_request() {
        let request = parse(json!({
            "name": " deploy ",
            "type": "GITHUB",
            "token": TOKEN,
            "description": "CI token",
            "workspace": null,
            "git_api_url": "https://ghe.example.com/api/v3/",
        }))
        .unwrap();
        assert_eq!(request.name, "deploy");
        assert_eq!(request.provider_type, "GITHUB");
        assert_eq!(request.token, TOKEN);
        assert_eq!(
            request.git_api_url.as_deref(),
            Some("https://ghe.example.com/api/v3")
        );
        assert!(!format!("{request:?}").contains(TOKEN));
    }

    #[test]
    fn errors_name_the_member_and_never_quote_the_token() {
        let base = json!({"name": "n", "type": "GITHUB", "token": TOKEN});
        let with = |member: &str, value: serde_json::Value| {
            let mut body = base.clone();
            body[member] = value;
            body
        };
        let cases = [
            (json!({"type": "GITHUB", "token": TOKEN}), "Member 'name' is required."),
            (json!({"name": "n", "token": TOKEN}), "Member 'type' is required."),
            (json!({"name": "n", "type": "GITHUB"}), "Member 'token' is required."),
            (with("name", json!("x".repeat(256))), "Member 'name' is longer than 255 characters."),
            (with("type", json!("git hub")), "Member 'type' must be a provider type such as GITHUB, GITLAB or BITBUCKET."),
            (with("token", json!(format!("{TOKEN} x"))), "Member 'token' must not contain whitespace or control characters."),
            (with("workspace", json!("a b")), "Member 'workspace' must be a workspace or namespace slug (letters, digits, '-', '_', '.', '/'; at most 255)."),
            (with("git_api_url", json!("http://ghe.example.com")), "Member 'git_api_url' must use https:// (plain http:// is accepted only for 127.0.0.1, localhost and [::1]); give the API base URL of a self-managed server, e.g. https://ghe.example.com/api/v3, or null for the provider's default."),
            (with("tokenn", json!(TOKEN)), "Unknown member 'tokenn'; this endpoint accepts: name, type, token, description, workspace, git_api_url."),
            (with("description", json!(1)), "Member 'description' must be a string or null, found a number."),
        ];
        for (body, detail) in cases {
            let problem = parse(body).unwrap_err();
            assert_eq!(problem.status(), 400);
            assert_eq!(problem.detail(), detail);
            assert!(!problem.to_json().to_string().contains(TOKEN));
        }
    }
}
