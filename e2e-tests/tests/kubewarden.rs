//! The module in the real Kubewarden engine (issue 10): `kwctl` (inspect, annotate, run,
//! scaffold) and a policy-server started on 127.0.0.1, compared with the project's own waPC
//! host on the very same module. The WASI command build runs in policy-server's WASI runtime
//! too and must give the same answers.
//!
//! The binaries come from `$KWCTL` / `$POLICY_SERVER` or `PATH` (`make test` sets the variables
//! when the CI machine provides the binaries beside the checkout); the Sigstore trust
//! configuration from `$KUBEWARDEN_TRUST_CONFIG` or beside the binary. Without the binaries
//! every test here prints a loud notice and passes without running anything, so a user's clone
//! still passes `make test`.
//!
//! policy-server answers each AdmissionReview with what Kubewarden makes of the policy's
//! answer (`policy_evaluator::admission_response`, `admission_response_handler`): `allowed` is
//! `accepted`, `status` carries `message` and `code` whenever the policy set one, a
//! `mutated_object` becomes a base64 JSONPatch (none when it equals the object), a policy in
//! `monitor` mode always allows and never patches but keeps its warnings and audit annotations,
//! and a mutation from a policy not allowed to mutate is a rejection. [`expected`] applies
//! exactly those rules to the own host's answer; every field must then be equal.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Once};

use base64::Engine as _;
use e2e_tests::kubewarden::{
    HttpConnection, KWCTL_ENV, POLICY_SERVER_ENV, PolicyEntry, PolicyMode, PolicyServer,
    admission_review, check_version, file_url, find_binary, skip_notice, trust_config,
};
use e2e_tests::metadata::KWCTL_VERSION_ANNOTATION;
use e2e_tests::wasm::{METADATA_SECTION, custom_section};
use e2e_tests::{HostCalls, PolicyHost, ValidationResponse, policy_path, repo_root, test_module};
use security_context_input::{AdmissionRequestBuilder, create_request};
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------------
// Finding the binaries

struct Tools {
    kwctl: Option<PathBuf>,
    policy_server: Option<PathBuf>,
}

fn tools() -> Tools {
    // A binary set through the environment must exist; one too old to compare with is
    // reported and skipped like a missing one.
    let found = |env: &str, name: &str| {
        find_binary(env, name)
            .unwrap_or_else(|e| panic!("{e}"))
            .filter(|binary| match check_version(binary) {
                Ok(_) => true,
                Err(why) => {
                    announce(&format!("NOT USED: {why}"));
                    false
                }
            })
    };
    Tools {
        kwctl: found(KWCTL_ENV, "kwctl"),
        policy_server: found(POLICY_SERVER_ENV, "policy-server"),
    }
}

static NOTICE: Once = Once::new();

/// Prints to the real stderr, past the test harness's capture (which only catches `print!` and
/// `eprint!`), so the counts and the skip notice show in `cargo test` output, as CI keeps it.
fn announce(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{text}");
    let _ = err.flush();
}

/// The binary, or `None` after the loud notice (printed once per run) that the test skips.
fn need(binary: Option<PathBuf>, test: &str, name: &str) -> Option<PathBuf> {
    if binary.is_none() {
        NOTICE.call_once(|| {
            let t = tools();
            let mut missing = Vec::new();
            if t.kwctl.is_none() {
                missing.push("kwctl");
            }
            if t.policy_server.is_none() {
                missing.push("policy-server");
            }
            announce(&skip_notice(
                "the real-Kubewarden suite (tests/kubewarden.rs)",
                &missing,
            ));
        });
        announce(&format!("SKIPPED {test}: no {name}"));
    }
    binary
}

fn trust(binary: &Path) -> Option<PathBuf> {
    trust_config(binary).unwrap_or_else(|e| panic!("{e}"))
}

fn work_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("kubewarden")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    dir
}

/// `kwctl <args>` (with `--sigstore-trust-config` first where the subcommand takes it).
fn kwctl(kwctl: &Path, args: &[&str], with_trust: bool) -> Output {
    let mut command = Command::new(kwctl);
    let mut args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    if with_trust && let Some(t) = trust(kwctl) {
        // After the (sub)command: `run …`, `scaffold manifest …`.
        let at = if args.first().is_some_and(|a| a == "scaffold") {
            2
        } else {
            1
        };
        args.insert(
            at.min(args.len()),
            format!("--sigstore-trust-config={}", t.display()),
        );
    }
    command
        .args(&args)
        .env("NO_COLOR", "1")
        .env_remove("RUST_BACKTRACE");
    command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", kwctl.display()))
}

fn ok_stdout(what: &str, output: &Output) -> String {
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

// ---------------------------------------------------------------------------------------------
// Inputs: settings, manifests, PSS fixtures

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn yaml_docs(path: &Path) -> Vec<Value> {
    serde_norway::Deserializer::from_str(&read(path))
        .map(|d| {
            serde::Deserialize::deserialize(d).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        })
        .filter(|v: &Value| !v.is_null())
        .collect()
}

fn files(dir: &Path, recursive: bool) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .path();
        if path.is_dir() {
            if recursive {
                out.extend(files(&path, true));
            }
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        ) {
            out.push(path);
        }
    }
    out.sort();
    out
}

fn relative(path: &Path) -> String {
    path.strip_prefix(repo_root())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// `examples/settings/<stem>.yml` → (`settings-<stem>`, settings).
fn example_settings() -> Vec<(String, Value)> {
    files(&repo_root().join("examples/settings"), false)
        .into_iter()
        .map(|p| {
            let stem = p.file_stem().unwrap_or_default().to_string_lossy();
            let settings = yaml_docs(&p).into_iter().next().unwrap_or(json!({}));
            (format!("settings-{stem}"), settings)
        })
        .collect()
}

/// `spec.settings` of `examples/kubewarden/<file>`.
fn kubewarden_example(file: &str) -> Value {
    let path = repo_root().join("examples/kubewarden").join(file);
    yaml_docs(&path)
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("{}: empty", path.display()))
}

struct PssFixture {
    level: String,
    path: String,
    pod: Value,
}

/// The PSS v1.37 fixtures, as tests/conformance.rs reads them (manifest.tsv: level, expect,
/// check, path); each runs under `{podSecurityStandard: level, podSecurityContext: {},
/// securityContext: {}}`, which are examples/settings/pss-<level>.yml.
fn pss_fixtures() -> Vec<PssFixture> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/pss-v1.37");
    read(&dir.join("manifest.tsv"))
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            assert_eq!(cols.len(), 4, "manifest.tsv: {line:?}");
            PssFixture {
                level: cols[0].to_owned(),
                path: cols[3].to_owned(),
                pod: yaml_docs(&dir.join(cols[3]))
                    .into_iter()
                    .next()
                    .unwrap_or_default(),
            }
        })
        .collect()
}

