//! Outbound HTTP from a component: the allow-list check and in-process service chaining
//! (`http://<component-id>.spin.internal/...` is dispatched to that component without a
//! socket hop).

use std::future::Future;
use std::sync::Arc;

use http_body_util::BodyExt;
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks};

use crate::component_state::ComponentConfig;
use crate::runtime::{Runtime, INTERNAL_SUFFIX};

type IoFuture = Box<dyn Future<Output = Result<(), Error>> + Send>;
type SendResult = Result<(http::Response<WasiBody>, IoFuture), Error>;

/// Per-instance hooks deciding where outbound requests may go.
pub struct OutboundHooks {
    /// The app, for service chaining; `None` where there is none (plugin check).
    pub(crate) runtime: Option<Arc<Runtime>>,
    pub(crate) config: Arc<ComponentConfig>,
}

impl WasiHttpHooks for OutboundHooks {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _fut: IoFuture,
    ) -> Box<dyn Future<Output = SendResult> + Send> {
        let runtime = self.runtime.clone();
        let config = self.config.clone();
        Box::new(async move {
            let uri = request.uri();
            let scheme = uri.scheme_str().unwrap_or("https").to_ascii_lowercase();
            let host = uri.host().unwrap_or_default().to_ascii_lowercase();
            let port = uri.port_u16();
            if !config.allowed_hosts.allows(&scheme, &host, port) {
                tracing::warn!(
                    component = %config.id,
                    %scheme,
                    %host,
                    port,
                    "outbound request denied: not in allowed_outbound_hosts"
                );
                return Err(Error::HttpRequestDenied);
            }
            if let Some(target) = host.strip_suffix(INTERNAL_SUFFIX) {
                let runtime = runtime.ok_or(Error::DestinationNotFound)?;
                let response = runtime.call_internal(target, request).await?;
                let done: IoFuture = Box::new(async { Ok(()) });
                return Ok((response, done));
            }
            let (response, io) = wasmtime_wasi_http::default_send_request(request, options).await?;
            let io: IoFuture = Box::new(io);
            Ok((response.map(BodyExt::boxed_unsync), io))
        })
    }
}
