//! The policy metadata, as `kwctl annotate` embeds it in the `io.kubewarden.metadata` section.
//!
//! Field names, order and defaults follow `policy_evaluator::policy_metadata::Metadata` (kwctl
//! 1.36), so the JSON is byte for byte what `kwctl annotate` writes (its own `io.kubewarden.kwctl`
//! annotation aside); unlike kwctl we refuse unknown keys so that a typo in
//! `policy-metadata.yml` cannot silently drop a field.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The annotation holding the policy's README (`kwctl annotate --usage-path`).
pub const USAGE_ANNOTATION: &str = "io.kubewarden.policy.usage";

/// The annotation kwctl adds with its own version (we write none).
pub const KWCTL_VERSION_ANNOTATION: &str = "io.kubewarden.kwctl";

/// Every host capability a waPC policy can call, as `namespace/operation` (binding
/// `kubewarden`): the paths Kubewarden's `hostCapabilities` lists and policy-server's
/// per-policy allow-list name (`policy_evaluator::host_capabilities`, Kubewarden 1.35+).
pub const HOST_CAPABILITIES: &[&str] = &[
    "oci/v1/verify",
    "oci/v1/manifest_digest",
    "oci/v1/oci_manifest",
    "oci/v1/oci_manifest_config",
    "oci/v2/verify",
    "net/v1/dns_lookup_host",
    "crypto/v1/is_certificate_trusted",
    "kubernetes/list_resources_by_namespace",
    "kubernetes/list_resources_all",
    "kubernetes/get_resource",
    "kubernetes/can_i",
];

/// The host capabilities a module's data segments show it calls, found the way `kwctl
/// annotate` finds them (a heuristic, not a proof): the capability's namespace (`oci`) and its
/// operation (`v1/oci_manifest_config`) both appear in the data, the operation not only as the
/// start of a longer operation that begins with it (`v1/oci_manifest` inside
/// `v1/oci_manifest_config`). The segments are joined with a 0xFF byte, which no UTF-8 string
/// contains, so no match spans two segments.
pub fn detect_host_capabilities(data_segments: &[&[u8]]) -> Vec<&'static str> {
    let mut data = Vec::new();
    for segment in data_segments {
        data.extend_from_slice(segment);
        data.push(0xff);
    }
    let split = |cap: &'static str| cap.split_once('/').unwrap_or((cap, ""));
    HOST_CAPABILITIES
        .iter()
        .copied()
        .filter(|cap| {
            let (namespace, operation) = split(cap);
            if find(&data, namespace.as_bytes(), 0).is_none() {
                return false;
            }
            let longer: Vec<&str> = HOST_CAPABILITIES
                .iter()
                .map(|c| split(c).1)
                .filter(|op| op.len() > operation.len() && op.starts_with(operation))
                .collect();
            longer
                .iter()
                .all(|l| standalone(&data, operation.as_bytes(), l.as_bytes()))
                && find(&data, operation.as_bytes(), 0).is_some()
        })
        .collect()
}

