//! How a response is held against a case of `fail-closed.json`: included by the native run
//! (`tests/fail_closed.rs`) and the module's run (`e2e-tests/tests/fail_closed.rs`), so both
//! judge alike. `response` has `accepted`, `message`, `warnings` and `auditAnnotations`.

use serde_json::Value;

/// Every way `response` falls short of `expect`, in words.
pub fn check(expect: &Value, response: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let accepted = response["accepted"].as_bool();
    if accepted != expect["accepted"].as_bool() {
        out.push(format!(
            "accepted is {accepted:?}, expected {}; message: {}",
            expect["accepted"], response["message"]
        ));
    }
    let message = response["message"].as_str().unwrap_or_default();
    for want in expect["message"].as_array().into_iter().flatten() {
        let want = want.as_str().unwrap_or_default();
        if !message.contains(want) {
            out.push(format!("message lacks {want:?}: {message}"));
        }
    }
    let warnings: Vec<&str> = response["warnings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    for want in expect["warnings"].as_array().into_iter().flatten() {
        let want = want.as_str().unwrap_or_default();
        if !warnings.iter().any(|w| w.contains(want)) {
            out.push(format!("no warning contains {want:?}: {warnings:#?}"));
        }
    }
    if let Some(keys) = expect["auditKeys"].as_array() {
        let mut want: Vec<&str> = keys.iter().filter_map(Value::as_str).collect();
        want.sort_unstable();
        let mut got: Vec<&str> = response["auditAnnotations"]
            .as_object()
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default();
        got.sort_unstable();
        if got != want {
            out.push(format!(
                "audit annotation keys are {got:?}, expected {want:?}"
            ));
        }
    }
    out
}
