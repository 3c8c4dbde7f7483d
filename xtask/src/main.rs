//! `cargo xtask`: the developer entry point of git-access.
//!
//! - `cargo xtask build [--only api|provider-<id>]` builds the wasm components into
//!   `target/components/` (composing each provider plugin with the gateway) and the host.
//! - `cargo xtask up [--listen ADDR]` builds, then runs the host on `spin.toml`.
//! - `cargo xtask test` builds, then runs every test, end-to-end ones included.
//! - `cargo xtask bench [--quick]` builds, then measures the host against its baselines
//!   and writes `bench/results.md` and `bench/results.json`.

mod build;
mod layout;
mod process;
mod progress;

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::build::{HostBuild, Only};
use crate::layout::Layout;

/// Developer tasks of git-access.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Build the wasm components into target/components/ and the host binary.
    Build {
        /// Build one component only (`api` or `provider-<id>`) and skip the host; this is
        /// what `spin build` runs.
        #[arg(long, value_name = "COMPONENT", value_parser = build::parse_only)]
        only: Option<Only>,
    },
    /// Build everything, then serve spin.toml with the embedded host (foreground).
    Up {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:3000")]
        listen: SocketAddr,
    },
    /// Build everything, then measure the host against its baselines (bench/results.md).
    Bench {
        /// One short run per figure instead of three.
        #[arg(long)]
        quick: bool,
    },
    /// Build everything, then run all tests (native, plugin and API logic, end to end).
    Test {
        /// Extra arguments for the test binaries, e.g. `-- --nocapture`.
        #[arg(last = true)]
        test_args: Vec<String>,
    },
}

