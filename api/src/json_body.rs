//! Request bodies: size limit, JSON objects with a known set of members, and typed access
//! to members with errors that name the member.
//!
//! Bodies are parsed into `serde_json::Value` first and members are read by hand, so an
//! error never quotes the input: request bodies carry credentials.

use serde_json::{Map, Value};

use crate::problem::Problem;

/// Largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Largest webhook delivery accepted, in bytes (providers send up to 25 MB, but push
/// and pull request payloads this large are not worth a deployment trigger).
pub const MAX_WEBHOOK_BYTES: usize = 1024 * 1024;

/// 413 when the declared or actual body size exceeds [`MAX_BODY_BYTES`].
#[cfg(test)]
pub fn check_size(content_length: Option<&str>, actual: usize) -> Result<(), Problem> {
    check_size_within(content_length, actual, MAX_BODY_BYTES)
}

/// 413 when the declared or actual body size exceeds `limit` bytes.
pub fn check_size_within(
    content_length: Option<&str>,
    actual: usize,
    limit: usize,
) -> Result<(), Problem> {
    let declared = content_length.and_then(|v| v.trim().parse::<u64>().ok());
    let too_big = |n: u64| n > limit as u64;
    if declared.is_some_and(too_big) || too_big(actual as u64) {
        return Err(Problem::new(
            413,
            "payload-too-large",
            "Payload too large",
            format!(
                "The request body is larger than {} KiB, the most this endpoint accepts.",
                limit / 1024
            ),
        ));
    }
    Ok(())
}

/// The members of a JSON object body.
#[derive(Debug, Clone, PartialEq)]
pub struct Members(Map<String, Value>);

/// Parses a JSON object whose members are all in `allowed`; 400 naming each unknown one.
pub fn parse_object(body: &[u8], allowed: &[&str]) -> Result<Members, Problem> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Problem::bad_request(
            "The request body is empty; send a JSON object.",
        ));
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| Problem::bad_request(format!("The request body is not valid JSON: {e}.")))?;
    let Value::Object(members) = value else {
        return Err(Problem::bad_request(format!(
            "The request body must be a JSON object, found {}.",
            kind(&value)
        )));
    };
    let unknown: Vec<String> = members
        .keys()
        .filter(|name| !allowed.contains(&name.as_str()))
        .map(|name| printable_name(name))
        .collect();
    if !unknown.is_empty() {
        let plural = if unknown.len() == 1 { "" } else { "s" };
        let quoted: Vec<String> = unknown.iter().map(|n| format!("'{n}'")).collect();
        return Err(Problem::bad_request(format!(
            "Unknown member{plural} {}; this endpoint accepts: {}.",
            quoted.join(", "),
            allowed.join(", ")
        ))
        .with("unknown_members", unknown));
    }
    Ok(Members(members))
}

/// A member name fit to quote: short names as they are, long ones (which may well be
/// a pasted credential) cut to a prefix.
fn printable_name(name: &str) -> String {
    const LONGEST: usize = 32;
    let clean: String = name
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if clean.chars().count() <= LONGEST {
        clean
    } else {
        let prefix: String = clean.chars().take(8).collect();
        format!("{prefix}…")
    }
}

