//! What Kubewarden users, Artifact Hub and the Rancher UI read besides the module (issue
//! "packaging", done-when 1), kept in step with the code:
//! - `artifacthub-pkg.yml` is exactly what `kwctl scaffold artifacthub` makes of
//!   `policy-metadata.yml` and `questions-ui.yml` (the `createdAt` value aside);
//! - every settings key the code accepts is in `questions-ui.yml` and in the settings reference
//!   (`docs/settings.md`), and neither names a key the code does not accept. The keys are the
//!   list the core exports (`settings::keys()`, read from its serde structs), cross-checked
//!   through the built module: a document with every key is valid, and misspelling any one of
//!   them is refused;
//! - every `examples/kubewarden/` ClusterAdmissionPolicy parses, names the module and the rules
//!   as the metadata does, names only real settings keys, and its settings are valid per the
//!   module's `validate_settings`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use e2e_tests::artifacthub::{
    ANNOTATION_OCI_URL, ANNOTATION_VERSION, ArtifactHubPkg, HEADER, PKG_QUESTIONS_UI, PKG_RULES,
    is_rfc3339_utc,
};
use e2e_tests::metadata::{Metadata, Rule};
use e2e_tests::{PolicyHost, repo_root, test_host};
use security_context_input::manifest::parse_settings;
use serde_json::{Value, json};

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn root_file(name: &str) -> String {
    read(&repo_root().join(name))
}

fn metadata() -> Metadata {
    serde_norway::from_str(&root_file("policy-metadata.yml"))
        .unwrap_or_else(|e| panic!("policy-metadata.yml: {e}"))
}

/// The `version` of the `[package]` table of the root Cargo.toml.
fn crate_version() -> String {
    let cargo = root_file("Cargo.toml");
    let package = cargo
        .split("[package]")
        .nth(1)
        .expect("Cargo.toml has a [package] table");
    package
        .lines()
        .find_map(|l| l.strip_prefix("version = \""))
        .and_then(|v| v.strip_suffix('"'))
        .expect("[package] has a version")
        .to_owned()
}

// ---------------------------------------------------------------------------------------------
// Settings keys, from the code.

/// Settings key paths: `exceptions[].match.namespaces` (`[]` marks a list of objects).
type Keys = BTreeSet<String>;

/// Every settings key the code accepts, as the core exports it (read from its serde structs).
fn code_keys() -> Keys {
    let keys: Keys = security_context_policy::settings::keys()
        .into_iter()
        .collect();
    assert!(
        keys.len() > 40,
        "the core exports too few settings keys: {keys:?}"
    );
    keys
}

/// Whether `path` has keys below it in the code (so a settings walk descends into it).
fn has_children(code: &Keys, path: &str) -> bool {
    code.iter()
        .any(|k| k.starts_with(&format!("{path}.")) || k.starts_with(&format!("{path}[].")))
}

/// The key paths a settings document uses, descending only where the code has sub-keys
/// (`enforcement` and `match.labels` are free maps, `runAsUser: {min, max}` a value).
fn document_keys(code: &Keys, value: &Value, prefix: &str, out: &mut Keys) {
    let Value::Object(map) = value else { return };
    for (key, v) in map {
        let path = format!("{prefix}{key}");
        out.insert(path.clone());
        if !has_children(code, &path) {
            continue;
        }
        match v {
            Value::Array(items) => {
                for item in items {
                    document_keys(code, item, &format!("{path}[]."), out);
                }
            }
            other => document_keys(code, other, &format!("{path}."), out),
        }
    }
}

/// A settings document naming every key there is.
const EVERY_KEY: &str = r#"
podSecurityContext:
  runAsNonRoot: true
  runAsUser: 1000
  runAsGroup: {min: 1000, max: 2000}
  fsGroup: 1000
  supplementalGroups: {min: 1}
  seccompProfile: {type: [RuntimeDefault, Localhost]}
securityContext:
  allowPrivilegeEscalation: false
  readOnlyRootFilesystem: true
  privileged: false
  capabilities: {drop: [ALL], add: []}
