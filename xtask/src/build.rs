//! `cargo xtask build`: wasm components into `target/components/`, then the host.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context};

use crate::layout::Layout;
use crate::process;
use crate::progress::Step;

/// Target of every component.
pub const WASM_TARGET: &str = "wasm32-wasip2";
/// Cargo profile of the host as shipped, and as benchmarked (`[profile.dist]`: release
/// with link-time optimization across crates).
pub const DIST_PROFILE: &str = "dist";

/// Cargo profile of the components (`[profile.wasm]` in the workspace manifest).
pub const WASM_PROFILE: &str = "wasm";

/// Provider plugins shipped as components. Each id names `plugins/<id>` (package
/// `git-access-<id>`, artifact `git_access_<id with _>.wasm`), composed with the gateway into
/// `target/components/provider-<id>.wasm` (the `provider-<id>` component of `spin.toml`).
/// Adding a provider is one entry here.
pub const PROVIDERS: &[&str] = &["github", "gitlab", "bitbucket", "github-app"];

/// Providers built on another provider's crate as a library, with that crate's `component`
/// feature (its export) off. Each is built by a cargo invocation of its own, in a target
/// dir of its own ([`Layout::own_wasm_target_dir`]): cargo unifies features across the
/// packages of one invocation (next to that provider it would get its export too, and fail
/// to link on duplicate symbols), and the library crate, a cdylib as well, would write its
/// export-less component over the provider's real one in a shared target dir.
pub const LIBRARY_BASED_PROVIDERS: &[&str] = &["github-app"];

/// Gateways for older contract versions, as (version, gateway feature): each is built in a
/// target dir of its own (`target/wasm-gateway-v<version>`, as features are unified within
/// one), written to `target/components/gateway-v<version>.wasm`, and composed with the
/// plugins built against that version. The default build serves the newest contract.
pub const OLDER_GATEWAYS: &[(&str, &str)] = &[("0.1.0", "contract-v0-1")];

/// Components only tests use: `tests/components/<name>` (package `<name>`), built with
/// everything else (not with `--only`); tests load them from cargo's output folder
/// (`GIT_ACCESS_COMPONENTS_DIR`, e.g. `sandbox_probe.wasm`).
pub const TEST_COMPONENTS: &[&str] = &[
    "sandbox-probe",
    "broken-plugin",
    "legacy-plugin",
    "hello-world",
];

/// The API component's package.
const API_PACKAGE: &str = "api";
/// The generic gateway every provider is composed with.
const GATEWAY_PACKAGE: &str = "git-access-gateway";
/// The plugin SDK (a library of the wasm crates, never a component by itself).
const SDK_PACKAGE: &str = "git-access-plugin-sdk";
/// Folders under `plugins/` that are not provider plugins.
const NOT_PROVIDERS: &[&str] = &["sdk", "gateway", "compose"];

/// Every package compiled for wasm: native `cargo test --workspace` must exclude them.
pub fn wasm_packages() -> Vec<String> {
    let mut packages = vec![
        API_PACKAGE.to_owned(),
        GATEWAY_PACKAGE.to_owned(),
        SDK_PACKAGE.to_owned(),
    ];
    packages.extend(PROVIDERS.iter().map(|id| provider_package(id)));
    packages.extend(TEST_COMPONENTS.iter().map(|name| (*name).to_owned()));
    packages
}

/// A single component to build (`--only`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Only {
    /// `api`.
    Api,
    /// `provider-<id>`.
    Provider(&'static str),
}

/// Parses `--only`: `api` or `provider-<id>` for a known provider.
pub fn parse_only(value: &str) -> Result<Only, String> {
    if value == "api" {
        return Ok(Only::Api);
    }
    value
        .strip_prefix("provider-")
        .and_then(|id| PROVIDERS.iter().find(|p| **p == id))
        .map(|id| Only::Provider(id))
        .ok_or_else(|| {
            let known: Vec<String> = std::iter::once("api".to_owned())
                .chain(PROVIDERS.iter().map(|id| format!("provider-{id}")))
                .collect();
            format!("unknown component '{value}' (known: {})", known.join(", "))
        })
}

