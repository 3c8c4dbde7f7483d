//! The GitHub provider plugin of git-access (github.com, GitHub Enterprise Cloud and
//! Server), exporting `git-access:provider/provider@0.2.0`.
//!
//! Implemented: every call but the GitHub App installation ones, which the separate
//! `github-app` plugin owns and which answer `unsupported` here. One module per concern:
//!
//! - [`api_client`]: API and web base URLs, request headers, GitHub's error conventions;
//! - [`paging`]: cursors and the bounded name search over page-numbered lists;
//! - [`token_validation`] and [`permission_probes`]: `validate-token`;
//! - [`repositories`]: `list-repositories`, `get-repository`, `list-branches`;
//! - [`webhooks`]: `create-webhook`, `get-webhook`, `delete-webhook`;
//! - [`webhook_verify`] and [`webhook_events`]: `verify-webhook`;
//! - [`clone_credentials`], [`oauth`], [`provider_info`].
//!
//! The logic takes a [`git_access_plugin_sdk::Transport`], so `cargo test -p
//! git-access-github` exercises it natively against a fake GitHub; in the component the
//! transport is `wasi:http`.
//!
//! The crate is also a library: with default features off (no `component` feature) it
//! exports nothing, and a plugin for another GitHub flow (`plugins/github-app`) reuses these
//! modules and the [`bindings`] and exports its own implementation of the contract.
#![deny(missing_docs)]

pub mod api_client;
pub mod bindings;
pub mod clone_credentials;
#[cfg(feature = "component")]
mod component;
pub mod oauth;
pub mod paging;
pub mod permission_probes;
pub mod provider_info;
pub mod repositories;
pub mod token_validation;
pub mod webhook_events;
pub mod webhook_verify;
pub mod webhooks;

#[cfg(test)]
mod fixtures;
