//! `GET /organization/{organizationId}/account/{provider}/repository` and
//! `…/repository/branch`: what an account can reach, to pick an application's source.
//!
//! `gitTokenId` names the organization Git token to list with; `githubApp=true` lists with
//! the organization's GitHub App installation (GitHub only). Without either, a signed-in
//! user (`Bearer` session) lists with their own linked Git account; for branches, a
//! caller without a linked account at that provider reads a public repository
//! anonymously. API keys must name a token to list repositories. `cursor`, `per_page` (1–100, default 30) and `search` are passed
//! to the provider as they are. Expired tokens are refused with 422 `git-token-expired`.

use serde_json::{json, Value};

use super::applications::own_account;
use super::{org_access, query_param, Incoming};
use crate::applications::git_calls::Account;
use crate::applications::request::parse_repository;
use crate::clock;
use crate::ids;
use crate::problem::Problem;
use crate::providers;
use crate::reply::Reply;
use crate::router::Params;
use crate::state::WasiStore;
use crate::tenancy::Action;

/// 200 `{results: [repository], next_cursor}`.
pub async fn repositories(incoming: &Incoming, params: &Params) -> Result<Reply, Problem> {
    let (kv, caller) = org_access(incoming, params, Action::Read)?;
    let provider = path_provider(params)?;
    let account = match query_param(&incoming.query, "gitTokenId") {
        Some(token_id) => token_account(&kv, &caller.organization_id, &provider, &token_id)?,
        None if github_app_wanted(&incoming.query, &provider)? => {
            Account::of_installation(&kv, &caller.organization_id, None)?
        }
        None if caller.user_id.is_some() => own_account(&kv, &caller, &provider, clock::now())?,
        None => {
            return Err(Problem::bad_request(
                "Query parameter 'gitTokenId' is required with an API key: the organization \
                 Git token to list repositories with (a signed-in user's session lists with \
                 their own linked account).",
            ))
        }
    };
    let page = json!({ "page": page_request(&incoming.query)? });
    let answer = account
        .call_account("list-repositories", page)
        .await
        .map_err(|e| account.problem(&e))?;
    Ok(Reply::json(200, &page_json(&answer)))
}

/// 200 `{results: [branch], next_cursor}` of repository `name` (`owner/name` or a URL).
pub async fn branches(incoming: &Incoming, params: &Params) -> Result<Reply, Problem> {
    let (kv, caller) = org_access(incoming, params, Action::Read)?;
    let provider = path_provider(params)?;
    let name = query_param(&incoming.query, "name").ok_or_else(|| {
        Problem::bad_request("Query parameter 'name' is required: the repository, owner/name.")
    })?;
    let repo = parse_repository(&name).map_err(|_| {
        Problem::bad_request(
            "Query parameter 'name' must be a repository such as octocat/hello-world or its URL.",
        )
    })?;
    let account = match query_param(&incoming.query, "gitTokenId") {
        Some(token_id) => token_account(&kv, &caller.organization_id, &provider, &token_id)?,
        None if github_app_wanted(&incoming.query, &provider)? => {
            Account::of_installation(&kv, &caller.organization_id, None)?
        }
        // A session with an account linked at this provider uses it; anyone else reads
        // a public repository anonymously.
        None => match own_account(&kv, &caller, &provider, clock::now()) {
            Ok(account) => account,
            Err(problem)
                if matches!(
                    problem.slug(),
                    "git-account-not-linked" | "own-account-needs-session"
                ) =>
            {
                Account::anonymous(&provider)
            }
            Err(problem) => return Err(problem),
        },
    };
    let page = json!({ "page": page_request(&incoming.query)? });
    let answer = account
        .call("list-branches", &repo, page)
        .await
        .map_err(|e| account.problem(&e))?;
    Ok(Reply::json(200, &page_json(&answer)))
}

fn path_provider(params: &Params) -> Result<String, Problem> {
    let wanted = params.get("provider").unwrap_or_default();
    let ids = providers::configured()?;
    providers::find(&ids, wanted)
        .map(str::to_owned)
        .ok_or_else(|| providers::unknown(wanted, &ids))
}

/// Whether `githubApp=true` asks for the GitHub App installation (400 off GitHub).
fn github_app_wanted(query: &str, provider: &str) -> Result<bool, Problem> {
    match query_param(query, "githubApp").as_deref() {
        None | Some("false") => Ok(false),
        Some("true") if provider == "github" => Ok(true),
        Some("true") => Err(Problem::bad_request(
            "Query parameter 'githubApp' is for GitHub; this provider has no GitHub App.",
        )),
        Some(_) => Err(Problem::bad_request(
            "Query parameter 'githubApp' must be true or false.",
        )),
    }
}

fn token_account(
    kv: &WasiStore,
    org: &str,
    provider: &str,
    token_id: &str,
) -> Result<Account, Problem> {
    let id = ids::checked("gitTokenId", token_id)?;
    Account::of_token(kv, org, provider, &id, clock::now())
}

/// The provider's `page-request` from `cursor`, `per_page` and `search`.
pub(super) fn page_request(query: &str) -> Result<Value, Problem> {
    let per_page = match query_param(query, "per_page") {
        None => 30,
        Some(text) => text
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=100).contains(n))
            .ok_or_else(|| {
                Problem::bad_request("Query parameter 'per_page' must be a number from 1 to 100.")
            })?,
    };
    let text = |name: &str| query_param(query, name).filter(|v| !v.is_empty());
    Ok(json!({
        "cursor": text("cursor"),
        "per_page": per_page,
        "search": text("search"),
    }))
}

pub(super) fn page_json(answer: &Value) -> Value {
    json!({
        "results": answer["items"].as_array().cloned().unwrap_or_default(),
        "next_cursor": answer["next"],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_requests_pass_through() {
        assert_eq!(
            page_request("cursor=abc&per_page=5&search=hel").unwrap(),
            json!({"cursor": "abc", "per_page": 5, "search": "hel"})
        );
        assert_eq!(
            page_request("").unwrap(),
            json!({"cursor": null, "per_page": 30, "search": null})
        );
        assert_eq!(page_request("per_page=0").unwrap_err().status(), 400);
        assert_eq!(
            page_json(&json!({"items": [{"name": "main"}], "next": null})),
            json!({"results": [{"name": "main"}], "next_cursor": null})
        );
    }
}
