//! The git-access API as its clients use it: calls with an organization API key
//! (`Authorization: Token <key>`), organizations made with the operator's bootstrap token,
//! webhook deliveries posted to the public receiver, and an application's event feed.

use serde_json::{json, Value};

use crate::{HarnessError, Host, Reply};

/// Headers a delivery recorded by a mock carries that belong to its own connection, not
/// to the delivery (a new request gets its own).
const CONNECTION_HEADERS: &[&str] = &["host", "content-length"];

/// Client of one host's API.
pub struct ApiClient<'h> {
    host: &'h Host,
}

impl<'h> ApiClient<'h> {
    /// A client of `host`.
    pub fn new(host: &'h Host) -> Self {
        Self { host }
    }

    /// `method path` with `Authorization: Token <key>` and an optional JSON body.
    pub fn call(
        &self,
        method: &str,
        path: &str,
        key: &str,
        body: Option<&Value>,
    ) -> Result<Reply, HarnessError> {
        self.call_as(method, path, &format!("Token {key}"), body)
    }

    /// `method path` with this `Authorization` header (e.g. `Bearer <session>`) and an
    /// optional JSON body.
    pub fn call_as(
        &self,
        method: &str,
        path: &str,
        authorization: &str,
        body: Option<&Value>,
    ) -> Result<Reply, HarnessError> {
        let mut headers = vec![("authorization".to_owned(), authorization.to_owned())];
        if body.is_some() {
            headers.push(("content-type".to_owned(), "application/json".to_owned()));
        }
        let bytes = body.map(|b| b.to_string().into_bytes());
        self.host.send(method, path, &headers, bytes.as_deref())
    }

    /// Creates an organization named `name` with the operator's `bootstrap` token:
    /// `(organization id, the owner's API key)`.
    pub fn new_org(&self, bootstrap: &str, name: &str) -> Result<(String, String), HarnessError> {
        let created = self
            .call(
                "POST",
                "/organization",
                bootstrap,
                Some(&json!({ "name": name })),
            )?
            .expect(201)?;
        let member = |pointer: &str| {
            created
                .pointer(pointer)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| HarnessError::NotJson {
                    reason: format!("no {pointer} in the organization created"),
                    body: created.to_string(),
                })
        };
        Ok((member("/organization/id")?, member("/api_token/token")?))
    }

    /// Posts a delivery (headers and raw body, as a provider sends them) to the webhook
    /// receiver of application `app` of `provider` (`github`, `gitlab`, …).
    pub fn deliver(
        &self,
        provider: &str,
        app: &str,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Result<Reply, HarnessError> {
        let headers: Vec<(String, String)> = headers
            .iter()
            .filter(|(name, _)| {
                !CONNECTION_HEADERS
                    .iter()
                    .any(|c| name.eq_ignore_ascii_case(c))
            })
            .cloned()
            .collect();
        self.host.send(
            "POST",
            &format!("/webhooks/{provider}/{app}"),
            &headers,
            Some(body),
        )
    }

    /// The newest 100 events of application `app` whose `detail.type` is `kind` (`push`,
    /// `pull_request`, `ping`), newest first.
    pub fn events(
        &self,
        org: &str,
        app: &str,
        key: &str,
        kind: &str,
    ) -> Result<Vec<Value>, HarnessError> {
        let page = self
            .call(
                "GET",
                &format!("/organization/{org}/application/{app}/events?limit=100"),
                key,
                None,
            )?
            .expect(200)?;
        Ok(page["results"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["detail"]["type"] == kind)
            .cloned()
            .collect())
    }
}

/// An `ApplicationRequest` for the repository at `url` (a URL or `owner/name`) of
/// provider `provider_type` (`GITHUB`, `GITLAB`, `BITBUCKET`), on `branch`, with Git
/// token `token` (`None`: a public repository without credentials).
pub fn application_request(
    provider_type: &str,
    name: &str,
    url: &str,
    branch: &str,
    token: Option<&str>,
) -> Value {
    json!({
        "name": name,
        "git_repository": {
            "provider": provider_type,
            "url": url,
            "branch": branch,
            "root_path": "/",
            "git_token_id": token,
        }
    })
}
