//! SARIF 2.1.0 (OASIS), as code-scanning services read it: one rule per check ID of the
//! module's registry (its summary as the help text, the fix and the docs page), one result per
//! finding with its physical location (file, line, column) and, for Helm output, the template
//! the document came from. Input errors are tool notifications.

use serde_json::{Value, json};

use super::{CheckInfo, Verdict};

/// Where the check IDs are documented.
pub const CHECKS_HELP_URI: &str =
    "https://github.com/matih-platform/security-context-policy/blob/main/docs/checks.md#check-ids";

/// The schema the log declares (the OASIS errata 01 schema of SARIF 2.1.0).
pub const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// A file name as a relative URI reference: unreserved characters and `/` as they are,
/// everything else percent-encoded (`<stdin>` becomes `%3Cstdin%3E`).
pub fn uri_reference(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn rule(check: &CheckInfo) -> Value {
    let summary = check.summary.trim_end_matches('.');
    let fix = "Fix: change the field each result names as its message says (every result \
               carries the fix for its own field), or, where the platform allows the \
               exception, cover the workload with an exception (docs/exceptions.md).";
    json!({
        "id": check.id,
        "name": check.id,
        "shortDescription": { "text": format!("{summary}.") },
        "help": {
            "text": format!("{summary}. {fix}"),
            "markdown": format!("{summary}.\n\n{fix}\n\n[Check IDs]({CHECKS_HELP_URI})"),
        },
        "helpUri": CHECKS_HELP_URI,
        "defaultConfiguration": { "level": "error" },
    })
}

/// The SARIF log of one run: `verdicts` located, `checks` the module's registry, `errors`
/// the input problems (already worded with their place).
pub fn log(verdicts: &[Verdict<'_>], checks: &[CheckInfo], errors: &[String]) -> Value {
    let rules: Vec<Value> = checks.iter().map(rule).collect();
    let mut results = Vec::new();
    for v in verdicts {
        let object = format!("{} {}", v.entry.kind, v.entry.display_name());
        for f in &v.findings {
            let row = &f.row;
            let rule_id = row.checks.first().cloned().unwrap_or_default();
            let mut region = json!({ "startLine": f.at.line, "startColumn": f.at.column });
            if let Some(template) = &f.at.template {
                region["message"] = json!({ "text": format!("rendered from {template}") });
            }
            let mut result = json!({
                "ruleId": rule_id,
                "level": if row.action == "deny" { "error" } else { "warning" },
                "message": {
                    "text": format!(
                        "{object}, {}: {} is {}; required {}. Fix: {}",
                        row.container, row.field, row.found, row.required, row.fix
                    )
                },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri_reference(&f.at.source) },
                        "region": region,
                    },
                    "logicalLocations": [{
                        "fullyQualifiedName": format!("{object}/{}", row.field),
                        "kind": "member",
                    }],
                }],
                "properties": {
                    "checks": row.checks,
                    "field": row.field,
                    "container": row.container,
                    "found": row.found,
                    "required": row.required,
                    "fix": row.fix,
                    "object": object,
                    "document": v.entry.document,
                    "accepted": v.response.accepted,
                },
            });
            if let Some(index) = checks.iter().position(|c| c.id == rule_id) {
                result["ruleIndex"] = json!(index);
            }
            if let Some(template) = &f.at.template {
                result["properties"]["template"] = json!(template);
            }
            if let Some(exception) = &row.exception {
                result["properties"]["exception"] = json!(exception);
            }
            results.push(result);
        }
    }
    let notifications: Vec<Value> = errors
        .iter()
        .map(|e| json!({ "level": "error", "message": { "text": e } }))
        .collect();
    json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "security-context-checker",
                    "version": env!("CARGO_PKG_VERSION"),
                    "informationUri": env!("CARGO_PKG_REPOSITORY"),
                    "rules": rules,
                }
            },
            "invocations": [{
                "executionSuccessful": errors.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris() {
        assert_eq!(uri_reference("examples/a b.yaml"), "examples/a%20b.yaml");
        assert_eq!(uri_reference("<stdin>"), "%3Cstdin%3E");
    }
}
