//! `/organization/{organizationId}/application[/{applicationId}[/events|/cloneCredentials|/audit]]`.
//!
//! Everyone in the organization reads; owner, admin and devops create, change and delete
//! applications and obtain clone credentials. Create checks the repository and branch
//! with the provider, creates the webhook, stores the application and attaches it to its
//! Git token, undoing what was done when a later step fails.

use serde_json::{json, Value};

use super::{org_access, query_param, Incoming};
use crate::applications::git_calls::{self, Account};
use crate::applications::record::{
    AccessLoss, Application, CredentialNow, WebhookMode, WebhookState,
};
use crate::applications::request::{ApplicationRequest, RepositoryRef};
use crate::applications::{audit, feed, store};
use crate::clock;
use crate::crypto::Keyring;
use crate::git_tokens::record::GitToken;
use crate::git_tokens::store as token_store;
use crate::git_tokens::usage::{self, AttachError, ServiceRef};
use crate::github_app;
use crate::ids;
use crate::problem::Problem;
use crate::providers;
use crate::reply::Reply;
use crate::router::Params;
use crate::state::{KeyValue, StateError};
use crate::tenancy::users::{self, GitAccount};
use crate::tenancy::{Action, Caller};

/// Spin variable: the public base URL of this API, where providers deliver webhooks.
pub const PUBLIC_URL_VARIABLE: &str = "public_url";

/// Events every application's webhook subscribes to (provider-neutral names).
pub const WEBHOOK_EVENTS: [&str; 2] = ["push", "pull_request"];

/// 200 `{results: [Application]}`, sorted by name.
pub fn list(incoming: &Incoming, params: &Params) -> Result<Reply, Problem> {
    let (kv, caller) = org_access(incoming, params, Action::Read)?;
    let org = caller.organization_id.as_str();
    let now = clock::now();
    let apps = store::list(&kv, org)?;
    let tokens: Vec<GitToken> = if apps.iter().any(|app| app.git_token_id.is_some()) {
        token_store::list(&kv, org)?
            .into_iter()
            .map(|(t, _)| t)
            .collect()
    } else {
        Vec::new()
    };
    let mut accounts: Vec<((String, String), Option<GitAccount>)> = Vec::new();
    for app in &apps {
        if let Some(user) = &app.user_id {
            let key = (user.clone(), app.provider.clone());
            if !accounts.iter().any(|(k, _)| *k == key) {
                let account = users::git_account(&kv, user, &app.provider)?;
                accounts.push((key, account));
            }
        }
    }
    let connection = if apps.iter().any(|a| a.github_app_installation_id.is_some()) {
        github_app::connection(&kv, org)?
    } else {
        None
    };
    let results: Vec<Value> = apps
        .iter()
        .map(|app| {
            let credential = match (&app.git_token_id, &app.user_id) {
                (Some(id), _) => CredentialNow::Token(tokens.iter().find(|t| &t.id == id)),
                (None, Some(user)) => CredentialNow::UserAccount(
                    accounts
                        .iter()
                        .find(|((u, p), _)| u == user && *p == app.provider)
                        .and_then(|(_, a)| a.as_ref()),
                ),
                (None, None) if app.github_app_installation_id.is_some() => {
                    CredentialNow::Installation(connection.as_ref())
                }
                (None, None) => CredentialNow::Anonymous,
            };
            app.to_json(credential, now)
        })
        .collect();
    Ok(Reply::json(200, &json!({ "results": results })))
}

/// 200 with one application.
pub fn get(incoming: &Incoming, params: &Params) -> Result<Reply, Problem> {
    let (kv, caller) = org_access(incoming, params, Action::Read)?;
    let app = load(&kv, &caller.organization_id, params)?;
    Ok(Reply::json(200, &render(&kv, &app)?))
}

