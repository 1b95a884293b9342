//! The waPC protocol and the Kubewarden metadata of `annotated-policy.wasm`: what `kwctl` and
//! `policy-server` rely on before they ever send a request (docs/deploy.md).

use std::collections::BTreeSet;
use std::path::PathBuf;

use e2e_tests::metadata::{Metadata, USAGE_ANNOTATION};
use e2e_tests::wasm::{METADATA_SECTION, custom_section, custom_sections, with_custom_section};
use e2e_tests::{policy_path, repo_root, test_host, test_module};

fn annotated_bytes() -> Vec<u8> {
    // Compiling first gives the "run make wasm" message when the module is missing.
    let _ = test_module();
    let path = policy_path();
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e} (run `make wasm`)", path.display()))
}

fn embedded_metadata() -> Metadata {
    let bytes = annotated_bytes();
    let section = custom_section(&bytes, METADATA_SECTION)
        .unwrap_or_else(|e| panic!("{}: {e}", policy_path().display()))
        .unwrap_or_else(|| {
            panic!(
                "{} has no {METADATA_SECTION} section: annotate it with `make wasm`",
                policy_path().display()
            )
        });
    serde_json::from_slice(section)
        .unwrap_or_else(|e| panic!("{METADATA_SECTION} is not valid metadata JSON: {e}"))
}

fn source_metadata() -> Metadata {
    let path = repo_root().join("policy-metadata.yml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn protocol_version_is_v1() {
    assert_eq!(test_host().protocol_version().unwrap(), "v1");
}

#[test]
fn unknown_guest_function_is_an_error_not_a_trap() {
    let host = test_host();
    assert!(host.call("no_such_function", b"{}").is_err());
    // The instance keeps working afterwards.
    assert_eq!(host.protocol_version().unwrap(), "v1");
}

#[test]
fn metadata_section_is_present_once() {
    let bytes = annotated_bytes();
    let count = custom_sections(&bytes)
        .unwrap()
        .iter()
        .filter(|(name, _)| name == METADATA_SECTION)
        .count();
    assert_eq!(count, 1, "expected exactly one {METADATA_SECTION} section");
}

#[test]
fn metadata_says_what_kubewarden_needs() {
    let meta = embedded_metadata();
    assert_eq!(meta.protocol_version.as_deref(), Some("v1"));
    assert_eq!(meta.execution_mode, "kubewarden-wapc");
    assert_eq!(meta.policy_type, "kubernetes");
    assert!(
        meta.mutating,
        "mutating must be true: mutation (docs/mutation-and-image-users.md) needs it"
    );
    assert!(meta.background_audit, "backgroundAudit must be true");
    assert!(
        meta.context_aware_resources.is_empty(),
        "the policy reads nothing from the cluster"
    );
    assert!(meta.problems().is_empty(), "{:?}", meta.problems());
}

#[test]
fn metadata_rules_cover_every_workload_kind() {
    let meta = embedded_metadata();
    let mut covered = BTreeSet::new();
    for rule in &meta.rules {
        let mut ops = rule.operations.clone();
        ops.sort();
        assert_eq!(
            ops,
            ["CREATE", "UPDATE"],
            "rule {rule:?}: operations must be CREATE and UPDATE"
        );
        for group in &rule.api_groups {
            for version in &rule.api_versions {
                for resource in &rule.resources {
                    covered.insert(format!("{group}/{version}/{resource}"));
                }
            }
        }
    }
    let expected: BTreeSet<String> = [
        "/v1/pods",
        "/v1/pods/ephemeralcontainers",
        "/v1/replicationcontrollers",
        "apps/v1/deployments",
        "apps/v1/replicasets",
        "apps/v1/statefulsets",
        "apps/v1/daemonsets",
        "batch/v1/jobs",
        "batch/v1/cronjobs",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(
        covered, expected,
        "rules must cover exactly the kinds the policy judges (docs/checks.md, What is evaluated)"
    );
}

#[test]
fn metadata_annotations() {
    let meta = embedded_metadata();
    for key in [
        "io.artifacthub.displayName",
        "io.artifacthub.resources",
        "io.artifacthub.keywords",
        "io.kubewarden.policy.ociUrl",
        "io.kubewarden.policy.title",
        "io.kubewarden.policy.version",
        "io.kubewarden.policy.description",
        "io.kubewarden.policy.author",
        "io.kubewarden.policy.url",
        "io.kubewarden.policy.source",
        "io.kubewarden.policy.license",
        "io.kubewarden.policy.category",
        "io.kubewarden.policy.severity",
    ] {
        assert!(
            meta.annotation(key).is_some_and(|v| !v.trim().is_empty()),
            "annotation {key} missing or empty"
        );
    }
    assert_eq!(
        meta.annotation("io.kubewarden.policy.license"),
        Some("Apache-2.0")
    );
    assert_eq!(
        meta.host_capabilities.as_deref(),
        Some(&["oci/v1/oci_manifest_config".to_owned()][..]),
        "the metadata declares (top-level hostCapabilities) the OCI capability image-user verification calls"
    );
    assert_eq!(
        meta.annotation("io.kubewarden.policy.hostCapabilities"),
        None,
        "hostCapabilities is a top-level metadata field, not an annotation"
    );
    assert_eq!(
        meta.minimum_kubewarden_version.as_deref(),
        Some("1.35.0"),
        "the first Kubewarden that reads hostCapabilities and gates them per policy"
    );
    let resources = meta
        .annotation("io.artifacthub.resources")
        .unwrap_or_default();
    for kind in [
        "Pod",
        "Deployment",
        "ReplicaSet",
        "StatefulSet",
        "DaemonSet",
        "ReplicationController",
        "Job",
        "CronJob",
    ] {
        assert!(
            resources.split(',').any(|r| r.trim() == kind),
            "io.artifacthub.resources lacks {kind}: {resources}"
        );
    }
}

#[test]
fn policy_version_matches_the_crate() {
    let cargo_toml = std::fs::read_to_string(repo_root().join("Cargo.toml")).unwrap();
    let mut in_package = false;
    let mut version = None;
    for line in cargo_toml.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_package = line == "[package]";
        } else if in_package && let Some(rest) = line.strip_prefix("version") {
            version = rest
                .trim()
                .strip_prefix('=')
                .map(|v| v.trim().trim_matches('"').to_owned());
        }
    }
    let version = version.expect("no [package] version in Cargo.toml");
    assert_eq!(
        source_metadata().annotation("io.kubewarden.policy.version"),
        Some(version.as_str()),
        "policy-metadata.yml io.kubewarden.policy.version must match the crate version"
    );
}

