//! The delivery the webhook-ingestion figure sends over and over: a real GitHub push
//! payload (a published example, byte for byte) signed with the application's secret
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

/// A signed push delivery for hook `hook_id` with `secret`; 202 (`accepted`) counts as
/// success, so a delivery taken for a duplicate (200) would count as an error.
pub fn push_delivery(fixtures: &Path, secret: &str, hook_id: u64) -> anyhow::Result<Request> {
    let path = fixtures.join(PUSH_FIXTURE);
    let body = std::fs::read(&path).with_context(|| format!("read {}", path.display()))?;
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
