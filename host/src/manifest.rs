//! The Spin application manifest (`spin.toml`, manifest version 2): parsing and checks.
//!
//! Only the parts of the format this host implements are accepted; anything else is an
//! error naming the file, the line and the key, so an operator never runs an app whose
//! settings were silently ignored.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Why a manifest could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The manifest path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The TOML is malformed or has unknown or mistyped keys.
    #[error("{path}:{line}:{column}: {message}")]
    Syntax {
        /// The manifest path.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// The manifest parses but is inconsistent.
    #[error("{path}: {message}")]
    Invalid {
        /// The manifest path.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// A parsed `spin.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Must be 2.
    pub spin_manifest_version: u32,
    /// Application metadata.
    pub application: Application,
    /// Application variables.
    #[serde(default)]
    pub variables: BTreeMap<String, VariableDecl>,
    /// Triggers by type.
    #[serde(default)]
    pub trigger: Triggers,
    /// Components by id.
    #[serde(default)]
    pub component: BTreeMap<String, ComponentDecl>,
}

/// `[application]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Application {
    /// Application name.
    pub name: String,
    /// Version string.
    #[serde(default)]
    pub version: Option<String>,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Authors.
    #[serde(default)]
    pub authors: Vec<String>,
    /// Application-level trigger settings (`[application.trigger.http] base = "/"`).
    #[serde(default)]
    pub trigger: Option<toml::Table>,
}

/// An entry of `[variables]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariableDecl {
    /// Value used when no provider sets one.
    #[serde(default)]
    pub default: Option<String>,
    /// Start-up fails when no value is set.
    #[serde(default)]
    pub required: bool,
    /// The value is never logged.
    #[serde(default)]
    pub secret: bool,
    /// Human description.
    #[serde(default)]
    pub description: Option<String>,
}

/// `[[trigger.<type>]]` tables. Only HTTP is implemented.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Triggers {
    /// `[[trigger.http]]` entries.
    #[serde(default)]
    pub http: Vec<HttpTrigger>,
}

/// One `[[trigger.http]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpTrigger {
    /// Optional trigger id.
    #[serde(default)]
    pub id: Option<String>,
    /// Route pattern or `{ private = true }`.
    pub route: RouteDecl,
    /// Component id handling it.
    pub component: String,
    /// Executor (`{ type = "spin" }` or `{ type = "wagi" }`); only `spin` is supported.
    #[serde(default)]
    pub executor: Option<toml::Table>,
}

/// A trigger route as written in the manifest.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum RouteDecl {
    /// `"/path"`, `"/path/..."` or `"/..."`.
    Path(String),
    /// `{ private = true }`: reachable only by service chaining.
    Private {
        /// Must be true.
        private: bool,
    },
}

/// `[component.<id>]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComponentDecl {
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Path of the component's `.wasm` file, relative to the manifest.
    pub source: SourceDecl,
    /// Outbound network allow-list, e.g. `https://api.github.com`, `http://*.spin.internal`.
    #[serde(default)]
    pub allowed_outbound_hosts: Vec<String>,
    /// Key-value store labels the component may open.
    #[serde(default)]
    pub key_value_stores: Vec<String>,
    /// Component variables: name → template over application variables.
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    /// Environment variables visible to the component.
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
    /// Files made visible to the component, read-only.
    #[serde(default)]
    pub files: Vec<FileMount>,
    /// Build settings, used by `spin build` (the host ignores them).
    #[serde(default)]
    pub build: Option<toml::Table>,
}

/// An entry of a component's `files`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum FileMount {
    /// A directory relative to the manifest, mounted at the same path under `/`.
    Path(String),
    /// `{ source = "dir", destination = "/path" }`.
    Mapping {
        /// Directory relative to the manifest.
        source: String,
        /// Absolute path inside the component.
        destination: String,
    },
}

/// A component source.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum SourceDecl {
    /// A local file path.
    Path(String),
    /// `{ url = "...", digest = "..." }`: a remote source.
    Remote(toml::Table),
}

