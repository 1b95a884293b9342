//! The browser playground's adapter (CONTRACT §7): the evaluation core of
//! `security-context-policy`, compiled for `wasm32-unknown-unknown` and exported through
//! wasm-bindgen. Like the waPC glue and the offline checker it is a thin adapter: it wraps the
//! objects the page parsed into the AdmissionRequests the API server would send, hands the core
//! the very payload Kubewarden hands the module (`{"request": …, "settings": …}`), answers
//! image-user lookups from a table the page supplies, and returns the core's results as JSON.
//!
//! Every export takes and returns JSON text, so the page and the tests see exactly the bytes
//! the Kubewarden module returns (`response`), next to the structured rows (`outcome`).

use security_context_policy::checks::REGISTRY;
use security_context_policy::image_user::ImageUserLookup;
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use wasm_bindgen::prelude::wasm_bindgen;

/// The namespace of a namespaced object that names none, as `kubectl apply` without `-n`.
pub const DEFAULT_NAMESPACE: &str = "default";

/// Kinds that live outside namespaces: their requests carry no namespace.
const CLUSTER_SCOPED: &[&str] = &[
    "Namespace",
    "Node",
    "PersistentVolume",
    "StorageClass",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "PriorityClass",
    "RuntimeClass",
    "IngressClass",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "APIService",
    "CSIDriver",
    "CSINode",
    "VolumeAttachment",
    "ClusterAdmissionPolicy",
    "ClusterAdmissionPolicyGroup",
    "PolicyServer",
];

/// The resource (lower-case plural) the API server names for `kind`.
fn resource_for_kind(kind: &str) -> String {
    let lower = kind.to_ascii_lowercase();
    match lower.as_str() {
        "endpoints" => return lower,
        "ingress" => return "ingresses".to_owned(),
        _ => {}
    }
    if let Some(stem) = lower
        .strip_suffix('y')
        .filter(|s| !s.ends_with(['a', 'e', 'o', 'u']))
    {
        format!("{stem}ies")
    } else if lower.ends_with('s')
        || lower.ends_with('x')
        || lower.ends_with("ch")
        || lower.ends_with("sh")
    {
        format!("{lower}es")
    } else {
        format!("{lower}s")
    }
}

fn str_at<'v>(v: &'v Value, key: &str) -> Option<&'v str> {
    v.get(key).and_then(Value::as_str)
}

/// The CREATE AdmissionRequest the API server sends for `object`, in its own namespace or
/// `default_namespace`.
pub fn create_request(object: Value, default_namespace: &str, uid: usize) -> Value {
    let kind = str_at(&object, "kind").unwrap_or("").to_owned();
    let api_version = str_at(&object, "apiVersion").unwrap_or("v1");
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    let metadata = object.get("metadata");
    let name = metadata.and_then(|m| str_at(m, "name")).unwrap_or("");
    let gvk = json!({ "group": group, "version": version, "kind": kind });
    let resource =
        json!({ "group": group, "version": version, "resource": resource_for_kind(&kind) });
    let mut request = json!({
        "uid": format!("00000000-0000-4000-8000-{uid:012x}"),
        "kind": gvk,
        "resource": resource,
        "requestKind": gvk,
        "requestResource": resource,
        "name": name,
        "operation": "CREATE",
        "userInfo": {
            "username": "kubernetes-admin",
            "groups": ["system:masters", "system:authenticated"]
        },
        "oldObject": null,
        "dryRun": false,
        "options": { "apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions" }
    });
    if !CLUSTER_SCOPED.contains(&kind.as_str()) {
        let namespace = metadata
            .and_then(|m| str_at(m, "namespace"))
            .filter(|ns| !ns.is_empty())
            .unwrap_or(default_namespace)
            .to_owned();
        if let Some(map) = request.as_object_mut() {
            map.insert("namespace".to_owned(), Value::String(namespace));
        }
    }
    if let Some(map) = request.as_object_mut() {
        map.insert("object".to_owned(), object);
    }
    request
}