const WORKLOAD_KINDS: &[(&str, &str)] = &[
    ("v1", "Pod"),
    ("apps/v1", "Deployment"),
    ("apps/v1", "ReplicaSet"),
    ("apps/v1", "StatefulSet"),
    ("apps/v1", "DaemonSet"),
    ("v1", "ReplicationController"),
    ("batch/v1", "Job"),
    ("batch/v1", "CronJob"),
];

/// A bare workload of `kind` (no security context at all) around `spec`.
fn workload(api_version: &str, kind: &str, spec: Value) -> Value {
    let template = json!({"metadata": {"labels": {"app": "t"}}, "spec": spec});
    let spec = match kind {
        "Pod" => template["spec"].clone(),
        "CronJob" => {
            json!({"schedule": "*/5 * * * *", "jobTemplate": {"spec": {"template": template}}})
        }
        "Job" => json!({"template": template}),
        _ => json!({"selector": {"matchLabels": {"app": "t"}}, "template": template}),
    };
    json!({"apiVersion": api_version, "kind": kind,
           "metadata": {"name": format!("bare-{}", kind.to_ascii_lowercase()), "namespace": "apps"},
           "spec": spec})
}

fn compliant_pod_spec() -> Value {
    json!({
        "securityContext": {"runAsNonRoot": true, "runAsUser": 1000, "runAsGroup": 1000,
                            "fsGroup": 1000, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [{"name": "app", "image": "registry.matih.io/matih/app:1.0",
                        "securityContext": {"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true,
                                            "capabilities": {"drop": ["ALL"]}}}]
    })
}

/// One AdmissionRequest to send to a policy.
struct Case {
    name: String,
    policy: String,
    request: Value,
}

// ---------------------------------------------------------------------------------------------
// What policy-server must answer, from the own host's answer

/// The fields of an AdmissionResponse a webhook client sees.
#[derive(Debug, Clone, PartialEq)]
struct Verdict {
    allowed: bool,
    message: Option<String>,
    code: Option<u64>,
    warnings: Option<Vec<String>>,
    audit_annotations: Option<BTreeMap<String, String>>,
    /// The object after the JSONPatch, when there is a patch.
    patched: Option<Value>,
}

/// policy-server's answer for `policy`, from the own host's `own` on `request` (see the
/// module documentation).
fn expected(own: &ValidationResponse, request: &Value, policy: &PolicyEntry) -> Verdict {
    let object = &request["object"];
    let mutated = own
        .mutated_object
        .as_ref()
        .filter(|m| *m != object && !object.is_null());
    if own.mutated_object.is_some() && object.is_null() {
        return Verdict {
            allowed: false,
            message: Some("Incoming object is null, which happens only with DELETE operations, but the policy is attempting a mutation. This is not allowed".to_owned()),
            code: None,
            warnings: None,
            audit_annotations: None,
            patched: None,
        };
    }
    let mut verdict = Verdict {
        allowed: own.accepted,
        message: own.message.clone(),
        code: own.code.map(u64::from),
        warnings: own.warnings.clone(),
        audit_annotations: own.audit_annotations.clone(),
        patched: mutated.cloned(),
    };
    match policy.mode {
        PolicyMode::Monitor => {
            verdict.allowed = true;
            verdict.message = None;
            verdict.code = None;
            verdict.patched = None;
        }
        PolicyMode::Protect if verdict.patched.is_some() && !policy.allowed_to_mutate => {
            verdict.allowed = false;
            verdict.message = Some(format!(
                "Request rejected by policy {}. The policy attempted to mutate the request, but it is currently configured to not allow mutations.",
                policy.id
            ));
            verdict.code = None;
            verdict.patched = None;
        }
        PolicyMode::Protect => {}
    }
    verdict
}

/// What policy-server answered, its JSONPatch applied to the request's object.
fn actual(review: &Value, request: &Value) -> Result<Verdict, String> {
    let response = review
        .get("response")
        .ok_or_else(|| format!("no response in {review}"))?;
    if response["uid"] != request["uid"] {
        return Err(format!(
            "response uid {} is not the request's {}",
            response["uid"], request["uid"]
        ));
    }
    let strings = |v: &Value| -> Result<Option<Vec<String>>, String> {
        match v {
            Value::Null => Ok(None),
            v => serde_json::from_value(v.clone())
                .map(Some)
                .map_err(|e| format!("warnings: {e}")),
        }
    };
    let map = |v: &Value| -> Result<Option<BTreeMap<String, String>>, String> {
        match v {
            Value::Null => Ok(None),
            v => serde_json::from_value(v.clone())
                .map(Some)
                .map_err(|e| format!("auditAnnotations: {e}")),
        }
    };
    let patched = match response.get("patch").and_then(Value::as_str) {
        None => None,
        Some(encoded) => {
            if response["patchType"] != "JSONPatch" {
                return Err(format!("patchType is {}", response["patchType"]));
            }
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .map_err(|e| format!("patch is not base64: {e}"))?;
            let patch: json_patch::Patch = serde_json::from_slice(&bytes)
                .map_err(|e| format!("patch is not a JSONPatch: {e}"))?;
            let mut object = request["object"].clone();
            json_patch::patch(&mut object, &patch)
                .map_err(|e| format!("the JSONPatch does not apply to the object: {e}"))?;
            Some(object)
        }
    };
    Ok(Verdict {
        allowed: response["allowed"]
            .as_bool()
            .ok_or_else(|| format!("allowed is {}", response["allowed"]))?,
        message: response["status"]["message"].as_str().map(str::to_owned),
        code: response["status"]["code"].as_u64(),
        warnings: strings(&response["warnings"])?,
        audit_annotations: map(&response["auditAnnotations"])?,
        patched,
    })
}

/// The fields in which two verdicts differ, each with both values (shortened).
fn differences(server: &Verdict, own: &Verdict) -> Vec<String> {
    fn show<T: std::fmt::Debug>(v: &T) -> String {
        let text = format!("{v:?}");
        if text.chars().count() > 400 {
            format!("{}…", text.chars().take(400).collect::<String>())
        } else {
            text
        }
    }
    let mut out = Vec::new();
    let mut field = |name: &str, same: bool, a: String, b: String| {
        if !same {
            out.push(format!("{name}: policy-server {a}, own host {b}"));
        }
    };
    field(
        "allowed",
        server.allowed == own.allowed,
        show(&server.allowed),
        show(&own.allowed),
    );
    field(
        "message",
        server.message == own.message,
        show(&server.message),
        show(&own.message),
    );
    field(
        "code",
        server.code == own.code,
        show(&server.code),
        show(&own.code),
    );
    field(
        "warnings",
        server.warnings == own.warnings,
        show(&server.warnings),
        show(&own.warnings),
    );
    field(
        "auditAnnotations",
        server.audit_annotations == own.audit_annotations,
        show(&server.audit_annotations),
        show(&own.audit_annotations),
    );
    // JSON values compare as JSON: the order of an object's keys does not matter.
    field(
        "patched object (JSONPatch applied to the request's object)",
        server.patched == own.patched,
        show(&server.patched.as_ref().map(Value::to_string)),
        show(&own.patched.as_ref().map(Value::to_string)),
    );
    out
}

// ---------------------------------------------------------------------------------------------
// policy-server against the own host

fn module() -> PathBuf {
    // Compiling first fails with "run make wasm" when the module is missing.
    let _ = test_module();
    policy_path()
}

fn comparison_entries(module: &Path) -> Vec<PolicyEntry> {
    let mut entries: Vec<PolicyEntry> = example_settings()
        .into_iter()
        .map(|(id, settings)| PolicyEntry::new(&id, module, settings))
        .collect();
    let mutating = kubewarden_example("mutating.yaml");
    entries.push(
        PolicyEntry::new("mutating", module, mutating["spec"]["settings"].clone())
            .mutating(mutating["spec"]["mutating"] == true),
    );
    let monitor = kubewarden_example("monitor.yaml");
    entries.push(
        PolicyEntry::new("monitor", module, monitor["spec"]["settings"].clone())
            .mode(PolicyMode::Monitor),
    );
    // A mutating policy deployed with mutating: false: Kubewarden turns its mutations into
    // rejections.
    entries.push(PolicyEntry::new(
        "mutation-not-allowed",
        module,
        mutating["spec"]["settings"].clone(),
    ));
    // The WASI command build (executionMode: wasi, make wasi) in policy-server's WASI runtime,
    // granted no host capability as it calls none: the same answers as the waPC module.
    let wasi = e2e_tests::wasi::wasi_policy_path();
    assert!(
        wasi.is_file(),
        "{} is missing: run `make wasi` (or `make test`)",
        wasi.display()
    );
    for (id, settings) in example_settings() {
        if id == "settings-standard" || id == "settings-matih" {
            entries.push(
                PolicyEntry::new(&format!("wasi-{id}"), &wasi, settings).host_capabilities(&[]),
            );
        }
    }
    entries.push(
        PolicyEntry::new("wasi-mutating", &wasi, mutating["spec"]["settings"].clone())
            .mutating(true)
            .host_capabilities(&[]),
    );
    entries
}

fn comparison_cases(entries: &[PolicyEntry]) -> Vec<Case> {
    let mut cases = Vec::new();
    let ids: Vec<&str> = entries.iter().map(|e| e.id.as_str()).collect();

    // Every document of every example manifest, under every policy.
    for file in files(&repo_root().join("examples/manifests"), true) {
        for (i, doc) in yaml_docs(&file).into_iter().enumerate() {
            let name = format!(
                "{}#{i} ({} {})",
                relative(&file),
                doc["kind"].as_str().unwrap_or("?"),
                doc["metadata"]["name"].as_str().unwrap_or("?")
            );
            for id in &ids {
                cases.push(Case {
                    name: name.clone(),
                    policy: (*id).to_owned(),
                    request: create_request(&doc),
                });
            }
        }
    }

    // Every PSS v1.37 fixture under its level's settings, and under the mutating policy.
    for fixture in pss_fixtures() {
        let name = format!("pss-v1.37/{}", fixture.path);
        for policy in [
            format!("settings-pss-{}", fixture.level),
            "mutating".to_owned(),
        ] {
            cases.push(Case {
                name: name.clone(),
                policy,
                request: create_request(&fixture.pod),
            });
        }
    }

    // The request table: every workload kind, bare and compliant, through each operation the
    // rules (and kubectl debug) send, under the standard, the mutating and the monitor policy.
    for (api_version, kind) in WORKLOAD_KINDS {
        let bare = workload(
            api_version,
            kind,
            json!({"containers": [{"name": "app", "image": "registry.matih.io/matih/app:1.0"}]}),
        );
        let compliant = workload(api_version, kind, compliant_pod_spec());
        let requests = [
            (
                "bare CREATE",
                AdmissionRequestBuilder::new(bare.clone()).build(),
            ),
            (
                "compliant CREATE",
                AdmissionRequestBuilder::new(compliant.clone()).build(),
            ),
            (
                "bare UPDATE from compliant",
                AdmissionRequestBuilder::new(bare.clone())
                    .update_from(compliant.clone())
                    .build(),
            ),
            (
                "compliant UPDATE from bare",
                AdmissionRequestBuilder::new(compliant.clone())
                    .update_from(bare.clone())
                    .build(),
            ),
            (
                "bare CREATE, dry run",
                AdmissionRequestBuilder::new(bare.clone())
                    .dry_run(true)
                    .build(),
            ),
            (
                "bare CREATE in kube-system",
                AdmissionRequestBuilder::new(bare.clone())
                    .namespace("kube-system")
                    .build(),
            ),
        ];
        for (what, request) in requests {
            for policy in [
                "settings-standard",
                "settings-matih",
                "mutating",
                "monitor",
                "wasi-mutating",
            ] {
                cases.push(Case {
                    name: format!("table: {kind} {what}"),
                    policy: policy.to_owned(),
                    request: request.clone(),
                });
            }
        }
    }
    // Odd but well-formed objects: what the API server could send after defaulting, and what a
    // broken client might; policy-server must pass them to the module as the own host does.
    let many: Vec<Value> = (0..100)
        .map(|i| {
            json!({"name": format!("c{i}"), "image": "registry.matih.io/matih/app:1.0",
                        "securityContext": {"allowPrivilegeEscalation": i % 7 == 0,
                                            "readOnlyRootFilesystem": i % 5 != 0}})
        })
        .collect();
    let odd: [(&str, Value); 6] = [
        ("Pod with 100 containers", {
            let mut spec = compliant_pod_spec();
            spec["containers"] = json!(many);
            workload("v1", "Pod", spec)
        }),
        (
            "Pod without spec",
            json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "no-spec", "namespace": "apps"}}),
        ),
        (
            "Pod with containers: null",
            workload("v1", "Pod", json!({"containers": null})),
        ),
        (
            "Pod with an empty container list",
            workload("v1", "Pod", json!({"containers": []})),
        ),
        (
            "Deployment without a template",
            json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "no-template", "namespace": "apps"}, "spec": {"replicas": 1}}),
        ),
        ("Pod with unknown fields everywhere", {
            let mut spec = compliant_pod_spec();
            spec["futureField"] = json!({"x": 1});
            spec["containers"][0]["securityContext"]["futureKnob"] = json!(true);
            let mut pod = workload("v1", "Pod", spec);
            pod["status"] = json!({"phase": "Pending"});
            pod
        }),
    ];
    for (what, object) in odd {
        let request = create_request(&object);
        for policy in [
            "settings-standard",
            "settings-pss-baseline",
            "mutating",
            "monitor",
        ] {
            cases.push(Case {
                name: format!("table: {what}"),
                policy: policy.to_owned(),
                request: request.clone(),
            });
        }
    }
    // kubectl debug: an ephemeral container added to a compliant pod (UPDATE of the
    // ephemeralcontainers subresource), one compliant and one bare.
    let pod = workload("v1", "Pod", compliant_pod_spec());
    for (what, ephemeral) in [
        (
            "bare debug container",
            json!({"name": "debug", "image": "busybox:1.36"}),
        ),
        (
            "compliant debug container",
            json!({"name": "debug", "image": "busybox:1.36",
            "securityContext": {"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true,
                                "capabilities": {"drop": ["ALL"]}}}),
        ),
    ] {
        let mut debugged = pod.clone();
        debugged["spec"]["ephemeralContainers"] = json!([ephemeral]);
        let request = AdmissionRequestBuilder::new(debugged)
            .update_from(pod.clone())
            .sub_resource("ephemeralcontainers")
            .build();
        for policy in ["settings-standard", "mutating", "monitor"] {
            cases.push(Case {
                name: format!("table: pods/ephemeralcontainers, {what}"),
                policy: policy.to_owned(),
                request: request.clone(),
            });
        }
    }
    cases
}

