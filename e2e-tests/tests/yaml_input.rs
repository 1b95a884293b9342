//! YAML read as kubectl reads it (input/src/yaml.rs): generated documents full of anchors,
//! aliases and merge keys read as they were built and as a second YAML reader with merge
//! keys reads them, and `to_yaml` writes them back readably; the repository's own YAML reads
//! as before; and through the `checker`
//! binary, a merge key cannot smuggle a privileged root container past the policy.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use e2e_tests::{checker_binary, policy_path, repo_root, test_module};
use security_context_input::manifest::parse_documents;
use security_context_input::yaml::{parse_stream, to_yaml};
use serde_json::{Map, Value, json};

// ------------------------------------------------------------------ generated documents

/// xorshift64*: a small deterministic generator, so every run checks the same documents.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// A node to render: the same tree can be written in flow or block style.
#[derive(Debug, Clone)]
enum Node {
    Scalar(String),
    Alias(String),
    Anchored(String, Box<Node>),
    Seq(Vec<Node>),
    Map(Vec<(String, Node)>),
}

/// Keys: none of them a YAML 1.1 boolean or null (`y`, `n`, `on` …), which kubectl would
/// not read as strings.
const KEYS: &[&str] = &[
    "alpha",
    "beta",
    "gamma",
    "delta",
    "image",
    "name",
    "runAsUser",
    "privileged",
    "k1",
    "k2",
    "x-y",
    "a_b",
];

/// Texts that YAML readers resolve differently when plain; quoted, they are strings to all.
const TRICKY: &[&str] = &[
    "yes",
    "no",
    "on",
    "off",
    "y",
    "n",
    "0777",
    "01750",
    "0x1F",
    "1_000",
    "1e3",
    "~",
    "null",
    "",
    "<<",
    "true",
    ".inf",
    "1:00",
    "2001-12-14",
    "a: b",
    "#c",
    "- d",
    "'",
    "\"",
    "\\",
];

struct Gen<'r> {
    rng: &'r mut Rng,
    /// Anchors defined so far (complete nodes only), by name; a redefinition replaces.
    anchors: Vec<(String, Value)>,
    /// Anchors whose node is being generated: an alias to them would be recursive.
    open: Vec<String>,
    next_anchor: usize,
    /// Whether an anchor name was defined twice (serde_norway then resolves later aliases to
    /// the wrong node, so the second reader is not asked).
    redefined: bool,
    /// Mappings at the top of the document, anchored `d0`, `d1` …, to merge from.
    defs: Vec<Map<String, Value>>,
}

