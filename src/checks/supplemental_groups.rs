//! `supplementalGroups`: no root group. Every group in the pod's `supplementalGroups` must
//! satisfy `podSecurityContext.supplementalGroups` (default: at least 1, so group 0 is refused);
//! an absent or empty list passes. Group 0 would give every process of the pod the files that
//! group root owns, the same reach `runAsGroup: 0` and `fsGroup: 0` give, which the standard
//! already refuses. Pod level only; judged against an exception only when that exception
//! covers every container of the pod.

use super::{Check, Ctx, Violation};

pub const ID: &str = "supplementalGroups";
pub const CHECK: Check = Check {
    id: ID,
    standard: true,
    floor: None,
    pss: None,
    summary: "every supplemental group of the pod must satisfy the profile (default: no root group 0)",
    run,
};

pub const FIX: &str = "remove group 0 from the pod's securityContext.supplementalGroups; if the service really needs the root group, allow it in an exception for this service (podSecurityContext.supplementalGroups: {min: 0})";

fn run(ctx: &Ctx<'_, '_>, out: &mut Vec<Violation>) {
    let Some(rule) = &ctx.pod_profile.supplemental_groups else {
        return;
    };
    let groups = ctx
        .pod_sc()
        .and_then(|s| s.supplemental_groups.as_deref())
        .unwrap_or_default();
    for (i, &g) in groups.iter().enumerate() {
        if !rule.allows(g) {
            ctx.on_pod(ID, format!("spec.securityContext.supplementalGroups[{i}]"))
                .found(g.to_string())
                .required(format!("every supplemental group {rule}"))
                .fix(FIX)
                .push(out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{Case, floor, run_table, standard};
    use serde_json::json;

    #[test]
    fn cases() {
        let c = json!({"name": "app", "image": "app:1"});
        let pod = |groups: serde_json::Value| json!({"securityContext": {"supplementalGroups": groups}, "containers": [c]});
        let exception = |groups: serde_json::Value| {
            json!({"exceptions": [{"name": "legacy", "reason": "shares files with group root",
                "match": {"namespaces": ["default"]},
                "podSecurityContext": {"supplementalGroups": groups}}]})
        };
        run_table(
            &super::CHECK,
            &[
                Case {
                    name: "absent",
                    settings: standard(),
                    pod: json!({"containers": [c]}),
                    want: &[],
                },
                Case {
                    name: "empty list",
                    settings: standard(),
                    pod: pod(json!([])),
                    want: &[],
                },
                Case {
                    name: "non-root groups",
                    settings: standard(),
                    pod: pod(json!([1000, 2000])),
                    want: &[],
                },
                Case {
                    name: "root group",
                    settings: standard(),
                    pod: pod(json!([1000, 0])),
                    want: &["spec.securityContext.supplementalGroups[1]"],
                },
                Case {
                    name: "negative group",
                    settings: standard(),
                    pod: pod(json!([-1])),
                    want: &["spec.securityContext.supplementalGroups[0]"],
                },
                Case {
                    name: "exception allows the root group",
                    settings: exception(json!({"min": 0})),
                    pod: pod(json!([0])),
                    want: &[],
                },
                Case {
                    name: "null in an exception is a field left out",
                    settings: exception(json!(null)),
                    pod: pod(json!([0])),
                    want: &["spec.securityContext.supplementalGroups[0]"],
                },
                Case {
                    name: "exception for other groups keeps root out",
                    settings: exception(json!({"min": 5000, "max": 6000})),
                    pod: pod(json!([5000, 0])),
                    want: &["spec.securityContext.supplementalGroups[1]"],
                },
                Case {
                    name: "not in the block given",
                    settings: json!({"podSecurityContext": {"runAsNonRoot": true}}),
                    pod: pod(json!([0])),
                    want: &[],
                },
                Case {
                    name: "floor only",
                    settings: floor("restricted"),
                    pod: pod(json!([0])),
                    want: &[],
                },
            ],
        );
    }
}
