//! `security-context-checker report` (docs/checker.md, "Rollout report"), run as users run it
//! on the kubectl-style List in tests/report/cluster.json (made from examples/manifests by
//! tests/report/make-cluster.py): the counts, the workloads behind them, the exceptions used,
//! suggested exceptions that make the rest pass (proven with `check`), Markdown, and no
//! progress bar off a terminal. The HTML page is tested in Chromium by report-html.test.mjs.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{CHECKER, Run, module, repo};
use security_context_checker::policy::POLICY_ENV;
use serde_json::{Value, json};

fn cluster() -> String {
    repo()
        .join("cli/tests/report/cluster.json")
        .display()
        .to_string()
}

fn matih() -> String {
    repo()
        .join("examples/settings/matih.yml")
        .display()
        .to_string()
}

fn run(args: &[&str], stdin: Option<&str>) -> Run {
    let mut command = Command::new(CHECKER);
    command.args(args).env(POLICY_ENV, module());
    common::run(&mut command, stdin)
}

fn report_json(settings: &str, inputs: &[&str]) -> Value {
    let mut args = vec!["report", "--format", "json", "--settings", settings];
    args.extend_from_slice(inputs);
    let r = run(&args, None);
    assert_eq!(r.code, 1, "something is rejected, so status 1: {r:?}");
    serde_json::from_str(&r.stdout).unwrap()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect()
}

fn cell(report: &Value, ns: &str, check: &str) -> Option<(u64, Vec<String>)> {
    report["cells"].as_array().unwrap().iter().find_map(|c| {
        (c["namespace"] == ns && c["check"] == check)
            .then(|| (c["count"].as_u64().unwrap(), strings(&c["workloads"])))
    })
}

fn workload<'r>(report: &'r Value, ns: &str, label: &str) -> &'r Value {
    report["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| {
            w["namespace"] == ns
                && format!(
                    "{}/{}",
                    w["kind"].as_str().unwrap(),
                    w["name"].as_str().unwrap()
                ) == label
        })
        .unwrap_or_else(|| panic!("no workload {ns}/{label}"))
}

