//! The core never panics on input: malformed, hostile, deeply nested and very large payloads
//! all get a well-formed answer. (The same inputs go through the wasm module in e2e-tests.)

mod common;
use security_context_policy::{evaluate, validate, validate_settings};
use serde_json::{Value, json};

fn pod_request(spec: Value) -> Value {
    common::admission_request(
        &json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec}),
        "default",
    )
}

fn assert_rejected(name: &str, payload: &[u8]) {
    let out: Value = serde_json::from_slice(&validate(payload))
        .unwrap_or_else(|e| panic!("{name}: response is not JSON: {e}"));
    assert_eq!(out["accepted"], json!(false), "{name}: {out}");
    let msg = out["message"].as_str().unwrap_or_default();
    assert!(
        !msg.is_empty() && msg.len() < 4096,
        "{name}: message {msg:?}"
    );
}

#[test]
fn malformed_payloads_are_rejected_with_a_message() {
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", vec![]),
        ("not json", b"hello".to_vec()),
        ("not utf-8", vec![0xff, 0xfe, 0x00]),
        ("array", b"[1,2,3]".to_vec()),
        ("string", b"\"x\"".to_vec()),
        ("no request", br#"{"settings": {}}"#.to_vec()),
        ("request is a number", br#"{"request": 5, "settings": {}}"#.to_vec()),
        ("no kind", json!({"request": {"operation": "CREATE", "object": {}}, "settings": {}}).to_string().into_bytes()),
        ("pod without object", json!({"request": {"kind": {"group": "", "version": "v1", "kind": "Pod"}, "operation": "CREATE"}, "settings": {}}).to_string().into_bytes()),
        ("pod without spec", json!({"request": common::admission_request(&json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}}), "d"), "settings": {}}).to_string().into_bytes()),
        ("deployment without template", json!({"request": common::admission_request(&json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}, "spec": {"replicas": 1}}), "d"), "settings": {}}).to_string().into_bytes()),
        ("containers is a string", json!({"request": pod_request(json!({"containers": "nope"})), "settings": {}}).to_string().into_bytes()),
        ("runAsUser is a string", json!({"request": pod_request(json!({"securityContext": {"runAsUser": "0"}, "containers": [{"name": "a"}]})), "settings": {}}).to_string().into_bytes()),
        ("runAsUser is a float", json!({"request": pod_request(json!({"securityContext": {"runAsUser": 1000.5}, "containers": [{"name": "a"}]})), "settings": {}}).to_string().into_bytes()),
        ("runAsUser is huge", br#"{"request":{"kind":{"group":"","version":"v1","kind":"Pod"},"operation":"CREATE","object":{"spec":{"securityContext":{"runAsUser":1e400},"containers":[{"name":"a"}]}}},"settings":{}}"#.to_vec()),
        ("object is an array", json!({"request": {"kind": {"group": "", "version": "v1", "kind": "Pod"}, "operation": "CREATE", "object": [1]}, "settings": {}}).to_string().into_bytes()),
        ("invalid settings", json!({"request": pod_request(json!({"containers": [{"name": "a"}]})), "settings": {"runAsUsr": 1}}).to_string().into_bytes()),
    ];
    for (name, payload) in cases {
        assert_rejected(name, &payload);
    }
}

#[test]
fn deeply_nested_input_does_not_overflow_the_stack() {
    let deep = format!("{}{}", "[".repeat(200_000), "]".repeat(200_000));
    let payload = format!(
        r#"{{"request":{{"kind":{{"group":"","version":"v1","kind":"Pod"}},"operation":"CREATE","object":{{"spec":{{"containers":[{{"name":"a","env":{deep}}}]}}}}}},"settings":{{}}}}"#
    );
    assert_rejected("nested unknown field", payload.as_bytes());
    let payload = format!(r#"{{"request":{deep},"settings":{{}}}}"#);
    assert_rejected("nested request", payload.as_bytes());
    let out: Value = serde_json::from_slice(&validate_settings(
        format!(r#"{{"exceptions":{deep}}}"#).as_bytes(),
    ))
    .expect("json");
    assert_eq!(out["valid"], json!(false));
}

#[test]
fn a_thousand_bad_containers_get_a_bounded_message() {
    let containers: Vec<Value> = (0..1000).map(|i| json!({"name": format!("c{i}"), "image": "busybox", "securityContext": {"privileged": true}})).collect();
    let out = evaluate(
        json!({"request": pod_request(json!({"containers": containers})), "settings": {}})
            .to_string()
            .as_bytes(),
    );
    assert!(!out.accepted);
    let msg = out.message.unwrap_or_default();
    assert!(msg.len() < 4096, "message is {} bytes", msg.len());
    assert!(msg.contains("more violations"), "{msg}");
    for w in &out.warnings {
        assert!(w.chars().count() <= 256, "{w}");
    }
}

/// A tiny deterministic generator, so the test needs no dependency and fails reproducibly.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

#[test]
fn mutated_payloads_never_panic() {
    let settings = common::yaml_settings("examples/settings/matih.yml");
    let seeds: Vec<Vec<u8>> = std::fs::read_dir(common::repo().join("examples/manifests"))
        .expect("examples")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .flat_map(|p| common::yaml_file(&p))
        .map(|obj| {
            let ns = obj["metadata"]["namespace"]
                .as_str()
                .unwrap_or("default")
                .to_owned();
            json!({"request": common::admission_request(&obj, &ns), "settings": settings})
                .to_string()
                .into_bytes()
        })
        .collect();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let alphabet = b"{}[]\":,0-9aeltrufsn \\";
    for round in 0..3000 {
        let mut p = seeds[round % seeds.len()].clone();
        for _ in 0..1 + rng.below(8) {
            let i = rng.below(p.len());
            match rng.below(4) {
                0 => p[i] = alphabet[rng.below(alphabet.len())],
                1 => p.truncate(i),
                2 => {
                    p.remove(i.min(p.len().saturating_sub(1)));
                }
                _ => p.insert(i, alphabet[rng.below(alphabet.len())]),
            }
            if p.is_empty() {
                break;
            }
        }
        let out: Value = serde_json::from_slice(&validate(&p)).expect("response is JSON");
        assert!(out["accepted"].is_boolean());
        let s: Value =
            serde_json::from_slice(&validate_settings(&p)).expect("settings response is JSON");
        assert!(s["valid"].is_boolean());
    }
}

#[test]
fn ten_thousand_bad_containers_are_answered_in_linear_time() {
    // Correctness, not speed: the answer is bounded; the benchmarks measure the time.
    let containers: Vec<Value> = (0..10_000)
        .map(|i| json!({"name": format!("c{i}"), "image": "busybox"}))
        .collect();
    let out = evaluate(
        json!({"request": pod_request(json!({"containers": containers})), "settings": {}})
            .to_string()
            .as_bytes(),
    );
    assert!(!out.accepted);
    assert!(out.message.unwrap_or_default().len() < 4096);
    assert!(out.warnings.len() <= 20);
}
