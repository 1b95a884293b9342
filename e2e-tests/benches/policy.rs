//! Benchmarks (BENCHMARKS.md): evaluation per request, natively and inside wasmtime through the
//! waPC ABI (one instance reused, as policy-server does), with 0, 50 and 500 exceptions,
//! the recognition of settings already compiled, module instantiation, and the module's size.
//!
//! Run with `make bench` (it builds the module first). The inputs are built by
//! `e2e_tests::bench_inputs`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use e2e_tests::bench_inputs::{big_pod, exceptions, payload, rejected_pod, typical_deployment};
use e2e_tests::{PolicyModule, policy_path, repo_root};
use serde_json::json;

struct Input {
    name: &'static str,
    payload: Vec<u8>,
}

fn inputs() -> Vec<Input> {
    let deployment = typical_deployment();
    let none = json!({});
    // A kind the policy does not judge: the answer costs reading the request and recognising
    // the settings, nothing else.
    let mut config_map = deployment.clone();
    config_map["kind"] = json!({"group": "", "version": "v1", "kind": "ConfigMap"});
    vec![
        Input {
            name: "deployment-typical",
            payload: payload(&deployment, &none),
        },
        Input {
            name: "pod-100-containers",
            payload: payload(&big_pod(100), &none),
        },
        Input {
            name: "pod-100-rejected",
            payload: payload(&rejected_pod(100), &none),
        },
        Input {
            name: "deployment-50-exceptions",
            payload: payload(&deployment, &exceptions(50, false)),
        },
        Input {
            name: "deployment-500-exceptions",
            payload: payload(&deployment, &exceptions(500, false)),
        },
        Input {
            name: "deployment-500-exceptions-last-covers",
            payload: payload(&deployment, &exceptions(500, true)),
        },
        Input {
            name: "settings-recognition-none",
            payload: payload(&config_map, &none),
        },
        Input {
            name: "settings-recognition-500",
            payload: payload(&config_map, &exceptions(500, false)),
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

    // The upstream Kubewarden PSP policies on the same host and inputs, where provided
    // (`UPSTREAM_MODULES_DIR`), with the settings of their side-by-side comparison.
    match std::env::var_os("UPSTREAM_MODULES_DIR") {
        None => println!("UPSTREAM_MODULES_DIR not set: no upstream modules in this run"),
        Some(dir) => {
            let dir = std::path::PathBuf::from(dir);
            let upstream = [
                (
                    "user-group-psp",
                    json!({"run_as_user": {"rule": "MustRunAsNonRoot"}, "run_as_group": {"rule": "RunAsAny"}, "supplemental_groups": {"rule": "RunAsAny"}}),
                ),
                ("capabilities-psp", json!({})),
            ];
            let mut group = c.benchmark_group("upstream-wasm-wapc");
            for (name, settings) in upstream {
                let path = dir.join(format!("{name}.wasm"));
                let module = match PolicyModule::from_file(&path) {
                    Ok(m) => m,
                    Err(e) => {
                        println!("{}: {e}: skipped", path.display());
                        continue;
                    }
                };
                let host = module.instantiate().expect("instantiate upstream");
                for (input, request) in [
                    ("deployment-typical", typical_deployment()),
                    ("pod-100-containers", big_pod(100)),
                ] {
                    let body = payload(&request, &settings);
                    let answer = host.call("validate", &body).expect("upstream validate");
                    println!(
                        "{name} {input}: {}",
                        String::from_utf8_lossy(&answer)
                            .chars()
                            .take(120)
                            .collect::<String>()
                    );
                    group.bench_function(format!("{name}/{input}"), |b| {
                        b.iter(|| host.call("validate", black_box(&body)).expect("validate"))
                    });
                }
            }
            group.finish();
        }
    }

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
