//! The settings changes that would make the rejected workloads pass, proven by evaluating
//! again: for each rejected workload, an exception scoped to its namespace and the image
//! repositories of its pod (all of them: pod-level values need one exception covering every
//! container, docs/exceptions.md rule 3) that names exactly the fields its containers and pod
//! have and the standard refuses; or, where an existing exception already judges it, that
//! exception amended. Suggested exceptions are appended to the settings (first match wins, so
//! an existing exception keeps its containers) and every object is evaluated again; a floor
//! check that still rejects lowers the suggested exception's `podSecurityStandard` one level
//! at a time. A workload that no exception can make pass (a required field absent, a Windows
//! pod, ...) is left to be fixed in its manifest, and contributes nothing to the suggestions.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::{Map, Value, json};

use super::aggregate::{Key, Workload};
use super::evaluate::{Finding, Verdict};

const ROUNDS: usize = 6;

/// Marks a reason of [`derive`] that is an absent field (`ABSENT subject \t field`).
const ABSENT: &str = "\u{0}absent:";

/// The reasons of [`derive`], the absent fields grouped per subject in one sentence.
fn reasons_text(reasons: &[String]) -> String {
    let mut absent: Vec<(String, Vec<String>)> = Vec::new();
    let mut other = Vec::new();
    for r in reasons {
        match r.strip_prefix(ABSENT).and_then(|r| r.split_once('\t')) {
            Some((subject, field)) => match absent.iter_mut().find(|(s, _)| s == subject) {
                Some((_, fields)) => fields.push(field.to_owned()),
                None => absent.push((subject.to_owned(), vec![field.to_owned()])),
            },
            None => other.push(r.clone()),
        }
    }
    let mut out = Vec::new();
    if !absent.is_empty() {
        let list: Vec<String> = absent
            .iter()
            .map(|(s, f)| format!("{s}: {}", f.join(", ")))
            .collect();
        out.push(format!(
            "not set ({}), and no exception can allow an absent value: set them in the manifest",
            list.join("; ")
        ));
    }
    out.extend(other);
    out.join("; ")
}

/// A suggested exception, verified.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Suggestion {
    /// `add` (a new exception, appended) or `amend` (an existing one, changed in place).
    pub action: &'static str,
    pub name: String,
    pub namespace: String,
    pub images: Vec<String>,
    /// Each field the exception relaxes (or adds), `path: value`.
    pub changes: Vec<String>,
    /// The exception as it would read in the settings.
    pub exception: Value,
    /// The same, as the YAML to paste under `exceptions:`.
    pub yaml: String,
    /// The workloads it is for (`Kind/name`), all of which pass with it.
    pub workloads: Vec<String>,
    /// For a new exception that an existing one without namespaces would otherwise shadow
    /// (first match wins): the existing exception it goes before (at the top of the list).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
}

/// A workload left to its manifest.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Manual {
    pub namespace: String,
    pub workload: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    pub suggestions: Vec<Suggestion>,
    pub manual: Vec<Manual>,
    /// Rejected workloads (protect mode) that pass with the suggested settings.
    pub workloads_passing: usize,
    /// Rejected workloads that still fail with them (should be those of `manual`).
    pub still_rejected: Vec<String>,
    /// Workloads accepted in protect mode that the suggested settings would reject (none,
    /// unless a suggestion is wrong).
    pub newly_rejected: Vec<String>,
    /// The module refused the suggested settings (a bug in the suggestion): its message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invalid_settings: Option<String>,
}

