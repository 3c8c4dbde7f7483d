//! The public webhook receiver `POST /webhooks/{provider}/{applicationId}`, and the
//! webhook status and repair routes `/service/{serviceId}/gitWebhookStatus` and
//! `/service/{serviceId}/gitWebhook/sync` (org-scoped through the application's
//! organization: the caller must be a member of it, otherwise 404 like a missing one).

use serde_json::{json, Value};

use super::applications::{
    account_of, create_webhook, note_refusal, open_secret, render, repo_of, WEBHOOK_EVENTS,
};
use super::Incoming;
use crate::applications::git_calls;
use crate::applications::record::{Application, WebhookMode};
use crate::applications::{feed, store};
use crate::clock;
use crate::ids;
use crate::problem::Problem;
use crate::providers::protocol::ProviderError;
use crate::providers::{client, CallError};
use crate::reply::Reply;
use crate::router::Params;
use crate::state::{keys, schema, KeyValue, WasiStore};
use crate::tenancy::{auth, Action, Caller};

fn unknown_application(id: &str) -> Problem {
    Problem::new(
        404,
        "not-found",
        "Not found",
        format!("No application '{id}' receives webhooks here."),
    )
}

/// 401 for a delivery the provider found not signed with `whose` secret (`secret`, kept
/// out of the text).
pub fn signature_refused(whose: &str, message: &str, secret: &str) -> Problem {
    Problem::new(
        401,
        "webhook-signature-invalid",
        "Webhook signature invalid",
        format!(
            "The delivery is not signed with {whose}: {}",
            crate::redact::text(message.trim(), secret)
        ),
    )
}

/// Verifies a delivery with the provider and records its event once: 202
/// `{status: "accepted", event_id}`, or 200 `{status: "duplicate", event_id}` for a
/// delivery id seen before. Bad signature 401, unknown application 404, a signed delivery
/// about another repository 422.
pub async fn receive(incoming: &Incoming, params: &Params) -> Result<Reply, Problem> {
    let provider = params.get("provider").unwrap_or_default();
    let raw_id = params.get("applicationId").unwrap_or_default();
    let id = ids::checked("applicationId", raw_id).map_err(|_| unknown_application(raw_id))?;
    let kv = WasiStore::open()?;
    let mut found = kv
        .get_many(&[
            keys::SCHEMA_VERSION.to_owned(),
            keys::application_lookup(&id),
        ])?
        .into_iter();
    schema::ensure(&kv, found.next().flatten().as_deref())?;
    let Some(org) = store::organization_in(&id, found.next().flatten().as_deref())? else {
        return Err(unknown_application(&id));
    };
    let app = store::get(&kv, &org, &id)?.ok_or_else(|| unknown_application(&id))?;
    if !app.provider.eq_ignore_ascii_case(provider) {
        return Err(unknown_application(&id));
    }
    let secret = open_secret(&app)?;
    let verified =
        client::verify_webhook(&app.provider, &secret, &incoming.headers, &incoming.body).await;
    let event = match verified {
        Ok(event) => event,
        Err(CallError::Provider(ProviderError::Unauthorized(message))) => {
            return Err(signature_refused(
                "this application's webhook secret",
                &message,
                &secret,
            ))
        }
        Err(mut error) => {
            git_calls::Account::redact_also(&mut error, &secret);
            return Err(error.to_problem(&app.provider).redact(&secret));
        }
    };
    if let Some(other) = other_repository(&app, &event) {
        return Err(Problem::new(
            422,
            "webhook-repository-mismatch",
            "Delivery for another repository",
            format!(
                "The delivery is about repository '{other}', but application '{}' deploys \
                 '{}'; nothing was recorded. Check where this webhook is installed.",
                app.id,
                app.full_name()
            ),
        ));
    }
    let delivery_id = event["delivery_id"].as_str().unwrap_or_default().to_owned();
    if delivery_id.is_empty() {
        return Err(Problem::bad_request(
            "The delivery has no delivery id, so replays could not be recognised.",
        ));
    }
    let event_id = ids::new_id()?;
    let received_at = clock::format(clock::now());
    let mut record = json!({
        "id": event_id,
        "application_id": app.id,
        "received_at": received_at,
    });
    if let (Some(record), Value::Object(event)) = (record.as_object_mut(), event) {
        record.extend(event);
    }
    match feed::record(
        &kv,
        &org,
        &app.id,
        &event_id,
        &delivery_id,
        &record,
        &received_at,
    )? {
        feed::Recorded::New(id) => Ok(Reply::json(
            202,
            &json!({"status": "accepted", "event_id": id}),
        )),
        feed::Recorded::Duplicate(id) => Ok(Reply::json(
            200,
            &json!({"status": "duplicate", "event_id": id}),
        )),
        feed::Recorded::Gone => Err(unknown_application(&app.id)),
    }
}