impl Gen<'_> {
    fn scalar(&mut self) -> (Node, Value) {
        let r = &mut self.rng;
        match r.below(9) {
            0 => {
                let n = r.next() as i64 % 100_000;
                let text = if n >= 0 && r.chance(20) {
                    format!("+{n}")
                } else {
                    n.to_string()
                };
                (Node::Scalar(text), json!(n))
            }
            1 => {
                let magnitude = (r.next() % 1_000) as f64 + 0.5;
                let (sign, value) = if r.chance(50) {
                    ("-", -magnitude)
                } else {
                    ("", magnitude)
                };
                (Node::Scalar(format!("{sign}{magnitude}")), json!(value))
            }
            2 => {
                let b = r.chance(50);
                (Node::Scalar(b.to_string()), json!(b))
            }
            3 => {
                let text = if r.chance(50) { "null" } else { "~" };
                (Node::Scalar(text.to_owned()), Value::Null)
            }
            4 | 5 => {
                // A plain word: at least three letters, not a YAML 1.1 word.
                loop {
                    let len = 3 + r.below(6);
                    let word: String = (0..len)
                        .map(|_| char::from(b'a' + r.below(26) as u8))
                        .collect();
                    if !matches!(word.as_str(), "yes" | "off" | "true" | "false" | "null") {
                        return (Node::Scalar(word.clone()), json!(word));
                    }
                }
            }
            _ => {
                let mut text = String::new();
                for _ in 0..r.below(3) {
                    text.push_str(TRICKY[r.below(TRICKY.len())]);
                    if r.chance(30) {
                        text.push(' ');
                    }
                }
                let quoted = if r.chance(50) {
                    format!("'{}'", text.replace('\'', "''"))
                } else {
                    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
                };
                (Node::Scalar(quoted), json!(text))
            }
        }
    }

    fn node(&mut self, depth: usize) -> (Node, Value) {
        let usable: Vec<usize> = (0..self.anchors.len())
            .filter(|&i| !self.open.contains(&self.anchors[i].0))
            .collect();
        if !usable.is_empty() && self.rng.chance(30) {
            let (name, value) = &self.anchors[usable[self.rng.below(usable.len())]];
            return (Node::Alias(name.clone()), value.clone());
        }
        let anchor = self.rng.chance(35).then(|| {
            if !self.anchors.is_empty() && self.rng.chance(10) {
                // Redefine an earlier name: later aliases name the new node.
                self.redefined = true;
                self.anchors[self.rng.below(self.anchors.len())].0.clone()
            } else {
                self.next_anchor += 1;
                format!("a{}", self.next_anchor)
            }
        });
        if let Some(name) = &anchor {
            self.open.push(name.clone());
        }
        let (node, value) = match (depth >= 4, self.rng.below(10)) {
            (false, 0..=2) => self.map(depth),
            (false, 3..=4) => {
                let mut nodes = Vec::new();
                let mut values = Vec::new();
                for _ in 0..self.rng.below(4) {
                    let (n, v) = self.node(depth + 1);
                    nodes.push(n);
                    values.push(v);
                }
                (Node::Seq(nodes), Value::Array(values))
            }
            _ => self.scalar(),
        };
        match anchor {
            Some(name) => {
                self.open.pop();
                self.anchors.retain(|(n, _)| *n != name);
                self.anchors.push((name.clone(), value.clone()));
                (Node::Anchored(name, Box::new(node)), value)
            }
            None => (node, value),
        }
    }

    /// A mapping, sometimes with a `<<` merge of one or two definitions (aliased, or copied
    /// inline). Merged and explicit keys never disagree: a key given twice has one value.
    fn map(&mut self, depth: usize) -> (Node, Value) {
        let mut entries = Vec::new();
        let mut expected = Map::new();
        if !self.defs.is_empty() && self.rng.chance(40) {
            let mut chosen: Vec<usize> = Vec::new();
            for _ in 0..1 + self.rng.below(2) {
                let d = self.rng.below(self.defs.len());
                let agrees = self.defs[d].iter().all(|(k, v)| {
                    chosen
                        .iter()
                        .all(|&c| self.defs[c].get(k).is_none_or(|w| w == v))
                });
                if agrees {
                    chosen.push(d);
                }
            }
            for &d in &chosen {
                for (k, v) in &self.defs[d] {
                    expected.entry(k.clone()).or_insert_with(|| v.clone());
                }
            }
            let source = |d: usize, inline: bool, defs: &[Map<String, Value>]| {
                if inline {
                    let items = defs[d]
                        .iter()
                        .map(|(k, v)| (k.clone(), Node::Scalar(flow_json(v))))
                        .collect();
                    Node::Map(items)
                } else {
                    Node::Alias(format!("d{d}"))
                }
            };
            let merge = if chosen.len() == 1 {
                source(chosen[0], self.rng.chance(20), &self.defs)
            } else {
                Node::Seq(
                    chosen
                        .iter()
                        .map(|&d| source(d, self.rng.chance(20), &self.defs))
                        .collect(),
                )
            };
            entries.push(("<<".to_owned(), merge));
        }
        for _ in 0..self.rng.below(4) {
            let key = KEYS[self.rng.below(KEYS.len())];
            if entries.iter().any(|(k, _)| k == key) {
                continue;
            }
            if let Some(merged) = expected.get(key).cloned() {
                // Given explicitly as well, with the same value: every reader agrees.
                if self.rng.chance(50) {
                    entries.push((key.to_owned(), Node::Scalar(flow_json(&merged))));
                }
                continue;
            }
            let (node, value) = self.node(depth + 1);
            entries.push((key.to_owned(), node));
            expected.insert(key.to_owned(), value);
        }
        // The merge key anywhere among the others (it names only the definitions, which come
        // first in the document; the other entries stay in the order their anchors need).
        if entries.first().is_some_and(|(k, _)| k == "<<") {
            let at = self.rng.below(entries.len());
            let first = entries.remove(0);
            entries.insert(at, first);
        }
        (Node::Map(entries), Value::Object(expected))
    }
}

