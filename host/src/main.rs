//! `git-access-host`: runs a Spin application (`spin.toml`) on wasmtime.

use host::{plugin_check, runtime, server};

use std::io::IsTerminal as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};

/// Every request allocates its HTTP parts, WASI context and resource table and frees them
/// again; with mimalloc the host serves hello-world about 10 % faster than with glibc
/// malloc. Built without its transparent-huge-page advice, which kept whole 2 MiB pages
/// resident (idle RSS 44 → 80 MiB).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Runs git-access (or any Spin HTTP application) on an embedded wasmtime host.
#[derive(Parser)]
#[command(name = "git-access-host", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the application described by a Spin manifest.
    Up(UpArgs),
    /// Work with provider plugins.
    #[command(subcommand)]
    Plugin(PluginCommand),
}

#[derive(Subcommand)]
enum PluginCommand {
    /// Compose a plugin with the gateway into a deployable provider component.
    Compose {
        /// The plugin component (`.wasm`, the `plugin` world of a contract version in
        /// wit/: v0.2.0, or v0.1.0).
        #[arg(long)]
        plugin: PathBuf,
        /// The gateway component shipped with git-access [default: the one for the
        /// plugin's contract version, target/components/gateway.wasm for 0.2.0 and
        /// target/components/gateway-v0.1.0.wasm for 0.1.0].
        #[arg(long)]
        gateway: Option<PathBuf>,
        /// Where to write the provider component.
        #[arg(long, short = 'o', default_value = "provider.wasm")]
        output: PathBuf,
    },
    /// Check that a plugin component conforms to the git-provider contract; exit 0 only
    /// when it does.
    Check {
        /// The plugin component (`.wasm`, the `plugin` world of a contract version in
        /// wit/: v0.2.0, or v0.1.0).
        component: PathBuf,
    },
}

#[derive(clap::Args)]
struct UpArgs {
    /// The Spin manifest.
    #[arg(long, short = 'f', default_value = "spin.toml")]
    manifest: PathBuf,
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:3000")]
    listen: SocketAddr,
    /// Directory for state (`sqlite_key_value.db`) and the compiled-component cache.
    #[arg(long, default_value = ".spin")]
    state_dir: PathBuf,
    /// Spin runtime config file (e.g. `[key_value_store.default] type = "redis"`).
    #[arg(long)]
    runtime_config_file: Option<PathBuf>,
    /// Wall-clock budget of one component invocation, in seconds.
    #[arg(long, default_value_t = 30)]
    request_timeout_secs: u64,
    /// Linear memory cap of one component instance, in MiB.
    #[arg(long, default_value_t = 256)]
    max_memory_mib: usize,
    /// Component instances alive at once (concurrent requests, counting chained calls).
    #[arg(long, default_value_t = 256)]
    max_instances: u32,
    /// Worker threads serving requests (default: one per available core).
    #[arg(long)]
    workers: Option<std::num::NonZeroUsize>,
    /// Log format.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

fn init_logging(format: LogFormat, default_level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level));
    // Colours only on a terminal: log files and collectors get plain text.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

fn main() {
    if let Err(err) = run(Cli::parse()) {
        eprintln!("error: {err:#}");
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Up(args) => {
            init_logging(args.log_format, "info");
            let options = runtime::Options {
                manifest: args.manifest,
                state_dir: args.state_dir,
                runtime_config: args.runtime_config_file,
                limits: runtime::Limits {
                    request_timeout: Duration::from_secs(args.request_timeout_secs),
                    max_memory: args.max_memory_mib * 1024 * 1024,
                    max_instances: args.max_instances,
                },
            };
            let workers = args
                .workers
                .or_else(|| std::thread::available_parallelism().ok())
                .unwrap_or(std::num::NonZeroUsize::MIN);
            server::up(options, args.listen, workers)
        }
        Command::Plugin(PluginCommand::Compose {
            plugin,
            gateway,
            output,
        }) => {
            let read = |path: &PathBuf, what: &str| {
                std::fs::read(path)
                    .map_err(|e| anyhow::anyhow!("cannot read the {what} {}: {e}", path.display()))
            };
            let plugin_bytes = read(&plugin, "plugin")?;
            let cannot = |e| anyhow::anyhow!("{} cannot be composed: {e}", plugin.display());
            let gateway = match gateway {
                Some(gateway) => gateway,
                None => {
                    PathBuf::from("target/components").join(git_access_compose::gateway_file_name(
                        git_access_compose::contract_version(&plugin_bytes).map_err(cannot)?,
                    ))
                }
            };
            let composed = git_access_compose::compose(&read(&gateway, "gateway")?, &plugin_bytes)
                .map_err(cannot)?;
            std::fs::write(&output, &composed)
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", output.display()))?;
            println!(
                "wrote {} ({} bytes): serve it as a private component and call it at http://<component-id>.spin.internal/<function>",
                output.display(),
                composed.len()
            );
            Ok(())
        }
        Command::Plugin(PluginCommand::Check { component }) => {
            init_logging(LogFormat::Text, "error");
            let report = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?
                .block_on(plugin_check::check(&component))
                .map_err(plugin_check::setup_error)?;
            println!("plugin check: {}", component.display());
            print!("{}", report.render());
            if !report.conforms() {
                std::process::exit(1);
            }
            Ok(())
        }
    }
}
