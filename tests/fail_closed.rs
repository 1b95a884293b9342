//! The fail-closed table (`e2e-tests/testdata/fail-closed.json`, written by `fail-closed.py`
//! beside it): requests that must never slip past the policy, and the controls that show the
//! rule is not simply "reject everything". Each case names the rule of the docs it covers by its
//! item number. The same table runs through the built module in `e2e-tests`.

use security_context_policy::evaluate_with;
use security_context_policy::image_user::TableLookup;
use serde_json::Value;

const TABLE: &str = include_str!("../e2e-tests/testdata/fail-closed.json");

#[test]
fn fail_closed_table() {
    let cases: Vec<Value> = serde_json::from_str(TABLE).expect("fail-closed.json");
    assert!(cases.len() >= 30, "the table looks truncated");
    let mut failures = Vec::new();
    for case in &cases {
        let name = format!(
            "item {}: {}",
            case["item"],
            case["name"].as_str().unwrap_or("?")
        );
        let payload = serde_json::json!({"request": case["request"], "settings": case["settings"]});
        let users = case["imageUsers"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        let out = evaluate_with(payload.to_string().as_bytes(), &mut TableLookup(users));
        let response = serde_json::json!({
            "accepted": out.accepted,
            "message": out.message,
            "warnings": out.warnings,
            "auditAnnotations": out.audit_annotations,
        });
        failures.extend(
            security_context_policy_test_support::check(&case["expect"], &response)
                .into_iter()
                .map(|f| format!("{name}: {f}")),
        );
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// The expectation check, shared word for word with the module's run of the table.
#[path = "../e2e-tests/testdata/fail_closed_expect.rs"]
mod security_context_policy_test_support;
