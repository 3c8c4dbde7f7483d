//! `/organization/{organizationId}/member[/{memberId}]`: list and read (every role);
//! add, replace and remove (owner, admin). Only owners grant, change or remove the owner
//! role, and an organization keeps at least one owner. A member may be a signed-in user
//! (`user_id`): that user's session then acts as the member.

use serde_json::{json, Value};

use super::{org_access, Incoming};
use crate::ids;
use crate::json_body::{self, check_text};
use crate::problem::Problem;
use crate::reply::Reply;
use crate::router::Params;
use crate::tenancy::members::{self, MemberFields};
use crate::tenancy::role::forbidden;
use crate::tenancy::{users, Action, Caller, Role};

const MEMBERS: &[&str] = &["name", "email", "role", "user_id"];

/// 200 `{results: [member]}`.
pub fn list(incoming: &Incoming, params: &Params) -> Result<Reply, Problem> {
    let (kv, caller) = org_access(incoming, params, Action::Read)?;
    let results: Vec<Value> = members::list(&kv, &caller.organization_id)?
        .iter()
        .map(|(member, role)| member.to_json(*role))
        .collect();
    Ok(Reply::json(200, &json!({ "results": results })))
}

/// 200 with one member.
pub fn get(incoming: &Incoming, params: &Params) -> Result<Reply, Problem> {
    let (kv, caller) = org_access(incoming, params, Action::Read)?;
    let id = ids::path_id(params, "memberId")?;
    let (member, role) =
        members::get(&kv, &caller.organization_id, &id)?.ok_or_else(|| members::not_found(&id))?;
    Ok(Reply::json(200, &member.to_json(role)))
}

/// 201 with the new member.
pub fn create(incoming: &Incoming, params: &Params) -> Result<Reply, Problem> {
    let (kv, caller) = org_access(incoming, params, Action::ManageMembers)?;
    let fields = parse(&incoming.body)?;
    require_owner_for(&caller, &[fields.role])?;
    if let Some(user) = &fields.user_id {
        users::get(&kv, user)?.ok_or_else(|| {
            Problem::new(
                422,
                "user-not-found",
                "User not found",
                format!(
                    "No user '{user}' exists; users appear when they first sign in (their id \
                     is in GET /user)."
                ),
            )
        })?;
    }
    let role = fields.role;
    let member = members::add(&kv, &caller.organization_id, fields)?;
    Ok(Reply::json(201, &member.to_json(role)))
}

/// 200 with the member as replaced.
pub fn replace(incoming: &Incoming, params: &Params) -> Result<Reply, Problem> {
    let (kv, caller) = org_access(incoming, params, Action::ManageMembers)?;
    let id = ids::path_id(params, "memberId")?;
    let fields = parse(&incoming.body)?;
    let (existing, current) =
        members::get(&kv, &caller.organization_id, &id)?.ok_or_else(|| members::not_found(&id))?;
    require_owner_for(&caller, &[current, fields.role])?;
    if fields.user_id.is_some() && fields.user_id != existing.user_id {
        return Err(Problem::bad_request(
            "Member 'user_id' cannot change; remove the member and add the user again.",
        ));
    }
    let role = fields.role;
    let member = members::update(&kv, &caller.organization_id, &id, fields)?;
    Ok(Reply::json(200, &member.to_json(role)))
}

/// 204; the member's API keys are revoked with it.
pub fn delete(incoming: &Incoming, params: &Params) -> Result<Reply, Problem> {
    let (kv, caller) = org_access(incoming, params, Action::ManageMembers)?;
    let id = ids::path_id(params, "memberId")?;
    let current = members::role_of(&kv, &caller.organization_id, &id)?
        .ok_or_else(|| members::not_found(&id))?;
    require_owner_for(&caller, &[current])?;
    members::remove(&kv, &caller.organization_id, &id)?;
    Ok(Reply::empty(204))
}

/// 403 unless the caller is an owner when any of `roles` is owner.
pub fn require_owner_for(caller: &Caller, roles: &[Role]) -> Result<(), Problem> {
    if roles.contains(&Role::Owner) && caller.role != Role::Owner {
        return Err(forbidden(format!(
            "Your role '{}' cannot grant, change or remove the owner role, or act for an \
             owner; only owners can.",
            caller.role
        )));
    }
    Ok(())
}

fn parse(body: &[u8]) -> Result<MemberFields, Problem> {
    let members = json_body::parse_object(body, MEMBERS)?;
    let name = members.required_string("name")?;
    check_text("name", &name, 255)?;
    let email = members.optional_string("email")?;
    if let Some(email) = &email {
        check_text("email", email, 320)?;
    }
    let role = Role::from_member("role", &members.required_string("role")?)?;
    let user_id = members
        .optional_string("user_id")?
        .map(|id| ids::checked("user_id", &id))
        .transpose()?;
    Ok(MemberFields {
        name,
        email,
        role,
        user_id,
    })
}
