//! The break-glass recipe (docs/exceptions.md, "Debugging a running pod") through the built
//! module: its very settings block and `kubectl debug` command, with the exact ephemeral
//! containers kubectl sends for each profile (`testdata/kubectl-debug.json`), from a member of
//! the group and from someone outside it. The core runs the same cases natively
//! (`tests/break_glass.rs`).

use e2e_tests::{repo_root, test_host};
use security_context_input::manifest::parse_settings;
use serde_json::Value;

#[path = "../testdata/break_glass_cases.rs"]
mod break_glass;

#[test]
fn readme_recipe_with_kubectl_debug_requests_through_the_module() {
    let readme = std::fs::read_to_string(repo_root().join("docs/exceptions.md"))
        .expect("docs/exceptions.md");
    let debug: Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("e2e-tests/testdata/kubectl-debug.json"))
            .expect("kubectl-debug.json"),
    )
    .expect("kubectl-debug.json is JSON");
    let block = break_glass::readme_block(&readme, "<!-- break-glass-settings -->");
    let settings = parse_settings(block, "docs/exceptions.md (break-glass settings)")
        .unwrap_or_else(|e| panic!("{e}"));
    let host = test_host();
    assert!(
        host.validate_settings(&settings)
            .expect("validate_settings")
            .valid,
        "the break-glass settings of docs/exceptions.md are valid"
    );
    let cases = break_glass::cases(&readme, &debug);
    let mut failures = Vec::new();
    for case in &cases {
        let r = host.validate(&case.request, &settings).expect("validate");
        let response = serde_json::json!({
            "accepted": r.accepted, "message": r.message,
            "warnings": r.warnings, "auditAnnotations": r.audit_annotations,
        });
        for p in break_glass::check(case, &response) {
            failures.push(format!("{}: {p}", case.name));
        }
    }
    eprintln!(
        "break-glass recipe: {} kubectl debug requests through the module, {} failures",
        cases.len(),
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
