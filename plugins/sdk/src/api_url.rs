//! API base URLs: choosing the base, joining paths, encoding path segments and queries.
//!
//! A connection's `api-url` is operator or user input and may point at a self-managed
//! server or a loopback mock (`http://127.0.0.1:8080`), so it is parsed, never trusted.

use crate::ProviderError;

/// An `http`/`https` URL split into its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpUrl {
    /// `http` or `https`, lowercase.
    pub scheme: String,
    /// Host with an optional `:port`, lowercase.
    pub authority: String,
    /// Path without a trailing `/` (empty for the root); query and fragment removed.
    pub path: String,
}

impl HttpUrl {
    /// Parses an absolute `http` or `https` URL without user info.
    pub fn parse(url: &str) -> Result<Self, ProviderError> {
        let invalid =
            |why: &str| ProviderError::InvalidInput(format!("invalid API URL `{url}`: {why}"));
        let url_trimmed = url.trim();
        let (scheme, rest) = url_trimmed
            .split_once("://")
            .ok_or_else(|| invalid("it must start with https:// or http://"))?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "https" && scheme != "http" {
            return Err(invalid("it must start with https:// or http://"));
        }
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(end);
        if authority.is_empty() {
            return Err(invalid("it has no host"));
        }
        if authority.contains('@') {
            return Err(invalid("credentials do not belong in the URL"));
        }
        if !authority
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._:[]".contains(&b))
        {
            return Err(invalid("the host contains characters that are not allowed"));
        }
        let path_end = tail.find(['?', '#']).unwrap_or(tail.len());
        let path = tail[..path_end].trim_end_matches('/');
        if path
            .bytes()
            .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
        {
            return Err(invalid("the path contains spaces or control characters"));
        }
        Ok(Self {
            scheme,
            authority: authority.to_ascii_lowercase(),
            path: path.to_string(),
        })
    }

    /// The host without the port.
    pub fn host(&self) -> &str {
        if self.authority.starts_with('[') {
            // IPv6 literal: `[::1]:8080`.
            return self
                .authority
                .find(']')
                .map_or(self.authority.as_str(), |end| &self.authority[..=end]);
        }
        self.authority
            .split_once(':')
            .map_or(self.authority.as_str(), |(host, _)| host)
    }

    /// `scheme://authority`.
    pub fn origin(&self) -> String {
        format!("{}://{}", self.scheme, self.authority)
    }
}

impl std::fmt::Display for HttpUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}://{}{}", self.scheme, self.authority, self.path)
    }
}

/// The API base to call: the connection's `api-url`, or `default` when it is empty.
///
/// The result has no trailing `/`, so [`join`] can append paths.
pub fn resolve_base(api_url: &str, default: &str) -> Result<String, ProviderError> {
    let chosen = if api_url.trim().is_empty() {
        default
    } else {
        api_url
    };
    Ok(HttpUrl::parse(chosen)?.to_string())
}

/// Joins an API base and a path with exactly one `/` between them.
pub fn join(base: &str, path: &str) -> String {
    format!(
        "{}/{}",
        base.trim_end_matches('/'),
        path.trim_start_matches('/')
    )
}

/// Percent-encodes one path segment (an owner, repository or branch name), so `/`, `?`,
/// `#`, `%` and spaces cannot change the request's meaning.
pub fn encode_path_segment(segment: &str) -> String {
    encode(segment, b"-._~")
}

/// Appends `name=value` pairs to a URL's query, form-encoded.
pub fn with_query<'a>(url: &str, pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let query = form_urlencoded(pairs);
    if query.is_empty() {
        return url.to_string();
    }
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}{query}")
}

/// `name=value&...` with names and values percent-encoded, for a query string or an
/// `application/x-www-form-urlencoded` body.
pub fn form_urlencoded<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    pairs
        .into_iter()
        .map(|(name, value)| format!("{}={}", encode(name, b"-._~"), encode(value, b"-._~")))
        .collect::<Vec<_>>()
        .join("&")
}

/// The decoded value of a query parameter of a URL (e.g. `page` of a `Link` URL).
pub fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    let query = query.split('#').next().unwrap_or_default();
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (percent_decode(key, true) == name).then(|| percent_decode(value, true))
    })
}

