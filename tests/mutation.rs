//! Mutation (docs/mutation-and-image-users.md), natively: fill absent fields from the profile that applies, keep
//! everything else, add writable directories, idempotent, and the result passes validation.

mod common;
use security_context_policy::evaluate;
use serde_json::{Value, json};

fn settings() -> Value {
    json!({
        "mutation": {"enabled": true, "writableDirectories": [{"mountPath": "/tmp"}, {"mountPath": "/home/appuser/.cache", "sizeLimit": "100Mi"}]},
        "exceptions": [{
            "name": "postgresql", "reason": "postgres user, needs write access",
            "match": {"namespaces": ["data"], "images": ["postgres"]},
            "podSecurityContext": {"runAsUser": 999, "runAsGroup": 999, "fsGroup": 999},
            "securityContext": {"readOnlyRootFilesystem": false}
        }]
    })
}

fn bare_container(name: &str, image: &str) -> Value {
    json!({"name": name, "image": image, "futureContainerField": {"keep": [1, 2, 3]}, "ports": [{"containerPort": 8080}]})
}

fn bare_spec() -> Value {
    json!({"futurePodField": "keep me", "containers": [bare_container("app", "registry.matih.io/matih/ai-service:1.4.2")], "volumes": [{"name": "config", "configMap": {"name": "c"}}]})
}

fn wrap(kind: &str, spec: Value) -> Value {
    let (api, mut o) = match kind {
        "Pod" => ("v1", json!({"spec": spec})),
        "Deployment" | "StatefulSet" => (
            "apps/v1",
            json!({"spec": {"replicas": 2, "template": {"metadata": {"labels": {"app": "x"}}, "spec": spec}}}),
        ),
        "CronJob" => (
            "batch/v1",
            json!({"spec": {"schedule": "0 * * * *", "jobTemplate": {"spec": {"template": {"spec": spec}}}}}),
        ),
        k => panic!("{k}"),
    };
    o["apiVersion"] = json!(api);
    o["kind"] = json!(kind);
    o["metadata"] =
        json!({"name": "x", "namespace": "apps", "annotations": {"future/annotation": "kept"}});
    o
}

fn spec_of<'v>(kind: &str, o: &'v Value) -> &'v Value {
    match kind {
        "Pod" => &o["spec"],
        "CronJob" => &o["spec"]["jobTemplate"]["spec"]["template"]["spec"],
        _ => &o["spec"]["template"]["spec"],
    }
}

fn run(obj: &Value, ns: &str, settings: &Value) -> security_context_policy::verdict::Outcome {
    common::evaluate(obj, ns, settings)
}

