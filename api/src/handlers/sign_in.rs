//! Sign-in with a Git provider (OAuth authorization code with PKCE) and the user's own
//! Git accounts.
//!
//! - `GET /auth/{provider}/login`: a fresh `state` and PKCE verifier are stored
//!   (`oauth:state:<state>`, 10 minutes, single use) together with the SHA-256 of a
//!   random browser binding, which goes to the browser as an `HttpOnly` cookie; answers
//!   302 to the provider's authorization page.
//! - `GET /auth/{provider}/callback?code=&state=`: the state must exist, be unused, be
//!   for this provider, not have expired and match the cookie (so a callback URL cannot
//!   be replayed from another browser); it is consumed by a compare-and-swap. The code is
//!   exchanged with the verifier, the token checked with `validate-token` to learn the
//!   account; the user is found (or created) by provider account, the Git account linked
//!   with its token sealed, and a session issued: `Authorization: Bearer <session>`.
//! - `GET /user` and `DELETE /user/gitAccount/{provider}` with the session.
//!
//! Client id and secret come from the Spin variables `<provider>_oauth_client_id` and
//! `<provider>_oauth_client_secret`; `<provider>_oauth_web_url` points at a self-managed
//! server (empty: the provider's cloud).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::applications::public_base;
use super::{query_param, Incoming};
use crate::clock;
use crate::crypto::Keyring;
use crate::ids;
use crate::problem::Problem;
use crate::providers::{self, client, token_check};
use crate::redact;
use crate::reply::Reply;
use crate::router::Params;
use crate::state::keys::{
    git_account as git_account_key, oauth_state, session as session_key, user as user_key,
    user_account as account_key,
};
use crate::state::{cas, decode_json, encode_json, get_json, KeyValue, StateError, WasiStore};
use crate::tenancy::users::{self, sha256_hex, GitAccount, Session, User};
use crate::tenancy::{members, organizations};

/// How long a sign-in may take, seconds.
const STATE_TTL: i64 = 600;
/// How long a session lasts, seconds.
const SESSION_TTL: i64 = 12 * 3600;
/// Cookie binding the sign-in to the browser that started it.
const COOKIE: &str = "ga_oauth_binding";

#[derive(Debug, Clone, Serialize, Deserialize)]
struct PendingSignIn {
    provider: String,
    verifier: String,
    binding_sha256: String,
    expires_at: i64,
    used: bool,
}

fn random_token() -> Result<String, Problem> {
    Ok(URL_SAFE_NO_PAD.encode(ids::random_bytes::<32>()?))
}

fn provider_of(params: &Params) -> Result<String, Problem> {
    let wanted = params.get("provider").unwrap_or_default();
    let ids = providers::configured()?;
    providers::find(&ids, wanted)
        .map(str::to_owned)
        .ok_or_else(|| providers::unknown(wanted, &ids))
}

fn redirect_uri(incoming: &Incoming, provider: &str) -> Result<String, Problem> {
    Ok(format!(
        "{}/auth/{provider}/callback",
        public_base(incoming)?
    ))
}

/// 302 to the provider's authorization page, with the binding cookie.
pub async fn login(incoming: &Incoming, params: &Params) -> Result<Reply, Problem> {
    let provider = provider_of(params)?;
    let redirect = redirect_uri(incoming, &provider)?;
    let client_json = providers::oauth_client(&provider, &redirect)?;
    let (state, verifier, binding) = (random_token()?, random_token()?, random_token()?);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let args = json!({"req": {
        "client": client_json,
        "state": state,
        "code_challenge": challenge,
        "scopes": [],
    }});
    let url = client::call(&provider, "oauth-authorize-url", Some(&args))
        .await
        .map_err(|e| e.to_problem(&provider))?;
    let url = url.as_str().unwrap_or_default().to_owned();
    let kv = WasiStore::open()?;
    let pending = PendingSignIn {
        provider: provider.clone(),
        verifier,
        binding_sha256: sha256_hex(&binding),
        expires_at: clock::now() + STATE_TTL,
        used: false,
    };
    kv.set(&oauth_state(&sha256_hex(&state)), &encode_json(&pending))?;
    let secure = if redirect.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    Ok(Reply::json(302, &json!({ "location": url }))
        .with_header("location", url)
        .with_header(
            "set-cookie",
            format!(
                "{COOKIE}={binding}; Path=/auth/{provider}; Max-Age={STATE_TTL}; HttpOnly; \
                 SameSite=Lax{secure}"
            ),
        )
        .with_header("cache-control", "no-store"))
}

fn sign_in_failed(detail: impl Into<String>) -> Problem {
    Problem::new(400, "sign-in-failed", "Sign-in failed", detail)
}

