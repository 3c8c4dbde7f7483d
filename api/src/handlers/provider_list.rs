//! `GET /api/providers`: every configured provider with what its plugin says about
//! itself (`/info`), in the order of the `providers` variable.
//!
//! One failing provider does not fail the list: its item carries `error` instead.

use futures::future::join_all;
use serde_json::{json, Value};

use crate::problem::Problem;
use crate::providers::{self, client, CallError};
use crate::reply::Reply;

/// 200 `{"results": [item, ...]}`; 500 only when the `providers` variable is unreadable.
pub async fn list() -> Result<Reply, Problem> {
    Ok(Reply::json(200, &json!({ "results": items().await? })))
}

/// One item per configured provider, in the order of the `providers` variable.
pub async fn items() -> Result<Vec<Value>, Problem> {
    let ids = providers::configured()?;
    let infos = join_all(ids.iter().map(|id| client::call(id, "info", None))).await;
    Ok(ids
        .iter()
        .zip(infos)
        .map(|(id, info)| item(id, info))
        .collect())
}

/// One list item: the provider's info with `type` added, or `{id, type, error}`.
fn item(id: &str, info: Result<Value, CallError>) -> Value {
    let error = match info {
        Ok(Value::Object(mut info)) => {
            info.insert("type".into(), providers::type_name(id).into());
            return Value::Object(info);
        }
        Ok(_) => format!("The {id} provider's /info answer is not a JSON object."),
        Err(e) => e.to_problem(id).detail().to_owned(),
    };
    eprintln!("api: provider {id} left out of the list: {error}");
    json!({"id": id, "type": providers::type_name(id), "error": error})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::protocol::ProviderError;

    #[test]
    fn info_gets_the_uppercase_type() {
        let info = json!({"id": "github", "name": "GitHub", "capabilities": ["webhooks"]});
        assert_eq!(
            item("github", Ok(info)),
            json!({"id": "github", "name": "GitHub", "capabilities": ["webhooks"], "type": "GITHUB"})
        );
    }

    #[test]
    fn failures_become_error_items() {
        let failed = item(
            "gitlab",
            Err(CallError::Unreachable {
                url: "http://provider-gitlab.spin.internal/info".into(),
                reason: "no such component".into(),
            }),
        );
        assert_eq!(
            failed,
            json!({
                "id": "gitlab",
                "type": "GITLAB",
                "error": "Could not reach the gitlab provider at \
                          http://provider-gitlab.spin.internal/info: no such component."
            })
        );
        let failed = item(
            "x",
            Err(CallError::Provider(ProviderError::Other("boom".into()))),
        );
        assert_eq!(failed["error"], "The x provider failed: boom.");
        let failed = item("x", Ok(json!([1])));
        assert_eq!(
            failed["error"],
            "The x provider's /info answer is not a JSON object."
        );
    }
}
