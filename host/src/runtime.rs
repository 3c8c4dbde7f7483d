//! The loaded application: one engine, every component compiled (or loaded from the
//! precompiled cache) and pre-instantiated once, and a fresh sandboxed store per request.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context as _};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Body;
use sha2::{Digest, Sha256};
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{
    Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store,
    StoreLimitsBuilder, UpdateDeadline,
};
use wasmtime_wasi::WasiCtx;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;
use wasmtime_wasi_http::{WasiBody, WasiHttpCtx, WasiHttpView};

use crate::allowed_hosts::AllowedHosts;
use crate::component_state::{ComponentConfig, ComponentState, Stores};
use crate::manifest::Manifest;
use crate::outbound::OutboundHooks;
use crate::routes::Router;
use crate::runtime_config::{open_stores, RuntimeConfig};
use crate::variables::{component_variables, AppVariables};

/// Host suffix of service-chaining requests.
pub const INTERNAL_SUFFIX: &str = ".spin.internal";

/// How often the epoch advances: a running guest yields to its worker's other requests this
/// often, and its deadline is checked then.
const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Bytes of a pooled memory or table slot restored in place rather than unmapped: twice
/// our components' initial memory (2 MiB, `build/component_memory.rs`), so the pages a
/// request touched stay mapped for the next instance.
const KEEP_RESIDENT: usize = 4 << 20;

/// Limits applied to every request.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Wall-clock budget of one component invocation.
    pub request_timeout: Duration,
    /// Linear memory cap per instance, in bytes.
    pub max_memory: usize,
    /// Component instances alive at once (concurrent requests, counting chained calls).
    pub max_instances: u32,
}

/// Start-up options.
#[derive(Debug, Clone)]
pub struct Options {
    /// The manifest.
    pub manifest: PathBuf,
    /// Where state (key-value database) and the component cache live.
    pub state_dir: PathBuf,
    /// Spin runtime config file (key-value stores), if any.
    pub runtime_config: Option<PathBuf>,
    /// Request limits.
    pub limits: Limits,
}

struct LoadedComponent {
    pre: ProxyPre<ComponentState>,
    config: Arc<ComponentConfig>,
}

/// The running application.
pub struct Runtime {
    engine: Engine,
    components: HashMap<String, LoadedComponent>,
    router: Router,
    stores: Stores,
    limits: Limits,
}

/// Facts about one request, passed to the guest as Spin's `spin-*` headers.
struct RouteInfo {
    matched_route: http::HeaderValue,
    component_route: http::HeaderValue,
    path_info: String,
    client_addr: Option<SocketAddr>,
}

