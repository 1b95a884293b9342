//! The Pod Security Standards v1.37 fixtures (docs/checks.md, "The Pod Security Standard
//! floor"): with settings
//! `{podSecurityStandard: L, podSecurityContext: {}, securityContext: {}}` every `L/pass` pod is
//! accepted and every `L/fail` pod rejected. All mismatches are reported together.

use std::path::PathBuf;

use e2e_tests::test_host;
use security_context_input::create_request;
use serde_json::{Value, json};

const EXPECTED_ROWS: usize = 148;

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/pss-v1.37")
}

struct Row {
    level: String,
    expect_pass: bool,
    check: String,
    path: String,
}

fn manifest() -> Vec<Row> {
    let path = fixtures_dir().join("manifest.tsv");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut rows = Vec::new();
    for (n, line) in text.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        assert_eq!(
            cols.len(),
            4,
            "manifest.tsv line {}: expected 4 columns: {line:?}",
            n + 1
        );
        assert!(
            matches!(cols[1], "pass" | "fail"),
            "manifest.tsv line {}: bad expect {:?}",
            n + 1,
            cols[1]
        );
        rows.push(Row {
            level: cols[0].to_owned(),
            expect_pass: cols[1] == "pass",
            check: cols[2].to_owned(),
            path: cols[3].to_owned(),
        });
    }
    rows
}

#[test]
fn pss_v1_37_fixtures() {
    let rows = manifest();
    assert_eq!(
        rows.len(),
        EXPECTED_ROWS,
        "manifest.tsv changed: expected {EXPECTED_ROWS} fixtures"
    );
    let host = test_host();

    let mut mismatches = Vec::new();
    for row in &rows {
        let file = fixtures_dir().join(&row.path);
        let text =
            std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let pod: Value =
            serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let settings = json!({
            "podSecurityStandard": row.level,
            "podSecurityContext": {},
            "securityContext": {},
        });
        let verdict = match host.validate_settings(&settings) {
            Ok(v) if v.valid => host.validate(&create_request(&pod), &settings),
            Ok(v) => {
                mismatches.push(format!("{}: settings refused: {:?}", row.path, v.message));
                continue;
            }
            Err(e) => Err(e),
        };
        let expected = if row.expect_pass {
            "accepted"
        } else {
            "rejected"
        };
        match verdict {
            Ok(response) if response.accepted == row.expect_pass => {}
            Ok(response) => {
                let got = if response.accepted {
                    "accepted"
                } else {
                    "rejected"
                };
                let why = response
                    .message
                    .as_deref()
                    .unwrap_or("")
                    .replace('\n', "\n        ");
                mismatches.push(format!(
                    "{} [{} {}]: expected {expected}, got {got}\n        {why}",
                    row.path, row.level, row.check
                ));
            }
            Err(e) => mismatches.push(format!(
                "{} [{} {}]: policy failed: {e}",
                row.path, row.level, row.check
            )),
        }
    }

    let passed = rows.len() - mismatches.len();
    assert!(
        mismatches.is_empty(),
        "PSS v1.37 conformance: {passed} of {} fixtures as expected; {} mismatches:\n  {}",
        rows.len(),
        mismatches.len(),
        mismatches.join("\n  ")
    );
    eprintln!(
        "PSS v1.37 conformance: {passed} of {} fixtures as expected",
        rows.len()
    );
}
