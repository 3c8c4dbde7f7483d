//! `/organization/{organizationId}/gitToken[/{gitTokenId}[/associatedServices]]`.
//!
//! Everyone in the organization reads; owner, admin and devops create, replace and
//! delete. Create and replace validate the value with the provider plugin first (missing
//! permissions 422 naming each, refused or expired token 422, provider down 502 with a
//! retry hint) and store nothing unless it passes; the value is sealed before it is
//! stored and never returned. Every response built after the provider saw the value goes
//! through [`redact`].

use serde_json::{json, Value};

use super::{org_access, Incoming};
use crate::clock;
use crate::crypto::Keyring;
use crate::git_tokens::record::{GitToken, TokenFacts};
use crate::git_tokens::request::GitTokenRequest;
use crate::git_tokens::usage::ServiceRef;
use crate::git_tokens::{expiry_window_seconds, store};
use crate::ids;
use crate::problem::Problem;
use crate::providers::token_check::{self, Connection};
use crate::providers::{self, client};
use crate::redact;
use crate::reply::{Reply, Results};
use crate::router::Params;
use crate::tenancy::Action;

/// 200 `{results: [GitTokenResponse]}`, sorted by name. `?expiring=true` keeps only
/// tokens that have expired or expire within the warning window.
pub fn list(incoming: &Incoming, params: &Params, query: &str) -> Result<Reply, Problem> {
    let (kv, caller) = org_access(incoming, params, Action::Read)?;
    let expiring = match super::query_param(query, "expiring").as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            return Err(Problem::bad_request(
                "Query parameter 'expiring' must be true or false.",
            ))
        }
    };
    let (now, window) = (clock::now(), expiry_window_seconds());
    let tokens = store::list(&kv, &caller.organization_id)?;
    let results: Vec<_> = tokens
        .iter()
        .map(|(token, services)| token.view(*services, now, window))
        .filter(|token| !expiring || token.expired || token.expires_soon)
        .collect();
    Ok(Reply::json(200, &Results { results }))
}

/// 200 with one token.
pub fn get(incoming: &Incoming, params: &Params) -> Result<Reply, Problem> {
    let (kv, caller) = org_access(incoming, params, Action::Read)?;
    let id = ids::path_id(params, "gitTokenId")?;
    let (token, services) =
        store::get(&kv, &caller.organization_id, &id)?.ok_or_else(|| store::not_found(&id))?;
    Ok(Reply::json(
        200,
        &token.view(services, clock::now(), expiry_window_seconds()),
    ))
}

/// 200 `{results: [{service_id, service_name, service_type}]}`.
pub fn associated_services(incoming: &Incoming, params: &Params) -> Result<Reply, Problem> {
    let (kv, caller) = org_access(incoming, params, Action::Read)?;
    let id = ids::path_id(params, "gitTokenId")?;
    let results: Vec<Value> = store::associated_services(&kv, &caller.organization_id, &id)?
        .iter()
        .map(ServiceRef::to_json)
        .collect();
    Ok(Reply::json(200, &json!({ "results": results })))
}

/// 201 with the new token.
pub async fn create(incoming: &Incoming, params: &Params) -> Result<Reply, Problem> {
    let (kv, caller) = org_access(incoming, params, Action::ManageGitTokens)?;
    let org = caller.organization_id.as_str();
    let request = GitTokenRequest::parse(&incoming.body)?;
    let keyring = Keyring::from_variables()?;
    store::check_name_free(&kv, org, &request.name, None)?;
    let provider = check_provider(&request).await?;
    let facts = validate(&provider, &request).await?;

    let id = ids::new_id()?;
    let now = clock::now();
    let stamp = clock::format(now);
    let token = GitToken {
        secret: keyring.seal(
            request.token.as_bytes(),
            &GitToken::secret_context(org, &id),
        )?,
        id,
        name: request.name,
        provider,
        description: request.description,
        workspace: request.workspace,
        git_api_url: request.git_api_url,
        created_at: stamp.clone(),
        updated_at: stamp.clone(),
        last_validated_at: stamp,
        facts,
    };
    store::insert(&kv, org, &token)?;
    Ok(Reply::json(
        201,
        &token.view(0, now, expiry_window_seconds()),
    ))
}

