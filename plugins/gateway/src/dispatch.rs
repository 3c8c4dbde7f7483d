//! Calls the imported contract function named by the request path, with arguments read
//! from the JSON body (one member per WIT parameter, `-` written `_`), or for
//! `verify-webhook` optionally from a [`RAW_DELIVERY`] body.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::bindings::provider;
use crate::protocol::{CallError, Reply};
use crate::wire::{self, Convert};

/// Media type of a `verify-webhook` call whose delivery body is sent raw: the JSON
/// arguments without `delivery.body` on the first line, a line feed, then the body's bytes.
pub const RAW_DELIVERY: &str = "application/vnd.git-access.raw-delivery";

/// Every function of the contract, by its WIT name.
pub const FUNCTIONS: &[&str] = &[
    "info",
    "validate-token",
    "list-repositories",
    "get-repository",
    "list-branches",
    "create-webhook",
    "get-webhook",
    "delete-webhook",
    "verify-webhook",
    "clone-credentials",
    "oauth-authorize-url",
    "oauth-exchange-code",
    "oauth-refresh-token",
    "get-installation",
    "create-installation-token",
    "list-installation-repositories",
    "add-installation-repository",
    "remove-installation-repository",
    "delete-installation",
];

/// Runs `function` with the members of `body` (of media type `media_type`). `api_url` is
/// the operator's default API base, filled into empty `conn.api_url` / `app.api_url`
/// members.
pub fn call(
    function: &str,
    body: &[u8],
    media_type: Option<&str>,
    api_url: Option<&str>,
) -> Result<Reply, CallError> {
    if function == "info" {
        let mut info: wire::ProviderInfo = provider::info().convert();
        if let Some(url) = api_url {
            info.default_api_url = url.to_string();
        }
        return ok(info);
    }
    let (body, raw) = split_raw(function, body, media_type)?;
    if let Some(raw) = raw {
        let delivery = RawDelivery::parse(body, raw)?;
        return reply(provider::verify_webhook(
            &delivery.secret,
            &delivery.delivery,
        ));
    }
    let args = Args::parse(body, api_url)?;
    match function {
        "validate-token" => reply(provider::validate_token(&args.conn()?)),
        "list-repositories" => reply(provider::list_repositories(
            &args.conn()?,
            &args.get::<wire::PageRequest, _>("page")?,
        )),
        "get-repository" => reply(provider::get_repository(
            &args.conn()?,
            &args.get::<wire::RepositoryRef, _>("repo")?,
        )),
        "list-branches" => reply(provider::list_branches(
            &args.conn()?,
            &args.get::<wire::RepositoryRef, _>("repo")?,
            &args.get::<wire::PageRequest, _>("page")?,
        )),
        "create-webhook" => reply(provider::create_webhook(
            &args.conn()?,
            &args.get::<wire::RepositoryRef, _>("repo")?,
            &args.get::<wire::WebhookSpec, _>("spec")?,
        )),
        "get-webhook" => reply(provider::get_webhook(
            &args.conn()?,
            &args.get::<wire::RepositoryRef, _>("repo")?,
            &args.string("id")?,
        )),
        "delete-webhook" => reply(provider::delete_webhook(
            &args.conn()?,
            &args.get::<wire::RepositoryRef, _>("repo")?,
            &args.string("id")?,
        )),
        "verify-webhook" => reply(provider::verify_webhook(
            &args.string("secret")?,
            &args.get::<wire::Delivery, _>("delivery")?,
        )),
        "clone-credentials" => reply(provider::clone_credentials(
            &args.conn()?,
            &args.get::<wire::RepositoryRef, _>("repo")?,
        )),
        "oauth-authorize-url" => reply(provider::oauth_authorize_url(
            &args.get::<wire::AuthorizeRequest, _>("req")?,
        )),
        "oauth-exchange-code" => reply(provider::oauth_exchange_code(
            &args.get::<wire::ExchangeRequest, _>("req")?,
        )),
        "oauth-refresh-token" => refresh_token(&args),
        "get-installation" => reply(provider::get_installation(
            &args.app()?,
            &args.string("installation_id")?,
        )),
        "create-installation-token" => reply(provider::create_installation_token(
            &args.app()?,
            &args.string("installation_id")?,
        )),
        "list-installation-repositories" => reply(provider::list_installation_repositories(
            &args.app()?,
            &args.string("installation_id")?,
            &args.get::<wire::PageRequest, _>("page")?,
        )),
        "add-installation-repository" => reply(provider::add_installation_repository(
            &args.conn()?,
            &args.string("installation_id")?,
            &args.string("repository_id")?,
        )),
        "remove-installation-repository" => reply(provider::remove_installation_repository(
            &args.conn()?,
            &args.string("installation_id")?,
            &args.string("repository_id")?,
        )),
        "delete-installation" => reply(provider::delete_installation(
            &args.app()?,
            &args.string("installation_id")?,
        )),
        other => Err(CallError::UnknownFunction(other.to_string())),
    }
}

