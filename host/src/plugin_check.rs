//! `plugin check`: tells a plugin author, in plain words, whether a component conforms to
//! the git-provider contract, then runs a behavioural suite against a local mock provider
//! (a loopback HTTP server that rejects every credential).

use std::collections::HashMap;
use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::anyhow;
use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use wasmtime::component::Component;
use wasmtime::{Engine, Store};

use crate::allowed_hosts::AllowedHosts;
use crate::component_state::{ComponentConfig, ComponentState};
use crate::runtime::{describe_wasm_error, host_linker, new_engine, new_store, wasm_error, Limits};

/// The contract version this host checks against.
pub const CONTRACT_INTERFACE: &str = "git-access:provider/provider@0.1.0";

/// The contract's types-only interface, which guests import.
pub const TYPES_INTERFACE: &str = "git-access:provider/types@0.1.0";

/// Host-side bindings of the contract (`plugin` world of `wit/v0.1.0`).
#[allow(missing_docs)]
pub mod bindings {
    wasmtime::component::bindgen!({
        path: "../wit/v0.1.0",
        world: "git-access:provider/plugin",
        exports: { default: async },
    });
}

use bindings::git_access::provider::types::{
    Capability, Connection, Delivery, Header, PageRequest, ProviderError, RepositoryRef,
};
use bindings::{Plugin, PluginPre};

/// One line of the report.
#[derive(Debug)]
pub struct Finding {
    /// Whether this check passed.
    pub ok: bool,
    /// What was checked and what was seen.
    pub message: String,
}

/// The outcome of a check.
#[derive(Debug, Default)]
pub struct Report {
    /// Every check in order.
    pub findings: Vec<Finding>,
}

impl Report {
    fn pass(&mut self, message: impl Into<String>) {
        self.findings.push(Finding {
            ok: true,
            message: message.into(),
        });
    }

    fn fail(&mut self, message: impl Into<String>) {
        self.findings.push(Finding {
            ok: false,
            message: message.into(),
        });
    }

    /// Whether every check passed.
    pub fn conforms(&self) -> bool {
        !self.findings.is_empty() && self.findings.iter().all(|f| f.ok)
    }

    /// The report as text, one check per line.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for f in &self.findings {
            out.push_str(if f.ok { "  ok   " } else { "  FAIL " });
            out.push_str(&f.message);
            out.push('\n');
        }
        out.push_str(if self.conforms() {
            "result: the plugin conforms to the contract\n"
        } else {
            "result: the plugin does NOT conform to the contract\n"
        });
        out
    }
}

/// Checks the component at `path`.
pub async fn check(path: &Path) -> anyhow::Result<Report> {
    let mut report = Report::default();
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(err) => {
            report.fail(format!("cannot read {}: {err}", path.display()));
            return Ok(report);
        }
    };
    let limits = Limits {
        request_timeout: Duration::from_secs(10),
        max_memory: 256 * 1024 * 1024,
        max_instances: 16,
    };
    let engine = new_engine(&limits)?;
    let component = match Component::new(&engine, &bytes) {
        Ok(c) => c,
        Err(err) => {
            report.fail(format!(
                "not a WebAssembly component this host can load: {}",
                first_line(&err)
            ));
            return Ok(report);
        }
    };
    report.pass("is a WebAssembly component");

    let ty = component.component_type();
    let exports: Vec<String> = ty.exports(&engine).map(|(n, _)| n.to_owned()).collect();
    if exports.iter().any(|e| e == CONTRACT_INTERFACE) {
        report.pass(format!("exports {CONTRACT_INTERFACE}"));
    } else {
        let similar: Vec<&String> = exports
            .iter()
            .filter(|e| e.starts_with("git-access:provider/"))
            .collect();
        report.fail(if similar.is_empty() {
            format!(
                "does not export {CONTRACT_INTERFACE} (it exports: {}); build it against wit/v0.1.0, world `plugin`",
                list_or_nothing(&exports)
            )
        } else {
            format!(
                "exports {} but this host speaks {CONTRACT_INTERFACE}",
                similar.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
            )
        });
        return Ok(report);
    }

    let foreign: Vec<String> = ty
        .imports(&engine)
        .map(|(n, _)| n.to_owned())
        .filter(|n| !n.starts_with("wasi:") && n != TYPES_INTERFACE)
        .collect();
    if foreign.is_empty() {
        report.pass("imports only wasi:* interfaces (and the contract's types)");
    } else {
        report.fail(format!(
            "imports interfaces git-access does not provide to plugins: {}",
            foreign.join(", ")
        ));
        return Ok(report);
    }

    let mut linker = host_linker(&engine)?;
    // wit-bindgen guests import the types-only interface; an empty instance satisfies it.
    linker.instance(TYPES_INTERFACE).map_err(wasm_error)?;
    let pre = match linker
        .instantiate_pre(&component)
        .map_err(wasm_error)
        .and_then(|pre| PluginPre::new(pre).map_err(wasm_error))
    {
        Ok(pre) => pre,
        Err(err) => {
            report.fail(format!(
                "its exports or imports do not have the contract's types: {}",
                first_line(&err)
            ));
            return Ok(report);
        }
    };
    report.pass("every contract function has the contract's type");

    let mock = MockProvider::start().await?;
    let suite = Suite {
        engine,
        pre,
        limits,
        mock_url: format!("{}/ok", mock.origin),
        mock_origin: mock.origin.clone(),
    };
    suite.run(&mut report).await;
    Ok(report)
}

