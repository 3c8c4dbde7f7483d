//! Page-numbered pagination as the providers implement it: `page` and `per_page` query
//! parameters with a default and a maximum page size, and links to the other pages that
//! keep every other query parameter (GitHub's and GitLab's `Link` header).

use std::collections::BTreeMap;

/// Which page of which size a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageParams {
    /// Page number, from 1.
    pub page: usize,
    /// Items per page.
    pub per_page: usize,
}

impl PageParams {
    /// Reads `page` and `per_page` as GitHub does: missing, unparsable or zero values take
    /// the defaults (page 1, `default_per_page`), and `per_page` is capped at `max_per_page`.
    pub fn from_query(
        query: &BTreeMap<String, String>,
        default_per_page: usize,
        max_per_page: usize,
    ) -> Self {
        let number = |name: &str| {
            query
                .get(name)
                .and_then(|v| v.trim().parse::<usize>().ok())
                .filter(|n| *n > 0)
        };
        Self {
            page: number("page").unwrap_or(1),
            per_page: number("per_page")
                .unwrap_or(default_per_page)
                .min(max_per_page),
        }
    }
}

/// One page cut out of a full list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The items on this page (empty past the end).
    pub items: Vec<T>,
    /// The page that was asked for.
    pub params: PageParams,
    /// Number of items in the whole list.
    pub total: usize,
}

impl<T> Page<T> {
    /// The last page number (1 for an empty list).
    pub fn last_page(&self) -> usize {
        self.total.div_ceil(self.params.per_page).max(1)
    }

    /// The next page number, if this is not the last page.
    pub fn next_page(&self) -> Option<usize> {
        (self.params.page < self.last_page()).then_some(self.params.page + 1)
    }

    /// The previous page number, if this is not the first page.
    pub fn prev_page(&self) -> Option<usize> {
        (self.params.page > 1).then(|| (self.params.page - 1).min(self.last_page()))
    }

    /// A `Link` header value (RFC 8288) in GitHub's order — `prev`, `next`, `last`,
    /// `first` — for `url` (without query) and the request's other query parameters;
    /// `None` when everything fits on one page.
    pub fn link_header(&self, url: &str, query: &BTreeMap<String, String>) -> Option<String> {
        let link = |page: usize, rel: &str| {
            let mut params: Vec<(String, String)> = query
                .iter()
                .filter(|(k, _)| k.as_str() != "page" && k.as_str() != "per_page")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            params.push(("per_page".into(), self.params.per_page.to_string()));
            params.push(("page".into(), page.to_string()));
            let query: Vec<String> = params
                .iter()
                .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
                .collect();
            format!("<{url}?{}>; rel=\"{rel}\"", query.join("&"))
        };
        let mut links = Vec::new();
        if let Some(prev) = self.prev_page() {
            links.push(link(prev, "prev"));
        }
        if let Some(next) = self.next_page() {
            links.push(link(next, "next"));
            links.push(link(self.last_page(), "last"));
        }
        if self.params.page > 1 {
            links.push(link(1, "first"));
        }
        (!links.is_empty()).then(|| links.join(", "))
    }
}

/// Cuts page `params` out of `items`.
pub fn paginate<T: Clone>(items: &[T], params: PageParams) -> Page<T> {
    let start = (params.page - 1).saturating_mul(params.per_page);
    let page_items = items
        .iter()
        .skip(start)
        .take(params.per_page)
        .cloned()
        .collect();
    Page {
        items: page_items,
        params,
        total: items.len(),
    }
}

/// Percent-encodes a query component (unreserved characters and `,` stay as they are, as
/// GitHub writes `affiliation=owner,collaborator`).
fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~,".contains(&b) {
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

    fn query(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn params_default_and_cap() {
        assert_eq!(
            PageParams::from_query(&query(&[]), 30, 100),
            PageParams {
                page: 1,
                per_page: 30
            }
        );
        let p = PageParams::from_query(&query(&[("page", "3"), ("per_page", "500")]), 30, 100);
        assert_eq!((p.page, p.per_page), (3, 100));
        let p = PageParams::from_query(&query(&[("page", "0"), ("per_page", "x")]), 30, 100);
        assert_eq!((p.page, p.per_page), (1, 30));
    }

    #[test]
    fn pages_and_links() {
        let items: Vec<u32> = (0..250).collect();
        let q = query(&[("affiliation", "owner,collaborator"), ("page", "2")]);
        let page = paginate(
            &items,
            PageParams {
                page: 2,
                per_page: 100,
            },
        );
        assert_eq!(page.items.first(), Some(&100));
        assert_eq!(page.items.len(), 100);
        assert_eq!(page.next_page(), Some(3));
        assert_eq!(
            page.link_header("http://h/user/repos", &q).unwrap(),
            "<http://h/user/repos?affiliation=owner,collaborator&per_page=100&page=1>; rel=\"prev\", \
             <http://h/user/repos?affiliation=owner,collaborator&per_page=100&page=3>; rel=\"next\", \
             <http://h/user/repos?affiliation=owner,collaborator&per_page=100&page=3>; rel=\"last\", \
             <http://h/user/repos?affiliation=owner,collaborator&per_page=100&page=1>; rel=\"first\""
        );
        let last = paginate(
            &items,
            PageParams {
                page: 3,
                per_page: 100,
            },
        );
        assert_eq!(last.items.len(), 50);
        assert_eq!(last.next_page(), None);
        let single = paginate(
            &items[..5],
            PageParams {
                page: 1,
                per_page: 30,
            },
        );
        assert_eq!(single.link_header("http://h/x", &q), None);
        let past = paginate(
            &items,
            PageParams {
                page: 9,
                per_page: 100,
            },
        );
        assert!(past.items.is_empty());
        assert_eq!(past.prev_page(), Some(3));
    }
}
