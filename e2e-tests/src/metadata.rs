//! The policy metadata, as `kwctl annotate` embeds it in the `io.kubewarden.metadata` section.
//!
//! Field names and defaults follow `policy_evaluator::policy_metadata::Metadata`; unlike kwctl
//! we refuse unknown keys so that a typo in `policy-metadata.yml` cannot silently drop a field.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The annotation holding the policy's README (`kwctl annotate --usage-path`).
pub const USAGE_ANNOTATION: &str = "io.kubewarden.policy.usage";

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
