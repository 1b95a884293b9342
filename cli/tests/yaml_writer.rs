//! What the checker writes is what it judged, read by the real kubectl (docs/checker.md, "What
//! the checker writes"). A property test: objects with hostile keys and values (merge keys,
//! YAML 1.1 booleans, octals, sexagesimals and nulls, underscores in numbers, line separators,
//! control characters, leading and trailing spaces, `#`, `: `, `---`, long keys) in the places
//! the policy does not judge, evaluated with `check --mutate` and `post-render`; the YAML they
//! write is read back by kubectl (`kubectl label --local -f out.yaml probe=1 -o json`, which
//! decodes YAML as `kubectl apply` does) and by the checker's own reader, and each object must
//! be exactly the object the module admitted (`check --output json`: the request's object, or
//! the module's mutated object).
//!
//! kubectl is `$KUBECTL` (make test installs the one of the PyPI package that brings Helm into
//! target/test-tools), else `kubectl` on PATH; without one the kubectl half is skipped with a
//! notice (and fails under SCP_REQUIRE_TEST_TOOLS=1). `SCP_YAML_SEED` picks another seed.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{CHECKER, Run, module, scratch, write};
use security_context_checker::policy::POLICY_ENV;
use security_context_input::yaml;
use serde_json::{Map, Value, json};

/// Objects per run: enough to meet every atom in keys and values many times, few enough that
/// the whole test (two checker runs, one post-render, two kubectl calls) takes seconds.
const OBJECTS: usize = 160;

/// Mutation on, so that some objects are written from the module's mutated object.
const SETTINGS: &str = "mutation:\n  enabled: true\n";

/// Strings some YAML reader takes for something else than the string, or that break a line.
const ATOMS: &[&str] = &[
    "<<",
    "=",
    "~",
    "null",
    "NULL",
    "Null",
    "",
    "y",
    "Y",
    "n",
    "N",
    "yes",
    "Yes",
    "NO",
    "on",
    "On",
    "OFF",
    "true",
    "False",
    "0777",
    "0o17",
    "0x1F",
    "0b101",
    "1_000",
    "+12",
    "-0",
    "1:20",
    "190:20:30",
    "1e3",
    "1.5",
    ".5",
    ".inf",
    "-.Inf",
    ".NaN",
    "2001-12-14",
    "2001-12-14t21:59:43.10-05:00",
    " lead",
    "trail ",
    " ",
    "#",
    "a #b",
    "a: b",
    ":",
    "a:",
    "- x",
    "-",
    "---",
    "--- x",
    "...",
    "? x",
    "[a]",
    "{a: 1}",
    "*x",
    "&a",
    "!tag",
    "!!str",
    "%YAML",
    "@x",
    "`x",
    "|",
    ">",
    "'",
    "\"",
    "\\",
    "\\n",
    "\n",
    "\r\n",
    "\t",
    "\u{0}",
    "\u{7}",
    "\u{1b}[31m",
    "\u{7f}",
    "\u{85}",
    "a\u{85}b",
    "\u{9b}",
    "\u{a0}",
    "\u{2028}",
    "\u{2029}",
    "\u{202e}",
    "\u{feff}",
    "\u{fffd}",
    "é",
    "😀",
    "plain",
    "k8s.io/name",
    "registry.k8s.io/pause:3.9",
];

/// xorshift64*: a fixed sequence per seed, so that a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, list: &'a [T]) -> &'a T {
        &list[self.below(list.len())]
    }
}

fn hostile_string(rng: &mut Rng) -> String {
    match rng.below(10) {
        0..=5 => (*rng.pick(ATOMS)).to_owned(),
        6..=8 => (0..2 + rng.below(2)).map(|_| *rng.pick(ATOMS)).collect(),
        // A key too long to be a plain YAML key (libyaml and go-yaml stop at 1024).
        _ => format!("{}{}", "k".repeat(1100), rng.pick(ATOMS)),
    }
}

