//! Top-level import and export names of a component.

use wasmparser::{Parser, Payload};

use crate::ComposeError;

/// The names a component imports, in order (e.g. `wasi:http/types@0.2.0`).
pub fn imports(component: &[u8]) -> Result<Vec<String>, ComposeError> {
    names(component).map(|(imports, _)| imports)
}

/// The names a component exports, in order (e.g. `wasi:http/incoming-handler@0.2.0`).
pub fn exports(component: &[u8]) -> Result<Vec<String>, ComposeError> {
    names(component).map(|(_, exports)| exports)
}

fn names(component: &[u8]) -> Result<(Vec<String>, Vec<String>), ComposeError> {
    let invalid = |reason: String| ComposeError::InvalidComponent {
        role: "component",
        reason,
    };
    if !Parser::is_component(component) {
        return Err(invalid(
            "it is not a component binary (a core module, or not WebAssembly at all)".into(),
        ));
    }
    let mut imports = Vec::new();
    let mut exports = Vec::new();
    // Nested modules and components have their own imports and exports; only depth 0
    // belongs to the component itself.
    let mut depth = 0usize;
    for payload in Parser::new(0).parse_all(component) {
        match payload.map_err(|e| invalid(e.to_string()))? {
            Payload::ModuleSection { .. } | Payload::ComponentSection { .. } => depth += 1,
            Payload::End(_) => depth = depth.saturating_sub(1),
            Payload::ComponentImportSection(section) if depth == 0 => {
                for import in section {
                    let import = import.map_err(|e| invalid(e.to_string()))?;
                    imports.push(import.name.name.to_string());
                }
            }
            Payload::ComponentExportSection(section) if depth == 0 => {
                for export in section {
                    let export = export.map_err(|e| invalid(e.to_string()))?;
                    exports.push(export.name.name.to_string());
                }
            }
            _ => {}
        }
    }
    Ok((imports, exports))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_non_components() {
        for bytes in [&b""[..], b"not wasm", b"\0asm\x01\0\0\0"] {
            assert!(matches!(
                imports(bytes),
                Err(ComposeError::InvalidComponent { .. })
            ));
        }
    }
}
