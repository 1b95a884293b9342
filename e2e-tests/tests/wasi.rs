//! The WASI command build (`wasi/`, `annotated-policy-wasi.wasm`, Kubewarden's `executionMode:
//! wasi`) on wasmtime, against the waPC module the cluster runs (issue "packaging", done-when 2):
//! the same payload bytes give the same response bytes on every example manifest under every
//! example settings file, every PSS fixture, mutation, and malformed input; and the module is a
//! portable WASI command speaking Kubewarden's protocol (operation as the first argument,
//! payload on stdin, response on stdout).

use std::path::{Path, PathBuf};

use e2e_tests::metadata::Metadata;
use e2e_tests::wasi::{WASI_PREVIEW1, WasiModule, test_wasi_module, wasi_policy_path};
use e2e_tests::wasm::{METADATA_SECTION, custom_section};
use e2e_tests::{PolicyHost, repo_root, test_host};
use security_context_input::manifest::{entries_from_text, parse_settings};
use security_context_input::{AdmissionRequestBuilder, create_request};
use serde_json::{Value, json};

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files_under(&path, out);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml" | "json")
        ) {
            out.push(path);
        }
    }
}

fn example_settings() -> Vec<(String, Value)> {
    let mut files = Vec::new();
    files_under(&repo_root().join("examples/settings"), &mut files);
    assert!(files.len() >= 4, "expected the example settings files");
    files
        .iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let settings = parse_settings(&read(p), &name).unwrap_or_else(|e| panic!("{e}"));
            (name, settings)
        })
        .collect()
}

/// Every object of every example manifest, as the AdmissionRequest the checker sends.
fn example_requests() -> Vec<(String, Value)> {
    let mut files = Vec::new();
    files_under(&repo_root().join("examples/manifests"), &mut files);
    let mut out = Vec::new();
    for file in files {
        let source = file
            .strip_prefix(repo_root())
            .unwrap_or(&file)
            .display()
            .to_string();
        for entry in
            entries_from_text(&read(&file), &source, "default").unwrap_or_else(|e| panic!("{e}"))
        {
            let label = format!("{source}#{} {}", entry.document, entry.display_name());
            out.push((label, entry.request));
        }
    }
    assert!(out.len() >= 18, "expected every example manifest");
    out
}

fn payload(request: &Value, settings: &Value) -> Vec<u8> {
    serde_json::to_vec(&json!({"request": request, "settings": settings})).unwrap()
}

/// Sends the same bytes to both builds; returns a description of any difference.
fn compare(
    wapc: &PolicyHost,
    wasi: &WasiModule,
    operation: (&str, &str),
    payload: &[u8],
) -> Option<String> {
    let (wapc_op, wasi_op) = operation;
    let a = match wapc.call(wapc_op, payload) {
        Ok(a) => a,
        Err(e) => return Some(format!("waPC {wapc_op} failed: {e}")),
    };
    let b = match wasi.call(wasi_op, payload) {
        Ok(b) => b,
        Err(e) => return Some(format!("WASI {wasi_op} failed: {e}")),
    };
    (a != b).then(|| {
        format!(
            "responses differ\n      waPC: {}\n      WASI: {}",
            String::from_utf8_lossy(&a),
            String::from_utf8_lossy(&b)
        )
    })
}

const VALIDATE: (&str, &str) = ("validate", "validate");
const VALIDATE_SETTINGS: (&str, &str) = ("validate_settings", "validate-settings");

fn assert_none_differ(what: &str, total: usize, mismatches: &[String]) {
    assert!(
        mismatches.is_empty(),
        "{what}: {} of {total} payloads answered differently by the WASI build:\n  {}",
        mismatches.len(),
        mismatches.join("\n  ")
    );
}

#[test]
fn is_a_portable_wasi_command() {
    // WasiModule refuses any import outside WASI preview 1 and a module without `_start`.
    let module = test_wasi_module();
    assert!(module.label().ends_with(".wasm"));
    // The waPC module is not one: it imports waPC's host functions.
    let wapc = e2e_tests::policy_path();
    let err = WasiModule::from_file(&wapc).unwrap_err().to_string();
    assert!(err.contains("besides") || err.contains("_start"), "{err}");
    assert!(
        err.contains(WASI_PREVIEW1) || err.contains("_start"),
        "{err}"
    );
}