/// What an exception relaxes.
#[derive(Debug, Clone, Default, PartialEq)]
struct Relax {
    run_as_non_root_false: bool,
    run_as_user: Option<(i64, i64)>,
    run_as_group: Option<(i64, i64)>,
    fs_group: Option<(i64, i64)>,
    supplemental_min: Option<i64>,
    seccomp: BTreeSet<String>,
    allow_privilege_escalation: bool,
    writable_root: bool,
    privileged: bool,
    /// What every container drops (the intersection), when a container drops less than required.
    drop: Option<BTreeSet<String>>,
    add: BTreeSet<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Target {
    /// namespace, image repositories.
    New(String, BTreeSet<String>),
    Amend(String),
}

#[derive(Debug, Clone, Default)]
struct Draft {
    relax: Relax,
    /// Extra images for an amended exception (containers it did not cover).
    images: BTreeSet<String>,
    namespaces: BTreeSet<String>,
    workloads: BTreeSet<Key>,
}

/// The repository of an image: without its digest and tag.
pub fn repository(image: &str) -> String {
    let image = image.split('@').next().unwrap_or(image);
    match (image.rfind(':'), image.rfind('/')) {
        (Some(colon), slash) if slash.is_none_or(|s| colon > s) => {
            image.get(..colon).unwrap_or(image).to_owned()
        }
        _ => image.to_owned(),
    }
}

/// The pod spec of an object (Pod, a template-carrying workload, CronJob).
pub fn pod_spec(object: &Value) -> Option<&Value> {
    let spec = object.get("spec")?;
    if object.get("kind").and_then(Value::as_str) == Some("Pod") {
        return Some(spec);
    }
    if let Some(jt) = spec.get("jobTemplate") {
        return jt.get("spec")?.get("template")?.get("spec");
    }
    spec.get("template")?.get("spec")
}

const LISTS: [&str; 3] = ["initContainers", "containers", "ephemeralContainers"];

fn containers(spec: &Value) -> impl Iterator<Item = &Value> {
    LISTS
        .iter()
        .filter_map(|l| spec.get(*l).and_then(Value::as_array))
        .flatten()
}

fn images(spec: &Value) -> BTreeSet<String> {
    containers(spec)
        .filter_map(|c| c.get("image").and_then(Value::as_str))
        .map(repository)
        .collect()
}

/// The container a finding names (`container "x"`), or None for the pod.
fn container<'s>(spec: &'s Value, subject: &str) -> Option<&'s Value> {
    let name = subject.split('"').nth(1)?;
    containers(spec).find(|c| c.get("name").and_then(Value::as_str) == Some(name))
}

fn sc_value<'v>(holder: Option<&'v Value>, path: &[&str]) -> Option<&'v Value> {
    let mut v = holder?.get("securityContext")?;
    for p in path {
        v = v.get(*p)?;
    }
    Some(v).filter(|v| !v.is_null())
}

/// The effective value: the container's own, else the pod's.
fn effective<'v>(spec: &'v Value, c: Option<&'v Value>, path: &[&str]) -> Option<&'v Value> {
    sc_value(c, path).or_else(|| sc_value(Some(spec), path))
}

fn widen(range: &mut Option<(i64, i64)>, v: i64) {
    *range = Some(match *range {
        None => (v, v),
        Some((lo, hi)) => (lo.min(v), hi.max(v)),
    });
}

