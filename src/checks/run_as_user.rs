//! `runAsUser`: the UID containers run as.
//!
//! - Standard: the effective `runAsUser` (container over pod) must satisfy
//!   `podSecurityContext.runAsUser` (default 1000; a number or `{min, max}`); absent fails.
//! - Floor (restricted): neither the pod nor a container may set `runAsUser: 0`. Relaxed for
//!   pods with `hostUsers: false`, and by an exception that names `runAsUser`.

use super::{Check, Ctx, Violation, demand, judge_inheritable};
use crate::profile::{Fields, Level, Profile};

pub const ID: &str = "runAsUser";
pub const CHECK: Check = Check {
    id: ID,
    standard: true,
    floor: Some(Level::Restricted),
    pss: Some(super::PSS_VERSION),
    summary: "the effective runAsUser must be the profile's UID (default 1000), never 0 at restricted",
    run,
};

fn fix(p: &Profile) -> String {
    match &p.run_as_user {
        Some(r) => format!("set runAsUser: {r} in the pod's securityContext, matching the UID the image runs as (verify the image's USER); a service whose image needs another UID gets an exception with its runAsUser"),
        None => "set a non-zero runAsUser, or let an exception for this service allow 0 (with runAsNonRoot: false)".to_owned(),
    }
}

fn run(ctx: &Ctx<'_, '_>, out: &mut Vec<Violation>) {
    let userns = ctx.pod.in_user_namespace();
    let windows = ctx.pod.is_windows();
    let pod_value = ctx.pod_sc().and_then(|s| s.run_as_user);
    judge_inheritable(
        ctx,
        out,
        ID,
        "securityContext.runAsUser",
        pod_value,
        |c| c.container.sc().and_then(|s| s.run_as_user),
        |v| v.to_string(),
        |p: &Profile, v: Option<i64>, scope| {
            if let Some(rule) = &p.run_as_user {
                let judged = scope != (super::Scope::Pod { inherited: false }) && !windows;
                if judged && !v.is_some_and(|v| rule.allows(v)) {
                    return demand(rule.to_string(), fix(p));
                }
            }
            let floor =
                p.floor_at_least(Level::Restricted) && !p.relaxes(Fields::RUN_AS_USER) && !userns;
            if floor && v == Some(0) {
                return demand("non-zero (restricted Pod Security Standard)", fix(p));
            }
            None
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
                    pod: json!({"securityContext": {"runAsUser": 1000}, "containers": [c(json!({}))]}),
                    want: &[],
                },
                Case {
                    name: "absent",
                    settings: standard(),
                    pod: json!({"containers": [c(json!({}))]}),
                    want: &["spec.containers[0].securityContext.runAsUser"],
                },
                Case {
                    name: "container overrides with wrong uid",
                    settings: standard(),
                    pod: json!({"securityContext": {"runAsUser": 1000}, "containers": [c(json!({"runAsUser": 999}))]}),
                    want: &["spec.containers[0].securityContext.runAsUser"],
                },
                Case {
                    name: "pod wrong, container right: pod value unused",
                    settings: standard(),
                    pod: json!({"securityContext": {"runAsUser": 5}, "containers": [c(json!({"runAsUser": 1000}))]}),
                    want: &[],
                },
                Case {
                    name: "range",
                    settings: json!({"podSecurityContext": {"runAsUser": {"min": 1000, "max": 2000}}}),
                    pod: json!({"securityContext": {"runAsUser": 1500}, "containers": [c(json!({}))]}),
                    want: &[],
                },
                Case {
                    name: "range miss",
                    settings: json!({"podSecurityContext": {"runAsUser": {"min": 1000, "max": 2000}}}),
                    pod: json!({"securityContext": {"runAsUser": 2500}, "containers": [c(json!({}))]}),
                    want: &["spec.securityContext.runAsUser"],
                },
                Case {
                    name: "floor: root container",
                    settings: floor("restricted"),
                    pod: json!({"containers": [c(json!({"runAsUser": 0}))]}),
                    want: &["spec.containers[0].securityContext.runAsUser"],
                },
                Case {
                    name: "floor: root pod even if overridden",
                    settings: floor("restricted"),
                    pod: json!({"securityContext": {"runAsUser": 0}, "containers": [c(json!({"runAsUser": 1}))]}),
                    want: &["spec.securityContext.runAsUser"],
                },
                Case {
                    name: "floor: absent is fine",
                    settings: floor("restricted"),
                    pod: json!({"containers": [c(json!({}))]}),
                    want: &[],
                },
                Case {
                    name: "floor relaxed by hostUsers false",
                    settings: floor("restricted"),
                    pod: json!({"hostUsers": false, "containers": [c(json!({"runAsUser": 0}))]}),
                    want: &[],
                },
                Case {
                    name: "windows pods skip the standard uid",
                    settings: json!({"podSecurityStandard": "baseline"}),
                    pod: json!({"os": {"name": "windows"}, "containers": [c(json!({}))]}),
                    want: &[],
                },
            ],
        );
    }
}