/// Finishes a sign-in: 200 `{token_type, session_token, expires_at, user}`.
pub async fn callback(incoming: &Incoming, params: &Params) -> Result<Reply, Problem> {
    let provider = provider_of(params)?;
    let query = &incoming.query;
    if let Some(error) = query_param(query, "error") {
        return Err(sign_in_failed(format!(
            "The provider ended the sign-in: {}.",
            error
                .chars()
                .filter(|c| c.is_ascii_graphic())
                .take(64)
                .collect::<String>()
        )));
    }
    let (Some(code), Some(state)) = (query_param(query, "code"), query_param(query, "state"))
    else {
        return Err(sign_in_failed(
            "The callback needs the 'code' and 'state' query parameters.",
        ));
    };
    let binding = cookie(incoming, COOKIE).ok_or_else(|| {
        sign_in_failed(
            "The sign-in cookie is missing: finish the sign-in in the browser that started it.",
        )
    })?;
    let kv = WasiStore::open()?;
    let key = oauth_state(&sha256_hex(&state));
    let now = clock::now();
    // Consume the state: only one callback can swap it to `used`.
    let pending = cas::update(&kv, &key, |current| {
        let Some(bytes) = current else {
            return Err(sign_in_failed("The sign-in state is unknown; start again."));
        };
        let mut pending: PendingSignIn = decode_json(&key, bytes)?;
        if pending.used {
            return Err(sign_in_failed(
                "This sign-in was already completed; start again.",
            ));
        }
        if pending.expires_at < now {
            return Err(sign_in_failed("The sign-in took too long; start again."));
        }
        if pending.provider != provider {
            return Err(sign_in_failed(
                "The sign-in was started for another provider.",
            ));
        }
        // Both sides are digests of random values: comparing them leaks nothing useful.
        if pending.binding_sha256 != sha256_hex(&binding) {
            return Err(sign_in_failed(
                "The sign-in was started in another browser (the cookie does not match).",
            ));
        }
        pending.used = true;
        Ok(cas::Change::Write(encode_json(&pending), pending))
    })?;
    let redirect = redirect_uri(incoming, &provider)?;
    let args = json!({"req": {
        "client": providers::oauth_client(&provider, &redirect)?,
        "code": code,
        "code_verifier": pending.verifier,
    }});
    let tokens = client::call(&provider, "oauth-exchange-code", Some(&args))
        .await
        .map_err(|e| e.to_problem(&provider).redact(&code))?;
    let access = tokens["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let conn = token_check::Connection {
        api_url: None,
        token: &access,
        workspace: None,
    };
    let mut report = client::call(&provider, "validate-token", Some(&conn.gateway_args()))
        .await
        .map_err(|e| e.to_problem(&provider).redact(&access))?;
    redact::value(&mut report, &access);
    let login = report["account"].as_str().unwrap_or_default().to_owned();
    if login.is_empty() {
        return Err(sign_in_failed(
            "The provider did not say which account signed in.",
        ));
    }
    let user = find_or_create_user(&kv, &provider, &login, &report)?;
    let keyring = Keyring::from_variables()?;
    let account = GitAccount {
        provider: provider.clone(),
        login,
        kind: report["kind"].as_str().unwrap_or_default().to_owned(),
        scopes: serde_json::from_value(report["scopes"].clone()).unwrap_or_default(),
        token: keyring.seal(
            access.as_bytes(),
            &GitAccount::token_context(&user.id, &provider),
        )?,
        expires_at: tokens["expires_at"].as_str().and_then(clock::parse),
        refresh_token: match tokens["refresh_token"].as_str().filter(|t| !t.is_empty()) {
            Some(refresh) => Some(keyring.seal(
                refresh.as_bytes(),
                &GitAccount::refresh_context(&user.id, &provider),
            )?),
            None => None,
        },
        redirect_uri: Some(redirect),
        linked_at: clock::format(now),
        renewed_at: None,
    };
    kv.set(
        &git_account_key(&user.id, &provider),
        &encode_json(&account),
    )?;
    let session = format!("gas_{}", random_token()?);
    let expires_at = now + SESSION_TTL;
    kv.set(
        &session_key(&sha256_hex(&session)),
        &encode_json(&Session {
            user_id: user.id.clone(),
            expires_at,
        }),
    )?;
    kv.delete_many(&[key])?;
    Ok(Reply::json(
        200,
        &json!({
            "token_type": "Bearer",
            "session_token": session,
            "expires_at": clock::format(expires_at),
            "user": user_json(&kv, &user)?,
        }),
    )
    .with_header(
        "set-cookie",
        format!("{COOKIE}=; Path=/auth/{provider}; Max-Age=0; HttpOnly; SameSite=Lax"),
    )
    .with_header("cache-control", "no-store"))
}

/// 200 with the signed-in user and their Git accounts.
pub fn me(incoming: &Incoming) -> Result<Reply, Problem> {
    let (kv, user) = session_user(incoming)?;
    Ok(Reply::json(200, &user_json(&kv, &user)?))
}

