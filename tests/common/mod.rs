//! Shared helpers for the native integration tests.
#![allow(dead_code)]

use serde_json::{Value, json};
use std::path::PathBuf;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn yaml_file(path: &std::path::Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_norway::Deserializer::from_str(&text)
        .map(|d| {
            serde::Deserialize::deserialize(d).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        })
        .filter(|v: &Value| !v.is_null())
        .collect()
}

/// Wraps a Kubernetes object into an AdmissionRequest (CREATE).
pub fn admission_request(obj: &Value, namespace: &str) -> Value {
    let api_version = obj["apiVersion"].as_str().unwrap_or("v1");
    let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
    let kind = obj["kind"].as_str().unwrap_or("Pod");
    json!({
        "uid": "00000000-0000-0000-0000-000000000000",
        "kind": {"group": group, "version": version, "kind": kind},
        "resource": {"group": group, "version": version, "resource": format!("{}s", kind.to_lowercase())},
        "operation": "CREATE",
        "namespace": namespace,
        "name": obj["metadata"]["name"],
        "userInfo": {"username": "test"},
        "object": obj,
        "oldObject": null,
        "dryRun": false
    })
}

pub fn evaluate(
    obj: &Value,
    namespace: &str,
    settings: &Value,
) -> security_context_policy::verdict::Outcome {
    let payload = json!({"request": admission_request(obj, namespace), "settings": settings});
    security_context_policy::evaluate(payload.to_string().as_bytes())
}

pub fn yaml_settings(path: &str) -> Value {
    yaml_file(&repo().join(path))
        .into_iter()
        .next()
        .unwrap_or(json!({}))
}