/// The repository a verified event names when it is not the application's (a hook, or a
/// pasted secret, on another repository): `None` when it is the same by provider id or by
/// `owner/name` (ignoring case, so a rename keeps working through the id), or when the
/// event names none.
fn other_repository(app: &Application, event: &Value) -> Option<String> {
    let named = event["repository"].as_str().unwrap_or_default().trim();
    if named.is_empty() {
        return None;
    }
    let same_id = matches!(
        (event["repository_id"].as_str(), app.repository_id.as_str()),
        (Some(id), ours) if !ours.is_empty() && id == ours
    );
    let same_name = named.eq_ignore_ascii_case(&app.full_name());
    (!same_id && !same_name).then(|| named.chars().take(200).collect())
}

/// 200 `{status, missing_events, detail, payload_url, hook_id, last_delivery_at}`.
pub async fn status(incoming: &Incoming, params: &Params) -> Result<Reply, Problem> {
    let (kv, _caller, app) = service_access(incoming, params, Action::Read)?;
    let last = feed::last_delivery_at(&kv, &app.organization_id, &app.id)?;
    let (status, missing, detail) = webhook_status(&kv, &app, last.is_some()).await?;
    Ok(Reply::json(
        200,
        &json!({
            "status": status,
            "missing_events": missing,
            "detail": detail,
            "payload_url": app.webhook.payload_url,
            "hook_id": app.webhook.hook_id,
            "last_delivery_at": last,
        }),
    ))
}

/// Creates the webhook again or fixes it (create-webhook is idempotent by URL), then
/// answers like the status route with `application`.
pub async fn sync(incoming: &Incoming, params: &Params) -> Result<Reply, Problem> {
    let (kv, _caller, app) = service_access(incoming, params, Action::ManageApplications)?;
    if !app.uses_credentials() {
        return Err(Problem::new(
            409,
            "webhook-manual",
            "Webhook set up by hand",
            format!(
                "Application '{}' uses its public repository without credentials, so \
                 git-access cannot manage its webhook: add it at the provider with payload URL \
                 {} and the secret shown when the application was created.",
                app.id, app.webhook.payload_url
            ),
        ));
    }
    let account = account_of(&kv, &app)?;
    let secret = open_secret(&app)?;
    let hook_id = match create_webhook(
        &account,
        &repo_of(&app),
        &app.webhook.payload_url,
        &secret,
        &app.name,
    )
    .await
    {
        Ok(id) => id,
        Err(problem) => return Err(problem),
    };
    let updated = store::update(&kv, &app.organization_id, &app.id, |current| {
        let mut next = current.clone();
        next.webhook.hook_id = Some(hook_id.clone());
        next.webhook.mode = WebhookMode::Managed;
        Some(next)
    })?
    .ok_or_else(|| store::not_found(&app.id))?;
    let last = feed::last_delivery_at(&kv, &app.organization_id, &app.id)?;
    let (status, missing, detail) = webhook_status(&kv, &updated, last.is_some()).await?;
    Ok(Reply::json(
        200,
        &json!({
            "status": status,
            "missing_events": missing,
            "detail": detail,
            "payload_url": updated.webhook.payload_url,
            "hook_id": updated.webhook.hook_id,
            "last_delivery_at": last,
            "application": render(&kv, &updated)?,
        }),
    ))
}

