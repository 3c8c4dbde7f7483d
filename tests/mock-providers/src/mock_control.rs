//! What the mocks' own control endpoints (`/_mock/…`, not part of any provider's API)
//! share: the fault request and its answer, and the summary of fired deliveries. Each
//! provider mounts its own routes (push, pull or merge request) around these.

use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::deliveries::{Delivery, DeliveryOutcome};
use crate::faults::{Fault, Faults};

/// `POST /_mock/faults`
/// `{"fault": "rate_limit" | "too_many_requests" | "server_error", "times": 1, "seconds": 60, "status": 503}`.
#[derive(Debug, Deserialize)]
pub struct FaultRequest {
    fault: String,
    #[serde(default = "one")]
    times: usize,
    #[serde(default = "sixty")]
    seconds: u64,
    #[serde(default = "service_unavailable")]
    status: u16,
}

fn one() -> usize {
    1
}
fn sixty() -> u64 {
    60
}
fn service_unavailable() -> u16 {
    503
}

impl FaultRequest {
    /// Queues the fault on `faults`; the answer says how many calls will fail.
    pub fn apply(self, faults: &Faults) -> Response {
        let fault = match self.fault.as_str() {
            "rate_limit" => Fault::RateLimit {
                reset_in: self.seconds,
            },
            "secondary_rate_limit" => Fault::SecondaryRateLimit {
                retry_after: self.seconds,
            },
            "too_many_requests" => Fault::TooManyRequests {
                retry_after: self.seconds,
            },
            "server_error" => Fault::ServerError {
                status: self.status,
                retry_after: Some(self.seconds),
            },
            other => {
                return (
                    StatusCode::BAD_REQUEST,
                    Json(json!({"message": format!("unknown fault `{other}`")})),
                )
                    .into_response()
            }
        };
        faults.inject(fault, self.times);
        Json(json!({"pending": faults.pending()})).into_response()
    }
}

/// The deliveries an action fired, or `404` when its repository or user is unknown.
pub fn fired(deliveries: Option<Vec<Delivery>>) -> Response {
    match deliveries {
        Some(deliveries) => list(&deliveries),
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({"message": "no such repository or user"})),
        )
            .into_response(),
    }
}

/// Deliveries as a JSON list: id, event, URL and outcome.
pub fn list(deliveries: &[Delivery]) -> Response {
    Json(Value::Array(deliveries.iter().map(summary).collect())).into_response()
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