podSecurityStandard: restricted
enforcement: {readOnlyRootFilesystem: warn}
exceptions:
  - name: postgresql
    reason: postgres user, needs write access
    owner: data-platform
    ticket: OPS-42
    match: {namespaces: [data], images: [postgres], labels: {app.kubernetes.io/name: postgresql}, users: [alice], groups: [dba], containerTypes: [containers, initContainers]}
    podSecurityContext:
      runAsNonRoot: true
      runAsUser: 999
      runAsGroup: 999
      fsGroup: 999
      supplementalGroups: {min: 1}
      seccompProfile: {type: RuntimeDefault}
    securityContext:
      allowPrivilegeEscalation: false
      readOnlyRootFilesystem: false
      privileged: false
      capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}
    podSecurityStandard: restricted
mutation:
  enabled: true
  writableDirectories: [{mountPath: /tmp, sizeLimit: 100Mi}]
imageUser: {verify: true, onLookupFailure: deny}
"#;

fn yaml(text: &str) -> Value {
    parse_settings(text, "inline").unwrap_or_else(|e| panic!("{e}"))
}

fn assert_valid(host: &PolicyHost, what: &str, settings: &Value) {
    let answer = host
        .validate_settings(settings)
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        answer.valid,
        "{what}: the module refuses the settings: {:?}\n{settings:#}",
        answer.message
    );
}

/// `value` with the key at `path` (first list element where the path crosses a list) renamed.
fn rename_key(value: &mut Value, path: &str, new_name: &str) -> bool {
    let (head, rest) = match path.split_once('.') {
        Some((h, r)) => (h, Some(r)),
        None => (path, None),
    };
    let (key, list) = match head.strip_suffix("[]") {
        Some(k) => (k, true),
        None => (head, false),
    };
    let Some(map) = value.as_object_mut() else {
        return false;
    };
    match rest {
        None => match map.remove(key) {
            Some(v) => {
                map.insert(new_name.to_owned(), v);
                true
            }
            None => false,
        },
        Some(rest) => match map.get_mut(key) {
            Some(Value::Array(items)) if list => items
                .first_mut()
                .is_some_and(|item| rename_key(item, rest, new_name)),
            Some(child) if !list => rename_key(child, rest, new_name),
            _ => false,
        },
    }
}

#[test]
fn settings_keys_are_read_from_the_code_and_the_module_agrees() {
    let code = code_keys();
    for expected in [
        "podSecurityContext.seccompProfile.type",
        "exceptions[].match.namespaces",
        "exceptions[].securityContext.capabilities.add",
        "mutation.writableDirectories[].sizeLimit",
        "imageUser.onLookupFailure",
    ] {
        assert!(code.contains(expected), "{expected} missing from {code:#?}");
    }

    let every = yaml(EVERY_KEY);
    let mut used = Keys::new();
    document_keys(&code, &every, "", &mut used);
    assert_eq!(
        used, code,
        "the every-key document and the code's keys differ"
    );

    let host = test_host();
    assert_valid(&host, "the every-key document", &every);
    // Misspelling any key is refused: the code's keys are exactly the accepted ones.
    for path in &code {
        let mut typo = every.clone();
        let leaf = path.rsplit('.').next().unwrap().trim_end_matches("[]");
        let misspelt = format!("{leaf}X");
        assert!(rename_key(&mut typo, path, &misspelt), "{path}");
        let answer = host.validate_settings(&typo).unwrap();
        assert!(!answer.valid, "{path} misspelt as {misspelt} was accepted");
        let message = answer.message.unwrap_or_default();
        assert!(message.contains(&misspelt), "{path}: {message}");
    }
}

// ---------------------------------------------------------------------------------------------
// questions-ui.yml

const QUESTION_TYPES: &[&str] = &[
    "string",
    "boolean",
    "int",
    "enum",
    "array[",
    "map[",
    "sequence[",
];

fn questions() -> Vec<Value> {
    let text = root_file("questions-ui.yml");
    let doc: Value =
        serde_norway::from_str(&text).unwrap_or_else(|e| panic!("questions-ui.yml: {e}"));
    doc["questions"]
        .as_array()
        .expect("questions-ui.yml: a `questions` list")
        .clone()
}

/// Walks the form: `visit(question, settings path)` for every question.
fn walk_questions(list: &[Value], prefix: &str, visit: &mut dyn FnMut(&Value, String)) {
    for q in list {
        let variable = q["variable"]
            .as_str()
            .unwrap_or_else(|| panic!("a question without a variable: {q}"));
        let path = format!("{prefix}{variable}");
        visit(q, path.clone());
        if let Some(subs) = q["subquestions"].as_array() {
            // Subquestion variables are full paths from the same root.
            walk_questions(subs, prefix, visit);
        }
        if let Some(items) = q["sequence_questions"].as_array() {
            walk_questions(items, &format!("{path}[]."), visit);
        }
    }
}