#[test]
fn policy_server_answers_as_the_own_host() {
    let Some(binary) = need(
        tools().policy_server,
        "policy_server_answers_as_the_own_host",
        "policy-server",
    ) else {
        return;
    };
    let module = module();
    let entries = comparison_entries(&module);
    let cases = comparison_cases(&entries);
    let server = PolicyServer::start(
        &binary,
        trust(&binary).as_deref(),
        &entries,
        &work_dir("comparison"),
        2,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut connection = server.connect().unwrap_or_else(|e| panic!("{e}"));
    let host: PolicyHost = test_module()
        .instantiate()
        .unwrap_or_else(|e| panic!("{e}"));

    let by_id: BTreeMap<&str, &PolicyEntry> = entries.iter().map(|e| (e.id.as_str(), e)).collect();
    let mut mismatches = Vec::new();
    let mut compared = 0;
    let mut rejected = 0;
    let mut patched = 0;
    for case in &cases {
        let policy = by_id[case.policy.as_str()];
        let label = format!("{} -> /validate/{}", case.name, case.policy);
        let own = match host.validate(&case.request, &policy.settings) {
            Ok(own) => own,
            Err(e) => {
                mismatches.push(format!("{label}: the own host failed: {e}"));
                continue;
            }
        };
        let review = match connection.validate(&case.policy, &admission_review(&case.request)) {
            Ok(review) => review,
            Err(e) => {
                mismatches.push(format!("{label}: {e}"));
                // A broken connection would fail every later case: open a new one.
                connection = server.connect().unwrap_or_else(|e| panic!("{e}"));
                continue;
            }
        };
        let server_verdict = match actual(&review, &case.request) {
            Ok(v) => v,
            Err(e) => {
                mismatches.push(format!("{label}: {e}"));
                continue;
            }
        };
        let own_verdict = expected(&own, &case.request, policy);
        compared += 1;
        rejected += usize::from(!server_verdict.allowed);
        patched += usize::from(server_verdict.patched.is_some());
        let diffs = differences(&server_verdict, &own_verdict);
        if !diffs.is_empty() {
            mismatches.push(format!("{label}:\n      {}", diffs.join("\n      ")));
        }
    }
    drop(connection);
    announce(&format!(
        "policy-server (pid {}, 127.0.0.1:{}): {} AdmissionReviews sent to {} policies, {compared} responses compared with the own host ({rejected} rejections, {patched} JSONPatches applied), {}",
        server.pid(),
        server.port(),
        cases.len(),
        entries.len(),
        if mismatches.is_empty() {
            "all equal".to_owned()
        } else {
            format!("{} differ", mismatches.len())
        }
    ));
    assert!(
        mismatches.is_empty(),
        "{} of {} requests: policy-server and the own host answer differently:\n  {}\npolicy-server's log:\n{}",
        mismatches.len(),
        cases.len(),
        mismatches.join("\n  "),
        server.log_tail()
    );
    assert!(
        rejected > 0 && patched > 0 && rejected < compared,
        "the cases must include rejections, mutations and acceptances"
    );
}

// ---------------------------------------------------------------------------------------------
// Image-user verification through policy-server's OCI capability

/// A pod that names no runAsUser, so its image's USER decides (the README's example).
fn image_user_pod(image: &str, run_as_user: Option<u64>) -> Value {
    let mut spec = compliant_pod_spec();
    spec["containers"][0]["image"] = json!(image);
    match run_as_user {
        Some(uid) => spec["securityContext"]["runAsUser"] = json!(uid),
        None => {
            if let Some(sc) = spec["securityContext"].as_object_mut() {
                sc.remove("runAsUser");
            }
        }
    }
    workload("v1", "Pod", spec)
}

fn image_user_settings(on_failure: &str) -> Value {
    json!({
        "podSecurityContext": {"runAsNonRoot": true, "runAsGroup": 1000, "fsGroup": 1000,
                               "seccompProfile": {"type": "RuntimeDefault"}},
        "imageUser": {"verify": true, "onLookupFailure": on_failure},
    })
}

/// The README's promise (Deploy on Kubewarden): a lookup that fails names the check, the
/// container and the image, and says the configured user could not be read.
const LOOKUP_FAILED: &str = "the image's configured user could not be read (OCI lookup failed: ";

#[test]
fn image_user_lookup_failures_warn_or_deny_through_policy_server() {
    let Some(binary) = need(
        tools().policy_server,
        "image_user_lookup_failures_warn_or_deny_through_policy_server",
        "policy-server",
    ) else {
        return;
    };
    let module = module();
    let entries = vec![
        // ClusterAdmissionPolicies: the controller grants every host capability ("*").
        PolicyEntry::new("cluster-warn", &module, image_user_settings("warn")),
        PolicyEntry::new("cluster-deny", &module, image_user_settings("deny")),
        // AdmissionPolicies on a PolicyServer whose namespacedPoliciesCapabilities allows the
        // lookup, and on one that allows nothing.
        PolicyEntry::new("namespaced-oci-deny", &module, image_user_settings("deny"))
            .host_capabilities(&["oci/v1/oci_manifest_config"]),
        PolicyEntry::new("namespaced-none-warn", &module, image_user_settings("warn"))
            .host_capabilities(&[]),
        PolicyEntry::new("namespaced-none-deny", &module, image_user_settings("deny"))
            .host_capabilities(&[]),
    ];
    let server = PolicyServer::start(
        &binary,
        trust(&binary).as_deref(),
        &entries,
        &work_dir("image-user"),
        2,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut connection: HttpConnection = server.connect().unwrap_or_else(|e| panic!("{e}"));
    // No registry here: a registry on a port nothing listens on fails at once, as an
    // unreachable one does in a cluster.
    let closed = e2e_tests::kubewarden::free_port().unwrap_or_else(|e| panic!("{e}"));
    let image = format!("127.0.0.1:{closed}/matih/app:1.0");
    let needs_lookup = create_request(&image_user_pod(&image, None));
    let pinned = create_request(&image_user_pod(&image, Some(1000)));

    // The own host, whose OCI lookups fail too, for the verdicts' shape.
    let failing = Arc::new(HostCalls::new().with_oci_handler(|_| Err("unreachable".to_owned())));
    let own_host = test_module()
        .instantiate_with(failing)
        .unwrap_or_else(|e| panic!("{e}"));

    let mut failures = Vec::new();
    let mut sent = 0;
    let mut check = |name: &str,
                     policy: &str,
                     request: &Value,
                     want: &dyn Fn(&Verdict) -> Result<(), String>| {
        sent += 1;
        let result = connection
            .validate(policy, &admission_review(request))
            .and_then(|review| actual(&review, request))
            .and_then(|v| want(&v).map_err(|e| format!("{e}\n      policy-server answered {v:?}")));
        if let Err(e) = result {
            failures.push(format!("{name} (/validate/{policy}): {e}"));
        }
    };
    let container = "[imageUser] container \"app\": spec.containers[0].image is";
    let warns = |v: &Verdict| -> Result<(), String> {
        let warnings = v.warnings.clone().unwrap_or_default();
        if !v.allowed {
            return Err("expected the pod admitted with a warning, it was rejected".to_owned());
        }
        match warnings.as_slice() {
            [w] if w.starts_with(container) && w.contains(LOOKUP_FAILED) => Ok(()),
            _ => Err(format!(
                "expected one warning `{container} … {LOOKUP_FAILED}…`"
            )),
        }
    };
    let denies = |granted: bool| {
        move |v: &Verdict| -> Result<(), String> {
            let message = v.message.clone().unwrap_or_default();
            if v.allowed {
                return Err("expected a rejection".to_owned());
            }
            if !message.contains(container) || !message.contains(LOOKUP_FAILED) {
                return Err(format!("the message lacks `{container} … {LOOKUP_FAILED}`"));
            }
            let not_granted = message.contains(
                "has not been granted access to the 'oci/v1/oci_manifest_config' host capability",
            );
            if granted == not_granted {
                return Err(if granted {
                    "the lookup was refused as not granted, but the policy has the capability"
                        .to_owned()
                } else {
                    "expected policy-server to refuse the capability the policy was not granted"
                        .to_owned()
                });
            }
            Ok(())
        }
    };
    check(
        "warn: the registry is unreachable",
        "cluster-warn",
        &needs_lookup,
        &warns,
    );
    check(
        "deny: the registry is unreachable",
        "cluster-deny",
        &needs_lookup,
        &denies(true),
    );
    check(
        "namespaced, oci/v1/oci_manifest_config allowed: the registry is unreachable",
        "namespaced-oci-deny",
        &needs_lookup,
        &denies(true),
    );
    check(
        "namespaced, no capabilities allowed: warn",
        "namespaced-none-warn",
        &needs_lookup,
        &warns,
    );
    check(
        "namespaced, no capabilities allowed: deny",
        "namespaced-none-deny",
        &needs_lookup,
        &denies(false),
    );
    let no_lookup = |v: &Verdict| -> Result<(), String> {
        if v.allowed && v.warnings.as_ref().is_none_or(Vec::is_empty) {
            Ok(())
        } else {
            Err(
                "a pod with runAsUser needs no lookup: expected it admitted without warnings"
                    .to_owned(),
            )
        }
    };
    check(
        "deny: runAsUser set, nothing to look up",
        "cluster-deny",
        &pinned,
        &no_lookup,
    );
    check(
        "warn: runAsUser set, nothing to look up",
        "cluster-warn",
        &pinned,
        &no_lookup,
    );

    // The own host gives the same verdicts (its lookups fail as well).
    for (policy, request) in [
        ("cluster-warn", &needs_lookup),
        ("cluster-deny", &needs_lookup),
        ("cluster-deny", &pinned),
    ] {
        let settings = &entries
            .iter()
            .find(|e| e.id == policy)
            .map(|e| e.settings.clone())
            .unwrap_or_default();
        let own = own_host
            .validate(request, settings)
            .unwrap_or_else(|e| panic!("{e}"));
        let review = server
            .validate(policy, &admission_review(request))
            .unwrap_or_else(|e| panic!("{e}"));
        let v = actual(&review, request).unwrap_or_else(|e| panic!("{e}"));
        sent += 1;
        let own_warnings = own.warnings.clone().unwrap_or_default().len();
        let server_warnings = v.warnings.clone().unwrap_or_default().len();
        if own.accepted != v.allowed || own_warnings != server_warnings {
            failures.push(format!(
                "{policy}: the own host says accepted={} with {own_warnings} warnings, policy-server allowed={} with {server_warnings}",
                own.accepted, v.allowed
            ));
        }
    }
    announce(&format!(
        "image-user verification through policy-server: {sent} AdmissionReviews, {} as the README promises",
        if failures.is_empty() {
            "all".to_owned()
        } else {
            format!("{} not", failures.len())
        }
    ));
    assert!(
        failures.is_empty(),
        "image-user verification through policy-server:\n  {}\npolicy-server's log:\n{}",
        failures.join("\n  "),
        server.log_tail()
    );
}

// ---------------------------------------------------------------------------------------------
// kwctl

#[test]
fn kwctl_inspect_reads_the_built_module() {
    let Some(kw) = need(
        tools().kwctl,
        "kwctl_inspect_reads_the_built_module",
        "kwctl",
    ) else {
        return;
    };
    let module = module();
    let path = module.display().to_string();
    let yaml = ok_stdout(
        "kwctl inspect -o yaml",
        &kwctl(&kw, &["inspect", "-o", "yaml", &path], false),
    );
    let inspected: Value = serde_norway::from_str(&yaml).unwrap_or_else(|e| panic!("{e}: {yaml}"));
    let bytes = std::fs::read(&module).unwrap_or_else(|e| panic!("{e}"));
    let section = custom_section(&bytes, METADATA_SECTION)
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("{path}: no {METADATA_SECTION} section (run `make wasm`)"));
    let embedded: Value = serde_json::from_slice(section).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        inspected, embedded,
        "kwctl inspect reads other metadata than the module holds"
    );
    assert_eq!(
        inspected["hostCapabilities"],
        json!(["oci/v1/oci_manifest_config"])
    );
    assert_eq!(inspected["minimumKubewardenVersion"], "1.35.0");
    assert_eq!(inspected["protocolVersion"], "v1");

    let text = ok_stdout("kwctl inspect", &kwctl(&kw, &["inspect", &path], false));
    for expected in [
        "security-context",
        "minimum kubewarden version:   1.35.0",
        "mutating:                     true",
        "background audit support:     true",
    ] {
        assert!(
            text.contains(expected),
            "kwctl inspect lacks {expected:?}:\n{text}"
        );
    }
}

