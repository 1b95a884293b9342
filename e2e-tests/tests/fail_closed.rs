//! The fail-closed table (`testdata/fail-closed.json`) through the built module, with a host
//! that answers image-user lookups from the cases' tables as policy-server would from the
//! registry. The core runs the same table natively (`tests/fail_closed.rs`); both judge the
//! responses with `testdata/fail_closed_expect.rs`.

use std::collections::BTreeMap;
use std::sync::Arc;

use e2e_tests::{HostCalls, repo_root, test_module};
use serde_json::Value;

#[path = "../testdata/fail_closed_expect.rs"]
mod expect;

#[test]
fn fail_closed_table_through_the_module() {
    let path = repo_root().join("e2e-tests/testdata/fail-closed.json");
    let text = std::fs::read_to_string(&path).expect("fail-closed.json");
    let cases: Vec<Value> = serde_json::from_str(&text).expect("fail-closed.json is JSON");
    let mut users = BTreeMap::new();
    for case in &cases {
        for (image, user) in case["imageUsers"].as_object().into_iter().flatten() {
            let user = user.as_str().unwrap_or_default().to_owned();
            if let Some(other) = users.insert(image.clone(), user.clone()) {
                assert_eq!(other, user, "{image} has two users in the table");
            }
        }
    }
    let host = test_module()
        .instantiate_with(Arc::new(HostCalls::new().with_image_users(users)))
        .expect("instantiate");
    let mut failures = Vec::new();
    for case in &cases {
        let name = format!(
            "item {}: {}",
            case["item"],
            case["name"].as_str().unwrap_or("?")
        );
        let r = match host.validate(&case["request"], &case["settings"]) {
            Ok(r) => r,
            Err(e) => {
                failures.push(format!("{name}: the module failed: {e}"));
                continue;
            }
        };
        let response = serde_json::json!({
            "accepted": r.accepted,
            "message": r.message,
            "warnings": r.warnings,
            "auditAnnotations": r.audit_annotations,
        });
        failures.extend(
            expect::check(&case["expect"], &response)
                .into_iter()
                .map(|f| format!("{name}: {f}")),
        );
    }
    eprintln!(
        "fail-closed table: {} cases through the module, {} failures",
        cases.len(),
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
