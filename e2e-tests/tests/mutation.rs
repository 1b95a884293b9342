//! Mutation (docs/mutation-and-image-users.md) through the built module, as Kubewarden runs it with `mutating: true`.

use e2e_tests::{PolicyHost, ValidationResponse, test_host};
use security_context_input::AdmissionRequestBuilder;
use serde_json::{Value, json};

fn settings(enabled: bool) -> Value {
    json!({
        "mutation": {"enabled": enabled, "writableDirectories": [{"mountPath": "/tmp"}, {"mountPath": "/home/appuser/.cache", "sizeLimit": "100Mi"}]},
        "exceptions": [{
            "name": "postgresql", "reason": "postgres user, needs write access",
            "match": {"namespaces": ["matih-postgresql"], "images": ["postgres"]},
            "podSecurityContext": {"runAsUser": 999, "runAsGroup": 999, "fsGroup": 999},
            "securityContext": {"readOnlyRootFilesystem": false}
        }]
    })
}

fn spec(image: &str) -> Value {
    json!({
        "futurePodField": {"added": "in Kubernetes 1.99"},
        "containers": [{"name": "app", "image": image, "futureContainerField": [1, 2], "resources": {"limits": {"cpu": "1"}}}]
    })
}

fn object(kind: &str, ns: &str, spec: Value) -> Value {
    let (api, body) = match kind {
        "Pod" => ("v1", json!({"spec": spec})),
        "Deployment" | "StatefulSet" => (
            "apps/v1",
            json!({"spec": {"replicas": 1, "serviceName": "x", "template": {"metadata": {"labels": {"app": "x"}}, "spec": spec}}}),
        ),
        "CronJob" => (
            "batch/v1",
            json!({"spec": {"schedule": "@hourly", "jobTemplate": {"spec": {"template": {"spec": spec}}}}}),
        ),
        k => panic!("{k}"),
    };
    let mut o = body;
    o["apiVersion"] = json!(api);
    o["kind"] = json!(kind);
    o["metadata"] =
        json!({"name": "x", "namespace": ns, "labels": {"future.example.com/label": "kept"}});
    o
}

fn pod_spec(o: &Value) -> &Value {
    match o["kind"].as_str() {
        Some("Pod") => &o["spec"],
        Some("CronJob") => &o["spec"]["jobTemplate"]["spec"]["template"]["spec"],
        _ => &o["spec"]["template"]["spec"],
    }
}

fn validate(host: &PolicyHost, o: &Value, settings: &Value) -> ValidationResponse {
    let req = AdmissionRequestBuilder::new(o.clone()).build();
    host.validate(&req, settings)
        .unwrap_or_else(|e| panic!("validate: {e}"))
}

#[test]
fn bare_objects_are_filled_and_keep_unknown_fields() {
    let host = test_host();
    for kind in ["Deployment", "StatefulSet", "CronJob", "Pod"] {
        let o = object(
            kind,
            "apps",
            spec("registry.matih.io/matih/ai-service:1.4.2"),
        );
        let r = validate(&host, &o, &settings(true));
        assert!(r.accepted, "{kind}: {:?}", r.message);
        let m = r
            .mutated_object
            .unwrap_or_else(|| panic!("{kind}: not mutated"));
        let s = pod_spec(&m);
        assert_eq!(
            s["securityContext"],
            json!({"runAsNonRoot": true, "runAsUser": 1000, "runAsGroup": 1000, "fsGroup": 1000, "seccompProfile": {"type": "RuntimeDefault"}}),
            "{kind}"
        );
        let c = &s["containers"][0];
        assert_eq!(
            c["securityContext"],
            json!({"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true, "capabilities": {"drop": ["ALL"]}}),
            "{kind}"
        );
        assert_eq!(c["futureContainerField"], json!([1, 2]), "{kind}");
        assert_eq!(c["resources"], json!({"limits": {"cpu": "1"}}), "{kind}");
        assert_eq!(
            s["futurePodField"],
            json!({"added": "in Kubernetes 1.99"}),
            "{kind}"
        );
        assert_eq!(
            m["metadata"]["labels"]["future.example.com/label"],
            json!("kept"),
            "{kind}"
        );
        assert_eq!(
            c["volumeMounts"][0],
            json!({"name": "writable-tmp", "mountPath": "/tmp"}),
            "{kind}"
        );
        assert_eq!(
            s["volumes"][1],
            json!({"name": "writable-home-appuser-cache", "emptyDir": {"sizeLimit": "100Mi"}}),
            "{kind}"
        );

        let again = validate(&host, &m, &settings(true));
        assert!(again.accepted, "{kind}: {:?}", again.message);
        assert!(
            again.mutated_object.is_none(),
            "{kind}: mutating a mutated object changed it"
        );
        let plain = validate(&host, &m, &settings(false));
        assert!(
            plain.accepted,
            "{kind}: mutated object rejected without mutation: {:?}",
            plain.message
        );
        let unmutated = validate(&host, &o, &settings(false));
        assert!(
            !unmutated.accepted && unmutated.mutated_object.is_none(),
            "{kind}: without mutation the bare object is rejected"
        );
    }
}

#[test]
fn exception_covered_containers_get_the_exception_values() {
    let host = test_host();
    let o = object(
        "StatefulSet",
        "matih-postgresql",
        spec("docker.io/library/postgres:16.4"),
    );
    let r = validate(&host, &o, &settings(true));
    assert!(r.accepted, "{:?}", r.message);
    let m = r.mutated_object.expect("mutated");
    let s = pod_spec(&m);
    assert_eq!(s["securityContext"]["runAsUser"], json!(999));
    assert_eq!(s["securityContext"]["runAsGroup"], json!(999));
    assert_eq!(s["securityContext"]["fsGroup"], json!(999));
    assert!(
        s["containers"][0]["securityContext"]
            .get("readOnlyRootFilesystem")
            .is_none()
    );
    assert!(
        r.audit_annotations
            .unwrap_or_default()
            .contains_key("exception.postgresql")
    );
}

#[test]
fn compliant_objects_are_not_mutated() {
    let host = test_host();
    let mut o = object(
        "Deployment",
        "apps",
        spec("registry.matih.io/matih/ai-service:1.4.2"),
    );
    let first = validate(&host, &o, &settings(true))
        .mutated_object
        .expect("mutated");
    o = first;
    let r = validate(&host, &o, &settings(true));
    assert!(r.accepted && r.mutated_object.is_none());
}

#[test]
fn present_violating_values_are_kept_and_rejected() {
    let host = test_host();
    let mut s = spec("registry.matih.io/matih/ai-service:1.4.2");
    s["containers"][0]["securityContext"] = json!({"allowPrivilegeEscalation": true});
    let r = validate(&host, &object("Deployment", "apps", s), &settings(true));
    assert!(!r.accepted);
    assert!(r.mutated_object.is_none());
    assert!(
        r.message
            .unwrap_or_default()
            .contains("allowPrivilegeEscalation is true")
    );
}
