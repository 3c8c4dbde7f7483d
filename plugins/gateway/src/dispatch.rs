//! Calls the imported contract function named by the request path, with arguments read
//! from the JSON body (one member per WIT parameter, `-` written `_`).

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::bindings::provider;
use crate::protocol::{CallError, Reply};
use crate::wire::{self, Convert};

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
    "get-installation",
    "create-installation-token",
    "list-installation-repositories",
    "add-installation-repository",
    "remove-installation-repository",
    "delete-installation",
];

/// Runs `function` with the members of `body`. `api_url` is the operator's default API
/// base, filled into empty `conn.api_url` / `app.api_url` members.
pub fn call(function: &str, body: &[u8], api_url: Option<&str>) -> Result<Reply, CallError> {
    if function == "info" {
        let mut info: wire::ProviderInfo = provider::info().convert();
        if let Some(url) = api_url {
            info.default_api_url = url.to_string();
        }
        return ok(info);
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
        for function in FUNCTIONS.iter().filter(|f| **f != "info") {
            let error = call(function, b"{}", None).err().unwrap();
            assert!(message(error).starts_with("missing member"), "{function}");
        }
    }

    #[test]
    fn unknown_functions_are_404() {
        assert!(matches!(
            call("list-everything", b"{}", None),
            Err(CallError::UnknownFunction(name)) if name == "list-everything"
        ));
    }
}