fn caps(c: Option<&Value>, which: &str) -> BTreeSet<String> {
    sc_value(c, &["capabilities", which])
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Pod Security Standard levels, strictest last.
const LEVELS: [&str; 3] = ["privileged", "baseline", "restricted"];

fn level_index(level: &str) -> usize {
    LEVELS.iter().position(|l| *l == level).unwrap_or(2)
}

/// The level a floor-only check needs to stop rejecting.
fn floor_needs(check: &str) -> Option<usize> {
    match check {
        "restrictedVolumes" | "procMount_restricted" => Some(1),
        "hostProcess"
        | "hostNamespaces"
        | "hostPathVolumes"
        | "hostPorts"
        | "hostProbesAndHostLifecycle"
        | "appArmorProfile"
        | "seLinuxOptions"
        | "procMount"
        | "sysctls" => Some(0),
        _ => None,
    }
}

/// Adds to `relax` what `finding` needs; Err with the reason when no exception can allow it.
fn derive(relax: &mut Relax, f: &Finding, spec: &Value) -> Result<(), String> {
    let c = container(spec, &f.container);
    // Collected by the caller: "not set" for every subject and field together.
    let absent = |what: &str| Err(format!("{ABSENT}{}\t{what}", f.container));
    for check in &f.checks {
        let int = |path: &[&str]| effective(spec, c, path).and_then(Value::as_i64);
        match check.as_str() {
            "runAsNonRoot" | "consistency" => relax.run_as_non_root_false = true,
            "runAsUser" => match int(&["runAsUser"]) {
                Some(v) => {
                    widen(&mut relax.run_as_user, v);
                    if v == 0 {
                        relax.run_as_non_root_false = true;
                    }
                }
                None => return absent("runAsUser"),
            },
            "runAsGroup" => match int(&["runAsGroup"]) {
                Some(v) => widen(&mut relax.run_as_group, v),
                None => return absent("runAsGroup"),
            },
            "fsGroup" => match sc_value(Some(spec), &["fsGroup"]).and_then(Value::as_i64) {
                Some(v) => widen(&mut relax.fs_group, v),
                None => return absent("fsGroup"),
            },
            "supplementalGroups" => {
                let least = sc_value(Some(spec), &["supplementalGroups"])
                    .and_then(Value::as_array)
                    .and_then(|g| g.iter().filter_map(Value::as_i64).min());
                if let Some(m) = least {
                    relax.supplemental_min = Some(relax.supplemental_min.map_or(m, |x| x.min(m)));
                }
            }
            "seccompProfile" => {
                match effective(spec, c, &["seccompProfile", "type"]).and_then(Value::as_str) {
                    Some(t) => {
                        relax.seccomp.insert(t.to_owned());
                    }
                    None => return absent("seccompProfile.type"),
                }
            }
            "allowPrivilegeEscalation" => relax.allow_privilege_escalation = true,
            "readOnlyRootFilesystem" => relax.writable_root = true,
            "privileged" => relax.privileged = true,
            "capabilities" | "capabilities_restricted" | "capabilities_baseline" => {
                let dropped = caps(c, "drop");
                if !dropped.contains("ALL") {
                    relax.drop = Some(match relax.drop.take() {
                        None => dropped,
                        Some(d) => d.intersection(&dropped).cloned().collect(),
                    });
                }
                relax.add.extend(caps(c, "add"));
            }
            "seccompProfile_restricted" | "seccompProfile_baseline" => {
                if let Some(t) =
                    effective(spec, c, &["seccompProfile", "type"]).and_then(Value::as_str)
                {
                    relax.seccomp.insert(t.to_owned());
                }
            }
            other if floor_needs(other).is_some() => {}
            "windowsPods" => {
                return Err(format!(
                    "{}: a Windows pod needs an exception written for it (docs/checks.md, Windows pods)",
                    f.container
                ));
            }
            other => {
                return Err(format!(
                    "{}: check {other} cannot be allowed by an exception: {}",
                    f.container, f.fix
                ));
            }
        }
    }
    Ok(())
}

fn range_value(r: (i64, i64)) -> Value {
    if r.0 == r.1 {
        json!(r.0)
    } else {
        json!({"min": r.0, "max": r.1})
    }
}

/// Widen an existing range value (a number or `{min, max}`) to include `r`.
fn widen_value(existing: Option<&Value>, r: (i64, i64)) -> Value {
    let old = match existing {
        Some(Value::Number(n)) => n.as_i64().map(|v| (v, v)),
        Some(Value::Object(o)) => Some((
            o.get("min").and_then(Value::as_i64).unwrap_or(i64::MIN),
            o.get("max").and_then(Value::as_i64).unwrap_or(i64::MAX),
        )),
        _ => None,
    };
    match old {
        None => range_value(r),
        Some((lo, hi)) => {
            let (lo, hi) = (lo.min(r.0), hi.max(r.1));
            let mut o = Map::new();
            if lo != i64::MIN {
                o.insert("min".into(), json!(lo));
            }
            if hi != i64::MAX {
                o.insert("max".into(), json!(hi));
            }
            if lo == hi {
                json!(lo)
            } else {
                Value::Object(o)
            }
        }
    }
}

/// `v[key]` as an object, created when absent (`v` is an exception: an object).
fn obj<'v>(v: &'v mut Value, key: &str) -> Option<&'v mut Map<String, Value>> {
    let map = v.as_object_mut()?;
    if !map.get(key).is_some_and(Value::is_object) {
        map.insert(key.to_owned(), json!({}));
    }
    map.get_mut(key)?.as_object_mut()
}

