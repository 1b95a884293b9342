//! The platform's services (docs/exceptions.md, "The per-service overrides") through the
//! built module: every
//! service's manifest is accepted under `examples/settings/matih.yml` in its own namespace with
//! its own image, and the exception does not follow it anywhere else: in another namespace,
//! with a look-alike image, or next to a sidecar the exception does not cover, the services
//! that need their exception are rejected with the container, the field path and the fix.
//!
//! AI Service, Query Engine and API Gateway run with the standard values (that section's table
//! says so); their exceptions only record the verified UID and reason. For them the test checks that
//! the exception is not applied outside its scope, and that the standard still holds them.

use e2e_tests::{PolicyHost, ValidationResponse, repo_root, test_host};
use security_context_input::AdmissionRequestBuilder;
use serde_json::{Value, json};

struct Service {
    name: &'static str,
    namespace: &'static str,
    /// Whether its exception relaxes the standard (and so the service needs it).
    deviates: bool,
}

const SERVICES: &[Service] = &[
    Service {
        name: "ai-service",
        namespace: "matih-ai",
        deviates: false,
    },
    Service {
        name: "query-engine",
        namespace: "matih-query",
        deviates: false,
    },
    Service {
        name: "api-gateway",
        namespace: "matih-gateway",
        deviates: false,
    },
    Service {
        name: "postgresql",
        namespace: "matih-postgresql",
        deviates: true,
    },
    Service {
        name: "redis",
        namespace: "matih-redis",
        deviates: true,
    },
    Service {
        name: "kafka",
        namespace: "matih-kafka",
        deviates: true,
    },
    Service {
        name: "mongodb",
        namespace: "matih-mongodb",
        deviates: true,
    },
    Service {
        name: "starrocks",
        namespace: "matih-starrocks",
        deviates: true,
    },
];

fn yaml_docs(path: &std::path::Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_norway::Deserializer::from_str(&text)
        .map(|d| {
            serde::Deserialize::deserialize(d).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        })
        .filter(|v: &Value| !v.is_null())
        .collect()
}

fn settings() -> Value {
    yaml_docs(&repo_root().join("examples/settings/matih.yml")).remove(0)
}

/// The pod-owning workloads of a service's manifest (Services and ConfigMaps are skipped).
fn workloads(service: &Service) -> Vec<Value> {
    let path = repo_root().join(format!("examples/manifests/{}.yaml", service.name));
    let docs: Vec<Value> = yaml_docs(&path)
        .into_iter()
        .filter(|d| {
            matches!(
                d["kind"].as_str(),
                Some("Deployment" | "StatefulSet" | "DaemonSet" | "Job" | "CronJob" | "Pod")
            )
        })
        .collect();
    assert!(!docs.is_empty(), "{}: no workload", path.display());
    docs
}

fn pod_spec(obj: &mut Value) -> &mut Value {
    if obj["kind"] == "Pod" {
        &mut obj["spec"]
    } else {
        &mut obj["spec"]["template"]["spec"]
    }
}

fn validate(
    host: &PolicyHost,
    obj: &Value,
    namespace: &str,
    settings: &Value,
) -> ValidationResponse {
    let req = AdmissionRequestBuilder::new(obj.clone())
        .namespace(namespace)
        .build();
    host.validate(&req, settings)
        .unwrap_or_else(|e| panic!("validate: {e}"))
}

fn exception_used(r: &ValidationResponse, name: &str) -> bool {
    r.audit_annotations
        .as_ref()
        .is_some_and(|a| a.contains_key(&format!("exception.{name}")))
}

/// A rejection names a container or the pod, a full field path, and a fix.
fn assert_explained(what: &str, r: &ValidationResponse) {
    assert!(!r.accepted, "{what}: accepted");
    let msg = r.message.as_deref().unwrap_or_default();
    assert!(
        msg.contains("container \"") || msg.contains("pod: "),
        "{what}: names no container: {msg}"
    );
    assert!(
        msg.contains("spec.template.spec.") || msg.contains("spec.containers"),
        "{what}: no field path: {msg}"
    );
    assert!(msg.contains("Fix: "), "{what}: no fix: {msg}");
}

#[test]
fn every_service_is_accepted_in_its_namespace_with_its_image() {
    let (host, settings) = (test_host(), settings());
    for s in SERVICES {
        for obj in workloads(s) {
            let r = validate(&host, &obj, s.namespace, &settings);
            assert!(r.accepted, "{}: {:?}", s.name, r.message);
            assert!(
                exception_used(&r, s.name),
                "{}: exception not recorded in audit annotations: {:?}",
                s.name,
                r.audit_annotations
            );
            let warnings = r.warnings.unwrap_or_default();
            assert!(
                warnings
                    .iter()
                    .any(|w| w.starts_with(&format!("exception \"{}\"", s.name))),
                "{}: {warnings:?}",
                s.name
            );
        }
    }
}

