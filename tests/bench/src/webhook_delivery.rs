//! The delivery the webhook-ingestion figure sends over and over: a real GitHub push
//! payload (a published example, its repository set to the application's, since the
//! receiver refuses deliveries about other repositories) signed with the application's secret
//! (`X-Hub-Signature-256` covers the body only), each time under a fresh
//! `X-GitHub-Delivery` id so that none is a duplicate.

use std::path::{Path, PathBuf};

use anyhow::Context;
use bytes::Bytes;
use hyper::header::{HeaderName, HeaderValue};
use hyper::Method;

use crate::load::Request;

/// The published push to a branch with one commit (octokit's webhook examples; see the
/// fixtures' MANIFEST.md).
const PUSH_FIXTURE: &str = "github/push.with-new-branch.json";

/// The shared webhook fixtures folder: `GIT_ACCESS_WEBHOOK_FIXTURES`, else
/// `../shared/fixtures/webhooks` next to the workspace. `Err` says where it looked.
pub fn fixtures_dir(workspace: &Path) -> Result<PathBuf, String> {
    let dir = std::env::var_os("GIT_ACCESS_WEBHOOK_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace.join("../shared/fixtures/webhooks"));
    if dir.join(PUSH_FIXTURE).is_file() {
        Ok(dir)
    } else {
        Err(format!(
            "no {PUSH_FIXTURE} under {} (set GIT_ACCESS_WEBHOOK_FIXTURES)",
            dir.display()
        ))
    }
}

/// A signed push delivery about `repository` (`owner/name`) for hook `hook_id` with
/// `secret`; 202 (`accepted`) counts as success, so a delivery taken for a duplicate (200)
/// would count as an error.
pub fn push_delivery(
    fixtures: &Path,
    secret: &str,
    hook_id: u64,
    repository: &str,
) -> anyhow::Result<Request> {
    let path = fixtures.join(PUSH_FIXTURE);
    let published = std::fs::read(&path).with_context(|| format!("read {}", path.display()))?;
    let mut payload: serde_json::Value = serde_json::from_slice(&published)
        .with_context(|| format!("{} is not JSON", path.display()))?;
    let (owner, name) = repository
        .split_once('/')
        .with_context(|| format!("{repository} is not owner/name"))?;
    for (pointer, value) in [
        ("/repository/full_name", repository),
        ("/repository/name", name),
        ("/repository/owner/login", owner),
    ] {
        if let Some(slot) = payload.pointer_mut(pointer) {
            *slot = value.into();
        }
    }
    // Pretty-printed like the published file, so the size stays that of a real delivery.
    let body = serde_json::to_vec_pretty(&payload)?;
    let signature = mock_providers::github::signature_256(secret, &body);
    let header = |name: &'static str, value: String| -> anyhow::Result<_> {
        Ok((HeaderName::from_static(name), HeaderValue::try_from(value)?))
    };
    Ok(Request {
        method: Method::POST,
        headers: vec![
            header("content-type", "application/json".into())?,
            header("user-agent", "GitHub-Hookshot/bench".into())?,
            header("x-github-event", "push".into())?,
            header("x-github-hook-id", hook_id.to_string())?,
            header("x-hub-signature-256", signature)?,
        ],
        body: Bytes::from(body),
        fresh_id_header: Some(HeaderName::from_static("x-github-delivery")),
        expect_status: Some(202),
    })
}
