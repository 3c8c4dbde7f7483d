//! The deprecated GitHub App routes (see [`crate::github_app`] for the model):
//!
//! - `GET /organization/{organizationId}/github/connect`: an install link with a fresh
//!   single-use `state` (owner, admin, devops);
//! - `GET /github/app/callback?installation_id=&setup_action=&code=&state=`: where GitHub
//!   sends the browser after installing (the app's callback URL); the state names the
//!   organization, the code proves access to the installation;
//! - `POST /organization/{organizationId}/github/connect` `{installation_id, code}`: the
//!   same for a console that received the redirect itself;
//! - `GET …/github/installation`: the connection, refreshed from GitHub;
//! - `GET …/github/installation/repository`: the repositories it may access (paginated);
//! - `PUT|DELETE …/github/installation/repository/{repositoryId}`: grant or revoke one,
//!   as the signed-in user (GitHub acts with the user's own linked GitHub account);
//! - `DELETE …/github/disconnect?force=`: forget the installation;
//! - `DELETE …/github/installation?force=`: uninstall the app at GitHub, then forget it;
//! - `POST /webhooks/github-app`: the app's own deliveries (its webhook URL, signed with
//!   `github_app_webhook_secret`): an installation deleted or suspended on GitHub is
//!   reflected here.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};

use super::applications::{own_account, public_base};
use super::repositories::{page_json, page_request};
use super::{org_access, query_param, Incoming};
use crate::clock;
use crate::github_app::{self as app, AppConfig, Connection, PendingInstall};
use crate::ids;
use crate::json_body;
use crate::problem::Problem;
use crate::providers::protocol::ProviderError;
use crate::providers::{client, CallError};
use crate::reply::Reply;
use crate::router::Params;
use crate::state::{encode_json, KeyValue, WasiStore};
use crate::tenancy::users::sha256_hex;
use crate::tenancy::Action;

/// Where GitHub sends the browser back: the app's callback URL.
const CALLBACK_PATH: &str = "/github/app/callback";

fn redirect_uri(incoming: &Incoming) -> Result<String, Problem> {
    Ok(format!("{}{CALLBACK_PATH}", public_base(incoming)?))
}

/// 200 `{install_url, state, expires_at, callback_url}`.
pub fn install_link(incoming: &Incoming, params: &Params) -> Result<Reply, Problem> {
    let (kv, caller) = org_access(incoming, params, Action::ManageGitTokens)?;
    let config = AppConfig::from_variables()?;
    let state = URL_SAFE_NO_PAD.encode(ids::random_bytes::<32>()?);
    let expires_at = clock::now() + app::STATE_TTL;
    let pending = PendingInstall {
        organization_id: caller.organization_id.clone(),
        member_id: caller.member_id.clone(),
        expires_at,
        used: false,
    };
    kv.set(&app::state_key(&sha256_hex(&state)), &encode_json(&pending))?;
    Ok(Reply::json(
        200,
        &json!({
            "install_url": config.install_url(&state),
            "state": state,
            "expires_at": clock::format(expires_at),
            "callback_url": redirect_uri(incoming)?,
        }),
    )
    .with_header("cache-control", "no-store"))
}

/// Checks the installation with GitHub and connects it to `org`.
async fn connect(
    kv: &WasiStore,
    incoming: &Incoming,
    config: &AppConfig,
    org: &str,
    member: &str,
    installation_id: &str,
    code: &str,
) -> Result<Connection, Problem> {
    config
        .prove_access(installation_id, code, &redirect_uri(incoming)?)
        .await?;
    let installation = config.installation(installation_id).await?;
    let connection = Connection::from_installation(&installation, clock::now(), member);
    if connection.suspended {
        return Err(app::suspended(&connection));
    }
    app::claim(kv, installation_id, org)?;
    match app::store_connection(kv, org, &connection) {
        Ok(stored) => Ok(stored),
        Err(problem) => {
            // The organization holds another installation: give this claim back.
            if app::connection(kv, org)?.is_none_or(|c| c.installation_id != installation_id) {
                kv.delete_many(&[app::claim_key(installation_id)])?;
            }
            Err(problem)
        }
    }
}

