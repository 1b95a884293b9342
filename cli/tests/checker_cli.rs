//! The `security-context-checker` binary (docs/checker.md), run as users run it: exit codes,
//! output formats, every input form, where it finds its module and the simulated requester. Verdicts come from the PSS fixtures (a restricted pod passes, a privileged one
//! does not), so the tests do not depend on the policy's wording.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{CHECKER, RESTRICTED, Run, module, policy_path, run, write};
use security_context_checker::policy::{MODULE_FILE, POLICY_ENV};
use security_context_input::AdmissionRequestBuilder;
use serde_json::{Value, json};

// Settings under which `GOOD_POD` passes and `BAD_POD` fails: common::RESTRICTED.

/// `restricted/pass/base.yaml` of the PSS fixtures, named `good`.
const GOOD_POD: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: good
spec:
  securityContext:
    runAsNonRoot: true
    seccompProfile:
      type: RuntimeDefault
  containers:
  - name: app
    image: registry.k8s.io/pause
    securityContext:
      allowPrivilegeEscalation: false
      capabilities:
        drop: [ALL]
";

/// A privileged pod, rejected at every level but privileged.
const BAD_POD: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: bad
  namespace: data
spec:
  containers:
  - name: app
    image: registry.k8s.io/pause
    securityContext:
      privileged: true
";

const CONFIG_MAP: &str =
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: b\n";

fn yaml(text: &str) -> Value {
    serde_norway::from_str(text).unwrap()
}

/// A fresh directory under the target dir, one per test.
fn scratch() -> PathBuf {
    common::scratch("checker-cli")
}

fn checker(args: &[&str], stdin: Option<&str>) -> Run {
    checker_with(args, stdin, Some(&policy_path()))
}

/// The checker with `$SCP_POLICY_WASM` set to `policy` (or unset).
fn checker_with(args: &[&str], stdin: Option<&str>, policy: Option<&Path>) -> Run {
    module();
    let mut command = Command::new(CHECKER);
    command.args(args).env_remove(POLICY_ENV);
    if let Some(policy) = policy {
        command.env(POLICY_ENV, policy);
    }
    run(&mut command, stdin)
}

/// Runs `checker check --settings <restricted> ARGS...`.
fn check(dir: &Path, args: &[&str], stdin: Option<&str>) -> Run {
    let settings = write(dir, "settings.yml", RESTRICTED);
    let mut all = vec!["check", "--settings", settings.to_str().unwrap()];
    all.extend_from_slice(args);
    checker(&all, stdin)
}

fn json_output(run: &Run) -> Vec<Value> {
    match serde_json::from_str::<Value>(&run.stdout) {
        Ok(Value::Array(items)) => items,
        other => panic!("--output json is not an array: {other:?}\n{run:?}"),
    }
}

#[test]
fn all_accepted_exits_0() {
    let dir = scratch();
    let file = write(&dir, "good.yaml", GOOD_POD);
    let run = check(&dir, &[file.to_str().unwrap()], None);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.stdout.lines().next(),
        Some("ACCEPTED Pod default/good"),
        "{run:?}"
    );
}

#[test]
fn a_rejection_exits_1_with_the_reasons_indented() {
    let dir = scratch();
    let file = write(&dir, "pods.yaml", &format!("{GOOD_POD}---\n{BAD_POD}"));
    let run = check(&dir, &[file.to_str().unwrap()], None);
    assert_eq!(run.code, 1, "{run:?}");
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.first(), Some(&"ACCEPTED Pod default/good"), "{run:?}");
    let at = lines
        .iter()
        .position(|l| *l == "REJECTED Pod data/bad")
        .expect("no REJECTED line");
    let reason = lines.get(at + 1).unwrap_or(&"");
    assert!(
        reason.starts_with("  ") && !reason.trim().is_empty(),
        "no indented reason: {run:?}"
    );
}

