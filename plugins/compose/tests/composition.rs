//! Composition against real components and against plugins generated from edited copies of
//! the contract (a mistyped function, another version, an extra import).
//!
//! The real gateway and plugin come from `GIT_ACCESS_COMPONENTS_DIR` (a folder with
//! `git_access_gateway.wasm` and `git_access_github.wasm`, e.g.
//! `target/wasm/wasm32-wasip2/wasm`), and the gateway for contract 0.1.0 from
//! `target/components/gateway-v0.1.0.wasm` (`cargo xtask build` writes both); without them
//! the tests that need them say so and pass.

use std::path::PathBuf;

use git_access_compose::{
    compose, contract_version, exports, gateway_file_name, imports, ComposeError,
    HTTP_HANDLER_INTERFACE, PROVIDER_INTERFACE,
};

const CONTRACT: &str = include_str!("../../../wit/v0.2.0/provider.wit");
const CONTRACT_V0_1: &str = include_str!("../../../wit/v0.1.0/provider.wit");

struct Components {
    gateway: Vec<u8>,
    gateway_v0_1: Vec<u8>,
    github: Vec<u8>,
}

fn components() -> Option<Components> {
    let Some(dir) = std::env::var_os("GIT_ACCESS_COMPONENTS_DIR").map(PathBuf::from) else {
        eprintln!("SKIPPED: set GIT_ACCESS_COMPONENTS_DIR to a folder with the built components");
        return None;
    };
    let read = |name: &str| {
        std::fs::read(dir.join(name))
            .unwrap_or_else(|e| panic!("{}: {e}", dir.join(name).display()))
    };
    let deployables = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/components");
    Some(Components {
        gateway: read("git_access_gateway.wasm"),
        gateway_v0_1: std::fs::read(deployables.join(gateway_file_name("0.1.0")))
            .unwrap_or_else(|e| panic!("the gateway for contract 0.1.0: {e}")),
        github: read("git_access_github.wasm"),
    })
}

/// A component with no behaviour whose type is the `world` of `wit`.
fn generated_plugin(wit: &str, world: &str) -> Vec<u8> {
    let mut resolve = wit_parser::Resolve::default();
    let package = resolve.push_str("provider.wit", wit).unwrap();
    let world = resolve.select_world(&[package], Some(world)).unwrap();
    let mut module = wit_component::dummy_module(
        &resolve,
        world,
        wit_parser::ManglingAndAbi::Legacy(wit_parser::LiftLowerAbi::Sync),
    );
    wit_component::embed_component_metadata(
        &mut module,
        &resolve,
        world,
        wit_component::StringEncoding::UTF8,
    )
    .unwrap();
    wit_component::ComponentEncoder::default()
        .module(&module)
        .unwrap()
        .validate(true)
        .encode()
        .unwrap()
}

fn edited_contract(from: &str, to: &str) -> String {
    assert!(
        CONTRACT.contains(from),
        "the contract no longer contains {from:?}"
    );
    CONTRACT.replacen(from, to, 1)
}

#[test]
fn generated_plugin_has_the_contract_export() {
    let plugin = generated_plugin(CONTRACT, "plugin");
    assert_eq!(exports(&plugin).unwrap(), [PROVIDER_INTERFACE]);
    assert!(imports(&plugin)
        .unwrap()
        .iter()
        .all(|i| i.starts_with("git-access:provider/types")));
}

#[test]
fn the_contract_version_is_read_from_the_export() {
    assert_eq!(
        contract_version(&generated_plugin(CONTRACT, "plugin")).unwrap(),
        "0.2.0"
    );
    assert_eq!(
        contract_version(&generated_plugin(CONTRACT_V0_1, "plugin")).unwrap(),
        "0.1.0"
    );
    assert_eq!(gateway_file_name("0.2.0"), "gateway.wasm");
    assert_eq!(gateway_file_name("0.1.0"), "gateway-v0.1.0.wasm");
    let error = contract_version(&generated_plugin(CONTRACT, "gateway")).unwrap_err();
    assert!(
        matches!(error, ComposeError::PluginMissingProvider { .. }),
        "{error}"
    );
    let error = contract_version(b"junk").unwrap_err();
    assert!(
        error.to_string().starts_with("the plugin is not a valid"),
        "{error}"
    );
}

#[test]
fn a_plugin_is_not_a_gateway() {
    let plugin = generated_plugin(CONTRACT, "plugin");
    let error = compose(&plugin, &plugin).unwrap_err();
    assert!(
        matches!(error, ComposeError::GatewayShape { what: "import", .. }),
        "{error}"
    );
    let error = compose(b"junk", &plugin).unwrap_err();
    assert!(
        error.to_string().starts_with("the gateway is not a valid"),
        "{error}"
    );
}