/// 201 with the new application. For a public repository without credentials the answer
/// also holds `webhook_setup` (payload URL and secret, shown this once) to add by hand.
pub async fn create(incoming: &Incoming, params: &Params) -> Result<Reply, Problem> {
    let (kv, caller) = org_access(incoming, params, Action::ManageApplications)?;
    let org = caller.organization_id.clone();
    let request = ApplicationRequest::parse(&incoming.body)?;
    store::check_name_free(&kv, &org, &request.name, None)?;
    let provider = provider_id(&request.provider_type)?;
    let now = clock::now();
    let account = request_account(&kv, &caller, &provider, &request, now)?;
    let repository = verify_repository(&account, &request.repository, &request.branch).await?;
    let repo = RepositoryRef {
        owner: text(&repository, "owner").unwrap_or(request.repository.owner.clone()),
        name: text(&repository, "name").unwrap_or(request.repository.name.clone()),
    };
    let keyring = Keyring::from_variables()?;
    let id = ids::new_id()?;
    let secret: String = ids::random_bytes::<32>()?
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let payload_url = format!("{}/webhooks/{provider}/{id}", public_base(incoming)?);
    let managed = account.has_credentials();
    let hook_id = if managed {
        Some(create_webhook(&account, &repo, &payload_url, &secret, &request.name).await?)
    } else {
        None
    };
    let stamp = clock::format(now);
    let app = Application {
        webhook: WebhookState {
            mode: if managed {
                WebhookMode::Managed
            } else {
                WebhookMode::Manual
            },
            hook_id,
            payload_url: payload_url.clone(),
            secret: keyring.seal(secret.as_bytes(), &Application::secret_context(&org, &id))?,
        },
        id,
        organization_id: org.clone(),
        name: request.name,
        provider,
        owner: repo.owner.clone(),
        repository: repo.name.clone(),
        repository_id: text(&repository, "id").unwrap_or_default(),
        html_url: text(&repository, "html_url").unwrap_or_default(),
        clone_url: text(&repository, "clone_url").unwrap_or_default(),
        visibility: text(&repository, "visibility").unwrap_or_default(),
        branch: request.branch,
        root_path: request.root_path,
        git_token_id: account.git_token_id.clone(),
        user_id: account.user_id.clone(),
        github_app_installation_id: account.installation_id.clone(),
        access_loss: None,
        created_at: stamp.clone(),
        updated_at: stamp,
    };
    if let Err(problem) = store::insert(&kv, &app) {
        undo_webhook(&account, &app).await;
        return Err(problem);
    }
    if let Some(token_id) = &app.git_token_id {
        if let Err(error) = usage::attach(&kv, &org, token_id, service_ref(&app)) {
            let _ = store::remove(&kv, &org, &app.id);
            undo_webhook(&account, &app).await;
            return Err(attach_problem(token_id, error));
        }
    }
    let mut body = render(&kv, &app)?;
    if !managed {
        body["webhook_setup"] = json!({
            "payload_url": payload_url,
            "secret": secret,
            "content_type": "application/json",
            "events": WEBHOOK_EVENTS,
            "detail": "This repository is used without credentials, so git-access cannot \
                       add the webhook: add it at the provider with this payload URL and \
                       secret (shown only now). The webhook status stays NOT_CONFIGURED until \
                       a signed delivery arrives.",
        });
    }
    Ok(Reply::json(201, &body))
}

