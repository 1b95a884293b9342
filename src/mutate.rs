//! Mutation (docs/mutation-and-image-users.md): fill in absent fields from the profile that applies, and give
//! read-only-root containers the platform's writable directories.
//!
//! The plan is made on the lean view; the edits are applied to the raw JSON of the object, so
//! every field this policy does not know (a newer Kubernetes field, an annotation, a CRD-ish
//! extension) comes back as it came in. A value that is present is never changed: if it
//! violates the profile, the request is still rejected.

use crate::profile::{IdRule, Profile};
use crate::settings::Settings;
use crate::target::{Shape, Target};
use crate::view::ContainerKind;
use serde_json::{Map, Value, json};

/// A path segment in the object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Key(&'static str),
    Name(String),
    Index(usize),
}

/// One edit the policy makes.
#[derive(Debug, Clone, PartialEq)]
pub enum Edit {
    /// Set the field at `path` (its parents are created when absent or null).
    Set(Vec<Seg>, Value),
    /// Append to the list at `path` (created when absent or null).
    Push(Vec<Seg>, Value),
}

impl Edit {
    pub fn path(&self) -> &[Seg] {
        match self {
            Edit::Set(p, _) | Edit::Push(p, _) => p,
        }
    }
}

fn template_path(shape: Shape) -> Vec<Seg> {
    match shape {
        Shape::Pod => vec![Seg::Key("spec")],
        Shape::Template => vec![Seg::Key("spec"), Seg::Key("template"), Seg::Key("spec")],
        Shape::CronJob => vec![
            Seg::Key("spec"),
            Seg::Key("jobTemplate"),
            Seg::Key("spec"),
            Seg::Key("template"),
            Seg::Key("spec"),
        ],
    }
}

fn join(base: &[Seg], rest: &[Seg]) -> Vec<Seg> {
    base.iter().chain(rest).cloned().collect()
}

/// The value mutation writes for an ID rule: the exact value, or the lower bound of a range.
fn id_value(rule: Option<&IdRule>) -> Option<i64> {
    match rule? {
        IdRule::Exact(v) => Some(*v),
        IdRule::Range { min: Some(m), .. } => Some(*m),
        IdRule::Range { min: None, .. } => None,
    }
}

/// The seccomp type mutation writes: RuntimeDefault when accepted, else the first accepted type
/// that needs no profile file.
fn seccomp_value(p: &Profile) -> Option<&str> {
    let types = p.seccomp_types.as_ref()?;
    if types.iter().any(|t| t == "RuntimeDefault") {
        return Some("RuntimeDefault");
    }
    types.iter().map(String::as_str).find(|t| *t != "Localhost")
}

