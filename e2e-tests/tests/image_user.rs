//! Image-user verification (docs/mutation-and-image-users.md) through the built module, with a host that answers
//! `kubewarden`/`oci`/`v1/oci_manifest_config` from a table, as policy-server would from the
//! registry.

use std::collections::BTreeMap;
use std::sync::Arc;

use e2e_tests::{HostCalls, PolicyHost, test_module};
use security_context_input::AdmissionRequestBuilder;
use serde_json::{Value, json};

fn host() -> PolicyHost {
    let table: BTreeMap<String, String> = [
        ("img/root:1", "root"),
        ("img/empty:1", ""),
        ("img/zero:1", "0:0"),
        ("img/named:1", "postgres"),
        ("img/uid999:1", "999:999"),
        ("img/uid1000:1", "1000"),
    ]
    .into_iter()
    .map(|(i, u)| (i.to_owned(), u.to_owned()))
    .collect();
    test_module()
        .instantiate_with(Arc::new(HostCalls::new().with_image_users(table)))
        .expect("instantiate")
}

fn settings(mode: &str) -> Value {
    json!({"imageUser": {"verify": true, "onLookupFailure": mode}})
}

/// A pod compliant with the standard except that it names no runAsUser: it runs as the image says.
fn pod(images: &[&str]) -> Value {
    let containers: Vec<Value> = images
        .iter()
        .enumerate()
        .map(|(i, image)| json!({"name": format!("c{i}"), "image": image, "securityContext": {"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true, "capabilities": {"drop": ["ALL"]}}}))
        .collect();
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "apps"},
           "spec": {"securityContext": {"runAsNonRoot": true, "runAsGroup": 1000, "fsGroup": 1000, "seccompProfile": {"type": "RuntimeDefault"}}, "containers": containers}})
}

/// Settings whose standard does not pin runAsUser, so only the image decides.
fn open_settings(mode: &str) -> Value {
    let mut s = settings(mode);
    s["podSecurityContext"] = json!({"runAsNonRoot": true, "runAsGroup": 1000, "fsGroup": 1000, "seccompProfile": {"type": "RuntimeDefault"}});
    s
}

fn run(host: &PolicyHost, images: &[&str], settings: &Value) -> e2e_tests::ValidationResponse {
    host.validate(&AdmissionRequestBuilder::new(pod(images)).build(), settings)
        .expect("validate")
}

#[test]
fn root_empty_and_named_users_are_refused_with_the_kubelet_error() {
    let host = host();
    for image in ["img/root:1", "img/empty:1", "img/zero:1"] {
        let r = run(&host, &[image], &open_settings("warn"));
        assert!(!r.accepted, "{image}");
        let msg = r.message.unwrap_or_default();
        assert!(
            msg.contains(
                "CreateContainerConfigError: container has runAsNonRoot and image will run as root"
            ),
            "{image}: {msg}"
        );
        assert!(
            msg.contains("[imageUser] container \"c0\""),
            "{image}: {msg}"
        );
    }
    let r = run(&host, &["img/named:1"], &open_settings("warn"));
    assert!(!r.accepted);
    assert!(
        r.message
            .unwrap_or_default()
            .contains("non-numeric user (postgres)")
    );
}

#[test]
fn numeric_users_pass_and_a_uid_other_than_the_profile_warns() {
    let host = host();
    let r = run(&host, &["img/uid999:1"], &open_settings("warn"));
    assert!(r.accepted, "{:?}", r.message);
    assert!(r.warnings.unwrap_or_default().is_empty());
    let mut pinned = open_settings("warn");
    pinned["podSecurityContext"]["runAsUser"] = json!(1000);
    // The pod names no runAsUser, so the standard's runAsUser check denies; the image's UID
    // 999 differing from 1000 is reported as a warning as well.
    let r = run(&host, &["img/uid999:1"], &pinned);
    let warnings = r.warnings.unwrap_or_default().join("\n");
    assert!(
        warnings.contains("[imageUser]") && warnings.contains("runs as UID 999"),
        "{warnings}"
    );
}

#[test]
fn failed_lookups_warn_or_deny_as_configured() {
    let host = host();
    let r = run(&host, &["img/missing:1"], &open_settings("warn"));
    assert!(r.accepted, "{:?}", r.message);
    assert!(
        r.warnings
            .unwrap_or_default()
            .iter()
            .any(|w| w.contains("could not be read"))
    );
    let r = run(&host, &["img/missing:1"], &open_settings("deny"));
    assert!(!r.accepted);
    assert!(r.message.unwrap_or_default().contains("could not be read"));
}

#[test]
fn each_distinct_image_is_looked_up_once_per_request() {
    let host = host();
    let calls = Arc::clone(host.host_calls());
    calls.reset();
    let r = run(
        &host,
        &[
            "img/uid999:1",
            "img/uid999:1",
            "img/uid1000:1",
            "img/uid999:1",
        ],
        &open_settings("warn"),
    );
    assert!(r.accepted, "{:?}", r.message);
    assert_eq!(calls.oci_lookups(), 2, "{:?}", calls.calls());
    // A container with its own runAsUser needs no lookup, and verify off looks nothing up.
    calls.reset();
    let mut p = pod(&["img/root:1"]);
    p["spec"]["securityContext"]["runAsUser"] = json!(1000);
    let r = host
        .validate(
            &AdmissionRequestBuilder::new(p).build(),
            &open_settings("warn"),
        )
        .expect("validate");
    assert!(r.accepted, "{:?}", r.message);
    calls.reset();
    run(
        &host,
        &["img/root:1"],
        &json!({"podSecurityContext": {"runAsNonRoot": true}}),
    );
    assert_eq!(calls.oci_lookups(), 0);
}
