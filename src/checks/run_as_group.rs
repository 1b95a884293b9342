//! `runAsGroup`: the primary GID containers run as (standard only; the Pod Security Standards
//! do not judge it). The effective value (container over pod) must satisfy
//! `podSecurityContext.runAsGroup` (default 1000); absent fails.

use super::{Check, Ctx, Scope, Violation, demand, judge_inheritable};
use crate::profile::Profile;

pub const ID: &str = "runAsGroup";
pub const CHECK: Check = Check {
    id: ID,
    standard: true,
    floor: None,
    pss: None,
    summary: "the effective runAsGroup must be the profile's GID (default 1000)",
    run,
};

fn run(ctx: &Ctx<'_, '_>, out: &mut Vec<Violation>) {
    if ctx.pod.is_windows() {
        return;
    }
    let pod_value = ctx.pod_sc().and_then(|s| s.run_as_group);
    judge_inheritable(
        ctx,
        out,
        ID,
        "securityContext.runAsGroup",
        pod_value,
        |c| c.container.sc().and_then(|s| s.run_as_group),
        |v| v.to_string(),
        |p: &Profile, v: Option<i64>, scope| {
            let rule = p.run_as_group.as_ref()?;
            if scope == (Scope::Pod { inherited: false }) || v.is_some_and(|v| rule.allows(v)) {
                return None;
            }
            demand(
                rule.to_string(),
                format!(
                    "set runAsGroup: {rule} in the pod's securityContext, together with runAsUser and fsGroup (override ALL security context fields together: the Helm deep-merge lesson)"
                ),
            )
        },
    );
}

#[cfg(test)]
mod tests {
    use super::super::testing::{Case, floor, run_table, standard};
    use serde_json::json;

    #[test]
    fn cases() {
        let c =
            |sc: serde_json::Value| json!({"name": "app", "image": "app:1", "securityContext": sc});
        run_table(
            &super::CHECK,
            &[
                Case {
                    name: "pod 1000",
                    settings: standard(),
                    pod: json!({"securityContext": {"runAsGroup": 1000}, "containers": [c(json!({}))]}),
                    want: &[],
                },
                Case {
                    name: "absent",
                    settings: standard(),
                    pod: json!({"containers": [c(json!({}))]}),
                    want: &["spec.containers[0].securityContext.runAsGroup"],
                },
                Case {
                    name: "root group inherited",
                    settings: standard(),
                    pod: json!({"securityContext": {"runAsGroup": 0}, "containers": [c(json!({}))]}),
                    want: &["spec.securityContext.runAsGroup"],
                },
                Case {
                    name: "container overrides",
                    settings: standard(),
                    pod: json!({"securityContext": {"runAsGroup": 1000}, "containers": [c(json!({"runAsGroup": 5}))]}),
                    want: &["spec.containers[0].securityContext.runAsGroup"],
                },
                Case {
                    name: "floor does not judge it",
                    settings: floor("restricted"),
                    pod: json!({"containers": [c(json!({"runAsGroup": 0}))]}),
                    want: &[],
                },
            ],
        );
    }
}