/// Plans the edits for one pod template, read into the lean view.
pub fn plan(target: &Target<'_>, settings: &Settings) -> Vec<Edit> {
    let pod = &target.spec;
    let base = template_path(target.shape);
    let mut edits = Vec::new();
    let (profiles, pod_profile) = target.profiles(settings);
    let windows = pod.is_windows();
    let psc = pod.security_context.as_ref();
    let pod_sc_path =
        |field: &'static str| join(&base, &[Seg::Key("securityContext"), Seg::Key(field)]);

    // Pod level, from the pod's profile. What the pod already says is kept; containers inherit
    // it and are judged by it (a present value is never overridden, not even per container).
    let written_non_root = psc.and_then(|s| s.run_as_non_root).is_some();
    let written_user = psc.and_then(|s| s.run_as_user).is_some();
    let written_group = psc.and_then(|s| s.run_as_group).is_some();
    let mut pod_non_root = psc.and_then(|s| s.run_as_non_root);
    if pod_non_root.is_none() && pod_profile.run_as_non_root == Some(true) {
        pod_non_root = Some(true);
        edits.push(Edit::Set(pod_sc_path("runAsNonRoot"), json!(true)));
    }
    let mut pod_user = psc.and_then(|s| s.run_as_user);
    let mut pod_group = psc.and_then(|s| s.run_as_group);
    let pod_seccomp_set = psc.and_then(|s| s.seccomp_profile.as_ref()).is_some();
    let mut pod_seccomp = psc
        .and_then(|s| s.seccomp_profile.as_ref())
        .and_then(|p| p.type_.as_deref().map(str::to_owned));
    if !windows {
        if pod_user.is_none()
            && let Some(v) = id_value(pod_profile.run_as_user.as_ref())
        {
            pod_user = Some(v);
            edits.push(Edit::Set(pod_sc_path("runAsUser"), json!(v)));
        }
        if pod_group.is_none()
            && let Some(v) = id_value(pod_profile.run_as_group.as_ref())
        {
            pod_group = Some(v);
            edits.push(Edit::Set(pod_sc_path("runAsGroup"), json!(v)));
        }
        if psc.and_then(|s| s.fs_group).is_none()
            && let Some(v) = id_value(pod_profile.fs_group.as_ref())
        {
            edits.push(Edit::Set(pod_sc_path("fsGroup"), json!(v)));
        }
        if !pod_seccomp_set && let Some(t) = seccomp_value(pod_profile) {
            pod_seccomp = Some(t.to_owned());
            edits.push(Edit::Set(pod_sc_path("seccompProfile"), json!({"type": t})));
        }
    }

    // Container level, from each container's profile.
    let mut writable: Vec<(usize, ContainerKind, usize)> = Vec::new();
    for c in pod.visit() {
        let p = profiles.get(c.ordinal).copied().unwrap_or(pod_profile);
        let sc = c.container.sc();
        let cpath = |field: &'static str| {
            join(
                &base,
                &[
                    Seg::Key(c.kind.field()),
                    Seg::Index(c.index),
                    Seg::Key("securityContext"),
                    Seg::Key(field),
                ],
            )
        };
        if sc.and_then(|s| s.run_as_non_root).is_none()
            && !written_non_root
            && p.run_as_non_root == Some(true)
            && pod_non_root != Some(true)
        {
            edits.push(Edit::Set(cpath("runAsNonRoot"), json!(true)));
        }
        if windows {
            continue;
        }
        for (field, own, written, inherited, rule) in [
            (
                "runAsUser",
                sc.and_then(|s| s.run_as_user),
                written_user,
                pod_user,
                p.run_as_user.as_ref(),
            ),
            (
                "runAsGroup",
                sc.and_then(|s| s.run_as_group),
                written_group,
                pod_group,
                p.run_as_group.as_ref(),
            ),
        ] {
            if own.is_none()
                && !written
                && let Some(rule) = rule
                && !inherited.is_some_and(|v| rule.allows(v))
                && let Some(v) = id_value(Some(rule))
            {
                edits.push(Edit::Set(cpath(field), json!(v)));
            }
        }
        if sc.and_then(|s| s.seccomp_profile.as_ref()).is_none()
            && !pod_seccomp_set
            && let Some(types) = &p.seccomp_types
            && !pod_seccomp.as_ref().is_some_and(|t| types.contains(t))
            && let Some(t) = seccomp_value(p)
        {
            edits.push(Edit::Set(cpath("seccompProfile"), json!({"type": t})));
        }
        if sc.and_then(|s| s.allow_privilege_escalation).is_none()
            && p.allow_privilege_escalation == Some(false)
        {
            edits.push(Edit::Set(cpath("allowPrivilegeEscalation"), json!(false)));
        }
        let mut read_only = sc.and_then(|s| s.read_only_root_filesystem);
        if read_only.is_none() && p.read_only_root_filesystem == Some(true) {
            read_only = Some(true);
            edits.push(Edit::Set(cpath("readOnlyRootFilesystem"), json!(true)));
        }
        if sc
            .and_then(|s| s.capabilities.as_ref())
            .and_then(|c| c.drop.as_ref())
            .is_none()
            && let Some(drop) = &p.caps_drop
            && !drop.is_empty()
        {
            let path = join(
                &base,
                &[
                    Seg::Key(c.kind.field()),
                    Seg::Index(c.index),
                    Seg::Key("securityContext"),
                    Seg::Key("capabilities"),
                    Seg::Key("drop"),
                ],
            );
            edits.push(Edit::Set(path, json!(drop)));
        }
        if read_only == Some(true) && c.kind != ContainerKind::Ephemeral {
            writable.push((c.ordinal, c.kind, c.index));
        }
    }

    // Writable directories: one emptyDir per listed path, shared by the containers that need it.
    let dirs = &settings.mutation.writable_directories;
    if !dirs.is_empty() && !writable.is_empty() {
        let mut taken: Vec<String> = pod
            .volumes
            .iter()
            .flatten()
            .map(|v| v.name.to_string())
            .collect();
        let mut volume_of: Vec<Option<String>> = vec![None; dirs.len()];
        for c in pod
            .visit()
            .filter(|c| writable.iter().any(|(o, _, _)| *o == c.ordinal))
        {
            let mounts: Vec<&str> = c
                .container
                .volume_mounts
                .iter()
                .flatten()
                .map(|m| m.mount_path.trim_end_matches('/'))
                .collect();
            for (i, d) in dirs.iter().enumerate() {
                let covered = mounts.iter().any(|m| {
                    m.is_empty()
                        || *m == d.mount_path
                        || d.mount_path
                            .strip_prefix(m)
                            .is_some_and(|rest| rest.starts_with('/'))
                });
                if covered {
                    continue;
                }
                let name = match volume_of.get(i).cloned().flatten() {
                    Some(n) => n,
                    None => {
                        let n = volume_name(&d.mount_path, &taken);
                        taken.push(n.clone());
                        let empty_dir = match &d.size_limit {
                            Some(q) => json!({"sizeLimit": q}),
                            None => json!({}),
                        };
                        edits.push(Edit::Push(
                            join(&base, &[Seg::Key("volumes")]),
                            json!({"name": n, "emptyDir": empty_dir}),
                        ));
                        if let Some(slot) = volume_of.get_mut(i) {
                            *slot = Some(n.clone());
                        }
                        n
                    }
                };
                let path = join(
                    &base,
                    &[
                        Seg::Key(c.kind.field()),
                        Seg::Index(c.index),
                        Seg::Key("volumeMounts"),
                    ],
                );
                edits.push(Edit::Push(
                    path,
                    json!({"name": name, "mountPath": d.mount_path}),
                ));
            }
        }
    }
    edits
}