#[test]
fn metadata_says_wasi_and_matches_the_wapc_rules() {
    let path = wasi_policy_path();
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let section = custom_section(&bytes, METADATA_SECTION)
        .unwrap()
        .unwrap_or_else(|| panic!("{} is not annotated (run `make wasi`)", path.display()));
    let embedded: Metadata = serde_json::from_slice(section).unwrap();
    let source: Metadata =
        serde_norway::from_str(&read(&repo_root().join("policy-metadata-wasi.yml"))).unwrap();
    let wapc: Metadata =
        serde_norway::from_str(&read(&repo_root().join("policy-metadata.yml"))).unwrap();
    assert!(source.problems().is_empty(), "{:?}", source.problems());
    assert_eq!(embedded.execution_mode, "wasi");
    assert_eq!(source.execution_mode, "wasi");
    assert_eq!(
        embedded.protocol_version.as_deref(),
        Some("Unknown"),
        "kwctl (1.36) records protocolVersion \"Unknown\" for WASI policies"
    );
    assert_eq!(embedded.rules, source.rules);
    assert_eq!(
        source.rules, wapc.rules,
        "both builds must see the same requests"
    );
    assert_eq!(source.mutating, wapc.mutating);
    assert_eq!(source.background_audit, wapc.background_audit);
    assert_eq!(source.policy_type, wapc.policy_type);
    assert_eq!(
        source.annotation("io.kubewarden.policy.version"),
        wapc.annotation("io.kubewarden.policy.version")
    );
    assert_eq!(
        source.annotation("io.kubewarden.policy.hostCapabilities"),
        None,
        "the WASI build cannot call host capabilities"
    );
}

#[test]
fn kubewarden_wasi_protocol() {
    let module = test_wasi_module();

    let run = module.run(&["validate-settings"], b"{}").unwrap();
    assert_eq!(run.exit_code, 0, "{}", run.stderr_text());
    assert_eq!(run.stdout_text(), r#"{"valid":true}"#);
    assert!(run.stderr.is_empty(), "{}", run.stderr_text());

    let run = module
        .run(&["validate-settings"], br#"{"runAsUsr": 1000}"#)
        .unwrap();
    assert_eq!(run.exit_code, 0);
    let answer: Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(answer["valid"], false);
    assert!(
        answer["message"].as_str().unwrap().contains("runAsUsr"),
        "{answer}"
    );

    let run = module.run(&["protocol-version"], b"").unwrap();
    assert_eq!(
        (run.exit_code, run.stdout_text()),
        (0, r#""v1""#.to_owned())
    );

    let pod = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "p", "namespace": "default"},
        "spec": {"containers": [{"name": "c", "image": "nginx"}]}
    });
    let run = module
        .run(&["validate"], &payload(&create_request(&pod), &json!({})))
        .unwrap();
    assert_eq!(run.exit_code, 0, "{}", run.stderr_text());
    let answer: Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(answer["accepted"], false, "{answer}");

    // Malformed input is an answer, not a failure.
    let run = module.run(&["validate"], b"not json").unwrap();
    assert_eq!(run.exit_code, 0, "{}", run.stderr_text());
    assert_eq!(
        serde_json::from_slice::<Value>(&run.stdout).unwrap()["accepted"],
        false
    );
    let run = module.run(&["validate-settings"], b"").unwrap();
    assert_eq!(run.exit_code, 0);
    assert_eq!(
        serde_json::from_slice::<Value>(&run.stdout).unwrap()["valid"],
        false
    );

    // Usage errors: exit status 1, a message on stderr, nothing on stdout (Kubewarden turns
    // that into a rejection carrying the message).
    for args in [
        &["validate_settings"][..],
        &[][..],
        &["validate", "extra"][..],
    ] {
        let run = module.run(args, b"{}").unwrap();
        assert_eq!(run.exit_code, 1, "{args:?}");
        assert!(run.stdout.is_empty(), "{args:?}: {}", run.stdout_text());
        assert!(
            run.stderr_text().contains("usage: policy.wasm"),
            "{args:?}: {}",
            run.stderr_text()
        );
    }
}