fn first_line(err: &impl std::fmt::Display) -> String {
    let text = format!("{err:#}");
    text.lines().next().unwrap_or_default().to_owned()
}

fn list_or_nothing(items: &[String]) -> String {
    if items.is_empty() {
        "nothing".into()
    } else {
        items.join(", ")
    }
}

struct Suite {
    engine: Engine,
    pre: PluginPre<ComponentState>,
    limits: Limits,
    mock_url: String,
    mock_origin: String,
}

/// What a call did: returned, or trapped (a defect: plugins must return provider errors).
enum Outcome<T> {
    Returned(T),
    Trapped(String),
}

impl Suite {
    /// Calls `f` on a fresh instance whose only allowed outbound host is the mock.
    async fn call<T, F, Fut>(&self, f: F) -> Outcome<T>
    where
        F: FnOnce(Plugin, Store<ComponentState>) -> Fut,
        Fut: Future<Output = wasmtime::Result<T>>,
    {
        let config = Arc::new(ComponentConfig {
            id: "plugin-under-check".into(),
            allowed_hosts: AllowedHosts::parse(&[self.mock_origin.as_str()]).unwrap_or_default(),
            key_value_stores: Vec::new(),
            variables: HashMap::new(),
            environment: Vec::new(),
            files: Vec::new(),
        });
        let mut store = new_store(
            &self.engine,
            config,
            Arc::new(HashMap::new()),
            None,
            &self.limits,
        );
        let plugin = match self.pre.instantiate_async(&mut store).await {
            Ok(p) => p,
            Err(err) => {
                return Outcome::Trapped(format!(
                    "instantiation failed: {}",
                    describe_wasm_error(&err)
                ))
            }
        };
        match f(plugin, store).await {
            Ok(v) => Outcome::Returned(v),
            Err(err) => Outcome::Trapped(describe_wasm_error(&err)),
        }
    }

    fn conn(&self, api_url: &str) -> Connection {
        Connection {
            api_url: api_url.to_owned(),
            token: "git-access-check-invalid-token".into(),
            workspace: Some("check-workspace".into()),
        }
    }

    async fn run(&self, report: &mut Report) {
        let info = match self
            .call(
                |p, mut s| async move { p.git_access_provider_provider().call_info(&mut s).await },
            )
            .await
        {
            Outcome::Returned(info) => info,
            Outcome::Trapped(err) => {
                report.fail(format!("info trapped: {err}"));
                return;
            }
        };
        let id_ok = info
            .id
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase())
            && info
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if id_ok && !info.name.trim().is_empty() {
            report.pass(format!(
                "info: id `{}`, name `{}`, version `{}`, capabilities {:?}",
                info.id, info.name, info.version, info.capabilities
            ));
        } else {
            report.fail(format!(
                "info: id `{}` must be lowercase letters, digits and '-', and name `{}` must not be empty",
                info.id, info.name
            ));
        }
        if info.default_api_url.starts_with("https://")
            || info.default_api_url.starts_with("http://")
        {
            report.pass(format!("info: default API URL {}", info.default_api_url));
        } else {
            report.fail(format!(
                "info: default-api-url `{}` is not an http(s) URL",
                info.default_api_url
            ));
        }
        let has = |c: Capability| info.capabilities.contains(&c);
        if has(Capability::ValidateToken) && info.token_kinds.is_empty() {
            report.fail("info: claims validate-token but lists no token kinds");
        }

