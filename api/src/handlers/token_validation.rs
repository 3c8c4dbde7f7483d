//! `POST /api/providers/{provider}/validate-token`: asks a provider what a token is and
//! whether it has every permission git-access needs, before anything stores it.
//!
//! Request: `{"token": "...", "git_api_url": null | "https://...", "workspace": null | "..."}`
//! (the other Git token members, `name`, `type` and `description`, are accepted and
//! ignored, so a console can post its form as it is). Answers 200 with the provider's
//! token report when nothing is missing, 422 when permissions are missing or the token is
//! refused, 502 when the provider cannot answer. The token value is never echoed: request
//! errors do not quote it, and every response built after the provider call goes through
//! [`redact`](crate::redact).

use std::fmt;

use crate::json_body;
use crate::problem::Problem;
use crate::providers::token_check::{self, Connection};
use crate::providers::{self};
use crate::redact;
use crate::reply::Reply;

/// Members the body may have.
const MEMBERS: &[&str] = &[
    "token",
    "git_api_url",
    "workspace",
    "name",
    "type",
    "description",
];

/// Handles the route for the provider named in the path.
pub async fn validate(provider: &str, body: &[u8]) -> Result<Reply, Problem> {
    let ids = providers::configured()?;
    let id = providers::find(&ids, provider).ok_or_else(|| providers::unknown(provider, &ids))?;
    let check = TokenCheck::parse(body)?;
    match token_check::validate(id, &check.connection()).await {
        Ok(mut report) => {
            redact::value(&mut report, &check.token);
            Ok(Reply::json(200, &report))
        }
        Err(problem) => Err(problem.redact(&check.token)),
    }
}

/// A validated request body.
#[derive(Clone, PartialEq, Eq)]
struct TokenCheck {
    /// The credential, trimmed; never logged or echoed.
    token: String,
    /// API base URL for a self-managed server, without a trailing `/`.
    git_api_url: Option<String>,
    /// Workspace or namespace the token is bound to.
    workspace: Option<String>,
}

impl fmt::Debug for TokenCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCheck")
            .field("token", &redact::MARK)
            .field("git_api_url", &self.git_api_url)
            .field("workspace", &self.workspace)
            .finish()
    }
}

impl TokenCheck {
    /// Parses and checks the body; 400 naming the member at fault.
    fn parse(body: &[u8]) -> Result<Self, Problem> {
        let members = json_body::parse_object(body, MEMBERS)?;
        let token = members.required_string("token")?;
        json_body::check_token(&token)?;
        let git_api_url = members
            .optional_string("git_api_url")?
            .map(|url| json_body::git_api_url(&url))
            .transpose()?;
        let workspace = members.optional_string("workspace")?;
        Ok(Self {
            token,
            git_api_url,
            workspace,
        })
    }

