//! Calls a function of a provider component over Spin service chaining.

use serde_json::Value;
use spin_sdk::http::{send, ErrorCode, Method, Request, Response, SendError};

use super::{is_valid_id, protocol, CallError};

/// Calls `function` on provider `id` with `args` as the JSON body (none for `/info`),
/// returning the function's `ok` value.
pub async fn call(id: &str, function: &str, args: Option<&Value>) -> Result<Value, CallError> {
    if !is_valid_id(id) {
        return Err(CallError::InvalidId(id.to_owned()));
    }
    let url = protocol::function_url(id, function);
    let mut builder = Request::builder();
    builder.method(Method::Post).uri(url.as_str());
    if let Some(args) = args {
        builder
            .header("content-type", "application/json")
            .body(args.to_string());
    }
    let response: Response = send(builder.build())
        .await
        .map_err(|e| CallError::Unreachable {
            url: url.clone(),
            reason: unreachable_reason(&e),
        })?;
    protocol::interpret(
        &url,
        *response.status(),
        response.header("retry-after").and_then(|v| v.as_str()),
        response.body(),
    )
}

/// Says why a call got no answer, pointing at the likely configuration mistake.
fn unreachable_reason(error: &SendError) -> String {
    match error {
        SendError::Http(ErrorCode::DestinationNotFound) => {
            "no component answers there (is its `provider-<id>` component in spin.toml?)".into()
        }
        SendError::Http(ErrorCode::HttpRequestDenied) => {
            "the request was denied (the api component's allowed_outbound_hosts must include \
             \"http://*.spin.internal\")"
                .into()
        }
        SendError::Http(ErrorCode::ConnectionTimeout | ErrorCode::HttpResponseTimeout) => {
            "it did not answer in time".into()
        }
        SendError::Http(ErrorCode::InternalError(Some(message))) => message.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_point_at_the_configuration() {
        let reason = unreachable_reason(&SendError::Http(ErrorCode::DestinationNotFound));
        assert_eq!(
            reason,
            "no component answers there (is its `provider-<id>` component in spin.toml?)"
        );
        let reason = unreachable_reason(&SendError::Http(ErrorCode::InternalError(Some(
            "instance limit reached".into(),
        ))));
        assert_eq!(reason, "instance limit reached");
    }
}
