//! API errors as problem details (RFC 9457): every error response is a JSON object
//! `{type, title, status, detail, instance}` served as `application/problem+json`,
//! sometimes with extra members (e.g. `missing_permissions`, `retry_after`).
//!
//! `type` is a relative URI `/problems/<slug>`, one slug per kind of error, so clients
//! can branch on it; `title` is fixed per slug; `detail` says precisely what went wrong
//! with this request; `instance` is the request path.

use serde_json::{Map, Value};

use crate::redact;
use crate::reply::Reply;

/// Prefix of every problem `type`.
pub const TYPE_PREFIX: &str = "/problems/";

/// Media type of problem responses.
pub const CONTENT_TYPE: &str = "application/problem+json";

/// One API error, ready to be rendered. Boxed so `Result<T, Problem>` stays small.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem(Box<Fields>);

#[derive(Debug, Clone, PartialEq)]
struct Fields {
    status: u16,
    slug: &'static str,
    title: &'static str,
    detail: String,
    instance: Option<String>,
    members: Map<String, Value>,
    headers: Vec<(&'static str, String)>,
}

impl Problem {
    /// A problem with the given status, type slug, title and detail.
    pub fn new(
        status: u16,
        slug: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        Self(Box::new(Fields {
            status,
            slug,
            title,
            detail: detail.into(),
            instance: None,
            members: Map::new(),
            headers: Vec::new(),
        }))
    }

    /// 400: the request body or a parameter is invalid.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(400, "invalid-request", "Invalid request", detail)
    }

    /// 404: no route has this path.
    pub fn route_not_found(method: &str, path: &str) -> Self {
        Self::new(
            404,
            "not-found",
            "Not found",
            format!("No endpoint matches {method} {path}."),
        )
    }

    /// 405: the path exists but not for this method; sets the `Allow` header.
    pub fn method_not_allowed(method: &str, path: &str, allow: &[&str]) -> Self {
        let allow = allow.join(", ");
        Self::new(
            405,
            "method-not-allowed",
            "Method not allowed",
            format!("{path} does not accept {method}; allowed: {allow}."),
        )
        .with_header("allow", allow)
    }

    /// 500: the deployment is misconfigured (a variable is missing or invalid).
    pub fn configuration(detail: impl Into<String>) -> Self {
        Self::new(500, "configuration", "Configuration error", detail)
    }

    /// Adds an extension member to the JSON body.
    pub fn with(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.0.members.insert(name.to_owned(), value.into());
        self
    }

    /// Adds a response header.
    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.0.headers.push((name, value.into()));
        self
    }

    /// Sets `instance` (the request path).
    pub fn at(mut self, instance: &str) -> Self {
        self.0.instance = Some(instance.to_owned());
        self
    }

    /// HTTP status.
    pub fn status(&self) -> u16 {
        self.0.status
    }

    /// The `type` slug, without [`TYPE_PREFIX`].
    pub fn slug(&self) -> &'static str {
        self.0.slug
    }

    /// The `detail` sentence.
    pub fn detail(&self) -> &str {
        &self.0.detail
    }

    /// An extension member, if set.
    #[cfg(test)]
    pub fn member(&self, name: &str) -> Option<&Value> {
        self.0.members.get(name)
    }

    /// Replaces every occurrence of `secret` in the detail and members (see [`redact`]).
    pub fn redact(mut self, secret: &str) -> Self {
        self.0.detail = redact::text(&self.0.detail, secret);
        for value in self.0.members.values_mut() {
            redact::value(value, secret);
        }
        self
    }

    /// The JSON body. Extension members never override the standard ones.
    pub fn to_json(&self) -> Value {
        let mut body = self.0.members.clone();
        body.insert(
            "type".into(),
            format!("{TYPE_PREFIX}{}", self.0.slug).into(),
        );
        body.insert("title".into(), self.0.title.into());
        body.insert("status".into(), self.0.status.into());
        body.insert("detail".into(), self.0.detail.clone().into());
        body.insert(
            "instance".into(),
            self.0.instance.clone().map_or(Value::Null, Value::String),
        );
        Value::Object(body)
    }

    /// The HTTP response.
    pub fn into_reply(self) -> Reply {
        let mut reply = Reply::json_as(self.0.status, CONTENT_TYPE, &self.to_json());
        for (name, value) in self.0.headers {
            reply = reply.with_header(name, value);
        }
        reply
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn renders_the_standard_members() {
        let problem = Problem::bad_request("Member 'token' is required.").at("/x");
        assert_eq!(
            problem.to_json(),
            json!({
                "type": "/problems/invalid-request",
                "title": "Invalid request",
                "status": 400,
                "detail": "Member 'token' is required.",
                "instance": "/x",
            })
        );
    }

    #[test]
    fn reply_has_problem_content_type_and_headers() {
        let reply = Problem::method_not_allowed("PUT", "/healthz", &["GET"])
            .at("/healthz")
            .into_reply();
        assert_eq!(reply.status, 405);
        assert_eq!(reply.header("content-type"), Some(CONTENT_TYPE));
        assert_eq!(reply.header("allow"), Some("GET"));
        let body: Value = serde_json::from_slice(&reply.body).unwrap();
        assert_eq!(body["status"], 405);
        assert_eq!(
            body["detail"],
            "/healthz does not accept PUT; allowed: GET."
        );
    }

    #[test]
    fn members_cannot_override_standard_fields() {
        let body = Problem::bad_request("real")
            .with("detail", "fake")
            .with("extra", 1)
            .to_json();
        assert_eq!(body["detail"], "real");
        assert_eq!(body["extra"], 1);
        assert_eq!(body["instance"], Value::Null);
    }

    #[test]
    fn redact_covers_detail_and_members() {
        let secret = "ghp_0123456789abcdef";
        let body = Problem::bad_request(format!("bad {secret}"))
            .with("report", json!({"warnings": [format!("seen {secret}")]}))
            .redact(secret)
            .to_json()
            .to_string();
        assert!(!body.contains(secret), "{body}");
    }
}