/// The status of an application's webhook, the events it misses, and why.
async fn webhook_status(
    kv: &WasiStore,
    app: &Application,
    delivered: bool,
) -> Result<(&'static str, Vec<&'static str>, Option<String>), Problem> {
    let (true, Some(hook_id)) = (app.uses_credentials(), &app.webhook.hook_id) else {
        return Ok(if delivered {
            ("ACTIVE", Vec::new(), None)
        } else {
            (
                "NOT_CONFIGURED",
                WEBHOOK_EVENTS.to_vec(),
                Some(format!(
                    "No signed delivery has arrived yet; add a webhook at the provider with \
                     payload URL {}, content type application/json and the application's secret.",
                    app.webhook.payload_url
                )),
            )
        });
    };
    let account = match account_of(kv, app) {
        Ok(account) => account,
        Err(problem) => {
            return Ok((
                "UNABLE_TO_VERIFY",
                Vec::new(),
                Some(problem.detail().to_owned()),
            ))
        }
    };
    let hook = match account
        .call("get-webhook", &repo_of(app), json!({ "id": hook_id }))
        .await
    {
        Ok(hook) => hook,
        Err(error) if git_calls::is_not_found(&error) => {
            return Ok((
                "NOT_CONFIGURED",
                WEBHOOK_EVENTS.to_vec(),
                Some(format!(
                    "The webhook {hook_id} no longer exists on {}; POST \
                     /service/{}/gitWebhook/sync creates it again.",
                    app.full_name(),
                    app.id
                )),
            ))
        }
        Err(error) => {
            note_refusal(kv, app, &error)?;
            return Ok((
                "UNABLE_TO_VERIFY",
                Vec::new(),
                Some(account.problem(&error).detail().to_owned()),
            ));
        }
    };
    let subscribed: Vec<&str> = hook["events"]
        .as_array()
        .map(|e| e.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let missing: Vec<&'static str> = WEBHOOK_EVENTS
        .into_iter()
        .filter(|e| !subscribed.contains(e))
        .collect();
    let mut problems = Vec::new();
    if hook["url"].as_str() != Some(app.webhook.payload_url.as_str()) {
        problems.push(format!(
            "it delivers to another URL (expected {})",
            app.webhook.payload_url
        ));
    }
    if hook["active"] != true {
        problems.push("it is inactive".to_owned());
    }
    if hook["has_secret"] != true {
        problems.push("it has no secret".to_owned());
    }
    if !missing.is_empty() {
        problems.push(format!("it misses events: {}", missing.join(", ")));
    }
    Ok(if problems.is_empty() {
        ("ACTIVE", missing, None)
    } else {
        (
            "MISCONFIGURED",
            missing,
            Some(format!(
                "The webhook {hook_id} on {} is misconfigured: {}; POST \
                 /service/{}/gitWebhook/sync fixes it.",
                app.full_name(),
                problems.join("; "),
                app.id
            )),
        )
    })
}

/// The application of `serviceId` and the caller, a member of its organization with a
/// role allowing `action`. Any other caller gets the 404 of a missing application.
fn service_access(
    incoming: &Incoming,
    params: &Params,
    action: Action,
) -> Result<(WasiStore, Caller, Application), Problem> {
    let id = ids::path_id(params, "serviceId")?;
    let missing = || {
        Problem::new(
            404,
            "not-found",
            "Not found",
            format!("Service '{id}' was not found."),
        )
    };
    let kv = WasiStore::open()?;
    // Authenticate even when the application does not exist, so that its existence is
    // only revealed to members of its organization.
    let org = store::locate(&kv, &id)?;
    let caller = auth::authenticate(
        &kv,
        incoming.authorization.as_deref(),
        org.as_deref().unwrap_or("-"),
    )
    .map_err(|problem| {
        if problem.status() == 404 {
            missing()
        } else {
            problem
        }
    })?;
    let Some(org) = org else {
        return Err(missing());
    };
    caller.role.allow(action)?;
    let app = store::get(&kv, &org, &id)?.ok_or_else(missing)?;
    Ok((kv, caller, app))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::applications::record::tests::sample;

    #[test]
    fn deliveries_about_other_repositories_are_told_apart() {
        let app = sample("a", "web", Some("t"));
        let event = |name: &str, id: Option<&str>| json!({"repository": name, "repository_id": id});
        assert_eq!(other_repository(&app, &event("octocat/hello", None)), None);
        assert_eq!(
            other_repository(&app, &event("OctoCat/Hello", Some("9"))),
            None
        );
        // Renamed: the id still matches.
        assert_eq!(
            other_repository(&app, &event("octocat/renamed", Some("1"))),
            None
        );
        assert_eq!(
            other_repository(&app, &event("mallory/other", Some("2"))).as_deref(),
            Some("mallory/other")
        );
        assert_eq!(other_repository(&app, &json!({"repository": ""})), None);
    }
}