#[test]
fn bare_workloads_are_filled_with_the_standard_and_keep_unknown_fields() {
    for kind in ["Pod", "Deployment", "StatefulSet", "CronJob"] {
        let obj = wrap(kind, bare_spec());
        let out = run(&obj, "apps", &settings());
        assert!(out.accepted, "{kind}: {:?}", out.message);
        let m = out
            .mutated_object
            .clone()
            .unwrap_or_else(|| panic!("{kind}: not mutated"));
        let spec = spec_of(kind, &m);
        assert_eq!(
            spec["securityContext"],
            json!({"runAsNonRoot": true, "runAsUser": 1000, "runAsGroup": 1000, "fsGroup": 1000, "seccompProfile": {"type": "RuntimeDefault"}}),
            "{kind}"
        );
        let c = &spec["containers"][0];
        assert_eq!(
            c["securityContext"],
            json!({"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true, "capabilities": {"drop": ["ALL"]}}),
            "{kind}"
        );
        assert_eq!(
            c["futureContainerField"],
            json!({"keep": [1, 2, 3]}),
            "{kind}"
        );
        assert_eq!(spec["futurePodField"], json!("keep me"), "{kind}");
        assert_eq!(
            m["metadata"]["annotations"]["future/annotation"],
            json!("kept"),
            "{kind}"
        );
        // Writable directories: an emptyDir per path, mounted.
        assert_eq!(
            c["volumeMounts"],
            json!([{"name": "writable-tmp", "mountPath": "/tmp"}, {"name": "writable-home-appuser-cache", "mountPath": "/home/appuser/.cache"}]),
            "{kind}"
        );
        assert_eq!(
            spec["volumes"],
            json!([{"name": "config", "configMap": {"name": "c"}}, {"name": "writable-tmp", "emptyDir": {}}, {"name": "writable-home-appuser-cache", "emptyDir": {"sizeLimit": "100Mi"}}]),
            "{kind}"
        );
        // Idempotent, and valid without mutation.
        let again = run(&m, "apps", &settings());
        assert!(
            again.accepted && again.mutated_object.is_none(),
            "{kind}: second pass changed {:?}",
            again.mutated_object
        );
        let mut plain = settings();
        plain["mutation"]["enabled"] = json!(false);
        let check = run(&m, "apps", &plain);
        assert!(
            check.accepted,
            "{kind}: mutated object rejected: {:?}",
            check.message
        );
    }
}

#[test]
fn covered_containers_get_the_exception_values() {
    let spec = json!({"containers": [bare_container("postgres", "postgres:16.4")]});
    let out = run(&wrap("StatefulSet", spec), "data", &settings());
    assert!(out.accepted, "{:?}", out.message);
    let m = out.mutated_object.expect("mutated");
    let spec = spec_of("StatefulSet", &m);
    assert_eq!(spec["securityContext"]["runAsUser"], json!(999));
    assert_eq!(spec["securityContext"]["fsGroup"], json!(999));
    let c = &spec["containers"][0];
    assert!(
        c["securityContext"].get("readOnlyRootFilesystem").is_none(),
        "the exception allows a writable root: nothing to fill"
    );
    assert!(
        c.get("volumeMounts").is_none(),
        "no writable directories for a writable-root container"
    );
}

#[test]
fn a_sidecar_outside_the_exception_gets_its_own_values() {
    let spec = json!({"containers": [bare_container("postgres", "postgres:16.4"), bare_container("exporter", "prometheuscommunity/postgres-exporter:v0.15.0")]});
    let out = run(&wrap("StatefulSet", spec), "data", &settings());
    assert!(out.accepted, "{:?}", out.message);
    let m = out.mutated_object.expect("mutated");
    let spec = spec_of("StatefulSet", &m);
    assert_eq!(
        spec["securityContext"]["runAsUser"],
        json!(1000),
        "the pod is judged by the standard"
    );
    assert_eq!(
        spec["containers"][0]["securityContext"]["runAsUser"],
        json!(999),
        "postgres keeps its UID at container level"
    );
    assert!(
        spec["containers"][1]["securityContext"]
            .get("runAsUser")
            .is_none()
    );
}

#[test]
fn compliant_objects_are_not_mutated_and_present_values_are_never_changed() {
    let settings = common::yaml_settings("examples/settings/matih.yml");
    let mut with_mutation = settings.clone();
    with_mutation["mutation"] = json!({"enabled": true});
    let obj = common::yaml_file(&common::repo().join("examples/manifests/ai-service.yaml"))
        .into_iter()
        .find(|d| d["kind"] == "Deployment")
        .expect("deployment");
    let out = run(&obj, "matih-ai", &with_mutation);
    assert!(
        out.accepted && out.mutated_object.is_none(),
        "{:?}",
        out.mutated_object
    );
    // A present violating value stays and is rejected.
    let mut bad = wrap("Deployment", bare_spec());
    bad["spec"]["template"]["spec"]["containers"][0]["securityContext"] =
        json!({"readOnlyRootFilesystem": false});
    let out = run(&bad, "apps", &self::settings());
    assert!(!out.accepted && out.mutated_object.is_none());
    assert!(
        out.message
            .unwrap_or_default()
            .contains("readOnlyRootFilesystem is false")
    );
    // A present pod-level value is not overridden per container either.
    let mut pod_root = wrap("Deployment", bare_spec());
    pod_root["spec"]["template"]["spec"]["securityContext"] = json!({"runAsUser": 5});
    let out = run(&pod_root, "apps", &self::settings());
    assert!(!out.accepted, "{:?}", out.mutated_object);
}

#[test]
fn pod_updates_are_not_mutated() {
    let obj = wrap("Pod", bare_spec());
    let mut req = common::admission_request(&obj, "apps");
    req["operation"] = json!("UPDATE");
    req["oldObject"] = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "x"}, "spec": {"containers": []}});
    let out = evaluate(
        json!({"request": req, "settings": settings()})
            .to_string()
            .as_bytes(),
    );
    assert!(out.mutated_object.is_none());
    assert!(!out.accepted);
}

