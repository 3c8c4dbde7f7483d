//! `GET /organization/{organizationId}/account/gitAuthProvider` (every role): the installed
//! provider plugins and what a Git token form needs for each (workspace? self-managed
//! URL? token kinds and their required permissions), so a console renders forms from data.

use serde_json::{json, Value};

use super::{org_access, provider_list, Incoming};
use crate::problem::Problem;
use crate::reply::Reply;
use crate::router::Params;
use crate::tenancy::Action;

/// 200 `{results: [provider]}`.
pub async fn list(incoming: &Incoming, params: &Params) -> Result<Reply, Problem> {
    org_access(incoming, params, Action::Read)?;
    let results: Vec<Value> = provider_list::items()
        .await?
        .into_iter()
        .map(with_form_hints)
        .collect();
    Ok(Reply::json(200, &json!({ "results": results })))
}

/// Adds `self_managed` (whether `git_api_url` may be given) to a provider's info.
fn with_form_hints(mut item: Value) -> Value {
    let self_managed = item["capabilities"]
        .as_array()
        .is_some_and(|caps| caps.iter().any(|c| c == "self_managed"));
    if let Value::Object(members) = &mut item {
        if !members.contains_key("error") {
            members.insert("self_managed".into(), self_managed.into());
        }
    }
    item
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_self_managed_providers() {
        let item = with_form_hints(json!({"id": "github", "capabilities": ["self_managed"]}));
        assert_eq!(item["self_managed"], true);
        let item = with_form_hints(json!({"id": "x", "capabilities": []}));
        assert_eq!(item["self_managed"], false);
        let item = with_form_hints(json!({"id": "x", "error": "down"}));
        assert_eq!(item.get("self_managed"), None);
    }
}
