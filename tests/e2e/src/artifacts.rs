//! Where the build outputs under test are, and whether they exist.

use std::path::{Path, PathBuf};

use crate::HarnessError;

/// The workspace root (two levels above this crate).
pub fn workspace_root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    root.canonicalize().unwrap_or(root)
}

fn from_env_or(name: &str, default: PathBuf) -> PathBuf {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or(default)
}

/// The host binary: `GIT_ACCESS_HOST_BIN`, else `<workspace>/target/release/git-access-host`.
pub fn host_bin() -> PathBuf {
    from_env_or(
        "GIT_ACCESS_HOST_BIN",
        workspace_root()
            .join("target/release")
            .join(format!("git-access-host{}", std::env::consts::EXE_SUFFIX)),
    )
}

/// The manifest: `GIT_ACCESS_MANIFEST`, else `<workspace>/spin.toml`.
pub fn manifest() -> PathBuf {
    from_env_or("GIT_ACCESS_MANIFEST", workspace_root().join("spin.toml"))
}

/// Every component as cargo built it, uncomposed (`api.wasm`, `git_access_gateway.wasm`,
/// `git_access_github.wasm`, test components): `GIT_ACCESS_COMPONENTS_DIR`, else
/// `<workspace>/target/wasm/wasm32-wasip2/wasm`. The deployables the host runs are found
/// through the manifest instead.
pub fn components_dir() -> PathBuf {
    from_env_or(
        "GIT_ACCESS_COMPONENTS_DIR",
        workspace_root().join("target/wasm/wasm32-wasip2/wasm"),
    )
}

/// Checks that the host binary and every component the manifest names exist.
pub(crate) fn check_built(host_bin: &Path, manifest: &Path) -> Result<(), HarnessError> {
    if !host_bin.is_file() {
        return Err(HarnessError::NotBuilt(format!(
            "the host binary {} does not exist",
            host_bin.display()
        )));
    }
    let manifest_error = |reason: String| HarnessError::Manifest {
        path: manifest.display().to_string(),
        reason,
    };
    let text = std::fs::read_to_string(manifest).map_err(|e| manifest_error(e.to_string()))?;
    let parsed: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| manifest_error(e.to_string()))?;
    let base = manifest.parent().unwrap_or(Path::new("."));
    let components = parsed
        .get("component")
        .and_then(|c| c.as_table())
        .ok_or_else(|| manifest_error("no [component.*] tables".into()))?;
    let missing: Vec<String> = components
        .iter()
        .filter_map(|(id, component)| {
            let source = component.get("source")?.as_str()?;
            let path = base.join(source);
            (!path.is_file())
                .then(|| format!("component '{id}': {} does not exist", path.display()))
        })
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(HarnessError::NotBuilt(missing.join("\n")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_binary_says_how_to_build() {
        let err = check_built(Path::new("/nonexistent/git-access-host"), &manifest())
            .expect_err("binary is missing");
        let message = err.to_string();
        assert!(message.contains("cargo xtask test"), "{message}");
        assert!(
            message.contains("/nonexistent/git-access-host"),
            "{message}"
        );
    }

    #[test]
    fn missing_components_are_named() {
        let dir = tempfile::tempdir().expect("temp dir");
        let manifest = dir.path().join("spin.toml");
        std::fs::write(
            &manifest,
            "[component.api]\nsource = \"target/components/api.wasm\"\n",
        )
        .expect("write manifest");
        // Any existing file stands in for the host binary.
        let err = check_built(&manifest, &manifest).expect_err("component missing");
        let message = err.to_string();
        assert!(message.contains("component 'api'"), "{message}");
        assert!(message.contains("cargo xtask test"), "{message}");
    }
}
