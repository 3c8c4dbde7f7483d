//! Successful (and rendered problem) responses as plain data: status, headers, body.
//!
//! Handlers build a [`Reply`]; the entry point turns it into a Spin response. Keeping it
//! plain lets tests look at exactly what a client would receive.

use serde::Serialize;
#[cfg(test)]
use serde_json::Value;

/// The body of every list, `{"results": [...]}`, serialized without building a JSON tree.
#[derive(Serialize)]
pub struct Results<T> {
    /// The items.
    pub results: T,
}

/// An HTTP response before it is handed to Spin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Headers, names in lowercase.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl Reply {
    /// A JSON body with content type `application/json`.
    pub fn json(status: u16, body: &impl Serialize) -> Self {
        Self::json_as(status, "application/json", body)
    }

    /// A JSON body with the given content type.
    pub fn json_as(status: u16, content_type: &str, body: &impl Serialize) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            // Our bodies (JSON values and structs with string keys) always serialize.
            body: serde_json::to_vec(body).unwrap_or_else(|_| b"null".to_vec()),
        }
    }

    /// No body, e.g. 204 after a delete.
    pub fn empty(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// A body served as it is, with the given content type.
    pub fn raw(status: u16, content_type: &str, body: &[u8]) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.to_vec(),
        }
    }

    /// Adds a header.
    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_ascii_lowercase(), value.into()));
        self
    }

    /// The first value of a header, by lowercase name.
    #[cfg(test)]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The body parsed as JSON.
    #[cfg(test)]
    pub fn json_body(&self) -> Value {
        serde_json::from_slice(&self.body).expect("reply body is JSON")
    }
}

impl From<Reply> for spin_sdk::http::Response {
    fn from(reply: Reply) -> Self {
        let mut builder = spin_sdk::http::Response::builder();
        builder.status(reply.status);
        for (name, value) in reply.headers {
            builder.header(name, value);
        }
        builder.body(reply.body).build()
    }
}
