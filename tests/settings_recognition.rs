//! Settings already compiled are recognised by the payload's tail without reading them as JSON
//! again. The answers must be exactly those of a payload read whole: for repeated settings, for
//! settings that change between requests, for other key orders and spacing, and for requests
//! whose strings try to fake the split.

use serde_json::{Value, json};

fn pod(annotation: &str, read_only: bool) -> Value {
    json!({"uid": "1", "kind": {"group": "", "version": "v1", "kind": "Pod"},
        "resource": {"group": "", "version": "v1", "resource": "pods"},
        "operation": "CREATE", "namespace": "data", "name": "p",
        "object": {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p", "namespace": "data", "annotations": {"note": annotation}},
            "spec": {"securityContext": {"runAsNonRoot": true, "runAsUser": 1000, "runAsGroup": 1000,
                    "fsGroup": 1000, "seccompProfile": {"type": "RuntimeDefault"}},
                "containers": [{"name": "c", "image": "postgres:16", "securityContext": {
                    "allowPrivilegeEscalation": false, "readOnlyRootFilesystem": read_only,
                    "capabilities": {"drop": ["ALL"]}}}]}}})
}

fn answer(payload: &str) -> (bool, Option<String>, Vec<String>) {
    let out = security_context_policy::evaluate(payload.as_bytes());
    (out.accepted, out.message, out.warnings)
}

#[test]
fn recognised_settings_answer_like_settings_read_whole() {
    let strict = json!({});
    let relaxed = json!({"exceptions": [{"name": "pg", "reason": "writes", "match": {"namespaces": ["data"], "images": ["postgres"]}, "securityContext": {"readOnlyRootFilesystem": false}}]});
    let compact =
        |req: &Value, settings: &Value| format!(r#"{{"request":{req},"settings":{settings}}}"#);
    let cases: Vec<(&str, String, bool)> = vec![
        ("strict, first", compact(&pod("x", false), &strict), false),
        ("strict, again", compact(&pod("x", false), &strict), false),
        (
            "relaxed after strict",
            compact(&pod("x", false), &relaxed),
            true,
        ),
        ("relaxed, again", compact(&pod("x", false), &relaxed), true),
        (
            "strict after relaxed",
            compact(&pod("x", false), &strict),
            false,
        ),
        (
            "a request string that ends like the settings",
            compact(&pod(r#"","settings":{}}"#, false), &relaxed),
            true,
        ),
        (
            "settings first",
            format!(r#"{{"settings":{strict},"request":{}}}"#, pod("x", false)),
            false,
        ),
        (
            "spaced",
            format!(
                "{{ \"request\": {}, \"settings\": {relaxed} }}",
                pod("x", false)
            ),
            true,
        ),
        (
            "relaxed once more",
            compact(&pod("x", false), &relaxed),
            true,
        ),
        (
            "compliant under strict",
            compact(&pod("x", true), &strict),
            true,
        ),
    ];
    for (name, payload, accepted) in &cases {
        let (got, message, _) = answer(payload);
        assert_eq!(got, *accepted, "{name}: {message:?}");
    }
    // Every answer is the one a fresh reading gives: evaluate each twice in a row, the second
    // time recognised.
    for (name, payload, _) in &cases {
        assert_eq!(answer(payload), answer(payload), "{name}");
    }
}
