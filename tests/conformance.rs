//! Native run of the upstream Pod Security Standards v1.37 fixtures (the same fixtures run
//! through the wasm module in e2e-tests).

mod common;
use serde_json::json;

#[test]
fn pss_v1_37_fixtures() {
    let dir = common::repo().join("e2e-tests/testdata/pss-v1.37");
    let manifest = std::fs::read_to_string(dir.join("manifest.tsv")).expect("manifest.tsv");
    let (mut total, mut failures) = (0, Vec::new());
    for line in manifest.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (level, expect, path) = (cols[0], cols[1], cols[3]);
        let settings =
            json!({"podSecurityStandard": level, "podSecurityContext": {}, "securityContext": {}});
        let pod = &common::yaml_file(&dir.join(path))[0];
        let out = common::evaluate(pod, "default", &settings);
        total += 1;
        if out.accepted != (expect == "pass") {
            failures.push(format!(
                "{level}/{expect} {path}: accepted={} message={:?}",
                out.accepted, out.message
            ));
        }
    }
    assert_eq!(total, 148, "fixture count");
    assert!(
        failures.is_empty(),
        "{} of {total} fixtures disagree:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
