//! From verdicts per object to workloads: every object is attributed to its top-level owner by
//! following `metadata.ownerReferences` (the controller reference, else the first) through the
//! objects of the input, matched by `uid`, else by namespace, kind and name. A Pod of a
//! ReplicaSet of a Deployment counts for the Deployment; a Pod of a Job of a CronJob for the
//! CronJob. An owner missing from the input is the top-level workload, known by its reference.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use security_context_input::Entry;
use serde::Serialize;
use serde_json::Value;

use super::evaluate::{Finding, Verdict};

/// namespace, kind, name.
pub type Key = (String, String, String);

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectRef {
    pub kind: String,
    pub name: String,
    pub source: String,
    pub document: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<usize>,
    pub rejected: bool,
}

/// A finding as the report shows it: the field relative to the pod spec, so that the same
/// finding on a Deployment, its ReplicaSet and its Pods is one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Shown {
    pub checks: Vec<String>,
    pub container: String,
    pub field: String,
    pub found: String,
    pub required: String,
    pub fix: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exception: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Workload {
    pub namespace: String,
    pub kind: String,
    pub name: String,
    /// Whether the top-level object itself is in the input (else only what it owns is).
    pub in_input: bool,
    pub rejected: bool,
    pub checks: Vec<String>,
    pub findings: Vec<Shown>,
    pub exceptions: Vec<String>,
    /// What each exception covered (its audit annotation's `applied to …`), as first seen.
    #[serde(skip)]
    pub applied: BTreeMap<String, String>,
    pub objects: Vec<ObjectRef>,
}

impl Workload {
    pub fn key(&self) -> Key {
        (self.namespace.clone(), self.kind.clone(), self.name.clone())
    }
    pub fn label(&self) -> String {
        format!("{}/{}", self.kind, self.name)
    }
}

fn meta_str<'v>(object: &'v Value, key: &str) -> Option<&'v str> {
    object
        .get("metadata")?
        .get(key)?
        .as_str()
        .filter(|s| !s.is_empty())
}

pub fn namespace_of(entry: &Entry) -> String {
    entry
        .request
        .get("namespace")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| entry.namespace.clone())
        .unwrap_or_default()
}

/// The top-level workload of every entry.
pub fn owners(entries: &[Entry]) -> Vec<Key> {
    let mut by_uid: HashMap<&str, usize> = HashMap::new();
    let mut by_name: HashMap<(String, &str, &str), usize> = HashMap::new();
    for (i, e) in entries.iter().enumerate() {
        let object = &e.request["object"];
        if let Some(uid) = meta_str(object, "uid") {
            by_uid.insert(uid, i);
        }
        by_name.insert((namespace_of(e), e.kind.as_str(), e.name.as_str()), i);
    }
    (0..entries.len())
        .map(|start| {
            let mut at = start;
            let mut seen = BTreeSet::from([start]);
            while let Some(entry) = entries.get(at) {
                let ns = namespace_of(entry);
                let refs = entry.request["object"]
                    .get("metadata")
                    .and_then(|m| m.get("ownerReferences"))
                    .and_then(Value::as_array);
                let owner = refs.and_then(|refs| {
                    refs.iter()
                        .find(|r| r.get("controller").and_then(Value::as_bool) == Some(true))
                        .or_else(|| refs.first())
                });
                let Some(owner) = owner else {
                    return (ns, entry.kind.clone(), entry.name.clone());
                };
                let kind = owner
                    .get("kind")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let name = owner
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                if kind.is_empty() || name.is_empty() {
                    return (ns, entry.kind.clone(), entry.name.clone());
                }
                let found = owner
                    .get("uid")
                    .and_then(Value::as_str)
                    .and_then(|u| by_uid.get(u))
                    .or_else(|| by_name.get(&(ns.clone(), kind, name)))
                    .copied();
                match found {
                    Some(next) if seen.insert(next) => at = next,
                    // A cycle: stop at the object that closes it.
                    Some(_) => return (ns, entry.kind.clone(), entry.name.clone()),
                    None => return (ns, kind.to_owned(), name.to_owned()),
                }
            }
            (String::new(), String::new(), String::new())
        })
        .collect()
}

/// The field relative to the pod spec (`containers[0].securityContext.runAsUser`), or to the
/// pod template (`metadata.annotations…`).
pub fn relative_field(field: &str) -> String {
    for prefix in [
        "spec.jobTemplate.spec.template.spec.",
        "spec.template.spec.",
        "spec.jobTemplate.spec.template.",
        "spec.template.",
        "spec.",
    ] {
        if let Some(rest) = field.strip_prefix(prefix) {
            return rest.to_owned();
        }
    }
    field.to_owned()
}

fn shown(f: &Finding) -> Shown {
    Shown {
        checks: f.checks.clone(),
        container: f.container.clone(),
        field: relative_field(&f.field),
        found: f.found.clone(),
        required: f.required.clone(),
        fix: f.fix.clone(),
        exception: f.exception.clone(),
    }
}

/// Workloads, sorted by namespace, kind and name.
pub fn workloads(entries: &[Entry], verdicts: &[Verdict], owners: &[Key]) -> Vec<Workload> {
    let mut map: BTreeMap<Key, Workload> = BTreeMap::new();
    for (i, (entry, verdict)) in entries.iter().zip(verdicts).enumerate() {
        let Some(key) = owners.get(i) else { continue };
        let w = map.entry(key.clone()).or_insert_with(|| Workload {
            namespace: key.0.clone(),
            kind: key.1.clone(),
            name: key.2.clone(),
            in_input: false,
            rejected: false,
            checks: Vec::new(),
            findings: Vec::new(),
            exceptions: Vec::new(),
            applied: BTreeMap::new(),
            objects: Vec::new(),
        });
        if entry.kind == key.1 && entry.name == key.2 {
            w.in_input = true;
        }
        w.rejected |= !verdict.accepted;
        w.objects.push(ObjectRef {
            kind: entry.kind.clone(),
            name: entry.name.clone(),
            source: entry.source.clone(),
            document: entry.document,
            item: entry.item,
            rejected: !verdict.accepted,
        });
        for f in verdict.findings.iter().filter(|f| f.deny) {
            for c in &f.checks {
                if !w.checks.contains(c) {
                    w.checks.push(c.clone());
                }
            }
            let s = shown(f);
            if !w.findings.contains(&s) {
                w.findings.push(s);
            }
        }
        for u in &verdict.used {
            if !w.exceptions.contains(&u.name) {
                w.exceptions.push(u.name.clone());
            }
            w.applied
                .entry(u.name.clone())
                .or_insert_with(|| u.applied_to.clone());
        }
    }
    let mut out: Vec<Workload> = map.into_values().collect();
    for w in &mut out {
        w.checks.sort();
        w.exceptions.sort();
    }
    out
}