#[test]
fn json_output_lists_every_object() {
    let dir = scratch();
    let file = write(
        &dir,
        "pods.yaml",
        &format!("{GOOD_POD}---\n{BAD_POD}---\n{CONFIG_MAP}"),
    );
    let run = check(&dir, &["--output", "json", file.to_str().unwrap()], None);
    assert_eq!(run.code, 1, "{run:?}");
    let items = json_output(&run);
    assert_eq!(items.len(), 3, "{run:?}");
    let source = file.to_str().unwrap();
    let summary: Vec<(Value, Value, Value, Value, Value, Value)> = items
        .iter()
        .map(|i| {
            (
                i["source"].clone(),
                i["index"].clone(),
                i["kind"].clone(),
                i["namespace"].clone(),
                i["name"].clone(),
                i["response"]["accepted"].clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                json!(source),
                json!(1),
                json!("Pod"),
                json!("default"),
                json!("good"),
                json!(true)
            ),
            (
                json!(source),
                json!(2),
                json!("Pod"),
                json!("data"),
                json!("bad"),
                json!(false)
            ),
            (
                json!(source),
                json!(3),
                json!("ConfigMap"),
                json!("default"),
                json!("settings"),
                json!(true)
            ),
        ]
    );
    assert!(
        items[1]["response"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
    let run = check(
        &dir,
        &["-o=json", write(&dir, "g.yaml", GOOD_POD).to_str().unwrap()],
        None,
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(json_output(&run).len(), 1);
}

#[test]
fn lists_are_expanded() {
    let dir = scratch();
    let list =
        json!({"apiVersion": "v1", "kind": "List", "items": [yaml(GOOD_POD), yaml(BAD_POD)]});
    let typed = json!({"apiVersion": "v1", "kind": "PodList", "items": [yaml(GOOD_POD)]});
    let file = write(
        &dir,
        "list.yaml",
        &format!("{}---\n{}", serde_norway::to_string(&list).unwrap(), typed),
    );
    let run = check(&dir, &["-o", "json", file.to_str().unwrap()], None);
    assert_eq!(run.code, 1, "{run:?}");
    let items = json_output(&run);
    let names: Vec<(&str, u64, Option<u64>)> = items
        .iter()
        .map(|i| {
            (
                i["name"].as_str().unwrap(),
                i["index"].as_u64().unwrap(),
                i["item"].as_u64(),
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            ("good", 1, Some(0)),
            ("bad", 1, Some(1)),
            ("good", 2, Some(0))
        ]
    );
}

#[test]
fn admission_requests_and_reviews_are_taken_as_they_are() {
    let dir = scratch();
    let request = AdmissionRequestBuilder::new(yaml(BAD_POD))
        .namespace("team-a")
        .build();
    let good_request = AdmissionRequestBuilder::new(yaml(GOOD_POD))
        .namespace("team-b")
        .build();
    let review = json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": good_request});
    let file = write(&dir, "requests.json", &format!("{request}\n{review}\n"));
    let run = check(&dir, &[file.to_str().unwrap()], None);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("REJECTED Pod team-a/bad"), "{run:?}");
    assert!(run.stdout.contains("ACCEPTED Pod team-b/good"), "{run:?}");
}

#[test]
fn standard_input_and_json_documents() {
    let dir = scratch();
    let run = check(&dir, &["-"], Some(&format!("{GOOD_POD}---\n{CONFIG_MAP}")));
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.stdout
            .lines()
            .filter(|l| l.starts_with("ACCEPTED "))
            .count(),
        2,
        "{run:?}"
    );

    let json_text = serde_json::to_string_pretty(&yaml(BAD_POD)).unwrap();
    let run = check(&dir, &["-o", "json", "-"], Some(&json_text));
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(json_output(&run)[0]["source"], "<stdin>");
}

#[test]
fn several_files_and_directories() {
    let dir = scratch();
    let manifests = dir.join("manifests");
    write(&manifests, "a-good.yaml", GOOD_POD);
    write(&manifests, "nested/b-config.yml", CONFIG_MAP);
    write(&manifests, "notes.txt", "not a manifest, ignored");
    let extra = write(&dir, "bad.yaml", BAD_POD);
    let run = check(
        &dir,
        &[manifests.to_str().unwrap(), extra.to_str().unwrap()],
        None,
    );
    assert_eq!(run.code, 1, "{run:?}");
    let lines: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| !l.starts_with(' ') && !l.is_empty())
        .collect();
    let expected = [
        format!("==> {} <==", manifests.join("a-good.yaml").display()),
        "ACCEPTED Pod default/good".to_owned(),
        format!(
            "==> {} <==",
            manifests.join("nested/b-config.yml").display()
        ),
        "ACCEPTED ConfigMap default/settings".to_owned(),
        format!("==> {} <==", extra.display()),
        "REJECTED Pod data/bad".to_owned(),
    ];
    assert_eq!(lines, expected, "{run:?}");
}

#[test]
fn namespace_flag_places_objects_without_one() {
    let dir = scratch();
    let file = write(&dir, "pods.yaml", &format!("{GOOD_POD}---\n{BAD_POD}"));
    let run = check(
        &dir,
        &["--namespace", "payments", file.to_str().unwrap()],
        None,
    );
    assert!(run.stdout.contains("ACCEPTED Pod payments/good"), "{run:?}");
    assert!(
        run.stdout.contains("REJECTED Pod data/bad"),
        "an explicit namespace stays: {run:?}"
    );
}

#[test]
fn bad_yaml_exits_2_naming_file_and_document() {
    let dir = scratch();
    let file = write(
        &dir,
        "broken.yaml",
        &format!("{GOOD_POD}---\nkind: [unclosed\n"),
    );
    let run = check(&dir, &[file.to_str().unwrap()], None);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains(file.to_str().unwrap()),
        "the error must name the file: {run:?}"
    );
    assert!(
        run.stderr.contains("document 2"),
        "the error must name the document: {run:?}"
    );
}