        // validate-token against a provider that rejects every credential.
        let conn = self.conn(&self.mock_url);
        let outcome = self
            .call(|p, mut s| async move {
                p.git_access_provider_provider()
                    .call_validate_token(&mut s, &conn)
                    .await
            })
            .await;
        self.expect_error(
            report,
            "validate-token with a credential the provider rejects",
            has(Capability::ValidateToken),
            outcome,
            |e| matches!(e, ProviderError::Unauthorized(_)),
            "unauthorized",
        );

        // validate-token against a provider that is down.
        let conn = self.conn(&self.mock_url.replace("/ok", "/down"));
        let outcome = self
            .call(|p, mut s| async move {
                p.git_access_provider_provider()
                    .call_validate_token(&mut s, &conn)
                    .await
            })
            .await;
        self.expect_error(
            report,
            "validate-token while the provider answers 503",
            has(Capability::ValidateToken),
            outcome,
            |e| {
                matches!(
                    e,
                    ProviderError::Unavailable(_) | ProviderError::RateLimited(_)
                )
            },
            "unavailable",
        );

        // Repositories with a rejected credential.
        let conn = self.conn(&self.mock_url);
        let page = PageRequest {
            cursor: None,
            per_page: 10,
            search: None,
        };
        let outcome = self
            .call(|p, mut s| async move {
                p.git_access_provider_provider()
                    .call_list_repositories(&mut s, &conn, &page)
                    .await
            })
            .await;
        self.expect_error(
            report,
            "list-repositories with a rejected credential",
            has(Capability::Repositories),
            outcome,
            |e| {
                matches!(
                    e,
                    ProviderError::Unauthorized(_) | ProviderError::Forbidden(_)
                )
            },
            "unauthorized",
        );

        let conn = self.conn(&self.mock_url);
        let repo = RepositoryRef {
            owner: "octo".into(),
            name: "repo".into(),
        };
        let outcome = self
            .call(|p, mut s| async move {
                p.git_access_provider_provider()
                    .call_get_webhook(&mut s, &conn, &repo, "1")
                    .await
            })
            .await;
        self.expect_error(
            report,
            "get-webhook with a rejected credential",
            has(Capability::Webhooks),
            outcome,
            |e| {
                matches!(
                    e,
                    ProviderError::Unauthorized(_)
                        | ProviderError::Forbidden(_)
                        | ProviderError::NotFound(_)
                )
            },
            "unauthorized",
        );

        // verify-webhook is pure: a forged delivery must be refused.
        let delivery = Delivery {
            headers: forged_headers(),
            body: br#"{"zen":"forged"}"#.to_vec(),
        };
        let outcome = self
            .call(|p, mut s| async move {
                p.git_access_provider_provider()
                    .call_verify_webhook(&mut s, "the-real-secret", &delivery)
                    .await
            })
            .await;
        self.expect_error(
            report,
            "verify-webhook with a forged signature",
            has(Capability::VerifyWebhook),
            outcome,
            |e| {
                matches!(
                    e,
                    ProviderError::Unauthorized(_) | ProviderError::InvalidInput(_)
                )
            },
            "unauthorized",
        );
    }

    /// A call the plugin claims must fail with an accepted error; a call it does not claim
    /// must return `unsupported`. Traps and successes fail the check.
    fn expect_error<T>(
        &self,
        report: &mut Report,
        what: &str,
        claimed: bool,
        outcome: Outcome<Result<T, ProviderError>>,
        accepted: impl Fn(&ProviderError) -> bool,
        expected: &str,
    ) {
        match (claimed, outcome) {
            (_, Outcome::Trapped(err)) => report.fail(format!(
                "{what}: the plugin trapped ({err}); it must return a provider-error"
            )),
            (true, Outcome::Returned(Ok(_))) => report.fail(format!(
                "{what}: succeeded, but it must fail with `{expected}`"
            )),
            (true, Outcome::Returned(Err(e))) if accepted(&e) => {
                report.pass(format!("{what}: {}", describe(&e)))
            }
            (true, Outcome::Returned(Err(e))) => report.fail(format!(
                "{what}: returned {}, expected `{expected}`",
                describe(&e)
            )),
            (false, Outcome::Returned(Err(ProviderError::Unsupported(_)))) => {
                report.pass(format!("{what}: unsupported (capability not claimed)"))
            }
            (false, Outcome::Returned(other)) => report.fail(format!(
                "{what}: the capability is not claimed in info, so it must return `unsupported`, got {}",
                match other {
                    Ok(_) => "a success".to_owned(),
                    Err(e) => describe(&e),
                }
            )),
        }
    }
}

