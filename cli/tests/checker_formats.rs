//! Where the checker says a finding is, and the formats CI reads: every finding carries the
//! file, line and column of its field (the nearest present parent when the field is absent)
//! and the Helm template of its document; SARIF 2.1.0 valid against the OASIS schema; JUnit
//! XML that parses; colour on a terminal only, never with `NO_COLOR`.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{CHECKER, RESTRICTED, Run, module, repo, run, write};
use security_context_checker::policy::POLICY_ENV;
use serde_json::Value;

/// `cli/tests/testdata/helm/shop-rendered.yaml`: what `helm template` prints for a small chart
/// (a ServiceAccount, a Deployment with two bad containers, a CronJob with hostPID).
fn helm_stream() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/testdata/helm/shop-rendered.yaml")
}

fn scratch() -> PathBuf {
    common::scratch("checker-formats")
}

/// The checker in the repository root (so that example paths print as in the docs).
fn checker(args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Run {
    let mut command = Command::new(CHECKER);
    command
        .args(args)
        .current_dir(repo())
        .env(POLICY_ENV, module())
        .env_remove("NO_COLOR");
    for (k, v) in env {
        command.env(k, v);
    }
    run(&mut command, stdin)
}

fn restricted(dir: &Path) -> String {
    write(dir, "restricted.yml", RESTRICTED)
        .display()
        .to_string()
}

/// (field, line, column, template) of every finding of the object named `name`.
fn findings(json: &str, name: &str) -> Vec<(String, usize, usize, Option<String>)> {
    let results: Vec<Value> = serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {json}"));
    let result = results
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no result for {name}: {json}"));
    result["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["field"].as_str().unwrap().to_owned(),
                f["at"]["line"].as_u64().unwrap() as usize,
                f["at"]["column"].as_u64().unwrap() as usize,
                f["at"]["template"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

/// Asserts that `field` was found at `line:column` and that the source text there starts
/// with `text` (the key, or the item, a person would edit).
fn assert_at(
    found: &[(String, usize, usize, Option<String>)],
    source: &str,
    field: &str,
    (line, column): (usize, usize),
    text: &str,
) {
    let hit = found
        .iter()
        .find(|(f, ..)| f == field)
        .unwrap_or_else(|| panic!("no finding for {field}: {found:?}"));
    assert_eq!((hit.1, hit.2), (line, column), "{field}: {found:?}");
    let at = source
        .lines()
        .nth(line - 1)
        .and_then(|l| l.get(column - 1..))
        .unwrap_or_default();
    assert!(
        at.starts_with(text),
        "{field}: line {line} column {column} reads {at:?}"
    );
}

const DEPLOY: &str = "spec.template.spec.containers";
const CRON: &str = "spec.jobTemplate.spec.template.spec";

#[test]
fn a_helm_stream_locates_findings_by_line_column_and_template() {
    let dir = scratch();
    let settings = restricted(&dir);
    let stream = std::fs::read_to_string(helm_stream()).unwrap();
    let file = helm_stream().display().to_string();
    for input in ["-", file.as_str()] {
        let run = checker(
            &[
                "check",
                "--settings",
                &settings,
                "-n",
                "shop",
                "-o",
                "json",
                input,
            ],
            (input == "-").then_some(stream.as_str()),
            &[],
        );
        assert_eq!(run.code, 1, "{run:?}");
        let api = findings(&run.stdout, "shop-api");
        let deployment = Some("shop/templates/deployment.yaml".to_owned());
        assert!(api.iter().all(|f| f.3 == deployment), "{api:?}");
        // Present fields: the key's own line and column.
        let sc = |i: usize, rest: &str| format!("{DEPLOY}[{i}].securityContext.{rest}");
        assert_at(&api, &stream, &sc(0, "capabilities.add"), (43, 15), "add:");
        assert_at(
            &api,
            &stream,
            &sc(1, "privileged"),
            (47, 13),
            "privileged: true",
        );
        assert_at(
            &api,
            &stream,
            &sc(1, "allowPrivilegeEscalation"),
            (48, 13),
            "allowPriv",
        );
        // Absent: the nearest present parent.
        assert_at(
            &api,
            &stream,
            &sc(1, "capabilities.drop"),
            (46, 11),
            "securityContext:",
        );

        let cron = findings(&run.stdout, "shop-cleanup");
        let cronjob = Some("shop/templates/cronjob.yaml".to_owned());
        assert!(cron.iter().all(|f| f.3 == cronjob), "{cron:?}");
        assert_at(
            &cron,
            &stream,
            &format!("{CRON}.hostPID"),
            (62, 11),
            "hostPID: true",
        );
        let sc = format!("{CRON}.containers[0].securityContext.allowPrivilegeEscalation");
        assert_at(&cron, &stream, &sc, (64, 15), "name: cleanup");

        // The objects themselves: where their documents' content starts.
        let results: Vec<Value> = serde_json::from_str(&run.stdout).unwrap();
        let starts: Vec<(u64, &str)> = results
            .iter()
            .map(|r| {
                let at = &r["at"];
                (
                    at["line"].as_u64().unwrap(),
                    at["template"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            starts,
            [
                (3, "shop/templates/serviceaccount.yaml"),
                (12, "shop/templates/deployment.yaml"),
                (51, "shop/templates/cronjob.yaml"),
            ]
        );
        let source = if input == "-" { "<stdin>" } else { input };
        assert!(
            results.iter().all(|r| r["at"]["source"] == source),
            "{results:?}"
        );
    }
}

#[test]
fn text_output_names_the_place_to_edit() {
    let dir = scratch();
    let settings = restricted(&dir);
    let stream = std::fs::read_to_string(helm_stream()).unwrap();
    let run = checker(
        &["check", "--settings", &settings, "-n", "shop", "-"],
        Some(&stream),
        &[],
    );
    assert_eq!(run.code, 1, "{run:?}");
    let lines: Vec<&str> = run.stdout.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.contains("hostPID") && l.starts_with("  <stdin>"))
        .unwrap_or_else(|| panic!("no located hostPID finding: {run:?}"));
    assert_eq!(
        lines[at],
        "  <stdin>:62:11 (shop/templates/cronjob.yaml): deny hostNamespaces: pod: \
         spec.jobTemplate.spec.template.spec.hostPID: found true; required false or unset \
         (baseline Pod Security Standard)"
    );
    assert_eq!(
        lines[at + 1],
        "    fix: remove hostPID: true; the pod must not share the node's namespaces"
    );
}

/// One line per finding (issue: each violation was printed twice, in the cluster's message and
/// located): the located finding, the fix once per check under its first finding, no message
/// while every finding is listed; `--show-message` adds the message; JSON stays complete.
#[test]
fn text_output_prints_each_finding_once() {
    let dir = scratch();
    let settings = restricted(&dir);
    let stream = std::fs::read_to_string(helm_stream()).unwrap();
    let args = ["check", "--settings", &settings, "-n", "shop", "-"];
    let run = checker(&args, Some(&stream), &[]);
    assert_eq!(run.code, 1, "{run:?}");
    let json = checker(
        &[&args[..5], &["--output", "json", "-"]].concat(),
        Some(&stream),
        &[],
    );
    let results: Vec<Value> = serde_json::from_str(&json.stdout).unwrap();
    let findings: usize = results
        .iter()
        .map(|r| r["findings"].as_array().unwrap().len())
        .sum();
    let out = &run.stdout;
    let located = out.lines().filter(|l| l.starts_with("  <stdin>:")).count();
    assert_eq!(located, findings, "one line per finding:\n{out}");
    assert!(
        !out.contains("violates the security-context policy") && !out.contains("\n    - ["),
        "no message while the findings are listed:\n{out}"
    );
    // The fix of a check, once per object: the three capabilities_restricted findings of the
    // CronJob share one.
    for r in &results {
        let mut fixes: Vec<(String, String)> = r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["checks"].to_string(),
                    f["fix"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        fixes.sort();
        fixes.dedup();
        let name = r["name"].as_str().unwrap();
        let block: String = out
            .split("REJECTED ")
            .find(|b| b.contains(&format!("/{name}\n")))
            .unwrap_or_default()
            .to_owned();
        let shown = block.lines().filter(|l| l.starts_with("    fix: ")).count();
        if !fixes.is_empty() {
            assert_eq!(
                shown,
                fixes.len(),
                "one fix line per check and fix:\n{block}"
            );
        }
    }
    let run = checker(
        &[&args[..5], &["--show-message", "-"]].concat(),
        Some(&stream),
        &[],
    );
    assert!(
        run.stdout
            .contains("    Deployment shop/shop-api violates the security-context policy"),
        "{run:?}"
    );
}

/// A field path, where it must be found (line, column), and the text there.
type Expected = (&'static str, (usize, usize), &'static str);

#[test]
fn example_manifests_report_the_line_of_the_offending_field() {
    let matih = "examples/settings/matih.yml";
    let violating = "examples/manifests/violating";
    let cases: &[(&str, &str, &[Expected])] = &[
        (
            "added-capability.yaml",
            "api-gateway",
            &[(
                "spec.template.spec.containers[0].securityContext.capabilities.add",
                (66, 15),
                "add:",
            )],
        ),
        (
            "runs-as-root.yaml",
            "query-engine",
            &[(
                "spec.template.spec.containers[0].securityContext.runAsUser",
                (70, 13),
                "runAsUser: 0",
            )],
        ),
        (
            "writable-root.yaml",
            "ai-service",
            &[(
                "spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem",
                (60, 13),
                "readOnlyRootFilesystem: false",
            )],
        ),
        (
            "privileged-debug.yaml",
            "node-debug-ip-10-0-3-17",
            &[
                (
                    "spec.containers[0].securityContext.privileged",
                    (38, 9),
                    "privileged: true",
                ),
                ("spec.hostPID", (26, 3), "hostPID: true"),
                ("spec.volumes[0].hostPath", (50, 7), "hostPath:"),
                // The pod has no securityContext: the finding points at `spec:`.
                ("spec.securityContext.fsGroup", (24, 1), "spec:"),
            ],
        ),
    ];
    for (file, name, expected) in cases {
        let path = format!("{violating}/{file}");
        let run = checker(
            &["check", "--settings", matih, "-o", "json", &path],
            None,
            &[],
        );
        assert_eq!(run.code, 1, "{file}: {run:?}");
        let source = std::fs::read_to_string(repo().join(&path)).unwrap();
        let found = findings(&run.stdout, name);
        for (field, at, text) in *expected {
            assert_at(&found, &source, field, *at, text);
        }
    }
}

#[test]
fn json_lists_and_admission_reviews_are_located_too() {
    let dir = scratch();
    let settings = restricted(&dir);
    let list = "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"List\",\n  \"items\": [\n    {\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"c\"}},\n    {\n      \"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": \"in-list\"},\n      \"spec\": {\n        \"hostNetwork\": true,\n        \"containers\": [{\"name\": \"a\", \"image\": \"x\"}]\n      }\n    }\n  ]\n}\n";
    let review = "{\"apiVersion\": \"admission.k8s.io/v1\", \"kind\": \"AdmissionReview\",\n \"request\": {\"uid\": \"1\", \"operation\": \"CREATE\", \"namespace\": \"n\", \"name\": \"in-review\",\n  \"kind\": {\"group\": \"\", \"version\": \"v1\", \"kind\": \"Pod\"},\n  \"object\": {\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": \"in-review\"},\n   \"spec\": {\"hostIPC\": true, \"containers\": [{\"name\": \"a\", \"image\": \"x\"}]}}}}\n";
    let text = format!("{list}{review}");
    let file = write(&dir, "objects.json", &text);
    let run = checker(
        &[
            "check",
            "--settings",
            &settings,
            "-o",
            "json",
            file.to_str().unwrap(),
        ],
        None,
        &[],
    );
    assert_eq!(run.code, 1, "{run:?}");
    let found = findings(&run.stdout, "in-list");
    assert_at(
        &found,
        &text,
        "spec.hostNetwork",
        (9, 9),
        "\"hostNetwork\": true",
    );
    let found = findings(&run.stdout, "in-review");
    assert_at(&found, &text, "spec.hostIPC", (19, 13), "\"hostIPC\": true");
}

#[test]
fn input_errors_carry_file_line_and_column() {
    let dir = scratch();
    let settings = restricted(&dir);
    let bad_yaml = write(
        &dir,
        "broken.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\nkind: Pod\nmetadata:\n  name: [unclosed\n",
    );
    let run = checker(
        &["check", "--settings", &settings, bad_yaml.to_str().unwrap()],
        None,
        &[],
    );
    assert_eq!(run.code, 2, "{run:?}");
    let want = format!(
        "checker: {}:8:1: document 2: invalid YAML",
        bad_yaml.display()
    );
    assert!(run.stderr.contains(&want), "no {want:?}: {run:?}");

    let list = write(
        &dir,
        "list.yaml",
        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n- 3\n",
    );
    let run = checker(
        &["check", "--settings", &settings, list.to_str().unwrap()],
        None,
        &[],
    );
    assert_eq!(run.code, 2, "{run:?}");
    let want = format!("checker: {}:7:3: document 1: items[1]: ", list.display());
    assert!(run.stderr.contains(&want), "no {want:?}: {run:?}");

    // Settings files too.
    let two = write(
        &dir,
        "two.yml",
        "podSecurityStandard: restricted\n---\nb: 2\n",
    );
    let run = checker(
        &[
            "check",
            "--settings",
            two.to_str().unwrap(),
            list.to_str().unwrap(),
        ],
        None,
        &[],
    );
    assert_eq!(run.code, 2, "{run:?}");
    let want = format!(
        "checker: settings {}:3:1: document 2: settings must be a single document",
        two.display()
    );
    assert!(run.stderr.contains(&want), "no {want:?}: {run:?}");
}

/// The OASIS SARIF 2.1.0 schema (tests/testdata/sarif/README.md says where it comes from).
fn sarif_validator() -> jsonschema::Validator {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/testdata/sarif/sarif-schema-2.1.0.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles")
}

fn schema_errors(validator: &jsonschema::Validator, log: &Value) -> Vec<String> {
    validator
        .iter_errors(log)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect()
}

#[test]
fn sarif_output_is_valid_sarif_with_a_rule_per_check_and_located_results() {
    let dir = scratch();
    let settings = restricted(&dir);
    let stream = std::fs::read_to_string(helm_stream()).unwrap();
    let run = checker(
        &[
            "check",
            "--settings",
            &settings,
            "-n",
            "shop",
            "--output",
            "sarif",
            "-",
        ],
        Some(&stream),
        &[],
    );
    assert_eq!(run.code, 1, "{run:?}");
    let log: Value = serde_json::from_str(&run.stdout).unwrap();
    let validator = sarif_validator();
    let errors = schema_errors(&validator, &log);
    assert!(
        errors.is_empty(),
        "invalid SARIF: {errors:#?}\n{}",
        run.stdout
    );
    // The validation can fail: a log without its version is refused.
    let mut broken = log.clone();
    broken.as_object_mut().unwrap().remove("version");
    assert!(!schema_errors(&validator, &broken).is_empty());
    // Formats are checked too (`format: uri`; `uri-reference` is no draft-04 format, so the
    // artifact URIs are checked by hand below).
    let mut bad_uri = log.clone();
    bad_uri["runs"][0]["tool"]["driver"]["informationUri"] = Value::from("not a URI");
    assert!(
        !schema_errors(&validator, &bad_uri).is_empty(),
        "formats are not validated"
    );

    let run0 = &log["runs"][0];
    let rules = run0["tool"]["driver"]["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    for id in [
        "privileged",
        "hostNamespaces",
        "capabilities_restricted",
        "runAsNonRoot",
    ] {
        assert!(ids.contains(&id), "no rule {id}: {ids:?}");
    }
    assert!(rules.iter().all(|r| {
        r["help"]["text"].as_str().is_some_and(|t| t.len() > 20)
            && r["helpUri"]
                .as_str()
                .is_some_and(|u| u.ends_with("checks.md#check-ids"))
    }));
    let results = run0["results"].as_array().unwrap();
    // One result per finding: the Deployment's 4 and the CronJob's 5.
    assert_eq!(results.len(), 9, "{results:#?}");
    let host_pid = results
        .iter()
        .find(|r| r["ruleId"] == "hostNamespaces")
        .expect("a hostNamespaces result");
    let location = &host_pid["locations"][0]["physicalLocation"];
    // A relative URI reference (RFC 3986): `<stdin>` percent-encoded.
    assert_eq!(location["artifactLocation"]["uri"], "%3Cstdin%3E");
    assert_eq!(location["region"]["startLine"], 62);
    assert_eq!(location["region"]["startColumn"], 11);
    assert_eq!(host_pid["level"], "error");
    assert_eq!(
        host_pid["properties"]["template"],
        "shop/templates/cronjob.yaml"
    );
    assert!(
        host_pid["message"]["text"]
            .as_str()
            .unwrap()
            .contains("Fix: remove hostPID"),
        "{host_pid}"
    );
    let index = host_pid["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(rules[index]["id"], "hostNamespaces");
}

#[test]
fn sarif_of_a_file_names_it_and_lists_input_errors() {
    let dir = scratch();
    let settings = restricted(&dir);
    let bad = write(&dir, "bad.yaml", "just text\n");
    let file = "examples/manifests/violating/privileged-debug.yaml";
    let run = checker(
        &[
            "check",
            "--settings",
            &settings,
            "-o",
            "sarif",
            file,
            bad.to_str().unwrap(),
        ],
        None,
        &[],
    );
    assert_eq!(run.code, 2, "{run:?}");
    let log: Value = serde_json::from_str(&run.stdout).unwrap();
    let errors = schema_errors(&sarif_validator(), &log);
    assert!(errors.is_empty(), "invalid SARIF: {errors:#?}");
    let run0 = &log["runs"][0];
    let results = run0["results"].as_array().unwrap();
    assert!(!results.is_empty());
    assert!(
        results
            .iter()
            .all(|r| { r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == file })
    );
    assert_eq!(run0["invocations"][0]["executionSuccessful"], false);
    let note = run0["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"]
        .as_str()
        .unwrap();
    assert!(
        note.contains("bad.yaml:1:1: document 1: expected a Kubernetes object"),
        "{note}"
    );
}

#[test]
fn junit_output_is_one_test_case_per_object() {
    let dir = scratch();
    let settings = restricted(&dir);
    let file = helm_stream().display().to_string();
    let good = write(
        &dir,
        "good.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: \"a<b>&c\"}\n",
    );
    let run = checker(
        &[
            "check",
            "--settings",
            &settings,
            "-n",
            "shop",
            "-o",
            "junit",
            &file,
            good.to_str().unwrap(),
        ],
        None,
        &[],
    );
    assert_eq!(run.code, 1, "{run:?}");
    let doc = roxmltree::Document::parse(&run.stdout)
        .unwrap_or_else(|e| panic!("not well-formed XML: {e}\n{}", run.stdout));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    assert_eq!(root.attribute("tests"), Some("4"));
    assert_eq!(root.attribute("failures"), Some("2"));
    let cases: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    let names: Vec<&str> = cases.iter().filter_map(|c| c.attribute("name")).collect();
    assert_eq!(
        names,
        [
            "ServiceAccount shop/shop",
            "Deployment shop/shop-api",
            "CronJob shop/shop-cleanup",
            "ConfigMap shop/a<b>&c",
        ]
    );
    let failure = cases[2]
        .children()
        .find(|n| n.has_tag_name("failure"))
        .expect("the CronJob fails");
    assert!(
        failure
            .attribute("message")
            .unwrap()
            .contains("shop-cleanup")
    );
    let text = failure.text().unwrap();
    assert!(
        text.contains(&format!(
            "{file}:62:11 (shop/templates/cronjob.yaml): deny hostNamespaces"
        )),
        "{text}"
    );
    assert!(cases[0].children().all(|n| !n.has_tag_name("failure")));
}

#[test]
fn no_colour_off_a_terminal_or_with_no_color() {
    let dir = scratch();
    let settings = restricted(&dir);
    let file = helm_stream().display().to_string();
    let args = [
        "check",
        "--settings",
        settings.as_str(),
        "-n",
        "shop",
        file.as_str(),
    ];
    // Standard output is a pipe here: never colour.
    let run = checker(&args, None, &[]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(!run.stdout.contains('\x1b'), "{run:?}");

    // On a terminal (util-linux `script` gives the checker one): colour, unless NO_COLOR.
    let on_terminal = |no_color: Option<&str>| {
        let command = format!("{CHECKER} {}", args.join(" "));
        let mut script = Command::new("script");
        script
            .args(["-qec", &command, "/dev/null"])
            .current_dir(repo())
            .env(POLICY_ENV, module())
            .env_remove("NO_COLOR")
            .stdin(Stdio::null());
        if let Some(v) = no_color {
            script.env("NO_COLOR", v);
        }
        let out = script.output().expect("util-linux `script` runs");
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (coloured, err) = on_terminal(None);
    if !coloured.contains("REJECTED") && err.contains("pseudo-terminal") {
        // Some sandboxes have no pseudo-terminals; the choice itself is unit-tested
        // (output::colour_wanted).
        eprintln!("SKIPPED: `script` cannot open a pseudo-terminal here: {err}");
        return;
    }
    assert!(coloured.contains("\x1b[31mREJECTED\x1b[0m"), "{coloured}");
    let (plain, _) = on_terminal(Some("1"));
    assert!(plain.contains("REJECTED"), "{plain}");
    assert!(!plain.contains('\x1b'), "{plain}");
}