/// What one document holds: objects to wrap, ready AdmissionRequests, or a list of either.
enum Shape {
    Object(Value),
    Request(Value),
    List(Vec<Value>),
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Reads a document the way the offline checker does: plain objects, `List`s (and `*List`s),
/// AdmissionRequests and AdmissionReviews.
fn shape_of(doc: Value) -> Result<Shape, String> {
    let map = match doc {
        Value::Object(map) => map,
        Value::Array(items) => return Ok(Shape::List(items)),
        other => {
            return Err(format!(
                "expected a Kubernetes object, found {}",
                type_name(&other)
            ));
        }
    };
    let kind = map.get("kind").and_then(Value::as_str);
    if kind == Some("AdmissionReview") {
        return match map.get("request") {
            Some(request @ Value::Object(_)) => Ok(Shape::Request(request.clone())),
            Some(other) => Err(format!(
                "AdmissionReview.request must be an object, found {}",
                type_name(other)
            )),
            None => Err("AdmissionReview without a request".to_owned()),
        };
    }
    if map.contains_key("uid") && (map.contains_key("object") || map.contains_key("operation")) {
        return Ok(Shape::Request(Value::Object(map)));
    }
    if let Some(kind) = kind
        && kind.ends_with("List")
        && let Some(Value::Array(items)) = map.get("items")
    {
        return Ok(Shape::List(items.clone()));
    }
    match (kind, map.get("apiVersion").and_then(Value::as_str)) {
        (Some(k), Some(v)) if !k.is_empty() && !v.is_empty() => {
            Ok(Shape::Object(Value::Object(map)))
        }
        (None | Some(""), _) => Err("not a Kubernetes object: no kind".to_owned()),
        _ => Err("not a Kubernetes object: no apiVersion".to_owned()),
    }
}

/// An image-user table from JSON: image → the `User` its config names (a string, a
/// non-negative integer, or null / `""` for none).
pub fn image_user_table(json: &str) -> Result<BTreeMap<String, String>, String> {
    let trimmed = json.trim();
    if trimmed.is_empty() || trimmed == "null" {
        return Ok(BTreeMap::new());
    }
    let map: Map<String, Value> = serde_json::from_str(trimmed)
        .map_err(|e| format!("the image-user table must be a mapping image: user ({e})"))?;
    let mut out = BTreeMap::new();
    for (image, user) in map {
        if image.trim().is_empty() {
            return Err("the image-user table has an empty image name".to_owned());
        }
        let user = match user {
            Value::String(s) => s,
            Value::Number(n) if n.is_u64() => n.to_string(),
            Value::Null => String::new(),
            other => {
                return Err(format!(
                    "image {image:?}: the user must be a string or a non-negative integer, found {}",
                    type_name(&other)
                ));
            }
        };
        out.insert(image, user);
    }
    Ok(out)
}

/// The repository of an image reference: without its tag or digest (`nginx:1.27` → `nginx`).
pub fn repository_of(image: &str) -> &str {
    let without_digest = image.split_once('@').map_or(image, |(repo, _)| repo);
    match without_digest.rfind(':') {
        Some(colon) if !without_digest[colon..].contains('/') => &without_digest[..colon],
        _ => without_digest,
    }
}

/// Image-user lookups answered from the page's table, as the offline checker's
/// `--image-users` answers them: the image as the pod names it, then without its tag or
/// digest; an image missing from the table fails like an unreachable registry.
pub struct PageLookup(pub BTreeMap<String, String>);

impl ImageUserLookup for PageLookup {
    fn user(&mut self, image: &str) -> Result<String, String> {
        match self
            .0
            .get(image)
            .or_else(|| self.0.get(repository_of(image)))
        {
            Some(user) => Ok(user.clone()),
            // The words of the module behind the checker's host (its waPC host error), so the
            // verdicts stay identical to the checker's.
            None => Err(format!(
                "OCI lookup failed: Host error: no such image in the image-user table: {image}"
            )),
        }
    }
}

/// The verdict on one object.
#[derive(Serialize)]
pub struct Evaluated {
    /// 1-based number of the document the object came from.
    pub document: usize,
    /// 0-based position in the `List` the object came from, if any.
    pub item: Option<usize>,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
    /// The object as sent (the request's `object`), for the mutation diff.
    pub object: Value,
    /// The core's full result: the response fields plus the violation rows.
    pub outcome: security_context_policy::verdict::Outcome,
    /// The exact `ValidationResponse` the Kubewarden module returns for this request.
    pub response: Box<RawValue>,
}

/// A document that could not be read as objects.
#[derive(Serialize)]
pub struct DocumentError {
    pub document: usize,
    pub message: String,
}

/// Settings validation as the module answers it: `{"valid": bool, "message"?}`.
#[derive(Serialize, serde::Deserialize)]
pub struct Validity {
    pub valid: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Everything the page shows for one state of the editors.
#[derive(Serialize)]
pub struct Report {
    pub settings: Validity,
    pub image_users: Validity,
    pub results: Vec<Evaluated>,
    pub errors: Vec<DocumentError>,
}

fn request_meta(request: &Value) -> (String, Option<String>, String) {
    let object = request.get("object").filter(|o| o.is_object());
    let kind = request
        .get("kind")
        .and_then(|k| str_at(k, "kind"))
        .or_else(|| object.and_then(|o| str_at(o, "kind")))
        .unwrap_or("<unknown kind>")
        .to_owned();
    let name = str_at(request, "name")
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .or_else(|| {
            let meta = object.and_then(|o| o.get("metadata"))?;
            str_at(meta, "name")
                .filter(|n| !n.is_empty())
                .map(str::to_owned)
                .or_else(|| {
                    str_at(meta, "generateName")
                        .filter(|n| !n.is_empty())
                        .map(|p| format!("{p}*"))
                })
        })
        .unwrap_or_else(|| "<unnamed>".to_owned());
    let namespace = str_at(request, "namespace").map(str::to_owned);
    (kind, namespace, name)
}

/// Evaluates one Kubewarden `validate` payload; `settings_json` must already be valid JSON.
fn evaluate_one(
    request: Value,
    settings_json: &str,
    lookup: &mut PageLookup,
    document: usize,
    item: Option<usize>,
) -> Evaluated {
    let (kind, namespace, name) = request_meta(&request);
    let request_json = request.to_string();
    let payload = format!(r#"{{"request":{request_json},"settings":{settings_json}}}"#);
    let outcome = security_context_policy::evaluate_with(payload.as_bytes(), lookup);
    let response = String::from_utf8(outcome.to_response_json())
        .ok()
        .and_then(|s| RawValue::from_string(s).ok())
        .unwrap_or_else(|| {
            RawValue::from_string(
                r#"{"accepted":false,"message":"could not encode the response","code":500}"#
                    .to_owned(),
            )
            .unwrap_or_default()
        });
    let object = match request {
        Value::Object(mut map) => map.remove("object").unwrap_or(Value::Null),
        _ => Value::Null,
    };
    Evaluated {
        document,
        item,
        kind,
        namespace,
        name,
        object,
        outcome,
        response,
    }
}

/// Evaluates every object of the documents (a JSON array, one entry per document of the
/// manifest, `null` for an empty one) with the settings (JSON) and the image-user table
/// (JSON mapping image → user).
pub fn evaluate_documents(
    documents_json: &str,
    settings_json: &str,
    image_users_json: &str,
    default_namespace: &str,
) -> Report {
    let default_namespace = if default_namespace.trim().is_empty() {
        DEFAULT_NAMESPACE
    } else {
        default_namespace.trim()
    };
    let settings_json = if settings_json.trim().is_empty() {
        "{}"
    } else {
        settings_json
    };
    let mut report = Report {
        settings: serde_json::from_slice(&security_context_policy::validate_settings(
            settings_json.as_bytes(),
        ))
        .unwrap_or(Validity {
            valid: false,
            message: Some("could not read the settings validation".to_owned()),
        }),
        image_users: Validity {
            valid: true,
            message: None,
        },
        results: Vec::new(),
        errors: Vec::new(),
    };
    // A payload must be JSON: settings that are not JSON are reported, not evaluated.
    if serde_json::from_str::<&RawValue>(settings_json).is_err() {
        return report;
    }
    let mut lookup = PageLookup(match image_user_table(image_users_json) {
        Ok(table) => table,
        Err(message) => {
            report.image_users = Validity {
                valid: false,
                message: Some(message),
            };
            BTreeMap::new()
        }
    });
    let documents: Vec<Value> = match serde_json::from_str(documents_json) {
        Ok(Value::Array(docs)) => docs,
        Ok(other) => vec![other],
        Err(e) => {
            report.errors.push(DocumentError {
                document: 0,
                message: format!("the documents are not JSON: {e}"),
            });
            return report;
        }
    };
    let mut uid = 0;
    for (i, doc) in documents.into_iter().enumerate() {
        let number = i + 1;
        if doc.is_null() {
            continue;
        }
        let mut requests: Vec<(Value, Option<usize>)> = Vec::new();
        let mut wrap = |object: Value| {
            uid += 1;
            create_request(object, default_namespace, uid)
        };
        match shape_of(doc) {
            Ok(Shape::Object(object)) => requests.push((wrap(object), None)),
            Ok(Shape::Request(request)) => requests.push((request, None)),
            Ok(Shape::List(items)) => {
                for (j, item) in items.into_iter().enumerate() {
                    match shape_of(item) {
                        Ok(Shape::Object(object)) => requests.push((wrap(object), Some(j))),
                        Ok(Shape::Request(request)) => requests.push((request, Some(j))),
                        Ok(Shape::List(_)) => report.errors.push(DocumentError {
                            document: number,
                            message: format!("items[{j}]: a list inside a list"),
                        }),
                        Err(e) => report.errors.push(DocumentError {
                            document: number,
                            message: format!("items[{j}]: {e}"),
                        }),
                    }
                }
            }
            Err(message) => report.errors.push(DocumentError {
                document: number,
                message,
            }),
        }
        for (request, item) in requests {
            report.results.push(evaluate_one(
                request,
                settings_json,
                &mut lookup,
                number,
                item,
            ));
        }
    }
    report
}

fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|e| {
        json!({ "errors": [{ "document": 0, "message": format!("could not encode the result: {e}") }] })
            .to_string()
    })
}

/// `evaluate(documents, settings, imageUsers, defaultNamespace)`: the [`Report`] as JSON.
#[wasm_bindgen(js_name = evaluate)]
pub fn evaluate_js(
    documents_json: &str,
    settings_json: &str,
    image_users_json: &str,
    default_namespace: &str,
) -> String {
    to_json(&evaluate_documents(
        documents_json,
        settings_json,
        image_users_json,
        default_namespace,
    ))
}

/// `validateSettings(settings)`: the module's `validate_settings` answer, byte for byte.
#[wasm_bindgen(js_name = validateSettings)]
pub fn validate_settings_js(settings_json: &str) -> String {
    String::from_utf8_lossy(&security_context_policy::validate_settings(
        settings_json.as_bytes(),
    ))
    .into_owned()
}

/// `validate(payload, imageUsers)`: the module's `validate` answer for a raw Kubewarden
/// payload (`{"request": …, "settings": …}`), byte for byte.
#[wasm_bindgen(js_name = validate)]
pub fn validate_js(payload_json: &str, image_users_json: &str) -> String {
    let mut lookup = PageLookup(image_user_table(image_users_json).unwrap_or_default());
    String::from_utf8_lossy(&security_context_policy::validate_with(
        payload_json.as_bytes(),
        &mut lookup,
    ))
    .into_owned()
}

/// `checks()`: every check's ID and summary, `[{"id", "summary"}]`.
#[wasm_bindgen(js_name = checks)]
pub fn checks_js() -> String {
    let list: Vec<Value> = REGISTRY
        .iter()
        .map(|c| json!({ "id": c.id, "summary": c.summary }))
        .collect();
    Value::Array(list).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deployment(namespace: Option<&str>, read_only: bool) -> Value {
        let mut metadata = json!({ "name": "ai-service" });
        if let Some(ns) = namespace {
            metadata["namespace"] = json!(ns);
        }
        json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": metadata,
            "spec": { "template": { "metadata": { "labels": { "app": "x" } }, "spec": {
                "securityContext": { "runAsNonRoot": true, "runAsUser": 1000, "runAsGroup": 1000,
                    "fsGroup": 1000, "seccompProfile": { "type": "RuntimeDefault" } },
                "containers": [{ "name": "app", "image": "registry.matih.io/matih/ai-service:2.4.1",
                    "securityContext": { "allowPrivilegeEscalation": false,
                        "readOnlyRootFilesystem": read_only, "capabilities": { "drop": ["ALL"] } } }]
            } } }
        })
    }

    fn report(docs: Value, settings: &str) -> Report {
        evaluate_documents(&docs.to_string(), settings, "{}", "default")
    }

    #[test]
    fn wraps_objects_as_create_requests() {
        let req = create_request(deployment(Some("shop"), true), "default", 7);
        assert_eq!(
            req["kind"],
            json!({ "group": "apps", "version": "v1", "kind": "Deployment" })
        );
        assert_eq!(req["resource"]["resource"], "deployments");
        assert_eq!(req["namespace"], "shop");
        assert_eq!(req["operation"], "CREATE");
        assert_eq!(req["uid"], "00000000-0000-4000-8000-000000000007");
        let req = create_request(deployment(None, true), "data", 1);
        assert_eq!(req["namespace"], "data");
        let ns = json!({ "apiVersion": "v1", "kind": "Namespace", "metadata": { "name": "x" } });
        assert!(create_request(ns, "default", 1).get("namespace").is_none());
        assert_eq!(resource_for_kind("NetworkPolicy"), "networkpolicies");
        assert_eq!(resource_for_kind("Ingress"), "ingresses");
        assert_eq!(resource_for_kind("ReplicaSet"), "replicasets");
    }

    #[test]
    fn standard_verdicts_per_object() {
        let docs = json!([
            null,
            deployment(Some("matih-ai"), true),
            deployment(Some("matih-ai"), false),
            { "apiVersion": "v1", "kind": "Service", "metadata": { "name": "s" } },
        ]);
        let r = report(docs, "{}");
        assert!(r.settings.valid);
        assert!(r.errors.is_empty());
        let verdicts: Vec<(usize, bool)> = r
            .results
            .iter()
            .map(|e| (e.document, e.outcome.accepted))
            .collect();
        assert_eq!(verdicts, [(2, true), (3, false), (4, true)]);
        let bad = &r.results[1];
        assert_eq!(bad.namespace.as_deref(), Some("matih-ai"));
        let row = &bad.outcome.violations[0];
        assert!(row.checks.contains(&"readOnlyRootFilesystem"), "{row:?}");
        assert_eq!(
            row.field,
            "spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem"
        );
        // The response is the module's: the same fields, no rows.
        let response: Value = serde_json::from_str(bad.response.get()).unwrap();
        assert_eq!(response["accepted"], false);
        assert_eq!(response["message"], json!(bad.outcome.message));
        assert!(response.get("violations").is_none());
    }

    #[test]
    fn lists_requests_and_bad_documents() {
        let list = json!({ "apiVersion": "v1", "kind": "List",
            "items": [deployment(Some("a"), true), 3] });
        let request = json!({ "uid": "u", "operation": "CREATE",
            "kind": { "group": "apps", "version": "v1", "kind": "Deployment" },
            "namespace": "n", "object": deployment(Some("n"), true) });
        let review = json!({ "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
            "request": request.clone() });
        let r = report(
            json!([list, request, review, "text", { "kind": "Pod" }]),
            "{}",
        );
        let seen: Vec<(usize, Option<usize>, &str)> = r
            .results
            .iter()
            .map(|e| (e.document, e.item, e.namespace.as_deref().unwrap_or("")))
            .collect();
        assert_eq!(seen, [(1, Some(0), "a"), (2, None, "n"), (3, None, "n")]);
        let errors: Vec<(usize, &str)> = r
            .errors
            .iter()
            .map(|e| (e.document, e.message.as_str()))
            .collect();
        assert_eq!(
            errors,
            [
                (1, "items[1]: expected a Kubernetes object, found a number"),
                (4, "expected a Kubernetes object, found a string"),
                (5, "not a Kubernetes object: no apiVersion"),
            ]
        );
    }

    #[test]
    fn invalid_settings_are_reported_and_reject_every_object() {
        let r = report(json!([deployment(None, true)]), r#"{"runAsUsr": 1}"#);
        assert!(!r.settings.valid);
        assert!(
            r.settings
                .message
                .as_deref()
                .is_some_and(|m| m.contains("runAsUsr"))
        );
        assert!(!r.results[0].outcome.accepted);
        let r = report(json!([deployment(None, true)]), "not json");
        assert!(!r.settings.valid);
        assert!(r.results.is_empty());
    }

    #[test]
    fn mutation_comes_from_the_settings() {
        let mut object = deployment(Some("matih-ai"), true);
        object["spec"]["template"]["spec"]["securityContext"]
            .as_object_mut()
            .unwrap()
            .remove("fsGroup");
        let settings = r#"{"mutation": {"enabled": true}}"#;
        let r = report(json!([object]), settings);
        let e = &r.results[0];
        assert!(e.outcome.accepted, "{:?}", e.outcome.message);
        let mutated = e.outcome.mutated_object.as_ref().unwrap();
        assert_eq!(
            mutated["spec"]["template"]["spec"]["securityContext"]["fsGroup"],
            1000
        );
        assert!(
            e.object["spec"]["template"]["spec"]["securityContext"]
                .get("fsGroup")
                .is_none()
        );
        let response: Value = serde_json::from_str(e.response.get()).unwrap();
        assert_eq!(&response["mutated_object"], mutated);
    }

    #[test]
    fn image_users_come_from_the_table() {
        let mut object = deployment(Some("matih-ai"), true);
        object["spec"]["template"]["spec"]["securityContext"]
            .as_object_mut()
            .unwrap()
            .remove("runAsUser");
        let settings = r#"{"podSecurityContext": {"runAsNonRoot": true}, "imageUser": {"verify": true, "onLookupFailure": "deny"}}"#;
        let image = "registry.matih.io/matih/ai-service:2.4.1";
        let repository = "registry.matih.io/matih/ai-service";
        for (table, accepted) in [
            (json!({ image: "1000" }), true),
            (json!({ image: 1000 }), true),
            (json!({ repository: "1000" }), true),
            (json!({ image: "", repository: "1000" }), false),
            (json!({ image: "" }), false),
            (json!({}), false),
        ] {
            let r = evaluate_documents(
                &json!([object.clone()]).to_string(),
                settings,
                &table.to_string(),
                "",
            );
            assert!(r.image_users.valid);
            assert_eq!(r.results[0].outcome.accepted, accepted, "{table}");
        }
        assert_eq!(repository_of("nginx:1.27"), "nginx");
        assert_eq!(
            repository_of("localhost:5000/app@sha256:abc"),
            "localhost:5000/app"
        );
        assert_eq!(repository_of("localhost:5000/app"), "localhost:5000/app");
        assert!(image_user_table(r#"{"nginx": [1]}"#).is_err());
        assert!(image_user_table(r#"["nginx"]"#).is_err());
        assert!(image_user_table("").unwrap().is_empty());
    }

    #[test]
    fn exports_answer_like_the_module() {
        assert_eq!(validate_settings_js("{}"), r#"{"valid":true}"#);
        assert!(validate_settings_js(r#"{"runAsUsr":1}"#).starts_with(r#"{"valid":false"#));
        let payload = json!({ "request": create_request(deployment(Some("matih-ai"), true), "default", 1),
            "settings": {} });
        assert_eq!(
            validate_js(&payload.to_string(), ""),
            String::from_utf8(security_context_policy::validate(
                payload.to_string().as_bytes()
            ))
            .unwrap()
        );
        let checks: Vec<Value> = serde_json::from_str(&checks_js()).unwrap();
        assert!(checks.iter().any(|c| c["id"] == "readOnlyRootFilesystem"));
    }
}