impl Runtime {
    /// Loads the manifest, resolves variables, opens stores and prepares every component.
    pub fn load(options: &Options) -> anyhow::Result<Arc<Self>> {
        let manifest = Manifest::load(&options.manifest)?;
        let manifest_dir = options
            .manifest
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let app_vars = AppVariables::resolve(&manifest.variables, |name| std::env::var(name).ok())
            .map_err(|e| anyhow!("{}: {e}", options.manifest.display()))?;
        let mut component_vars = component_variables(&manifest, &app_vars)
            .map_err(|e| anyhow!("{}: {e}", options.manifest.display()))?;
        let router = Router::new(&manifest.trigger.http)
            .map_err(|e| anyhow!("{}: {e}", options.manifest.display()))?;

        let (runtime_config, config_dir) = match &options.runtime_config {
            Some(path) => (
                RuntimeConfig::load(path)?,
                path.parent().map(Path::to_path_buf).unwrap_or_default(),
            ),
            None => (RuntimeConfig::default(), options.state_dir.clone()),
        };
        let stores = open_stores(&runtime_config, &config_dir, &options.state_dir)?;
        for (id, component) in &manifest.component {
            for label in &component.key_value_stores {
                if !stores.contains_key(label) {
                    bail!(
                        "{}: [component.{id}] key_value_stores: store '{label}' is not defined; define it in a runtime config file ([key_value_store.{label}])",
                        options.manifest.display()
                    );
                }
            }
        }

        let engine = new_engine(&options.limits)?;
        let linker = host_linker(&engine)?;

        let cache_dir = options.state_dir.join("component-cache");
        let mut components = HashMap::new();
        for (id, decl) in &manifest.component {
            let source = manifest
                .source_path(&manifest_dir, id)
                .ok_or_else(|| anyhow!("[component.{id}] has no local source"))?;
            let started = Instant::now();
            let component = load_component(&engine, &source, &cache_dir)
                .with_context(|| format!("[component.{id}] source {}", source.display()))?;
            let pre = linker.instantiate_pre(&component).map_err(|e| {
                anyhow!(
                    "[component.{id}] imports something this host does not provide ({}): {e}",
                    source.display()
                )
            })?;
            let pre = ProxyPre::new(pre).map_err(|e| {
                anyhow!("[component.{id}] does not export wasi:http/incoming-handler@0.2: {e}")
            })?;
            let allowed: Vec<String> = decl
                .allowed_outbound_hosts
                .iter()
                .map(|t| app_vars.expand(t))
                .collect::<Result<_, _>>()
                .map_err(|e| anyhow!("[component.{id}] allowed_outbound_hosts: {e}"))?;
            let files = manifest.file_mounts(&manifest_dir, id);
            for (dir, _) in &files {
                if !dir.is_dir() {
                    bail!(
                        "[component.{id}] files: {} is not a directory",
                        dir.display()
                    );
                }
            }
            let config = ComponentConfig {
                files,
                id: id.clone(),
                allowed_hosts: AllowedHosts::parse(&allowed)
                    .map_err(|e| anyhow!("[component.{id}] {e}"))?,
                key_value_stores: decl.key_value_stores.clone(),
                variables: component_vars.remove(id).unwrap_or_default(),
                environment: decl
                    .environment
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            };
            tracing::info!(component = %id, elapsed_ms = started.elapsed().as_millis() as u64, "component ready");
            components.insert(
                id.clone(),
                LoadedComponent {
                    pre,
                    config: Arc::new(config),
                },
            );
        }

        Ok(Arc::new(Self {
            engine,
            components,
            router,
            stores: Arc::new(stores),
            limits: options.limits.clone(),
        }))
    }

    /// Serves one public request.
    pub async fn handle<B>(
        self: &Arc<Self>,
        request: hyper::Request<B>,
        client_addr: SocketAddr,
    ) -> hyper::Response<HyperOutgoingBody>
    where
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: Into<wasmtime_wasi_http::Error>,
    {
        let started = Instant::now();
        let method = request.method().clone();
        let path = request.uri().path().to_owned();
        let Some(found) = self.router.find(&path) else {
            tracing::info!(%method, %path, status = 404, "no route");
            return plain_response(404, "Not Found\n");
        };
        let component = found.route.component.clone();
        let info = RouteInfo {
            matched_route: found.route.matched_route_header.clone(),
            component_route: found.route.component_route_header.clone(),
            path_info: found.path_info,
            client_addr: Some(client_addr),
        };
        let response = self.execute(&component, request, info).await;
        tracing::info!(
            %component,
            %method,
            %path,
            status = response.status().as_u16(),
            duration_ms = started.elapsed().as_secs_f64() * 1000.0,
            "request"
        );
        response
    }

    /// Serves a service-chaining request to component `target` in-process.
    pub async fn call_internal(
        self: &Arc<Self>,
        target: &str,
        request: http::Request<WasiBody>,
    ) -> Result<http::Response<WasiBody>, wasmtime_wasi_http::Error> {
        if !self.components.contains_key(target) {
            tracing::warn!(%target, "service chaining to unknown component");
            return Err(wasmtime_wasi_http::Error::DestinationNotFound);
        }
        let started = Instant::now();
        let path = request.uri().path().to_owned();
        let info = RouteInfo {
            matched_route: http::HeaderValue::from_static("/..."),
            component_route: http::HeaderValue::from_static(""),
            path_info: path.clone(),
            client_addr: None,
        };
        let response = Box::pin(self.execute(target, request, info)).await;
        tracing::debug!(
            component = %target,
            %path,
            status = response.status().as_u16(),
            duration_ms = started.elapsed().as_secs_f64() * 1000.0,
            "internal request"
        );
        Ok(response)
    }

    async fn execute<B>(
        self: &Arc<Self>,
        id: &str,
        request: hyper::Request<B>,
        info: RouteInfo,
    ) -> hyper::Response<HyperOutgoingBody>
    where
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: Into<wasmtime_wasi_http::Error>,
    {
        match self.try_execute(id, request, info).await {
            Ok(response) => response,
            Err(err) => {
                tracing::error!(component = %id, error = %format!("{err:#}"), "component failed");
                plain_response(500, "Internal Server Error\n")
            }
        }
    }

