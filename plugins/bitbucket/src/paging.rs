//! Page cursors over Bitbucket's paginated lists (`?pagelen=&page=`, answered with
//! `{"values": […], "next": "<url>"}`; no `next` on the last page).
//!
//! A cursor is `PAGELEN:PAGE`: the page size the listing counts in and the `page` value of
//! Bitbucket's `next` URL (a number for most lists, an opaque token for some). Only that
//! value is kept, never the URL itself, so a cursor cannot send the plugin elsewhere.
//! Bitbucket filters by name itself (`q=name ~ "…"`), so a page is one Bitbucket page.

use git_access_plugin_sdk::{api_url, ProviderError};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::bindings::types::PageRequest;

/// Bitbucket's largest page.
pub const MAX_PER_PAGE: u32 = 100;

/// Page size when the caller asks for 0.
pub const DEFAULT_PER_PAGE: u32 = 30;

/// One Bitbucket page.
#[derive(Debug, Deserialize)]
pub struct Paginated<T> {
    /// Items on this page.
    #[serde(default = "Vec::new")]
    pub values: Vec<T>,
    /// URL of the next page, absent on the last.
    pub next: Option<String>,
}

/// Where a listing continues.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// Page size.
    pub pagelen: u32,
    /// Bitbucket's `page` value; `None` for the first page.
    pub page: Option<String>,
}

impl Cursor {
    /// The cursor of a request: the one it carries, or the first page.
    pub fn of(request: &PageRequest) -> Result<Self, ProviderError> {
        match request.cursor.as_deref().map(str::trim) {
            Some(text) if !text.is_empty() => Self::parse(text),
            _ => Ok(Self {
                pagelen: clamp_per_page(request.per_page),
                page: None,
            }),
        }
    }

    /// Reads a cursor handed out earlier.
    pub fn parse(text: &str) -> Result<Self, ProviderError> {
        let invalid = || {
            ProviderError::InvalidInput(format!(
                "invalid page cursor `{text}`: pass back the `next` value of the previous page"
            ))
        };
        let (pagelen, page) = text.trim().split_once(':').ok_or_else(invalid)?;
        let pagelen: u32 = pagelen.parse().map_err(|_| invalid())?;
        if pagelen == 0 || pagelen > MAX_PER_PAGE || !is_page_token(page) {
            return Err(invalid());
        }
        Ok(Self {
            pagelen,
            page: Some(page.to_string()),
        })
    }

    /// `path` with `pagelen` (and `page`) appended (it may already have a query).
    pub fn query(&self, path: &str) -> String {
        let pagelen = self.pagelen.to_string();
        let mut pairs = vec![("pagelen", pagelen.as_str())];
        if let Some(page) = &self.page {
            pairs.push(("page", page.as_str()));
        }
        api_url::with_query(path, pairs)
    }

    /// The cursor of the next page, from a page's `next` URL.
    pub fn next(&self, next_url: Option<&str>) -> Option<String> {
        let page = api_url::query_param(next_url?, "page")?;
        (is_page_token(&page) && self.page.as_deref() != Some(page.as_str()))
            .then(|| format!("{}:{page}", self.pagelen))
    }

    /// GETs one page through `fetch` and returns its items and the next cursor.
    pub fn read<T: DeserializeOwned>(
        &self,
        path: &str,
        fetch: impl FnOnce(&str) -> Result<Paginated<T>, ProviderError>,
    ) -> Result<(Vec<T>, Option<String>), ProviderError> {
        let page = fetch(&self.query(path))?;
        let next = self.next(page.next.as_deref());
        Ok((page.values, next))
    }
}

/// Page values are numbers or opaque tokens; only URL-safe characters are accepted.
fn is_page_token(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 200
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.=".contains(&b))
}

/// The requested page size, clamped to 1..=100 (0 means 30).
pub fn clamp_per_page(per_page: u32) -> u32 {
    match per_page {
        0 => DEFAULT_PER_PAGE,
        n => n.min(MAX_PER_PAGE),
    }
}

/// `q` for a case-insensitive substring match of `field` against the request's search,
/// if any: `name ~ "text"` with `"` and `\` escaped.
pub fn search_query(field: &str, request: &PageRequest) -> Option<String> {
    let text = request
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())?;
    let escaped = text.replace('\\', "\\\\").replace('"', "\\\"");
    Some(format!("{field} ~ \"{escaped}\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(cursor: Option<&str>, per_page: u32, search: Option<&str>) -> PageRequest {
        PageRequest {
            cursor: cursor.map(str::to_string),
            per_page,
            search: search.map(str::to_string),
        }
    }

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let first = Cursor::of(&request(None, 0, None)).unwrap();
        assert_eq!(first.query("/x"), "/x?pagelen=30");
        let next = first
            .next(Some(
                "https://api.bitbucket.org/2.0/repositories/acme?pagelen=30&page=2",
            ))
            .unwrap();
        assert_eq!(next, "30:2");
        let second = Cursor::of(&request(Some(&next), 5, None)).unwrap();
        assert_eq!(second.query("/x?q=a"), "/x?q=a&pagelen=30&page=2");
        assert_eq!(
            second.next(Some("https://x/?page=opaque-Token_1")),
            Some("30:opaque-Token_1".to_string())
        );
        assert_eq!(second.next(Some("https://x/?page=2")), None, "no loop");
        assert_eq!(second.next(None), None);
        assert_eq!(second.next(Some("https://x/?page=a%20b")), None);
        for bad in ["", "30", "0:2", "101:2", "x:2", "30:", "30:a/b", "30:a&b=c"] {
            assert!(
                matches!(Cursor::parse(bad), Err(ProviderError::InvalidInput(_))),
                "{bad}"
            );
        }
        assert_eq!(clamp_per_page(1000), 100);
    }

    #[test]
    fn search_queries_are_escaped() {
        assert_eq!(
            search_query("name", &request(None, 0, Some(r#" a"b\ "#))).as_deref(),
            Some(r#"name ~ "a\"b\\""#)
        );
        assert_eq!(search_query("name", &request(None, 0, Some(" "))), None);
    }
}
