//! Running child processes: cargo, rustup, the host.

use std::process::{Command, Stdio};

use anyhow::{bail, Context};

use crate::layout::Layout;

/// `cargo` (the one that runs xtask, so the pinned toolchain) in the workspace root.
pub fn cargo(layout: &Layout) -> Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command.current_dir(&layout.root);
    command
}

/// Runs a command with inherited stdio; fails unless it exits successfully.
pub fn run(mut command: Command) -> anyhow::Result<()> {
    let shown = describe(&command);
    let status = command
        .status()
        .with_context(|| format!("cannot start `{shown}`"))?;
    if !status.success() {
        bail!("`{shown}` failed ({status})");
    }
    Ok(())
}

/// Runs a command and returns its stdout; fails unless it exits successfully.
pub fn output(mut command: Command) -> std::io::Result<Result<String, String>> {
    let output = command.stderr(Stdio::inherit()).output()?;
    if output.status.success() {
        Ok(Ok(String::from_utf8_lossy(&output.stdout).into_owned()))
    } else {
        Ok(Err(format!(
            "`{}` failed ({})",
            describe(&command),
            output.status
        )))
    }
}

/// Replaces this process with `command` (Unix), or runs it and exits with its code.
pub fn exec(mut command: Command) -> anyhow::Result<()> {
    let shown = describe(&command);
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // `exec` only returns on failure.
        let error = command.exec();
        Err(error).with_context(|| format!("cannot start `{shown}`"))
    }
    #[cfg(not(unix))]
    {
        let status = command
            .status()
            .with_context(|| format!("cannot start `{shown}`"))?;
        std::process::exit(status.code().unwrap_or(1));
    }
}

/// The command line, for messages.
pub fn describe(command: &Command) -> String {
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|part| part.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}