/// `io.kubewarden.metadata` of `module`.
fn metadata_section(module: &Path) -> Vec<u8> {
    let bytes = std::fs::read(module).unwrap_or_else(|e| panic!("{}: {e}", module.display()));
    custom_section(&bytes, METADATA_SECTION)
        .unwrap_or_else(|e| panic!("{}: {e}", module.display()))
        .unwrap_or_else(|| panic!("{}: no {METADATA_SECTION}", module.display()))
        .to_vec()
}

/// kwctl's section without its `"io.kubewarden.kwctl":"<version>",` (annotations are sorted,
/// so another annotation follows it).
fn without_kwctl_annotation(section: &[u8]) -> Vec<u8> {
    let value: Value = serde_json::from_slice(section).unwrap_or_else(|e| panic!("{e}"));
    let version = value["annotations"][KWCTL_VERSION_ANNOTATION]
        .as_str()
        .unwrap_or_else(|| panic!("kwctl wrote no {KWCTL_VERSION_ANNOTATION} annotation"));
    let needle = format!("{}:{},", json!(KWCTL_VERSION_ANNOTATION), json!(version));
    let text = String::from_utf8(section.to_vec()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(text.matches(&needle).count(), 1, "{needle} not found once");
    text.replacen(&needle, "", 1).into_bytes()
}

/// `kwctl annotate` of `plain` with `metadata` and docs/usage.md: its metadata section must be
/// byte for byte `annotated`'s (what `make wasm` / `make wasi` wrote), kwctl's own annotation
/// aside, and kwctl must not warn. The section's size.
fn kwctl_annotate_matches(kw: &Path, plain: &str, metadata: &str, annotated: &Path) -> usize {
    let root = repo_root();
    let out = work_dir(&format!("annotate-{metadata}")).join("kwctl-annotated.wasm");
    let output = kwctl(
        kw,
        &[
            "annotate",
            "-m",
            &root.join(metadata).display().to_string(),
            "-u",
            &root.join("docs/usage.md").display().to_string(),
            "-o",
            &out.display().to_string(),
            &root.join(plain).display().to_string(),
        ],
        false,
    );
    let stdout = ok_stdout(&format!("kwctl annotate -m {metadata} {plain}"), &output);
    let printed = format!("{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert!(
        !printed.contains("WARN"),
        "kwctl annotate warns about {metadata}:\n{printed}"
    );
    let theirs = without_kwctl_annotation(&metadata_section(&out));
    let mine = metadata_section(annotated);
    if theirs != mine {
        let at = theirs
            .iter()
            .zip(&mine)
            .position(|(a, b)| a != b)
            .unwrap_or(theirs.len().min(mine.len()));
        let around = |b: &[u8]| {
            String::from_utf8_lossy(&b[at.saturating_sub(60)..(at + 60).min(b.len())]).into_owned()
        };
        panic!(
            "{}: {METADATA_SECTION} differs from kwctl's at byte {at} (rebuild it with `make wasm wasi`):\n  kwctl: …{}…\n  ours:  …{}…",
            annotated.display(),
            around(&theirs),
            around(&mine)
        );
    }
    mine.len()
}

#[test]
fn kwctl_annotate_writes_byte_for_byte_the_metadata_of_make_wasm() {
    let Some(kw) = need(
        tools().kwctl,
        "kwctl_annotate_writes_byte_for_byte_the_metadata_of_make_wasm",
        "kwctl",
    ) else {
        return;
    };
    let size = kwctl_annotate_matches(&kw, "policy.wasm", "policy-metadata.yml", &module());
    announce(&format!(
        "kwctl annotate: {size} bytes of {METADATA_SECTION} in annotated-policy.wasm, identical to make wasm's apart from {KWCTL_VERSION_ANNOTATION}"
    ));
}

#[test]
fn kwctl_annotate_writes_byte_for_byte_the_metadata_of_make_wasi() {
    let Some(kw) = need(
        tools().kwctl,
        "kwctl_annotate_writes_byte_for_byte_the_metadata_of_make_wasi",
        "kwctl",
    ) else {
        return;
    };
    let annotated = e2e_tests::wasi::wasi_policy_path();
    assert!(
        annotated.is_file(),
        "{} is missing: run `make wasi` (or `make test`)",
        annotated.display()
    );
    let size = kwctl_annotate_matches(
        &kw,
        "policy-wasi.wasm",
        "policy-metadata-wasi.yml",
        &annotated,
    );
    announce(&format!(
        "kwctl annotate: {size} bytes of {METADATA_SECTION} in annotated-policy-wasi.wasm, identical to make wasi's apart from {KWCTL_VERSION_ANNOTATION}"
    ));
}

#[test]
fn an_undeclared_host_capability_is_a_kwctl_warning_and_an_annotate_error() {
    let root = repo_root();
    let dir = work_dir("undeclared");
    let mut metadata: Value = yaml_docs(&root.join("policy-metadata.yml"))
        .into_iter()
        .next()
        .unwrap_or_default();
    let declared = metadata
        .as_object_mut()
        .and_then(|m| m.remove("hostCapabilities"));
    assert!(
        declared.is_some(),
        "policy-metadata.yml declares no hostCapabilities"
    );
    let undeclared = dir.join("policy-metadata.yml");
    let text = serde_norway::to_string(&metadata).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&undeclared, text).unwrap_or_else(|e| panic!("{e}"));
    let plain = root.join("policy.wasm").display().to_string();
    let _ = module();

    // The project's annotate refuses, naming the capability and the fix.
    let output = Command::new(e2e_tests::workspace_binary("annotate"))
        .args(["--wasm", &plain, "--metadata"])
        .arg(&undeclared)
        .arg("--output")
        .arg(dir.join("ours.wasm"))
        .output()
        .unwrap_or_else(|e| panic!("annotate: {e}"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success(),
        "annotate accepted undeclared capabilities"
    );
    assert!(
        stderr.contains("oci/v1/oci_manifest_config") && stderr.contains("hostCapabilities"),
        "{stderr}"
    );
    assert!(!dir.join("ours.wasm").exists());

    // kwctl warns about the same capability.
    let Some(kw) = need(
        tools().kwctl,
        "an_undeclared_host_capability_is_a_kwctl_warning_and_an_annotate_error (kwctl part)",
        "kwctl",
    ) else {
        return;
    };
    let output = kwctl(
        &kw,
        &[
            "annotate",
            "-m",
            &undeclared.display().to_string(),
            "-o",
            &dir.join("kwctl.wasm").display().to_string(),
            &plain,
        ],
        false,
    );
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        all.contains("host capabilities used by the policy but not declared in metadata")
            && all.contains("oci/v1/oci_manifest_config"),
        "kwctl annotate did not warn:\n{all}"
    );
}

