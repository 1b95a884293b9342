//! The object under review: the request envelope, the one request gate, where the pod template
//! sits in each kind, and which profile judges each container.
//!
//! Parse once: the envelope borrows from the payload bytes; its object is either read straight
//! into the lean view (the hot path) or kept as raw JSON (UPDATE comparison, mutation).

use crate::image::parse_image;
use crate::profile::Profile;
use crate::settings::{Candidate, Requester, Settings};
use crate::view::{ObjectMeta, PodSpec, Str, Template};
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::value::RawValue;

/// The `validate` payload: the admission request and the policy's settings (kept raw: they are
/// recognised by their bytes and compiled once).
#[derive(Deserialize)]
pub struct Payload<'a, O, P> {
    #[serde(
        borrow,
        default = "none",
        bound(deserialize = "O: Deserialize<'de>, P: Deserialize<'de>")
    )]
    pub request: Option<Request<'a, O, P>>,
    #[serde(borrow, default)]
    pub settings: Option<&'a RawValue>,
}

/// The admission request, with its object (and old object) read as `O` (and `P`): the view for
/// the hot path, raw JSON for the general one.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Request<'a, O, P> {
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
    pub user_info: Option<UserInfo<'a>>,
    #[serde(default = "none")]
    pub object: Option<O>,
    #[serde(default = "none")]
    pub old_object: Option<P>,
}

fn none<T>() -> Option<T> {
    None
}

/// The hot path's payload: the object read into the view in the same pass as the envelope.
pub type ViewPayload<'a> = Payload<'a, Template<'a>, IgnoredAny>;
/// The general path's payload: objects kept as raw JSON.
pub type RawPayload<'a> = Payload<'a, &'a RawValue, &'a RawValue>;
pub type RawRequest<'a> = Request<'a, &'a RawValue, &'a RawValue>;

/// Who sends the request, as the API server authenticated them.
#[derive(Deserialize, Default)]
pub struct UserInfo<'a> {
    #[serde(borrow, default)]
    pub username: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub groups: Option<Vec<Str<'a>>>,
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

impl<O, P> Request<'_, O, P> {
    /// The one request gate, for the hot and the general path alike. A missing, empty or
    /// unknown operation is malformed whatever the kind: accepting it would let a request that
    /// names no operation skip every check.
    pub fn gate(&self) -> Gate<'_> {
        let Some(gvk) = &self.kind else {
            return Gate::Malformed("the admission request has no kind".to_owned());
        };
        let op = match self.operation.as_deref() {
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
        match self.sub_resource.as_deref().unwrap_or("") {
            "" => Gate::Judge(shape, op),
            "ephemeralcontainers" if shape == Shape::Pod => Gate::Judge(shape, op),
            _ => Gate::Accept,
        }
    }

    /// The kind named by the request (empty when it names none).
    pub fn kind_name(&self) -> &str {
        self.kind.as_ref().map_or("", |g| &g.kind)
    }
}

/// The object under review, reduced to what the checks need.
pub struct Target<'a> {
    pub shape: Shape,
    pub kind: String,
    /// The request's namespace (empty when it names none).
    pub namespace: String,
    pub name: String,
    /// Metadata of the pod template (labels for exceptions, AppArmor annotations).
    pub template_meta: ObjectMeta<'a>,
    pub spec: PodSpec<'a>,
    /// The requesting user (`userInfo.username`; empty when the request names none).
    pub username: String,
    /// The requesting user's groups (`userInfo.groups`).
    pub groups: Vec<String>,
}

impl<'a> Target<'a> {
    /// Reads an object's text into a target, with the request's namespace and name.
    pub fn read<O, P>(
        shape: Shape,
        text: &'a str,
        req: &Request<'_, O, P>,
    ) -> Result<Target<'a>, String> {
        let kind = req.kind_name();
        let object = parse_obj(text).map_err(|e| format!("{kind} could not be read: {e}"))?;
        Target::assemble(shape, object, req).map_err(|e| format!("{kind} could not be read: {e}"))
    }

    /// A target from an object already read into the view (the hot path).
    pub fn assemble<O, P>(
        shape: Shape,
        object: Template<'a>,
        req: &Request<'_, O, P>,
    ) -> Result<Target<'a>, String> {
        let (object_meta, template_meta, spec) = split_object(shape, object)?;
        let own_meta = object_meta.as_ref().unwrap_or(&template_meta);
        // The request's namespace is the only one that counts: the object's own
        // `metadata.namespace` is written by whoever sends it, so a request without a
        // namespace gets no namespace-scoped exception.
        let namespace = req.namespace.as_deref().unwrap_or("").to_owned();
        let name = req
            .name
            .as_deref()
            .filter(|n| !n.is_empty())
            .or(own_meta.name.as_deref())
            .map(str::to_owned)
            .or_else(|| own_meta.generate_name.as_deref().map(|g| format!("{g}*")))
            .unwrap_or_else(|| "(unnamed)".to_owned());
        let user = req.user_info.as_ref();
        Ok(Target {
            shape,
            kind: req.kind_name().to_owned(),
            namespace,
            name,
            template_meta,
            spec,
            username: user
                .and_then(|u| u.username.as_deref())
                .unwrap_or("")
                .to_owned(),
            groups: user
                .and_then(|u| u.groups.as_ref())
                .map(|g| g.iter().map(|s| s.to_string()).collect())
                .unwrap_or_default(),
        })
    }

    /// Who sends the request.
    pub fn requester(&self) -> Requester<'_> {
        Requester {
            username: &self.username,
            groups: &self.groups,
        }
    }

    /// Selects the profile of each container and of the pod-level fields.
    pub fn profiles<'s>(&self, settings: &'s Settings) -> (Vec<&'s Profile>, &'s Profile) {
        select_profiles(
            settings,
            &self.namespace,
            &self.template_meta,
            &self.spec,
            self.requester(),
        )
    }
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
pub fn pod_template_value(shape: Shape, raw: &RawValue) -> Option<serde_json::Value> {
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

/// Selects the profile of each container (first matching exception, else the standard) and
/// the profile for pod-level fields (an exception only when it covers every container).
pub fn select_profiles<'s>(
    settings: &'s Settings,
    namespace: &str,
    meta: &ObjectMeta<'_>,
    pod: &PodSpec<'_>,
    requester: Requester<'_>,
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
        let candidate = Candidate {
            namespace,
            labels,
            image: image.as_ref(),
            kind: c.kind,
            requester,
        };
        let hit = settings
            .exception_index
            .candidates(namespace, image.as_ref())
            .into_iter()
            .find(|&i| {
                settings
                    .exceptions
                    .get(i)
                    .is_some_and(|e| e.matches(&candidate))
            });
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

/// Reads the `validate` payload for the general path.
pub fn read_payload(payload: &[u8]) -> Result<RawPayload<'_>, String> {
    let text =
        std::str::from_utf8(payload).map_err(|e| format!("the payload is not UTF-8: {e}"))?;
    serde_json::from_str(text).map_err(|e| {
        format!("the payload is not a JSON object with an admission `request` and `settings`: {e}")
    })
}