/// A DNS-label volume name derived from the path, unique among `taken`.
fn volume_name(path: &str, taken: &[String]) -> String {
    let mut slug = String::from("writable");
    for part in path.split('/').filter(|p| !p.is_empty()) {
        let clean: String = part
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect();
        let clean = clean.trim_matches('-');
        if !clean.is_empty() {
            slug.push('-');
            slug.push_str(clean);
        }
    }
    slug.truncate(55);
    let slug = slug.trim_end_matches('-').to_owned();
    if !taken.contains(&slug) {
        return slug;
    }
    (2..)
        .map(|i| format!("{slug}-{i}"))
        .find(|n| !taken.contains(n))
        .unwrap_or(slug)
}

/// Applies edits to the object. Returns false (and leaves the object as it was in meaning) if
/// a path runs into something that is not an object or list, which the view would have
/// rejected already.
pub fn apply(object: &mut Value, edits: &[Edit]) -> bool {
    edits.iter().all(|e| match e {
        Edit::Set(path, v) => set(object, path, v.clone()),
        Edit::Push(path, v) => push(object, path, v.clone()),
    })
}

fn descend<'v>(mut cur: &'v mut Value, path: &[Seg]) -> Option<&'v mut Value> {
    for seg in path {
        if cur.is_null() {
            *cur = Value::Object(Map::new());
        }
        cur = match seg {
            Seg::Key(k) => cur.as_object_mut()?.entry(*k).or_insert(Value::Null),
            Seg::Name(k) => cur.as_object_mut()?.entry(k.clone()).or_insert(Value::Null),
            Seg::Index(i) => cur.as_array_mut()?.get_mut(*i)?,
        };
    }
    Some(cur)
}

fn set(object: &mut Value, path: &[Seg], v: Value) -> bool {
    match descend(object, path) {
        Some(slot) if slot.is_null() => {
            *slot = v;
            true
        }
        _ => false,
    }
}

fn push(object: &mut Value, path: &[Seg], v: Value) -> bool {
    match descend(object, path) {
        Some(slot) => {
            if slot.is_null() {
                *slot = Value::Array(Vec::new());
            }
            match slot.as_array_mut() {
                Some(a) => {
                    a.push(v);
                    true
                }
                None => false,
            }
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volume_names() {
        assert_eq!(volume_name("/tmp", &[]), "writable-tmp");
        assert_eq!(
            volume_name("/home/appuser/.cache", &[]),
            "writable-home-appuser-cache"
        );
        assert_eq!(
            volume_name("/tmp", &["writable-tmp".into()]),
            "writable-tmp-2"
        );
        assert!(volume_name(&"/x".repeat(100), &[]).len() <= 63);
    }

    #[test]
    fn set_creates_parents_and_keeps_present_values() {
        let mut v = json!({"spec": {"securityContext": null, "other": 1}});
        assert!(set(
            &mut v,
            &[
                Seg::Key("spec"),
                Seg::Key("securityContext"),
                Seg::Key("runAsUser")
            ],
            json!(1000)
        ));
        assert_eq!(
            v,
            json!({"spec": {"securityContext": {"runAsUser": 1000}, "other": 1}})
        );
        assert!(!set(
            &mut v,
            &[
                Seg::Key("spec"),
                Seg::Key("securityContext"),
                Seg::Key("runAsUser")
            ],
            json!(5)
        ));
        assert_eq!(v["spec"]["securityContext"]["runAsUser"], json!(1000));
    }
}
