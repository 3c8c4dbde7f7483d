//! The GitLab provider plugin of git-access (gitlab.com and self-managed instances through
//! `api-url` = `https://HOST/api/v4`), exporting `git-access:provider/provider@0.2.0`.
//!
//! Implemented: every call but the GitHub App installation ones, which answer
//! `unsupported`. One module per concern:
//!
//! - [`api_client`]: API and web base URLs, the credential header, project paths, GitLab's
//!   error conventions;
//! - [`paging`]: `PAGE:SIZE` cursors over `X-Next-Page` pagination;
//! - [`token_validation`]: `validate-token` (scopes, expiry, kind, role);
//! - [`repositories`]: `list-repositories`, `get-repository`, `list-branches`;
//! - [`webhooks`]: `create-webhook`, `get-webhook`, `delete-webhook`;
//! - [`webhook_verify`] and [`webhook_events`]: `verify-webhook`;
//! - [`clone_credentials`], [`oauth`], [`provider_info`].
//!
//! The logic takes a [`git_access_plugin_sdk::Transport`], so `cargo test -p
//! git-access-gitlab` exercises it natively against a fake GitLab; in the component the
//! transport is `wasi:http`.

mod api_client;
mod bindings;
mod clone_credentials;
mod component;
mod oauth;
mod paging;
mod provider_info;
mod repositories;
mod token_validation;
mod webhook_events;
mod webhook_verify;
mod webhooks;

#[cfg(test)]
mod fixtures;
