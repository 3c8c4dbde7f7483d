//! The Bitbucket Cloud provider plugin of git-access (`https://api.bitbucket.org/2.0`),
//! exporting `git-access:provider/provider@0.2.0`.
//!
//! Implemented: every call but the GitHub App installation ones, which answer
//! `unsupported`. Tokens belong to a workspace, which every connection names. One module
//! per concern:
//!
//! - [`api_client`]: API and web base URLs, the bearer credential, workspace and
//!   repository paths, reported scopes, Bitbucket's error conventions;
//! - [`paging`]: cursors over `next`-URL pagination;
//! - [`token_validation`] and [`permission_probes`]: `validate-token`;
//! - [`repositories`]: `list-repositories`, `get-repository`, `list-branches`;
//! - [`webhooks`]: `create-webhook`, `get-webhook`, `delete-webhook`;
//! - [`webhook_verify`] and [`webhook_events`]: `verify-webhook`;
//! - [`clone_credentials`], [`oauth`], [`provider_info`].
//!
//! The logic takes a [`git_access_plugin_sdk::Transport`], so `cargo test -p
//! git-access-bitbucket` exercises it natively against a fake Bitbucket; in the component
//! the transport is `wasi:http`.

mod api_client;
mod bindings;
mod clone_credentials;
mod component;
mod oauth;
mod paging;
mod permission_probes;
mod provider_info;
mod repositories;
mod token_validation;
mod webhook_events;
mod webhook_verify;
mod webhooks;

#[cfg(test)]
mod fixtures;