#[test]
fn kwctl_run_gives_the_own_hosts_verdicts() {
    let Some(kw) = need(
        tools().kwctl,
        "kwctl_run_gives_the_own_hosts_verdicts",
        "kwctl",
    ) else {
        return;
    };
    let module = module();
    let url = file_url(&module).unwrap_or_else(|e| panic!("{e}"));
    let dir = work_dir("run");
    let host = test_module()
        .instantiate()
        .unwrap_or_else(|e| panic!("{e}"));
    let settings_of = |name: &str| {
        example_settings()
            .into_iter()
            .find(|(id, _)| id == name)
            .map(|(_, s)| s)
            .unwrap_or_else(|| panic!("no {name}"))
    };
    let runs_as_root =
        yaml_docs(&repo_root().join("examples/manifests/violating/runs-as-root.yaml"))
            .into_iter()
            .find(|d| d["kind"] != "Service")
            .unwrap_or_default();
    let postgres = yaml_docs(&repo_root().join("examples/manifests/postgresql.yaml"))
        .into_iter()
        .find(|d| d["kind"] == "StatefulSet")
        .unwrap_or_default();
    let bare = workload(
        "apps/v1",
        "Deployment",
        json!({"containers": [{"name": "app", "image": "nginx:1.27"}]}),
    );
    let cases = [
        (
            "runs-as-root under standard",
            create_request(&runs_as_root),
            settings_of("settings-standard"),
        ),
        (
            "postgresql under matih",
            create_request(&postgres),
            settings_of("settings-matih"),
        ),
        (
            "postgresql under standard",
            create_request(&postgres),
            settings_of("settings-standard"),
        ),
        (
            "bare Deployment, mutation on",
            create_request(&bare),
            json!({"mutation": {"enabled": true}}),
        ),
        (
            "bare Deployment under pss-baseline",
            create_request(&bare),
            settings_of("settings-pss-baseline"),
        ),
    ];
    let mut failures = Vec::new();
    for (i, (name, request, settings)) in cases.iter().enumerate() {
        let request_path = dir.join(format!("request-{i}.json"));
        std::fs::write(&request_path, request.to_string()).unwrap_or_else(|e| panic!("{e}"));
        let output = kwctl(
            &kw,
            &[
                "run",
                "--request-path",
                &request_path.display().to_string(),
                "--settings-json",
                &settings.to_string(),
                &url,
            ],
            true,
        );
        let stdout = ok_stdout(&format!("kwctl run ({name})"), &output);
        let response: Value = match serde_json::from_str(&stdout) {
            Ok(v) => v,
            Err(e) => {
                failures.push(format!("{name}: kwctl run printed no JSON ({e}): {stdout}"));
                continue;
            }
        };
        let own = host
            .validate(request, settings)
            .unwrap_or_else(|e| panic!("{e}"));
        let policy = PolicyEntry::new("kwctl-run", &module, settings.clone()).mutating(true);
        let got = actual(&json!({"response": response}), request);
        match got {
            Ok(got) => {
                let diffs = differences(&got, &expected(&own, request, &policy));
                if !diffs.is_empty() {
                    failures.push(format!("{name}:\n      {}", diffs.join("\n      ")));
                }
            }
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    assert!(
        failures.is_empty(),
        "kwctl run and the own host differ:\n  {}",
        failures.join("\n  ")
    );
    announce(&format!(
        "kwctl run: {} requests, the same responses as the own host",
        cases.len()
    ));
}

/// `value` with the keys of every object in sorted order, as kwctl and policy-server
/// serialise settings.
fn sorted_keys(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            Value::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), sorted_keys(&map[k])))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted_keys).collect()),
        other => other.clone(),
    }
}