/// Writes `relax` into the exception `e`; returns the `path: value` of each change.
fn apply(e: &mut Value, relax: &Relax, pss: Option<usize>) -> Vec<String> {
    let mut changes = Vec::new();
    let mut set = |e: &mut Value, block: &str, key: &str, value: Value| {
        if let Some(map) = obj(e, block)
            && map.get(key) != Some(&value)
        {
            changes.push(format!("{block}.{key}: {value}"));
            map.insert(key.to_owned(), value);
        }
    };
    if relax.run_as_non_root_false {
        set(e, "podSecurityContext", "runAsNonRoot", json!(false));
    }
    for (key, range) in [
        ("runAsUser", relax.run_as_user),
        ("runAsGroup", relax.run_as_group),
        ("fsGroup", relax.fs_group),
    ] {
        if let Some(r) = range {
            let value = widen_value(e.get("podSecurityContext").and_then(|p| p.get(key)), r);
            set(e, "podSecurityContext", key, value);
        }
    }
    if let Some(m) = relax.supplemental_min {
        let value = widen_value(
            e.get("podSecurityContext")
                .and_then(|p| p.get("supplementalGroups")),
            (m, i64::MAX),
        );
        set(e, "podSecurityContext", "supplementalGroups", value);
    }
    if !relax.seccomp.is_empty() {
        let mut types: BTreeSet<String> = match e
            .get("podSecurityContext")
            .and_then(|p| p.get("seccompProfile"))
            .and_then(|s| s.get("type"))
        {
            Some(Value::String(t)) => BTreeSet::from([t.clone()]),
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(|t| t.as_str().map(str::to_owned))
                .collect(),
            _ => BTreeSet::from(["RuntimeDefault".to_owned()]),
        };
        types.extend(relax.seccomp.iter().cloned());
        set(
            e,
            "podSecurityContext",
            "seccompProfile",
            json!({"type": types}),
        );
    }
    if relax.allow_privilege_escalation {
        set(
            e,
            "securityContext",
            "allowPrivilegeEscalation",
            json!(true),
        );
    }
    if relax.writable_root {
        set(e, "securityContext", "readOnlyRootFilesystem", json!(false));
    }
    if relax.privileged {
        set(e, "securityContext", "privileged", json!(true));
    }
    if relax.drop.is_some() || !relax.add.is_empty() {
        let mut capabilities = e
            .get("securityContext")
            .and_then(|s| s.get("capabilities"))
            .cloned()
            .unwrap_or_else(|| json!({}));
        if let Some(drop) = &relax.drop {
            capabilities["drop"] = json!(drop);
        }
        if !relax.add.is_empty() {
            let mut add: BTreeSet<String> = capabilities
                .get("add")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            add.extend(relax.add.iter().cloned());
            capabilities["add"] = json!(add);
        }
        set(e, "securityContext", "capabilities", capabilities);
    }
    if let Some(level) = pss.and_then(|l| LEVELS.get(l))
        && e.get("podSecurityStandard").and_then(Value::as_str) != Some(level)
    {
        changes.push(format!("podSecurityStandard: {level}"));
        if let Some(map) = e.as_object_mut() {
            map.insert("podSecurityStandard".into(), json!(level));
        }
    }
    changes
}

fn new_name(namespace: &str, images: &BTreeSet<String>, taken: &BTreeSet<String>) -> String {
    let base = images
        .iter()
        .next()
        .and_then(|i| i.rsplit('/').next())
        .unwrap_or("workload");
    let stem = format!("{namespace}-{base}");
    let mut name = stem.clone();
    let mut n = 2;
    while taken.contains(&name) {
        name = format!("{stem}-{n}");
        n += 1;
    }
    name
}

/// The evaluation `suggest` needs: every entry with the given settings.
pub trait Reevaluate {
    fn all(&mut self, settings: &Value) -> Result<Vec<Verdict>, String>;
    fn settings_error(&mut self, settings: &Value) -> Result<Option<String>, String>;
}

