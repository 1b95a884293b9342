//! `runAsNonRoot`: containers must run as a non-root user.
//!
//! - Standard: with `podSecurityContext.runAsNonRoot: true` (the default) the effective value
//!   (the container's own, else the pod's) must be `true`; absent fails.
//! - Floor (restricted): the pod must not set `false`; a container must not set `false`; a
//!   container that sets nothing needs the pod to set `true`. Relaxed for pods with
//!   `hostUsers: false` (user namespaces), and by an exception that names `runAsNonRoot`.
//!
//! Common issues (docs/common-issues.md): `CreateContainerConfigError: runAsNonRoot` when the image runs as root.

use super::{Check, Ctx, Scope, Violation, demand, judge_inheritable};
use crate::profile::{Fields, Level, Profile};

pub const ID: &str = "runAsNonRoot";
pub const CHECK: Check = Check {
    id: ID,
    standard: true,
    floor: Some(Level::Restricted),
    pss: Some(super::PSS_VERSION),
    summary: "containers must run with runAsNonRoot: true (pod or container level)",
    run,
};

pub const FIX: &str = "set runAsNonRoot: true in the pod's securityContext; if the image runs as root (UID 0), rebuild it to run as a non-root user, or set runAsNonRoot: false in an exception for this service";

fn run(ctx: &Ctx<'_, '_>, out: &mut Vec<Violation>) {
    let userns = ctx.pod.in_user_namespace();
    let pod_value = ctx.pod_sc().and_then(|s| s.run_as_non_root);
    judge_inheritable(
        ctx,
        out,
        ID,
        "securityContext.runAsNonRoot",
        pod_value,
        |c| c.container.sc().and_then(|s| s.run_as_non_root),
        |v| v.to_string(),
        |p: &Profile, v: Option<bool>, scope| {
            let standard =
                p.run_as_non_root == Some(true) && scope != (Scope::Pod { inherited: false });
            let floor = p.floor_at_least(Level::Restricted)
                && !p.relaxes(Fields::RUN_AS_NON_ROOT)
                && !userns;
            if (standard || floor) && v != Some(true) {
                let required = if standard {
                    "true"
                } else {
                    "true (restricted Pod Security Standard)"
                };
                demand(required, FIX)
            } else {
                None
            }
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
                    name: "pod true",
                    settings: standard(),
                    pod: json!({"securityContext": {"runAsNonRoot": true}, "containers": [c(json!({}))]}),
                    want: &[],
                },
                Case {
                    name: "absent everywhere",
                    settings: standard(),
                    pod: json!({"containers": [c(json!({}))]}),
                    want: &["spec.containers[0].securityContext.runAsNonRoot"],
                },
                Case {
                    name: "container false overrides pod true",
                    settings: standard(),
                    pod: json!({"securityContext": {"runAsNonRoot": true}, "containers": [c(json!({"runAsNonRoot": false}))]}),
                    want: &["spec.containers[0].securityContext.runAsNonRoot"],
                },
                Case {
                    name: "pod false inherited",
                    settings: standard(),
                    pod: json!({"securityContext": {"runAsNonRoot": false}, "containers": [c(json!({})), c(json!({}))]}),
                    want: &["spec.securityContext.runAsNonRoot"],
                },
                Case {
                    name: "init container judged too",
                    settings: standard(),
                    pod: json!({"securityContext": {"runAsNonRoot": true}, "initContainers": [c(json!({"runAsNonRoot": false}))], "containers": [c(json!({}))]}),
                    want: &["spec.initContainers[0].securityContext.runAsNonRoot"],
                },
                Case {
                    name: "ephemeral container judged too",
                    settings: standard(),
                    pod: json!({"securityContext": {"runAsNonRoot": true}, "ephemeralContainers": [c(json!({"runAsNonRoot": false}))], "containers": [c(json!({}))]}),
                    want: &["spec.ephemeralContainers[0].securityContext.runAsNonRoot"],
                },
                Case {
                    name: "floor: pod false though containers say true",
                    settings: floor("restricted"),
                    pod: json!({"securityContext": {"runAsNonRoot": false}, "containers": [c(json!({"runAsNonRoot": true}))]}),
                    want: &["spec.securityContext.runAsNonRoot"],
                },
                Case {
                    name: "standard only: pod false overridden by all containers",
                    settings: json!({"podSecurityStandard": "privileged"}),
                    pod: json!({"securityContext": {"runAsNonRoot": false}, "containers": [c(json!({"runAsNonRoot": true}))]}),
                    want: &[],
                },
                Case {
                    name: "floor: containers all true",
                    settings: floor("restricted"),
                    pod: json!({"containers": [c(json!({"runAsNonRoot": true}))]}),
                    want: &[],
                },
                Case {
                    name: "floor relaxed by hostUsers false",
                    settings: floor("restricted"),
                    pod: json!({"hostUsers": false, "containers": [c(json!({}))]}),
                    want: &[],
                },
                Case {
                    name: "baseline floor does not judge it",
                    settings: floor("baseline"),
                    pod: json!({"containers": [c(json!({"runAsNonRoot": false}))]}),
                    want: &[],
                },
                Case {
                    name: "standard false allows either",
                    settings: json!({"podSecurityStandard": "baseline", "podSecurityContext": {"runAsNonRoot": false}}),
                    pod: json!({"containers": [c(json!({"runAsNonRoot": false}))]}),
                    want: &[],
                },
            ],
        );
    }
}