/// 204 after unlinking the user's account at `provider` (404 when none is linked).
pub fn unlink(incoming: &Incoming, params: &Params) -> Result<Reply, Problem> {
    let (kv, user) = session_user(incoming)?;
    let provider = params
        .get("provider")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let key = git_account_key(&user.id, &provider);
    if kv.get(&key)?.is_none() || !providers::is_valid_id(&provider) {
        return Err(Problem::new(
            404,
            "not-found",
            "Not found",
            format!(
                "No {} account is linked to this user.",
                providers::display_name(&provider)
            ),
        ));
    }
    kv.delete_many(&[key])?;
    Ok(Reply::empty(204))
}

fn find_or_create_user(
    kv: &WasiStore,
    provider: &str,
    login: &str,
    report: &Value,
) -> Result<User, Problem> {
    #[derive(Serialize, Deserialize)]
    struct Link {
        user_id: String,
    }
    let link_key = account_key(provider, &login.to_lowercase());
    if let Some(link) = get_json::<Link>(kv, &link_key)? {
        if let Some(user) = get_json::<User>(kv, &user_key(&link.user_id))? {
            return Ok(user);
        }
    }
    let user = User {
        id: ids::new_id()?,
        name: report["account_name"]
            .as_str()
            .filter(|n| !n.is_empty())
            .unwrap_or(login)
            .to_owned(),
        created_at: clock::format(clock::now()),
    };
    kv.set_many(&[
        (user_key(&user.id), encode_json(&user)),
        (
            link_key,
            encode_json(&Link {
                user_id: user.id.clone(),
            }),
        ),
    ])?;
    Ok(user)
}

fn user_json(kv: &WasiStore, user: &User) -> Result<Value, StateError> {
    let ids = providers::configured().unwrap_or_default();
    let keys: Vec<String> = ids.iter().map(|p| git_account_key(&user.id, p)).collect();
    let mut accounts = Vec::new();
    for (key, value) in keys.iter().zip(kv.get_many(&keys)?) {
        if let Some(bytes) = value {
            let account: GitAccount = decode_json(key, &bytes)?;
            accounts.push(json!({
                "provider": providers::type_name(&account.provider),
                "login": account.login,
                "kind": account.kind,
                "scopes": account.scopes,
                "linked_at": account.linked_at,
                "expires_at": account.expires_at.map(clock::format),
                "renewable": account.renewable(),
                "renewed_at": account.renewed_at,
            }));
        }
    }
    let mut organizations = Vec::new();
    for (org, member) in users::memberships(kv, &user.id)? {
        let (Some(record), Some(role)) = (
            organizations::get(kv, &org)?,
            members::role_of(kv, &org, &member)?,
        ) else {
            continue;
        };
        organizations.push(json!({
            "id": record.id,
            "name": record.name,
            "member_id": member,
            "role": role.as_str(),
        }));
    }
    Ok(json!({
        "id": user.id,
        "name": user.name,
        "created_at": user.created_at,
        "git_accounts": accounts,
        "organizations": organizations,
    }))
}

/// The user of `Authorization: Bearer <session>`; 401 otherwise.
fn session_user(incoming: &Incoming) -> Result<(WasiStore, User), Problem> {
    let header = incoming.authorization.as_deref().unwrap_or_default().trim();
    let (scheme, session) = header.split_once(' ').unwrap_or((header, ""));
    if !scheme.eq_ignore_ascii_case("bearer") || session.trim().is_empty() {
        return Err(users::unauthorized(
            "This endpoint needs a session: send `Authorization: Bearer <session>` from sign-in.",
        ));
    }
    let kv = WasiStore::open()?;
    let user = users::session_user(&kv, session.trim())?;
    Ok((kv, user))
}

/// The value of cookie `name`, from the `Cookie` headers.
fn cookie(incoming: &Incoming, name: &str) -> Option<String> {
    incoming
        .headers
        .iter()
        .filter(|(n, _)| n == "cookie")
        .flat_map(|(_, v)| v.split(';'))
        .find_map(|pair| {
            let (k, v) = pair.trim().split_once('=')?;
            (k == name && !v.is_empty()).then(|| v.to_owned())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_binding_cookie() {
        let incoming = Incoming {
            authorization: None,
            body: Vec::new(),
            query: String::new(),
            headers: vec![("cookie".into(), format!("a=1; {COOKIE}=xyz; b=2"))],
            full_url: String::new(),
        };
        assert_eq!(cookie(&incoming, COOKIE).as_deref(), Some("xyz"));
        assert_eq!(cookie(&incoming, "c"), None);
        assert!(!oauth_state(&sha256_hex("secret-state")).contains("secret-state"));
    }
}