#[test]
fn usage_annotation_is_the_usage_page() {
    let readme_path = repo_root().join("docs/usage.md");
    let readme = std::fs::read_to_string(&readme_path)
        .unwrap_or_else(|e| panic!("{}: {e}", readme_path.display()));
    let meta = embedded_metadata();
    assert!(
        meta.annotation(USAGE_ANNOTATION) == Some(readme.as_str()),
        "{USAGE_ANNOTATION} differs from docs/usage.md: annotated-policy.wasm is stale, run `make wasm`"
    );
}

#[test]
fn annotated_module_is_current() {
    // The annotated module must be policy.wasm plus the metadata of policy-metadata.yml.
    let meta = embedded_metadata();
    let mut expected = source_metadata();
    expected.protocol_version = meta.protocol_version.clone();
    let usage = meta.annotation(USAGE_ANNOTATION).map(str::to_owned);
    if let (Some(annotations), Some(usage)) = (expected.annotations.as_mut(), usage) {
        annotations.insert(USAGE_ANNOTATION.to_owned(), usage);
    }
    expected.context_aware = None;
    let mut got = meta.clone();
    got.context_aware = None;
    assert_eq!(
        got, expected,
        "embedded metadata differs from policy-metadata.yml: run `make wasm`"
    );

    let plain: PathBuf = repo_root().join("policy.wasm");
    if policy_path() == repo_root().join("annotated-policy.wasm") {
        let plain_bytes = std::fs::read(&plain)
            .unwrap_or_else(|e| panic!("{}: {e} (run `make wasm`)", plain.display()));
        let annotated = annotated_bytes();
        // Same code and other sections: compare with the metadata section emptied on both sides.
        let strip = |m: &[u8]| with_custom_section(m, METADATA_SECTION, b"").unwrap();
        assert!(
            strip(&plain_bytes) == strip(&annotated),
            "annotated-policy.wasm is not policy.wasm + metadata: run `make wasm`"
        );
    }
}