/// 200 with the application as replaced. Name, branch, root path and the Git token (to
/// another token of the same provider) may change; provider and repository may not.
pub async fn replace(incoming: &Incoming, params: &Params) -> Result<Reply, Problem> {
    let (kv, caller) = org_access(incoming, params, Action::ManageApplications)?;
    let org = caller.organization_id.clone();
    let existing = load(&kv, &org, params)?;
    let request = ApplicationRequest::parse(&incoming.body)?;
    let provider = provider_id(&request.provider_type)?;
    let same_repo = request
        .repository
        .owner
        .eq_ignore_ascii_case(&existing.owner)
        && request
            .repository
            .name
            .eq_ignore_ascii_case(&existing.repository);
    if provider != existing.provider || !same_repo {
        return Err(Problem::bad_request(format!(
            "The provider and repository of an application cannot change (this one is on {} \
             {}); create a new application instead.",
            providers::type_name(&existing.provider),
            existing.full_name()
        )));
    }
    let requested_kind = match (&request.git_token_id, request.own_account) {
        (Some(_), _) => "git_token",
        (None, true) => "own_account",
        (None, false) if request.github_app => "github_app",
        (None, false) => "public",
    };
    if requested_kind != existing.account_kind() {
        return Err(Problem::bad_request(format!(
            "This application uses {}; 'git_repository.git_token_id' can move to another Git \
             token, but an application cannot switch between a Git token, a linked account \
             and no credentials; create a new application instead.",
            match existing.account_kind() {
                "git_token" => "a Git token",
                "own_account" => "a user's linked Git account (own_account: true)",
                "github_app" => "the organization's GitHub App installation (github_app: true)",
                _ => "no credentials",
            }
        )));
    }
    store::check_name_free(&kv, &org, &request.name, Some(&existing.id))?;
    let now = clock::now();
    let token_changed = request.git_token_id != existing.git_token_id;
    let account = match &request.git_token_id {
        Some(id) => Account::of_token(&kv, &org, &provider, id, now)?,
        None => account_of(&kv, &existing)?,
    };
    let repo = RepositoryRef {
        owner: existing.owner.clone(),
        name: existing.repository.clone(),
    };
    if token_changed || request.branch != existing.branch {
        verify_repository(&account, &repo, &request.branch).await?;
    }
    let mut app = existing.clone();
    app.name = request.name;
    app.branch = request.branch;
    app.root_path = request.root_path;
    app.updated_at = clock::format(now);
    if token_changed {
        // The hook is re-created (or adopted: create-webhook is idempotent by URL) with
        // the new token, so the application never depends on the old one.
        let secret = open_secret(&existing)?;
        app.webhook.hook_id = Some(
            create_webhook(
                &account,
                &repo,
                &app.webhook.payload_url,
                &secret,
                &app.name,
            )
            .await?,
        );
        app.git_token_id = account.git_token_id.clone();
        app.access_loss = None;
        if let Some(token_id) = &app.git_token_id {
            usage::attach(&kv, &org, token_id, service_ref(&app))
                .map_err(|e| attach_problem(token_id, e))?;
        }
    }
    store::replace(&kv, &app)?;
    if let Some(old) = existing.git_token_id.as_ref() {
        if token_changed {
            usage::detach(&kv, &org, old, &app.id)?;
        } else if app.name != existing.name {
            usage::attach(&kv, &org, old, service_ref(&app)).map_err(|e| attach_problem(old, e))?;
        }
    }
    Ok(Reply::json(200, &render(&kv, &app)?))
}

/// Answers 204 after removing the webhook first (one already gone is fine; a token the
/// provider refuses cannot remove it and does not block the delete); a provider that is
/// down answers 502 and keeps the application, so the delete can be retried.
pub async fn delete(incoming: &Incoming, params: &Params) -> Result<Reply, Problem> {
    let (kv, caller) = org_access(incoming, params, Action::ManageApplications)?;
    let org = caller.organization_id.clone();
    let app = load(&kv, &org, params)?;
    if let Some(hook_id) = &app.webhook.hook_id {
        if let Ok(account) = account_of(&kv, &app) {
            let repo = repo_of(&app);
            match account
                .call("delete-webhook", &repo, json!({ "id": hook_id }))
                .await
            {
                Ok(_) => {}
                Err(error)
                    if git_calls::is_not_found(&error)
                        || git_calls::is_refusal(&error)
                        || matches!(
                            error,
                            crate::providers::CallError::Provider(
                                crate::providers::protocol::ProviderError::Forbidden { .. }
                            )
                        ) => {}
                Err(error) => return Err(account.problem(&error)),
            }
        }
    }
    store::remove(&kv, &org, &app.id)?;
    if let Some(token_id) = &app.git_token_id {
        usage::detach(&kv, &org, token_id, &app.id)?;
    }
    Ok(Reply::empty(204))
}

/// 200 `{results: [event], next_cursor}`, newest first. `limit` 1–100 (20), `cursor`.
pub fn events(incoming: &Incoming, params: &Params, query: &str) -> Result<Reply, Problem> {
    let (kv, caller) = org_access(incoming, params, Action::Read)?;
    let app = load(&kv, &caller.organization_id, params)?;
    let limit = match query_param(query, "limit") {
        None => 20,
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=100).contains(n))
            .ok_or_else(|| {
                Problem::bad_request("Query parameter 'limit' must be a number from 1 to 100.")
            })?,
    };
    let cursor = query_param(query, "cursor");
    let (results, next) = feed::page(&kv, &app.organization_id, &app.id, cursor.as_deref(), limit)?;
    Ok(Reply::json(
        200,
        &json!({ "results": results, "next_cursor": next }),
    ))
}