#[test]
fn counts_by_namespace_and_check_count_each_workload_once() {
    let r = report_json(&matih(), &[&cluster()]);
    let t = &r["totals"];
    assert_eq!(t["objects"], 58, "every object of the List is evaluated");
    assert_eq!(
        t["workloads"], 21,
        "Pods, ReplicaSets and Jobs fold into their owners"
    );
    assert_eq!(t["workloadsRejected"], 12);
    // ai-service-canary: a Deployment, its ReplicaSet and two Pods, all rejected: one workload.
    assert_eq!(
        cell(&r, "matih-ai", "readOnlyRootFilesystem"),
        Some((
            3,
            vec![
                "CronJob/ai-service-embeddings-gc".to_owned(),
                "Deployment/ai-service-canary".to_owned(),
                "Pod/node-debug-ip-10-0-3-17".to_owned()
            ]
        ))
    );
    assert_eq!(
        cell(&r, "matih-gateway", "capabilities_baseline"),
        Some((1, vec!["Deployment/api-gateway-canary".to_owned()]))
    );
    assert_eq!(
        cell(&r, "matih-postgresql", "runAsUser"),
        Some((
            2,
            vec![
                "StatefulSet/postgresql-evil".to_owned(),
                "StatefulSet/postgresql-metrics".to_owned()
            ]
        ))
    );
    assert_eq!(
        cell(&r, "matih-kafka", "runAsUser"),
        None,
        "kafka is compliant"
    );
    assert_eq!(
        cell(&r, "monitoring", "readOnlyRootFilesystem").map(|c| c.0),
        Some(1)
    );
    // Every count is the number of workloads listed with it, and the per-namespace totals add up.
    for c in r["cells"].as_array().unwrap() {
        assert_eq!(
            c["count"].as_u64().unwrap() as usize,
            c["workloads"].as_array().unwrap().len()
        );
    }
    let rejected: u64 = r["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["rejected"].as_u64().unwrap())
        .sum();
    assert_eq!(rejected, 12);
}

#[test]
fn objects_are_attributed_to_their_top_level_owner() {
    let r = report_json(&matih(), &[&cluster()]);
    let canary = workload(&r, "matih-ai", "Deployment/ai-service-canary");
    let kinds: Vec<&str> = canary["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["Deployment", "ReplicaSet", "Pod", "Pod"]);
    assert_eq!(canary["inInput"], true);
    assert_eq!(strings(&canary["checks"]), ["readOnlyRootFilesystem"]);
    assert_eq!(
        canary["findings"].as_array().unwrap().len(),
        1,
        "the same finding on 4 objects is one"
    );
    assert_eq!(
        canary["findings"][0]["field"],
        "containers[0].securityContext.readOnlyRootFilesystem"
    );
    let cron = workload(&r, "matih-ai", "CronJob/ai-service-embeddings-gc");
    let kinds: Vec<&str> = cron["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["CronJob", "Job", "Pod"], "Pod -> Job -> CronJob");
    // The owner is not listed: the Pod counts for the ReplicaSet its reference names.
    let orphan = workload(&r, "batch", "ReplicaSet/report-worker-6d8f7b9c4");
    assert_eq!(orphan["inInput"], false);
    assert_eq!(orphan["objects"].as_array().unwrap().len(), 1);
    // No Pod or ReplicaSet with an owner in the List is a workload of its own.
    for w in r["workloads"].as_array().unwrap() {
        if w["kind"] == "Pod" {
            assert_eq!(
                w["name"], "node-debug-ip-10-0-3-17",
                "only the bare Pod: {w}"
            );
        }
    }
}

#[test]
fn exceptions_used_name_the_workloads_that_used_them() {
    let r = report_json(&matih(), &[&cluster()]);
    let used = r["exceptionsUsed"].as_array().unwrap();
    let ai = used.iter().find(|e| e["name"] == "ai-service").unwrap();
    assert_eq!(
        strings(&ai["workloads"]),
        [
            "matih-ai/CronJob/ai-service-embeddings-gc",
            "matih-ai/Deployment/ai-service",
            "matih-ai/Deployment/ai-service-canary"
        ]
    );
    let starrocks = used.iter().find(|e| e["name"] == "starrocks").unwrap();
    assert_eq!(starrocks["workloads"].as_array().unwrap().len(), 3);
    assert_eq!(strings(&r["exceptionsUnused"]), ["break-glass-debug"]);
    // By what: the sidecar's pod is not covered, so its pod-level values are not either.
    let postgres = used.iter().find(|e| e["name"] == "postgresql").unwrap();
    assert_eq!(
        strings(&postgres["appliedTo"]),
        [
            "container \"postgresql\" and the pod",
            "container \"postgresql\""
        ]
    );
}

/// Settings YAML -> JSON, through the checker's own reader being unavailable here: the
/// settings files of the tests are simple, so serde_norway reads them as kubectl would.
fn settings_value(path: &str) -> Value {
    serde_norway::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn with_suggestions(settings: &Value, report: &Value) -> Value {
    let mut settings = settings.clone();
    let list = settings["exceptions"].as_array_mut().unwrap();
    for s in report["fixes"]["suggestions"].as_array().unwrap() {
        let e = s["exception"].clone();
        match s["action"].as_str().unwrap() {
            "add" => list.push(e),
            "amend" => {
                let at = list.iter().position(|x| x["name"] == e["name"]).unwrap();
                list[at] = e;
            }
            other => panic!("unknown action {other}"),
        }
    }
    settings
}

/// (namespace, kind, name) -> accepted, from `check --output json`.
fn check_verdicts(settings: &Value, dir: &Path) -> Vec<(String, String, String, bool)> {
    let path = dir.join("settings.json");
    std::fs::write(&path, settings.to_string()).unwrap();
    let r = run(
        &[
            "check",
            "--output",
            "json",
            "--settings",
            path.to_str().unwrap(),
            &cluster(),
        ],
        None,
    );
    assert!(r.code <= 1, "{r:?}");
    let out: Value = serde_json::from_str(&r.stdout).unwrap();
    out.as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["namespace"].as_str().unwrap_or_default().to_owned(),
                v["kind"].as_str().unwrap().to_owned(),
                v["name"].as_str().unwrap().to_owned(),
                v["response"]["accepted"] == true,
            )
        })
        .collect()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("scp-report-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn the_suggested_exceptions_make_those_workloads_pass_in_check() {
    let r = report_json(&matih(), &[&cluster()]);
    let fixes = &r["fixes"];
    let suggestions = fixes["suggestions"].as_array().unwrap();
    let names: BTreeSet<&str> = suggestions
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        BTreeSet::from([
            "default-postgres",
            "matih-postgresql-postgres-evil",
            "monitoring-fluent-bit",
            "ai-service",
            "api-gateway",
            "postgresql",
            "starrocks"
        ])
    );
    let fluent = suggestions
        .iter()
        .find(|s| s["name"] == "monitoring-fluent-bit")
        .unwrap();
    assert_eq!(fluent["action"], "add");
    assert_eq!(
        fluent["exception"]["match"],
        json!({"namespaces": ["monitoring"], "images": ["fluent/fluent-bit"]})
    );
    assert_eq!(
        fluent["exception"]["securityContext"],
        json!({"readOnlyRootFilesystem": false})
    );
    assert!(
        fluent["exception"].get("podSecurityContext").is_none(),
        "only what differs"
    );
    let sidecar = suggestions
        .iter()
        .find(|s| s["name"] == "postgresql")
        .unwrap();
    assert_eq!(
        sidecar["action"], "amend",
        "the sidecar joins the exception that covers the pod"
    );
    assert_eq!(
        strings(&sidecar["changes"]),
        ["match.images: + prometheuscommunity/postgres-exporter"]
    );
    assert_eq!(fixes["workloadsPassing"], 7);
    assert_eq!(fixes["newlyRejected"], json!([]));

    // Proof outside the report: `check` with the suggestions applied admits every object of
    // the workloads they are for, still rejects the workloads left to their manifests, and
    // rejects nothing that was admitted before.
    let dir = temp_dir("suggest");
    let base = settings_value(&matih());
    let before = check_verdicts(&base, &dir);
    let after = check_verdicts(&with_suggestions(&base, &r), &dir);
    assert_eq!(before.len(), 58);
    let objects_of = |ns: &str, label: &str| -> Vec<(String, String)> {
        workload(&r, ns, label)["objects"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| {
                (
                    o["kind"].as_str().unwrap().to_owned(),
                    o["name"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let verdict = |list: &[(String, String, String, bool)], ns: &str, kind: &str, name: &str| {
        list.iter()
            .find(|v| v.0 == ns && v.1 == kind && v.2 == name)
            .unwrap_or_else(|| panic!("{ns}/{kind}/{name} not checked"))
            .3
    };
    for s in suggestions {
        let ns = s["namespace"].as_str().unwrap();
        for label in strings(&s["workloads"]) {
            for (kind, name) in objects_of(ns, &label) {
                assert!(
                    !verdict(&before, ns, &kind, &name),
                    "{ns}/{kind}/{name} is rejected without the suggestion"
                );
                assert!(
                    verdict(&after, ns, &kind, &name),
                    "{ns}/{kind}/{name} passes with suggestion {}",
                    s["name"]
                );
            }
        }
    }
    for m in fixes["manual"].as_array().unwrap() {
        let ns = m["namespace"].as_str().unwrap();
        for (kind, name) in objects_of(ns, m["workload"].as_str().unwrap()) {
            if !verdict(&before, ns, &kind, &name) {
                assert!(
                    !verdict(&after, ns, &kind, &name),
                    "{ns}/{kind}/{name}: left to its manifest"
                );
            }
        }
    }
    for (b, a) in before.iter().zip(&after) {
        assert!(!b.3 || a.3, "{b:?} was admitted and must stay admitted");
    }
    let manual: Vec<String> = fixes["manual"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["workload"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        manual.contains(&"StatefulSet/mongodb-analytics".to_owned()),
        "{manual:?}"
    );
    let mongo = fixes["manual"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["workload"] == "StatefulSet/mongodb-analytics")
        .unwrap();
    assert!(
        mongo["reason"]
            .as_str()
            .unwrap()
            .contains("not set (pod: fsGroup)"),
        "{mongo}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn protect_mode_denies_what_the_settings_only_warn_about() {
    let dir = temp_dir("warn");
    let mut settings = settings_value(&matih());
    settings["enforcement"] = json!({"readOnlyRootFilesystem": "warn", "fsGroup": "off"});
    let path = dir.join("monitor.json");
    std::fs::write(&path, settings.to_string()).unwrap();
    let r = report_json(path.to_str().unwrap(), &[&cluster()]);
    assert_eq!(
        r["enforced"],
        json!([{"check": "readOnlyRootFilesystem", "was": "warn"}, {"check": "fsGroup", "was": "off"}])
    );
    assert_eq!(
        cell(&r, "monitoring", "readOnlyRootFilesystem").map(|c| c.0),
        Some(1)
    );
    assert_eq!(cell(&r, "matih-mongodb", "fsGroup").map(|c| c.0), Some(1));
    assert_eq!(
        r["totals"]["workloadsRejected"], 12,
        "the same as with every check at deny"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn markdown_shows_the_counts_the_workloads_and_the_suggestions() {
    let r = run(&["report", "--settings", &matih(), &cluster()], None);
    assert_eq!(r.code, 1, "{r:?}");
    let md = &r.stdout;
    for needle in [
        "# What protect mode would reject",
        "**12 of 21 workloads would be rejected** (31 of 58 objects).",
        "| `matih-ai` | `readOnlyRootFilesystem` | 3 | CronJob/ai-service-embeddings-gc, Deployment/ai-service-canary, Pod/node-debug-ip-10-0-3-17 |",
        "| **Total** | 21 | 12 |",
        "- **Deployment/ai-service-canary** (1 Deployment, 1 ReplicaSet, 2 Pods): `readOnlyRootFilesystem`",
        "| `postgresql` | matih-postgresql/StatefulSet/postgresql (container \"postgresql\" and the pod); matih-postgresql/StatefulSet/postgresql-metrics (container \"postgresql\") |",
        "**7 of 12 rejected workloads pass**",
        "### Add exception `monitoring-fluent-bit` (namespace `monitoring`; DaemonSet/log-shipper)",
        "```yaml\n# under exceptions:\n- name: monitoring-fluent-bit\n",
        "## Left to fix in the manifests",
    ] {
        assert!(md.contains(needle), "missing {needle:?} in:\n{md}");
    }
}

#[test]
fn no_progress_bar_off_a_terminal() {
    let r = run(&["report", "--settings", &matih(), &cluster()], None);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr, "",
        "standard error is a pipe: nothing drawn on it"
    );
    let stdin = std::fs::read_to_string(cluster()).unwrap();
    let r = run(&["report", "--format", "json", "-"], Some(&stdin));
    assert_eq!(r.stderr, "");
    assert!(!r.stdout.contains('\r'));
}

/// On a terminal the bar is drawn (util-linux `script` gives the checker a pseudo-terminal).
#[test]
fn a_progress_bar_on_a_terminal() {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("SKIPPED: no `script` (util-linux) to run the checker on a pseudo-terminal");
        return;
    }
    let command = format!(
        "SCP_POLICY_WASM='{}' '{CHECKER}' report --settings '{}' '{}' >/dev/null",
        module().display(),
        matih(),
        cluster()
    );
    let out = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let err = String::from_utf8_lossy(&out.stderr);
    if !text.contains("evaluating") && err.contains("pseudo-terminal") {
        eprintln!("SKIPPED: `script` cannot open a pseudo-terminal here: {err}");
        return;
    }
    assert!(text.contains("evaluating ["), "{text:?}");
    assert!(text.contains("58 / 58 objects"), "{text:?}");
    assert!(
        text.contains("\r\x1b[2K"),
        "the bar is erased when done: {text:?}"
    );
}

#[test]
fn a_directory_of_manifests_and_errors_that_name_the_input() {
    let dir = repo().join("examples/manifests");
    let r = run(
        &[
            "report",
            "--format",
            "json",
            "--settings",
            &matih(),
            dir.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(r.code, 1, "{r:?}");
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["totals"]["objects"], 19, "{}", v["totals"]);
    assert_eq!(
        v["totals"]["otherObjects"], 11,
        "Services and the like are not evaluated"
    );
    let r = run(&["report", "/nonexistent/cluster.json"], None);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("/nonexistent/cluster.json: cannot read"),
        "{r:?}"
    );
    let r = run(&["report", "--format", "pdf", &cluster()], None);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("--format must be markdown, html or json, not \"pdf\""),
        "{r:?}"
    );
}

#[test]
fn a_malformed_object_is_counted_and_left_to_its_manifest() {
    let doc = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x, namespace: shop}\nspec: {template: oops}\n";
    let r = run(&["report", "--format", "json", "-"], Some(doc));
    assert_eq!(r.code, 1, "{r:?}");
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        cell(&v, "shop", "malformed"),
        Some((1, vec!["Deployment/x".to_owned()]))
    );
    assert_eq!(
        v["fixes"]["suggestions"],
        json!([]),
        "no exception for a malformed object"
    );
    let manual = &v["fixes"]["manual"][0];
    assert_eq!(manual["workload"], "Deployment/x");
    assert!(
        manual["reason"].as_str().unwrap().contains("malformed"),
        "{manual}"
    );
}

/// Host namespaces and hostPath volumes are the floor's: the suggestion lowers its
/// podSecurityStandard, and names the added capability; `check` admits the DaemonSet with it.
#[test]
fn floor_checks_lower_the_suggested_exceptions_pod_security_standard() {
    let manifest =
        std::fs::read_to_string(repo().join("cli/tests/report/node-agent.yaml")).unwrap();
    let r = run(&["report", "--format", "json", "-"], Some(&manifest));
    assert_eq!(r.code, 1, "{r:?}");
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        cell(&v, "monitoring", "hostNamespaces").map(|c| c.0),
        Some(1)
    );
    let fixes = &v["fixes"];
    assert_eq!(fixes["workloadsPassing"], 1, "{fixes}");
    let exception = &fixes["suggestions"][0]["exception"];
    assert_eq!(exception["podSecurityStandard"], "privileged");
    assert_eq!(
        exception["securityContext"],
        json!({"capabilities": {"add": ["SYS_TIME"]}})
    );
    assert_eq!(exception["match"]["namespaces"], json!(["monitoring"]));

    let dir = temp_dir("floor");
    let settings = dir.join("settings.json");
    std::fs::write(&settings, json!({"exceptions": [exception]}).to_string()).unwrap();
    let file = dir.join("node-agent.yaml");
    std::fs::write(&file, &manifest).unwrap();
    let check = run(
        &[
            "check",
            "--settings",
            settings.to_str().unwrap(),
            file.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(check.code, 0, "admitted with the suggestion: {check:?}");
    let without = run(&["check", file.to_str().unwrap()], None);
    assert_eq!(without.code, 1, "rejected without it: {without:?}");
    let _ = std::fs::remove_dir_all(dir);
}

/// The excerpt in docs/checker.md ("Rollout report") and the README's are real output: every
/// line they show (but the `…` that mark cuts) is a line of the report they name.
#[test]
fn the_documented_output_is_what_the_report_prints() {
    let r = run(&["report", "--settings", &matih(), &cluster()], None);
    // The docs show the paths relative to the repository.
    let out = r.stdout.replace(&format!("{}/", repo().display()), "");
    let lines: BTreeSet<&str> = out.lines().collect();
    for page in ["docs/checker.md", "README.md"] {
        let text = std::fs::read_to_string(repo().join(page)).unwrap();
        let section = text
            .split("````markdown\n")
            .skip(1)
            .filter_map(|b| b.split("\n````").next());
        let mut shown = 0;
        for block in section {
            for line in block.lines().filter(|l| !l.trim().is_empty() && *l != "…") {
                let line = line.strip_suffix(" …").unwrap_or(line);
                assert!(
                    lines.contains(line) || lines.iter().any(|l| l.starts_with(line)),
                    "{page} shows a line the report does not print: {line:?}"
                );
                shown += 1;
            }
        }
        assert!(shown >= 3, "{page}: no report excerpt found");
    }
}

/// An existing exception without namespaces may relax nothing, so it is not amended (that would
/// widen it): the new exception goes before it, since the first that matches a container
/// judges it. `check` agrees: first in the list it admits the workload, last it does not.
#[test]
fn a_new_exception_goes_before_an_unscoped_one_that_would_match_first() {
    let dir = temp_dir("front");
    let settings = json!({"exceptions": [
        {"name": "record-nginx", "reason": "where nginx runs", "match": {"images": ["nginx"]}}
    ]});
    let settings_file = dir.join("settings.json");
    std::fs::write(&settings_file, settings.to_string()).unwrap();
    let manifest = dir.join("web.yaml");
    std::fs::write(
        &manifest,
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  template:\n    spec:\n      securityContext: {runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: {type: RuntimeDefault}}\n      containers:\n        - name: web\n          image: nginx:1.27\n          securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: false, capabilities: {drop: [ALL]}}\n",
    )
    .unwrap();
    let (s, m) = (settings_file.to_str().unwrap(), manifest.to_str().unwrap());
    let v = report_json(s, &[m]);
    let suggestion = &v["fixes"]["suggestions"][0];
    assert_eq!(suggestion["action"], "add");
    assert_eq!(suggestion["before"], "record-nginx");
    assert_eq!(v["fixes"]["workloadsPassing"], 1);
    let exception = suggestion["exception"].clone();
    let recorded = settings["exceptions"][0].clone();
    for (list, admitted) in [
        (vec![exception.clone(), recorded.clone()], true),
        (vec![recorded, exception], false),
    ] {
        std::fs::write(&settings_file, json!({"exceptions": list}).to_string()).unwrap();
        let check = run(&["check", "--settings", s, m], None);
        assert_eq!(check.code, if admitted { 0 } else { 1 }, "{check:?}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// The suggestions are valid settings as shown: each one's YAML, pasted under `exceptions:`,
/// reads back through the checker's own settings reader as the exception the report shows,
/// is accepted by the module, and admits the workloads the report says it is for. The names
/// are ones YAML 1.1 reads as booleans when written plain: namespaces `on`, `yes` and `n`,
/// image `y`.
#[test]
fn the_suggested_yaml_pastes_into_settings_as_the_exception_shown() {
    let dir = temp_dir("paste");
    let manifest = dir.join("workloads.yaml");
    let deployment = |ns: &str| {
        format!(
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: web, namespace: \"{ns}\"}}\nspec:\n  template:\n    spec:\n      securityContext: {{runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: {{type: RuntimeDefault}}}}\n      containers:\n        - name: web\n          image: \"y\"\n          securityContext: {{allowPrivilegeEscalation: false, readOnlyRootFilesystem: false, capabilities: {{drop: [ALL]}}}}\n"
        )
    };
    let text: String = ["on", "yes", "n"].into_iter().map(deployment).collect();
    std::fs::write(&manifest, text).unwrap();
    let m = manifest.to_str().unwrap();
    let empty = dir.join("empty.yml");
    std::fs::write(&empty, "{}\n").unwrap();
    let v = report_json(empty.to_str().unwrap(), &[m]);
    let suggestions = v["fixes"]["suggestions"].as_array().unwrap();
    assert_eq!(suggestions.len(), 3, "{v:#}");
    for s in suggestions {
        let ns = s["namespace"].as_str().unwrap();
        let yaml = s["yaml"].as_str().unwrap();
        let indented: String = yaml.lines().map(|l| format!("  {l}\n")).collect();
        let pasted = format!("exceptions:\n{indented}");
        let read = security_context_input::manifest::parse_settings(&pasted, "pasted.yml")
            .unwrap_or_else(|e| panic!("{ns}: {e}\n{pasted}"));
        assert_eq!(
            read["exceptions"],
            json!([s["exception"]]),
            "{ns}: the pasted YAML reads as another exception\n{pasted}"
        );
        assert_eq!(
            s["exception"]["match"],
            json!({"namespaces": [ns], "images": ["y"]}),
            "{ns}"
        );
        let settings = dir.join(format!("settings-{ns}.yml"));
        std::fs::write(&settings, &pasted).unwrap();
        let check = run(
            &[
                "check",
                "--output",
                "json",
                "--settings",
                settings.to_str().unwrap(),
                m,
            ],
            None,
        );
        assert!(check.code <= 1, "{ns}: settings refused: {check:?}");
        let out: Vec<Value> = serde_json::from_str(&check.stdout).unwrap();
        for o in &out {
            assert_eq!(
                o["response"]["accepted"],
                o["namespace"] == ns,
                "{ns}: only the workload it is for passes: {o:#}"
            );
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}
