//! `GET /api/openapi.json`: the OpenAPI 3.1 document of this API (`api/openapi.json`,
//! kept by hand). A unit test checks it against the router's route table.

use crate::reply::Reply;

/// The document, as written.
pub const DOCUMENT: &str = include_str!("../../openapi.json");

/// 200 with the document.
pub fn document() -> Reply {
    Reply::raw(200, "application/json", DOCUMENT.as_bytes())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::Value;

    use super::*;
    use crate::router::ROUTES;

    const METHODS: [&str; 5] = ["get", "post", "put", "delete", "patch"];

    fn document_json() -> Value {
        serde_json::from_str(DOCUMENT).expect("api/openapi.json is JSON")
    }

    #[test]
    fn every_route_is_documented_and_nothing_else() {
        let doc = document_json();
        assert_eq!(doc["openapi"], "3.1.0");
        let documented: BTreeSet<(String, String)> = doc["paths"]
            .as_object()
            .expect("paths")
            .iter()
            .flat_map(|(path, item)| {
                METHODS
                    .iter()
                    .filter(|m| item.get(**m).is_some())
                    .map(move |m| (m.to_ascii_uppercase(), path.clone()))
            })
            .collect();
        let routed: BTreeSet<(String, String)> = ROUTES
            .iter()
            .map(|(method, pattern, _)| ((*method).to_owned(), (*pattern).to_owned()))
            .collect();
        let undocumented: Vec<_> = routed.difference(&documented).collect();
        let unrouted: Vec<_> = documented.difference(&routed).collect();
        assert!(
            undocumented.is_empty(),
            "routes missing from openapi.json: {undocumented:?}"
        );
        assert!(
            unrouted.is_empty(),
            "openapi.json documents routes that do not exist: {unrouted:?}"
        );
    }

    #[test]
    fn path_parameters_are_declared() {
        let doc = document_json();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            let placeholders: BTreeSet<&str> = path
                .split('/')
                .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
                .collect();
            for method in METHODS.iter().filter(|m| item.get(**m).is_some()) {
                let declared: BTreeSet<&str> = [&item["parameters"], &item[*method]["parameters"]]
                    .into_iter()
                    .filter_map(Value::as_array)
                    .flatten()
                    .filter(|p| p["in"] == "path")
                    .filter_map(|p| p["name"].as_str())
                    .collect();
                assert_eq!(declared, placeholders, "{method} {path}");
            }
        }
    }

    #[test]
    fn every_reference_resolves_and_operations_are_unique() {
        let doc = document_json();
        let mut refs = Vec::new();
        collect_refs(&doc, &mut refs);
        assert!(!refs.is_empty());
        for reference in refs {
            let pointer = reference.strip_prefix('#').expect("local reference");
            assert!(doc.pointer(pointer).is_some(), "dangling $ref {reference}");
        }
        let mut ids = BTreeSet::new();
        for item in doc["paths"].as_object().expect("paths").values() {
            for method in METHODS.iter().filter(|m| item.get(**m).is_some()) {
                let id = item[*method]["operationId"].as_str().expect("operationId");
                assert!(ids.insert(id.to_owned()), "duplicate operationId {id}");
            }
        }
    }

    fn collect_refs(value: &Value, refs: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get("$ref") {
                    refs.push(r.clone());
                }
                map.values().for_each(|v| collect_refs(v, refs));
            }
            Value::Array(items) => items.iter().for_each(|v| collect_refs(v, refs)),
            _ => {}
        }
    }

    #[test]
    fn served_as_json() {
        let reply = document();
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header("content-type"), Some("application/json"));
        assert_eq!(reply.json_body(), document_json());
    }
}
