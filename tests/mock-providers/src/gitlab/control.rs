//! The GitLab mock's control endpoints under `/_mock/` (not GitLab's API), so someone
//! trying git-access offline can make GitLab act. Tests call the [`MockGitLab`] methods.
//!
//! - `POST /_mock/push` `{"project": "acme/platform/api", "branch": "main", "user": "jsmith", "message": "…"}`
//! - `POST /_mock/merge_request` `{"project": "…", "action": "open", "iid": 1, "source": "develop", "target": "main", "user": "jsmith"}`
//! - `POST /_mock/faults`: see [`FaultRequest`](crate::mock_control::FaultRequest)
//! - `GET /_mock/deliveries`: every delivery fired so far.

use axum::{
    extract::State,
    response::Response,
    routing::{get, post},
    Json, Router,
};
use serde::Deserialize;

use super::MockGitLab;
use crate::mock_control::{self, FaultRequest};

/// The control routes.
pub(super) fn router(gitlab: MockGitLab) -> Router {
    Router::new()
        .route("/_mock/push", post(push))
        .route("/_mock/merge_request", post(merge_request))
        .route("/_mock/faults", post(faults))
        .route("/_mock/deliveries", get(deliveries))
        .with_state(gitlab)
}

#[derive(Deserialize)]
struct PushRequest {
    project: String,
    #[serde(default = "main")]
    branch: String,
    user: String,
    #[serde(default = "message")]
    message: String,
}

#[derive(Deserialize)]
struct MergeRequestRequest {
    project: String,
    #[serde(default = "open")]
    action: String,
    #[serde(default = "one")]
    iid: u64,
    source: String,
    #[serde(default = "main")]
    target: String,
    user: String,
}

fn main() -> String {
    "main".to_owned()
}
fn message() -> String {
    "Commit from the mock".to_owned()
}
fn open() -> String {
    "open".to_owned()
}
fn one() -> u64 {
    1
}

async fn push(State(gitlab): State<MockGitLab>, Json(r): Json<PushRequest>) -> Response {
    let fired = tokio::task::spawn_blocking(move || {
        gitlab.push(&r.project, &r.branch, &r.user, &r.message)
    })
    .await;
    mock_control::fired(fired.ok().flatten())
}

async fn merge_request(
    State(gitlab): State<MockGitLab>,
    Json(r): Json<MergeRequestRequest>,
) -> Response {
    let fired = tokio::task::spawn_blocking(move || {
        gitlab.merge_request(&r.project, &r.action, r.iid, &r.source, &r.target, &r.user)
    })
    .await;
    mock_control::fired(fired.ok().flatten())
}

async fn faults(State(gitlab): State<MockGitLab>, Json(r): Json<FaultRequest>) -> Response {
    r.apply(gitlab.faults())
}

async fn deliveries(State(gitlab): State<MockGitLab>) -> Response {
    mock_control::list(&gitlab.deliveries())
}