/// The invalid-settings table (`testdata/invalid-settings.json`, what tests/settings_validation.rs
/// feeds the module): kwctl refuses each one with the module's own message, and policy-server
/// refuses to start with one.
#[test]
fn invalid_settings_are_refused_by_kwctl_and_policy_server_in_the_modules_words() {
    let table_path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/invalid-settings.json");
    let table: Vec<Value> = serde_json::from_str(&read(&table_path))
        .unwrap_or_else(|e| panic!("{}: {e}", table_path.display()));
    let Some(kw) = need(
        tools().kwctl,
        "invalid_settings_are_refused_by_kwctl_and_policy_server_in_the_modules_words",
        "kwctl",
    ) else {
        return;
    };
    let module = module();
    let url = file_url(&module).unwrap_or_else(|e| panic!("{e}"));
    let dir = work_dir("invalid-settings");
    let request_path = dir.join("request.json");
    let pod = workload("v1", "Pod", compliant_pod_spec());
    std::fs::write(&request_path, create_request(&pod).to_string())
        .unwrap_or_else(|e| panic!("{e}"));
    let host = test_module()
        .instantiate()
        .unwrap_or_else(|e| panic!("{e}"));
    // The module's own refusal of each case, given the settings as kwctl hands them over: kwctl
    // re-serialises them with the keys of every mapping sorted, and the module's message says
    // where in that text a serde error lies ("at line 1 column N").
    let cases: Vec<(String, Value, String)> = table
        .iter()
        .map(|case| {
            let name = case["name"].as_str().unwrap_or("?").to_owned();
            let settings = case["settings"].clone();
            let answer = host
                .validate_settings(&sorted_keys(&settings))
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(!answer.valid, "{name}: the module accepts these settings");
            (name, settings, answer.message.unwrap_or_default())
        })
        .collect();

    // Two at a time: each kwctl run takes a fraction of a second once the module is cached.
    let request = request_path.display().to_string();
    let failures: Vec<String> = std::thread::scope(|scope| {
        let chunks: Vec<&[(String, Value, String)]> =
            cases.chunks(cases.len().div_ceil(2)).collect();
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                let (kw, url, request) = (&kw, &url, &request);
                scope.spawn(move || {
                    let mut failures = Vec::new();
                    for (name, settings, message) in chunk {
                        let output = kwctl(
                            kw,
                            &[
                                "run",
                                "--request-path",
                                request,
                                "--settings-json",
                                &settings.to_string(),
                                url,
                            ],
                            true,
                        );
                        let stderr = String::from_utf8_lossy(&output.stderr);
                        // Kubewarden's settings are a mapping (the CRD's spec.settings): kwctl
                        // refuses anything else itself, before the module sees it.
                        let want = if settings.is_object() {
                            format!("Provided settings are not valid: {message}")
                        } else {
                            "Invalid settings in CRD, not an object".to_owned()
                        };
                        if output.status.success() {
                            failures.push(format!("{name}: kwctl run accepted the settings"));
                        } else if !stderr.contains(&want) {
                            failures.push(format!(
                                "{name}: kwctl run did not print {want:?}:\n      {}",
                                stderr.lines().next().unwrap_or("")
                            ));
                        }
                    }
                    failures
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| {
                h.join()
                    .unwrap_or_else(|_| vec!["a kwctl thread panicked".to_owned()])
            })
            .collect()
    });
    assert!(
        failures.is_empty(),
        "kwctl run and the module disagree on invalid settings:\n  {}",
        failures.join("\n  ")
    );
    let not_objects = cases.iter().filter(|(_, s, _)| !s.is_object()).count();
    announce(&format!(
        "kwctl run: {} invalid settings refused with the module's own message, {not_objects} (not a mapping) by kwctl itself",
        cases.len() - not_objects
    ));

    let Some(binary) = need(
        tools().policy_server,
        "invalid_settings_are_refused_by_kwctl_and_policy_server_in_the_modules_words (policy-server part)",
        "policy-server",
    ) else {
        return;
    };
    let Some((name, settings, message)) = cases.iter().find(|(_, s, _)| s.is_object()) else {
        panic!("{}: no invalid settings mapping", table_path.display());
    };
    let entries = [PolicyEntry::new("invalid", &module, settings.clone())];
    match PolicyServer::start(&binary, trust(&binary).as_deref(), &entries, &dir, 1) {
        Ok(server) => panic!(
            "policy-server (pid {}) started with invalid settings ({name})",
            server.pid()
        ),
        Err(e) => assert!(
            e.contains(&format!("Policy settings are invalid: {message}")),
            "policy-server refused {name} without the module's message:\n{e}"
        ),
    }
    announce(&format!(
        "policy-server: refuses to start with invalid settings ({name}), in the module's words"
    ));
}

/// The parts of a policy manifest that come from the module and its metadata (and the
/// settings), not from deployment choices (mode, policyServer, namespaceSelector, timeouts).
fn policy_shape(policy: &Value) -> Value {
    let spec = &policy["spec"];
    json!({
        "apiVersion": policy["apiVersion"],
        "rules": spec["rules"],
        "mutating": spec["mutating"],
        // The CRD defaults backgroundAudit to true; kwctl leaves it out.
        "backgroundAudit": spec.get("backgroundAudit").cloned().unwrap_or(json!(true)),
        "settings": spec["settings"],
        "annotations": policy["metadata"]["annotations"],
    })
}

#[test]
fn kwctl_scaffold_manifest_matches_the_examples() {
    let Some(kw) = need(
        tools().kwctl,
        "kwctl_scaffold_manifest_matches_the_examples",
        "kwctl",
    ) else {
        return;
    };
    let module = module();
    let url = file_url(&module).unwrap_or_else(|e| panic!("{e}"));
    let examples = files(&repo_root().join("examples/kubewarden"), false);
    assert!(
        examples.len() >= 4,
        "examples/kubewarden/ has {} files",
        examples.len()
    );
    let mut failures = Vec::new();
    for example_path in &examples {
        let example = yaml_docs(example_path)
            .into_iter()
            .next()
            .unwrap_or_default();
        let settings = example["spec"]["settings"].to_string();
        for kind in ["ClusterAdmissionPolicy", "AdmissionPolicy"] {
            let name = format!("{} as {kind}", relative(example_path));
            let output = kwctl(
                &kw,
                &[
                    "scaffold",
                    "manifest",
                    "--type",
                    kind,
                    "--settings-json",
                    &settings,
                    &url,
                ],
                true,
            );
            if !output.status.success() {
                failures.push(format!(
                    "{name}: kwctl scaffold manifest failed: {}",
                    String::from_utf8_lossy(&output.stderr)
                ));
                continue;
            }
            let scaffold: Value = match serde_norway::from_slice(&output.stdout) {
                Ok(v) => v,
                Err(e) => {
                    failures.push(format!("{name}: not YAML ({e})"));
                    continue;
                }
            };
            if scaffold["kind"] != kind {
                failures.push(format!("{name}: kind {}", scaffold["kind"]));
            }
            let mut want = policy_shape(&example);
            // The metadata says the module can mutate; a validating deployment (mutating:
            // false) is the example's choice, as long as it does not enable mutation.
            if example["spec"]["mutating"] != true {
                if example["spec"]["settings"]["mutation"]["enabled"] == true {
                    failures.push(format!("{name}: mutation.enabled without spec.mutating"));
                }
                want["mutating"] = json!(true);
            }
            let got = policy_shape(&scaffold);
            if got != want {
                failures.push(format!(
                    "{name}: kwctl scaffolds\n        {got}\n      the example has\n        {want}"
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "kwctl scaffold manifest:\n  {}",
        failures.join("\n  ")
    );
    announce(&format!(
        "kwctl scaffold manifest: {} examples x ClusterAdmissionPolicy and AdmissionPolicy agree",
        examples.len()
    ));
}

#[test]
fn kwctl_scaffold_artifacthub_matches_the_package() {
    let Some(kw) = need(
        tools().kwctl,
        "kwctl_scaffold_artifacthub_matches_the_package",
        "kwctl",
    ) else {
        return;
    };
    let root = repo_root();
    let out = work_dir("artifacthub").join("artifacthub-pkg.yml");
    let output = kwctl(
        &kw,
        &[
            "scaffold",
            "artifacthub",
            "-m",
            &root.join("policy-metadata.yml").display().to_string(),
            "-q",
            &root.join("questions-ui.yml").display().to_string(),
            "-o",
            &out.display().to_string(),
        ],
        false,
    );
    ok_stdout("kwctl scaffold artifacthub", &output);
    let theirs = read(&out);
    let ours = read(&root.join("artifacthub-pkg.yml"));
    let parse = |what: &str, text: &str| -> BTreeMap<String, Value> {
        serde_norway::from_str(text).unwrap_or_else(|e| panic!("{what}: {e}"))
    };
    let (theirs_map, ours_map) = (
        parse("kwctl's", &theirs),
        parse("artifacthub-pkg.yml", &ours),
    );
    let keys: std::collections::BTreeSet<&String> =
        theirs_map.keys().chain(ours_map.keys()).collect();
    let mut failures = Vec::new();
    for key in keys {
        if key == "createdAt" {
            continue;
        }
        if theirs_map.get(key) != ours_map.get(key) {
            failures.push(format!(
                "{key}: kwctl {:?}, artifacthub-pkg.yml {:?}",
                theirs_map.get(key),
                ours_map.get(key)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "artifacthub-pkg.yml differs from `kwctl scaffold artifacthub` (run `make artifacthub`):\n  {}",
        failures.join("\n  ")
    );
    // And text for text, the timestamp aside.
    let strip = |t: &str| -> String {
        t.lines()
            .filter(|l| !l.starts_with("createdAt:"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(strip(&theirs), strip(&ours), "same fields, different text");
    announce(&format!(
        "kwctl scaffold artifacthub: {} fields, all equal (createdAt aside)",
        ours_map.len()
    ));
}
