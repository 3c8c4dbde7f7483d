//! The Bitbucket mock's control endpoints under `/_mock/` (not Bitbucket's API), so
//! someone trying git-access offline can make Bitbucket act. Tests call the
//! [`MockBitbucket`] methods.
//!
//! - `POST /_mock/push` `{"repository": "acme/api", "branch": "main", "user": "emma", "message": "…"}`
//! - `POST /_mock/pull_request` `{"repository": "…", "event": "pullrequest:created", "id": 1, "source": "develop", "destination": "main", "user": "emma"}`
//! - `POST /_mock/faults`: see [`FaultRequest`](crate::mock_control::FaultRequest)
//! - `GET /_mock/deliveries`: every delivery fired so far.

use axum::{
    extract::State,
    response::Response,
    routing::{get, post},
    Json, Router,
};
use serde::Deserialize;

use super::MockBitbucket;
use crate::mock_control::{self, FaultRequest};

/// The control routes.
pub(super) fn router(bitbucket: MockBitbucket) -> Router {
    Router::new()
        .route("/_mock/push", post(push))
        .route("/_mock/pull_request", post(pull_request))
        .route("/_mock/faults", post(faults))
        .route("/_mock/deliveries", get(deliveries))
        .with_state(bitbucket)
}

#[derive(Deserialize)]
struct PushRequest {
    repository: String,
    #[serde(default = "main")]
    branch: String,
    user: String,
    #[serde(default = "message")]
    message: String,
}

#[derive(Deserialize)]
struct PullRequestRequest {
    repository: String,
    #[serde(default = "created")]
    event: String,
    #[serde(default = "one")]
    id: u64,
    source: String,
    #[serde(default = "main")]
    destination: String,
    user: String,
}

fn main() -> String {
    "main".to_owned()
}
fn message() -> String {
    "Commit from the mock".to_owned()
}
fn created() -> String {
    "pullrequest:created".to_owned()
}
fn one() -> u64 {
    1
}

async fn push(State(bitbucket): State<MockBitbucket>, Json(r): Json<PushRequest>) -> Response {
    let fired = tokio::task::spawn_blocking(move || {
        bitbucket.push(&r.repository, &r.branch, &r.user, &r.message)
    })
    .await;
    mock_control::fired(fired.ok().flatten())
}

async fn pull_request(
    State(bitbucket): State<MockBitbucket>,
    Json(r): Json<PullRequestRequest>,
) -> Response {
    let fired = tokio::task::spawn_blocking(move || {
        bitbucket.pull_request(
            &r.repository,
            &r.event,
            r.id,
            &r.source,
            &r.destination,
            &r.user,
        )
    })
    .await;
    mock_control::fired(fired.ok().flatten())
}

async fn faults(State(bitbucket): State<MockBitbucket>, Json(r): Json<FaultRequest>) -> Response {
    r.apply(bitbucket.faults())
}

async fn deliveries(State(bitbucket): State<MockBitbucket>) -> Response {
    mock_control::list(&bitbucket.deliveries())
}