#[test]
fn same_settings_verdicts_as_wapc() {
    let wapc = test_host();
    let wasi = test_wasi_module();
    let mut cases: Vec<(String, Vec<u8>)> = example_settings()
        .into_iter()
        .map(|(name, s)| (name, serde_json::to_vec(&s).unwrap()))
        .collect();
    // Every invalid-settings case of the shared table (a JSON array of {name, settings, expect}).
    let table: Value = serde_json::from_str(&read(
        &repo_root().join("e2e-tests/testdata/invalid-settings.json"),
    ))
    .unwrap();
    let table = table.as_array().expect("invalid-settings.json is an array");
    assert!(!table.is_empty());
    for case in table {
        cases.push((
            format!("invalid-settings.json: {}", case["name"]),
            serde_json::to_vec(&case["settings"]).unwrap(),
        ));
    }
    for (name, raw) in [
        ("empty", &b""[..]),
        ("array", b"[]"),
        ("null", b"null"),
        ("garbage", b"{not json"),
        (
            "typo",
            br#"{"securityContext": {"readOnlyRootFilesytem": true}}"#,
        ),
    ] {
        cases.push((name.to_owned(), raw.to_vec()));
    }
    let mismatches: Vec<String> = cases
        .iter()
        .filter_map(|(name, raw)| {
            compare(&wapc, wasi, VALIDATE_SETTINGS, raw).map(|d| format!("{name}: {d}"))
        })
        .collect();
    assert_none_differ("validate_settings", cases.len(), &mismatches);
}

#[test]
fn same_verdicts_as_wapc_on_every_example() {
    let wapc = test_host();
    let wasi = test_wasi_module();
    let requests = example_requests();
    let mut mutating = json!({});
    for (name, settings) in example_settings() {
        if name == "matih.yml" {
            mutating = settings.clone();
        }
    }
    mutating["mutation"] = json!({
        "enabled": true,
        "writableDirectories": [{"mountPath": "/tmp"}, {"mountPath": "/home/appuser/.cache", "sizeLimit": "100Mi"}]
    });
    let mut settings_list = example_settings();
    settings_list.push(("matih.yml + mutation".to_owned(), mutating));

    let mut total = 0;
    let mut mismatches = Vec::new();
    let mut rejected = 0;
    let mut mutated = 0;
    for (settings_name, settings) in &settings_list {
        for (label, request) in &requests {
            total += 1;
            let bytes = payload(request, settings);
            if let Some(d) = compare(&wapc, wasi, VALIDATE, &bytes) {
                mismatches.push(format!("{label} with {settings_name}: {d}"));
                continue;
            }
            let answer: Value = serde_json::from_slice(&wasi.call("validate", &bytes).unwrap())
                .unwrap_or(Value::Null);
            rejected += usize::from(answer["accepted"] == false);
            mutated += usize::from(!answer["mutated_object"].is_null());
        }
    }
    assert_none_differ("example manifests", total, &mismatches);
    // The comparison must cover both outcomes and mutation, or it proves little.
    assert!(
        rejected > 0 && rejected < total,
        "{rejected} of {total} rejected"
    );
    assert!(
        mutated > 0,
        "no example was mutated under the mutating settings"
    );
}

#[test]
fn same_verdicts_as_wapc_on_every_pss_fixture() {
    let wapc = test_host();
    let wasi = test_wasi_module();
    let dir = repo_root().join("e2e-tests/testdata/pss-v1.37");
    let manifest = read(&dir.join("manifest.tsv"));
    let mut total = 0;
    let mut mismatches = Vec::new();
    for line in manifest.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (level, expect, path) = (cols[0], cols[1], cols[3]);
        let pod: Value = serde_norway::from_str(&read(&dir.join(path))).unwrap();
        let settings = json!({
            "podSecurityStandard": level,
            "podSecurityContext": {},
            "securityContext": {},
        });
        total += 1;
        let bytes = payload(&create_request(&pod), &settings);
        if let Some(d) = compare(&wapc, wasi, VALIDATE, &bytes) {
            mismatches.push(format!("{path}: {d}"));
            continue;
        }
        // The WASI build is conformant on its own, too.
        let verdict = wasi.validate(&create_request(&pod), &settings).unwrap();
        if verdict.accepted != (expect == "pass") {
            mismatches.push(format!(
                "{path} [{level}]: expected {expect}, WASI build says accepted={}",
                verdict.accepted
            ));
        }
    }
    assert_eq!(total, 148, "manifest.tsv changed");
    assert_none_differ("PSS v1.37 fixtures", total, &mismatches);
}

