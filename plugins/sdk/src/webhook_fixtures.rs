//! Access to the published webhook deliveries in `../shared/fixtures/webhooks` (see its
//! MANIFEST.md) for plugins' native tests. The folder is not part of this repository; when
//! it is missing, tests say so and pass. `GIT_ACCESS_WEBHOOK_FIXTURES` may point elsewhere.

use std::path::{Path, PathBuf};

use serde_json::Value;

/// The fixtures folder, or `None` (after saying the tests are skipped) when it is absent.
/// `plugin_manifest_dir` is the plugin's `CARGO_MANIFEST_DIR`.
pub fn fixtures_dir(plugin_manifest_dir: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("GIT_ACCESS_WEBHOOK_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(plugin_manifest_dir).join("../../../shared/fixtures/webhooks")
        });
    if dir.join("vectors.json").is_file() {
        Some(dir)
    } else {
        eprintln!(
            "SKIPPED: webhook fixtures not found at {} (set GIT_ACCESS_WEBHOOK_FIXTURES)",
            dir.display()
        );
        None
    }
}

/// A fixture file parsed as JSON; panics naming the file (tests only).
pub fn read_json(path: &Path) -> Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