/// `POST …/github/connect` `{installation_id, code}`: 200 with the connection.
pub async fn connect_request(incoming: &Incoming, params: &Params) -> Result<Reply, Problem> {
    let (kv, caller) = org_access(incoming, params, Action::ManageGitTokens)?;
    let members = json_body::parse_object(&incoming.body, &["installation_id", "code"])?;
    let installation_id =
        app::checked_installation_id(&members.required_string("installation_id")?)?;
    let code = members.required_string("code")?;
    let config = AppConfig::from_variables()?;
    let connection = connect(
        &kv,
        incoming,
        &config,
        &caller.organization_id,
        &caller.member_id,
        &installation_id,
        &code,
    )
    .await?;
    Ok(Reply::json(200, &connection.to_json()))
}

/// `GET /github/app/callback`: 200 `{status, organization_id, installation}`.
pub async fn callback(incoming: &Incoming) -> Result<Reply, Problem> {
    let query = &incoming.query;
    let action = query_param(query, "setup_action").unwrap_or_default();
    if action == "request" {
        return Ok(Reply::json(
            202,
            &json!({
                "status": "requested",
                "detail": "The installation was requested; an owner of the GitHub account \
                           must approve it, then install the app again from a new link.",
            }),
        ));
    }
    let installation_id =
        app::checked_installation_id(&query_param(query, "installation_id").unwrap_or_default())?;
    let kv = WasiStore::open()?;
    let config = AppConfig::from_variables()?;
    let Some(state) = query_param(query, "state").filter(|s| !s.is_empty()) else {
        // GitHub redirects without a state when the owner changes an installation: refresh
        // what is stored from GitHub itself.
        return refresh_after_update(&kv, &config, &installation_id, &action).await;
    };
    let code = query_param(query, "code").filter(|c| !c.is_empty()).ok_or_else(|| {
        app::callback_failed(
            "The callback has no 'code': turn on \"Request user authorization (OAuth) during \
             installation\" in the GitHub App's settings, so git-access can check who installed it.",
        )
    })?;
    let pending = app::consume_state(&kv, &sha256_hex(&state), clock::now())?;
    let connected = connect(
        &kv,
        incoming,
        &config,
        &pending.organization_id,
        &pending.member_id,
        &installation_id,
        &code,
    )
    .await;
    // Used, whatever the outcome: nothing is left to keep.
    kv.delete_many(&[app::state_key(&sha256_hex(&state))])?;
    let connection = connected?;
    Ok(Reply::json(
        200,
        &json!({
            "status": "connected",
            "organization_id": pending.organization_id,
            "installation": connection.to_json(),
        }),
    )
    .with_header("cache-control", "no-store"))
}

async fn refresh_after_update(
    kv: &WasiStore,
    config: &AppConfig,
    installation_id: &str,
    action: &str,
) -> Result<Reply, Problem> {
    let org = app::claimed_by(kv, installation_id)?;
    let (Some(org), "update") = (org, action) else {
        return Err(app::callback_failed(
            "The callback has no 'state': start from an install link \
             (GET /organization/{organizationId}/github/connect).",
        ));
    };
    let connection = refresh(kv, config, &org).await?;
    Ok(Reply::json(
        200,
        &json!({"status": "updated", "installation": connection.to_json()}),
    ))
}

/// Reads the installation from GitHub and stores what changed.
async fn refresh(kv: &WasiStore, config: &AppConfig, org: &str) -> Result<Connection, Problem> {
    let current = app::connection(kv, org)?.ok_or_else(app::not_connected)?;
    let installation = config.installation(&current.installation_id).await?;
    let fresh = Connection::from_installation(&installation, clock::now(), &current.connected_by);
    if fresh.installation_id != current.installation_id {
        return Err(Problem::configuration(
            "GitHub answered for another installation than the one asked for.",
        ));
    }
    app::store_connection(kv, org, &fresh)
}