fn main() -> std::process::ExitCode {
    match run(Cli::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            // The chain of causes says what failed; a backtrace of xtask itself would not.
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let layout = Layout::discover()?;
    match cli.command {
        Command::Build { only } => build::build(&layout, only.as_ref(), HostBuild::Alone),
        Command::Up { listen } => {
            build::build(&layout, None, HostBuild::Alone)?;
            up(&layout, listen)
        }
        Command::Test { test_args } => {
            build::build(&layout, None, HostBuild::WithTests)?;
            test(&layout, &test_args)
        }
        Command::Bench { quick } => {
            build::build(&layout, None, HostBuild::WithBench)?;
            bench(&layout, quick)
        }
    }
}

/// Runs the benchmark driver (built with the host by `build`) on loopback.
fn bench(layout: &Layout, quick: bool) -> anyhow::Result<()> {
    let mut driver =
        std::process::Command::new(layout.native_binary(build::DIST_PROFILE, "git-access-bench"));
    driver
        .current_dir(&layout.root)
        .arg("--host-bin")
        .arg(layout.native_binary(build::DIST_PROFILE, "git-access-host"))
        .arg("--components-dir")
        .arg(layout.wasm_artifacts_dir())
        .arg("--manifest")
        .arg(layout.manifest())
        .arg("--out")
        .arg(layout.root.join("bench"))
        .arg("--command-line")
        .arg(if quick {
            "cargo xtask bench --quick"
        } else {
            "cargo xtask bench"
        });
    if quick {
        driver.arg("--quick");
    }
    match reference_wasmtime(layout, quick) {
        Ok(Some(wasmtime)) => {
            driver.arg("--wasmtime-bin").arg(wasmtime);
        }
        Ok(None) => {}
        Err(err) => eprintln!("warning: the `wasmtime serve` reference is left out: {err:#}"),
    }
    let step = progress::Step::start("measuring (loopback only)");
    process::run(driver)?;
    step.done();
    Ok(())
}

/// The `wasmtime` CLI the hello-world figure is also measured on, for reference: the
/// version of the host's wasmtime, with `serve` only.
const WASMTIME_CLI_VERSION: &str = "48.0.8";

/// The reference `wasmtime` CLI, built once into `target/tools` (a release build of
/// wasmtime; `cargo install` does nothing when it is there). `--quick` runs never build
/// it, and use it only when it is there already.
fn reference_wasmtime(layout: &Layout, quick: bool) -> anyhow::Result<Option<PathBuf>> {
    let root = layout.native_target_dir.join("tools");
    let bin = root
        .join("bin")
        .join(format!("wasmtime{}", std::env::consts::EXE_SUFFIX));
    if quick {
        return Ok(bin.is_file().then_some(bin));
    }
    let mut install = process::cargo(layout);
    install
        .args(["install", "--locked", "--quiet", "--no-default-features"])
        .args([
            "--features",
            "run,serve,component-model-async,cranelift,pooling-allocator,parallel-compilation",
        ])
        .arg(format!("wasmtime-cli@{WASMTIME_CLI_VERSION}"))
        .arg("--root")
        .arg(&root)
        .env("CARGO_TARGET_DIR", root.join("build"));
    let step = progress::Step::start(&format!(
        "the reference: wasmtime-cli {WASMTIME_CLI_VERSION} into {}",
        root.display()
    ));
    process::run(install)?;
    step.done();
    Ok(Some(bin))
}

/// Runs the host in the foreground. On Unix the host replaces this process, so signals
/// (Ctrl-C, SIGTERM) reach it directly and its exit code is ours.
fn up(layout: &Layout, listen: SocketAddr) -> anyhow::Result<()> {
    let mut host = std::process::Command::new(layout.host_bin());
    host.current_dir(&layout.root).args([
        "up",
        "--manifest",
        "spin.toml",
        "--listen",
        &listen.to_string(),
        "--state-dir",
        ".spin",
    ]);
    eprintln!("==> starting the host on http://{listen} (Ctrl-C stops it)");
    process::exec(host)
}

/// Wasm crates whose unit tests (plain Rust logic) also run natively. Adjust here if a
/// crate stops compiling on the host target.
const NATIVE_LOGIC_TESTS: &[&str] = &[
    "git-access-plugin-sdk",
    "git-access-gateway",
    "git-access-github",
    "git-access-github-app",
    "git-access-gitlab",
    "git-access-bitbucket",
    "api",
];

/// Runs the native tests in release (sharing the host's artifacts), then the unit tests of
/// the wasm crates' logic on the host target.
fn test(layout: &Layout, test_args: &[String]) -> anyhow::Result<()> {
    // Deployables (target/components) are reached through the manifest; the components
    // folder is cargo's output, where every component sits uncomposed (gateway, plugins,
    // api, test components).
    let env = [
        ("GIT_ACCESS_HOST_BIN", layout.host_bin()),
        ("GIT_ACCESS_MANIFEST", layout.manifest()),
        ("GIT_ACCESS_COMPONENTS_DIR", layout.wasm_artifacts_dir()),
    ];

    let mut native = process::cargo(layout);
    native.args(["test", "--release", "--workspace"]);
    // Wasm crates are built by `build`; their logic is tested by NATIVE_LOGIC_TESTS.
    for package in build::wasm_packages() {
        native.args(["--exclude", &package]);
    }
    if !test_args.is_empty() {
        native.arg("--").args(test_args);
    }
    native.envs(env.iter().map(|(k, v)| (k, v.as_os_str())));
    let step = progress::Step::start("native tests, end-to-end included (cargo test --release)");
    process::run(native)?;
    step.done();

    let mut logic = process::cargo(layout);
    logic
        .args(["test", "--target-dir"])
        .arg(layout.wasm_target_dir());
    for krate in NATIVE_LOGIC_TESTS {
        logic.args(["-p", krate]);
    }
    if !test_args.is_empty() {
        logic.arg("--").args(test_args);
    }
    let step = progress::Step::start(&format!(
        "unit tests of wasm crates on the host target ({})",
        NATIVE_LOGIC_TESTS.join(", ")
    ));
    process::run(logic)?;
    step.done();
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_reference_wasmtime_is_the_hosts_version() {
        let lock = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.lock"))
            .expect("Cargo.lock");
        let entry = format!(
            "name = \"wasmtime\"\nversion = \"{}\"",
            super::WASMTIME_CLI_VERSION
        );
        assert!(
            lock.contains(&entry),
            "the host's wasmtime is not {}; update WASMTIME_CLI_VERSION",
            super::WASMTIME_CLI_VERSION
        );
    }
}