/// Suggestions for the rejected `workloads`, from the protect-mode `verdicts` of `objects`
/// (the request's object of each entry) and `owners` (each entry's workload).
pub fn suggest(
    protect: &Value,
    workloads: &[Workload],
    objects: &[&Value],
    owners: &[Key],
    verdicts: &[Verdict],
    eval: &mut dyn Reevaluate,
) -> Result<Outcome, String> {
    let existing: Vec<Value> = protect
        .get("exceptions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let top_level = protect
        .get("podSecurityStandard")
        .and_then(Value::as_str)
        .map_or(2, level_index);
    let mut manual: BTreeMap<Key, String> = BTreeMap::new();
    // The floor each workload needs (only ever lowered); a target gets the lowest of its
    // workloads'.
    let mut needs: BTreeMap<Key, usize> = BTreeMap::new();
    let mut levels: BTreeMap<Target, usize> = BTreeMap::new();
    let rejected: BTreeSet<Key> = workloads
        .iter()
        .filter(|w| w.rejected)
        .map(Workload::key)
        .collect();
    let mut settings = protect.clone();
    let mut drafts: BTreeMap<Target, Draft> = BTreeMap::new();
    let mut names: BTreeMap<Target, String> = BTreeMap::new();
    // New exceptions that must come before an unscoped existing one to be matched first.
    let mut front: BTreeSet<Target> = BTreeSet::new();
    let mut invalid = None;
    let mut current = verdicts.to_vec();
    for _round in 0..ROUNDS {
        // Drafts from the protect-mode findings of every rejected workload not left to its manifest.
        drafts.clear();
        let mut targets: BTreeMap<Key, Target> = BTreeMap::new();
        for (i, v) in verdicts.iter().enumerate() {
            let (Some(key), Some(object)) = (owners.get(i), objects.get(i)) else {
                continue;
            };
            if v.accepted || manual.contains_key(key) {
                continue;
            }
            let Some(spec) = pod_spec(object) else {
                let why = v
                    .findings
                    .iter()
                    .find(|f| f.checks.iter().any(|c| c == "malformed"))
                    .map_or_else(
                        || "no pod spec found in the object".to_owned(),
                        |f| f.fix.clone(),
                    );
                manual.insert(key.clone(), why);
                continue;
            };
            let ns = key.0.clone();
            let judged_by = v
                .findings
                .iter()
                .filter(|f| f.deny)
                .find_map(|f| f.exception.clone())
                // An exception that covers some of its containers: amended to cover the pod.
                .or_else(|| v.used.first().map(|u| u.name.clone()))
                .and_then(|e| {
                    existing
                        .iter()
                        .find(|x| x.get("name").and_then(Value::as_str) == Some(&e))
                });
            // An exception without match.namespaces may relax nothing (settings validation):
            // rather than widen its scope, a new one for this namespace goes before it.
            let target = match judged_by {
                Some(e) if has_namespaces(e) => {
                    Target::Amend(e["name"].as_str().unwrap_or_default().to_owned())
                }
                Some(_) => {
                    let t = Target::New(ns.clone(), images(spec));
                    front.insert(t.clone());
                    t
                }
                None => Target::New(ns.clone(), images(spec)),
            };
            if let Some(t) = targets.get(key)
                && *t != target
            {
                manual.insert(
                    key.clone(),
                    "its objects differ (different images or exceptions): fix the workload's template first".into(),
                );
                continue;
            }
            targets.insert(key.clone(), target.clone());
            let mut relax = drafts
                .get(&target)
                .map(|d| d.relax.clone())
                .unwrap_or_default();
            let mut reasons: Vec<String> = Vec::new();
            for f in v.findings.iter().filter(|f| f.deny) {
                if let Err(reason) = derive(&mut relax, f, spec)
                    && !reasons.contains(&reason)
                {
                    reasons.push(reason);
                }
            }
            if !reasons.is_empty() {
                manual.insert(key.clone(), reasons_text(&reasons));
                continue;
            }
            let draft = drafts.entry(target.clone()).or_default();
            draft.relax = relax;
            draft.workloads.insert(key.clone());
            draft.namespaces.insert(ns.clone());
            if let Target::Amend(e) = &target {
                // Containers the exception did not cover: their images join it.
                let covered: BTreeSet<String> = v
                    .used
                    .iter()
                    .filter(|u| &u.name == e)
                    .flat_map(|u| u.containers())
                    .collect();
                for c in containers(spec) {
                    let name = c.get("name").and_then(Value::as_str).unwrap_or_default();
                    if !covered.contains(name)
                        && let Some(image) = c.get("image").and_then(Value::as_str)
                    {
                        draft.images.insert(repository(image));
                    }
                }
            }
            for f in v.findings.iter().filter(|f| f.deny) {
                for c in &f.checks {
                    if let Some(need) = floor_needs(c) {
                        let level = needs.entry(key.clone()).or_insert(top_level);
                        *level = (*level).min(need);
                    }
                }
            }
        }
        // Workloads left to their manifests contribute nothing.
        for d in drafts.values_mut() {
            d.workloads.retain(|k| !manual.contains_key(k));
        }
        drafts.retain(|_, d| !d.workloads.is_empty());
        levels = drafts
            .iter()
            .map(|(t, d)| {
                let level = d
                    .workloads
                    .iter()
                    .filter_map(|k| needs.get(k))
                    .copied()
                    .min()
                    .unwrap_or(top_level);
                (t.clone(), level)
            })
            .collect();

        settings = protect.clone();
        let mut taken: BTreeSet<String> = existing
            .iter()
            .filter_map(|e| e.get("name").and_then(Value::as_str).map(str::to_owned))
            .collect();
        let mut list = existing.clone();
        for (target, draft) in &drafts {
            let pss = levels.get(target).copied().filter(|l| *l < top_level);
            match target {
                Target::Amend(name) => {
                    if let Some(e) = list
                        .iter_mut()
                        .find(|e| e.get("name").and_then(Value::as_str) == Some(name))
                    {
                        apply(e, &draft.relax, pss);
                        add_match(e, "images", &draft.images);
                    }
                }
                Target::New(ns, imgs) => {
                    let name = names
                        .entry(target.clone())
                        .or_insert_with(|| new_name(ns, imgs, &taken))
                        .clone();
                    taken.insert(name.clone());
                    let mut e = json!({
                        "name": name,
                        "reason": format!("TODO: why {} need{} this (suggested by security-context-checker report)",
                            draft.workloads.iter().map(|k| format!("{}/{}", k.1, k.2)).collect::<Vec<_>>().join(", "),
                            if draft.workloads.len() == 1 { "s" } else { "" }),
                        "match": {"namespaces": [ns], "images": imgs},
                    });
                    apply(&mut e, &draft.relax, pss);
                    if front.contains(target) {
                        list.insert(0, e);
                    } else {
                        list.push(e);
                    }
                }
            }
        }
        if let Some(map) = settings.as_object_mut() {
            map.insert("exceptions".into(), Value::Array(list));
        }
        if let Some(message) = eval.settings_error(&settings)? {
            invalid = Some(message);
            break;
        }
        current = eval.all(&settings)?;
        // Still rejected: lower the floor where a floor check rejects, else leave it.
        let mut progress = false;
        for (i, v) in current.iter().enumerate() {
            let Some(key) = owners.get(i) else { continue };
            if v.accepted || !rejected.contains(key) || manual.contains_key(key) {
                continue;
            }
            let Some(target) = targets.get(key) else {
                continue;
            };
            let target_name = match target {
                Target::Amend(n) => Some(n.clone()),
                Target::New(..) => names.get(target).cloned(),
            };
            // The first finding left decides: judged elsewhere, a lower floor, or the manifest.
            if let Some(f) = v.findings.iter().find(|f| f.deny) {
                if f.exception.is_none() || f.exception != target_name {
                    manual.insert(
                        key.clone(),
                        format!(
                            "{} is judged against {} rather than the suggested exception: fix the manifest, or give its containers one exception",
                            f.container,
                            f.exception.as_deref().map_or("the standard".to_owned(), |e| format!("exception {e:?}"))
                        ),
                    );
                    progress = true;
                    continue;
                }
                let level = needs.entry(key.clone()).or_insert(top_level);
                let floor_shared = f.checks.iter().any(|c| {
                    floor_needs(c).is_some()
                        || matches!(
                            c.as_str(),
                            "runAsNonRoot"
                                | "runAsUser"
                                | "allowPrivilegeEscalation"
                                | "privileged"
                                | "capabilities_restricted"
                                | "capabilities_baseline"
                                | "seccompProfile_restricted"
                                | "seccompProfile_baseline"
                        )
                });
                let need = f.checks.iter().filter_map(|c| floor_needs(c)).min();
                let lower = match need {
                    Some(n) if n < *level => Some(n),
                    _ if floor_shared && *level > 0 => Some(level.saturating_sub(1)),
                    _ => None,
                };
                match lower {
                    Some(l) => *level = l,
                    None => {
                        manual.insert(
                            key.clone(),
                            format!(
                                "[{}] {}: {} is {}, which no exception allows; fix: {}",
                                f.checks.join(", "),
                                f.container,
                                f.field,
                                f.found,
                                f.fix
                            ),
                        );
                    }
                }
                progress = true;
            }
        }
        if !progress {
            break;
        }
    }

    // The verdicts with the final settings.
    let mut passing = BTreeSet::new();
    let mut failing = BTreeSet::new();
    for (i, v) in current.iter().enumerate() {
        let Some(key) = owners.get(i) else { continue };
        if v.accepted {
            passing.insert(key.clone());
        } else {
            failing.insert(key.clone());
        }
    }
    let passes = |k: &Key| passing.contains(k) && !failing.contains(k);
    let label = |k: &Key| format!("{}/{}/{}", k.0, k.1, k.2);
    let final_list: Vec<Value> = settings
        .get("exceptions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut suggestions = Vec::new();
    for (target, draft) in &drafts {
        let (action, name) = match target {
            Target::Amend(n) => ("amend", n.clone()),
            Target::New(..) => ("add", names.get(target).cloned().unwrap_or_default()),
        };
        let Some(exception) = final_list
            .iter()
            .find(|e| e.get("name").and_then(Value::as_str) == Some(&name))
            .cloned()
        else {
            continue;
        };
        let mut changes = match target {
            Target::Amend(_) => {
                let mut before = existing
                    .iter()
                    .find(|e| e.get("name").and_then(Value::as_str) == Some(&name))
                    .cloned()
                    .unwrap_or_default();
                let pss = levels.get(target).copied().filter(|l| *l < top_level);
                let mut c = apply(&mut before, &draft.relax, pss);
                for image in &draft.images {
                    c.push(format!("match.images: + {image}"));
                }
                c
            }
            Target::New(..) => {
                let mut blank = json!({});
                let pss = levels.get(target).copied().filter(|l| *l < top_level);
                apply(&mut blank, &draft.relax, pss)
            }
        };
        changes.dedup();
        // The checker's one YAML writer: `on`, `yes`, `n` or `y` read back as the strings.
        let yaml = security_context_input::yaml::to_yaml(&json!([exception]));
        suggestions.push(Suggestion {
            action,
            name,
            namespace: draft
                .namespaces
                .iter()
                .cloned()
                .collect::<Vec<_>>()
                .join(", "),
            images: exception
                .get("match")
                .and_then(|m| m.get("images"))
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
            changes,
            exception,
            yaml,
            before: front
                .contains(target)
                .then(|| {
                    existing
                        .first()
                        .and_then(|e| e.get("name"))
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                })
                .flatten(),
            workloads: draft
                .workloads
                .iter()
                .map(|k| format!("{}/{}", k.1, k.2))
                .collect(),
        });
    }
    let manual = manual
        .into_iter()
        .filter(|(k, _)| rejected.contains(k))
        .map(|(k, reason)| Manual {
            namespace: k.0.clone(),
            workload: format!("{}/{}", k.1, k.2),
            reason,
        })
        .collect();
    Ok(Outcome {
        suggestions,
        manual,
        workloads_passing: rejected.iter().filter(|k| passes(k)).count(),
        still_rejected: rejected.iter().filter(|k| !passes(k)).map(label).collect(),
        newly_rejected: workloads
            .iter()
            .filter(|w| !w.rejected && failing.contains(&w.key()))
            .map(|w| label(&w.key()))
            .collect(),
        invalid_settings: invalid,
    })
}

fn has_namespaces(e: &Value) -> bool {
    e.get("match")
        .and_then(|m| m.get("namespaces"))
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty())
}

fn add_match(e: &mut Value, key: &str, values: &BTreeSet<String>) {
    if values.is_empty() {
        return;
    }
    let Some(m) = obj(e, "match") else { return };
    let list = m.entry(key.to_owned()).or_insert_with(|| json!([]));
    if let Some(a) = list.as_array_mut() {
        for v in values {
            if !a.iter().any(|x| x.as_str() == Some(v)) {
                a.push(json!(v));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repositories_drop_tag_and_digest_but_keep_a_port() {
        assert_eq!(repository("postgres:16.4"), "postgres");
        assert_eq!(
            repository("registry.matih.io:5000/matih/ai:2.4.1"),
            "registry.matih.io:5000/matih/ai"
        );
        assert_eq!(
            repository("registry.matih.io:5000/matih/ai"),
            "registry.matih.io:5000/matih/ai"
        );
        assert_eq!(
            repository(&format!("postgres:16@sha256:{}", "a".repeat(64))),
            "postgres"
        );
    }

    #[test]
    fn ranges_widen() {
        assert_eq!(
            widen_value(Some(&json!(999)), (1001, 1001)),
            json!({"min": 999, "max": 1001})
        );
        assert_eq!(widen_value(None, (0, 0)), json!(0));
        assert_eq!(
            widen_value(Some(&json!({"min": 1})), (0, i64::MAX)),
            json!({"min": 0})
        );
    }
}