/// 200 with the token as replaced. The full request is required, value included; the
/// provider cannot change.
pub async fn replace(incoming: &Incoming, params: &Params) -> Result<Reply, Problem> {
    let (kv, caller) = org_access(incoming, params, Action::ManageGitTokens)?;
    let org = caller.organization_id.as_str();
    let id = ids::path_id(params, "gitTokenId")?;
    let request = GitTokenRequest::parse(&incoming.body)?;
    let (existing, services) = store::get(&kv, org, &id)?.ok_or_else(|| store::not_found(&id))?;
    let keyring = Keyring::from_variables()?;
    store::check_name_free(&kv, org, &request.name, Some(&id))?;
    let provider = check_provider(&request).await?;
    if provider != existing.provider {
        return Err(Problem::bad_request(format!(
            "Member 'type' cannot change: this is a {} token; create a new token for another \
             provider.",
            providers::type_name(&existing.provider)
        )));
    }
    let facts = validate(&provider, &request).await?;

    let now = clock::now();
    let stamp = clock::format(now);
    let token = GitToken {
        secret: keyring.seal(
            request.token.as_bytes(),
            &GitToken::secret_context(org, &id),
        )?,
        id,
        name: request.name,
        provider,
        description: request.description,
        workspace: request.workspace,
        git_api_url: request.git_api_url,
        created_at: existing.created_at,
        updated_at: stamp.clone(),
        last_validated_at: stamp,
        facts,
    };
    store::replace(&kv, org, &token)?;
    Ok(Reply::json(
        200,
        &token.view(services, now, expiry_window_seconds()),
    ))
}

/// 204; 409 listing the services while any uses the token.
pub fn delete(incoming: &Incoming, params: &Params) -> Result<Reply, Problem> {
    let (kv, caller) = org_access(incoming, params, Action::ManageGitTokens)?;
    let id = ids::path_id(params, "gitTokenId")?;
    store::delete(&kv, &caller.organization_id, &id)?;
    Ok(Reply::empty(204))
}

/// The provider id for `type`, after checking the request against what the provider
/// says it needs (workspace, self-managed servers).
async fn check_provider(request: &GitTokenRequest) -> Result<String, Problem> {
    let ids = providers::configured()?;
    let Some(id) = providers::find(&ids, &request.provider_type) else {
        let types: Vec<String> = ids.iter().map(|id| providers::type_name(id)).collect();
        return Err(Problem::bad_request(format!(
            "Member 'type' must name an installed provider: {}.",
            if types.is_empty() {
                "none is installed".to_owned()
            } else {
                types.join(", ")
            }
        )));
    };
    let info = client::call(id, "info", None)
        .await
        .map_err(|e| e.to_problem(id))?;
    check_against_info(id, &info, request)?;
    Ok(id.to_owned())
}

/// The rules that depend on the provider's `/info`.
fn check_against_info(id: &str, info: &Value, request: &GitTokenRequest) -> Result<(), Problem> {
    let type_name = providers::type_name(id);
    let needs_workspace = info["needs_workspace"].as_bool().unwrap_or(false);
    match (needs_workspace, &request.workspace) {
        (true, None) => {
            return Err(Problem::bad_request(format!(
                "Member 'workspace' is required for {type_name} tokens."
            )))
        }
        (false, Some(_)) => {
            return Err(Problem::bad_request(format!(
                "Member 'workspace' is only for providers that need one; {type_name} does not: \
                 leave it out or null."
            )))
        }
        _ => {}
    }
    let self_managed = info["capabilities"]
        .as_array()
        .is_some_and(|caps| caps.iter().any(|c| c == "self_managed"));
    if request.git_api_url.is_some() && !self_managed {
        return Err(Problem::bad_request(format!(
            "Member 'git_api_url' is not accepted for {type_name}: the provider has no \
             self-managed servers."
        )));
    }
    Ok(())
}

/// Validates the value with the provider; what it learnt, or the problem (redacted).
async fn validate(provider: &str, request: &GitTokenRequest) -> Result<TokenFacts, Problem> {
    let conn = Connection {
        api_url: request.git_api_url.as_deref(),
        token: &request.token,
        workspace: request.workspace.as_deref(),
    };
    match token_check::validate(provider, &conn).await {
        Ok(mut report) => {
            redact::value(&mut report, &request.token);
            Ok(TokenFacts::from_report(&report))
        }
        Err(problem) => Err(problem.redact(&request.token)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(workspace: Option<&str>, url: Option<&str>) -> GitTokenRequest {
        GitTokenRequest {
            name: "n".into(),
            provider_type: "BITBUCKET".into(),
            token: "t".into(),
            description: None,
            workspace: workspace.map(str::to_owned),
            git_api_url: url.map(str::to_owned),
        }
    }

    #[test]
    fn workspace_follows_the_provider() {
        let needs = json!({"needs_workspace": true, "capabilities": []});
        let plain = json!({"needs_workspace": false, "capabilities": ["self_managed"]});
        assert!(check_against_info("bitbucket", &needs, &request(Some("team"), None)).is_ok());
        assert_eq!(
            check_against_info("bitbucket", &needs, &request(None, None))
                .unwrap_err()
                .detail(),
            "Member 'workspace' is required for BITBUCKET tokens."
        );
        assert_eq!(
            check_against_info("github", &plain, &request(Some("team"), None))
                .unwrap_err()
                .detail(),
            "Member 'workspace' is only for providers that need one; GITHUB does not: leave it \
             out or null."
        );
        assert!(check_against_info("github", &plain, &request(None, Some("https://h"))).is_ok());
        assert_eq!(
            check_against_info("bitbucket", &needs, &request(Some("t"), Some("https://h")))
                .unwrap_err()
                .status(),
            400
        );
    }
}
