//! Evaluation: from the `validate` payload to a verdict.
//!
//! Parse once: the request envelope borrows from the payload bytes, the object is read into
//! the lean pod view of its kind, profiles are selected per container, every registered check
//! runs, and `crate::verdict` renders what they found.

use crate::checks::{self, Ctx, Violation};
use crate::image_user::{self, ImageUserLookup, ImageUsers};
use crate::mutate;
use crate::profile::Profile;
use crate::settings::Settings;
use crate::settings::image::parse_image;
use crate::verdict::{self, Outcome};
use crate::view::{ObjectMeta, PodSpec, Str, Template};
use serde::Deserialize;
use serde_json::value::RawValue;

/// The `validate` payload, read in one pass: the request's envelope is typed, its object is
/// kept as raw JSON (read into the view of its kind once the kind is known).
#[derive(Deserialize)]
pub struct Payload<'a> {
    #[serde(borrow, default)]
    pub request: Option<Request<'a>>,
    #[serde(borrow, default)]
    pub settings: Option<&'a RawValue>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Request<'a> {
    #[serde(borrow, default)]
    pub kind: Option<Gvk<'a>>,
    #[serde(borrow, default)]
    pub operation: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub namespace: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub name: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub sub_resource: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub object: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub old_object: Option<&'a RawValue>,
}

#[derive(Deserialize, Default)]
pub struct Gvk<'a> {
    #[serde(borrow, default)]
    pub group: Str<'a>,
    #[serde(borrow, default)]
    pub kind: Str<'a>,
}

/// Where the pod template sits in each kind of object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `spec` is the pod spec.
    Pod,
    /// `spec.template` is the pod template (Deployment, ReplicaSet, StatefulSet, DaemonSet,
    /// ReplicationController, Job).
    Template,
    /// `spec.jobTemplate.spec.template` (CronJob).
    CronJob,
}

impl Shape {
    pub fn of(group: &str, kind: &str) -> Option<Shape> {
        match (group, kind) {
            ("", "Pod") => Some(Shape::Pod),
            ("", "ReplicationController")
            | ("apps", "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet")
            | ("batch", "Job") => Some(Shape::Template),
            ("batch", "CronJob") => Some(Shape::CronJob),
            _ => None,
        }
    }
    /// The path from the object to the pod template (empty for a Pod).
    pub fn prefix(self) -> &'static str {
        match self {
            Shape::Pod => "",
            Shape::Template => "spec.template.",
            Shape::CronJob => "spec.jobTemplate.spec.template.",
        }
    }
}

/// The object under review, reduced to what the checks need.
pub struct Target<'a> {
    pub shape: Shape,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    /// Metadata of the pod template (labels for exceptions, AppArmor annotations).
    pub template_meta: ObjectMeta<'a>,
    pub spec: PodSpec<'a>,
}

/// Reads the object of a request into the view of its shape. One view type serves every kind
/// (a pod spec that may also carry `template` or `jobTemplate`), so the deserializer exists
/// once in the module.
fn read_object<'a>(
    shape: Shape,
    text: &'a str,
) -> Result<(Option<ObjectMeta<'a>>, ObjectMeta<'a>, PodSpec<'a>), String> {
    split_object(shape, parse_obj(text)?)
}

/// The object's own metadata, the pod template's metadata and the pod spec, by shape.
fn split_object(
    shape: Shape,
    o: Template<'_>,
) -> Result<(Option<ObjectMeta<'_>>, ObjectMeta<'_>, PodSpec<'_>), String> {
    let missing = |what: &str| format!("the object has no {what}");
    match shape {
        Shape::Pod => {
            let spec = o.spec.ok_or_else(|| missing("spec"))?;
            Ok((None, o.metadata.unwrap_or_default(), spec))
        }
        Shape::Template => {
            let t = o
                .spec
                .and_then(|s| s.template)
                .ok_or_else(|| missing("spec.template"))?;
            let spec = t.spec.ok_or_else(|| missing("spec.template.spec"))?;
            Ok((o.metadata, t.metadata.unwrap_or_default(), spec))
        }
        Shape::CronJob => {
            let t = o
                .spec
                .and_then(|s| s.job_template)
                .and_then(|j| j.spec)
                .and_then(|s| s.template)
                .ok_or_else(|| missing("spec.jobTemplate.spec.template"))?;
            let spec = t
                .spec
                .ok_or_else(|| missing("spec.jobTemplate.spec.template.spec"))?;
            Ok((o.metadata, t.metadata.unwrap_or_default(), spec))
        }
    }
}

