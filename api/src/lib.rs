//! The git-access public API: a Spin HTTP component and the only holder of state.
//!
//! A request flows through [`router`] (method + path → route), then a handler in
//! [`handlers`] that returns either a [`reply::Reply`] or a [`problem::Problem`]. Handlers
//! reach provider components through [`providers`] (service chaining to
//! `http://provider-<id>.spin.internal/<function>`) and Spin key-value through [`state`].
//!
//! Organization routes authenticate through [`tenancy`]; Git tokens live in
//! [`git_tokens`], sealed with [`crypto`]. Request bodies are read by [`json_body`].
//!
//! Only this file, `providers::client`, `state::wasi_store` and the Spin variable reads
//! touch Spin; everything else is plain Rust with unit tests that run natively
//! (`cargo test -p api`), state logic against an in-memory store. The bindings compile
//! on the host target too (their imports are never called there), so no module needs a
//! `cfg` gate.

mod applications;
mod clock;
mod crypto;
mod git_tokens;
mod github_app;
mod handlers;
mod ids;
mod json_body;
mod problem;
mod providers;
mod redact;
mod reply;
mod router;
mod state;
mod tenancy;

use spin_sdk::http::{Request, Response};

use crate::handlers::Incoming;
use crate::problem::Problem;
use crate::reply::Reply;
use crate::router::Resolution;

/// Entry point: routes the request, runs its handler and renders the outcome.
#[spin_sdk::http_component]
async fn handle(req: Request) -> Response {
    let method = req.method().to_string();
    let path = req.path().to_owned();
    let header = |name: &str| {
        req.header(name)
            .and_then(|value| value.as_str())
            .map(str::to_owned)
    };
    let outcome = match router::resolve(&method, &path) {
        Resolution::Matched { route, params } => {
            let limit = match route {
                router::Route::ReceiveWebhook | router::Route::GitHubAppWebhook => {
                    json_body::MAX_WEBHOOK_BYTES
                }
                _ => json_body::MAX_BODY_BYTES,
            };
            let size = json_body::check_size_within(
                header("content-length").as_deref(),
                req.body().len(),
                limit,
            );
            match size {
                Err(problem) => Err(problem),
                Ok(()) => {
                    let incoming = Incoming {
                        authorization: header("authorization"),
                        body: req.body().to_vec(),
                        query: req.query().to_owned(),
                        headers: req
                            .headers()
                            .filter_map(|(name, value)| {
                                Some((name.to_ascii_lowercase(), value.as_str()?.to_owned()))
                            })
                            .collect(),
                        full_url: header("spin-full-url").unwrap_or_else(|| req.uri().to_owned()),
                    };
                    handlers::dispatch(route, &params, &incoming).await
                }
            }
        }
        Resolution::MethodNotAllowed { allow } => {
            Err(Problem::method_not_allowed(&method, &path, &allow))
        }
        Resolution::NotFound => Err(Problem::route_not_found(&method, &path)),
    };
    render(&method, &path, outcome).into()
}

/// The response for a handler's outcome; problems get the request path as `instance`,
/// and server-side ones (5xx) are logged.
fn render(method: &str, path: &str, outcome: Result<Reply, Problem>) -> Reply {
    match outcome {
        Ok(reply) => reply,
        Err(problem) => {
            let problem = problem.at(path);
            if problem.status() >= 500 {
                // Details are written for clients, so they are safe to log: token values
                // never reach them (see `redact`).
                eprintln!(
                    "api: {method} {path} -> {}: {}",
                    problem.status(),
                    problem.detail()
                );
            }
            problem.into_reply()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_routes_render_as_problems_with_the_path() {
        let path = "/nope";
        let reply = render("GET", path, Err(Problem::route_not_found("GET", path)));
        assert_eq!(reply.status, 404);
        assert_eq!(reply.header("content-type"), Some(problem::CONTENT_TYPE));
        assert_eq!(
            reply.json_body(),
            serde_json::json!({
                "type": "/problems/not-found",
                "title": "Not found",
                "status": 404,
                "detail": "No endpoint matches GET /nope.",
                "instance": "/nope",
            })
        );
    }
}
