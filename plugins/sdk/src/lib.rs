//! Shared helpers for git-access provider plugins.
//!
//! A provider plugin is a `wasm32-wasip2` component that exports the
//! `git-access:provider/provider` interface, version 0.2.0 (`wit/v0.2.0`) or the frozen
//! 0.1.0 (`wit/v0.1.0`); this crate serves plugins of both. The bindings wit-bindgen
//! generates are private to each plugin, so this crate works with its own plain types and
//! each plugin converts once:
//!
//! - [`ProviderError`] mirrors the WIT `provider-error`; [`provider_error_conversion!`]
//!   writes the `From` impl into the plugin's WIT type, and [`oauth_tokens_conversion!`]
//!   the one for `oauth-tokens`.
//! - [`unsupported!`] fills in the contract functions a plugin does not implement, of
//!   either version.
//! - [`HttpRequest`] / [`HttpResponse`] are a small blocking client over `wasi:http`
//!   (through `waki`); [`error_from_response`] maps a failed response to a [`ProviderError`].
//! - [`pagination`], [`signature`], [`api_url`], [`timestamp`] and [`oauth`] are pure
//!   helpers for `Link` headers, webhook HMACs, URL building, RFC 3339 timestamps and the
//!   OAuth code and refresh flows.
//!
//! Everything except sending a request works natively, so plugin logic can be unit-tested
//! with a plain `cargo test`.
#![deny(missing_docs)]

pub mod api_url;
#[cfg(any(test, feature = "test-support"))]
pub mod fake_transport;
mod headers;
mod http_client;
pub mod oauth;
#[cfg(any(test, feature = "test-support"))]
pub mod oauth_refresh_cases;
pub mod pagination;
mod provider_error;
mod response_error;
pub mod signature;
pub mod timestamp;
#[cfg(feature = "test-support")]
pub mod webhook_fixtures;
mod wit_conversion;

pub use headers::Headers;
pub use http_client::{HttpRequest, HttpResponse, Method, Transport, WasiHttp};
pub use provider_error::ProviderError;
pub use response_error::{error_from_response, is_rate_limited, retry_after_seconds};