fn describe(e: &ProviderError) -> String {
    match e {
        ProviderError::Unauthorized(m) => format!("unauthorized ({m})"),
        ProviderError::Forbidden(f) => {
            format!("forbidden ({}; missing {:?})", f.message, f.missing)
        }
        ProviderError::NotFound(m) => format!("not-found ({m})"),
        ProviderError::RateLimited(r) => format!("rate-limited ({})", r.message),
        ProviderError::InvalidInput(m) => format!("invalid-input ({m})"),
        ProviderError::Unavailable(r) => format!("unavailable ({})", r.message),
        ProviderError::Unsupported(m) => format!("unsupported ({m})"),
        ProviderError::Other(m) => format!("other ({m})"),
    }
}

/// Headers of a delivery signed with the wrong secret, in every provider's vocabulary.
fn forged_headers() -> Vec<Header> {
    let zeros = format!("sha256={}", "0".repeat(64));
    [
        ("content-type", "application/json"),
        ("x-github-event", "ping"),
        ("x-github-delivery", "00000000-0000-0000-0000-000000000000"),
        ("x-hub-signature-256", zeros.as_str()),
        ("x-hub-signature", zeros.as_str()),
        ("x-gitlab-event", "Push Hook"),
        ("x-gitlab-token", "wrong-token"),
        ("x-event-key", "repo:push"),
        ("x-request-uuid", "00000000-0000-0000-0000-000000000000"),
    ]
    .into_iter()
    .map(|(name, value)| Header {
        name: name.into(),
        value: value.into(),
    })
    .collect()
}

/// A loopback server standing in for any provider: under `/ok` it rejects every
/// credential with 401, under `/down` it answers 503 with `Retry-After`.
struct MockProvider {
    origin: String,
    _task: tokio::task::JoinHandle<()>,
}

impl MockProvider {
    async fn start() -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let service =
                        service_fn(|req: hyper::Request<hyper::body::Incoming>| async move {
                            let down = req.uri().path().starts_with("/down");
                            let mut resp =
                                hyper::Response::new(Full::new(Bytes::from_static(if down {
                                    br#"{"message":"Service unavailable"}"#
                                } else {
                                    br#"{"message":"Bad credentials","error":"invalid_token"}"#
                                })));
                            *resp.status_mut() = if down {
                                hyper::StatusCode::SERVICE_UNAVAILABLE
                            } else {
                                hyper::StatusCode::UNAUTHORIZED
                            };
                            let headers = resp.headers_mut();
                            headers.insert(
                                "content-type",
                                http::HeaderValue::from_static("application/json"),
                            );
                            if down {
                                headers.insert("retry-after", http::HeaderValue::from_static("30"));
                            }
                            Ok::<_, std::convert::Infallible>(resp)
                        });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(Self {
            origin: format!("http://{addr}"),
            _task: task,
        })
    }
}

impl Drop for MockProvider {
    fn drop(&mut self) {
        self._task.abort();
    }
}

/// Error for `main`: the check could not run at all.
pub fn setup_error(err: anyhow::Error) -> anyhow::Error {
    anyhow!("plugin check could not run: {err:#}")
}