/// `GET …/github/installation`: 200 with the connection as GitHub reports it now, and
/// `applications`: those that reach their repository through it (what a disconnect would
/// cut off).
pub async fn installation(incoming: &Incoming, params: &Params) -> Result<Reply, Problem> {
    let (kv, caller) = org_access(incoming, params, Action::Read)?;
    let config = AppConfig::from_variables()?;
    let connection = refresh(&kv, &config, &caller.organization_id).await?;
    let mut body = connection.to_json();
    body["applications"] = app::dependents(&kv, &caller.organization_id)?
        .into_iter()
        .map(|(id, name)| json!({"id": id, "name": name}))
        .collect();
    Ok(Reply::json(200, &body))
}

/// `GET …/github/installation/repository`: 200 `{results, next_cursor}`.
pub async fn repositories(incoming: &Incoming, params: &Params) -> Result<Reply, Problem> {
    let (kv, caller) = org_access(incoming, params, Action::Read)?;
    let config = AppConfig::from_variables()?;
    let connection =
        app::connection(&kv, &caller.organization_id)?.ok_or_else(app::not_connected)?;
    let answer = config
        .repositories(&connection.installation_id, page_request(&incoming.query)?)
        .await?;
    Ok(Reply::json(200, &page_json(&answer)))
}

/// `PUT …/github/installation/repository/{repositoryId}`: 204.
pub async fn add_repository(incoming: &Incoming, params: &Params) -> Result<Reply, Problem> {
    change_repository(incoming, params, "add-installation-repository").await
}

/// `DELETE …/github/installation/repository/{repositoryId}`: 204.
pub async fn remove_repository(incoming: &Incoming, params: &Params) -> Result<Reply, Problem> {
    change_repository(incoming, params, "remove-installation-repository").await
}

async fn change_repository(
    incoming: &Incoming,
    params: &Params,
    function: &str,
) -> Result<Reply, Problem> {
    let (kv, caller) = org_access(incoming, params, Action::ManageGitTokens)?;
    let repository_id = params.get("repositoryId").unwrap_or_default();
    if repository_id.is_empty() || !repository_id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Problem::bad_request(
            "The repository id must be GitHub's numeric repository id (the `id` of a \
             repository in the installation's or your own repository list).",
        ));
    }
    let connection =
        app::connection(&kv, &caller.organization_id)?.ok_or_else(app::not_connected)?;
    // GitHub changes an installation's repositories only for a user who administers them.
    let mut account = own_account(&kv, &caller, "github", clock::now())?;
    account.provider = app::PLUGIN.to_owned();
    account
        .call_account(
            function,
            json!({
                "installation_id": connection.installation_id,
                "repository_id": repository_id,
            }),
        )
        .await
        .map_err(|e| account.problem(&e))?;
    Ok(Reply::empty(204))
}

/// `DELETE …/github/disconnect?force=`: 204.
pub fn disconnect(incoming: &Incoming, params: &Params) -> Result<Reply, Problem> {
    let (kv, caller) = org_access(incoming, params, Action::ManageGitTokens)?;
    let org = &caller.organization_id;
    app::connection(&kv, org)?.ok_or_else(app::not_connected)?;
    refuse_while_used(&kv, org, force(incoming)?)?;
    app::remove_connection(&kv, org)?;
    Ok(Reply::empty(204))
}

/// `DELETE …/github/installation?force=`: uninstalls at GitHub, then disconnects; 204.
pub async fn uninstall(incoming: &Incoming, params: &Params) -> Result<Reply, Problem> {
    let (kv, caller) = org_access(incoming, params, Action::ManageGitTokens)?;
    let org = &caller.organization_id;
    let connection = app::connection(&kv, org)?.ok_or_else(app::not_connected)?;
    refuse_while_used(&kv, org, force(incoming)?)?;
    let config = AppConfig::from_variables()?;
    config.uninstall(&connection.installation_id).await?;
    app::remove_connection(&kv, org)?;
    Ok(Reply::empty(204))
}