fn hostile_value(rng: &mut Rng, depth: usize) -> Value {
    match rng.below(if depth >= 2 { 6 } else { 8 }) {
        0 | 1 => Value::String(hostile_string(rng)),
        2 => json!(*rng.pick(&[0i64, 1, -1, 511, 1000, i64::MAX, i64::MIN])),
        3 => json!(*rng.pick(&[0.5f64, -1.25, 1e-7, 3.5e300, 123.456])),
        4 => json!(rng.below(2) == 0),
        5 => Value::Null,
        6 => Value::Object(hostile_map(rng, depth + 1, 3)),
        _ => Value::Array(
            (0..rng.below(4))
                .map(|_| hostile_value(rng, depth + 1))
                .collect(),
        ),
    }
}

fn hostile_map(rng: &mut Rng, depth: usize, max: usize) -> Map<String, Value> {
    (0..rng.below(max + 1))
        .map(|_| (hostile_string(rng), hostile_value(rng, depth)))
        .collect()
}

/// Adds hostile entries to `map` without replacing the fields the policy judges.
fn sprinkle(rng: &mut Rng, map: &mut Value, max: usize) {
    let Some(map) = map.as_object_mut() else {
        return;
    };
    for (k, v) in hostile_map(rng, 0, max) {
        map.entry(k).or_insert(v);
    }
}

/// A pod the standard admits, with hostile keys and values where the policy does not look;
/// every fourth one leaves fields out for the module to fill in (a mutated object). The
/// merge-key probe of the review sits in every container's and every pod's securityContext.
fn hostile_pod(rng: &mut Rng, i: usize) -> Value {
    let mut labels = Map::new();
    let mut annotations = Map::new();
    for _ in 0..rng.below(4) {
        labels.insert(hostile_string(rng), Value::String(hostile_string(rng)));
        annotations.insert(hostile_string(rng), Value::String(hostile_string(rng)));
    }
    let mut pod_sc = json!({
        "runAsNonRoot": true, "runAsUser": 1000, "runAsGroup": 1000, "fsGroup": 1000,
        "seccompProfile": {"type": "RuntimeDefault"},
        "<<": {"hostPID": true, "runAsUser": 0}
    });
    let mut container_sc = json!({
        "allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true,
        "capabilities": {"drop": ["ALL"]},
        "<<": {"privileged": true}
    });
    if i % 4 == 3 {
        pod_sc.as_object_mut().unwrap().remove("runAsGroup");
        container_sc
            .as_object_mut()
            .unwrap()
            .remove("readOnlyRootFilesystem");
    }
    sprinkle(rng, &mut pod_sc, 2);
    sprinkle(rng, &mut container_sc, 2);
    let args: Vec<Value> = (0..rng.below(5))
        .map(|_| Value::String(hostile_string(rng)))
        .collect();
    let mut container = json!({
        "name": "app",
        "image": "registry.k8s.io/pause:3.9",
        "args": args,
        "env": [{"name": "E", "value": hostile_string(rng)}],
        "securityContext": container_sc
    });
    sprinkle(rng, &mut container, 2);
    let mut spec = json!({
        "securityContext": pod_sc,
        "containers": [container],
        "<<": {"hostNetwork": true, "volumes": [{"name": "root", "hostPath": {"path": "/"}}]}
    });
    sprinkle(rng, &mut spec, 3);
    let mut pod = json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": format!("p{i}"), "namespace": "probe",
                     "labels": labels, "annotations": annotations},
        "spec": spec
    });
    sprinkle(rng, &mut pod, 2);
    pod
}

fn checker(args: &[&str], stdin: Option<&str>) -> Run {
    let mut command = Command::new(CHECKER);
    command.args(args).env(POLICY_ENV, module());
    common::run(&mut command, stdin)
}