#[test]
fn existing_mounts_at_or_above_a_path_are_respected() {
    let mut spec = bare_spec();
    spec["containers"][0]["volumeMounts"] = json!([{"name": "scratch", "mountPath": "/home"}]);
    spec["volumes"] = json!([{"name": "scratch", "emptyDir": {}}, {"name": "writable-tmp", "configMap": {"name": "x"}}]);
    let out = run(&wrap("Deployment", spec), "apps", &settings());
    let m = out.mutated_object.expect("mutated");
    let spec = spec_of("Deployment", &m);
    assert_eq!(
        spec["containers"][0]["volumeMounts"],
        json!([{"name": "scratch", "mountPath": "/home"}, {"name": "writable-tmp-2", "mountPath": "/tmp"}])
    );
    assert_eq!(
        spec["volumes"][2],
        json!({"name": "writable-tmp-2", "emptyDir": {}})
    );
}

#[test]
fn containers_sharing_a_path_share_the_volume() {
    let spec = json!({"initContainers": [bare_container("init", "busybox:1")], "containers": [bare_container("a", "busybox:1"), bare_container("b", "busybox:1")]});
    let mut s = settings();
    s["mutation"]["writableDirectories"] = json!([{"mountPath": "/tmp"}]);
    let m = run(&wrap("Deployment", spec), "apps", &s)
        .mutated_object
        .expect("mutated");
    let spec = spec_of("Deployment", &m);
    assert_eq!(
        spec["volumes"],
        json!([{"name": "writable-tmp", "emptyDir": {}}])
    );
    for list in ["initContainers", "containers"] {
        for c in spec[list].as_array().expect("list") {
            assert_eq!(
                c["volumeMounts"],
                json!([{"name": "writable-tmp", "mountPath": "/tmp"}])
            );
        }
    }
}

// ---- property test: the mutated object, with the policy's additions removed, is the input ----

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }
}

fn gen_sc(rng: &mut Rng, pod: bool) -> Value {
    let mut sc = serde_json::Map::new();
    if rng.chance(40) {
        sc.insert("runAsNonRoot".into(), json!(*rng.pick(&[true, false])));
    }
    if rng.chance(40) {
        sc.insert("runAsUser".into(), json!(*rng.pick(&[0, 999, 1000, 1001])));
    }
    if rng.chance(40) {
        sc.insert("runAsGroup".into(), json!(*rng.pick(&[0, 999, 1000])));
    }
    if rng.chance(30) {
        sc.insert(
            "seccompProfile".into(),
            json!({"type": *rng.pick(&["RuntimeDefault", "Unconfined"])}),
        );
    }
    if rng.chance(20) {
        sc.insert("futureField".into(), json!({"x": rng.next() % 7}));
    }
    if pod {
        if rng.chance(40) {
            sc.insert("fsGroup".into(), json!(*rng.pick(&[999, 1000])));
        }
    } else {
        if rng.chance(40) {
            sc.insert(
                "allowPrivilegeEscalation".into(),
                json!(*rng.pick(&[true, false])),
            );
        }
        if rng.chance(40) {
            sc.insert(
                "readOnlyRootFilesystem".into(),
                json!(*rng.pick(&[true, false])),
            );
        }
        if rng.chance(40) {
            sc.insert("capabilities".into(), json!({"drop": ["ALL"]}));
        }
    }
    Value::Object(sc)
}