/// Parses the object; an error names the path of the offending field.
fn parse_obj<'a, T: Deserialize<'a>>(text: &'a str) -> Result<T, String> {
    serde_json::from_str(text)
        .map_err(|e| format!("object.{}", crate::json_path::describe(text, &e)))
}

/// What an UPDATE must leave unchanged to skip evaluation, as a generic JSON value: the whole
/// pod template of a workload (its metadata too: labels select exceptions and annotations carry
/// AppArmor profiles), and for a Pod its spec and annotations. Scaling or relabelling the
/// workload itself changes neither.
fn pod_template_value(shape: Shape, raw: &RawValue) -> Option<serde_json::Value> {
    let mut v: serde_json::Value = serde_json::from_str(raw.get()).ok()?;
    match shape {
        Shape::Pod => {
            let spec = v.pointer_mut("/spec").map(serde_json::Value::take)?;
            let annotations = v
                .pointer_mut("/metadata/annotations")
                .map(serde_json::Value::take)
                .unwrap_or_default();
            Some(serde_json::json!([spec, annotations]))
        }
        Shape::Template => v.pointer_mut("/spec/template").map(serde_json::Value::take),
        Shape::CronJob => v
            .pointer_mut("/spec/jobTemplate/spec/template")
            .map(serde_json::Value::take),
    }
}

/// What the request gate decides before the object is read.
#[derive(Debug, PartialEq, Eq)]
pub enum Gate<'r> {
    /// A kind, operation and subresource the policy judges.
    Judge(Shape, &'r str),
    /// Something the policy does not judge (another kind, DELETE, CONNECT, another subresource).
    Accept,
    /// A request no API server sends: rejected, never trusted.
    Malformed(String),
}

/// The one request gate, shared by the fast and the general path. A missing, empty or unknown
/// operation is malformed whatever the kind: accepting it would let a request that names no
/// operation skip every check.
pub fn gate<'r>(
    kind: Option<&Gvk<'_>>,
    operation: Option<&'r str>,
    sub_resource: Option<&str>,
) -> Gate<'r> {
    let Some(gvk) = kind else {
        return Gate::Malformed("the admission request has no kind".to_owned());
    };
    let op = match operation {
        None => {
            return Gate::Malformed(
                "the admission request has no operation (expected CREATE, UPDATE, DELETE or CONNECT)"
                    .to_owned(),
            );
        }
        Some(op @ ("CREATE" | "UPDATE")) => op,
        Some("DELETE" | "CONNECT") => return Gate::Accept,
        Some(other) => {
            return Gate::Malformed(format!(
                "the admission request's operation {other:?} is not one of CREATE, UPDATE, DELETE, CONNECT (operations are upper case)"
            ));
        }
    };
    let Some(shape) = Shape::of(&gvk.group, &gvk.kind) else {
        return Gate::Accept;
    };
    match sub_resource.unwrap_or("") {
        "" => Gate::Judge(shape, op),
        "ephemeralcontainers" if shape == Shape::Pod => Gate::Judge(shape, op),
        _ => Gate::Accept,
    }
}

/// Selects the profile of each container (first matching exception, else the standard) and
/// the profile for pod-level fields (an exception only when it covers every container).
pub fn select_profiles<'s>(
    settings: &'s Settings,
    namespace: &str,
    meta: &ObjectMeta<'_>,
    pod: &PodSpec<'_>,
) -> (Vec<&'s Profile>, &'s Profile) {
    if settings.exceptions.is_empty() {
        return (
            vec![&settings.standard; pod.container_count()],
            &settings.standard,
        );
    }
    let empty = crate::view::Labels::default();
    let labels = meta.labels.as_ref().unwrap_or(&empty);
    let mut chosen: Vec<Option<usize>> = Vec::with_capacity(pod.container_count());
    for c in pod.visit() {
        let image = c
            .container
            .image
            .as_deref()
            .and_then(|i| parse_image(i).ok());
        let hit = settings
            .exceptions
            .iter()
            .position(|e| e.matches(namespace, labels, image.as_ref()));
        chosen.push(hit);
    }
    let profiles = chosen
        .iter()
        .map(|h| {
            h.and_then(|i| settings.exceptions.get(i))
                .map_or(&settings.standard, |e| &e.profile)
        })
        .collect();
    let pod_profile = match chosen.first() {
        Some(Some(first)) if chosen.iter().all(|h| *h == Some(*first)) => settings
            .exceptions
            .get(*first)
            .map_or(&settings.standard, |e| &e.profile),
        _ => &settings.standard,
    };
    (profiles, pod_profile)
}