/// `oauth-refresh-token`, new in contract 0.2.0.
#[cfg(not(feature = "contract-v0-1"))]
fn refresh_token(args: &Args) -> Result<Reply, CallError> {
    reply(provider::oauth_refresh_token(
        &args.get::<wire::RefreshRequest, _>("req")?,
    ))
}

/// A plugin built against contract 0.1.0 cannot refresh tokens: it answers like a plugin
/// without the capability, so callers need not know which contract a provider speaks.
#[cfg(feature = "contract-v0-1")]
fn refresh_token(_: &Args) -> Result<Reply, CallError> {
    reply::<(), ()>(Err(crate::bindings::types::ProviderError::Unsupported(
        "oauth-refresh-token: this plugin is built against contract 0.1.0, which cannot \
         refresh tokens"
            .to_string(),
    )))
}

/// Splits a [`RAW_DELIVERY`] body into its JSON arguments and the raw delivery body;
/// any other body is all arguments.
fn split_raw<'b>(
    function: &str,
    body: &'b [u8],
    media_type: Option<&str>,
) -> Result<(&'b [u8], Option<&'b [u8]>), CallError> {
    let essence = media_type
        .and_then(|t| t.split(';').next())
        .unwrap_or_default()
        .trim();
    if !essence.eq_ignore_ascii_case(RAW_DELIVERY) {
        return Ok((body, None));
    }
    if function != "verify-webhook" {
        return Err(CallError::InvalidInput(format!(
            "only verify-webhook takes a {RAW_DELIVERY} body"
        )));
    }
    let end = body.iter().position(|b| *b == b'\n').ok_or_else(|| {
        CallError::InvalidInput(format!(
            "a {RAW_DELIVERY} body needs a line feed after its JSON arguments"
        ))
    })?;
    Ok((&body[..end], Some(&body[end + 1..])))
}

/// The arguments of a raw `verify-webhook` call, read straight into their shape (a
/// delivery carries a dozen headers or more).
struct RawDelivery {
    secret: String,
    delivery: crate::bindings::types::Delivery,
}

impl RawDelivery {
    /// `json`: `{"secret": …, "delivery": {"headers": […]}}`; `body`: the delivery body.
    fn parse(json: &[u8], body: &[u8]) -> Result<Self, CallError> {
        #[derive(Deserialize)]
        struct Arguments {
            secret: String,
            delivery: Headers,
        }
        #[derive(Deserialize)]
        struct Headers {
            headers: Vec<wire::Header>,
        }
        let arguments: Arguments = serde_json::from_slice(json).map_err(|e| {
            CallError::InvalidInput(format!(
                "the arguments of a {RAW_DELIVERY} body are not {{\"secret\", \"delivery\": \
                 {{\"headers\"}}}}: {e}"
            ))
        })?;
        Ok(Self {
            secret: arguments.secret,
            delivery: crate::bindings::types::Delivery {
                headers: arguments.delivery.headers.convert(),
                body: body.to_vec(),
            },
        })
    }
}

/// The members of the request body.
struct Args<'a> {
    members: Map<String, Value>,
    api_url: Option<&'a str>,
}

impl<'a> Args<'a> {
    fn parse(body: &[u8], api_url: Option<&'a str>) -> Result<Self, CallError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self {
                members: Map::new(),
                api_url,
            });
        }
        match serde_json::from_slice(body) {
            Ok(Value::Object(members)) => Ok(Self { members, api_url }),
            Ok(_) => Err(CallError::InvalidInput(
                "the request body must be a JSON object with one member per parameter".to_string(),
            )),
            Err(e) => Err(CallError::InvalidInput(format!(
                "the request body is not valid JSON: {e}"
            ))),
        }
    }

    /// Member `name`, decoded as `W` and converted to its WIT type `T`.
    fn get<W: DeserializeOwned + Convert<T>, T>(&self, name: &str) -> Result<T, CallError> {
        let value = self
            .members
            .get(name)
            .ok_or_else(|| CallError::InvalidInput(format!("missing member '{name}'")))?;
        W::deserialize(value)
            .map(Convert::convert)
            .map_err(|e| CallError::InvalidInput(format!("member '{name}': {e}")))
    }

    fn string(&self, name: &str) -> Result<String, CallError> {
        self.get::<String, String>(name)
    }

    /// `conn`, with the operator's API base filled in when it is empty.
    fn conn(&self) -> Result<crate::bindings::types::Connection, CallError> {
        let mut conn = self.get::<wire::Connection, _>("conn")?;
        if let (true, Some(url)) = (conn.api_url.trim().is_empty(), self.api_url) {
            conn.api_url = url.to_string();
        }
        Ok(conn)
    }

    /// `app`, with the operator's API base filled in when it is empty.
    fn app(&self) -> Result<crate::bindings::types::AppCredentials, CallError> {
        let mut app = self.get::<wire::AppCredentials, _>("app")?;
        if let (true, Some(url)) = (app.api_url.trim().is_empty(), self.api_url) {
            app.api_url = url.to_string();
        }
        Ok(app)
    }
}