#[test]
fn not_a_kubernetes_object_exits_2() {
    let dir = scratch();
    for (name, text) in [
        ("scalar.yaml", "just a string\n"),
        ("nokind.yaml", "metadata:\n  name: x\n"),
    ] {
        let file = write(&dir, name, text);
        let run = check(&dir, &[file.to_str().unwrap()], None);
        assert_eq!(run.code, 2, "{name}: {run:?}");
        assert!(run.stderr.contains(name), "{name}: {run:?}");
    }
}

#[test]
fn a_bad_input_does_not_hide_the_other_verdicts() {
    let dir = scratch();
    let good = write(&dir, "good.yaml", GOOD_POD);
    let missing = dir.join("missing.yaml");
    let run = check(
        &dir,
        &[good.to_str().unwrap(), missing.to_str().unwrap()],
        None,
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stdout.contains("ACCEPTED Pod default/good"), "{run:?}");
    assert!(run.stderr.contains("missing.yaml"), "{run:?}");
}

#[test]
fn invalid_settings_exit_2_with_the_module_message() {
    let dir = scratch();
    let pod = write(&dir, "good.yaml", GOOD_POD);
    let settings = write(&dir, "typo.yml", "runAsUsr: 1\n");
    let run = checker(
        &[
            "check",
            "--settings",
            settings.to_str().unwrap(),
            pod.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stdout.is_empty(),
        "nothing is evaluated under invalid settings: {run:?}"
    );
    assert!(
        run.stderr.contains("typo.yml"),
        "the error must name the settings file: {run:?}"
    );
    assert!(
        run.stderr.contains("runAsUsr"),
        "the module's message must name the unknown key: {run:?}"
    );

    let not_yaml = write(&dir, "broken.yml", "podSecurityContext: [\n");
    let run = checker(
        &[
            "check",
            "--settings",
            not_yaml.to_str().unwrap(),
            pod.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("broken.yml"), "{run:?}");
}

#[test]
fn default_settings_are_the_standard_profile() {
    // No --settings means `{}`, which the module must accept as settings.
    let dir = scratch();
    let file = write(&dir, "config.yaml", CONFIG_MAP);
    let run = checker(&["check", file.to_str().unwrap()], None);
    assert_eq!(run.code, 0, "{run:?}");
}

#[test]
fn usage_errors_exit_2() {
    let dir = scratch();
    let pod = write(&dir, "good.yaml", GOOD_POD);
    let pod = pod.to_str().unwrap();
    for args in [
        vec!["check"],
        vec!["verify", pod],
        vec!["check", "--output", "xml", pod],
        vec!["check", "--bogus", pod],
        vec!["check", "--settings"],
        vec!["check", "--policy", "/nonexistent/policy.wasm", pod],
    ] {
        let run = checker(&args, None);
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
        assert!(!run.stderr.is_empty(), "{args:?}: no explanation: {run:?}");
    }
    let run = checker(
        &["check", "--policy", "/nonexistent/policy.wasm", pod],
        None,
    );
    assert!(run.stderr.contains("make wasm"), "{run:?}");
    let run = checker(&["--help"], None);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("checker check"), "{run:?}");
}

#[test]
fn image_users_answer_the_oci_lookups_from_a_file() {
    let dir = scratch();
    let settings = write(
        &dir,
        "verify.yml",
        "podSecurityContext:\n  runAsNonRoot: true\n  seccompProfile:\n    type: RuntimeDefault\nimageUser:\n  verify: true\n  onLookupFailure: deny\n",
    );
    let pod = |image: &str| {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  securityContext:\n    runAsNonRoot: true\n    seccompProfile:\n      type: RuntimeDefault\n  containers:\n  - name: app\n    image: {image}\n    securityContext:\n      allowPrivilegeEscalation: false\n      readOnlyRootFilesystem: true\n      capabilities:\n        drop: [ALL]\n"
        )
    };
    let users = write(
        &dir,
        "users.yaml",
        "nginx:1.27: \"\"\nbitnami/kafka:3.7: \"1001\"\n",
    );
    let root = write(&dir, "root.yaml", &pod("nginx:1.27"));
    let ok = write(&dir, "ok.yaml", &pod("bitnami/kafka:3.7"));
    let unknown = write(&dir, "unknown.yaml", &pod("unknown/image:1"));
    let args = |f: &std::path::Path| {
        vec![
            "--settings".to_owned(),
            settings.display().to_string(),
            "--image-users".to_owned(),
            users.display().to_string(),
            f.display().to_string(),
        ]
    };
    let run = check(
        &dir,
        &args(&root).iter().map(String::as_str).collect::<Vec<_>>(),
        None,
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout.contains(
            "CreateContainerConfigError: container has runAsNonRoot and image will run as root"
        ),
        "{run:?}"
    );
    let run = check(
        &dir,
        &args(&ok).iter().map(String::as_str).collect::<Vec<_>>(),
        None,
    );
    assert_eq!(run.code, 0, "{run:?}");
    let run = check(
        &dir,
        &args(&unknown)
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        None,
    );
    assert_eq!(
        run.code, 1,
        "a failed lookup denies with onLookupFailure: deny: {run:?}"
    );
    assert!(run.stdout.contains("could not be read"), "{run:?}");
    let bad = write(&dir, "bad-users.yaml", "- not a map\n");
    let run = check(
        &dir,
        &["--image-users", bad.to_str().unwrap(), ok.to_str().unwrap()],
        None,
    );
    assert_eq!(run.code, 2, "{run:?}");
}