/// The kubectl to read with, or `None` (skipped with a notice) when there is none.
fn kubectl() -> Option<PathBuf> {
    let found = std::env::var_os("KUBECTL")
        .filter(|k| !k.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::split_paths(&std::env::var_os("PATH")?)
                .map(|d| d.join("kubectl"))
                .find(|p| p.is_file())
        });
    if found.is_none() {
        if std::env::var_os("SCP_REQUIRE_TEST_TOOLS").is_some_and(|v| v == "1") {
            panic!(
                "SCP_REQUIRE_TEST_TOOLS=1 but no kubectl: set KUBECTL or run \
                 scripts/test-tools.sh (make test does)"
            );
        }
        eprintln!(
            "\n==== SKIPPED the kubectl half of the YAML writer's property test: no kubectl \
             (set KUBECTL, or run `make test`, which installs one into target/test-tools) ====\n"
        );
    }
    found
}

/// The objects kubectl reads from `file`, with the probe label it added taken away again.
fn kubectl_reads(kubectl: &Path, dir: &Path, file: &Path) -> Vec<Value> {
    let mut command = Command::new(kubectl);
    command
        .args(["label", "--local", "-f"])
        .arg(file)
        .args(["probe=1", "-o", "json"])
        // No kubeconfig is read with --local; keep kubectl's cache out of $HOME.
        .env("HOME", dir)
        .env("KUBECONFIG", dir.join("no-kubeconfig"));
    let run = common::run(&mut command, None);
    assert_eq!(
        run.code,
        0,
        "kubectl refused what the checker wrote ({}): {}",
        file.display(),
        run.stderr
    );
    let mut objects: Vec<Value> = serde_json::Deserializer::from_str(&run.stdout)
        .into_iter::<Value>()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("kubectl's JSON: {e}"));
    if let [single] = objects.as_slice()
        && single["kind"] == "List"
    {
        objects = single["items"].as_array().cloned().unwrap_or_default();
    }
    for object in &mut objects {
        let labels = object
            .pointer_mut("/metadata/labels")
            .and_then(Value::as_object_mut)
            .expect("kubectl adds the probe label");
        assert_eq!(labels.remove("probe"), Some(json!("1")));
    }
    objects
}

/// The first place where two values differ, as a JSON pointer, with both sides.
fn first_difference(path: &str, a: &Value, b: &Value) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, v) in x {
                let at = format!("{path}/{k:?}");
                match y.get(k) {
                    Some(w) => {
                        if let Some(d) = first_difference(&at, v, w) {
                            return Some(d);
                        }
                    }
                    None => return Some(format!("{at}: {v} is missing")),
                }
            }
            y.keys()
                .find(|k| !x.contains_key(*k))
                .map(|k| format!("{path}/{k:?}: {} was added", y[k]))
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (v, w))| first_difference(&format!("{path}/{i}"), v, w)),
        (Value::Number(x), Value::Number(y)) if x.as_f64() == y.as_f64() => None,
        _ if a == b => None,
        _ => Some(format!("{path}: {a} became {b}")),
    }
}

fn assert_same(what: &str, admitted: &[Value], read: &[Value], written: &str) {
    assert_eq!(
        admitted.len(),
        read.len(),
        "{what}: {} objects admitted, {} read back",
        admitted.len(),
        read.len()
    );
    for (a, r) in admitted.iter().zip(read) {
        if let Some(d) = first_difference("", a, r) {
            let name = a["metadata"]["name"].as_str().unwrap_or_default();
            let doc = written
                .split("\n---\n")
                .find(|d| d.contains(&format!("name: {name}\n")))
                .unwrap_or(written);
            panic!(
                "{what}: pod {name} does not read back as admitted: {d}\n--- as written:\n{doc}"
            );
        }
    }
}

