//! HTTP trigger routing as Spin does it: exact routes win over wildcards, longer wildcard
//! prefixes win over shorter ones; private routes are reachable only by service chaining.

use http::HeaderValue;

use crate::manifest::{HttpTrigger, RouteDecl};

/// One public route.
#[derive(Debug, Clone)]
pub struct Route {
    /// The route as written, e.g. `/api/...`.
    pub raw: String,
    /// Exact path, or the prefix before `/...` (empty for `/...`).
    prefix: String,
    wildcard: bool,
    /// Component id.
    pub component: String,
    /// `raw` as a header value (Spin's `spin-matched-route`), made once.
    pub matched_route_header: HeaderValue,
    /// The route without its `/...` suffix, as a header value (Spin's
    /// `spin-component-route`).
    pub component_route_header: HeaderValue,
}

/// What a request matched.
#[derive(Debug, Clone)]
pub struct RouteMatch<'a> {
    /// The route.
    pub route: &'a Route,
    /// The part of the path after the route's prefix (Spin's `spin-path-info`).
    pub path_info: String,
}

/// The public routing table.
#[derive(Debug, Default)]
pub struct Router {
    routes: Vec<Route>,
}

impl Router {
    /// Builds the table from the manifest's HTTP triggers; fails on duplicate routes.
    pub fn new(triggers: &[HttpTrigger]) -> Result<Self, String> {
        let mut routes: Vec<Route> = Vec::new();
        for trigger in triggers {
            let RouteDecl::Path(raw) = &trigger.route else {
                continue;
            };
            let (prefix, wildcard) = match raw.strip_suffix("/...") {
                Some(prefix) => (prefix.to_owned(), true),
                None => (raw.trim_end_matches('/').to_owned(), false),
            };
            if let Some(other) = routes
                .iter()
                .find(|r| r.prefix == prefix && r.wildcard == wildcard)
            {
                return Err(format!(
                    "route '{raw}' of component '{}' duplicates the route of component '{}'",
                    trigger.component, other.component
                ));
            }
            let header = |value: &str| {
                HeaderValue::from_str(value).map_err(|_| {
                    format!("route '{raw}' has characters an HTTP header cannot carry")
                })
            };
            routes.push(Route {
                matched_route_header: header(raw)?,
                component_route_header: header(&prefix)?,
                raw: raw.clone(),
                prefix,
                wildcard,
                component: trigger.component.clone(),
            });
        }
        routes.sort_by(|a, b| {
            a.wildcard
                .cmp(&b.wildcard)
                .then(b.prefix.len().cmp(&a.prefix.len()))
        });
        Ok(Self { routes })
    }

    /// Finds the route for a request path.
    pub fn find(&self, path: &str) -> Option<RouteMatch<'_>> {
        let trimmed = if path.len() > 1 {
            path.trim_end_matches('/')
        } else {
            path
        };
        self.routes.iter().find_map(|route| {
            if !route.wildcard {
                let exact = if route.prefix.is_empty() {
                    trimmed == "/"
                } else {
                    trimmed == route.prefix
                };
                return exact.then(|| RouteMatch {
                    route,
                    path_info: String::new(),
                });
            }
            let rest = path.strip_prefix(route.prefix.as_str())?;
            (rest.is_empty() || rest.starts_with('/')).then(|| RouteMatch {
                route,
                path_info: rest.to_owned(),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trigger(route: &str, component: &str) -> HttpTrigger {
        HttpTrigger {
            id: None,
            route: RouteDecl::Path(route.to_owned()),
            component: component.to_owned(),
            executor: None,
        }
    }

    #[test]
    fn exact_beats_wildcard_and_longest_prefix_wins() {
        let router = Router::new(&[
            trigger("/...", "all"),
            trigger("/api/...", "api"),
            trigger("/api/health", "health"),
        ])
        .unwrap();
        assert_eq!(
            router.find("/api/health").unwrap().route.component,
            "health"
        );
        let m = router.find("/api/x/y").unwrap();
        assert_eq!(
            (m.route.component.as_str(), m.path_info.as_str()),
            ("api", "/x/y")
        );
        assert_eq!(router.find("/api").unwrap().route.component, "api");
        assert_eq!(router.find("/apix").unwrap().route.component, "all");
        let m = router.find("/other").unwrap();
        assert_eq!(m.path_info, "/other");
    }

    #[test]
    fn duplicate_routes_are_refused() {
        let err = Router::new(&[trigger("/a", "x"), trigger("/a", "y")]).unwrap_err();
        assert!(err.contains("duplicates"), "{err}");
    }

    #[test]
    fn no_match_without_catch_all() {
        let router = Router::new(&[trigger("/a/...", "x")]).unwrap();
        assert!(router.find("/b").is_none());
    }
}