/// A deployable component of `spin.toml`.
#[derive(Debug, Clone, Copy)]
enum Component {
    Api,
    Provider(&'static str),
    /// A component only tests use.
    TestFixture(&'static str),
}

impl Component {
    fn all() -> Vec<Self> {
        std::iter::once(Component::Api)
            .chain(PROVIDERS.iter().map(|id| Component::Provider(id)))
            .chain(
                TEST_COMPONENTS
                    .iter()
                    .map(|name| Component::TestFixture(name)),
            )
            .collect()
    }

    /// Where the deployable is written, named as in `spin.toml`; none for test components,
    /// which are used as cargo built them.
    fn output(self, layout: &Layout) -> Option<PathBuf> {
        match self {
            Component::Api => Some(layout.components_dir().join("api.wasm")),
            Component::Provider(id) => {
                Some(layout.components_dir().join(format!("provider-{id}.wasm")))
            }
            Component::TestFixture(_) => None,
        }
    }

    /// Cargo packages it is made of.
    fn packages(self) -> Vec<String> {
        match self {
            Component::Api => vec![API_PACKAGE.to_owned()],
            Component::Provider(id) => vec![GATEWAY_PACKAGE.to_owned(), provider_package(id)],
            Component::TestFixture(name) => vec![name.to_owned()],
        }
    }
}

fn provider_package(id: &str) -> String {
    format!("git-access-{id}")
}

/// File stem cargo gives a cdylib package's artifact.
fn artifact_stem(package: &str) -> String {
    package.replace('-', "_")
}

/// How the host is built after the components. Cargo unifies dependency features over the
/// packages and targets of one invocation, so the host is built together with whatever
/// the command runs next: built alone and then again inside `cargo test`, it would be
/// compiled (and relinked) twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostBuild {
    /// `cargo build --release -p host` (build, up).
    Alone,
    /// With the benchmark driver, in the [`DIST_PROFILE`] (bench).
    WithBench,
    /// With every native package and test target (test): what `cargo test` then reuses.
    WithTests,
}

/// Builds the components (all, or the `only` one), then the host unless `only` is given.
pub fn build(layout: &Layout, only: Option<&Only>, host: HostBuild) -> anyhow::Result<()> {
    let components = match only {
        None => Component::all(),
        Some(Only::Api) => vec![Component::Api],
        Some(Only::Provider(id)) => vec![Component::Provider(id)],
    };
    warn_unlisted_plugins(layout);
    ensure_wasm_target(layout)?;
    build_wasm(layout, &components)?;
    write_components(layout, &components)?;
    if only.is_none() {
        build_host(layout, host)?;
    }
    Ok(())
}

/// Installs the wasm target when missing: with `RUSTUP_AUTO_INSTALL=0` the toolchain file
/// alone does not.
fn ensure_wasm_target(layout: &Layout) -> anyhow::Result<()> {
    let mut list = Command::new("rustup");
    list.current_dir(&layout.root)
        .args(["target", "list", "--installed"]);
    let installed = match process::output(list) {
        Ok(Ok(stdout)) => stdout,
        Ok(Err(failure)) => bail!("{failure}"),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("note: rustup not found; assuming the {WASM_TARGET} target is installed");
            return Ok(());
        }
        Err(error) => return Err(error).context("cannot run rustup"),
    };
    if installed.lines().any(|line| line.trim() == WASM_TARGET) {
        return Ok(());
    }
    let step = Step::start(&format!(
        "adding the {WASM_TARGET} target (rustup target add)"
    ));
    let mut add = Command::new("rustup");
    add.current_dir(&layout.root)
        .args(["target", "add", WASM_TARGET]);
    process::run(add)?;
    step.done();
    Ok(())
}

/// Builds every package of the wanted components, in as few cargo invocations as
/// [`cargo_invocations`] allows.
fn build_wasm(layout: &Layout, components: &[Component]) -> anyhow::Result<()> {
    let mut packages: Vec<String> = Vec::new();
    for package in components.iter().flat_map(|c| c.packages()) {
        if !packages.contains(&package) {
            packages.push(package);
        }
    }
    for invocation in cargo_invocations(&packages) {
        let target_dir = match &invocation.own_target_dir {
            Some(id) => layout.own_wasm_target_dir(id),
            None => layout.wasm_target_dir(),
        };
        let mut cargo = process::cargo(layout);
        cargo
            .args(["build", "--target", WASM_TARGET, "--profile", WASM_PROFILE])
            .arg("--target-dir")
            .arg(&target_dir);
        for package in &invocation.packages {
            cargo.args(["-p", package]);
        }
        if let Some(feature) = invocation.feature {
            cargo.args(["--features", feature]);
        }
        let step = Step::start(&format!(
            "building wasm components ({}) in {}",
            invocation.packages.join(", "),
            relative(layout, &target_dir)
        ));
        process::run(cargo)?;
        step.done();
    }
    Ok(())
}

