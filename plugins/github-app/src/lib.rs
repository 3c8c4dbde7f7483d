//! The GitHub App provider plugin of git-access (the deprecated GitHub App flow), exporting
//! `git-access:provider/provider@0.2.0`.
//!
//! It owns what the GitHub plugin answers `unsupported`: the GitHub App installation
//! calls, authenticated as the app with a JWT signed by the app's private key. Everything
//! a connection does (repositories, branches, webhooks, deliveries, clone credentials,
//! OAuth) is the GitHub plugin's, used as a library (`git-access-github` without its
//! `component` feature), with its generated bindings. `validate-token` is `unsupported`:
//! installations are not connected as Git tokens.
//!
//! - [`app_jwt`]: the app's RS256 token;
//! - [`app_api`]: calls as the app, and what their errors mean;
//! - [`installations`]: `get-installation`, `create-installation-token`,
//!   `delete-installation`, `add-installation-repository`, `remove-installation-repository`;
//! - [`installation_repositories`]: `list-installation-repositories` and `list-repositories`;
//! - [`provider_info`].
//!
//! The logic takes a [`git_access_plugin_sdk::Transport`], so `cargo test -p
//! git-access-github-app` exercises it natively against a fake GitHub (and a test key in
//! `fixtures/`); in the component the transport is `wasi:http`.
#![deny(missing_docs)]

pub mod app_api;
pub mod app_jwt;
mod component;
pub mod installation_repositories;
pub mod installations;
pub mod provider_info;

#[cfg(test)]
mod test_support;