impl Manifest {
    /// Reads and checks a manifest file.
    pub fn load(path: &Path) -> Result<Self, ManifestError> {
        let text = std::fs::read_to_string(path).map_err(|source| ManifestError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(path, &text)
    }

    /// Parses and checks manifest text; `path` is only used in messages.
    pub fn parse(path: &Path, text: &str) -> Result<Self, ManifestError> {
        let manifest: Manifest = toml::from_str(text).map_err(|err| {
            let (line, column) = err
                .span()
                .map(|span| line_column(text, span.start))
                .unwrap_or((1, 1));
            ManifestError::Syntax {
                path: path.to_owned(),
                line,
                column,
                message: err.message().to_owned(),
            }
        })?;
        manifest.check().map_err(|message| ManifestError::Invalid {
            path: path.to_owned(),
            message,
        })?;
        Ok(manifest)
    }

    fn check(&self) -> Result<(), String> {
        if self.spin_manifest_version != 2 {
            return Err(format!(
                "spin_manifest_version = {} is not supported; this host reads version 2",
                self.spin_manifest_version
            ));
        }
        for name in self.variables.keys() {
            check_variable_name(name).map_err(|e| format!("[variables] {e}"))?;
        }
        for (id, component) in &self.component {
            check_component_id(id)?;
            if let SourceDecl::Remote(_) = component.source {
                return Err(format!(
                    "[component.{id}] source: remote sources are not supported; build the component and give its file path"
                ));
            }
            for mount in &component.files {
                let (source, destination) = match mount {
                    FileMount::Path(p) => (p.as_str(), None),
                    FileMount::Mapping {
                        source,
                        destination,
                    } => (source.as_str(), Some(destination.as_str())),
                };
                if source.contains(['*', '?', '[']) {
                    return Err(format!(
                        "[component.{id}] files: glob pattern '{source}' is not supported; mount a directory with {{ source = \"dir\", destination = \"/path\" }}"
                    ));
                }
                if destination.is_some_and(|d| !d.starts_with('/')) {
                    return Err(format!(
                        "[component.{id}] files: destination of '{source}' must be an absolute path"
                    ));
                }
            }
            for name in component.variables.keys() {
                check_variable_name(name).map_err(|e| format!("[component.{id}.variables] {e}"))?;
            }
        }
        for (index, trigger) in self.trigger.http.iter().enumerate() {
            let at = format!("[[trigger.http]] #{}", index + 1);
            if !self.component.contains_key(&trigger.component) {
                return Err(format!(
                    "{at}: component '{}' is not defined as [component.{}]",
                    trigger.component, trigger.component
                ));
            }
            if let Some(executor) = &trigger.executor {
                match executor.get("type").and_then(|t| t.as_str()) {
                    Some("spin") => {}
                    other => {
                        return Err(format!(
                            "{at}: executor {other:?} is not supported; only the spin executor is"
                        ))
                    }
                }
            }
            match &trigger.route {
                RouteDecl::Path(route) if !route.starts_with('/') => {
                    return Err(format!("{at}: route '{route}' must start with '/'"));
                }
                RouteDecl::Private { private: false } => {
                    return Err(format!(
                        "{at}: route = {{ private = false }} is not meaningful; give a path"
                    ));
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// A component's file mounts as (host directory, guest path), resolved against the
    /// manifest's folder.
    pub fn file_mounts(&self, manifest_dir: &Path, id: &str) -> Vec<(PathBuf, String)> {
        let Some(component) = self.component.get(id) else {
            return Vec::new();
        };
        component
            .files
            .iter()
            .map(|mount| match mount {
                FileMount::Path(p) => (
                    manifest_dir.join(p),
                    format!("/{}", p.trim_start_matches("./").trim_start_matches('/')),
                ),
                FileMount::Mapping {
                    source,
                    destination,
                } => (manifest_dir.join(source), destination.clone()),
            })
            .collect()
    }

    /// Absolute path of a component's source, resolved against the manifest's folder.
    pub fn source_path(&self, manifest_dir: &Path, id: &str) -> Option<PathBuf> {
        match &self.component.get(id)?.source {
            SourceDecl::Path(p) => Some(manifest_dir.join(p)),
            SourceDecl::Remote(_) => None,
        }
    }
}

fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.len() - before.rfind('\n').map(|i| i + 1).unwrap_or(0) + 1;
    (line, column)
}

/// Spin variable names: lowercase ASCII letters, digits and underscores, starting with a
/// letter.
pub fn check_variable_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_lowercase());
    if first_ok && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
        Ok(())
    } else {
        Err(format!(
            "variable name '{name}' is invalid: use lowercase letters, digits and '_', starting with a letter"
        ))
    }
}

fn check_component_id(id: &str) -> Result<(), String> {
    let ok = id.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "component id '{id}' is invalid: use lowercase letters, digits and '-', starting with a letter"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
spin_manifest_version = 2
[application]
name = "app"
[variables]
token = { required = true, secret = true }
[[trigger.http]]
route = "/..."
component = "api"
[[trigger.http]]
route = { private = true }
component = "backend"
[component.api]
source = "api.wasm"
allowed_outbound_hosts = ["http://*.spin.internal"]
key_value_stores = ["default"]
[component.api.variables]
token = "{{ token }}"
[component.backend]
source = "backend.wasm"
"#;

    #[test]
    fn parses_a_good_manifest() {
        let m = Manifest::parse(Path::new("spin.toml"), GOOD).unwrap();
        assert_eq!(m.trigger.http.len(), 2);
        assert!(matches!(
            m.trigger.http[1].route,
            RouteDecl::Private { private: true }
        ));
        assert!(m.variables["token"].secret);
        assert_eq!(
            m.source_path(Path::new("/app"), "api").unwrap(),
            Path::new("/app/api.wasm")
        );
    }

    #[test]
    fn unknown_key_names_file_line_and_key() {
        let text = GOOD.replace("key_value_stores", "key_value_storez");
        let err = Manifest::parse(Path::new("spin.toml"), &text)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("spin.toml:16:"), "{err}");
        assert!(err.contains("key_value_storez"), "{err}");
    }

    #[test]
    fn trigger_for_missing_component_is_an_error() {
        let text = GOOD.replace("component = \"backend\"", "component = \"nope\"");
        let err = Manifest::parse(Path::new("spin.toml"), &text)
            .unwrap_err()
            .to_string();
        assert!(err.contains("component 'nope' is not defined"), "{err}");
    }

    #[test]
    fn bad_variable_name_is_an_error() {
        let text = GOOD.replace("token = { required", "Token = { required");
        let err = Manifest::parse(Path::new("spin.toml"), &text)
            .unwrap_err()
            .to_string();
        assert!(err.contains("'Token' is invalid"), "{err}");
    }
}
