//! `POST /organization` and `GET /organization/{organizationId}`.
//!
//! An organization is created either by the operator's bootstrap token (`Token`: an owner
//! member and its first API key, shown once) or by a signed-in user (`Bearer` session:
//! the user becomes the owner and acts in it with the session; no API key is made).

use serde_json::json;

use super::{org_access, Incoming};
use crate::json_body::{self, check_text};
use crate::problem::Problem;
use crate::reply::Reply;
use crate::router::Params;
use crate::state::{keys, schema, KeyValue, WasiStore};
use crate::tenancy::auth::{self, Credential, BOOTSTRAP_VARIABLE};
use crate::tenancy::organizations::{self, NewOrganization};
use crate::tenancy::{organization_not_found, users, Action, Role};

const MEMBERS: &[&str] = &["name", "description", "owner_name", "owner_email"];

/// 201 `{organization, member, api_token?}`; `api_token.token` is the only time the key
/// is shown.
pub fn create(incoming: &Incoming) -> Result<Reply, Problem> {
    let kv = WasiStore::open()?;
    let user = match auth::credential(incoming.authorization.as_deref())? {
        Credential::Session(session) => Some(users::session_user(&kv, session)?),
        Credential::ApiKey(_) => {
            let configured = spin_sdk::variables::get(BOOTSTRAP_VARIABLE).unwrap_or_default();
            auth::check_bootstrap(incoming.authorization.as_deref(), &configured)?;
            None
        }
    };
    let members = json_body::parse_object(&incoming.body, MEMBERS)?;
    let name = members.required_string("name")?;
    check_text("name", &name, 255)?;
    let description = members.optional_string("description")?;
    if let Some(text) = &description {
        check_text("description", text, 1024)?;
    }
    let owner_name = members
        .optional_string("owner_name")?
        .or_else(|| user.as_ref().map(|u| u.name.clone()))
        .unwrap_or_else(|| "owner".to_owned());
    check_text("owner_name", &owner_name, 255)?;
    let owner_email = members.optional_string("owner_email")?;
    if let Some(email) = &owner_email {
        check_text("owner_email", email, 320)?;
    }

    schema::ensure(&kv, kv.get(keys::SCHEMA_VERSION)?.as_deref())?;
    let created = organizations::create(
        &kv,
        NewOrganization {
            name,
            description,
            owner_name,
            owner_email,
            owner_user_id: user.map(|u| u.id),
        },
    )?;
    let mut body = json!({
        "organization": created.organization.to_json(),
        "member": created.owner.to_json(Role::Owner),
    });
    if let Some((key, secret)) = created.api_key {
        let mut api_token = key.to_json(Some(Role::Owner));
        api_token["token"] = secret.into();
        body["api_token"] = api_token;
    }
    Ok(Reply::json(201, &body))
}

/// 200 with the organization.
pub fn get(incoming: &Incoming, params: &Params) -> Result<Reply, Problem> {
    let (kv, caller) = org_access(incoming, params, Action::Read)?;
    let org = organizations::get(&kv, &caller.organization_id)?
        .ok_or_else(|| organization_not_found(&caller.organization_id))?;
    Ok(Reply::json(200, &org.to_json()))
}