/// Runs every registered check.
pub fn run_checks(ctx: &Ctx<'_, '_>) -> Vec<Violation> {
    let mut out = Vec::new();
    for check in checks::REGISTRY {
        (check.run)(ctx, &mut out);
    }
    out
}

/// Evaluates a `validate` payload against already compiled settings.
pub fn evaluate_request(
    req: &Request<'_>,
    settings: &Settings,
    lookup: &mut dyn ImageUserLookup,
) -> Outcome {
    let (shape, op) = match gate(
        req.kind.as_ref(),
        req.operation.as_deref(),
        req.sub_resource.as_deref(),
    ) {
        Gate::Judge(shape, op) => (shape, op),
        Gate::Accept => return Outcome::accept(),
        Gate::Malformed(e) => return Outcome::malformed(e),
    };
    let kind = req.kind.as_ref().map_or("", |g| &g.kind).to_owned();
    let Some(object) = req.object else {
        return Outcome::malformed(format!("the {op} request for a {kind} has no object"));
    };
    if op == "UPDATE"
        && let Some(old) = req.old_object
    {
        let (new, old) = (
            pod_template_value(shape, object),
            pod_template_value(shape, old),
        );
        if new.is_some() && new == old {
            return Outcome::accept();
        }
    }
    let target = match build_target(shape, &kind, object.get(), req) {
        Ok(t) => t,
        Err(e) => return Outcome::malformed(e),
    };
    // Pods are immutable once created (an UPDATE could not take the edits); workload templates
    // can be filled in on CREATE and UPDATE.
    let may_mutate = op == "CREATE" || shape != Shape::Pod;
    if settings.mutation.enabled && may_mutate {
        let edits = mutate::plan(
            shape,
            settings,
            &target.namespace,
            &target.template_meta,
            &target.spec,
        );
        if !edits.is_empty() {
            let mut value: serde_json::Value = match serde_json::from_str(object.get()) {
                Ok(v) => v,
                Err(e) => return Outcome::malformed(format!("{kind} could not be read: {e}")),
            };
            if mutate::apply(&mut value, &edits) {
                let text = value.to_string();
                let mutated = match build_target(shape, &kind, &text, req) {
                    Ok(t) => t,
                    Err(e) => return Outcome::malformed(e),
                };
                let mut out = evaluate_target(&mutated, settings, lookup);
                if out.accepted {
                    out.mutated_object = Some(value);
                }
                return out;
            }
        }
    }
    evaluate_target(&target, settings, lookup)
}

/// Reads the object text into a target, with the request's namespace and name.
fn build_target<'a>(
    shape: Shape,
    kind: &str,
    text: &'a str,
    req: &Request<'_>,
) -> Result<Target<'a>, String> {
    let parts = read_object(shape, text).map_err(|e| format!("{kind} could not be read: {e}"))?;
    Ok(assemble(
        shape,
        kind,
        parts,
        req.namespace.as_deref(),
        req.name.as_deref(),
    ))
}

