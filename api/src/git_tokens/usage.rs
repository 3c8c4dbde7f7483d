//! Which services (applications) use a Git token: `org:<org>:gittoken:<id>:services`,
//! `{"services": [ServiceRef…], "closed": bool}`.
//!
//! The key is created empty with the token and changed only by compare-and-swap.
//! Deleting a token first *closes* it (a swap that succeeds only while no service uses
//! it), so an application attached concurrently either lands before the close, and the
//! delete is refused, or after it, and the attach is refused: never a token deleted under
//! an application.
//!
//! Applications arrive with issue 8: they call [`attach`] when created on a token and
//! [`detach`] when deleted or moved to another account.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::problem::Problem;
use crate::state::{cas, decode_json, encode_json, keys, KeyValue, StateError};

/// A service that uses a token, as `associatedServices` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceRef {
    /// Service (application) id.
    pub service_id: String,
    /// Its name.
    pub service_name: String,
    /// Its kind, e.g. `APPLICATION`.
    pub service_type: String,
}

impl ServiceRef {
    /// The API shape.
    pub fn to_json(&self) -> Value {
        json!({
            "service_id": self.service_id,
            "service_name": self.service_name,
            "service_type": self.service_type,
        })
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Usage {
    services: Vec<ServiceRef>,
    #[serde(default)]
    closed: bool,
}

/// The value a new token's usage key starts with.
pub fn initial() -> Vec<u8> {
    encode_json(&Usage::default())
}

/// The services listed in usage bytes read from `key` (absent: none).
pub fn decode(key: &str, bytes: Option<&[u8]>) -> Result<Vec<ServiceRef>, StateError> {
    match bytes {
        None => Ok(Vec::new()),
        Some(bytes) => decode_json::<Usage>(key, bytes).map(|usage| usage.services),
    }
}

/// The services using a token.
pub fn services(kv: &impl KeyValue, org: &str, token: &str) -> Result<Vec<ServiceRef>, StateError> {
    let key = keys::git_token_services(org, token);
    decode(&key, kv.get(&key)?.as_deref())
}

/// Why a service could not be attached.
#[cfg_attr(not(test), allow(dead_code))] // used by applications (issue 8)
#[derive(Debug, thiserror::Error)]
pub enum AttachError {
    /// The token does not exist or is being deleted.
    #[error("the Git token does not exist or is being deleted")]
    TokenGone,
    /// State failed.
    #[error(transparent)]
    State(#[from] StateError),
}

/// Records that `service` uses the token (replacing an earlier entry of the same id).
#[cfg_attr(not(test), allow(dead_code))] // called by applications (issue 8)
pub fn attach(
    kv: &impl KeyValue,
    org: &str,
    token: &str,
    service: ServiceRef,
) -> Result<(), AttachError> {
    if kv.get(&keys::git_token(org, token))?.is_none() {
        return Err(AttachError::TokenGone);
    }
    let key = keys::git_token_services(org, token);
    cas::update(kv, &key, |current| {
        let mut usage: Usage = match current {
            Some(bytes) => decode_json(&key, bytes)?,
            None => Usage::default(),
        };
        if usage.closed {
            return Err(AttachError::TokenGone);
        }
        usage
            .services
            .retain(|s| s.service_id != service.service_id);
        usage.services.push(service.clone());
        Ok(cas::Change::Write(encode_json(&usage), ()))
    })
}

/// Records that a service no longer uses the token; nothing to do if it did not.
#[cfg_attr(not(test), allow(dead_code))] // called by applications (issue 8)
pub fn detach(
    kv: &impl KeyValue,
    org: &str,
    token: &str,
    service_id: &str,
) -> Result<(), StateError> {
    let key = keys::git_token_services(org, token);
    cas::update(kv, &key, |current| {
        let Some(bytes) = current else {
            return Ok(cas::Change::Keep(()));
        };
        let mut usage: Usage = decode_json(&key, bytes)?;
        let before = usage.services.len();
        usage.services.retain(|s| s.service_id != service_id);
        Ok(if usage.services.len() == before {
            cas::Change::Keep(())
        } else {
            cas::Change::Write(encode_json(&usage), ())
        })
    })
}

/// Closes the token to new services if none uses it; otherwise 409 listing them.
pub fn close(kv: &impl KeyValue, org: &str, token: &str) -> Result<(), Problem> {
    let key = keys::git_token_services(org, token);
    cas::update(kv, &key, |current| {
        let mut usage: Usage = match current {
            Some(bytes) => decode_json(&key, bytes)?,
            None => Usage::default(),
        };
        if !usage.services.is_empty() {
            return Err(in_use(&usage.services));
        }
        if usage.closed {
            return Ok(cas::Change::Keep(()));
        }
        usage.closed = true;
        Ok(cas::Change::Write(encode_json(&usage), ()))
    })
}

/// 409: the token is used; names each service and lists them in `services`.
fn in_use(services: &[ServiceRef]) -> Problem {
    let names: Vec<String> = services
        .iter()
        .map(|s| format!("{} ({})", s.service_name, s.service_id))
        .collect();
    let count = services.len();
    let plural = if count == 1 { "" } else { "s" };
    Problem::new(
        409,
        "git-token-in-use",
        "Git token in use",
        format!(
            "The Git token is used by {count} service{plural}: {}. Move them to another \
             Git account or delete them first.",
            names.join(", ")
        ),
    )
    .with(
        "services",
        services.iter().map(ServiceRef::to_json).collect::<Vec<_>>(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::memory::MemoryStore;

    pub fn app(id: &str) -> ServiceRef {
        ServiceRef {
            service_id: id.into(),
            service_name: format!("app-{id}"),
            service_type: "APPLICATION".into(),
        }
    }

    fn token(kv: &MemoryStore) {
        kv.set(&keys::git_token("o", "t"), b"{}").unwrap();
        kv.set(&keys::git_token_services("o", "t"), &initial())
            .unwrap();
    }

    #[test]
    fn attach_detach_and_close() {
        let kv = MemoryStore::new();
        token(&kv);
        attach(&kv, "o", "t", app("1")).unwrap();
        attach(&kv, "o", "t", app("2")).unwrap();
        attach(&kv, "o", "t", app("1")).unwrap();
        assert_eq!(services(&kv, "o", "t").unwrap(), vec![app("2"), app("1")]);

        let problem = close(&kv, "o", "t").unwrap_err();
        assert_eq!(problem.status(), 409);
        assert_eq!(
            problem.detail(),
            "The Git token is used by 2 services: app-2 (2), app-1 (1). Move them to another \
             Git account or delete them first."
        );
        assert_eq!(
            problem
                .member("services")
                .unwrap()
                .as_array()
                .unwrap()
                .len(),
            2
        );

        detach(&kv, "o", "t", "1").unwrap();
        detach(&kv, "o", "t", "2").unwrap();
        detach(&kv, "o", "t", "2").unwrap();
        close(&kv, "o", "t").unwrap();
        close(&kv, "o", "t").unwrap();
        assert!(matches!(
            attach(&kv, "o", "t", app("3")),
            Err(AttachError::TokenGone)
        ));
    }

    #[test]
    fn an_attach_racing_a_delete_refuses_the_delete() {
        let kv = MemoryStore::new();
        token(&kv);
        // An application is attached between our read and our swap.
        let key = keys::git_token_services("o", "t");
        kv.interfere(move |map| {
            let usage = Usage {
                services: vec![app("9")],
                closed: false,
            };
            map.insert(key, encode_json(&usage));
        });
        assert_eq!(close(&kv, "o", "t").unwrap_err().status(), 409);
    }

    #[test]
    fn unknown_tokens_cannot_be_attached() {
        let kv = MemoryStore::new();
        assert!(matches!(
            attach(&kv, "o", "missing", app("1")),
            Err(AttachError::TokenGone)
        ));
    }
}
