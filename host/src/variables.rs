//! Spin variables: application values from `SPIN_VARIABLE_<NAME>` and defaults, and the
//! `{{ name }}` templates that components and allow-lists are written in.
//!
//! Values of secret variables are never logged; this module only ever reports names.

use std::collections::{BTreeMap, HashMap};

use crate::manifest::{Manifest, VariableDecl};

/// Resolved application variables.
#[derive(Debug, Default, Clone)]
pub struct AppVariables {
    values: HashMap<String, String>,
}

impl AppVariables {
    /// Resolves every declared variable from the environment (`SPIN_VARIABLE_<UPPER>`),
    /// then its default. Fails naming each required variable that has no value.
    pub fn resolve(
        decls: &BTreeMap<String, VariableDecl>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, String> {
        let mut values = HashMap::new();
        let mut missing = Vec::new();
        for (name, decl) in decls {
            let env_name = format!("SPIN_VARIABLE_{}", name.to_ascii_uppercase());
            match env(&env_name).or_else(|| decl.default.clone()) {
                Some(value) => {
                    values.insert(name.clone(), value);
                }
                None if decl.required => missing.push(format!("{name} (set {env_name})")),
                None => {}
            }
        }
        if missing.is_empty() {
            Ok(Self { values })
        } else {
            Err(format!(
                "required variables have no value: {}",
                missing.join(", ")
            ))
        }
    }

    /// Expands `{{ name }}` references in a template.
    pub fn expand(&self, template: &str) -> Result<String, String> {
        let mut out = String::with_capacity(template.len());
        let mut rest = template;
        while let Some(start) = rest.find("{{") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after
                .find("}}")
                .ok_or_else(|| format!("unclosed '{{{{' in template '{template}'"))?;
            let name = after[..end].trim();
            let value = self.values.get(name).ok_or_else(|| {
                format!("template '{template}' refers to undefined variable '{name}'")
            })?;
            out.push_str(value);
            rest = &after[end + 2..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

/// Resolves each component's variables (name → expanded template).
pub fn component_variables(
    manifest: &Manifest,
    app: &AppVariables,
) -> Result<HashMap<String, HashMap<String, String>>, String> {
    let mut all = HashMap::new();
    for (id, component) in &manifest.component {
        let mut vars = HashMap::new();
        for (name, template) in &component.variables {
            let value = app
                .expand(template)
                .map_err(|e| format!("[component.{id}.variables] {name}: {e}"))?;
            vars.insert(name.clone(), value);
        }
        all.insert(id.clone(), vars);
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decl(default: Option<&str>, required: bool) -> VariableDecl {
        VariableDecl {
            default: default.map(str::to_owned),
            required,
            secret: false,
            description: None,
        }
    }

    #[test]
    fn env_overrides_default_and_required_is_enforced() {
        let mut decls = BTreeMap::new();
        decls.insert("api_url".to_owned(), decl(Some("https://a"), false));
        decls.insert("key".to_owned(), decl(None, true));
        let err = AppVariables::resolve(&decls, |_| None).unwrap_err();
        assert!(err.contains("key (set SPIN_VARIABLE_KEY)"), "{err}");

        let vars = AppVariables::resolve(&decls, |n| match n {
            "SPIN_VARIABLE_KEY" => Some("k".into()),
            "SPIN_VARIABLE_API_URL" => Some("http://127.0.0.1:1".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(
            vars.expand("{{ api_url }}/x{{key}}").unwrap(),
            "http://127.0.0.1:1/xk"
        );
        assert!(vars.expand("{{ nope }}").unwrap_err().contains("'nope'"));
        assert!(vars.expand("{{ key").is_err());
    }
}
