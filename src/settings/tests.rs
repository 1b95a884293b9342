//! Settings validation: every rule of docs/settings.md, "Settings validation", as named table cases. The same table runs
//! through the wasm module's `validate_settings` in e2e-tests (`settings_validation.rs`).

use super::Settings;
use serde_json::json;

/// The table of invalid settings, shared with the wasm test in e2e-tests: one case per
/// settings validation rule of docs/settings.md, with the words the message must contain.
const INVALID: &str = include_str!("../../e2e-tests/testdata/invalid-settings.json");

fn invalid_cases() -> Vec<(String, serde_json::Value, Vec<String>)> {
    let cases: Vec<serde_json::Value> =
        serde_json::from_str(INVALID).expect("invalid-settings.json");
    cases
        .into_iter()
        .map(|c| {
            let expect = c["expect"]
                .as_array()
                .expect("expect")
                .iter()
                .map(|e| e.as_str().expect("string").to_owned())
                .collect();
            (
                c["name"].as_str().expect("name").to_owned(),
                c["settings"].clone(),
                expect,
            )
        })
        .collect()
}

#[test]
fn invalid_settings_are_refused_with_a_message_naming_the_field() {
    let mut failures = Vec::new();
    for (name, settings, want) in invalid_cases() {
        match Settings::from_json(settings.to_string().as_bytes()) {
            Ok(_) => failures.push(format!("{name}: accepted")),
            Err(msg) => {
                for w in want {
                    if !msg.contains(w.as_str()) {
                        failures.push(format!("{name}: message lacks {w:?}: {msg}"));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn valid_settings() {
    let cases = [
        ("empty", json!({})),
        ("null", json!(null)),
        (
            "conformance",
            json!({"podSecurityStandard": "baseline", "podSecurityContext": {}, "securityContext": {}}),
        ),
        (
            "ranges and lists",
            json!({"podSecurityContext": {"runAsUser": {"min": 1000, "max": 65535}, "seccompProfile": {"type": ["RuntimeDefault", "Localhost"]}}}),
        ),
        (
            "starrocks with namespaces",
            json!({"exceptions": [{"name": "starrocks", "reason": "Requires root (upstream limitation)", "match": {"namespaces": ["matih-starrocks"], "images": ["starrocks/fe-ubuntu"]}, "podSecurityContext": {"runAsNonRoot": false, "runAsUser": 0, "runAsGroup": 0, "fsGroup": 0}, "securityContext": {"readOnlyRootFilesystem": false}}]}),
        ),
        (
            "non-root exception by namespace and image",
            json!({"exceptions": [{"name": "pg", "reason": "postgres user", "match": {"namespaces": ["data"], "images": ["postgres"]}, "podSecurityContext": {"runAsUser": 999, "runAsGroup": 999, "fsGroup": 999}}]}),
        ),
        (
            "exception relaxing nothing, by image alone",
            json!({"exceptions": [{"name": "audit-only", "reason": "record where nginx runs", "match": {"images": ["nginx"]}}]}),
        ),
        (
            "Windows exception naming no Linux-only field",
            json!({"exceptions": [{"name": "iis", "reason": "Windows web front end", "match": {"namespaces": ["win"]},
                "securityContext": {"readOnlyRootFilesystem": false}}]}),
        ),
        (
            "break-glass debugging for a group",
            json!({"exceptions": [{"name": "break-glass-debug", "reason": "SRE on-call debugging",
                "owner": "platform-sre", "ticket": "https://tickets.example.com/OPS-1234",
                "match": {"groups": ["platform-sre"], "containerTypes": ["ephemeralContainers"]},
                "securityContext": {"readOnlyRootFilesystem": false}}]}),
        ),
        (
            "a service account by its full username",
            json!({"exceptions": [{"name": "ci", "reason": "CI debug", "match": {"users": ["system:serviceaccount:ci:runner"]},
                "securityContext": {"readOnlyRootFilesystem": false}}]}),
        ),
        (
            "people-bound exception that lets no process gain privileges",
            json!({"exceptions": [{"name": "sre-debug", "reason": "SRE on-call debugging, équipe 🛠",
                "match": {"users": ["alice"], "groups": ["platform-sre"]},
                "podSecurityContext": {"runAsUser": {"min": 1000}, "seccompProfile": {"type": ["RuntimeDefault", "Localhost"]}},
                "securityContext": {"readOnlyRootFilesystem": false, "allowPrivilegeEscalation": false,
                    "capabilities": {"drop": ["ALL", "NET_RAW"], "add": ["NET_BIND_SERVICE"]}},
                "podSecurityStandard": "restricted"}]}),
        ),
        (
            "names near the refused ones",
            json!({"exceptions": [{"name": "ci", "reason": "CI debug", "match": {
                "users": ["system:serviceaccount:kube-systemx:runner", "system:nodes-admin", "system:kube-scheduler-ops"],
                "groups": ["system:serviceaccountsx", "system:node-admins"]},
                "securityContext": {"readOnlyRootFilesystem": false}}]}),
        ),
        (
            "root group allowed in a namespace",
            json!({"exceptions": [{"name": "legacy", "reason": "shares files with group root", "match": {"namespaces": ["legacy"]}, "podSecurityContext": {"supplementalGroups": {"min": 0}}}]}),
        ),
        (
            "enforcement",
            json!({"enforcement": {"readOnlyRootFilesystem": "warn", "capabilities_restricted": "off"}}),
        ),
        (
            "mutation off",
            json!({"mutation": {"enabled": false, "writableDirectories": [{"mountPath": "/tmp"}, {"mountPath": "/home/appuser/.cache", "sizeLimit": "100Mi"}]}}),
        ),
        (
            "image user off",
            json!({"imageUser": {"verify": false, "onLookupFailure": "deny"}}),
        ),
    ];
    for (name, s) in cases {
        if let Err(e) = Settings::from_json(s.to_string().as_bytes()) {
            panic!("{name}: {e}");
        }
    }
}

#[test]
fn merge_is_field_by_field() {
    let s = Settings::from_json(
        json!({"exceptions": [{"name": "pg", "reason": "r", "match": {"namespaces": ["d"]}, "podSecurityContext": {"runAsUser": 999}, "securityContext": {"readOnlyRootFilesystem": false}}]})
            .to_string()
            .as_bytes(),
    )
    .expect("valid");
    let p = &s.exceptions[0].profile;
    assert_eq!(p.run_as_user, Some(crate::profile::IdRule::Exact(999)));
    assert_eq!(
        p.run_as_group,
        Some(crate::profile::IdRule::Exact(1000)),
        "unnamed fields stay as strict as the standard"
    );
    assert_eq!(p.read_only_root_filesystem, Some(false));
    assert_eq!(p.allow_privilege_escalation, Some(false));
    assert_eq!(p.caps_drop.as_deref(), Some(&["ALL".to_owned()][..]));
}

#[test]
fn null_is_a_field_left_out() {
    // A form sends null for the fields left empty: null never lifts or changes a rule.
    let s = Settings::from_json(
        json!({"exceptions": [{"name": "pg", "reason": "r", "match": {"namespaces": ["d"]},
            "podSecurityContext": {"runAsUser": 999, "runAsGroup": null, "supplementalGroups": null, "seccompProfile": null},
            "securityContext": {"readOnlyRootFilesystem": null, "capabilities": null}}]})
        .to_string()
        .as_bytes(),
    )
    .expect("valid");
    let p = &s.exceptions[0].profile;
    assert_eq!(p.run_as_group, Some(crate::profile::IdRule::Exact(1000)));
    assert_eq!(p.read_only_root_filesystem, Some(true));
    assert!(p.seccomp_types.is_some() && p.caps_drop.is_some() && p.supplemental_groups.is_some());
    assert_eq!(p.relaxes.names(), ["podSecurityContext.runAsUser"]);
}

#[test]
fn a_block_given_replaces_its_defaults() {
    let s =
        Settings::from_json(br#"{"podSecurityContext": {"runAsNonRoot": true}}"#).expect("valid");
    assert_eq!(s.standard.run_as_user, None);
    assert_eq!(
        s.standard.read_only_root_filesystem,
        Some(true),
        "the other block keeps its defaults"
    );
}
