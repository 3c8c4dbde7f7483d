//! `/organization/{organizationId}/apiToken[/{apiTokenId}]` (owner, admin): list keys,
//! create one (shown once) and revoke one.
//!
//! Create with `member_id` to give an existing member another key, or with `role` to
//! create an automation member named after the key, with that role, in one step.

use serde_json::{json, Value};

use super::members::require_owner_for;
use super::{org_access, Incoming};
use crate::ids;
use crate::json_body::{self, check_text};
use crate::problem::Problem;
use crate::reply::Reply;
use crate::router::Params;
use crate::tenancy::members::{self, MemberFields};
use crate::tenancy::{api_keys, Action, Role};

const MEMBERS: &[&str] = &["name", "description", "member_id", "role"];

/// 200 `{results: [api token without its value]}`.
pub fn list(incoming: &Incoming, params: &Params) -> Result<Reply, Problem> {
    let (kv, caller) = org_access(incoming, params, Action::ManageMembers)?;
    let org = &caller.organization_id;
    let roles = members::roles(&kv, org)?;
    let role_of = |member: &str| roles.iter().find(|(id, _)| id == member).map(|(_, r)| *r);
    let results: Vec<Value> = api_keys::list(&kv, org)?
        .iter()
        .map(|key| key.to_json(role_of(&key.member_id)))
        .collect();
    Ok(Reply::json(200, &json!({ "results": results })))
}

/// 201 with the key record and, this once, `token`.
pub fn create(incoming: &Incoming, params: &Params) -> Result<Reply, Problem> {
    let (kv, caller) = org_access(incoming, params, Action::ManageMembers)?;
    let org = &caller.organization_id;
    let body = json_body::parse_object(&incoming.body, MEMBERS)?;
    let name = body.required_string("name")?;
    check_text("name", &name, 255)?;
    let description = body.optional_string("description")?;
    if let Some(text) = &description {
        check_text("description", text, 1024)?;
    }
    let member_id = body
        .optional_string("member_id")?
        .map(|id| ids::checked("member_id", &id))
        .transpose()?;
    let role = body
        .optional_string("role")?
        .map(|role| Role::from_member("role", &role))
        .transpose()?;
    let (member_id, role) = match (member_id, role) {
        (Some(member_id), None) => {
            let role = members::role_of(&kv, org, &member_id)?
                .ok_or_else(|| members::not_found(&member_id))?;
            require_owner_for(&caller, &[role])?;
            (member_id, role)
        }
        (None, Some(role)) => {
            require_owner_for(&caller, &[role])?;
            let member = members::add(
                &kv,
                org,
                MemberFields {
                    name: name.clone(),
                    email: None,
                    role,
                    user_id: None,
                },
            )?;
            (member.id, role)
        }
        _ => {
            return Err(Problem::bad_request(
                "Give exactly one of 'member_id' (a key for an existing member) and 'role' \
                 (a new automation member with that role).",
            ))
        }
    };
    let (record, secret) = api_keys::mint(&kv, org, &member_id, &name, description)?;
    let mut reply = record.to_json(Some(role));
    reply["token"] = secret.into();
    Ok(Reply::json(201, &reply))
}

/// 204 once revoked.
pub fn delete(incoming: &Incoming, params: &Params) -> Result<Reply, Problem> {
    let (kv, caller) = org_access(incoming, params, Action::ManageMembers)?;
    let org = &caller.organization_id;
    let id = ids::path_id(params, "apiTokenId")?;
    let not_found = || {
        Problem::new(
            404,
            "not-found",
            "Not found",
            format!("API token '{id}' was not found in this organization."),
        )
    };
    let key = api_keys::list(&kv, org)?
        .into_iter()
        .find(|key| key.id == id)
        .ok_or_else(not_found)?;
    if let Some(role) = members::role_of(&kv, org, &key.member_id)? {
        require_owner_for(&caller, &[role])?;
    }
    if !api_keys::revoke(&kv, org, &id)? {
        return Err(not_found());
    }
    Ok(Reply::empty(204))
}
