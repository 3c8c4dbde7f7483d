// The checks of one contract version, included by each version's module of
// `plugin_check.rs` right after that version's `bindgen!`.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use wasmtime::component::Component;
use wasmtime::{Engine, Store};

use self::git_access::provider::types::{
    Capability, Connection, Delivery, Header, PageRequest, ProviderError, RepositoryRef,
};
use super::{MockProvider, Report};
use crate::allowed_hosts::AllowedHosts;
use crate::component_state::{ComponentConfig, ComponentState};
use crate::runtime::{describe_wasm_error, host_linker, new_store, wasm_error, Limits};

/// Checks the types of `component`'s contract functions, then runs the suite.
pub(super) async fn run(
    engine: Engine,
    component: &Component,
    limits: Limits,
    report: &mut Report,
) -> anyhow::Result<()> {
    let mut linker = host_linker(&engine)?;
    // wit-bindgen guests import the types-only interface; an empty instance satisfies it.
    linker
        .instance(&super::types_interface(VERSION))
        .map_err(wasm_error)?;
    let pre = match linker
        .instantiate_pre(component)
        .map_err(wasm_error)
        .and_then(|pre| PluginPre::new(pre).map_err(wasm_error))
    {
        Ok(pre) => pre,
        Err(err) => {
            report.fail(format!(
                "its exports or imports do not have the contract's types: {}",
                super::first_line(&err)
            ));
            return Ok(());
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
    suite.run(report).await;
    Ok(())
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

        self.version_checks(report, &info.capabilities).await;
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