/// The reply for a provider result: its `ok` value as JSON, or the error.
fn reply<T, W>(result: Result<T, crate::bindings::types::ProviderError>) -> Result<Reply, CallError>
where
    T: Convert<W>,
    W: Serialize,
{
    ok(result?.convert())
}

fn ok<W: Serialize>(value: W) -> Result<Reply, CallError> {
    serde_json::to_value(value)
        .map(Reply::ok)
        .map_err(|e| CallError::Encode(format!("could not encode the result: {e}")))
}

/// `result<_, provider-error>` answers `null`.
impl Convert<()> for () {
    fn convert(self) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(error: CallError) -> String {
        match error {
            CallError::InvalidInput(message) => message,
            _ => panic!("expected invalid input"),
        }
    }

    #[test]
    fn fills_the_operator_api_url_only_when_empty() {
        let args = Args::parse(
            br#"{"conn": {"api_url": "", "token": "t"}, "app": {"app_id": "1", "private_key_pem": "k", "api_url": " "}}"#,
            Some("http://127.0.0.1:9000"),
        )
        .ok()
        .unwrap();
        assert_eq!(args.conn().ok().unwrap().api_url, "http://127.0.0.1:9000");
        assert_eq!(args.app().ok().unwrap().api_url, "http://127.0.0.1:9000");
        let args = Args::parse(
            br#"{"conn": {"api_url": "https://ghe.example.com/api/v3", "token": "t"}}"#,
            Some("http://127.0.0.1:9000"),
        )
        .ok()
        .unwrap();
        assert_eq!(
            args.conn().ok().unwrap().api_url,
            "https://ghe.example.com/api/v3"
        );
    }

    #[test]
    fn names_missing_and_mistyped_members() {
        let args = Args::parse(b"", None).ok().unwrap();
        assert_eq!(message(args.conn().err().unwrap()), "missing member 'conn'");
        let args = Args::parse(br#"{"installation_id": 5}"#, None)
            .ok()
            .unwrap();
        assert!(message(args.string("installation_id").err().unwrap())
            .starts_with("member 'installation_id': invalid type"));
        assert!(message(Args::parse(b"[1]", None).err().unwrap()).contains("JSON object"));
        assert!(message(Args::parse(b"{", None).err().unwrap()).contains("not valid JSON"));
    }

    #[test]
    fn every_function_is_routed() {
        // Arguments are read before the provider is called, so an empty body stops every
        // routed function (all but `info` take parameters) at its first member.
        // Built for contract 0.1.0, the gateway answers `oauth-refresh-token` itself.
        let answered_here: &[&str] = if cfg!(feature = "contract-v0-1") {
            &["info", "oauth-refresh-token"]
        } else {
            &["info"]
        };
        for function in FUNCTIONS.iter().filter(|f| !answered_here.contains(f)) {
            let error = call(function, b"{}", None, None).err().unwrap();
            assert!(message(error).starts_with("missing member"), "{function}");
        }
    }

    #[cfg(feature = "contract-v0-1")]
    #[test]
    fn refreshing_is_unsupported_under_contract_0_1() {
        match call("oauth-refresh-token", b"{}", None, None) {
            Err(CallError::Provider(crate::bindings::types::ProviderError::Unsupported(m))) => {
                assert!(m.contains("contract 0.1.0"), "{m}")
            }
            _ => panic!("expected unsupported"),
        }
    }

    #[test]
    fn a_raw_delivery_keeps_its_body_bytes() {
        let body = b"{\"secret\":\"s\",\"delivery\":{\"headers\":[{\"name\":\"X-A\",\"value\":\"1\"}]}}\n{\"a\":\n\"\\n\"}\xff";
        let media_type = Some("Application/Vnd.Git-Access.Raw-Delivery; charset=binary");
        let (json, raw) = split_raw("verify-webhook", body, media_type).ok().unwrap();
        let RawDelivery { secret, delivery } = RawDelivery::parse(json, raw.unwrap()).ok().unwrap();
        assert_eq!(secret, "s");
        assert_eq!(delivery.body, b"{\"a\":\n\"\\n\"}\xff");
        assert_eq!(
            (
                delivery.headers[0].name.as_str(),
                delivery.headers[0].value.as_str()
            ),
            ("X-A", "1")
        );
        // A JSON body is all arguments, also with a line feed inside.
        let (json, raw) = split_raw("verify-webhook", b"{\n}", Some("application/json"))
            .ok()
            .unwrap();
        assert_eq!((json, raw), (&b"{\n}"[..], None));
        assert!(
            message(split_raw("get-webhook", body, media_type).err().unwrap())
                .contains("only verify-webhook")
        );
        assert!(message(
            split_raw("verify-webhook", b"{}", media_type)
                .err()
                .unwrap()
        )
        .contains("line feed"));
        assert!(message(RawDelivery::parse(b"{}", b"").err().unwrap()).contains("`secret`"));
    }

    #[test]
    fn unknown_functions_are_404() {
        assert!(matches!(
            call("list-everything", b"{}", None, None),
            Err(CallError::UnknownFunction(name)) if name == "list-everything"
        ));
    }
}