    fn connection(&self) -> Connection<'_> {
        Connection {
            api_url: self.git_api_url.as_deref(),
            token: &self.token,
            workspace: self.workspace.as_deref(),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;

    const TOKEN: &str = "ghp_abcdefghijklmnopqrstuvwxyz0123456789";

    fn parse(body: Value) -> Result<TokenCheck, Problem> {
        TokenCheck::parse(body.to_string().as_bytes())
    }

    fn rejection(body: &[u8]) -> Problem {
        match TokenCheck::parse(body) {
            Err(problem) => problem,
            Ok(check) => panic!("accepted {check:?}"),
        }
    }

    #[test]
    fn parses_a_full_request() {
        let check = parse(json!({
            "token": format!(" {TOKEN}\n"),
            "git_api_url": "https://ghe.example.com/api/v3/",
            "workspace": "team",
            "name": "ignored",
            "type": "GITHUB",
            "description": null,
        }))
        .unwrap();
        assert_eq!(check.token, TOKEN);
        assert_eq!(
            check.git_api_url.as_deref(),
            Some("https://ghe.example.com/api/v3")
        );
        assert_eq!(
            check.connection().gateway_args(),
            json!({"conn": {"api_url": "https://ghe.example.com/api/v3", "token": TOKEN, "workspace": "team"}})
        );
    }

    #[test]
    fn optional_members_default_to_the_provider() {
        for body in [
            json!({"token": TOKEN}),
            json!({"token": TOKEN, "git_api_url": null, "workspace": null}),
            json!({"token": TOKEN, "git_api_url": "", "workspace": "  "}),
        ] {
            let check = parse(body).unwrap();
            assert_eq!(
                check.connection().gateway_args(),
                json!({"conn": {"api_url": "", "token": TOKEN, "workspace": null}})
            );
        }
        let check = parse(json!({"token": TOKEN, "git_api_url": "http://127.0.0.1:9000"})).unwrap();
        assert_eq!(check.git_api_url.as_deref(), Some("http://127.0.0.1:9000"));
    }

    #[test]
    fn request_errors_name_the_member() {
        let cases: [(&[u8], &str); 10] = [
            (b"", "The request body is empty; send a JSON object."),
            (b"{", "The request body is not valid JSON: EOF while parsing an object at line 1 column 1."),
            (b"[]", "The request body must be a JSON object, found an array."),
            (b"{}", "Member 'token' is required."),
            (br#"{"token": null}"#, "Member 'token' is required."),
            (br#"{"token": "  "}"#, "Member 'token' is required."),
            (br#"{"token": 42}"#, "Member 'token' must be a string or null, found a number."),
            (br#"{"token": "abcdefgh", "workspace": ["a"]}"#, "Member 'workspace' must be a string or null, found an array."),
            (br#"{"token": "abcdefgh", "git_api_url": true}"#, "Member 'git_api_url' must be a string or null, found a boolean."),
            (br#"{"token": "abcdefgh", "git_api_url": "ghe.example.com"}"#, "Member 'git_api_url' must start with https://; give the API base URL of a self-managed server, e.g. https://ghe.example.com/api/v3, or null for the provider's default."),
        ];
        for (body, detail) in cases {
            let problem = rejection(body);
            assert_eq!(problem.status(), 400);
            assert_eq!(problem.slug(), "invalid-request");
            assert_eq!(problem.detail(), detail);
        }
        let problem = rejection(br#"{"token": "ghp_abc def"}"#);
        assert_eq!(
            problem.detail(),
            "Member 'token' must not contain whitespace or control characters."
        );
        let problem = rejection(br#"{"token": "abcdefgh", "tokn": "x"}"#);
        assert_eq!(
            problem.detail(),
            "Unknown member 'tokn'; this endpoint accepts: token, git_api_url, workspace, name, \
             type, description."
        );
        for url in [
            "https://",
            "https:///x",
            "ftp://h",
            "https://h x",
            "http://ghe.example.com",
        ] {
            let body = json!({"token": TOKEN, "git_api_url": url}).to_string();
            assert_eq!(rejection(body.as_bytes()).status(), 400, "{url}");
        }
    }

    #[test]
    fn request_errors_never_quote_the_token() {
        for body in [
            format!(r#"{{"token": "{TOKEN}", "git_api_url": "{TOKEN}"}}"#),
            format!(r#"{{"token": "{TOKEN}", "workspace": 1, "#),
            format!(r#"{{"token": "{TOKEN}\u0001"}}"#),
            format!("{{\"token\": \"{TOKEN}\u{1}\"}}"),
            format!(r#"{{"token": "{TOKEN} {TOKEN}"}}"#),
            format!(r#"["{TOKEN}"]"#),
        ] {
            let rendered = rejection(body.as_bytes()).to_json().to_string();
            assert!(!rendered.contains(TOKEN), "{rendered}");
        }
        let debug = format!("{:?}", parse(json!({"token": TOKEN})).unwrap());
        assert!(!debug.contains(TOKEN), "{debug}");
    }
}
