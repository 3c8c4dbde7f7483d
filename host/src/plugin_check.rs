//! `plugin check`: tells a plugin author, in plain words, whether a component conforms to
//! the git-provider contract it was built against (0.2.0 or 0.1.0), then runs a
//! behavioural suite against a local mock provider (a loopback HTTP server that rejects
//! every credential).

use std::path::Path;
use std::time::Duration;

use anyhow::anyhow;
use bytes::Bytes;
use git_access_compose::{provider_interface, CONTRACT_VERSIONS, LATEST_CONTRACT};
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use wasmtime::component::Component;

use crate::runtime::{new_engine, Limits};

/// The contract's types-only interface of `version`, which guests import.
fn types_interface(version: &str) -> String {
    format!("git-access:provider/types@{version}")
}

/// The suite for plugins built against contract 0.1.0.
mod v0_1 {
    #![allow(missing_docs)]
    wasmtime::component::bindgen!({
        path: "../wit/v0.1.0",
        world: "git-access:provider/plugin",
        exports: { default: async },
    });

    const VERSION: &str = "0.1.0";

    include!("plugin_check/suite.rs");

    impl Suite {
        /// Contract 0.1.0 has no checks beyond the common ones.
        async fn version_checks(&self, _: &mut Report, _: &[Capability]) {}
    }
}

/// The suite for plugins built against contract 0.2.0.
mod v0_2 {
    #![allow(missing_docs)]
    wasmtime::component::bindgen!({
        path: "../wit/v0.2.0",
        world: "git-access:provider/plugin",
        exports: { default: async },
    });

    const VERSION: &str = "0.2.0";

    include!("plugin_check/suite.rs");

    impl Suite {
        /// `oauth-refresh-token`, new in 0.2.0: an empty refresh token is bad input (no
        /// provider needed to tell), and one the provider refuses ends the sign-in
        /// (`unauthorized`, which git-access reads as "sign in again").
        async fn version_checks(&self, report: &mut Report, capabilities: &[Capability]) {
            let claimed = capabilities.contains(&Capability::Oauth);
            let invalid_input: fn(&ProviderError) -> bool =
                |e| matches!(e, ProviderError::InvalidInput(_));
            let unauthorized: fn(&ProviderError) -> bool =
                |e| matches!(e, ProviderError::Unauthorized(_));
            for (what, token, expected, accepted) in [
                (
                    "oauth-refresh-token with an empty refresh token",
                    "",
                    "invalid-input",
                    invalid_input,
                ),
                (
                    "oauth-refresh-token with a refresh token the provider refuses",
                    "git-access-check-refused-refresh-token",
                    "unauthorized",
                    unauthorized,
                ),
            ] {
                let request = git_access::provider::types::RefreshRequest {
                    client: git_access::provider::types::OauthClient {
                        client_id: "git-access-check-client".into(),
                        client_secret: "git-access-check-secret".into(),
                        redirect_uri: "https://git-access.example/callback".into(),
                        web_url: self.mock_url.clone(),
                    },
                    refresh_token: token.into(),
                };
                let outcome = self
                    .call(|p, mut s| async move {
                        p.git_access_provider_provider()
                            .call_oauth_refresh_token(&mut s, &request)
                            .await
                    })
                    .await;
                self.expect_error(report, what, claimed, outcome, accepted, expected);
            }
        }
    }
}

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
    // Newest first, as the report names them.
    let versions = || CONTRACT_VERSIONS.iter().rev().copied();
    let Some(version) = versions().find(|v| exports.contains(&provider_interface(v))) else {
        let similar: Vec<&String> = exports
            .iter()
            .filter(|e| e.starts_with("git-access:provider/"))
            .collect();
        let speaks = versions()
            .map(provider_interface)
            .collect::<Vec<_>>()
            .join(" or ");
        report.fail(if similar.is_empty() {
            format!(
                "does not export {speaks} (it exports: {}); build it against wit/v{}, world `plugin`",
                list_or_nothing(&exports),
                LATEST_CONTRACT
            )
        } else {
            format!(
                "exports {} but this host speaks {speaks}",
                similar.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
            )
        });
        return Ok(report);
    };
    report.pass(format!("exports {}", provider_interface(version)));

    let types = types_interface(version);
    let foreign: Vec<String> = ty
        .imports(&engine)
        .map(|(n, _)| n.to_owned())
        .filter(|n| !n.starts_with("wasi:") && *n != types)
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

    if version == "0.1.0" {
        v0_1::run(engine, &component, limits, &mut report).await?;
    } else {
        v0_2::run(engine, &component, limits, &mut report).await?;
    }
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
                            // Read the body first (a token request's form): answering
                            // before it is read would race the plugin still sending it.
                            let _ = req.into_body().collect().await;
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
