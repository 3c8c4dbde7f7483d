//! Page cursors and name search over GitHub's page-numbered lists (`?per_page=&page=`,
//! `Link: <…&page=N>; rel="next"`).
//!
//! A cursor is `PAGE:SIZE:SKIP`: the GitHub page to read next, the page size it was counted
//! in (kept so that a later call with another `per-page` cannot shift the pages), and how
//! many items of that page were already returned.
//!
//! GitHub's REST lists cannot filter by name, and its search API matches words rather than
//! substrings, has its own small rate limit and lags behind new repositories. So a search
//! reads the list itself in pages of 100 and keeps the items whose name contains the text,
//! case-insensitively, reading at most [`MAX_SCAN_PAGES`] GitHub pages per call. A page
//! may therefore hold fewer items than asked for (even none) while `next` is set; callers
//! keep paging until `next` is empty.

use git_access_plugin_sdk::{api_url, HttpResponse, ProviderError};

use crate::bindings::types::PageRequest;

/// GitHub's largest page.
pub const MAX_PER_PAGE: u32 = 100;

/// Page size when the caller asks for 0.
pub const DEFAULT_PER_PAGE: u32 = 30;

/// GitHub pages a search reads per call (1,000 items).
pub const MAX_SCAN_PAGES: u32 = 10;

/// Where a listing continues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    /// GitHub page number, from 1.
    pub page: u32,
    /// GitHub page size the page number counts in.
    pub size: u32,
    /// Items of that page already returned.
    pub skip: u32,
}

impl Cursor {
    /// Reads a cursor handed out earlier.
    pub fn parse(text: &str) -> Result<Self, ProviderError> {
        let invalid = || {
            ProviderError::InvalidInput(format!(
                "invalid page cursor `{text}`: pass back the `next` value of the previous page"
            ))
        };
        let mut parts = text.trim().split(':').map(|p| p.parse::<u32>());
        let (Some(Ok(page)), Some(Ok(size)), Some(Ok(skip)), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid());
        };
        if page == 0 || size == 0 || size > MAX_PER_PAGE || skip >= size {
            return Err(invalid());
        }
        Ok(Self { page, size, skip })
    }

    /// The cursor as handed out.
    pub fn encode(&self) -> String {
        format!("{}:{}:{}", self.page, self.size, self.skip)
    }
}

/// One GitHub page: its items and the number of the next page, if any.
pub struct UpstreamPage<T> {
    /// Items in GitHub's order.
    pub items: Vec<T>,
    /// The next page number, when GitHub's `Link` has `rel="next"`.
    pub next_page: Option<u32>,
}

/// The next page number from a response's `Link` header: its `page` parameter, or the page
/// after `current` when the link has none.
pub fn next_page(response: &HttpResponse, current: u32) -> Option<u32> {
    let url = response.next_link()?;
    Some(
        api_url::query_param(&url, "page")
            .and_then(|p| p.parse().ok())
            .unwrap_or(current.saturating_add(1)),
    )
}

/// `?per_page=SIZE&page=PAGE` appended to `path` (which may already have a query).
pub fn page_query(path: &str, page: u32, size: u32) -> String {
    api_url::with_query(
        path,
        [
            ("per_page", size.to_string().as_str()),
            ("page", page.to_string().as_str()),
        ],
    )
}

/// The requested page size, clamped to 1..=100 (0 means GitHub's default, 30).
pub fn clamp_per_page(per_page: u32) -> u32 {
    match per_page {
        0 => DEFAULT_PER_PAGE,
        n => n.min(MAX_PER_PAGE),
    }
}