impl Members {
    /// A string member, trimmed; absent, `null` and blank read as `None`.
    pub fn optional_string(&self, name: &str) -> Result<Option<String>, Problem> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => {
                let s = s.trim();
                Ok((!s.is_empty()).then(|| s.to_owned()))
            }
            Some(other) => Err(Problem::bad_request(format!(
                "Member '{name}' must be a string or null, found {}.",
                kind(other)
            ))),
        }
    }

    /// A boolean member; absent and `null` read as `false`.
    pub fn optional_bool(&self, name: &str) -> Result<bool, Problem> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(other) => Err(Problem::bad_request(format!(
                "Member '{name}' must be true or false, found {}.",
                kind(other)
            ))),
        }
    }

    /// A member that is a JSON object whose members are all in `allowed`; absent and
    /// `null` read as `None`.
    pub fn optional_object(
        &self,
        name: &str,
        allowed: &[&str],
    ) -> Result<Option<Members>, Problem> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(members)) => {
                let unknown: Vec<String> = members
                    .keys()
                    .filter(|m| !allowed.contains(&m.as_str()))
                    .map(|m| format!("'{name}.{}'", printable_name(m)))
                    .collect();
                if unknown.is_empty() {
                    Ok(Some(Members(members.clone())))
                } else {
                    Err(Problem::bad_request(format!(
                        "Unknown member(s) {}; '{name}' accepts: {}.",
                        unknown.join(", "),
                        allowed.join(", ")
                    )))
                }
            }
            Some(other) => Err(Problem::bad_request(format!(
                "Member '{name}' must be an object, found {}.",
                kind(other)
            ))),
        }
    }

    /// A string member that must be present and not blank.
    pub fn required_string(&self, name: &str) -> Result<String, Problem> {
        self.optional_string(name)?
            .ok_or_else(|| Problem::bad_request(format!("Member '{name}' is required.")))
    }
}

/// 400 unless `value` has at most `max` characters and no control characters.
pub fn check_text(name: &str, value: &str, max: usize) -> Result<(), Problem> {
    if value.chars().count() > max {
        return Err(Problem::bad_request(format!(
            "Member '{name}' is longer than {max} characters."
        )));
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(Problem::bad_request(format!(
            "Member '{name}' must not contain control characters."
        )));
    }
    Ok(())
}

/// Checks a `token` value: it travels in an HTTP header, so a space or control character
/// inside means a paste went wrong. Never quotes it.
pub fn check_token(value: &str) -> Result<(), Problem> {
    if value.contains(|c: char| c.is_whitespace() || c.is_control()) {
        return Err(Problem::bad_request(
            "Member 'token' must not contain whitespace or control characters.",
        ));
    }
    if value.len() > 4096 {
        return Err(Problem::bad_request(
            "Member 'token' is longer than 4096 bytes.",
        ));
    }
    Ok(())
}

/// Checks `git_api_url`: an absolute `https://` URL with a host, or `http://` on a
/// loopback host (local mocks and tests); no credentials, query or fragment. Drops a
/// trailing `/`. The value is not quoted back: users do paste tokens into the wrong field.
pub fn git_api_url(url: &str) -> Result<String, Problem> {
    let invalid = |why: &str| {
        Problem::bad_request(format!(
            "Member 'git_api_url' {why}; give the API base URL of a self-managed server, \
             e.g. https://ghe.example.com/api/v3, or null for the provider's default."
        ))
    };
    let lower = url.to_ascii_lowercase();
    let (secure, rest) = match (
        lower.strip_prefix("https://"),
        lower.strip_prefix("http://"),
    ) {
        (Some(rest), _) => (true, rest),
        (None, Some(rest)) => (false, rest),
        _ => return Err(invalid("must start with https://")),
    };
    if url.contains(|c: char| c.is_whitespace() || c.is_control()) || rest.contains(['?', '#']) {
        return Err(invalid("must not contain spaces, a query or a fragment"));
    }
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.contains('@') {
        return Err(invalid("must not contain credentials"));
    }
    let host = if authority.starts_with('[') {
        authority
            .split(']')
            .next()
            .map(|h| format!("{h}]"))
            .unwrap_or_default()
    } else {
        authority.split(':').next().unwrap_or_default().to_owned()
    };
    if host.is_empty() || host == "[]" {
        return Err(invalid("must name a host"));
    }
    if !secure && !is_loopback(&host) {
        return Err(invalid(
            "must use https:// (plain http:// is accepted only for 127.0.0.1, localhost and [::1])",
        ));
    }
    Ok(url.trim_end_matches('/').to_owned())
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host == "[::1]"
        || host.starts_with("127.") && host.split('.').count() == 4
}

