//! Every settings validation rule (docs/settings.md, "Settings validation"), fed through the module's `validate_settings`
//! as Kubewarden does when it loads the policy. The table (`testdata/invalid-settings.json`) is
//! shared with the core's native unit test, so both runtimes are held to the same messages.

use e2e_tests::{repo_root, test_host};
use serde_json::Value;

fn table() -> Vec<Value> {
    let path = repo_root().join("e2e-tests/testdata/invalid-settings.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn invalid_settings_are_refused_with_a_message_naming_the_field() {
    let host = test_host();
    let cases = table();
    assert!(cases.len() >= 30, "the table lost cases: {}", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let name = case["name"].as_str().unwrap_or("?");
        let r = host
            .validate_settings(&case["settings"])
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        if r.valid {
            failures.push(format!("{name}: accepted"));
            continue;
        }
        let msg = r.message.unwrap_or_default();
        for want in case["expect"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !msg.contains(want) {
                failures.push(format!("{name}: message lacks {want:?}: {msg}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} problems:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn shipped_settings_are_valid() {
    let host = test_host();
    for file in [
        "matih.yml",
        "standard.yml",
        "pss-baseline.yml",
        "pss-restricted.yml",
    ] {
        let path = repo_root().join("examples/settings").join(file);
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let settings: Value =
            serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let settings = if settings.is_null() {
            Value::Object(Default::default())
        } else {
            settings
        };
        let r = host
            .validate_settings(&settings)
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(r.valid, "{file}: {:?}", r.message);
    }
}

#[test]
fn invalid_settings_reject_every_request_with_the_reason() {
    let host = test_host();
    let pod = serde_json::json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "apps"}, "spec": {"containers": [{"name": "a", "image": "x"}]}});
    let req = security_context_input::create_request(&pod);
    let r = host
        .validate(
            &req,
            &serde_json::json!({"podSecurityContext": {"runAsUsr": 1000}}),
        )
        .expect("validate");
    assert!(!r.accepted);
    let msg = r.message.unwrap_or_default();
    assert!(
        msg.contains("settings are invalid") && msg.contains("runAsUsr"),
        "{msg}"
    );
}
