//! Shared helpers for git-access provider plugins.
//!
//! A provider plugin is a `wasm32-wasip2` component that exports the
//! `git-access:provider/provider@0.1.0` interface. The bindings wit-bindgen generates are
//! private to each plugin, so this crate works with its own plain types and each plugin
//! converts once:
//!
//! - [`ProviderError`] mirrors the WIT `provider-error`; [`provider_error_conversion!`]
//!   writes the `From` impl into the plugin's WIT type.
//! - [`unsupported!`] fills in the contract functions a plugin does not implement.
//! - [`HttpRequest`] / [`HttpResponse`] are a small blocking client over `wasi:http`
//!   (through `waki`); [`error_from_response`] maps a failed response to a [`ProviderError`].
//! - [`pagination`], [`signature`], [`api_url`], [`timestamp`] and [`oauth`] are pure
//!   helpers for `Link` headers, webhook HMACs, URL building, RFC 3339 timestamps and the
//!   OAuth code flow.
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