/// A key path and every key above it (`a[].b.c` → `a`, `a[].b`, `a[].b.c`).
fn with_parents(path: &str, out: &mut Keys) {
    for (i, c) in path.char_indices() {
        if c == '.' {
            out.insert(path[..i].trim_end_matches("[]").to_owned());
        }
    }
    out.insert(path.to_owned());
}

/// The settings a form yields with every default left in place (null defaults omitted).
fn defaults_document(list: &[Value]) -> Value {
    let mut doc = json!({});
    let mut set = |q: &Value, path: String| {
        // Containers come from their subquestions, list items from the user.
        if q["subquestions"].is_array() || q["default"].is_null() || path.contains("[]") {
            return;
        }
        let mut at = &mut doc;
        let parts: Vec<&str> = path.split('.').collect();
        for part in &parts[..parts.len() - 1] {
            at = at
                .as_object_mut()
                .unwrap()
                .entry(part.to_string())
                .or_insert_with(|| json!({}));
        }
        at[parts[parts.len() - 1]] = q["default"].clone();
    };
    walk_questions(list, "", &mut set);
    doc
}

#[test]
fn questions_ui_asks_for_every_settings_key_and_no_other() {
    let code = code_keys();
    let qs = questions();
    let mut asked = Keys::new();
    let mut problems = Vec::new();
    walk_questions(&qs, "", &mut |q, path| {
        // A form field may set one bound of an ID rule (`supplementalGroups.min`): the key is
        // the rule's.
        let path = [".min", ".max"]
            .iter()
            .find_map(|b| path.strip_suffix(b))
            .filter(|rule| code.contains(*rule) && !has_children(&code, rule))
            .map_or(path.clone(), str::to_owned);
        with_parents(&path, &mut asked);
        for field in ["label", "group", "type"] {
            if !q[field].is_string() {
                problems.push(format!("{path}: no {field}"));
            }
        }
        let ty = q["type"].as_str().unwrap_or("");
        if !QUESTION_TYPES.contains(&ty) {
            problems.push(format!("{path}: unknown type {ty:?}"));
        }
        if q["description"].is_null() && q["tooltip"].is_null() {
            problems.push(format!("{path}: neither description nor tooltip"));
        }
        if ty == "enum" {
            let options: Vec<&str> = q["options"]
                .as_array()
                .map(|o| o.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            if options.is_empty() {
                problems.push(format!("{path}: an enum without options"));
            }
            if let Some(d) = q["default"].as_str()
                && !options.contains(&d)
            {
                problems.push(format!("{path}: default {d:?} is not an option"));
            }
        }
        if ty == "sequence[" && !q["sequence_questions"].is_array() {
            problems.push(format!("{path}: a sequence without sequence_questions"));
        }
    });
    assert!(
        problems.is_empty(),
        "questions-ui.yml:\n  {}",
        problems.join("\n  ")
    );

    let missing: Vec<&String> = code.difference(&asked).collect();
    let unknown: Vec<&String> = asked.difference(&code).collect();
    assert!(
        missing.is_empty() && unknown.is_empty(),
        "questions-ui.yml is out of step with the settings keys the code exports\n  not asked: {missing:?}\n  not settings keys: {unknown:?}"
    );
}

#[test]
fn questions_ui_defaults_are_valid_settings() {
    let qs = questions();
    let host = test_host();
    let defaults = defaults_document(&qs);
    assert_valid(&host, "the form's defaults", &defaults);
    // The form's defaults are the platform's standard (docs/checks.md).
    assert_eq!(defaults["podSecurityContext"]["runAsUser"], 1000);
    assert_eq!(
        defaults["securityContext"]["capabilities"]["drop"],
        json!(["ALL"])
    );
    assert_eq!(defaults["podSecurityStandard"], "restricted");

    // An exception filled in through the form: its untouched fields (null) must not be
    // mistaken for values.
    let exceptions = qs
        .iter()
        .find(|q| q["variable"] == "exceptions")
        .expect("an exceptions question");
    let mut item = defaults_document(exceptions["sequence_questions"].as_array().unwrap());
    item["name"] = json!("postgresql");
    item["reason"] = json!("postgres user, needs write access");
    item["match"]["namespaces"] = json!(["matih-postgresql"]);
    let mut nulls = item.clone();
    walk_questions(
        exceptions["sequence_questions"].as_array().unwrap(),
        "",
        &mut |q, path| {
            if q["default"].is_null() {
                let parts: Vec<&str> = path.split('.').collect();
                let mut at = &mut nulls;
                for part in &parts[..parts.len() - 1] {
                    at = at
                        .as_object_mut()
                        .unwrap()
                        .entry(part.to_string())
                        .or_insert_with(|| json!({}));
                }
                at[parts[parts.len() - 1]] = Value::Null;
            }
        },
    );
    let mut settings = defaults.clone();
    settings["exceptions"] = json!([item]);
    assert_valid(&host, "the defaults with one exception", &settings);
    settings["exceptions"] = json!([nulls]);
    assert_valid(
        &host,
        "the defaults with one exception whose other fields are null",
        &settings,
    );
}

// ---------------------------------------------------------------------------------------------
// The settings reference (docs/settings.md).

/// Key paths of the `## Keys` table; a row saying "Same keys as `X`" documents X's keys
/// below its own.
fn readme_keys() -> Keys {
    let readme = root_file("docs/settings.md");
    let section = readme
        .split("\n## Keys\n")
        .nth(1)
        .expect("docs/settings.md has a `## Keys` section")
        .split("\n#")
        .next()
        .unwrap();
    let mut rows: Vec<(String, String)> = Vec::new();
    for line in section.lines().filter(|l| l.starts_with("| `")) {
        let key = line[3..line[3..].find('`').map(|i| i + 3).unwrap()].to_owned();
        let meaning = line.trim_end_matches('|').rsplit('|').next().unwrap_or("");
        rows.push((key, meaning.to_owned()));
    }
    assert!(
        rows.len() > 20,
        "the Keys table of docs/settings.md looks empty"
    );
    let mut keys: Keys = rows.iter().map(|(k, _)| k.clone()).collect();
    for (key, meaning) in &rows {
        if let Some(same) = meaning
            .split("Same keys as `")
            .nth(1)
            .and_then(|r| r.split('`').next())
        {
            let below: Vec<String> = keys
                .iter()
                .filter_map(|k| k.strip_prefix(&format!("{same}.")))
                .map(|rest| format!("{key}.{rest}"))
                .collect();
            assert!(
                !below.is_empty(),
                "docs/settings.md: `{key}` says same keys as `{same}`, which has none"
            );
            keys.extend(below);
        }
    }
    keys
}

#[test]
fn readme_settings_reference_documents_every_key_and_no_other() {
    let code = code_keys();
    let documented = readme_keys();
    let missing: Vec<&String> = code.difference(&documented).collect();
    let unknown: Vec<&String> = documented.difference(&code).collect();
    assert!(
        missing.is_empty() && unknown.is_empty(),
        "docs/settings.md's settings reference is out of step with the settings keys the code exports\n  not documented: {missing:?}\n  not settings keys: {unknown:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// artifacthub-pkg.yml

#[test]
fn artifacthub_package_is_what_the_metadata_implies() {
    let committed = root_file("artifacthub-pkg.yml");
    assert!(
        committed.starts_with(HEADER),
        "artifacthub-pkg.yml lacks kwctl's header"
    );
    let pkg = ArtifactHubPkg::parse(&committed).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        is_rfc3339_utc(&pkg.created_at),
        "createdAt {:?} is not RFC 3339",
        pkg.created_at
    );

    let metadata = metadata();
    let version = metadata
        .annotation(ANNOTATION_VERSION)
        .expect("policy-metadata.yml names its version");
    assert_eq!(
        version,
        crate_version(),
        "io.kubewarden.policy.version and Cargo.toml's version differ"
    );
    assert!(
        root_file("CHANGELOG.md").contains(&format!("\n## [{version}]")),
        "CHANGELOG.md has no entry for {version}"
    );
    let questions = root_file("questions-ui.yml");
    let expected =
        ArtifactHubPkg::from_metadata(&metadata, version, &pkg.created_at, Some(&questions))
            .unwrap_or_else(|e| panic!("policy-metadata.yml: {e}"))
            .render()
            .unwrap();
    if committed != expected {
        let first = committed
            .lines()
            .zip(expected.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(committed.lines().count().min(expected.lines().count()));
        panic!(
            "artifacthub-pkg.yml is out of date (first difference at line {}):\n  committed: {:?}\n  expected:  {:?}\nRun `make artifacthub` and commit the result.",
            first + 1,
            committed.lines().nth(first),
            expected.lines().nth(first)
        );
    }

    // What the Rancher UI and Artifact Hub read back out of it.
    assert_eq!(pkg.annotations[PKG_QUESTIONS_UI], questions);
    let rules: Vec<Rule> = serde_norway::from_str(&pkg.annotations[PKG_RULES]).unwrap();
    assert_eq!(rules, metadata.rules);
    let image = &pkg.containers_images.as_ref().unwrap()[0].image;
    assert_eq!(
        image,
        &format!(
            "{}:v{version}",
            metadata.annotation(ANNOTATION_OCI_URL).unwrap()
        )
    );
}

// ---------------------------------------------------------------------------------------------
// examples/kubewarden/

fn kubewarden_examples() -> Vec<(String, Value)> {
    let dir = repo_root().join("examples/kubewarden");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let docs: Vec<Value> = serde_norway::Deserializer::from_str(&read(p))
                .map(|d| {
                    serde::Deserialize::deserialize(d).unwrap_or_else(|e| panic!("{name}: {e}"))
                })
                .collect();
            assert_eq!(docs.len(), 1, "{name}: one policy per file");
            (name, docs.into_iter().next().unwrap())
        })
        .collect()
}

#[test]
fn kubewarden_examples_are_deployable() {
    let code = code_keys();
    let metadata = metadata();
    let module = format!(
        "registry://{}:v{}",
        metadata.annotation(ANNOTATION_OCI_URL).unwrap(),
        metadata.annotation(ANNOTATION_VERSION).unwrap()
    );
    let rules = serde_json::to_value(&metadata.rules).unwrap();
    let host = test_host();
    let examples = kubewarden_examples();
    assert!(
        examples.len() >= 4,
        "expected at least four example policies"
    );

    let mut modes = BTreeSet::new();
    let mut saw_mutating = false;
    let mut saw_matih = false;
    let matih = parse_settings(&root_file("examples/settings/matih.yml"), "matih.yml").unwrap();
    for (name, policy) in &examples {
        assert_eq!(policy["apiVersion"], "policies.kubewarden.io/v1", "{name}");
        assert_eq!(policy["kind"], "ClusterAdmissionPolicy", "{name}");
        assert!(policy["metadata"]["name"].is_string(), "{name}: no name");
        let spec = &policy["spec"];
        assert_eq!(spec["module"], module.as_str(), "{name}: module");
        assert_eq!(
            spec["rules"], rules,
            "{name}: rules differ from the metadata's"
        );
        let mode = spec["mode"].as_str().unwrap_or("protect");
        assert!(matches!(mode, "monitor" | "protect"), "{name}: mode {mode}");
        modes.insert(mode.to_owned());
        if let Some(excluded) = spec["namespaceSelector"]["matchExpressions"].as_array() {
            let values: Vec<&Value> = excluded
                .iter()
                .filter(|e| e["operator"] == "NotIn")
                .flat_map(|e| e["values"].as_array().into_iter().flatten())
                .collect();
            for ns in ["kube-system", "kubewarden"] {
                assert!(values.contains(&&json!(ns)), "{name}: {ns} is not excluded");
            }
        }

        let settings = &spec["settings"];
        assert!(
            settings.is_object(),
            "{name}: spec.settings must be a mapping"
        );
        let mut used = Keys::new();
        document_keys(&code, settings, "", &mut used);
        let unknown: Vec<&String> = used.difference(&code).collect();
        assert!(
            unknown.is_empty(),
            "{name}: unknown settings keys {unknown:?}"
        );
        assert_valid(&host, name, settings);

        let mutation_on = settings["mutation"]["enabled"] == true;
        let mutating = spec["mutating"] == true;
        assert_eq!(
            mutation_on, mutating,
            "{name}: mutation.enabled acts only with spec.mutating: true, and spec.mutating is pointless without it"
        );
        saw_mutating |= mutating;
        saw_matih |= settings == &matih;
    }
    assert!(
        modes.contains("monitor") && modes.contains("protect"),
        "{modes:?}"
    );
    assert!(saw_mutating, "no mutating example");
    assert!(
        saw_matih,
        "no example with examples/settings/matih.yml's settings"
    );
}