#[test]
fn another_namespace() {
    let (host, settings) = (test_host(), settings());
    for s in SERVICES {
        for obj in workloads(s) {
            let r = validate(&host, &obj, "default", &settings);
            assert!(
                !exception_used(&r, s.name),
                "{}: exception applied in namespace default",
                s.name
            );
            if s.deviates {
                assert_explained(&format!("{} in default", s.name), &r);
            } else {
                assert!(
                    r.accepted,
                    "{} complies with the standard anywhere: {:?}",
                    s.name, r.message
                );
            }
        }
    }
}

/// `docker.io/library/postgres:16.4` becomes `docker.io/library/postgres-evil:16.4`.
fn look_alike(image: &str) -> String {
    let (name, tag) = match image.rsplit_once(':') {
        Some((n, t)) if !t.contains('/') => (n, format!(":{t}")),
        _ => (image, String::new()),
    };
    format!("{name}-evil{tag}")
}

#[test]
fn look_alike_images() {
    let (host, settings) = (test_host(), settings());
    for s in SERVICES {
        for mut obj in workloads(s) {
            for list in ["initContainers", "containers"] {
                for c in pod_spec(&mut obj)[list]
                    .as_array_mut()
                    .into_iter()
                    .flatten()
                {
                    let image = c["image"].as_str().unwrap_or_default().to_owned();
                    c["image"] = json!(look_alike(&image));
                }
            }
            let r = validate(&host, &obj, s.namespace, &settings);
            assert!(
                !exception_used(&r, s.name),
                "{}: exception applied to a look-alike image",
                s.name
            );
            if s.deviates {
                assert_explained(&format!("{} with a look-alike image", s.name), &r);
            } else {
                assert!(r.accepted, "{}: {:?}", s.name, r.message);
            }
        }
    }
}

#[test]
fn uncovered_sidecar() {
    let (host, settings) = (test_host(), settings());
    // A sidecar that itself meets the standard: the rejection comes from the pod-level values
    // the service's exception allows, which no longer apply once the exception does not cover
    // every container.
    let sidecar = json!({
        "name": "log-shipper", "image": "docker.io/fluent/fluent-bit:3.1.9",
        "securityContext": {"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true, "capabilities": {"drop": ["ALL"]}}
    });
    for s in SERVICES {
        for mut obj in workloads(s) {
            pod_spec(&mut obj)["containers"]
                .as_array_mut()
                .expect("containers")
                .push(sidecar.clone());
            let r = validate(&host, &obj, s.namespace, &settings);
            if s.deviates {
                assert_explained(&format!("{} with an uncovered sidecar", s.name), &r);
                let msg = r.message.as_deref().unwrap_or_default();
                assert!(
                    msg.contains("does not cover container \"log-shipper\""),
                    "{}: {msg}",
                    s.name
                );
            } else {
                assert!(r.accepted, "{}: {:?}", s.name, r.message);
            }
        }
    }
}

#[test]
fn the_violating_examples_are_rejected_or_warned_as_their_headers_say() {
    let (host, settings) = (test_host(), settings());
    let dir = repo_root().join("examples/manifests/violating");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("violating dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    paths.sort();
    assert!(paths.len() >= 10);
    for path in paths {
        let text = std::fs::read_to_string(&path).expect("read");
        let header = |key: &str| -> Vec<String> {
            text.lines()
                .find_map(|l| l.strip_prefix(&format!("# {key}:")))
                .map(|v| {
                    v.split(',')
                        .map(|s| s.trim().to_owned())
                        .filter(|s| !s.is_empty())
                        .collect()
                })
                .unwrap_or_default()
        };
        let expect = header("expect");
        for obj in yaml_docs(&path) {
            let ns = obj["metadata"]["namespace"]
                .as_str()
                .unwrap_or("default")
                .to_owned();
            let r = validate(&host, &obj, &ns, &settings);
            let what = path.display().to_string();
            if expect.first().map(String::as_str) == Some("reject") {
                assert_explained(&what, &r);
            }
            let msg = r.message.clone().unwrap_or_default();
            for id in header("expect-checks") {
                assert!(msg.contains(&id), "{what}: {id} not in {msg}");
            }
            let warnings = r.warnings.clone().unwrap_or_default().join("\n");
            for id in header("expect-warnings") {
                assert!(
                    warnings.contains(&id),
                    "{what}: warning {id} not in {warnings}"
                );
            }
        }
    }
}
