//! Benchmarks of CONTRACT §8 / issue "Fast and unbreakable": evaluation per request, natively
//! and inside wasmtime through the waPC ABI (one instance reused, as policy-server does), module
//! instantiation, and the module's size.
//!
//! Run with `make bench` (it builds the module and the reference inputs first). Inputs come from
//! `benches/make_requests.py` (the shared reference requests) in `$SCP_BENCH_INPUTS`
//! (default `target/bench-inputs`).

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use e2e_tests::{PolicyModule, policy_path, repo_root};
use serde_json::{Value, json};

struct Input {
    name: &'static str,
    payload: Vec<u8>,
}

fn inputs_dir() -> PathBuf {
    std::env::var_os("SCP_BENCH_INPUTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target/bench-inputs"))
}

fn request(file: &str) -> Value {
    let path = inputs_dir().join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run `make bench`, which generates the inputs)",
            path.display()
        )
    });
    serde_json::from_str(&text).expect("request JSON")
}

/// Settings with 50 namespace-scoped exceptions, none of which covers the typical Deployment
/// (every exception is tried for every container: the worst case).
fn fifty_exceptions() -> Value {
    let exceptions: Vec<Value> = (0..50)
        .map(|i| {
            json!({
                "name": format!("team-{i}"), "reason": "benchmark",
                "match": {"namespaces": [format!("team-{i}")], "images": [format!("registry.matih.io/team-{i}/*"), format!("docker.io/library/svc{i}")], "labels": {"app.kubernetes.io/part-of": format!("team-{i}")}},
                "podSecurityContext": {"runAsUser": 2000 + i, "runAsGroup": 2000 + i, "fsGroup": 2000 + i},
                "securityContext": {"readOnlyRootFilesystem": false}
            })
        })
        .collect();
    json!({"exceptions": exceptions})
}

fn inputs() -> Vec<Input> {
    let payload = |req: Value, settings: Value| {
        json!({"request": req, "settings": settings})
            .to_string()
            .into_bytes()
    };
    vec![
        Input {
            name: "deployment-typical",
            payload: payload(request("deployment-typical.json"), json!({})),
        },
        Input {
            name: "pod-100-containers",
            payload: payload(request("pod-100-containers.json"), json!({})),
        },
        Input {
            name: "pod-100-rejected",
            payload: payload(request("pod-100-rejected.json"), json!({})),
        },
        Input {
            name: "deployment-50-exceptions",
            payload: payload(request("deployment-typical.json"), fifty_exceptions()),
        },
    ]
}

fn benches(c: &mut Criterion) {
    let inputs = inputs();
    let wasm_path = policy_path();
    let plain = repo_root().join("policy.wasm");
    for (label, path) in [
        ("policy.wasm", &plain),
        ("annotated-policy.wasm", &wasm_path),
    ] {
        if let Ok(m) = std::fs::metadata(path) {
            println!(
                "size of {label}: {} bytes ({:.1} KB)",
                m.len(),
                m.len() as f64 / 1000.0
            );
        }
    }

    // The verdicts, once, so the figures are known to measure what they claim.
    for input in &inputs {
        let out = security_context_policy::evaluate(&input.payload);
        println!(
            "{}: {} bytes, accepted={}",
            input.name,
            input.payload.len(),
            out.accepted
        );
    }

    let mut native = c.benchmark_group("native");
    for input in &inputs {
        native.bench_function(input.name, |b| {
            b.iter(|| security_context_policy::validate(black_box(&input.payload)))
        });
    }
    native.finish();

    let module =
        PolicyModule::from_file(&wasm_path).unwrap_or_else(|e| panic!("{e} (run `make wasm`)"));
    let host = module.instantiate().expect("instantiate");
    let mut wasm = c.benchmark_group("wasm-wapc");
    // The fixed cost of one waPC round trip (a guest function that does nothing).
    wasm.bench_function("protocol_version-call", |b| {
        b.iter(|| host.call("protocol_version", black_box(b"")).expect("call"))
    });
    for input in &inputs {
        let native_answer = security_context_policy::validate(&input.payload);
        let wasm_answer = host.call("validate", &input.payload).expect("validate");
        assert_eq!(
            native_answer, wasm_answer,
            "{}: the wasm and native answers differ",
            input.name
        );
        wasm.bench_function(input.name, |b| {
            b.iter(|| {
                host.call("validate", black_box(&input.payload))
                    .expect("validate")
            })
        });
    }
    wasm.finish();

    let mut inst = c.benchmark_group("instantiate");
    inst.sample_size(20)
        .measurement_time(Duration::from_secs(5));
    inst.bench_function("module-instance", |b| {
        b.iter(|| black_box(module.instantiate().expect("instantiate")))
    });
    inst.bench_function("compile-and-instantiate", |b| {
        let bytes = std::fs::read(&wasm_path).expect("wasm");
        b.iter(|| {
            black_box(
                PolicyModule::from_bytes(&bytes, "bench")
                    .and_then(|m| m.instantiate())
                    .expect("compile"),
            )
        })
    });
    inst.finish();
}

criterion_group! {
    name = policy;
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    targets = benches
}
criterion_main!(policy);