fn force(incoming: &Incoming) -> Result<bool, Problem> {
    match query_param(&incoming.query, "force").as_deref() {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(_) => Err(Problem::bad_request(
            "Query parameter 'force' must be true or false.",
        )),
    }
}

/// 409 while applications use the installation, unless `force`.
fn refuse_while_used(kv: &impl KeyValue, org: &str, force: bool) -> Result<(), Problem> {
    let users = app::dependents(kv, org)?;
    if users.is_empty() || force {
        return Ok(());
    }
    let names: Vec<Value> = users
        .iter()
        .map(|(id, name)| json!({"id": id, "name": name}))
        .collect();
    Err(Problem::new(
        409,
        "github-app-in-use",
        "GitHub App in use",
        format!(
            "{} application(s) reach their repository through this installation: {}. \
             Move them to another account first, or pass force=true (they lose access).",
            users.len(),
            users
                .iter()
                .map(|(_, name)| format!("'{name}'"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    )
    .with("applications", names))
}

/// The Spin variable holding the app's webhook secret.
const WEBHOOK_SECRET_VARIABLE: &str = "github_app_webhook_secret";

/// `POST /webhooks/github-app`: 200 `{status, installation_id?}`. `installation`
/// `deleted` disconnects the installation from its organization (its applications lose
/// access, as after a forced disconnect); `suspend` and `unsuspend` update it. Other
/// events, and installations no organization holds, are `ignored`.
pub async fn app_webhook(incoming: &Incoming) -> Result<Reply, Problem> {
    let secret = spin_sdk::variables::get(WEBHOOK_SECRET_VARIABLE)
        .unwrap_or_default()
        .trim()
        .to_owned();
    if secret.is_empty() {
        return Err(app::not_configured(&[WEBHOOK_SECRET_VARIABLE]));
    }
    match client::verify_webhook(app::PLUGIN, &secret, &incoming.headers, &incoming.body).await {
        Ok(_) => {}
        Err(CallError::Provider(ProviderError::Unauthorized(message))) => {
            return Err(super::webhooks::signature_refused(
                "the GitHub App's webhook secret",
                &message,
                &secret,
            ))
        }
        Err(error) => return Err(error.to_problem(app::PLUGIN).redact(&secret)),
    }
    let event = incoming
        .headers
        .iter()
        .find(|(name, _)| name == "x-github-event")
        .map(|(_, value)| value.trim().to_owned())
        .unwrap_or_default();
    let payload: Value = serde_json::from_slice(&incoming.body)
        .map_err(|e| Problem::bad_request(format!("The delivery is not JSON: {e}.")))?;
    let action = payload["action"].as_str().unwrap_or_default();
    let installation_id = match &payload["installation"]["id"] {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        _ => String::new(),
    };
    let ignored = |why: &str| {
        Ok(Reply::json(
            200,
            &json!({"status": "ignored", "detail": why, "installation_id": installation_id}),
        ))
    };
    if event != "installation" || !matches!(action, "deleted" | "suspend" | "unsuspend") {
        return ignored("git-access acts only on installations deleted, suspended or unsuspended.");
    }
    let kv = WasiStore::open()?;
    let held = match app::claimed_by(&kv, &installation_id)? {
        Some(org) => app::connection(&kv, &org)?
            .filter(|c| c.installation_id == installation_id)
            .map(|current| (org, current)),
        None => None,
    };
    let Some((org, current)) = held else {
        return ignored("No organization holds this installation.");
    };
    if action == "deleted" {
        app::remove_connection(&kv, &org)?;
        return Ok(Reply::json(
            200,
            &json!({"status": "disconnected", "installation_id": installation_id}),
        ));
    }
    let updated = Connection {
        suspended: action == "suspend",
        ..current
    };
    app::store_connection(&kv, &org, &updated)?;
    Ok(Reply::json(
        200,
        &json!({"status": "updated", "installation_id": installation_id}),
    ))
}