/// A scalar JSON value as a plain YAML scalar both readers read back the same.
fn flow_json(v: &Value) -> String {
    match v {
        Value::String(s) => format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"")),
        other => other.to_string(),
    }
}

fn flow(node: &Node) -> String {
    match node {
        Node::Scalar(s) => s.clone(),
        Node::Alias(a) => format!("*{a}"),
        Node::Anchored(a, inner) => format!("&{a} {}", flow(inner)),
        Node::Seq(items) => format!(
            "[{}]",
            items.iter().map(flow).collect::<Vec<_>>().join(", ")
        ),
        Node::Map(entries) => format!(
            "{{{}}}",
            entries
                .iter()
                .map(|(k, v)| format!("{k}: {}", flow(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The value after `key:` in block style, at `indent` for nested entries.
fn block(node: &Node, indent: usize, rng: &mut Rng, out: &mut String) {
    let pad = " ".repeat(indent);
    match node {
        Node::Map(entries) if !entries.is_empty() && rng.chance(60) => {
            out.push('\n');
            for (k, v) in entries {
                out.push_str(&format!("{pad}{k}:"));
                block(v, indent + 2, rng, out);
            }
        }
        Node::Seq(items) if !items.is_empty() && rng.chance(60) => {
            out.push('\n');
            for item in items {
                out.push_str(&format!("{pad}- {}\n", flow(item)));
            }
        }
        Node::Anchored(a, inner)
            if matches!(&**inner, Node::Map(e) if !e.is_empty())
                || matches!(&**inner, Node::Seq(i) if !i.is_empty()) =>
        {
            out.push_str(&format!(" &{a}"));
            match &**inner {
                Node::Map(entries) => {
                    out.push('\n');
                    for (k, v) in entries {
                        out.push_str(&format!("{pad}{k}:"));
                        block(v, indent + 2, rng, out);
                    }
                }
                other => out.push_str(&format!(" {}\n", flow(other))),
            }
        }
        other => out.push_str(&format!(" {}\n", flow(other))),
    }
}

/// One generated document, the value it was built to have, and whether it redefines an anchor.
fn generate(rng: &mut Rng) -> (String, Value, bool) {
    let mut g = Gen {
        rng,
        anchors: Vec::new(),
        open: Vec::new(),
        next_anchor: 0,
        redefined: false,
        defs: Vec::new(),
    };
    let mut text = String::from("defs:");
    let mut defs_json = Vec::new();
    let count = g.rng.below(4);
    if count == 0 {
        text.push_str(" []\n");
    } else {
        text.push('\n');
    }
    for d in 0..count {
        let mut items = Vec::new();
        let mut map = Map::new();
        for _ in 0..1 + g.rng.below(3) {
            let key = KEYS[g.rng.below(KEYS.len())];
            if map.contains_key(key) {
                continue;
            }
            let (node, value) = g.scalar();
            items.push((key.to_owned(), node));
            map.insert(key.to_owned(), value);
        }
        text.push_str(&format!("- &d{d} {}\n", flow(&Node::Map(items))));
        defs_json.push(Value::Object(map.clone()));
        g.defs.push(map);
    }
    let (body, value) = g.node(0);
    text.push_str("body:");
    block(&body, 2, g.rng, &mut text);
    let redefined = g.redefined;
    (text, json!({"defs": defs_json, "body": value}), redefined)
}

/// serde_norway (a libyaml port) with its `apply_merge`, as JSON.
fn norway(text: &str) -> Result<Value, String> {
    let mut v: serde_norway::Value = serde_norway::from_str(text).map_err(|e| e.to_string())?;
    v.apply_merge().map_err(|e| e.to_string())?;
    serde_json::to_value(v).map_err(|e| e.to_string())
}

#[test]
fn generated_documents_read_as_built_and_as_a_second_reader_reads_them() {
    let mut rng = Rng(0x5EC0_C0DE_2026_0001);
    let mut merges = 0;
    let mut aliases = 0;
    let mut compared = 0;
    for case in 0..10_000 {
        let (text, expected, redefined) = generate(&mut rng);
        merges += text.matches("<<").count();
        aliases += text.matches('*').count();
        let docs = match parse_stream(&text) {
            Ok(docs) => docs,
            Err(e) => panic!("case {case}: refused: {e}\n{text}"),
        };
        let got: Vec<&Value> = docs.iter().map(|d| &d.value).collect();
        assert_eq!(got, [&expected], "case {case}: not as built\n{text}");
        // Written back out (as --mutate may write objects), it reads as the same value.
        let written = to_yaml(&expected);
        match parse_stream(&written) {
            Ok(again) => assert_eq!(
                again.iter().map(|d| &d.value).collect::<Vec<_>>(),
                [&expected],
                "case {case}: to_yaml does not read back\n{written}"
            ),
            Err(e) => panic!("case {case}: to_yaml refused: {e}\n{written}"),
        }
        if redefined {
            continue;
        }
        compared += 1;
        match norway(&text) {
            Ok(other) => assert_eq!(other, expected, "case {case}: serde_norway differs\n{text}"),
            Err(e) => panic!("case {case}: serde_norway: {e}\n{text}"),
        }
    }
    // The generator must exercise what it is for.
    assert!(
        merges > 2_000 && aliases > 3_000 && compared > 8_000,
        "{merges} merges, {aliases} aliases, {compared} compared with serde_norway"
    );
}

// ------------------------------------------------------------------ the repository's YAML

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
}

#[test]
fn the_repository_manifests_and_settings_read_as_before() {
    let root = repo_root();
    let mut files = Vec::new();
    for dir in ["examples", "e2e-tests/testdata"] {
        yaml_files(&root.join(dir), &mut files);
    }
    assert!(files.len() > 20, "found only {files:?}");
    let mut differences = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let before: Result<Vec<Value>, _> = serde_norway::Deserializer::from_str(&text)
            .map(serde::Deserialize::deserialize)
            .collect::<Result<Vec<Value>, serde_norway::Error>>()
            .map(|docs| docs.into_iter().filter(|v| !v.is_null()).collect());
        let Ok(before) = before else {
            continue;
        };
        match parse_documents(&text, &file.display().to_string()) {
            Ok(docs) => {
                let now: Vec<Value> = docs.into_iter().map(|d| d.value).collect();
                if now != before {
                    differences.push(format!("{}: read differently", file.display()));
                }
            }
            Err(e) => differences.push(e.to_string()),
        }
    }
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}

// ------------------------------------------------------------------ through the checker

fn scratch() -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "yaml-input-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// `checker check --settings <settings> [extra…] <manifest>`, files in a fresh directory.
fn check(settings: &str, manifest: &str, extra: &[&str]) -> Run {
    let _ = test_module();
    let dir = scratch();
    let settings_path = dir.join("settings.yml");
    let manifest_path = dir.join("manifest.yaml");
    std::fs::write(&settings_path, settings).unwrap();
    std::fs::write(&manifest_path, manifest).unwrap();
    let mut args = vec!["check", "--settings", settings_path.to_str().unwrap()];
    args.extend_from_slice(extra);
    args.push(manifest_path.to_str().unwrap());
    let out = Command::new(checker_binary())
        .args(&args)
        .env("SCP_POLICY_WASM", policy_path())
        .output()
        .expect("cannot start the checker");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

const RESTRICTED: &str =
    "podSecurityStandard: restricted\npodSecurityContext: {}\nsecurityContext: {}\n";

/// A restricted pod but for its container's securityContext, which comes from a `<<` merge.
const MERGED_ROOT_POD: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: merged
spec:
  securityContext:
    runAsNonRoot: true
    seccompProfile:
      type: RuntimeDefault
  containers:
  - name: app
    image: registry.k8s.io/pause
    securityContext:
      <<: {privileged: true, runAsUser: 0}
      allowPrivilegeEscalation: false
      capabilities:
        drop: [ALL]
";

#[test]
fn a_merge_key_cannot_hide_a_privileged_root_container() {
    for (name, settings, extra) in [
        ("restricted", RESTRICTED, &[][..]),
        ("restricted, --mutate", RESTRICTED, &["--mutate"][..]),
        (
            "mutating, --mutate",
            "mutation:\n  enabled: true\n",
            &["--mutate"][..],
        ),
    ] {
        let run = check(settings, MERGED_ROOT_POD, extra);
        assert_eq!(run.code, 1, "{name}: {run:?}");
        let verdicts = if extra.is_empty() {
            &run.stdout
        } else {
            &run.stderr
        };
        assert!(
            verdicts.contains("REJECTED Pod default/merged"),
            "{name}: {run:?}"
        );
        assert!(
            verdicts.contains("privileged") && verdicts.contains("runAsUser"),
            "{name}: the reasons name neither privileged nor runAsUser: {run:?}"
        );
        if !extra.is_empty() {
            // --mutate prints the admitted manifests only: nothing here.
            assert!(
                !run.stdout.contains("merged") && !run.stdout.contains("<<"),
                "{name}: {run:?}"
            );
        }
    }
    // Without the merge, the same pod is admitted: the merge is what the policy rejects.
    let plain = MERGED_ROOT_POD.replace("      <<: {privileged: true, runAsUser: 0}\n", "");
    let run = check(RESTRICTED, &plain, &[]);
    assert_eq!(run.code, 0, "{run:?}");
}

#[test]
fn a_conflicting_merge_is_refused_with_its_line() {
    let pod = MERGED_ROOT_POD.replace(
        "      allowPrivilegeEscalation: false\n",
        "      allowPrivilegeEscalation: false\n      privileged: false\n",
    );
    let run = check(RESTRICTED, &pod, &[]);
    assert_eq!(run.code, 2, "{run:?}");
    for needle in [
        "manifest.yaml:16:7: document 1:",
        "line 16",
        "spec.containers[0].securityContext",
        "\"privileged\"",
        "disagree",
        "write the value once",
    ] {
        assert!(run.stderr.contains(needle), "no {needle:?}: {run:?}");
    }
}

#[test]
fn a_leading_zero_user_id_is_octal_as_kubectl_reads_it() {
    // Exactly UID 1000 is required; `01750` is 1000 to kubectl (YAML 1.1 octal).
    let settings = "podSecurityStandard: privileged\npodSecurityContext:\n  runAsUser: 1000\nsecurityContext: {}\n";
    let pod = |uid: &str| {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: uid\nspec:\n  securityContext:\n    \
             runAsUser: {uid}\n  containers:\n  - name: app\n    image: registry.k8s.io/pause\n"
        )
    };
    for (uid, code) in [
        ("01750", 0),
        ("1000", 0),
        ("0x3E8", 0),
        ("1750", 1),
        ("'01750'", 1),
    ] {
        let run = check(settings, &pod(uid), &[]);
        assert_eq!(run.code, code, "runAsUser: {uid}: {run:?}");
    }
}
