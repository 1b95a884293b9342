//! `seccompProfile_restricted` (Pod Security Standard, restricted): the pod must set
//! `seccompProfile.type` to `RuntimeDefault` or `Localhost`, or every container must; no
//! container may set another type. Windows pods are exempt. Relaxed by an exception that names
//! `seccompProfile`.

use super::seccomp_profile::{container_type, pod_type};
use super::{Check, Ctx, Violation, demand, judge_inheritable, quote};
use crate::profile::{Fields, Level, Profile};

pub const ID: &str = "seccompProfile_restricted";
pub const CHECK: Check = Check {
    id: ID,
    standard: false,
    floor: Some(Level::Restricted),
    pss: Some(super::PSS_VERSION),
    summary: "restricted: seccompProfile.type must be RuntimeDefault or Localhost, set on the pod or every container",
    run,
};

fn run(ctx: &Ctx<'_, '_>, out: &mut Vec<Violation>) {
    if ctx.pod.is_windows() {
        return;
    }
    judge_inheritable(
        ctx,
        out,
        ID,
        "securityContext.seccompProfile.type",
        pod_type(ctx),
        container_type,
        quote,
        |p: &Profile, v: Option<&str>, _scope| {
            let ok = matches!(v, Some("RuntimeDefault" | "Localhost"));
            if p.floor_at_least(Level::Restricted) && !p.relaxes(Fields::SECCOMP) && !ok {
                demand(
                    "RuntimeDefault or Localhost (restricted Pod Security Standard)",
                    "set seccompProfile: {type: RuntimeDefault} in the pod's securityContext",
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
                    name: "pod RuntimeDefault",
                    settings: floor("restricted"),
                    pod: json!({"securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}, "containers": [c(json!({}))]}),
                    want: &[],
                },
                Case {
                    name: "absent",
                    settings: floor("restricted"),
                    pod: json!({"containers": [c(json!({}))]}),
                    want: &["spec.containers[0].securityContext.seccompProfile.type"],
                },
                Case {
                    name: "every container sets it",
                    settings: floor("restricted"),
                    pod: json!({"containers": [c(json!({"seccompProfile": {"type": "Localhost", "localhostProfile": "x"}}))]}),
                    want: &[],
                },
                Case {
                    name: "one container lacks it",
                    settings: floor("restricted"),
                    pod: json!({"initContainers": [c(json!({}))], "containers": [c(json!({"seccompProfile": {"type": "RuntimeDefault"}}))]}),
                    want: &["spec.initContainers[0].securityContext.seccompProfile.type"],
                },
                Case {
                    name: "pod Unconfined",
                    settings: floor("restricted"),
                    pod: json!({"securityContext": {"seccompProfile": {"type": "Unconfined"}}, "containers": [c(json!({"seccompProfile": {"type": "RuntimeDefault"}}))]}),
                    want: &["spec.securityContext.seccompProfile.type"],
                },
                Case {
                    name: "windows exempt",
                    settings: floor("restricted"),
                    pod: json!({"os": {"name": "windows"}, "containers": [c(json!({}))]}),
                    want: &[],
                },
                Case {
                    name: "baseline does not require it",
                    settings: floor("baseline"),
                    pod: json!({"containers": [c(json!({}))]}),
                    want: &[],
                },
            ],
        );
    }
}