/// Produces one page for `request` from GitHub pages read by `fetch(page, size)`.
///
/// Without a search, one GitHub page is one page of the answer. With a search, GitHub pages
/// of 100 are scanned for items that `matches(item, lowercase needle)`, as described in
/// the module documentation. Returns the items and the next cursor.
pub fn collect<T>(
    request: &PageRequest,
    matches: impl Fn(&T, &str) -> bool,
    mut fetch: impl FnMut(u32, u32) -> Result<UpstreamPage<T>, ProviderError>,
) -> Result<(Vec<T>, Option<String>), ProviderError> {
    let per_page = clamp_per_page(request.per_page);
    let needle = request
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_lowercase);
    let cursor = match request.cursor.as_deref() {
        Some(text) if !text.trim().is_empty() => Cursor::parse(text)?,
        _ => Cursor {
            page: 1,
            size: if needle.is_some() {
                MAX_PER_PAGE
            } else {
                per_page
            },
            skip: 0,
        },
    };

    let Some(needle) = needle else {
        let page = fetch(cursor.page, cursor.size)?;
        let items: Vec<T> = page.items.into_iter().skip(cursor.skip as usize).collect();
        let next = page.next_page.map(|page| Cursor {
            page,
            size: cursor.size,
            skip: 0,
        });
        return Ok((items, next.map(|c| c.encode())));
    };

    let mut found = Vec::new();
    let mut at = cursor;
    for _ in 0..MAX_SCAN_PAGES {
        let page = fetch(at.page, at.size)?;
        let count = page.items.len();
        for (index, item) in page.items.into_iter().enumerate().skip(at.skip as usize) {
            if !matches(&item, &needle) {
                continue;
            }
            found.push(item);
            if found.len() == per_page as usize {
                let resume = if index + 1 < count {
                    // `index + 1 < count <= size`, so it fits the cursor.
                    Some(Cursor {
                        skip: u32::try_from(index + 1).unwrap_or(u32::MAX),
                        ..at
                    })
                } else {
                    page.next_page.map(|page| Cursor {
                        page,
                        size: at.size,
                        skip: 0,
                    })
                };
                return Ok((found, resume.map(|c| c.encode())));
            }
        }
        match page.next_page {
            Some(next) => {
                at = Cursor {
                    page: next,
                    size: at.size,
                    skip: 0,
                }
            }
            None => return Ok((found, None)),
        }
    }
    // Scan budget spent: hand back what was found and where to go on.
    Ok((found, Some(at.encode())))
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

    /// A GitHub list of `total` names `repo-0`, `repo-1`, ... served page by page.
    fn pages(total: u32) -> impl FnMut(u32, u32) -> Result<UpstreamPage<String>, ProviderError> {
        move |page, size| {
            let start = (page - 1) * size;
            let end = (start + size).min(total);
            Ok(UpstreamPage {
                items: (start..end).map(|i| format!("repo-{i}")).collect(),
                next_page: (end < total).then_some(page + 1),
            })
        }
    }

    #[allow(clippy::ptr_arg)] // `collect` hands over `&T`, here `&String`.
    fn contains(item: &String, needle: &str) -> bool {
        item.to_lowercase().contains(needle)
    }

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let cursor = Cursor {
            page: 3,
            size: 100,
            skip: 40,
        };
        assert_eq!(Cursor::parse(&cursor.encode()).unwrap(), cursor);
        for bad in [
            "", "3", "0:30:0", "1:101:0", "1:30:30", "a:b:c", "1:2:3:4", "-1:30:0",
        ] {
            assert!(
                matches!(Cursor::parse(bad), Err(ProviderError::InvalidInput(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn plain_listing_follows_pages() {
        let (items, next) = collect(&request(None, 50, None), contains, pages(120)).unwrap();
        assert_eq!(items.len(), 50);
        assert_eq!(next.as_deref(), Some("2:50:0"));
        // A later call asking for another size keeps counting in the cursor's size.
        let (items, next) =
            collect(&request(Some("3:50:0"), 10, None), contains, pages(120)).unwrap();
        assert_eq!(items.first().map(String::as_str), Some("repo-100"));
        assert_eq!(items.len(), 20);
        assert_eq!(next, None);
        assert_eq!(clamp_per_page(0), 30);
        assert_eq!(clamp_per_page(500), 100);
    }

    #[test]
    fn search_scans_pages_and_resumes_mid_page() {
        // Names containing "-1": repo-1, repo-10..19, repo-100..199 (within 250).
        let (items, next) = collect(&request(None, 5, Some("-1")), contains, pages(250)).unwrap();
        assert_eq!(
            items,
            ["repo-1", "repo-10", "repo-11", "repo-12", "repo-13"]
        );
        assert_eq!(next.as_deref(), Some("1:100:14"));
        let (items, next) = collect(
            &request(next.as_deref(), 100, Some("-1")),
            contains,
            pages(250),
        )
        .unwrap();
        assert_eq!(items.len(), 100, "repo-14..19 and repo-100..193");
        assert_eq!(items.last().map(String::as_str), Some("repo-193"));
        let (items, next) = collect(
            &request(next.as_deref(), 100, Some("-1")),
            contains,
            pages(250),
        )
        .unwrap();
        assert_eq!(items.len(), 6);
        assert_eq!(next, None);
    }

    #[test]
    fn search_is_case_insensitive_and_bounded() {
        let (items, next) =
            collect(&request(None, 10, Some("REPO-2")), contains, pages(30)).unwrap();
        assert_eq!(items.len(), 10);
        assert!(next.is_some());
        // Nothing matches in 5,000 items: the scan stops after MAX_SCAN_PAGES pages.
        let mut calls = 0;
        let mut fetch = pages(5000);
        let (items, next) = collect(&request(None, 10, Some("nothing")), contains, |p, s| {
            calls += 1;
            fetch(p, s)
        })
        .unwrap();
        assert!(items.is_empty());
        assert_eq!(calls, MAX_SCAN_PAGES);
        assert_eq!(next.as_deref(), Some("11:100:0"));
    }

    #[test]
    fn next_page_from_link() {
        let response = HttpResponse {
            status: 200,
            headers: [(
                "Link",
                r#"<http://x/user/repos?per_page=100&page=4>; rel="next", <http://x/user/repos?per_page=100&page=9>; rel="last""#,
            )]
            .into_iter()
            .collect(),
            body: Vec::new(),
        };
        assert_eq!(next_page(&response, 3), Some(4));
        assert_eq!(
            page_query("/user/repos?sort=full_name", 2, 30),
            "/user/repos?sort=full_name&per_page=30&page=2"
        );
    }
}