/// One cargo invocation of the wasm build.
#[derive(Debug, PartialEq, Eq)]
struct Invocation {
    /// Packages it builds.
    packages: Vec<String>,
    /// The id of the own target dir it uses (`target/wasm-<id>`); `None`: the shared one.
    own_target_dir: Option<String>,
    /// The cargo feature it enables, if any.
    feature: Option<&'static str>,
}

/// One invocation for every package in the shared target dir, one for each of
/// [`LIBRARY_BASED_PROVIDERS`] in its own, and with the gateway one for each of
/// [`OLDER_GATEWAYS`] in its own.
fn cargo_invocations(packages: &[String]) -> Vec<Invocation> {
    let mut shared = Invocation {
        packages: Vec::new(),
        own_target_dir: None,
        feature: None,
    };
    let mut own = Vec::new();
    for package in packages {
        match library_based_provider(package) {
            Some(id) => own.push(Invocation {
                packages: vec![package.clone()],
                own_target_dir: Some(id.to_owned()),
                feature: None,
            }),
            None => shared.packages.push(package.clone()),
        }
        if package == GATEWAY_PACKAGE {
            own.extend(OLDER_GATEWAYS.iter().map(|(version, feature)| Invocation {
                packages: vec![package.clone()],
                own_target_dir: Some(older_gateway_dir(version)),
                feature: Some(feature),
            }));
        }
    }
    std::iter::once(shared)
        .filter(|invocation| !invocation.packages.is_empty())
        .chain(own)
        .collect()
}

/// The id of a library-based provider's package.
fn library_based_provider(package: &str) -> Option<&'static str> {
    LIBRARY_BASED_PROVIDERS
        .iter()
        .copied()
        .find(|id| provider_package(id) == package)
}

/// The own target dir id of the gateway for contract `version`.
fn older_gateway_dir(version: &str) -> String {
    format!("gateway-v{version}")
}

/// The gateway that serves plugins built against contract `version`, as cargo built it.
fn gateway_artifact(layout: &Layout, version: &str) -> anyhow::Result<PathBuf> {
    let stem = artifact_stem(GATEWAY_PACKAGE);
    if version == git_access_compose::LATEST_CONTRACT {
        return Ok(layout.wasm_artifact(&stem));
    }
    if OLDER_GATEWAYS.iter().any(|(v, _)| *v == version) {
        return Ok(layout.own_wasm_artifact(&older_gateway_dir(version), &stem));
    }
    bail!("no gateway is built for contract {version}")
}

/// Where the component of a wasm package is, as cargo built it.
fn wasm_artifact(layout: &Layout, package: &str) -> PathBuf {
    match library_based_provider(package) {
        Some(id) => layout.own_wasm_artifact(id, &artifact_stem(package)),
        None => layout.wasm_artifact(&artifact_stem(package)),
    }
}

