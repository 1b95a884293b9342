//! `seccompProfile_baseline` (Pod Security Standard, baseline): the pod and containers must
//! not set `seccompProfile.type: Unconfined`. Relaxed by an exception that names
//! `seccompProfile`.

use super::seccomp_profile::{container_type, pod_type};
use super::{Check, Ctx, Violation, demand, judge_inheritable, quote};
use crate::profile::{Fields, Level, Profile};

pub const ID: &str = "seccompProfile_baseline";
pub const CHECK: Check = Check {
    id: ID,
    standard: false,
    floor: Some(Level::Baseline),
    pss: Some(super::PSS_VERSION),
    summary: "baseline: seccompProfile.type must not be Unconfined",
    run,
};

fn run(ctx: &Ctx<'_, '_>, out: &mut Vec<Violation>) {
    judge_inheritable(
        ctx,
        out,
        ID,
        "securityContext.seccompProfile.type",
        pod_type(ctx),
        container_type,
        quote,
        |p: &Profile, v: Option<&str>, _scope| {
            if p.floor_at_least(Level::Baseline)
                && !p.relaxes(Fields::SECCOMP)
                && v == Some("Unconfined")
            {
                demand(
                    "not Unconfined (baseline Pod Security Standard)",
                    "set seccompProfile: {type: RuntimeDefault}",
                )
            } else {
                None
            }
        },
    );
}

#[cfg(test)]
mod tests {
    use super::super::testing::{Case, floor, run_table};
    use serde_json::json;

    #[test]
    fn cases() {
        let c =
            |sc: serde_json::Value| json!({"name": "app", "image": "app:1", "securityContext": sc});
        run_table(
            &super::CHECK,
            &[
                Case {
                    name: "absent is fine",
                    settings: floor("baseline"),
                    pod: json!({"containers": [c(json!({}))]}),
                    want: &[],
                },
                Case {
                    name: "pod Unconfined",
                    settings: floor("baseline"),
                    pod: json!({"securityContext": {"seccompProfile": {"type": "Unconfined"}}, "containers": [c(json!({"seccompProfile": {"type": "RuntimeDefault"}}))]}),
                    want: &["spec.securityContext.seccompProfile.type"],
                },
                Case {
                    name: "container Unconfined",
                    settings: floor("baseline"),
                    pod: json!({"containers": [c(json!({"seccompProfile": {"type": "Unconfined"}}))]}),
                    want: &["spec.containers[0].securityContext.seccompProfile.type"],
                },
                Case {
                    name: "Localhost fine",
                    settings: floor("baseline"),
                    pod: json!({"containers": [c(json!({"seccompProfile": {"type": "Localhost", "localhostProfile": "x"}}))]}),
                    want: &[],
                },
                Case {
                    name: "privileged level",
                    settings: floor("privileged"),
                    pod: json!({"containers": [c(json!({"seccompProfile": {"type": "Unconfined"}}))]}),
                    want: &[],
                },
            ],
        );
    }
}