#[test]
fn same_verdicts_as_wapc_on_updates_subresources_and_malformed_input() {
    let wapc = test_host();
    let wasi = test_wasi_module();
    let good = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "p", "namespace": "default", "labels": {"app": "p"}},
        "spec": {
            "securityContext": {"runAsNonRoot": true, "runAsUser": 1000, "runAsGroup": 1000,
                                "fsGroup": 1000, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [{"name": "c", "image": "registry.matih.io/matih/ai-service:1.0",
                "securityContext": {"allowPrivilegeEscalation": false,
                    "readOnlyRootFilesystem": true, "capabilities": {"drop": ["ALL"]}}}]
        }
    });
    let mut debug = good.clone();
    debug["spec"]["ephemeralContainers"] =
        json!([{"name": "debugger", "image": "busybox", "targetContainerName": "c"}]);
    let mut relabelled = good.clone();
    relabelled["metadata"]["labels"]["tier"] = json!("web");
    let requests = [
        (
            "ephemeral container",
            AdmissionRequestBuilder::new(debug)
                .update_from(good.clone())
                .sub_resource("ephemeralcontainers")
                .build(),
        ),
        (
            "relabel",
            AdmissionRequestBuilder::new(relabelled)
                .update_from(good.clone())
                .build(),
        ),
        ("no object", json!({"uid": "x", "operation": "CREATE"})),
        ("object not a map", json!({"uid": "x", "object": [1, 2]})),
        (
            "wrong types",
            json!({"uid": "x", "kind": {"kind": "Pod"}, "object": {"kind": "Pod", "spec": {"containers": "no"}}}),
        ),
    ];
    let mut mismatches = Vec::new();
    for (name, request) in &requests {
        for settings in [json!({}), json!({"exceptions": "not a list"})] {
            if let Some(d) = compare(&wapc, wasi, VALIDATE, &payload(request, &settings)) {
                mismatches.push(format!("{name} with {settings}: {d}"));
            }
        }
    }
    let raw: [&[u8]; 5] = [b"", b"[]", b"{}", b"{\"request\": 1}", b"\xff\xfe"];
    for bytes in raw {
        if let Some(d) = compare(&wapc, wasi, VALIDATE, bytes) {
            mismatches.push(format!("raw {:?}: {d}", String::from_utf8_lossy(bytes)));
        }
    }
    assert_none_differ(
        "updates and malformed input",
        requests.len() * 2 + 5,
        &mismatches,
    );
}

#[test]
fn image_user_verification_without_an_oci_capability_follows_on_lookup_failure() {
    let wasi = test_wasi_module();
    // runAsNonRoot without runAsUser: the kubelet runs whatever USER the image names.
    let pod = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "p", "namespace": "default"},
        "spec": {
            "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [{"name": "c", "image": "nginx:1.27",
                "securityContext": {"allowPrivilegeEscalation": false,
                    "readOnlyRootFilesystem": true, "capabilities": {"drop": ["ALL"]}}}]
        }
    });
    let request = create_request(&pod);
    let lenient = json!({
        "podSecurityContext": {"runAsNonRoot": true},
        "imageUser": {"verify": true, "onLookupFailure": "warn"}
    });
    let strict = json!({
        "podSecurityContext": {"runAsNonRoot": true},
        "imageUser": {"verify": true, "onLookupFailure": "deny"}
    });
    let warned = wasi.validate(&request, &lenient).unwrap();
    assert!(warned.accepted, "{warned:?}");
    assert!(
        warned
            .warnings
            .iter()
            .flatten()
            .any(|w| w.contains("nginx")),
        "{warned:?}"
    );
    let denied = wasi.validate(&request, &strict).unwrap();
    assert!(!denied.accepted, "{denied:?}");
}

/// The "Run in another engine" example (docs/deploy.md): its payload, run through the WASI
/// module, prints exactly the response the page shows.
#[test]
fn readme_example_prints_what_the_readme_says() {
    let readme = read(&repo_root().join("docs/deploy.md"));
    let section = readme
        .split("\n## Run in another engine\n")
        .nth(1)
        .expect("docs/deploy.md has a `Run in another engine` section");
    let after_marker = section
        .split("<!-- wasi-example-payload -->")
        .nth(1)
        .expect("the section marks its example payload");
    let mut blocks = after_marker.split("```json\n").skip(1).map(|b| {
        b.split("\n```")
            .next()
            .expect("a closed code block")
            .to_owned()
    });
    let payload = blocks.next().expect("the payload block");
    let shown = blocks.next().expect("the response block");
    let run = test_wasi_module()
        .run(&["validate"], payload.as_bytes())
        .unwrap();
    assert_eq!(run.exit_code, 0, "{}", run.stderr_text());
    assert_eq!(
        run.stdout_text(),
        shown,
        "docs/deploy.md shows another response than the module gives; update the page"
    );
}
