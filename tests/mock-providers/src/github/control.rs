//! The mock's own control endpoints under `/_mock/` (not GitHub's API), so someone trying
//! git-access offline can make things happen that GitHub would: a push, a pull request, a
//! throttled or failing API. Tests use the [`MockGitHub`] methods directly instead.
//!
//! - `POST /_mock/push` `{"repository": "octocat/hello-world", "branch": "main", "message": "…"}`
//! - `POST /_mock/pull_request` `{"repository": "…", "action": "opened", "number": 1, "head": "develop", "base": "main"}`
//! - `POST /_mock/faults` `{"fault": "rate_limit" | "secondary_rate_limit" | "too_many_requests" | "server_error", "times": 1, "seconds": 60, "status": 503}`
//! - `GET /_mock/deliveries`: every delivery fired so far (event, URL, outcome).

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use serde::Deserialize;
use serde_json::{json, Value};

use super::MockGitHub;
use crate::deliveries::{Delivery, DeliveryOutcome};
use crate::faults::Fault;

/// The control routes.
pub(super) fn router(github: MockGitHub) -> Router {
    Router::new()
        .route("/_mock/push", post(push))
        .route("/_mock/pull_request", post(pull_request))
        .route("/_mock/faults", post(faults))
        .route("/_mock/deliveries", get(deliveries))
        .with_state(github)
}

#[derive(Deserialize)]
struct PushRequest {
    repository: String,
    #[serde(default = "main")]
    branch: String,
    #[serde(default = "commit_message")]
    message: String,
}

#[derive(Deserialize)]
struct PullRequestRequest {
    repository: String,
    #[serde(default = "opened")]
    action: String,
    #[serde(default = "one")]
    number: u64,
    head: String,
    #[serde(default = "main")]
    base: String,
}

#[derive(Deserialize)]
struct FaultRequest {
    fault: String,
    #[serde(default = "one_usize")]
    times: usize,
    #[serde(default = "sixty")]
    seconds: u64,
    #[serde(default = "service_unavailable")]
    status: u16,
}

fn main() -> String {
    "main".to_owned()
}
fn commit_message() -> String {
    "Commit from the mock".to_owned()
}
fn opened() -> String {
    "opened".to_owned()
}
fn one() -> u64 {
    1
}
fn one_usize() -> usize {
    1
}
fn sixty() -> u64 {
    60
}
fn service_unavailable() -> u16 {
    503
}

async fn push(State(github): State<MockGitHub>, Json(request): Json<PushRequest>) -> Response {
    let fired = tokio::task::spawn_blocking(move || {
        github.push(&request.repository, &request.branch, &request.message)
    })
    .await;
    fired_response(fired.ok().flatten())
}

async fn pull_request(
    State(github): State<MockGitHub>,
    Json(request): Json<PullRequestRequest>,
) -> Response {
    let fired = tokio::task::spawn_blocking(move || {
        github.pull_request(
            &request.repository,
            &request.action,
            request.number,
            &request.head,
            &request.base,
        )
    })
    .await;
    fired_response(fired.ok().flatten())
}

async fn faults(State(github): State<MockGitHub>, Json(request): Json<FaultRequest>) -> Response {
    let fault = match request.fault.as_str() {
        "rate_limit" => Fault::RateLimit {
            reset_in: request.seconds,
        },
        "secondary_rate_limit" => Fault::SecondaryRateLimit {
            retry_after: request.seconds,
        },
        "too_many_requests" => Fault::TooManyRequests {
            retry_after: request.seconds,
        },
        "server_error" => Fault::ServerError {
            status: request.status,
            retry_after: Some(request.seconds),
        },
        other => {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({"message": format!("unknown fault `{other}`")})),
            )
                .into_response()
        }
    };
    github.inject(fault, request.times);
    Json(json!({"pending": github.faults().pending()})).into_response()
}

async fn deliveries(State(github): State<MockGitHub>) -> Response {
    let list: Vec<Value> = github.deliveries().iter().map(summary).collect();
    Json(Value::Array(list)).into_response()
}

fn fired_response(fired: Option<Vec<Delivery>>) -> Response {
    match fired {
        Some(deliveries) => {
            Json(Value::Array(deliveries.iter().map(summary).collect())).into_response()
        }
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({"message": "no such repository"})),
        )
            .into_response(),
    }
}

fn summary(delivery: &Delivery) -> Value {
    let outcome = match &delivery.outcome {
        DeliveryOutcome::Delivered { status } => json!({"delivered": status}),
        DeliveryOutcome::Failed(why) => json!({"failed": why}),
        DeliveryOutcome::NotAttempted(why) => json!({"not_attempted": why}),
    };
    json!({
        "id": delivery.id,
        "event": delivery.event,
        "url": delivery.url,
        "outcome": outcome,
    })
}