/// What a JSON value is, for error messages.
pub fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn size_limit_is_413() {
        assert!(check_size(None, MAX_BODY_BYTES).is_ok());
        assert!(check_size(Some("12"), 12).is_ok());
        let problem = check_size(None, MAX_BODY_BYTES + 1).unwrap_err();
        assert_eq!(problem.status(), 413);
        assert_eq!(
            problem.detail(),
            "The request body is larger than 64 KiB, the most this endpoint accepts."
        );
        assert_eq!(check_size(Some("1000000"), 0).unwrap_err().status(), 413);
    }

    #[test]
    fn unknown_members_are_named() {
        let body = json!({"name": "a", "tokn": "x", "colour": 1}).to_string();
        let problem = parse_object(body.as_bytes(), &["name", "token"]).unwrap_err();
        assert_eq!(problem.status(), 400);
        assert_eq!(
            problem.detail(),
            "Unknown members 'colour', 'tokn'; this endpoint accepts: name, token."
        );
        assert_eq!(
            problem.member("unknown_members"),
            Some(&json!(["colour", "tokn"]))
        );
        let secret = "ghp_abcdefghijklmnopqrstuvwxyz0123456789";
        let body = json!({ secret: 1 }).to_string();
        let rendered = parse_object(body.as_bytes(), &["name"])
            .unwrap_err()
            .to_json()
            .to_string();
        assert!(!rendered.contains(secret), "{rendered}");
        assert!(rendered.contains("'ghp_abcd…'"), "{rendered}");
    }

    #[test]
    fn members_are_typed() {
        let body = br#"{"a": " x ", "b": null, "c": "  ", "d": 3}"#;
        let m = parse_object(body, &["a", "b", "c", "d"]).unwrap();
        assert_eq!(m.optional_string("a").unwrap().as_deref(), Some("x"));
        assert_eq!(m.optional_string("b").unwrap(), None);
        assert_eq!(m.optional_string("c").unwrap(), None);
        assert_eq!(m.optional_string("zz").unwrap(), None);
        assert_eq!(
            m.optional_string("d").unwrap_err().detail(),
            "Member 'd' must be a string or null, found a number."
        );
        assert_eq!(
            m.required_string("c").unwrap_err().detail(),
            "Member 'c' is required."
        );
    }

    #[test]
    fn malformed_bodies_are_400() {
        for (body, detail) in [
            (&b" "[..], "The request body is empty; send a JSON object."),
            (b"[1]", "The request body must be a JSON object, found an array."),
            (b"{", "The request body is not valid JSON: EOF while parsing an object at line 1 column 1."),
        ] {
            assert_eq!(parse_object(body, &[]).unwrap_err().detail(), detail);
        }
    }

    #[test]
    fn git_api_url_needs_https_except_on_loopback() {
        for (url, expected) in [
            (
                "https://ghe.example.com/api/v3/",
                "https://ghe.example.com/api/v3",
            ),
            ("HTTPS://GHE.example.com", "HTTPS://GHE.example.com"),
            ("http://127.0.0.1:9000", "http://127.0.0.1:9000"),
            (
                "http://localhost:8080/api/v4",
                "http://localhost:8080/api/v4",
            ),
            ("http://[::1]:1/x", "http://[::1]:1/x"),
        ] {
            assert_eq!(git_api_url(url).unwrap(), expected, "{url}");
        }
        for url in [
            "http://ghe.example.com",
            "http://127.0.0.1.evil.com",
            "ghe.example.com",
            "ftp://h",
            "https://",
            "https:///x",
            "https://h x",
            "https://user:pw@h",
            "https://h/?q=1",
        ] {
            let problem = git_api_url(url).unwrap_err();
            assert_eq!(problem.status(), 400, "{url}");
            assert!(
                problem.detail().starts_with("Member 'git_api_url' "),
                "{url}"
            );
        }
    }
}
