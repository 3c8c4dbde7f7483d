//! `POST /organization` (operator's bootstrap token: creates an organization, its owner
//! and the owner's first API key, shown once) and `GET /organization/{organizationId}`.

use serde_json::json;

use super::{org_access, Incoming};
use crate::json_body::{self, check_text};
use crate::problem::Problem;
use crate::reply::Reply;
use crate::router::Params;
use crate::state::{keys, schema, KeyValue, WasiStore};
use crate::tenancy::auth::{self, BOOTSTRAP_VARIABLE};
use crate::tenancy::organizations::{self, NewOrganization};
use crate::tenancy::{organization_not_found, Action, Role};

const MEMBERS: &[&str] = &["name", "description", "owner_name", "owner_email"];

/// 201 `{organization, member, api_token}`; `api_token.token` is the only time the key
/// is shown.
pub fn create(incoming: &Incoming) -> Result<Reply, Problem> {
    let configured = spin_sdk::variables::get(BOOTSTRAP_VARIABLE).unwrap_or_default();
    auth::check_bootstrap(incoming.authorization.as_deref(), &configured)?;
    let members = json_body::parse_object(&incoming.body, MEMBERS)?;
    let name = members.required_string("name")?;
    check_text("name", &name, 255)?;
    let description = members.optional_string("description")?;
    if let Some(text) = &description {
        check_text("description", text, 1024)?;
    }
    let owner_name = members
        .optional_string("owner_name")?
        .unwrap_or_else(|| "owner".to_owned());
    check_text("owner_name", &owner_name, 255)?;
    let owner_email = members.optional_string("owner_email")?;
    if let Some(email) = &owner_email {
        check_text("owner_email", email, 320)?;
    }

    let kv = WasiStore::open()?;
    schema::ensure(&kv, kv.get(keys::SCHEMA_VERSION)?.as_deref())?;
    let created = organizations::create(
        &kv,
        NewOrganization {
            name,
            description,
            owner_name,
            owner_email,
        },
    )?;
    let mut api_token = created.api_key.to_json(Some(Role::Owner));
    api_token["token"] = created.secret.into();
    Ok(Reply::json(
        201,
        &json!({
            "organization": created.organization.to_json(),
            "member": created.owner.to_json(Role::Owner),
            "api_token": api_token,
        }),
    ))
}

/// 200 with the organization.
pub fn get(incoming: &Incoming, params: &Params) -> Result<Reply, Problem> {
    let (kv, caller) = org_access(incoming, params, Action::Read)?;
    let org = organizations::get(&kv, &caller.organization_id)?
        .ok_or_else(|| organization_not_found(&caller.organization_id))?;
    Ok(Reply::json(200, &org.to_json()))
}