fn gen_spec(rng: &mut Rng) -> Value {
    let mut spec = serde_json::Map::new();
    if rng.chance(60) {
        spec.insert("securityContext".into(), gen_sc(rng, true));
    }
    if rng.chance(30) {
        spec.insert("securityContext".into(), Value::Null);
    }
    if rng.chance(30) {
        spec.insert("futurePodField".into(), json!([rng.next() % 5, "keep"]));
    }
    if rng.chance(40) {
        spec.insert(
            "volumes".into(),
            json!([{"name": "writable-tmp", "emptyDir": {}}]),
        );
    }
    for list in ["initContainers", "containers"] {
        let n = if list == "containers" {
            1 + rng.next() % 3
        } else {
            rng.next() % 2
        };
        let mut cs = Vec::new();
        for i in 0..n {
            let mut c = serde_json::Map::new();
            c.insert("name".into(), json!(format!("{list}-{i}")));
            c.insert(
                "image".into(),
                json!(*rng.pick(&[
                    "postgres:16",
                    "busybox:1",
                    "registry.matih.io/matih/ai-service:1"
                ])),
            );
            if rng.chance(60) {
                c.insert("securityContext".into(), gen_sc(rng, false));
            }
            if rng.chance(30) {
                c.insert("volumeMounts".into(), json!([{"name": "writable-tmp", "mountPath": *rng.pick(&["/tmp", "/", "/data"])}]));
            }
            if rng.chance(30) {
                c.insert("futureContainerField".into(), json!({"k": rng.next() % 9}));
            }
            cs.push(Value::Object(c));
        }
        spec.insert(list.into(), Value::Array(cs));
    }
    Value::Object(spec)
}

/// Removes from `mutated` what the policy may add: securityContext fields absent from the
/// input, emptyDir volumes and mounts named `writable-*` that the input lacked.
fn strip_additions(input: &Value, mutated: &Value) -> Value {
    match (input, mutated) {
        (Value::Object(a), Value::Object(b)) => {
            let mut out = serde_json::Map::new();
            for (k, vb) in b {
                // A key the input lacks is an addition: dropped.
                if let Some(va) = a.get(k) {
                    out.insert(k.clone(), strip_additions(va, vb));
                }
            }
            Value::Object(out)
        }
        (Value::Array(a), Value::Array(b)) => {
            let kept: Vec<Value> = b
                .iter()
                .take(a.len())
                .zip(a)
                .map(|(vb, va)| strip_additions(va, vb))
                .collect();
            for extra in &b[a.len().min(b.len())..] {
                assert!(
                    extra["name"]
                        .as_str()
                        .is_some_and(|n| n.starts_with("writable-")),
                    "unexpected list addition {extra}"
                );
            }
            Value::Array(kept)
        }
        (Value::Null, Value::Object(_)) => Value::Null,
        (_, b) => b.clone(),
    }
}

#[test]
fn property_mutation_only_adds() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let settings = settings();
    let mut mutated_count = 0;
    for round in 0..500 {
        let spec = gen_spec(&mut rng);
        let ns = *rng.pick(&["data", "apps"]);
        let kind = *rng.pick(&["Pod", "Deployment", "CronJob"]);
        let obj = wrap(kind, spec);
        let out = run(&obj, ns, &settings);
        let Some(m) = out.mutated_object.clone() else {
            continue;
        };
        mutated_count += 1;
        assert_eq!(
            strip_additions(&obj, &m),
            obj,
            "round {round}: mutation changed the input\ninput: {obj}\nmutated: {m}"
        );
        let again = run(&m, ns, &settings);
        assert!(
            again.mutated_object.is_none(),
            "round {round}: not idempotent: {m}"
        );
        assert!(
            again.accepted,
            "round {round}: mutated object rejected on the second pass"
        );
    }
    assert!(
        mutated_count > 50,
        "the generator should produce mutable objects: {mutated_count}"
    );
}
