//! Evaluation semantics (docs/checks.md, docs/exceptions.md), natively: kinds, operations, subresources, the
//! unchanged-template rule, profile selection, enforcement, warnings and audit annotations.

mod common;
use security_context_policy::evaluate;
use serde_json::{Value, json};

fn compliant_spec() -> Value {
    json!({
        "securityContext": {"runAsNonRoot": true, "runAsUser": 1000, "runAsGroup": 1000, "fsGroup": 1000, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [{"name": "app", "image": "registry.matih.io/matih/ai-service:1.4.2", "securityContext": {"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true, "capabilities": {"drop": ["ALL"]}}}]
    })
}

fn writable(mut spec: Value) -> Value {
    spec["containers"][0]["securityContext"]["readOnlyRootFilesystem"] = json!(false);
    spec
}

fn object(kind: &str, spec: Value) -> Value {
    let (api, body) = match kind {
        "Pod" => ("v1", json!({"spec": spec})),
        "ReplicationController" => (
            "v1",
            json!({"spec": {"template": {"metadata": {"labels": {"app": "x"}}, "spec": spec}}}),
        ),
        "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet" => (
            "apps/v1",
            json!({"spec": {"template": {"metadata": {"labels": {"app": "x"}}, "spec": spec}}}),
        ),
        "Job" => ("batch/v1", json!({"spec": {"template": {"spec": spec}}})),
        "CronJob" => (
            "batch/v1",
            json!({"spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": {"spec": spec}}}}}),
        ),
        other => panic!("{other}"),
    };
    let mut o = body;
    o["apiVersion"] = json!(api);
    o["kind"] = json!(kind);
    o["metadata"] = json!({"name": "x", "namespace": "apps"});
    o
}

fn run(request: Value, settings: Value) -> security_context_policy::verdict::Outcome {
    evaluate(
        json!({"request": request, "settings": settings})
            .to_string()
            .as_bytes(),
    )
}

#[test]
fn every_workload_kind_is_judged_at_its_template_path() {
    let kinds = [
        ("Pod", "spec.containers[0]"),
        ("Deployment", "spec.template.spec.containers[0]"),
        ("ReplicaSet", "spec.template.spec.containers[0]"),
        ("StatefulSet", "spec.template.spec.containers[0]"),
        ("DaemonSet", "spec.template.spec.containers[0]"),
        ("ReplicationController", "spec.template.spec.containers[0]"),
        ("Job", "spec.template.spec.containers[0]"),
        (
            "CronJob",
            "spec.jobTemplate.spec.template.spec.containers[0]",
        ),
    ];
    for (kind, path) in kinds {
        let ok = run(
            common::admission_request(&object(kind, compliant_spec()), "apps"),
            json!({}),
        );
        assert!(ok.accepted, "{kind}: {:?}", ok.message);
        let bad = run(
            common::admission_request(&object(kind, writable(compliant_spec())), "apps"),
            json!({}),
        );
        assert!(!bad.accepted, "{kind}");
        let msg = bad.message.unwrap_or_default();
        assert!(
            msg.contains(&format!(
                "{path}.securityContext.readOnlyRootFilesystem is false"
            )),
            "{kind}: {msg}"
        );
        assert!(
            msg.contains("mount an emptyDir at the paths it writes, e.g. /tmp"),
            "{kind}: {msg}"
        );
        assert!(msg.starts_with(&format!("{kind} apps/x ")), "{kind}: {msg}");
    }
}

#[test]
fn other_kinds_operations_and_subresources_pass_untouched() {
    let bad = object("Pod", writable(compliant_spec()));
    let mut svc = common::admission_request(
        &json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}}),
        "apps",
    );
    svc["object"]["spec"] = json!("anything");
    assert!(run(svc, json!({})).accepted, "Service");
    let mut delete = common::admission_request(&bad, "apps");
    delete["operation"] = json!("DELETE");
    assert!(run(delete, json!({})).accepted, "DELETE");
    let mut status = common::admission_request(&bad, "apps");
    status["subResource"] = json!("status");
    assert!(run(status, json!({})).accepted, "status subresource");
    let mut debug = common::admission_request(&object("Pod", compliant_spec()), "apps");
    debug["operation"] = json!("UPDATE");
    debug["subResource"] = json!("ephemeralcontainers");
    debug["oldObject"] = debug["object"].clone();
    debug["object"]["spec"]["ephemeralContainers"] =
        json!([{"name": "debugger", "image": "busybox", "targetContainerName": "app"}]);
    let out = run(debug, json!({}));
    assert!(
        !out.accepted,
        "kubectl debug with a non-compliant ephemeral container"
    );
    assert!(
        out.message
            .unwrap_or_default()
            .contains("ephemeral container \"debugger\": spec.ephemeralContainers[0]")
    );
}

#[test]
fn update_with_unchanged_template_is_accepted() {
    let old = object("Deployment", writable(compliant_spec()));
    let mut new = old.clone();
    new["spec"]["replicas"] = json!(5);
    new["metadata"]["labels"] = json!({"team": "x"});
    let mut req = common::admission_request(&new, "apps");
    req["operation"] = json!("UPDATE");
    req["oldObject"] = old.clone();
    assert!(
        run(req.clone(), json!({})).accepted,
        "scaling a workload admitted earlier"
    );
    req["object"]["spec"]["template"]["spec"]["containers"][0]["image"] =
        json!("registry.matih.io/matih/ai-service:1.5.0");
    assert!(!run(req, json!({})).accepted, "a template change is judged");
}

fn pg_settings() -> Value {
    json!({"exceptions": [{
        "name": "postgresql", "reason": "postgres user, needs write access",
        "match": {"namespaces": ["data"], "images": ["postgres"]},
        "podSecurityContext": {"runAsUser": 999, "runAsGroup": 999, "fsGroup": 999},
        "securityContext": {"readOnlyRootFilesystem": false}
    }]})
}

