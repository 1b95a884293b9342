//! Fuzzes settings validation and compilation, and evaluates a fixed pod under every settings
//! document that validates (so odd but valid settings reach the checks).
#![no_main]

use libfuzzer_sys::fuzz_target;

const POD: &str = r#"{"uid":"u","kind":{"group":"","version":"v1","kind":"Pod"},"operation":"CREATE","namespace":"data","object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","labels":{"app":"x"}},"spec":{"securityContext":{"runAsNonRoot":true,"runAsUser":999},"containers":[{"name":"a","image":"postgres:16","securityContext":{"readOnlyRootFilesystem":false}},{"name":"b","image":"busybox"}]}}}"#;

fuzz_target!(|data: &[u8]| {
    let out = security_context_policy::validate_settings(data);
    let v: serde_json::Value = serde_json::from_slice(&out).expect("validate_settings answers JSON");
    let valid = v["valid"].as_bool().expect("valid is a boolean");
    if valid && let Ok(settings) = std::str::from_utf8(data) {
        let payload = format!(r#"{{"request":{POD},"settings":{settings}}}"#);
        let out = security_context_policy::validate(payload.as_bytes());
        let v: serde_json::Value = serde_json::from_slice(&out).expect("validate answers JSON");
        assert!(v["accepted"].is_boolean());
    }
});
