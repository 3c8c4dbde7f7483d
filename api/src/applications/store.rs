//! Applications in key-value: records, the per-organization index (id → lowercase name,
//! names unique ignoring case, checked inside the index swap), the `app:<id>` look-up,
//! and the feed and audit keys created with the record (so they are only ever swapped,
//! never swapped into existence).

use serde::{Deserialize, Serialize};

use super::record::Application;
use super::{audit, feed};
use crate::problem::Problem;
use crate::state::{cas, decode_json, encode_json, get_json, index, keys, KeyValue, StateError};
use crate::tenancy::members::decode_existing;

/// `app:<id>`: where an application lives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lookup {
    /// Its organization.
    pub organization_id: String,
}

/// 404 for an application that is not in the organization.
pub fn not_found(id: &str) -> Problem {
    Problem::new(
        404,
        "not-found",
        "Not found",
        format!("Application '{id}' was not found in this organization."),
    )
}

fn name_taken(name: &str) -> Problem {
    Problem::new(
        409,
        "application-name-taken",
        "Name already used",
        format!(
            "An application named '{name}' already exists in this organization (names are \
             compared ignoring case)."
        ),
    )
}

fn check_name_in(
    entries: &index::Entries,
    name: &str,
    except: Option<&str>,
) -> Result<(), Problem> {
    let wanted = name.to_lowercase();
    if entries
        .iter()
        .any(|(id, taken)| *taken == wanted && Some(id.as_str()) != except)
    {
        Err(name_taken(name))
    } else {
        Ok(())
    }
}

/// 409 when another application of the organization has this name.
pub fn check_name_free(
    kv: &impl KeyValue,
    org: &str,
    name: &str,
    except: Option<&str>,
) -> Result<(), Problem> {
    let entries = index::read(kv, &keys::applications(org))?.unwrap_or_default();
    check_name_in(&entries, name, except)
}

/// The organization of an application, from `app:<id>`.
pub fn locate(kv: &impl KeyValue, id: &str) -> Result<Option<String>, StateError> {
    organization_in(id, kv.get(&keys::application_lookup(id))?.as_deref())
}

/// [`locate`] from the value of `app:<id>` when the caller has read it already.
pub fn organization_in(id: &str, lookup: Option<&[u8]>) -> Result<Option<String>, StateError> {
    lookup
        .map(|bytes| decode_json::<Lookup>(&keys::application_lookup(id), bytes))
        .transpose()
        .map(|found| found.map(|l| l.organization_id))
}

/// Every application of the organization, sorted by name.
pub fn list(kv: &impl KeyValue, org: &str) -> Result<Vec<Application>, StateError> {
    let entries = index::read(kv, &keys::applications(org))?.unwrap_or_default();
    let wanted: Vec<String> = entries
        .keys()
        .map(|id| keys::application(org, id))
        .collect();
    let mut apps = Vec::with_capacity(wanted.len());
    for (key, value) in wanted.iter().zip(kv.get_many(&wanted)?) {
        if let Some(bytes) = value {
            apps.push(decode_json::<Application>(key, &bytes)?);
        }
    }
    apps.sort_by(|a, b| {
        (a.name.to_lowercase(), &a.created_at).cmp(&(b.name.to_lowercase(), &b.created_at))
    });
    Ok(apps)
}

/// One application.
pub fn get(kv: &impl KeyValue, org: &str, id: &str) -> Result<Option<Application>, StateError> {
    get_json(kv, &keys::application(org, id))
}

/// Stores a new application: record, feed, audit and look-up first (fresh keys), then the
/// index entry under CAS with the name check; on a clash everything is removed again.
pub fn insert(kv: &impl KeyValue, app: &Application) -> Result<(), Problem> {
    let org = app.organization_id.as_str();
    let lookup = Lookup {
        organization_id: org.to_owned(),
    };
    let mut records = vec![
        (keys::application(org, &app.id), encode_json(app)),
        (keys::application_audit(org, &app.id), audit::initial()),
        (keys::application_lookup(&app.id), encode_json(&lookup)),
    ];
    records.extend(feed::initial(org, &app.id));
    let written: Vec<String> = records.iter().map(|(key, _)| key.clone()).collect();
    kv.set_many(&records)?;
    let key = keys::applications(org);
    let added = cas::update(kv, &key, |current| {
        let mut entries = decode_existing(&key, current)?;
        if let Err(clash) = check_name_in(&entries, &app.name, None) {
            return Ok::<_, StateError>(cas::Change::Keep(Err(clash)));
        }
        entries.insert(app.id.clone(), app.name.to_lowercase());
        Ok(cas::Change::Write(index::encode(&entries), Ok(())))
    });
    match added {
        Ok(Ok(())) => Ok(()),
        Ok(Err(problem)) => {
            kv.delete_many(&written)?;
            Err(problem)
        }
        Err(error) => {
            // Best effort: the index swap failed, so nobody can reach these keys anyway.
            let _ = kv.delete_many(&written);
            Err(error.into())
        }
    }
}