/// Copies the API and composes each provider plugin with the gateway.
fn write_components(layout: &Layout, components: &[Component]) -> anyhow::Result<()> {
    let step = Step::start(&format!(
        "writing {}",
        relative(layout, &layout.components_dir())
    ));
    for component in components {
        let Some(path) = component.output(layout) else {
            continue;
        };
        let bytes = match component {
            Component::TestFixture(_) => continue,
            Component::Api => read(&layout.wasm_artifact(&artifact_stem(API_PACKAGE)))?,
            Component::Provider(id) => {
                let plugin = read(&wasm_artifact(layout, &provider_package(id)))?;
                let version = git_access_compose::contract_version(&plugin)
                    .with_context(|| format!("plugins/{id}"))?;
                let gateway = read(&gateway_artifact(layout, version)?)?;
                git_access_compose::compose(&gateway, &plugin)
                    .with_context(|| format!("cannot compose the gateway with plugins/{id}"))?
            }
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        report_write(layout, &path, &bytes)?;
    }
    // `git-access-host plugin compose` looks for the gateways here by default.
    let versions = std::iter::once(git_access_compose::LATEST_CONTRACT)
        .chain(OLDER_GATEWAYS.iter().map(|(version, _)| *version));
    for version in versions {
        let gateway = gateway_artifact(layout, version)?;
        if gateway.exists() {
            report_write(
                layout,
                &layout
                    .components_dir()
                    .join(git_access_compose::gateway_file_name(version)),
                &read(&gateway)?,
            )?;
        }
    }
    step.done();
    Ok(())
}

fn report_write(layout: &Layout, path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let written = write_if_changed(path, bytes)?;
    eprintln!(
        "    {}: {} ({} KiB)",
        relative(layout, path),
        if written { "written" } else { "unchanged" },
        bytes.len().div_ceil(1024)
    );
    Ok(())
}

/// `cargo build` of the host, with the packages and in the profile of `how`.
fn build_host(layout: &Layout, how: HostBuild) -> anyhow::Result<()> {
    let mut cargo = process::cargo(layout);
    let what = match how {
        HostBuild::Alone => {
            cargo.args(["build", "--release", "-p", "host"]);
            "the host (cargo build --release -p host)"
        }
        HostBuild::WithBench => {
            cargo.args(["build", "--profile", DIST_PROFILE]);
            cargo.args(["-p", "host", "-p", "git-access-bench"]);
            "the host and the benchmark driver as shipped (cargo build --profile dist)"
        }
        HostBuild::WithTests => {
            cargo.args(["build", "--release", "--workspace", "--all-targets"]);
            for package in wasm_packages() {
                cargo.args(["--exclude", &package]);
            }
            "the host and every native test (cargo build --release --workspace --all-targets)"
        }
    };
    let step = Step::start(&format!("building {what}"));
    process::run(cargo)?;
    step.done();
    Ok(())
}

fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

/// Writes `bytes` unless the file already holds them, so unchanged components keep their
/// timestamps (and caches keyed on them stay warm). Writes through a temporary file and a
/// rename, so a running host never reads half a component.
fn write_if_changed(path: &Path, bytes: &[u8]) -> anyhow::Result<bool> {
    if std::fs::read(path).is_ok_and(|existing| existing == bytes) {
        return Ok(false);
    }
    let temporary = path.with_extension("wasm.tmp");
    std::fs::write(&temporary, bytes)
        .with_context(|| format!("cannot write {}", temporary.display()))?;
    std::fs::rename(&temporary, path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(true)
}

/// Tells about `plugins/<dir>` crates that look like providers but are not in
/// [`PROVIDERS`], the usual slip when adding one.
fn warn_unlisted_plugins(layout: &Layout) {
    let Ok(entries) = std::fs::read_dir(layout.root.join("plugins")) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_crate = entry.path().join("Cargo.toml").is_file();
        if is_crate
            && !NOT_PROVIDERS.contains(&name.as_str())
            && !PROVIDERS.contains(&name.as_str())
        {
            eprintln!(
                "warning: plugins/{name} is not built: add \"{name}\" to PROVIDERS in xtask/src/build.rs"
            );
        }
    }
}

fn relative(layout: &Layout, path: &Path) -> String {
    path.strip_prefix(&layout.root)
        .unwrap_or(path)
        .display()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_accepts_known_components() {
        assert_eq!(parse_only("api"), Ok(Only::Api));
        assert_eq!(parse_only("provider-github"), Ok(Only::Provider("github")));
        assert_eq!(
            parse_only("provider-github-app"),
            Ok(Only::Provider("github-app"))
        );
        let err = parse_only("provider-nope").expect_err("unknown provider");
        assert!(err.contains("provider-github"), "{err}");
    }

    #[test]
    fn provider_components_are_named_as_in_spin_toml() {
        let layout = Layout::discover().expect("layout");
        let component = Component::Provider("github");
        assert_eq!(
            component.output(&layout),
            Some(layout.components_dir().join("provider-github.wasm"))
        );
        assert_eq!(
            component.packages(),
            vec!["git-access-gateway", "git-access-github"]
        );
        assert_eq!(artifact_stem("git-access-github"), "git_access_github");
        let app = Component::Provider("github-app");
        assert_eq!(
            app.output(&layout),
            Some(layout.components_dir().join("provider-github-app.wasm"))
        );
        assert_eq!(
            app.packages(),
            vec!["git-access-gateway", "git-access-github-app"]
        );
        assert_eq!(
            artifact_stem("git-access-github-app"),
            "git_access_github_app"
        );
    }

    #[test]
    fn library_based_providers_build_on_their_own() {
        let layout = Layout::discover().expect("layout");
        let packages: Vec<String> = Component::all()
            .into_iter()
            .flat_map(Component::packages)
            .collect();
        let invocations = cargo_invocations(&packages);
        assert_eq!(invocations[0].own_target_dir, None);
        assert!(invocations[0]
            .packages
            .contains(&"git-access-github".to_owned()));
        assert!(!invocations[0]
            .packages
            .contains(&"git-access-github-app".to_owned()));
        let only_app = cargo_invocations(&Component::Provider("github-app").packages());
        assert_eq!(
            only_app,
            [
                Invocation {
                    packages: vec!["git-access-gateway".to_owned()],
                    own_target_dir: None,
                    feature: None,
                },
                Invocation {
                    packages: vec!["git-access-gateway".to_owned()],
                    own_target_dir: Some("gateway-v0.1.0".to_owned()),
                    feature: Some("contract-v0-1"),
                },
                Invocation {
                    packages: vec!["git-access-github-app".to_owned()],
                    own_target_dir: Some("github-app".to_owned()),
                    feature: None,
                }
            ]
        );
        assert_eq!(
            gateway_artifact(&layout, "0.1.0").unwrap(),
            layout
                .root
                .join("target/wasm-gateway-v0.1.0/wasm32-wasip2/wasm/git_access_gateway.wasm")
        );
        assert_eq!(
            gateway_artifact(&layout, git_access_compose::LATEST_CONTRACT).unwrap(),
            layout.wasm_artifact("git_access_gateway")
        );
        assert!(gateway_artifact(&layout, "9.9.9").is_err());
        assert_eq!(
            wasm_artifact(&layout, "git-access-github-app"),
            layout
                .root
                .join("target/wasm-github-app/wasm32-wasip2/wasm/git_access_github_app.wasm")
        );
        assert_eq!(
            wasm_artifact(&layout, "git-access-github"),
            layout.wasm_artifact("git_access_github")
        );
    }

    #[test]
    fn providers_that_use_another_provider_are_library_based() {
        let layout = Layout::discover().expect("layout");
        for id in PROVIDERS {
            let manifest = layout.root.join("plugins").join(id).join("Cargo.toml");
            let text = std::fs::read_to_string(&manifest).expect("provider manifest");
            let uses_provider = PROVIDERS
                .iter()
                .filter(|other| *other != id)
                .any(|other| text.contains(&format!("{} = ", provider_package(other))));
            assert_eq!(
                uses_provider,
                LIBRARY_BASED_PROVIDERS.contains(id),
                "plugins/{id}: a provider that depends on another provider's crate belongs in \
                 LIBRARY_BASED_PROVIDERS (and only such a provider)"
            );
            if uses_provider {
                assert!(
                    text.contains("default-features = false"),
                    "plugins/{id} must depend on the other provider without its `component` feature"
                );
            }
        }
    }

    #[test]
    fn every_provider_has_a_component_in_spin_toml() {
        let layout = Layout::discover().expect("layout");
        let manifest = std::fs::read_to_string(layout.manifest()).expect("spin.toml");
        for id in PROVIDERS {
            let source = format!("source = \"target/components/provider-{id}.wasm\"");
            assert!(manifest.contains(&source), "spin.toml lacks {source}");
        }
        assert!(manifest.contains("source = \"target/components/api.wasm\""));
    }

    #[test]
    fn every_wasm_crate_is_excluded_from_native_workspace_tests() {
        let packages = wasm_packages();
        for package in [
            "api",
            "git-access-gateway",
            "git-access-github",
            "git-access-github-app",
            "git-access-plugin-sdk",
            "sandbox-probe",
        ] {
            assert!(packages.iter().any(|p| p == package), "{package}");
        }
    }

    #[test]
    fn unchanged_bytes_are_not_rewritten() {
        let dir = std::env::temp_dir().join(format!("xtask-write-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("c.wasm");
        assert!(write_if_changed(&path, b"one").expect("write"));
        assert!(!write_if_changed(&path, b"one").expect("write"));
        assert!(write_if_changed(&path, b"two").expect("write"));
        assert_eq!(std::fs::read(&path).expect("read"), b"two");
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }
}