fn pg_spec(image: &str) -> Value {
    json!({
        "securityContext": {"runAsNonRoot": true, "runAsUser": 999, "runAsGroup": 999, "fsGroup": 999, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [{"name": "postgres", "image": image, "securityContext": {"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": false, "capabilities": {"drop": ["ALL"]}}}]
    })
}

#[test]
fn exceptions_apply_by_namespace_and_normalised_image() {
    let accept = |ns: &str, image: &str| {
        let o = object("StatefulSet", pg_spec(image));
        run(common::admission_request(&o, ns), pg_settings())
    };
    for image in [
        "postgres:16.4",
        "docker.io/library/postgres:16.4",
        "index.docker.io/library/postgres@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    ] {
        let out = accept("data", image);
        assert!(out.accepted, "{image}: {:?}", out.message);
        assert_eq!(
            out.audit_annotations
                .get("exception.postgresql")
                .map(String::as_str),
            Some(
                "exception: postgresql; reason: postgres user, needs write access; applied to container \"postgres\" and the pod"
            )
        );
        assert!(
            out.warnings
                .iter()
                .any(|w| w.contains("exception \"postgresql\"")
                    && w.contains("postgres user, needs write access"))
        );
    }
    for (ns, image) in [
        ("default", "postgres:16.4"),
        ("data", "docker.io/library/postgres-evil:16.4"),
        ("data", "evil.io/library/postgres:16.4"),
        ("data", "someone/postgres:16"),
    ] {
        let out = accept(ns, image);
        assert!(!out.accepted, "{ns} {image}");
        assert!(out.audit_annotations.is_empty());
    }
}

#[test]
fn pod_level_fields_need_an_exception_covering_every_container() {
    let mut spec = pg_spec("postgres:16.4");
    spec["containers"].as_array_mut().unwrap().push(json!({"name": "exporter", "image": "prometheuscommunity/postgres-exporter:v0.15.0", "securityContext": {"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true, "capabilities": {"drop": ["ALL"]}}}));
    let out = run(
        common::admission_request(&object("StatefulSet", spec), "data"),
        pg_settings(),
    );
    assert!(!out.accepted);
    let msg = out.message.unwrap_or_default();
    assert!(
        msg.contains("pod: spec.template.spec.securityContext.runAsUser is 999; required: 1000"),
        "{msg}"
    );
    assert!(
        msg.contains("does not cover container \"exporter\""),
        "{msg}"
    );
    assert!(
        !msg.contains("readOnlyRootFilesystem"),
        "the postgres container keeps its exception: {msg}"
    );
}

#[test]
fn an_exception_relaxes_exactly_what_it_names_including_the_floor() {
    let settings = json!({"exceptions": [{
        "name": "starrocks", "reason": "Requires root (upstream limitation)",
        "match": {"namespaces": ["olap"], "images": ["starrocks/fe-ubuntu"]},
        "podSecurityContext": {"runAsNonRoot": false, "runAsUser": 0, "runAsGroup": 0, "fsGroup": 0},
        "securityContext": {"readOnlyRootFilesystem": false}
    }]});
    let spec = json!({
        "securityContext": {"runAsNonRoot": false, "runAsUser": 0, "runAsGroup": 0, "fsGroup": 0, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [{"name": "fe", "image": "starrocks/fe-ubuntu:3.3.2", "securityContext": {"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": false, "capabilities": {"drop": ["ALL"]}}}]
    });
    let out = run(
        common::admission_request(&object("StatefulSet", spec.clone()), "olap"),
        settings.clone(),
    );
    assert!(out.accepted, "{:?}", out.message);
    // Not named: privilege escalation stays forbidden, by the standard and the floor.
    let mut escalates = spec;
    escalates["containers"][0]["securityContext"]["allowPrivilegeEscalation"] = json!(true);
    let out = run(
        common::admission_request(&object("StatefulSet", escalates), "olap"),
        settings,
    );
    assert!(!out.accepted);
    assert!(
        out.message
            .unwrap_or_default()
            .contains("[allowPrivilegeEscalation]")
    );
}

#[test]
fn enforcement_warn_and_off() {
    let o = object("Deployment", writable(compliant_spec()));
    let warn = run(
        common::admission_request(&o, "apps"),
        json!({"enforcement": {"readOnlyRootFilesystem": "warn"}}),
    );
    assert!(warn.accepted);
    assert_eq!(warn.warnings.len(), 1, "{:?}", warn.warnings);
    assert!(warn.warnings[0].starts_with("[readOnlyRootFilesystem] container \"app\""));
    assert!(warn.warnings[0].chars().count() <= 256);
    let off = run(
        common::admission_request(&o, "apps"),
        json!({"enforcement": {"readOnlyRootFilesystem": "off"}}),
    );
    assert!(off.accepted && off.warnings.is_empty());
}

#[test]
fn all_violations_are_collected() {
    let spec = json!({"hostNetwork": true, "containers": [{"name": "a", "image": "x", "securityContext": {"privileged": true, "runAsUser": 0}}, {"name": "b", "image": "y"}]});
    let out = run(
        common::admission_request(&object("Pod", spec), "apps"),
        json!({}),
    );
    let msg = out.message.unwrap_or_default();
    for needle in [
        "[hostNamespaces] pod: spec.hostNetwork",
        "[privileged] container \"a\"",
        "spec.containers[1].securityContext.readOnlyRootFilesystem",
        "[runAsUser] container \"a\": spec.containers[0].securityContext.runAsUser is 0",
        "fsGroup",
    ] {
        assert!(msg.contains(needle), "missing {needle:?} in {msg}");
    }
}
