//! Where things are in the workspace: sources, build outputs, the manifest.

use std::path::{Path, PathBuf};

use anyhow::Context;

/// Paths of one checkout.
#[derive(Debug, Clone)]
pub struct Layout {
    /// Workspace root (holds `spin.toml`).
    pub root: PathBuf,
    /// Native target dir (`CARGO_TARGET_DIR` or `target/`), where the host is built.
    pub native_target_dir: PathBuf,
}

impl Layout {
    /// The workspace this xtask belongs to.
    pub fn discover() -> anyhow::Result<Self> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .context("xtask is not inside a workspace")?
            .to_path_buf();
        let native_target_dir = match std::env::var_os("CARGO_TARGET_DIR") {
            Some(dir) => root.join(dir),
            None => root.join("target"),
        };
        Ok(Self {
            root,
            native_target_dir,
        })
    }

    /// `spin.toml`.
    pub fn manifest(&self) -> PathBuf {
        self.root.join("spin.toml")
    }

    /// Separate target dir for wasm builds, so they never wait on a native build's lock.
    pub fn wasm_target_dir(&self) -> PathBuf {
        self.root.join("target").join("wasm")
    }

    /// Target dir of a provider built on another provider's crate
    /// ([`crate::build::LIBRARY_BASED_PROVIDERS`]), `target/wasm-<id>`. That crate is a cdylib
    /// too: built there without its export, its component would overwrite the real one
    /// (same file name) in the shared wasm target dir.
    pub fn own_wasm_target_dir(&self, id: &str) -> PathBuf {
        self.root.join("target").join(format!("wasm-{id}"))
    }

    /// Where cargo puts the components it builds (`--profile wasm`), uncomposed:
    /// `api.wasm`, `git_access_gateway.wasm`, `git_access_github.wasm`, test components.
    pub fn wasm_artifacts_dir(&self) -> PathBuf {
        self.wasm_target_dir()
            .join(crate::build::WASM_TARGET)
            .join(crate::build::WASM_PROFILE)
    }

    /// One wasm crate's component as cargo built it.
    pub fn wasm_artifact(&self, crate_file_stem: &str) -> PathBuf {
        self.wasm_artifacts_dir()
            .join(format!("{crate_file_stem}.wasm"))
    }

    /// The component of a library-based provider, in its own target dir.
    pub fn own_wasm_artifact(&self, id: &str, crate_file_stem: &str) -> PathBuf {
        self.own_wasm_target_dir(id)
            .join(crate::build::WASM_TARGET)
            .join(crate::build::WASM_PROFILE)
            .join(format!("{crate_file_stem}.wasm"))
    }

    /// Deployable components (providers composed), as `spin.toml` names them.
    pub fn components_dir(&self) -> PathBuf {
        self.root.join("target").join("components")
    }

    /// The release host binary.
    pub fn host_bin(&self) -> PathBuf {
        self.native_binary("release", "git-access-host")
    }

    /// A native binary cargo built with `profile`.
    pub fn native_binary(&self, profile: &str, name: &str) -> PathBuf {
        self.native_target_dir
            .join(profile)
            .join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
    }
}
