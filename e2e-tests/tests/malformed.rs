//! Hostile and malformed input (docs/checks.md, "What is evaluated"): the module never traps and never panics; it
//! answers every payload with a well-formed response, a rejection (or `valid: false`) with a
//! message where the input is malformed. Every case runs on a fresh instance, and every failure
//! is reported, not only the first.

use e2e_tests::{HostError, SettingsResponse, ValidationResponse, test_module};
use security_context_input::create_request;
use serde_json::{Value, json};

/// What a case must get back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// `accepted: false` (or `valid: false`) with a non-empty message.
    Refused,
    /// Any well-formed answer.
    WellFormed,
}

fn pod_with_spec(spec: &str) -> String {
    format!(
        r#"{{"apiVersion":"v1","kind":"Pod","metadata":{{"name":"p","namespace":"default"}},"spec":{spec}}}"#
    )
}

/// A `validate` payload around a raw request JSON text.
fn payload(request: &str) -> Vec<u8> {
    format!(r#"{{"request":{request},"settings":{{}}}}"#).into_bytes()
}

/// A CREATE request for Pod around a raw object JSON text.
fn pod_request(object: &str) -> String {
    let template = create_request(&json!({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default"}
    }));
    let text = template.to_string();
    let marker = r#""object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"default"}}"#;
    assert!(text.contains(marker), "request template changed: {text}");
    text.replacen(marker, &format!(r#""object":{object}"#), 1)
}

fn container_with(security_context: &str) -> String {
    pod_with_spec(&format!(
        r#"{{"containers":[{{"name":"c","image":"nginx","securityContext":{security_context}}}]}}"#
    ))
}

fn pod_security_context(security_context: &str) -> String {
    pod_with_spec(&format!(
        r#"{{"securityContext":{security_context},"containers":[{{"name":"c","image":"nginx"}}]}}"#
    ))
}

fn nested_arrays(depth: usize) -> String {
    let mut s = String::with_capacity(depth * 2);
    s.push_str(&"[".repeat(depth));
    s.push_str(&"]".repeat(depth));
    s
}

fn validate_cases() -> Vec<(&'static str, Vec<u8>, Expect)> {
    let deep = nested_arrays(100_000);
    let big_annotation = "x".repeat(4 * 1024 * 1024);
    let many_containers: Vec<Value> = (0..20_000)
        .map(|i| json!({"name": format!("c{i}"), "image": "registry.example.com/team/app:1.2.3"}))
        .collect();
    let wide_pod = json!({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "wide", "namespace": "default"},
        "spec": {"containers": many_containers}
    });
    vec![
        ("empty payload", Vec::new(), Expect::Refused),
        ("not JSON", b"this is not json".to_vec(), Expect::Refused),
        (
            "truncated JSON",
            br#"{"request": {"uid": "1", "#.to_vec(),
            Expect::Refused,
        ),
        (
            "invalid UTF-8",
            vec![b'{', 0xff, 0xfe, b'}'],
            Expect::Refused,
        ),
        ("JSON null", b"null".to_vec(), Expect::Refused),
        ("JSON array", b"[]".to_vec(), Expect::Refused),
        ("JSON string", br#""validate me""#.to_vec(), Expect::Refused),
        ("JSON number", b"42".to_vec(), Expect::Refused),
        ("JSON boolean", b"true".to_vec(), Expect::Refused),
        (
            "request missing",
            br#"{"settings":{}}"#.to_vec(),
            Expect::Refused,
        ),
        ("request is a string", payload(r#""pod""#), Expect::Refused),
        ("request is an array", payload("[]"), Expect::Refused),
        ("request is null", payload("null"), Expect::Refused),
        (
            "object is a string",
            payload(&pod_request(r#""a pod""#)),
            Expect::Refused,
        ),
        (
            "object is a number",
            payload(&pod_request("7")),
            Expect::Refused,
        ),
        (
            "object is an array",
            payload(&pod_request("[]")),
            Expect::Refused,
        ),
        (
            "object is null on CREATE",
            payload(&pod_request("null")),
            Expect::Refused,
        ),
        (
            "spec missing",
            payload(&pod_request(
                r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"}}"#,
            )),
            Expect::Refused,
        ),
        (
            "spec is a string",
            payload(&pod_request(&pod_with_spec(r#""spec""#))),
            Expect::Refused,
        ),
        (
            "containers is a string",
            payload(&pod_request(&pod_with_spec(r#"{"containers":"nginx"}"#))),
            Expect::Refused,
        ),
        (
            "containers is an object",
            payload(&pod_request(&pod_with_spec(
                r#"{"containers":{"name":"c"}}"#,
            ))),
            Expect::Refused,
        ),
        (
            "container is a string",
            payload(&pod_request(&pod_with_spec(r#"{"containers":["nginx"]}"#))),
            Expect::Refused,
        ),
        (
            "initContainers is a number",
            payload(&pod_request(&pod_with_spec(
                r#"{"containers":[],"initContainers":3}"#,
            ))),
            Expect::Refused,
        ),
        (
            "securityContext is a string",
            payload(&pod_request(&container_with(r#""restricted""#))),
            Expect::Refused,
        ),
        (
            "runAsUser is a string",
            payload(&pod_request(&container_with(r#"{"runAsUser":"1000"}"#))),
            Expect::Refused,
        ),
        (
            "runAsUser is a float",
            payload(&pod_request(&container_with(r#"{"runAsUser":1000.5}"#))),
            Expect::Refused,
        ),
        (
            "runAsUser is huge",
            payload(&pod_request(&container_with(r#"{"runAsUser":1e400}"#))),
            Expect::Refused,
        ),
        (
            "runAsUser beyond u64",
            payload(&pod_request(&container_with(
                r#"{"runAsUser":18446744073709551616}"#,
            ))),
            Expect::Refused,
        ),
        (
            "runAsUser is negative",
            payload(&pod_request(&container_with(r#"{"runAsUser":-1}"#))),
            Expect::Refused,
        ),
        (
            "pod runAsUser is a string",
            payload(&pod_request(&pod_security_context(r#"{"runAsUser":"0"}"#))),
            Expect::Refused,
        ),
        (
            "fsGroup is a boolean",
            payload(&pod_request(&pod_security_context(r#"{"fsGroup":true}"#))),
            Expect::Refused,
        ),
        (
            "runAsNonRoot is a string",
            payload(&pod_request(&container_with(r#"{"runAsNonRoot":"true"}"#))),
            Expect::Refused,
        ),
        (
            "capabilities.drop is a string",
            payload(&pod_request(&container_with(
                r#"{"capabilities":{"drop":"ALL"}}"#,
            ))),
            Expect::Refused,
        ),
        (
            "seccompProfile is a string",
            payload(&pod_request(&pod_security_context(
                r#"{"seccompProfile":"RuntimeDefault"}"#,
            ))),
            Expect::Refused,
        ),
        (
            "100k nested arrays in the spec",
            payload(&pod_request(&pod_with_spec(&format!(
                r#"{{"containers":{deep}}}"#
            )))),
            Expect::Refused,
        ),
        (
            "100k nested arrays as the payload",
            deep.clone().into_bytes(),
            Expect::Refused,
        ),
        (
            "100k nested arrays in settings",
            format!(
                r#"{{"request":{},"settings":{{"x":{deep}}}}}"#,
                pod_request(&pod_with_spec(r#"{"containers":[]}"#))
            )
            .into_bytes(),
            Expect::Refused,
        ),
        (
            "settings is a string",
            format!(
                r#"{{"request":{},"settings":"x"}}"#,
                pod_request(&pod_with_spec(r#"{"containers":[]}"#))
            )
            .into_bytes(),
            Expect::Refused,
        ),
        (
            "4 MiB annotation",
            payload(&pod_request(&format!(
                r#"{{"apiVersion":"v1","kind":"Pod","metadata":{{"name":"p","annotations":{{"big":"{big_annotation}"}}}},"spec":{{"containers":[{{"name":"c","image":"nginx"}}]}}}}"#
            ))),
            Expect::WellFormed,
        ),
        (
            "20k containers",
            payload(&create_request(&wide_pod).to_string()),
            Expect::WellFormed,
        ),
        (
            "unknown top-level fields",
            br#"{"request":{"uid":"1"},"settings":{},"extra":[1,2,3]}"#.to_vec(),
            Expect::WellFormed,
        ),
    ]
}

fn settings_cases() -> Vec<(&'static str, Vec<u8>, Expect)> {
    let deep = nested_arrays(100_000);
    vec![
        ("empty payload", Vec::new(), Expect::Refused),
        ("not JSON", b"runAsUser: 1000".to_vec(), Expect::Refused),
        ("invalid UTF-8", vec![b'{', 0xff, b'}'], Expect::Refused),
        ("JSON array", b"[]".to_vec(), Expect::Refused),
        ("JSON string", br#""restricted""#.to_vec(), Expect::Refused),
        ("JSON number", b"1000".to_vec(), Expect::Refused),
        ("JSON boolean", b"false".to_vec(), Expect::Refused),
        ("JSON null", b"null".to_vec(), Expect::WellFormed),
        (
            "unknown key (typo)",
            br#"{"runAsUsr":1}"#.to_vec(),
            Expect::Refused,
        ),
        (
            "unknown nested key",
            br#"{"podSecurityContext":{"runAsUsr":1}}"#.to_vec(),
            Expect::Refused,
        ),
        (
            "block is a string",
            br#"{"podSecurityContext":"strict"}"#.to_vec(),
            Expect::Refused,
        ),
        (
            "runAsUser is a string",
            br#"{"podSecurityContext":{"runAsUser":"1000"}}"#.to_vec(),
            Expect::Refused,
        ),
        (
            "runAsUser is a float",
            br#"{"podSecurityContext":{"runAsUser":1000.5}}"#.to_vec(),
            Expect::Refused,
        ),
        (
            "runAsUser is huge",
            br#"{"podSecurityContext":{"runAsUser":1e400}}"#.to_vec(),
            Expect::Refused,
        ),
        (
            "runAsUser is negative",
            br#"{"podSecurityContext":{"runAsUser":-5}}"#.to_vec(),
            Expect::Refused,
        ),
        (
            "exceptions is an object",
            br#"{"exceptions":{"name":"x"}}"#.to_vec(),
            Expect::Refused,
        ),
        (
            "unknown standard level",
            br#"{"podSecurityStandard":"lenient"}"#.to_vec(),
            Expect::Refused,
        ),
        (
            "100k nested arrays",
            deep.clone().into_bytes(),
            Expect::Refused,
        ),
        (
            "100k nested arrays inside a key",
            format!(r#"{{"exceptions":{deep}}}"#).into_bytes(),
            Expect::Refused,
        ),
    ]
}

fn describe_call_error(e: &HostError) -> String {
    format!("trap or guest error instead of an answer: {e}")
}

fn check_validate(name: &str, payload: &[u8], expect: Expect) -> Result<(), String> {
    let host = test_module().instantiate().map_err(|e| e.to_string())?;
    let body = host
        .call("validate", payload)
        .map_err(|e| describe_call_error(&e))?;
    let response: ValidationResponse = serde_json::from_slice(&body).map_err(|e| {
        let shown: String = String::from_utf8_lossy(&body).chars().take(300).collect();
        format!("answer is not a well-formed ValidationResponse ({e}): {shown}")
    })?;
    if expect == Expect::Refused {
        if response.accepted {
            return Err("accepted malformed input".to_owned());
        }
        if response
            .message
            .as_deref()
            .is_none_or(|m| m.trim().is_empty())
        {
            return Err("rejected without a message".to_owned());
        }
        if response.mutated_object.is_some() {
            return Err("rejected but returned a mutated object".to_owned());
        }
    }
    // The instance must still work after the hostile call.
    let again = host
        .validate(
            &create_request(
                &json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}),
            ),
            &json!({}),
        )
        .map_err(|e| format!("instance unusable after the call: {e}"))?;
    if !again.accepted {
        return Err(format!(
            "{name}: a ConfigMap is rejected after the call: {:?}",
            again.message
        ));
    }
    Ok(())
}

fn check_settings(payload: &[u8], expect: Expect) -> Result<(), String> {
    let host = test_module().instantiate().map_err(|e| e.to_string())?;
    let body = host
        .call("validate_settings", payload)
        .map_err(|e| describe_call_error(&e))?;
    let response: SettingsResponse = serde_json::from_slice(&body).map_err(|e| {
        let shown: String = String::from_utf8_lossy(&body).chars().take(300).collect();
        format!("answer is not a well-formed SettingsResponse ({e}): {shown}")
    })?;
    if expect == Expect::Refused {
        if response.valid {
            return Err("declared malformed settings valid".to_owned());
        }
        if response
            .message
            .as_deref()
            .is_none_or(|m| m.trim().is_empty())
        {
            return Err("invalid without a message".to_owned());
        }
    }
    Ok(())
}

fn report(what: &str, total: usize, failures: Vec<String>) {
    assert!(
        failures.is_empty(),
        "{what}: {} of {total} cases failed:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}

#[test]
fn validate_answers_every_malformed_payload() {
    let cases = validate_cases();
    let total = cases.len();
    let failures = cases
        .into_iter()
        .filter_map(|(name, payload, expect)| {
            check_validate(name, &payload, expect)
                .err()
                .map(|e| format!("{name}: {e}"))
        })
        .collect();
    report("validate", total, failures);
}

#[test]
fn validate_settings_answers_every_malformed_payload() {
    let cases = settings_cases();
    let total = cases.len();
    let failures = cases
        .into_iter()
        .filter_map(|(name, payload, expect)| {
            check_settings(&payload, expect)
                .err()
                .map(|e| format!("{name}: {e}"))
        })
        .collect();
    report("validate_settings", total, failures);
}

#[test]
fn empty_settings_are_valid() {
    // docs/settings.md: `{}` means the platform's standard security context.
    let host = test_module().instantiate().unwrap();
    let response = host.validate_settings(&json!({})).unwrap();
    assert!(response.valid, "{{}} refused: {:?}", response.message);
}

#[test]
fn a_thousand_bad_containers_get_a_bounded_message() {
    // docs/checks.md, "What is evaluated": under 4 KiB whatever the number of violations;
    // warnings ≤ 256 characters.
    let containers: Vec<Value> = (0..1000)
        .map(|i| json!({"name": format!("c{i}"), "image": "nginx", "securityContext": {"privileged": true, "runAsUser": 0}}))
        .collect();
    let pod = json!({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "many", "namespace": "default"},
        "spec": {"hostNetwork": true, "containers": containers}
    });
    let host = test_module().instantiate().unwrap();
    let response = host.validate(&create_request(&pod), &json!({})).unwrap();
    assert!(!response.accepted, "a privileged root pod was accepted");
    let message = response.message.unwrap_or_default();
    assert!(!message.is_empty(), "rejected without a message");
    assert!(
        message.len() < 4096,
        "message is {} bytes, the bound is 4 KiB",
        message.len()
    );
    for warning in response.warnings.iter().flatten() {
        assert!(
            warning.chars().count() <= 256,
            "warning over 256 characters: {warning}"
        );
    }
}