#[test]
fn kubectl_reads_what_the_checker_writes_as_the_object_the_module_admitted() {
    let seed = std::env::var("SCP_YAML_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x005e_ed18_u64);
    let mut rng = Rng(seed | 1);
    let pods: Vec<Value> = (0..OBJECTS).map(|i| hostile_pod(&mut rng, i)).collect();
    let dir = scratch("yaml-writer");
    // The input is JSON (every character escaped that JSON allows to): no YAML writer is
    // involved before the checker's.
    let stream: String = pods.iter().map(|p| format!("{p}\n")).collect();
    let input = write(&dir, "input.json", &stream);
    let settings = write(&dir, "settings.yml", SETTINGS);
    let (input, settings) = (input.to_str().unwrap(), settings.to_str().unwrap());

    // What the module admitted: the request's object, or its mutated object.
    let judged = checker(
        &["check", "--output", "json", "--settings", settings, input],
        None,
    );
    assert_eq!(judged.code, 0, "every probe pod is admitted: {judged:?}");
    let verdicts: Vec<Value> = serde_json::from_str(&judged.stdout).unwrap();
    assert_eq!(verdicts.len(), OBJECTS);
    let admitted: Vec<Value> = verdicts
        .iter()
        .zip(&pods)
        .map(|(v, pod)| match &v["response"]["mutated_object"] {
            Value::Null => pod.clone(),
            mutated => mutated.clone(),
        })
        .collect();
    let mutated = verdicts
        .iter()
        .filter(|v| !v["response"]["mutated_object"].is_null())
        .count();
    assert!(
        mutated >= OBJECTS / 5,
        "only {mutated} objects were mutated"
    );

    let mutate = checker(&["check", "--mutate", "--settings", settings, input], None);
    assert_eq!(mutate.code, 0, "{mutate:?}");
    let render = checker(&["post-render", "--settings", settings, input], None);
    assert_eq!(render.code, 0, "{render:?}");

    let kubectl = kubectl();
    for (what, written) in [
        ("check --mutate", &mutate.stdout),
        ("post-render", &render.stdout),
    ] {
        // The real kubectl.
        if let Some(kubectl) = &kubectl {
            let file = write(&dir, &format!("{}.yaml", what.replace(' ', "_")), written);
            let read = kubectl_reads(kubectl, &dir, &file);
            assert_same(
                &format!("{what}, read by kubectl"),
                &admitted,
                &read,
                written,
            );
        }
        // The checker's own reader.
        let ours: Vec<Value> = yaml::parse_stream(written)
            .unwrap_or_else(|e| panic!("{what}: the checker cannot read what it wrote: {e}"))
            .into_iter()
            .map(|d| d.value)
            .filter(|v| !v.is_null())
            .collect();
        assert_same(what, &admitted, &ours, written);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The review's case, named: a quoted `<<` key next to compliant fields is admitted (the API
/// server drops the unknown key), and `check --mutate` writes it quoted, so that kubectl does
/// not merge `privileged: true` into the admitted securityContext.
#[test]
fn a_quoted_merge_key_stays_a_key() {
    let dir = scratch("merge-key");
    let input = write(
        &dir,
        "pod.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: merge\nspec:\n  securityContext:\n    \
         runAsNonRoot: true\n    runAsUser: 1000\n    runAsGroup: 1000\n    fsGroup: 1000\n    \
         seccompProfile: {type: RuntimeDefault}\n  containers:\n  - name: app\n    image: \
         registry.k8s.io/pause\n    securityContext:\n      allowPrivilegeEscalation: false\n      \
         readOnlyRootFilesystem: true\n      capabilities: {drop: [ALL]}\n      \"<<\": \
         {privileged: true}\n  \"<<\": {hostPID: true}\n",
    );
    let run = checker(&["check", "--mutate", input.to_str().unwrap()], None);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("\"<<\":")
            && !run.stdout.contains("\n<<:")
            && !run.stdout.contains(" <<:"),
        "{run:?}"
    );
    if let Some(kubectl) = kubectl() {
        let out = write(&dir, "out.yaml", &run.stdout);
        let read = kubectl_reads(&kubectl, &dir, &out);
        assert_eq!(read.len(), 1);
        assert_eq!(
            read[0]["spec"]["containers"][0]["securityContext"]["privileged"],
            Value::Null
        );
        assert_eq!(read[0]["spec"]["hostPID"], Value::Null);
        assert_eq!(read[0]["spec"]["<<"], json!({"hostPID": true}));
    }
    let _ = std::fs::remove_dir_all(&dir);
}
