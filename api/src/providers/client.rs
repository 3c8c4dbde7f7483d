//! Calls a function of a provider component over Spin service chaining.

use serde::Serialize;
use serde_json::Value;
use spin_sdk::http::{ErrorCode, Method, Request, Response, SendError};

use super::{is_valid_id, protocol, CallError};

/// Calls `function` on provider `id` with `args` as the JSON body (none for `/info`),
/// returning the function's `ok` value.
pub async fn call(id: &str, function: &str, args: Option<&Value>) -> Result<Value, CallError> {
    send(
        id,
        function,
        args.map(|args| ("application/json", args.to_string().into_bytes())),
    )
    .await
}

/// `verify-webhook` of provider `id` for a delivery with `headers` and `body` under
/// `secret`, the body sent raw ([`protocol::RAW_DELIVERY`]) rather than as base64 inside
/// JSON; returns the normalized event.
pub async fn verify_webhook(
    id: &str,
    secret: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<Value, CallError> {
    #[derive(Serialize)]
    struct Header<'a> {
        name: &'a str,
        value: &'a str,
    }
    #[derive(Serialize)]
    struct Delivery<'a> {
        headers: Vec<Header<'a>>,
    }
    #[derive(Serialize)]
    struct Arguments<'a> {
        secret: &'a str,
        delivery: Delivery<'a>,
    }
    let arguments = Arguments {
        secret,
        delivery: Delivery {
            // The provider's headers; not the `spin-*` ones the runtime adds.
            headers: headers
                .iter()
                .filter(|(name, _)| {
                    !name
                        .get(..5)
                        .is_some_and(|p| p.eq_ignore_ascii_case("spin-"))
                })
                .map(|(name, value)| Header { name, value })
                .collect(),
        },
    };
    // Compact JSON has no raw line feed, so the first one ends the arguments. (Strings
    // always serialize.)
    let mut framed = serde_json::to_vec(&arguments).unwrap_or_default();
    framed.reserve(body.len() + 1);
    framed.push(b'\n');
    framed.extend_from_slice(body);
    send(id, "verify-webhook", Some((protocol::RAW_DELIVERY, framed))).await
}

/// Posts `body` (with its media type) to `function` of provider `id`.
async fn send(id: &str, function: &str, body: Option<(&str, Vec<u8>)>) -> Result<Value, CallError> {
    if !is_valid_id(id) {
        return Err(CallError::InvalidId(id.to_owned()));
    }
    let url = protocol::function_url(id, function);
    let mut builder = Request::builder();
    builder.method(Method::Post).uri(url.as_str());
    if let Some((media_type, body)) = body {
        builder.header("content-type", media_type).body(body);
    }
    let response: Response =
        spin_sdk::http::send(builder.build())
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