/// A target from the object's parts, the request's namespace and the request's name (the
/// object's own when the request names none).
fn assemble<'a>(
    shape: Shape,
    kind: &str,
    (object_meta, template_meta, spec): (Option<ObjectMeta<'a>>, ObjectMeta<'a>, PodSpec<'a>),
    namespace: Option<&str>,
    name: Option<&str>,
) -> Target<'a> {
    let own_meta = object_meta.as_ref().unwrap_or(&template_meta);
    // The request's namespace is the only one that counts: the object's own
    // `metadata.namespace` is written by whoever sends it, so a request without a namespace
    // gets no namespace-scoped exception.
    let namespace = namespace.unwrap_or("").to_owned();
    let name = name
        .filter(|n| !n.is_empty())
        .or(own_meta.name.as_deref())
        .map(str::to_owned)
        .or_else(|| own_meta.generate_name.as_deref().map(|g| format!("{g}*")))
        .unwrap_or_else(|| "(unnamed)".to_owned());
    Target {
        shape,
        kind: kind.to_owned(),
        namespace,
        name,
        template_meta,
        spec,
    }
}

/// The request envelope with the object read straight into the view, in the same pass as the
/// payload (the hot path: one scan of the request bytes).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ViewRequest<'a> {
    #[serde(borrow, default)]
    kind: Option<Gvk<'a>>,
    #[serde(borrow, default)]
    operation: Option<Str<'a>>,
    #[serde(borrow, default)]
    namespace: Option<Str<'a>>,
    #[serde(borrow, default)]
    name: Option<Str<'a>>,
    #[serde(borrow, default)]
    sub_resource: Option<Str<'a>>,
    #[serde(borrow, default)]
    object: Option<Template<'a>>,
    #[serde(default)]
    old_object: Option<serde::de::IgnoredAny>,
}

#[derive(Deserialize)]
struct ViewPayload<'a> {
    #[serde(borrow, default)]
    request: Option<ViewRequest<'a>>,
    #[serde(borrow, default)]
    settings: Option<&'a RawValue>,
}

/// The hot path: a CREATE (or an UPDATE without an old object) of a judged kind, without
/// mutation, read in one pass. `None` when the request needs the raw object (UPDATE comparison,
/// mutation) or does not read cleanly: the caller then takes the general path, which also
/// words the errors.
pub fn evaluate_fast(payload: &[u8], lookup: &mut dyn ImageUserLookup) -> Option<Outcome> {
    let text = std::str::from_utf8(payload).ok()?;
    let p: ViewPayload = serde_json::from_str(text).ok()?;
    let req = p.request?;
    let settings_bytes = p.settings.map_or(&b"{}"[..], |s| s.get().as_bytes());
    let settings = crate::compiled_settings(settings_bytes).ok()?;
    let (shape, op) = match gate(
        req.kind.as_ref(),
        req.operation.as_deref(),
        req.sub_resource.as_deref(),
    ) {
        Gate::Judge(shape, op) => (shape, op),
        Gate::Accept => return Some(Outcome::accept()),
        // The general path words the error.
        Gate::Malformed(_) => return None,
    };
    let gvk = req.kind.as_ref()?;
    let may_mutate = op == "CREATE" || shape != Shape::Pod;
    if (op == "UPDATE" && req.old_object.is_some()) || (settings.mutation.enabled && may_mutate) {
        return None;
    }
    let parts = split_object(shape, req.object?).ok()?;
    let target = assemble(
        shape,
        &gvk.kind,
        parts,
        req.namespace.as_deref(),
        req.name.as_deref(),
    );
    Some(evaluate_target(&target, &settings, lookup))
}

/// Evaluates a pod (or workload template) already read.
pub fn evaluate_target(
    t: &Target<'_>,
    settings: &Settings,
    lookup: &mut dyn ImageUserLookup,
) -> Outcome {
    let (container_profiles, pod_profile) =
        select_profiles(settings, &t.namespace, &t.template_meta, &t.spec);
    let image_users = if settings.image_user.verify {
        image_user::resolve(&t.spec, lookup)
    } else {
        ImageUsers::new()
    };
    let ctx = Ctx {
        pod: &t.spec,
        meta: &t.template_meta,
        settings,
        container_profiles,
        pod_profile,
        image_users: &image_users,
    };
    let violations = run_checks(&ctx);
    verdict::render(t, &ctx, violations)
}

/// Reads the `validate` payload.
pub fn read_payload(payload: &[u8]) -> Result<Payload<'_>, String> {
    let text =
        std::str::from_utf8(payload).map_err(|e| format!("the payload is not UTF-8: {e}"))?;
    serde_json::from_str(text).map_err(|e| {
        format!("the payload is not a JSON object with an admission `request` and `settings`: {e}")
    })
}
