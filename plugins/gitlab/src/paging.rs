//! Page cursors over GitLab's offset pagination (`?per_page=&page=`, answered with
//! `X-Next-Page`, empty on the last page).
//!
//! A cursor is `PAGE:SIZE`: the GitLab page to read next and the page size it counts in
//! (kept so that a later call with another `per-page` cannot shift the pages). GitLab
//! filters by name itself (`search=`), so a page is always one GitLab page.

use git_access_plugin_sdk::{api_url, HttpResponse, ProviderError};

use crate::bindings::types::PageRequest;

/// GitLab's largest page.
pub const MAX_PER_PAGE: u32 = 100;

/// Page size when the caller asks for 0 (GitLab's default).
pub const DEFAULT_PER_PAGE: u32 = 20;

/// Where a listing continues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    /// GitLab page number, from 1.
    pub page: u32,
    /// Page size the page number counts in.
    pub size: u32,
}

impl Cursor {
    /// The cursor of a request: the one it carries, or the first page.
    pub fn of(request: &PageRequest) -> Result<Self, ProviderError> {
        match request.cursor.as_deref().map(str::trim) {
            Some(text) if !text.is_empty() => Self::parse(text),
            _ => Ok(Self {
                page: 1,
                size: clamp_per_page(request.per_page),
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
        let (page, size) = text.trim().split_once(':').ok_or_else(invalid)?;
        let page: u32 = page.parse().map_err(|_| invalid())?;
        let size: u32 = size.parse().map_err(|_| invalid())?;
        if page == 0 || size == 0 || size > MAX_PER_PAGE {
            return Err(invalid());
        }
        Ok(Self { page, size })
    }

    /// The cursor as handed out.
    pub fn encode(&self) -> String {
        format!("{}:{}", self.page, self.size)
    }

    /// `path` with `per_page` and `page` appended (it may already have a query).
    pub fn query(&self, path: &str) -> String {
        api_url::with_query(
            path,
            [
                ("per_page", self.size.to_string().as_str()),
                ("page", self.page.to_string().as_str()),
            ],
        )
    }

    /// The cursor of the page after this one, from GitLab's answer: `X-Next-Page`, or the
    /// `page` of a `Link: <…>; rel="next"` when a proxy dropped the custom header.
    pub fn next(&self, response: &HttpResponse) -> Option<String> {
        let page = match response.header("x-next-page").map(str::trim) {
            Some("") => return None,
            Some(value) => value.parse::<u32>().ok()?,
            None => api_url::query_param(&response.next_link()?, "page")?
                .parse::<u32>()
                .ok()?,
        };
        (page > self.page).then(|| {
            Self {
                page,
                size: self.size,
            }
            .encode()
        })
    }
}

/// The requested page size, clamped to 1..=100 (0 means GitLab's default, 20).
pub fn clamp_per_page(per_page: u32) -> u32 {
    match per_page {
        0 => DEFAULT_PER_PAGE,
        n => n.min(MAX_PER_PAGE),
    }
}

/// The trimmed search text of a request, if any.
pub fn search(request: &PageRequest) -> Option<&str> {
    request
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(headers: &[(&str, &str)]) -> HttpResponse {
        HttpResponse {
            status: 200,
            headers: headers.iter().copied().collect(),
            body: b"[]".to_vec(),
        }
    }

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let cursor = Cursor { page: 3, size: 50 };
        assert_eq!(Cursor::parse(&cursor.encode()).unwrap(), cursor);
        for bad in ["", "3", "0:30", "1:101", "1:0", "a:b", "1:2:3", "-1:30"] {
            assert!(
                matches!(Cursor::parse(bad), Err(ProviderError::InvalidInput(_))),
                "{bad}"
            );
        }
        let first = Cursor::of(&PageRequest {
            cursor: None,
            per_page: 0,
            search: Some("  ".into()),
        })
        .unwrap();
        assert_eq!(first, Cursor { page: 1, size: 20 });
        assert_eq!(clamp_per_page(500), 100);
    }

    #[test]
    fn next_page_from_headers() {
        let cursor = Cursor { page: 2, size: 100 };
        assert_eq!(
            cursor.next(&response(&[("X-Next-Page", "3"), ("X-Page", "2")])),
            Some("3:100".to_string())
        );
        assert_eq!(cursor.next(&response(&[("X-Next-Page", "")])), None);
        assert_eq!(
            cursor.next(&response(&[(
                "Link",
                r#"<https://gitlab.com/api/v4/projects?page=3&per_page=100>; rel="next""#
            )])),
            Some("3:100".to_string())
        );
        assert_eq!(cursor.next(&response(&[])), None);
        // A next page that does not move forward would loop forever.
        assert_eq!(cursor.next(&response(&[("X-Next-Page", "2")])), None);
        assert_eq!(
            cursor.query("/projects?membership=true"),
            "/projects?membership=true&per_page=100&page=2"
        );
    }
}