    async fn try_execute<B>(
        self: &Arc<Self>,
        id: &str,
        request: hyper::Request<B>,
        info: RouteInfo,
    ) -> anyhow::Result<hyper::Response<HyperOutgoingBody>>
    where
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: Into<wasmtime_wasi_http::Error>,
    {
        let component = self
            .components
            .get(id)
            .ok_or_else(|| anyhow!("unknown component '{id}'"))?;
        let mut store = self.new_store(component);
        let proxy = component
            .pre
            .instantiate_async(&mut store)
            .await
            .map_err(|e| anyhow!("instantiation failed: {}", describe_wasm_error(&e)))?;

        let request = with_spin_headers(request, info)?;
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let (req, out) = {
            let mut http = store.data_mut().http();
            let req = http
                .new_incoming_request(Scheme::Http, request)
                .map_err(|e| anyhow!("{e:?}"))?;
            let out = http
                .new_response_outparam(sender)
                .map_err(|e| anyhow!("{e:?}"))?;
            (req, out)
        };
        // The guest runs in its own task: it may keep streaming its body after the head
        // is handed to hyper. That task reports its result here while this side still
        // listens, and logs a failure itself once the response has left.
        let (done, mut result) = tokio::sync::oneshot::channel();
        let config = component.config.clone();
        tokio::spawn(async move {
            let outcome = proxy
                .wasi_http_incoming_handler()
                .call_handle(&mut store, req, out)
                .await;
            drop(store);
            if let Err(Err(err)) = done.send(outcome) {
                log_failure_after_response(&config.id, &err);
            }
        });
        match receiver.await {
            Ok(Ok(response)) => {
                // A failure the guest already reported still gets its log line.
                result.close();
                if let Ok(Err(err)) = result.try_recv() {
                    log_failure_after_response(id, &err);
                }
                Ok(response)
            }
            Ok(Err(code)) => bail!("component answered with an error code: {code:?}"),
            Err(_) => match result.await {
                Ok(Ok(())) => bail!("component returned without setting a response"),
                Ok(Err(err)) => Err(anyhow!("{}", describe_wasm_error(&err))),
                Err(_) => Err(anyhow!("the component task ended without a result")),
            },
        }
    }

    fn new_store(self: &Arc<Self>, component: &LoadedComponent) -> Store<ComponentState> {
        new_store(
            &self.engine,
            component.config.clone(),
            self.stores.clone(),
            Some(self.clone()),
            &self.limits,
        )
    }
}

fn log_failure_after_response(id: &str, err: &wasmtime::Error) {
    tracing::error!(component = %id, error = %describe_wasm_error(err), "component failed after responding");
}

/// A fresh sandboxed store for one invocation of a component: memory cap, deadline,
/// no preopened files, outbound through the component's allow-list (and service
/// chaining when `runtime` is given).
pub fn new_store(
    engine: &Engine,
    config: Arc<ComponentConfig>,
    stores: Stores,
    runtime: Option<Arc<Runtime>>,
    limits: &Limits,
) -> Store<ComponentState> {
    let mut wasi = WasiCtx::builder();
    wasi.inherit_stderr()
        .inherit_stdout()
        .envs(&config.environment);
    for (dir, guest) in &config.files {
        // Checked at start-up; a directory removed since then just stays invisible.
        if let Err(err) = wasi.preopened_dir(dir, guest, wasmtime_wasi::FsPerms::ReadOnly) {
            tracing::warn!(component = %config.id, dir = %dir.display(), "cannot mount: {err}");
        }
    }
    let state = ComponentState {
        wasi: wasi.build(),
        http: WasiHttpCtx::new(),
        table: ResourceTable::new(),
        hooks: OutboundHooks {
            runtime,
            config: config.clone(),
        },
        limits: StoreLimitsBuilder::new()
            .memory_size(limits.max_memory)
            .trap_on_grow_failure(true)
            .build(),
        config,
        stores,
    };
    let mut store = Store::new(engine, state);
    store.limiter(|s| &mut s.limits);
    // At every epoch tick the guest yields to its worker's other tasks (a worker runs many
    // requests on one thread, and a busy guest must not hold them up), until the request's
    // deadline passes: then it traps.
    let deadline = Instant::now() + limits.request_timeout;
    store.set_epoch_deadline(1);
    store.epoch_deadline_callback(move |_| {
        Ok(if Instant::now() >= deadline {
            UpdateDeadline::Interrupt
        } else {
            UpdateDeadline::Yield(1)
        })
    });
    store
}