/// 200 `{url, username, password, url_with_credentials, expires_at, account}` to clone the
/// application's repository with its current account; audit-logged (never the password).
pub async fn clone_credentials(incoming: &Incoming, params: &Params) -> Result<Reply, Problem> {
    let (kv, caller) = org_access(incoming, params, Action::CloneRepositories)?;
    let org = caller.organization_id.clone();
    let app = load(&kv, &org, params)?;
    let account = account_of(&kv, &app)?;
    let access = match account.clone_access(&repo_of(&app)).await {
        Ok(access) => access,
        Err(error) => {
            note_refusal(&kv, &app, &error)?;
            return Err(account.problem(&error));
        }
    };
    audit::append(
        &kv,
        &org,
        &app.id,
        audit::Entry {
            at: clock::format(clock::now()),
            action: "clone_credentials".into(),
            member_id: caller.member_id.clone(),
            api_key_id: caller.api_key_id.clone(),
            user_id: caller.user_id.clone(),
            account: account.label(),
            repository: app.full_name(),
        },
    )?;
    Ok(Reply::json(
        200,
        &json!({
            "url": access["url"],
            "username": access["username"],
            "password": access["password"],
            "url_with_credentials": access["url_with_credentials"],
            // The plugin's expiry (installation tokens), else the user token's.
            "expires_at": match &access["expires_at"] {
                Value::Null => json!(account.user_token_expires_at().map(clock::format)),
                at => at.clone(),
            },
            "account": account.label(),
        }),
    )
    .with_header("cache-control", "no-store"))
}

/// 200 `{results: [entry]}`, newest first (owner, admin): who obtained clone credentials,
/// when, with which account.
pub fn audit_trail(incoming: &Incoming, params: &Params) -> Result<Reply, Problem> {
    let (kv, caller) = org_access(incoming, params, Action::ReadAudit)?;
    let app = load(&kv, &caller.organization_id, params)?;
    let results = audit::list(&kv, &app.organization_id, &app.id)?.unwrap_or_default();
    Ok(Reply::json(200, &json!({ "results": results })))
}

// ---- shared with the webhook handlers ----

/// The application of the path's `applicationId` in `org`; 404 otherwise.
pub fn load(kv: &impl KeyValue, org: &str, params: &Params) -> Result<Application, Problem> {
    let id = ids::path_id(params, "applicationId")?;
    store::get(kv, org, &id)?.ok_or_else(|| store::not_found(&id))
}

/// The application's JSON with its token or linked account as read now.
pub fn render(kv: &impl KeyValue, app: &Application) -> Result<Value, Problem> {
    let now = clock::now();
    Ok(match (&app.git_token_id, &app.user_id) {
        (Some(id), _) => {
            let token = token_store::get(kv, &app.organization_id, id)?.map(|(t, _)| t);
            app.to_json(CredentialNow::Token(token.as_ref()), now)
        }
        (None, Some(user)) => {
            let account = users::git_account(kv, user, &app.provider)?;
            app.to_json(CredentialNow::UserAccount(account.as_ref()), now)
        }
        (None, None) if app.github_app_installation_id.is_some() => {
            let connection = github_app::connection(kv, &app.organization_id)?;
            app.to_json(CredentialNow::Installation(connection.as_ref()), now)
        }
        (None, None) => app.to_json(CredentialNow::Anonymous, now),
    })
}

/// The account the application uses now (422 when its token or linked account expired
/// or is gone, or its GitHub App installation is no longer connected).
pub fn account_of(kv: &impl KeyValue, app: &Application) -> Result<Account, Problem> {
    let now = clock::now();
    match (
        &app.git_token_id,
        &app.user_id,
        &app.github_app_installation_id,
    ) {
        (Some(id), _, _) => Account::of_token(kv, &app.organization_id, &app.provider, id, now),
        (None, Some(user), _) => Account::of_user(kv, user, &app.provider, now),
        (None, None, Some(id)) => Account::of_installation(kv, &app.organization_id, Some(id)),
        (None, None, None) => Ok(Account::anonymous(&app.provider)),
    }
}