/// Replaces a record (name, branch, root path, token, webhook, access state): the index
/// entry is renamed under CAS with the name check, the record swapped only while it
/// exists, so a concurrent delete is never undone.
pub fn replace(kv: &impl KeyValue, app: &Application) -> Result<(), Problem> {
    let org = app.organization_id.as_str();
    let key = keys::applications(org);
    cas::update(kv, &key, |current| {
        let mut entries = decode_existing(&key, current)?;
        let Some(old) = entries.get(&app.id) else {
            return Err(not_found(&app.id));
        };
        if *old == app.name.to_lowercase() {
            return Ok(cas::Change::Keep(()));
        }
        check_name_in(&entries, &app.name, Some(&app.id))?;
        entries.insert(app.id.clone(), app.name.to_lowercase());
        Ok(cas::Change::Write(index::encode(&entries), ()))
    })?;
    update(kv, org, &app.id, |_| Some(app.clone()))?.ok_or_else(|| not_found(&app.id))?;
    Ok(())
}

/// Changes a record under CAS: `change` gets the current record and returns the new one
/// (`None`: leave it). The record as written, or `None` when it does not exist.
pub fn update(
    kv: &impl KeyValue,
    org: &str,
    id: &str,
    mut change: impl FnMut(&Application) -> Option<Application>,
) -> Result<Option<Application>, StateError> {
    let key = keys::application(org, id);
    cas::update(kv, &key, |current| {
        let Some(bytes) = current else {
            return Ok(cas::Change::Keep(None));
        };
        let app: Application = decode_json(&key, bytes)?;
        Ok::<_, StateError>(match change(&app) {
            Some(next) => cas::Change::Write(encode_json(&next), Some(next)),
            None => cas::Change::Keep(Some(app)),
        })
    })
}

/// Removes the index entry (404 when absent), then every key of the application.
pub fn remove(kv: &impl KeyValue, org: &str, id: &str) -> Result<(), Problem> {
    let key = keys::applications(org);
    cas::update(kv, &key, |current| {
        let mut entries = decode_existing(&key, current)?;
        if entries.remove(id).is_none() {
            return Err(not_found(id));
        }
        Ok(cas::Change::Write(index::encode(&entries), ()))
    })?;
    let mut doomed: Vec<String> = feed::event_ids(kv, org, id)?
        .into_iter()
        .map(|event| keys::application_event(org, id, &event))
        .collect();
    doomed.extend([
        keys::application(org, id),
        keys::application_audit(org, id),
        keys::application_lookup(id),
    ]);
    doomed.extend(feed::feed_keys(org, id));
    kv.delete_many(&doomed)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::applications::record::tests::sample;
    use crate::state::memory::MemoryStore;
    use crate::tenancy::organizations::tests::new_org;

    fn app_in(org: &str, id: &str, name: &str) -> Application {
        let mut app = sample(id, name, None);
        app.organization_id = org.to_owned();
        app
    }

    #[test]
    fn insert_list_replace_remove() {
        let kv = MemoryStore::new();
        let org = new_org(&kv).organization.id;
        insert(&kv, &app_in(&org, "app1", "Web")).unwrap();
        insert(&kv, &app_in(&org, "app2", "api")).unwrap();
        let names: Vec<String> = list(&kv, &org)
            .unwrap()
            .into_iter()
            .map(|a| a.name)
            .collect();
        assert_eq!(names, vec!["api", "Web"]);
        assert_eq!(locate(&kv, "app1").unwrap().as_deref(), Some(org.as_str()));

        let clash = insert(&kv, &app_in(&org, "app3", "WEB")).unwrap_err();
        assert_eq!(clash.status(), 409);
        assert!(
            kv.keys().iter().all(|k| !k.contains("app3")),
            "{:?}",
            kv.keys()
        );

        let mut renamed = app_in(&org, "app2", "web");
        assert_eq!(replace(&kv, &renamed).unwrap_err().status(), 409);
        renamed.name = "api-2".into();
        replace(&kv, &renamed).unwrap();
        check_name_free(&kv, &org, "API", None).unwrap();

        remove(&kv, &org, "app1").unwrap();
        assert_eq!(remove(&kv, &org, "app1").unwrap_err().status(), 404);
        assert!(
            kv.keys().iter().all(|k| !k.contains("app1")),
            "{:?}",
            kv.keys()
        );
        assert_eq!(
            replace(&kv, &app_in(&org, "app1", "x"))
                .unwrap_err()
                .status(),
            404
        );
    }
}