/// A linker with every import this host offers: WASI 0.2, wasi:http, Spin key-value and
/// variables, wasi:keyvalue.
pub fn host_linker(engine: &Engine) -> anyhow::Result<Linker<ComponentState>> {
    let mut linker = Linker::<ComponentState>::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(wasm_error)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker).map_err(wasm_error)?;
    crate::spin_imports::add_to_linker(&mut linker).map_err(wasm_error)?;
    crate::wasi_keyvalue::add_to_linker(&mut linker).map_err(wasm_error)?;
    Ok(linker)
}

/// wasmtime has its own error type; keep its full chain in the message.
pub fn wasm_error(err: wasmtime::Error) -> anyhow::Error {
    anyhow!("{}", describe_wasm_error(&err))
}

/// One line saying why a guest call failed: the trap kind (deadline, out of memory,
/// panic) when it is a trap, else the error chain.
pub fn describe_wasm_error(err: &wasmtime::Error) -> String {
    // The backtrace context is long and says nothing to an operator; the log keeps the
    // cause. (Set WASMTIME_BACKTRACE_DETAILS=1 and read the guest's stderr to debug.)
    let causes = err
        .chain()
        .map(|e| e.to_string())
        .filter(|m| !m.starts_with("error while executing at wasm backtrace"))
        .collect::<Vec<_>>()
        .join(": ")
        .replace('\n', " ");
    let what = match err.downcast_ref::<wasmtime::Trap>() {
        Some(wasmtime::Trap::Interrupt) => "the request deadline passed",
        Some(wasmtime::Trap::UnreachableCodeReached) => {
            "the guest panicked or hit `unreachable` (see its stderr)"
        }
        Some(_) => "the guest trapped",
        None if causes.contains("growing memory") => "the guest exceeded its memory limit",
        None => return causes,
    };
    format!("{what}: {causes}")
}

/// The shared engine (pooling allocator, epoch deadlines) and its epoch ticker.
pub fn new_engine(limits: &Limits) -> anyhow::Result<Engine> {
    let mut config = Config::new();
    config.wasm_component_model(true);
    config.epoch_interruption(true);
    // Many short-lived instances: the pooling allocator reuses pre-mapped slots
    // (copy-on-write memory images), which makes instantiation several times cheaper.
    let n = limits.max_instances.max(1);
    let mut pooling = PoolingAllocationConfig::default();
    pooling
        .total_component_instances(n)
        .total_stacks(n)
        .total_core_instances(n * 16)
        .total_memories(n * 4)
        .total_tables(n * 4)
        .max_memories_per_component(8)
        .max_tables_per_component(8)
        .max_core_instances_per_component(32)
        .max_memory_size(limits.max_memory)
        // Resetting a slot with `madvise` costs a syscall and a TLB shootdown on every
        // core per request; instead scan for the pages the guest wrote (PAGEMAP_SCAN,
        // Linux 6.7+) and restore up to this much with `memcpy`, so they stay mapped
        // and the next instance does not page-fault on them either.
        .linear_memory_keep_resident(KEEP_RESIDENT)
        .table_keep_resident(KEEP_RESIDENT)
        .pagemap_scan(Enabled::Auto);
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pooling));
    // `GIT_ACCESS_PROFILE=perfmap` writes /tmp/perf-<pid>.map, so `perf report` names
    // guest functions instead of `[JIT]` addresses.
    if std::env::var("GIT_ACCESS_PROFILE").is_ok_and(|v| v == "perfmap") {
        config.profiler(wasmtime::ProfilingStrategy::PerfMap);
    }
    let engine = Engine::new(&config).map_err(|e| anyhow!("creating the wasm engine: {e}"))?;
    spawn_epoch_ticker(engine.weak());
    Ok(engine)
}

fn spawn_epoch_ticker(engine: wasmtime::EngineWeak) {
    std::thread::Builder::new()
        .name("epoch-ticker".into())
        .spawn(move || {
            while let Some(engine) = engine.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        })
        .map(drop)
        .unwrap_or_else(|e| tracing::error!("cannot start the epoch ticker: {e}"));
}