#[test]
fn mutate_flag_without_mutation_prints_no_object() {
    let dir = scratch();
    let file = write(&dir, "good.yaml", GOOD_POD);
    let run = check(&dir, &["--mutate", file.to_str().unwrap()], None);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(!run.stdout.contains("mutated"), "{run:?}");
}

#[test]
fn mutate_flag_prints_the_mutated_object() {
    let dir = scratch();
    let settings = write(&dir, "mutating.yml", "mutation:\n  enabled: true\n");
    let bare = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: bare\nspec:\n  containers:\n  - name: app\n    image: registry.k8s.io/pause\n";
    let file = write(&dir, "bare.yaml", bare);
    let run = checker(
        &[
            "check",
            "--mutate",
            "--settings",
            settings.to_str().unwrap(),
            file.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.contains("ACCEPTED Pod"),
        "verdicts go to stderr: {run:?}"
    );
    assert!(run.stdout.starts_with("---\n"), "{run:?}");
    let docs: Vec<serde_json::Value> = serde_norway::Deserializer::from_str(&run.stdout)
        .map(|d| serde::Deserialize::deserialize(d).expect("YAML"))
        .collect();
    assert_eq!(docs.len(), 1, "{run:?}");
    assert_eq!(
        docs[0]["spec"]["securityContext"]["runAsNonRoot"],
        serde_json::json!(true)
    );
    assert_eq!(
        docs[0]["spec"]["containers"][0]["securityContext"]["readOnlyRootFilesystem"],
        serde_json::json!(true)
    );
}

#[test]
fn the_module_is_found_by_flag_then_environment_then_beside_the_executable() {
    let dir = scratch();
    let good = write(&dir, "good.yaml", GOOD_POD);
    let settings = write(&dir, "settings.yml", RESTRICTED);
    let args = |policy: Option<&str>| {
        let mut all = vec!["check".to_owned()];
        if let Some(p) = policy {
            all.extend(["--policy".to_owned(), p.to_owned()]);
        }
        all.extend([
            "--settings".to_owned(),
            settings.display().to_string(),
            good.display().to_string(),
        ]);
        all
    };
    let module = policy_path();
    let module = module.to_str().unwrap();
    // --policy first, even over the environment.
    let missing = dir.join("missing.wasm");
    let run = checker_with(
        &args(Some(module))
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        None,
        Some(&missing),
    );
    assert_eq!(run.code, 0, "{run:?}");
    // Then the environment: a missing module there is an error naming it.
    let run = checker_with(
        &args(None).iter().map(String::as_str).collect::<Vec<_>>(),
        None,
        Some(&missing),
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("missing.wasm"), "{run:?}");
    // Then annotated-policy.wasm beside the executable: a copy of the binary with one.
    let bin_dir = dir.join("bin");
    std::fs::create_dir_all(&bin_dir).unwrap();
    let copy = bin_dir.join("security-context-checker");
    std::fs::copy(CHECKER, &copy).unwrap();
    let mut command = Command::new(&copy);
    command
        .args(args(None))
        .env_remove(POLICY_ENV)
        .current_dir(&dir);
    let out = command.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if security_context_checker::policy::embedded().is_none() {
        // Nothing beside it, nothing embedded: the error names the four places.
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        for needle in ["--policy", POLICY_ENV, MODULE_FILE, "embedded", "make wasm"] {
            assert!(stderr.contains(needle), "no {needle:?}: {stderr}");
        }
    }
    std::fs::copy(policy_path(), bin_dir.join(MODULE_FILE)).unwrap();
    let out = command.output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Settings whose exception relaxes `readOnlyRootFilesystem` only for `alice` in `sre`.
const SRE_EXCEPTION: &str = "\
podSecurityStandard: restricted
podSecurityContext: {}
securityContext:
  readOnlyRootFilesystem: true
exceptions:
- name: sre-writable-root
  reason: the SRE team debugs with a writable root filesystem
  match:
    users: [alice]
    groups: [sre]
  securityContext:
    readOnlyRootFilesystem: false
";

#[test]
fn user_and_group_flags_simulate_the_requester() {
    let dir = scratch();
    let settings = write(&dir, "settings.yml", SRE_EXCEPTION);
    let pod = write(&dir, "good.yaml", GOOD_POD);
    let run = |extra: &[&str]| {
        let mut all = vec![
            "check",
            "--output",
            "json",
            "--settings",
            settings.to_str().unwrap(),
        ];
        all.extend_from_slice(extra);
        all.push(pod.to_str().unwrap());
        checker(&all, None)
    };
    // Nobody in particular (the cluster admin): the pod's writable root is refused.
    let admin = run(&[]);
    assert_eq!(admin.code, 1, "{admin:?}");
    // alice in sre: the exception applies.
    let alice = run(&["--user", "alice", "--group", "sre"]);
    assert_eq!(alice.code, 0, "{alice:?}");
    // alice in another group, or someone else in sre: refused.
    for extra in [
        &["--user", "alice", "--group", "dev"][..],
        &["--user=bob", "--group=sre"][..],
        &["--user", "alice"][..],
    ] {
        let r = run(extra);
        assert_eq!(r.code, 1, "{extra:?}: {r:?}");
    }
    // Several groups: any of them may be the one matched.
    let r = run(&["--user", "alice", "--group", "dev", "--group", "sre"]);
    assert_eq!(r.code, 0, "{r:?}");
    // Empty names are usage errors.
    for extra in [&["--user", ""][..], &["--group", " "][..]] {
        let r = run(extra);
        assert_eq!(r.code, 2, "{extra:?}: {r:?}");
    }
}
