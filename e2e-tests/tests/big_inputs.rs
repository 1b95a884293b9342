//! Big and generated hostile inputs through the built module (issue "Fast and unbreakable"):
//! answers stay within memory, messages stay bounded, deep nesting does not overflow the
//! guest's stack, and no generated payload traps the module.

use e2e_tests::{repo_root, test_host};
use security_context_input::AdmissionRequestBuilder;
use serde_json::{Value, json};

fn pod(containers: Vec<Value>) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "big", "namespace": "apps"}, "spec": {"containers": containers}})
}

fn assert_bounded(what: &str, r: &e2e_tests::ValidationResponse) {
    let msg = r.message.as_deref().unwrap_or_default();
    assert!(msg.len() < 4096, "{what}: message of {} bytes", msg.len());
    let warnings = r.warnings.clone().unwrap_or_default();
    assert!(warnings.len() <= 20, "{what}: {} warnings", warnings.len());
    assert!(
        warnings.iter().all(|w| w.len() <= 256),
        "{what}: a warning over 256 bytes"
    );
}

#[test]
fn ten_thousand_containers() {
    let host = test_host();
    let bad: Vec<Value> = (0..10_000).map(|i| json!({"name": format!("c{i}"), "image": "busybox", "securityContext": {"privileged": true}})).collect();
    let r = host
        .validate(&AdmissionRequestBuilder::new(pod(bad)).build(), &json!({}))
        .expect("validate");
    assert!(!r.accepted);
    assert_bounded("10k bad containers", &r);
    assert!(r.message.unwrap_or_default().contains("more violations"));
    let good: Vec<Value> = (0..10_000)
        .map(|i| json!({"name": format!("c{i}"), "image": "busybox", "securityContext": {"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true, "capabilities": {"drop": ["ALL"]}}}))
        .collect();
    let mut p = pod(good);
    p["spec"]["securityContext"] = json!({"runAsNonRoot": true, "runAsUser": 1000, "runAsGroup": 1000, "fsGroup": 1000, "seccompProfile": {"type": "RuntimeDefault"}});
    let r = host
        .validate(&AdmissionRequestBuilder::new(p).build(), &json!({}))
        .expect("validate");
    assert!(r.accepted, "{:?}", r.message);
}

#[test]
fn five_mib_request() {
    let host = test_host();
    // 5 MiB of environment variables and annotations the policy skips, around a bad container.
    let env: Vec<Value> = (0..40_000)
        .map(|i| json!({"name": format!("VAR_{i}"), "value": "x".repeat(100)}))
        .collect();
    let mut p = pod(vec![json!({"name": "app", "image": "busybox", "env": env})]);
    p["metadata"]["annotations"] = json!({"blob": "y".repeat(1 << 20)});
    let req = AdmissionRequestBuilder::new(p).build();
    let size = req.to_string().len();
    assert!(size >= 5 << 20, "request is {size} bytes");
    let r = host.validate(&req, &json!({})).expect("validate");
    assert!(!r.accepted);
    assert_bounded("5 MiB", &r);
}

#[test]
fn deep_nesting_does_not_overflow() {
    let host = test_host();
    for depth in [1_000, 100_000, 1_000_000] {
        let deep = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let payload = format!(
            r#"{{"request":{{"kind":{{"group":"","version":"v1","kind":"Pod"}},"operation":"CREATE","object":{{"spec":{{"containers":[{{"name":"a","args":{deep}}}]}}}}}},"settings":{{}}}}"#
        );
        let r = host
            .validate_raw(payload.as_bytes())
            .unwrap_or_else(|e| panic!("depth {depth}: {e}"));
        assert!(!r.accepted, "depth {depth}");
        let objects = format!(
            "{}{}",
            r#"{"a":"#.repeat(depth / 10),
            "}".repeat(depth / 10)
        );
        let s = host
            .validate_settings_raw(objects.as_bytes())
            .unwrap_or_else(|e| panic!("depth {depth}: {e}"));
        assert!(!s.valid);
    }
}

/// A small deterministic generator, so a failure reproduces.
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
fn generated_malformed_payloads_never_trap() {
    let host = test_host();
    let settings_text =
        std::fs::read_to_string(repo_root().join("examples/settings/matih.yml")).expect("settings");
    let settings: Value = serde_norway::from_str(&settings_text).expect("settings yaml");
    let mut seeds = Vec::new();
    for name in ["postgresql", "starrocks", "ai-service"] {
        let text =
            std::fs::read_to_string(repo_root().join(format!("examples/manifests/{name}.yaml")))
                .expect("manifest");
        for doc in serde_norway::Deserializer::from_str(&text) {
            let obj: Value = serde::Deserialize::deserialize(doc).expect("yaml");
            let req = AdmissionRequestBuilder::new(obj).build();
            seeds.push(
                json!({"request": req, "settings": settings})
                    .to_string()
                    .into_bytes(),
            );
        }
    }
    let mut rng = Rng(0xdead_beef_cafe_f00d);
    let alphabet = b"{}[]\":,-0123456789.eE truefalsn\\u";
    for round in 0..1500 {
        let mut p = seeds[round % seeds.len()].clone();
        for _ in 0..1 + rng.below(6) {
            if p.is_empty() {
                break;
            }
            let i = rng.below(p.len());
            match rng.below(5) {
                0 => p[i] = alphabet[rng.below(alphabet.len())],
                1 => p.truncate(i),
                2 => {
                    p.remove(i);
                }
                3 => p.insert(i, alphabet[rng.below(alphabet.len())]),
                _ => {
                    let j = rng.below(p.len());
                    let chunk: Vec<u8> = p[i.min(j)..i.max(j)].to_vec();
                    p.splice(i..i, chunk);
                }
            }
        }
        let r = host
            .validate_raw(&p)
            .unwrap_or_else(|e| panic!("round {round}: the module failed: {e}"));
        assert_bounded(&format!("round {round}"), &r);
        host.validate_settings_raw(&p)
            .unwrap_or_else(|e| panic!("round {round}: validate_settings failed: {e}"));
    }
}