#[test]
fn composes_the_real_gateway_and_github_plugin() {
    let Some(c) = components() else { return };
    assert!(imports(&c.gateway)
        .unwrap()
        .iter()
        .any(|i| i == PROVIDER_INTERFACE));
    assert_eq!(exports(&c.github).unwrap(), [PROVIDER_INTERFACE]);

    let composed = compose(&c.gateway, &c.github).unwrap();
    assert_eq!(exports(&composed).unwrap(), [HTTP_HANDLER_INTERFACE]);
    let composed_imports = imports(&composed).unwrap();
    assert!(!composed_imports.iter().any(|i| i == PROVIDER_INTERFACE));
    // Besides wasi:*, the gateway's Spin variables and the contract's types-only interface
    // (an instance of types alone, which a host satisfies without defining anything).
    for import in &composed_imports {
        assert!(
            import.starts_with("wasi:")
                || import == "fermyon:spin/variables@2.0.0"
                || import == "git-access:provider/types@0.2.0",
            "unexpected import {import}"
        );
    }
    eprintln!(
        "composed: {} bytes, imports {composed_imports:?}",
        composed.len()
    );
}

#[test]
fn a_generated_plugin_with_the_exact_contract_composes() {
    let Some(c) = components() else { return };
    let plugin = generated_plugin(CONTRACT, "plugin");
    let composed = compose(&c.gateway, &plugin).unwrap();
    assert_eq!(exports(&composed).unwrap(), [HTTP_HANDLER_INTERFACE]);
}

#[test]
fn a_mistyped_plugin_is_named_precisely() {
    let Some(c) = components() else { return };
    let wit = edited_contract(
        "oauth-authorize-url: func(req: authorize-request) -> result<string, provider-error>;",
        "oauth-authorize-url: func(req: authorize-request) -> result<u32, provider-error>;",
    );
    let error = compose(&c.gateway, &generated_plugin(&wit, "plugin")).unwrap_err();
    let message = error.to_string();
    assert!(matches!(error, ComposeError::Mismatch { .. }), "{message}");
    assert!(message.contains("oauth-authorize-url"), "{message}");
    assert!(message.contains("expected string, found u32"), "{message}");
}

#[test]
fn a_plugin_for_an_unknown_version_is_named() {
    let Some(c) = components() else { return };
    let wit = edited_contract(
        "package git-access:provider@0.2.0;",
        "package git-access:provider@0.3.0;",
    );
    let error = compose(&c.gateway, &generated_plugin(&wit, "plugin")).unwrap_err();
    assert_eq!(
        error.to_string(),
        "the plugin does not export `git-access:provider/provider` of a contract version \
         git-access serves (0.1.0, 0.2.0) (it exports git-access:provider/provider@0.3.0)"
    );
}

#[test]
fn a_plugin_for_contract_0_1_needs_the_gateway_of_0_1() {
    let Some(c) = components() else { return };
    let plugin = generated_plugin(CONTRACT_V0_1, "plugin");
    let error = compose(&c.gateway, &plugin).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "the gateway does not import `git-access:provider/provider@0.1.0` (it has {})",
            imports(&c.gateway).unwrap().join(", ")
        )
    );
    let composed = compose(&c.gateway_v0_1, &plugin).unwrap();
    assert_eq!(exports(&composed).unwrap(), [HTTP_HANDLER_INTERFACE]);
    assert!(imports(&composed)
        .unwrap()
        .iter()
        .all(|i| !i.starts_with("git-access:provider/provider")));
    // And the other way round: a 0.2.0 plugin is not served by the 0.1.0 gateway.
    let error = compose(&c.gateway_v0_1, &c.github).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("does not import `git-access:provider/provider@0.2.0`"),
        "{error}"
    );
}

#[test]
fn a_plugin_needing_more_than_wasi_is_refused() {
    let Some(c) = components() else { return };
    let wit = format!(
        "{CONTRACT}\ninterface cache {{ get: func(key: string) -> string; }}\n\
         world plugin-with-cache {{ import cache; export provider; }}\n"
    );
    let error = compose(&c.gateway, &generated_plugin(&wit, "plugin-with-cache")).unwrap_err();
    match &error {
        ComposeError::UnexpectedImports { names } => {
            assert_eq!(names, &["git-access:provider/cache@0.2.0"])
        }
        other => panic!("expected unexpected imports, got {other}"),
    }
    assert!(
        error.to_string().contains("may import only wasi:*"),
        "{error}"
    );
}
