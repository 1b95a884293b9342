//! Settings validation: every rule of CONTRACT §2, as named table cases. The same table runs
//! through the wasm module's `validate_settings` in e2e-tests (`settings_validation.rs`).

use super::Settings;
use serde_json::json;

/// (name, settings, substrings the error must contain)
pub fn invalid_cases() -> Vec<(&'static str, serde_json::Value, Vec<&'static str>)> {
    let ns = json!({"namespaces": ["data"]});
    vec![
        (
            "unknown top-level key",
            json!({"podSecurityStandards": "restricted"}),
            vec!["unknown field `podSecurityStandards`"],
        ),
        (
            "typo in a profile key",
            json!({"podSecurityContext": {"runAsUsr": 1000}}),
            vec!["podSecurityContext", "unknown field `runAsUsr`"],
        ),
        (
            "typo in an exception",
            json!({"exceptions": [{"name": "a", "reason": "r", "match": ns, "securityContext": {"readOnlyRootFS": false}}]}),
            vec![
                "exceptions[0].securityContext",
                "unknown field `readOnlyRootFS`",
            ],
        ),
        (
            "wrong type",
            json!({"podSecurityContext": {"runAsUser": "1000"}}),
            vec![
                "podSecurityContext.runAsUser",
                "a whole number or {min: N, max: M}",
            ],
        ),
        (
            "exception without name",
            json!({"exceptions": [{"reason": "r", "match": ns}]}),
            vec!["exceptions[0]", "`name` is required"],
        ),
        (
            "exception without reason",
            json!({"exceptions": [{"name": "pg", "match": ns}]}),
            vec!["exceptions[0] (\"pg\")", "`reason` is required"],
        ),
        (
            "duplicate names",
            json!({"exceptions": [{"name": "pg", "reason": "r", "match": ns}, {"name": "pg", "reason": "r", "match": ns}]}),
            vec!["exceptions[1] (\"pg\")", "already used by exceptions[0]"],
        ),
        (
            "empty match",
            json!({"exceptions": [{"name": "pg", "reason": "r", "match": {}}]}),
            vec!["exceptions[0] (\"pg\")", "`match` is empty"],
        ),
        (
            "missing match",
            json!({"exceptions": [{"name": "pg", "reason": "r"}]}),
            vec!["`match` is empty"],
        ),
        (
            "runAsNonRoot with root user after merge",
            json!({"exceptions": [{"name": "sr", "reason": "r", "match": ns, "podSecurityContext": {"runAsUser": 0}}]}),
            vec![
                "exceptions[0] (\"sr\")",
                "runAsNonRoot: true with runAsUser: 0",
                "Override ALL security context fields together",
            ],
        ),
        (
            "runAsNonRoot with root user in the standard",
            json!({"podSecurityContext": {"runAsNonRoot": true, "runAsUser": 0}}),
            vec![
                "the standard profile",
                "runAsNonRoot: true with runAsUser: 0",
            ],
        ),
        (
            "min greater than max",
            json!({"podSecurityContext": {"runAsUser": {"min": 2000, "max": 1000}}}),
            vec![
                "podSecurityContext.runAsUser",
                "min 2000 is greater than max 1000",
            ],
        ),
        (
            "min greater than max in an exception",
            json!({"exceptions": [{"name": "x", "reason": "r", "match": ns, "podSecurityContext": {"fsGroup": {"min": 5, "max": 1}}}]}),
            vec![
                "exceptions[0] (\"x\")",
                "podSecurityContext.fsGroup",
                "min 5 is greater than max 1",
            ],
        ),
        (
            "unknown seccomp type",
            json!({"podSecurityContext": {"seccompProfile": {"type": "runtime/default"}}}),
            vec![
                "seccompProfile.type",
                "unknown seccomp type \"runtime/default\"",
            ],
        ),
        (
            "unknown capability",
            json!({"securityContext": {"capabilities": {"drop": ["ALL"], "add": ["NET_BIND"]}}}),
            vec!["capabilities.add", "unknown capability \"NET_BIND\""],
        ),
        (
            "CAP_ prefix",
            json!({"securityContext": {"capabilities": {"drop": ["CAP_NET_RAW"]}}}),
            vec!["capabilities.drop", "must be written \"NET_RAW\""],
        ),
        (
            "lower-case capability",
            json!({"securityContext": {"capabilities": {"drop": ["all"]}}}),
            vec!["must be written \"ALL\""],
        ),
        (
            "root without namespaces: runAsNonRoot false",
            json!({"exceptions": [{"name": "sr", "reason": "r", "match": {"images": ["starrocks/fe-ubuntu"]}, "podSecurityContext": {"runAsNonRoot": false, "runAsUser": 0}}]}),
            vec![
                "exceptions[0] (\"sr\")",
                "grants root",
                "podSecurityContext.runAsNonRoot: false",
                "no match.namespaces",
            ],
        ),
        (
            "root without namespaces: fsGroup 0",
            json!({"exceptions": [{"name": "x", "reason": "r", "match": {"labels": {"app": "x"}}, "podSecurityContext": {"fsGroup": 0}}]}),
            vec!["grants root", "fsGroup allows 0"],
        ),
        (
            "root without namespaces: runAsGroup 0",
            json!({"exceptions": [{"name": "x", "reason": "r", "match": {"labels": {"app": "x"}}, "podSecurityContext": {"runAsGroup": 0}}]}),
            vec!["grants root", "runAsGroup allows 0"],
        ),
        (
            "root without namespaces: privileged",
            json!({"exceptions": [{"name": "x", "reason": "r", "match": {"images": ["x"]}, "securityContext": {"privileged": true}}]}),
            vec!["grants root", "privileged: true"],
        ),
        (
            "root without namespaces: capability",
            json!({"exceptions": [{"name": "x", "reason": "r", "match": {"images": ["x"]}, "securityContext": {"capabilities": {"add": ["NET_BIND_SERVICE", "NET_ADMIN"]}}}]}),
            vec!["grants root", "capabilities.add: NET_ADMIN"],
        ),
        (
            "root without namespaces: lower floor",
            json!({"exceptions": [{"name": "x", "reason": "r", "match": {"images": ["x"]}, "podSecurityStandard": "baseline"}]}),
            vec!["grants root", "podSecurityStandard: baseline"],
        ),
        (
            "invalid image pattern",
            json!({"exceptions": [{"name": "x", "reason": "r", "match": {"namespaces": ["a"], "images": ["Postgres"]}}]}),
            vec![
                "match.images[0]",
                "\"Postgres\" is not a valid image pattern",
            ],
        ),
        (
            "star inside an image pattern",
            json!({"exceptions": [{"name": "x", "reason": "r", "match": {"namespaces": ["a"], "images": ["registry.io/*/app"]}}]}),
            vec!["match.images[0]", "not a valid image pattern"],
        ),
        (
            "invalid label key",
            json!({"exceptions": [{"name": "x", "reason": "r", "match": {"labels": {"-bad": "x"}}}]}),
            vec!["match.labels", "\"-bad\" is not a valid label key"],
        ),
        (
            "invalid label value",
            json!({"exceptions": [{"name": "x", "reason": "r", "match": {"labels": {"app": "a b"}}}]}),
            vec!["match.labels", "\"a b\" is not a valid label value"],
        ),
        (
            "invalid namespace",
            json!({"exceptions": [{"name": "x", "reason": "r", "match": {"namespaces": ["Data_NS"]}}]}),
            vec!["match.namespaces[0]", "not a valid namespace name"],
        ),
        (
            "unknown level",
            json!({"podSecurityStandard": "strict"}),
            vec![
                "podSecurityStandard",
                "\"strict\" is not one of restricted, baseline, privileged",
            ],
        ),
        (
            "unknown enforcement check",
            json!({"enforcement": {"readOnlyRootFS": "warn"}}),
            vec!["enforcement.readOnlyRootFS", "unknown check ID"],
        ),
        (
            "unknown enforcement action",
            json!({"enforcement": {"readOnlyRootFilesystem": "audit"}}),
            vec![
                "enforcement.readOnlyRootFilesystem",
                "not one of deny, warn, off",
            ],
        ),
        (
            "negative uid",
            json!({"podSecurityContext": {"runAsUser": -1}}),
            vec!["runAsUser", "negative"],
        ),
        (
            "mutation not supported yet",
            json!({"mutation": {"enabled": true}}),
            vec!["mutation.enabled", "not supported yet"],
        ),
        (
            "image-user verification not supported yet",
            json!({"imageUser": {"verify": true}}),
            vec!["imageUser.verify", "not supported yet"],
        ),
        ("not an object", json!([1, 2]), vec!["invalid settings"]),
    ]
}

#[test]
fn invalid_settings_are_refused_with_a_message_naming_the_field() {
    let mut failures = Vec::new();
    for (name, settings, want) in invalid_cases() {
        match Settings::from_json(settings.to_string().as_bytes()) {
            Ok(_) => failures.push(format!("{name}: accepted")),
            Err(msg) => {
                for w in want {
                    if !msg.contains(w) {
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
            "non-root exception by image alone",
            json!({"exceptions": [{"name": "pg", "reason": "postgres user", "match": {"images": ["postgres"]}, "podSecurityContext": {"runAsUser": 999, "runAsGroup": 999, "fsGroup": 999}}]}),
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