/// The first position at or after `from` where `needle` occurs in `hay`.
fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() {
        return Some(from.min(hay.len()));
    }
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// Whether `needle` occurs somewhere that is not the start of `longer` (which begins with it).
fn standalone(hay: &[u8], needle: &[u8], longer: &[u8]) -> bool {
    let mut from = 0;
    while let Some(at) = find(hay, needle, from) {
        if !hay[at..].starts_with(longer) {
            return true;
        }
        from = at + 1;
    }
    false
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Rule {
    pub api_groups: Vec<String>,
    pub api_versions: Vec<String>,
    pub resources: Vec<String>,
    pub operations: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContextAwareResource {
    pub api_version: String,
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Metadata {
    /// Filled in by the annotator from the module's `protocol_version` answer.
    #[serde(default)]
    pub protocol_version: Option<String>,
    pub rules: Vec<Rule>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
    pub mutating: bool,
    #[serde(default = "default_true")]
    pub background_audit: bool,
    #[serde(default = "default_execution_mode")]
    pub execution_mode: String,
    #[serde(default = "default_policy_type")]
    pub policy_type: String,
    #[serde(default)]
    pub context_aware_resources: Vec<ContextAwareResource>,
    /// The host capabilities the module calls (`oci/v1/oci_manifest_config`, ...), as
    /// Kubewarden 1.35+ reads them. Absent and empty differ in the JSON, as in kwctl's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_capabilities: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_kubewarden_version: Option<String>,
    /// The legacy boolean that `contextAwareResources` replaced. Read, checked, never written
    /// (kwctl drops it too).
    #[serde(default, skip_serializing)]
    pub context_aware: Option<bool>,
}

fn default_true() -> bool {
    true
}

fn default_execution_mode() -> String {
    "kubewarden-wapc".to_owned()
}

fn default_policy_type() -> String {
    "kubernetes".to_owned()
}

impl Metadata {
    /// Problems kwctl / policy-server would refuse, in words.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.rules.is_empty() {
            problems.push("no rules: the policy would never be called".to_owned());
        }
        for (i, rule) in self.rules.iter().enumerate() {
            for (field, values) in [
                ("apiGroups", &rule.api_groups),
                ("apiVersions", &rule.api_versions),
                ("resources", &rule.resources),
                ("operations", &rule.operations),
            ] {
                if values.is_empty() {
                    problems.push(format!("rules[{i}].{field} is empty"));
                }
                if values.len() > 1 && values.iter().any(|v| v == "*") {
                    problems.push(format!("rules[{i}].{field} mixes '*' with other values"));
                }
            }
            for op in &rule.operations {
                if !matches!(
                    op.as_str(),
                    "CREATE" | "UPDATE" | "DELETE" | "CONNECT" | "*"
                ) {
                    problems.push(format!("rules[{i}].operations: unknown operation {op:?}"));
                }
            }
        }
        if !matches!(
            self.execution_mode.as_str(),
            "kubewarden-wapc" | "opa" | "gatekeeper" | "wasi"
        ) {
            problems.push(format!("unknown executionMode {:?}", self.execution_mode));
        }
        if !matches!(self.policy_type.as_str(), "kubernetes" | "raw") {
            problems.push(format!("unknown policyType {:?}", self.policy_type));
        }
        for (i, cap) in self.host_capabilities.iter().flatten().enumerate() {
            if !HOST_CAPABILITIES.contains(&cap.as_str()) {
                problems.push(format!(
                    "hostCapabilities[{i}]: unknown host capability {cap:?}; name each one the \
                     module calls as namespace/operation, one of: {}",
                    HOST_CAPABILITIES.join(", ")
                ));
            }
        }
        if let Some(version) = &self.minimum_kubewarden_version
            && check_semver(version).is_err()
        {
            problems.push(format!(
                "minimumKubewardenVersion {version:?} is not a semver version: write MAJOR.MINOR.PATCH, e.g. 1.35.0"
            ));
        }
        if self.context_aware == Some(true) && self.context_aware_resources.is_empty() {
            problems.push(
                "contextAware: true needs contextAwareResources listing what it reads".to_owned(),
            );
        }
        problems
    }

    /// The value of annotation `key`, if set.
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.annotations.as_ref()?.get(key).map(String::as_str)
    }
}

/// `MAJOR.MINOR.PATCH` with an optional `-pre` / `+build` part, as semver parses it: the form
/// of `minimumKubewardenVersion` here and of the package version in `artifacthub`.
pub fn check_semver(version: &str) -> Result<(), String> {
    let core = version.split(['-', '+']).next().unwrap_or("");
    let parts: Vec<&str> = core.split('.').collect();
    let numeric = |p: &&str| {
        !p.is_empty()
            && p.bytes().all(|b| b.is_ascii_digit())
            && (p.len() == 1 || !p.starts_with('0'))
    };
    if parts.len() == 3 && parts.iter().all(numeric) {
        Ok(())
    } else {
        Err(format!("policy version must be in semver: {version:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detect(strings: &[&str]) -> Vec<&'static str> {
        let segments: Vec<&[u8]> = strings.iter().map(|s| s.as_bytes()).collect();
        detect_host_capabilities(&segments)
    }

    #[test]
    fn semver() {
        assert!(check_semver("0.1.0").is_ok());
        assert!(check_semver("1.2.3-rc1").is_ok());
        assert!(check_semver("not-semver").is_err());
        assert!(check_semver("01.2.3").is_err());
    }

    #[test]
    fn nothing_without_the_strings() {
        assert!(detect(&["hello", "world"]).is_empty());
        assert!(detect(&["kubewarden", "tracing", "log"]).is_empty());
    }

    #[test]
    fn the_oci_manifest_config_lookup() {
        assert_eq!(
            detect(&["kubewarden", "oci", "v1/oci_manifest_config"]),
            ["oci/v1/oci_manifest_config"]
        );
        // The shorter v1/oci_manifest counts only when it also appears on its own.
        assert_eq!(
            detect(&["oci", "v1/oci_manifest_config", "v1/oci_manifest"]),
            ["oci/v1/oci_manifest", "oci/v1/oci_manifest_config"]
        );
    }

    #[test]
    fn an_operation_needs_its_namespace() {
        assert!(detect(&["can_i"]).is_empty());
        assert_eq!(detect(&["kubernetes", "can_i"]), ["kubernetes/can_i"]);
    }

    #[test]
    fn no_match_across_segments() {
        assert_eq!(
            detect(&["oci", "v1/oci_manifest_", "config"]),
            ["oci/v1/oci_manifest"]
        );
    }
}