/// The account a create request asks for: an organization Git token, the caller's own
/// linked account (a session only), the organization's GitHub App installation (GitHub
/// repositories only), or none (a public repository).
pub fn request_account(
    kv: &impl KeyValue,
    caller: &Caller,
    provider: &str,
    request: &ApplicationRequest,
    now: i64,
) -> Result<Account, Problem> {
    if let Some(id) = &request.git_token_id {
        return Account::of_token(kv, &caller.organization_id, provider, id, now);
    }
    if request.github_app {
        if provider != "github" {
            return Err(Problem::bad_request(format!(
                "'git_repository.github_app' is for GitHub repositories; this one is on {}.",
                providers::type_name(provider)
            )));
        }
        return Account::of_installation(kv, &caller.organization_id, None);
    }
    if !request.own_account {
        return Ok(Account::anonymous(provider));
    }
    own_account(kv, caller, provider, now)
}

/// The caller's own linked account at `provider`: 422 for an API key (it has no user) or
/// when the user has not linked one.
pub fn own_account(
    kv: &impl KeyValue,
    caller: &Caller,
    provider: &str,
    now: i64,
) -> Result<Account, Problem> {
    let Some(user) = &caller.user_id else {
        return Err(Problem::new(
            422,
            "own-account-needs-session",
            "Own account needs a session",
            "Your own Git account is the one you linked by signing in: call with your session \
             (`Authorization: Bearer <session>`), not an API key, or choose an organization \
             Git token.",
        ));
    };
    // The caller's own account: "not linked" is about them, not about another user.
    Account::of_user(kv, user, provider, now).map_err(|problem| {
        if problem.slug() == "git-account-not-linked" {
            users::not_linked(provider)
        } else {
            problem
        }
    })
}

/// The repository of an application.
pub fn repo_of(app: &Application) -> RepositoryRef {
    RepositoryRef {
        owner: app.owner.clone(),
        name: app.repository.clone(),
    }
}

/// The webhook secret, opened.
pub fn open_secret(app: &Application) -> Result<String, Problem> {
    let keyring = Keyring::from_variables()?;
    let bytes = keyring
        .open(
            &app.webhook.secret,
            &Application::secret_context(&app.organization_id, &app.id),
        )
        .map_err(|e| {
            Problem::configuration(format!(
                "The webhook secret of application '{}' cannot be opened: {e}.",
                app.id
            ))
        })?;
    String::from_utf8(bytes).map_err(|_| {
        Problem::configuration(format!(
            "The webhook secret of application '{}' is not UTF-8.",
            app.id
        ))
    })
}

/// Creates (or adopts and fixes) the webhook; the provider's hook id.
pub async fn create_webhook(
    account: &Account,
    repo: &RepositoryRef,
    payload_url: &str,
    secret: &str,
    name: &str,
) -> Result<String, Problem> {
    let spec = json!({
        "spec": {
            "url": payload_url,
            "secret": secret,
            "events": WEBHOOK_EVENTS,
            "description": format!("git-access application {name}"),
        }
    });
    match account.call("create-webhook", repo, spec).await {
        Ok(hook) => Ok(text(&hook, "id").unwrap_or_default()),
        Err(mut error) => {
            Account::redact_also(&mut error, secret);
            Err(account.problem(&error))
        }
    }
}

/// Records that the provider refused the application's token or linked account (for
/// `has_access`), when `error` says so. Holds until the token's value is replaced or the
/// user signs in again.
pub fn note_refusal(
    kv: &impl KeyValue,
    app: &Application,
    error: &crate::providers::CallError,
) -> Result<(), StateError> {
    if !git_calls::is_refusal(error) {
        return Ok(());
    }
    let version = match (&app.git_token_id, &app.user_id) {
        (Some(token_id), _) => token_store::get(kv, &app.organization_id, token_id)?
            .map(|(token, _)| token.secret.nonce),
        (None, Some(user)) => {
            users::git_account(kv, user, &app.provider)?.map(|account| account.token.nonce)
        }
        (None, None) => None,
    };
    let Some(token_version) = version else {
        return Ok(());
    };
    let loss = AccessLoss {
        reason: sentence(&git_calls::message(error)),
        token_version,
        at: clock::format(clock::now()),
    };
    store::update(kv, &app.organization_id, &app.id, |current| {
        let mut next = current.clone();
        next.access_loss = Some(loss.clone());
        Some(next)
    })?;
    Ok(())
}

fn sentence(message: &str) -> String {
    let message = message.trim();
    if message.ends_with(['.', '!', '?']) {
        message.to_owned()
    } else {
        format!("{message}.")
    }
}