/// Decodes `%XX` escapes (and `+` as a space when `plus_is_space`); invalid escapes stay as
/// they are and invalid UTF-8 is replaced.
pub fn percent_decode(input: &str, plus_is_space: bool) -> String {
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match hex_pair(bytes[i + 1], bytes[i + 2]) {
                Some(b) => {
                    out.push(b);
                    i += 3;
                    continue;
                }
                None => out.push(b'%'),
            },
            b'+' if plus_is_space => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_pair(hi: u8, lo: u8) -> Option<u8> {
    let value = |c: u8| (c as char).to_digit(16);
    Some((value(hi)? * 16 + value(lo)?) as u8)
}

fn encode(input: &str, unreserved: &[u8]) -> String {
    let mut out = String::with_capacity(input.len());
    for &b in input.as_bytes() {
        if b.is_ascii_alphanumeric() || unreserved.contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_and_joins() {
        assert_eq!(
            resolve_base("", "https://api.github.com").unwrap(),
            "https://api.github.com"
        );
        assert_eq!(
            resolve_base("https://GHE.example.com/api/v3/", "https://api.github.com").unwrap(),
            "https://ghe.example.com/api/v3"
        );
        assert_eq!(
            resolve_base("http://127.0.0.1:8080", "x").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            join("https://a.b/api/v3/", "/user"),
            "https://a.b/api/v3/user"
        );
        assert_eq!(join("https://a.b", "user"), "https://a.b/user");
    }

    #[test]
    fn rejects_bad_urls() {
        for url in [
            "api.github.com",
            "ftp://x",
            "https://",
            "https://user:pw@host",
            "https://ho st",
            "https://host/a b",
        ] {
            assert!(
                matches!(HttpUrl::parse(url), Err(ProviderError::InvalidInput(_))),
                "{url}"
            );
        }
    }

    #[test]
    fn url_parts() {
        let url = HttpUrl::parse("http://127.0.0.1:9000/api/v3?x=1").unwrap();
        assert_eq!(url.host(), "127.0.0.1");
        assert_eq!(url.origin(), "http://127.0.0.1:9000");
        assert_eq!(url.path, "/api/v3");
        assert_eq!(HttpUrl::parse("http://[::1]:80/").unwrap().host(), "[::1]");
    }

    #[test]
    fn encodes_segments_and_queries() {
        assert_eq!(encode_path_segment("feature/x y%"), "feature%2Fx%20y%25");
        assert_eq!(
            with_query("https://a/b", [("q", "a b&c"), ("per_page", "30")]),
            "https://a/b?q=a%20b%26c&per_page=30"
        );
        assert_eq!(
            with_query("https://a/b?x=1", [("y", "2")]),
            "https://a/b?x=1&y=2"
        );
        assert_eq!(with_query("https://a/b", []), "https://a/b");
        assert_eq!(
            form_urlencoded([("code", "a/b"), ("redirect_uri", "https://x/cb?y=1")]),
            "code=a%2Fb&redirect_uri=https%3A%2F%2Fx%2Fcb%3Fy%3D1"
        );
    }

    #[test]
    fn reads_query_params() {
        let url = "https://api.github.com/user/repos?per_page=30&page=3&q=a+b%21#frag";
        assert_eq!(query_param(url, "page").as_deref(), Some("3"));
        assert_eq!(query_param(url, "q").as_deref(), Some("a b!"));
        assert_eq!(query_param(url, "missing"), None);
        assert_eq!(percent_decode("100%", false), "100%");
        assert_eq!(percent_decode("%zz%4", false), "%zz%4");
    }
}

/// The HTTPS clone URL `{web}/{path}.git` with `username` and `password` in its user-info
/// part (the password percent-encoded), ready for `git clone`.
pub fn clone_url_with_credentials(web: &str, path: &str, username: &str, password: &str) -> String {
    let (scheme, rest) = web.split_once("://").unwrap_or(("https", web));
    let password: String = password
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("{scheme}://{username}:{password}@{rest}/{path}.git")
}

#[cfg(test)]
mod clone_url_tests {
    use super::*;

    #[test]
    fn credentials_go_in_the_user_info() {
        assert_eq!(
            clone_url_with_credentials("https://gitlab.com", "a/b/c", "oauth2", "t:k/1"),
            "https://oauth2:t%3Ak%2F1@gitlab.com/a/b/c.git"
        );
        assert_eq!(
            clone_url_with_credentials("http://127.0.0.1:9", "o/r", "x", "tok"),
            "http://x:tok@127.0.0.1:9/o/r.git"
        );
    }
}
