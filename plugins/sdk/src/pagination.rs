//! `Link` header pagination (RFC 8288), as used by GitHub and others.

use crate::Headers;

/// One link of a `Link` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The target URL, as sent.
    pub url: String,
    /// Relation types (`next`, `last`, ...), lowercase.
    pub rels: Vec<String>,
}

/// Parses one `Link` header value: `<url>; rel="next", <url>; rel="last"`.
///
/// Malformed parts are skipped rather than failing the whole header.
pub fn parse_link_header(value: &str) -> Vec<Link> {
    let mut links = Vec::new();
    let mut rest = value;
    while let Some(start) = rest.find('<') {
        let Some(len) = rest[start + 1..].find('>') else {
            break;
        };
        let url = &rest[start + 1..start + 1 + len];
        rest = &rest[start + 2 + len..];
        // Parameters run until the next comma that is not inside quotes.
        let mut in_quotes = false;
        let end = rest
            .char_indices()
            .find(|&(_, c)| {
                if c == '"' {
                    in_quotes = !in_quotes;
                }
                c == ',' && !in_quotes
            })
            .map_or(rest.len(), |(i, _)| i);
        let params = &rest[..end];
        rest = &rest[end..];
        let rels = params
            .split(';')
            .filter_map(|param| {
                let (name, value) = param.split_once('=')?;
                name.trim()
                    .eq_ignore_ascii_case("rel")
                    .then(|| value.trim().trim_matches('"'))
            })
            .flat_map(|value| value.split_whitespace())
            .map(str::to_ascii_lowercase)
            .collect();
        links.push(Link {
            url: url.trim().to_string(),
            rels,
        });
    }
    links
}

/// The URL with relation `rel` across every `Link` header, if any.
pub fn find_link(headers: &Headers, rel: &str) -> Option<String> {
    headers
        .get_all("link")
        .flat_map(parse_link_header)
        .find(|link| link.rels.iter().any(|r| r.eq_ignore_ascii_case(rel)))
        .map(|link| link.url)
}

/// The `next` page URL, if there is one.
pub fn next_link(headers: &Headers) -> Option<String> {
    find_link(headers, "next")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_github_link_header() {
        let value = r#"<https://api.github.com/user/repos?per_page=2&page=2>; rel="next", <https://api.github.com/user/repos?per_page=2&page=5>; rel="last""#;
        let links = parse_link_header(value);
        assert_eq!(links.len(), 2);
        assert_eq!(
            links[0].url,
            "https://api.github.com/user/repos?per_page=2&page=2"
        );
        assert_eq!(links[0].rels, ["next"]);
        assert_eq!(links[1].rels, ["last"]);
    }

    #[test]
    fn handles_quotes_multiple_rels_and_repeated_headers() {
        let headers: Headers = [
            ("Link", r#"<https://x/1>; title="a, b"; rel="prev first""#),
            ("link", "<https://x/3>; REL=next"),
        ]
        .into_iter()
        .collect();
        assert_eq!(find_link(&headers, "first").as_deref(), Some("https://x/1"));
        assert_eq!(next_link(&headers).as_deref(), Some("https://x/3"));
        assert_eq!(find_link(&headers, "last"), None);
        assert!(parse_link_header("garbage <unterminated").is_empty());
        assert_eq!(next_link(&Headers::new()), None);
    }
}