/// Checks that the repository exists for the account and has the branch; the
/// provider's repository record.
async fn verify_repository(
    account: &Account,
    repo: &RepositoryRef,
    branch: &str,
) -> Result<Value, Problem> {
    let kind = providers::type_name(&account.provider);
    let full_name = format!("{}/{}", repo.owner, repo.name);
    let repository = match account.call("get-repository", repo, json!({})).await {
        Ok(repository) => repository,
        Err(error) if git_calls::is_not_found(&error) => {
            let how = match (&account.git_token_id, &account.user_id) {
                (Some(_), _) => "the Git token cannot see it",
                (None, Some(_)) => "your linked account cannot see it",
                (None, None) => "it is private (choose a Git token that can read it)",
            };
            return Err(Problem::new(
                422,
                "repository-not-found",
                "Repository not found",
                format!("The {kind} repository '{full_name}' does not exist or {how}."),
            ));
        }
        Err(error) => return Err(account.problem(&error)),
    };
    let mut cursor: Option<String> = None;
    for _ in 0..20 {
        let page = json!({"page": {"cursor": cursor, "per_page": 100, "search": branch}});
        let branches = account
            .call("list-branches", repo, page)
            .await
            .map_err(|e| account.problem(&e))?;
        let found = branches["items"]
            .as_array()
            .is_some_and(|items| items.iter().any(|b| b["name"] == branch));
        if found {
            return Ok(repository);
        }
        cursor = text(&branches, "next");
        if cursor.is_none() {
            break;
        }
    }
    Err(Problem::new(
        422,
        "branch-not-found",
        "Branch not found",
        format!("The {kind} repository '{full_name}' has no branch '{branch}'."),
    ))
}

/// Deletes a webhook created for an application that could not be stored.
async fn undo_webhook(account: &Account, app: &Application) {
    if let Some(hook_id) = &app.webhook.hook_id {
        let _ = account
            .call("delete-webhook", &repo_of(app), json!({ "id": hook_id }))
            .await;
    }
}

fn service_ref(app: &Application) -> ServiceRef {
    ServiceRef {
        service_id: app.id.clone(),
        service_name: app.name.clone(),
        service_type: "APPLICATION".into(),
    }
}

fn attach_problem(token_id: &str, error: AttachError) -> Problem {
    match error {
        AttachError::TokenGone => Problem::new(
            409,
            "git-token-gone",
            "Git token gone",
            format!("The Git token '{token_id}' was deleted meanwhile; choose another one."),
        ),
        AttachError::State(e) => e.into(),
    }
}

/// The configured provider id for a `type`; 400 naming the installed ones otherwise.
fn provider_id(wanted: &str) -> Result<String, Problem> {
    let ids = providers::configured()?;
    providers::find(&ids, wanted)
        .map(str::to_owned)
        .ok_or_else(|| {
            let types: Vec<String> = ids.iter().map(|id| providers::type_name(id)).collect();
            Problem::bad_request(format!(
                "Member 'git_repository.provider' must name an installed provider: {}.",
                if types.is_empty() {
                    "none is installed".to_owned()
                } else {
                    types.join(", ")
                }
            ))
        })
}

/// The public base URL: the `public_url` variable, or the origin the request came to.
pub fn public_base(incoming: &Incoming) -> Result<String, Problem> {
    let configured = spin_sdk::variables::get(PUBLIC_URL_VARIABLE).unwrap_or_default();
    let configured = configured.trim().trim_end_matches('/');
    if !configured.is_empty() {
        return Ok(configured.to_owned());
    }
    origin(&incoming.full_url).ok_or_else(|| {
        Problem::configuration(format!(
            "The Spin variable '{PUBLIC_URL_VARIABLE}' is empty and the request URL has no \
             origin; set it to the public base URL providers deliver webhooks to."
        ))
    })
}

/// `scheme://authority` of an absolute URL.
fn origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    (!authority.is_empty() && !authority.contains('@')).then(|| format!("{scheme}://{authority}"))
}

fn text(value: &Value, name: &str) -> Option<String> {
    match &value[name] {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_of_a_request_url() {
        assert_eq!(
            origin("http://127.0.0.1:3000/organization/x?y=1").as_deref(),
            Some("http://127.0.0.1:3000")
        );
        assert_eq!(origin("/relative"), None);
        assert_eq!(origin("http://u@evil/x"), None);
    }
}
