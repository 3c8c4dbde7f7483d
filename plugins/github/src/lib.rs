//! The GitHub provider plugin of git-access (github.com, GitHub Enterprise Cloud and
//! Server), exporting `git-access:provider/provider@0.1.0`.
//!
//! Implemented: `info`, `validate-token`, `verify-webhook`, `clone-credentials`; every other
//! call answers `unsupported`. The logic lives in plain modules that compile natively, so
//! `cargo test -p git-access-github` exercises it without a WebAssembly runtime.

mod bindings;
mod clone_credentials;
mod component;
mod github_api;
mod provider_info;
mod token_validation;
mod webhook_events;
mod webhook_verify;

#[cfg(test)]
mod fixtures;