/// Compiles a component, or loads its precompiled form from the cache (keyed by the
/// component's SHA-256 and the engine's compatibility hash).
pub fn load_component(
    engine: &Engine,
    source: &Path,
    cache_dir: &Path,
) -> anyhow::Result<Component> {
    let bytes = std::fs::read(source).context("cannot read the component file")?;
    let mut hasher = Sha256::new();
    hasher.update(&bytes);
    let mut compat = std::collections::hash_map::DefaultHasher::new();
    std::hash::Hash::hash(&engine.precompile_compatibility_hash(), &mut compat);
    hasher.update(std::hash::Hasher::finish(&compat).to_le_bytes());
    let key: String = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let cached = cache_dir.join(format!("{key}.cwasm"));
    if cached.exists() {
        // SAFETY: the file was written by `precompile_component` of an engine with the
        // same compatibility hash, into the host's own cache directory.
        match unsafe { Component::deserialize_file(engine, &cached) } {
            Ok(component) => return Ok(component),
            Err(err) => tracing::warn!(path = %cached.display(), "ignoring bad cache entry: {err}"),
        }
    }
    let compiled = engine
        .precompile_component(&bytes)
        .map_err(|e| anyhow!("compiling: {e:?}"))?;
    if let Err(err) = std::fs::create_dir_all(cache_dir)
        .and_then(|()| std::fs::write(cached.with_extension("tmp"), &compiled))
        .and_then(|()| std::fs::rename(cached.with_extension("tmp"), &cached))
    {
        tracing::warn!(dir = %cache_dir.display(), "cannot write the component cache: {err}");
    }
    // SAFETY: `compiled` was produced by this engine just now.
    unsafe { Component::deserialize(engine, &compiled) }.map_err(|e| anyhow!("{e:?}"))
}

/// Spin's `spin-*` request headers. Names are made once, at compile time.
mod spin_header {
    use http::HeaderName;

    pub const FULL_URL: HeaderName = HeaderName::from_static("spin-full-url");
    pub const PATH_INFO: HeaderName = HeaderName::from_static("spin-path-info");
    pub const MATCHED_ROUTE: HeaderName = HeaderName::from_static("spin-matched-route");
    pub const RAW_COMPONENT_ROUTE: HeaderName = HeaderName::from_static("spin-raw-component-route");
    pub const COMPONENT_ROUTE: HeaderName = HeaderName::from_static("spin-component-route");
    pub const BASE_PATH: HeaderName = HeaderName::from_static("spin-base-path");
    pub const CLIENT_ADDR: HeaderName = HeaderName::from_static("spin-client-addr");
}

fn with_spin_headers<B>(
    request: hyper::Request<B>,
    info: RouteInfo,
) -> anyhow::Result<hyper::Request<B>> {
    let (mut parts, body) = request.into_parts();
    let host = parts
        .uri
        .authority()
        .map(|a| a.to_string())
        .or_else(|| {
            parts
                .headers
                .get(http::header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "localhost".into());
    let path_and_query = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    // One buffer for the URI and the header.
    let full_url = Bytes::from(format!("http://{host}{path_and_query}"));
    if parts.uri.authority().is_none() {
        parts.uri = http::Uri::from_maybe_shared(full_url.clone()).context("request URI")?;
    }
    let headers = &mut parts.headers;
    headers.insert(
        spin_header::FULL_URL,
        http::HeaderValue::from_maybe_shared(full_url)?,
    );
    headers.insert(
        spin_header::PATH_INFO,
        http::HeaderValue::try_from(info.path_info)?,
    );
    headers.insert(spin_header::MATCHED_ROUTE, info.matched_route.clone());
    headers.insert(spin_header::RAW_COMPONENT_ROUTE, info.matched_route);
    headers.insert(spin_header::COMPONENT_ROUTE, info.component_route);
    headers.insert(spin_header::BASE_PATH, http::HeaderValue::from_static("/"));
    if let Some(addr) = info.client_addr {
        headers.insert(
            spin_header::CLIENT_ADDR,
            http::HeaderValue::try_from(addr.to_string())?,
        );
    }
    Ok(hyper::Request::from_parts(parts, body))
}

/// A small host-generated response.
pub fn plain_response(status: u16, body: &'static str) -> hyper::Response<HyperOutgoingBody> {
    let mut response = hyper::Response::new(
        Full::new(Bytes::from_static(body.as_bytes()))
            .map_err(|never| match never {})
            .boxed_unsync(),
    );
    *response.status_mut() =
        http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}
