//! The break-glass recipe (docs/exceptions.md) with the exact requests `kubectl debug` sends,
//! natively (the same cases run through the built module in e2e-tests).

#[path = "../e2e-tests/testdata/break_glass_cases.rs"]
mod break_glass;

use serde_json::Value;

#[test]
fn readme_recipe_with_kubectl_debug_requests() {
    let readme = include_str!("../docs/exceptions.md");
    let debug: Value =
        serde_json::from_str(include_str!("../e2e-tests/testdata/kubectl-debug.json")).unwrap();
    let settings: Value = serde_norway::from_str(break_glass::readme_block(
        readme,
        "<!-- break-glass-settings -->",
    ))
    .unwrap();
    let cases = break_glass::cases(readme, &debug);
    assert!(cases.len() >= 12);
    let mut failures = Vec::new();
    for case in &cases {
        let payload = serde_json::json!({"request": case.request, "settings": settings});
        let out = security_context_policy::evaluate(payload.to_string().as_bytes());
        let response = serde_json::json!({
            "accepted": out.accepted, "message": out.message,
            "warnings": out.warnings, "auditAnnotations": out.audit_annotations,
        });
        for p in break_glass::check(case, &response) {
            failures.push(format!("{}: {p}", case.name));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
