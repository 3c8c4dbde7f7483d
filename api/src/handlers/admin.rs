//! `POST /organization/{organizationId}/admin/reencrypt` (owner): seals every Git token
//! value of the organization that is not under the current `encryption_key` again under
//! it. Run after rotating keys (see `crypto`); safe to repeat.

use serde_json::{json, Value};

use super::{org_access, Incoming};
use crate::crypto::Keyring;
use crate::git_tokens::store;
use crate::problem::Problem;
use crate::reply::Reply;
use crate::router::Params;
use crate::tenancy::Action;

/// 200 `{key_id, reencrypted, already_current, failed: [{id, reason}]}`.
pub fn reencrypt(incoming: &Incoming, params: &Params) -> Result<Reply, Problem> {
    let (kv, caller) = org_access(incoming, params, Action::Reencrypt)?;
    let keyring = Keyring::from_variables()?;
    let report = store::reencrypt(&kv, &caller.organization_id, &keyring)?;
    let failed: Vec<Value> = report
        .failed
        .iter()
        .map(|(id, reason)| json!({"id": id, "reason": reason}))
        .collect();
    if !failed.is_empty() {
        eprintln!(
            "api: re-encryption in organization {} left {} Git token(s) unreadable",
            caller.organization_id,
            failed.len()
        );
    }
    Ok(Reply::json(
        200,
        &json!({
            "key_id": keyring.current_id(),
            "reencrypted": report.reencrypted.len(),
            "already_current": report.already_current,
            "failed": failed,
        }),
    ))
}
