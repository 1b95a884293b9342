//! `allowPrivilegeEscalation`: containers must not be able to gain more privileges than their
//! parent process (setuid binaries, file capabilities).
//!
//! - Standard: with `securityContext.allowPrivilegeEscalation: false` (the default) every
//!   container must set it to `false` explicitly; absent fails (the kubelet defaults to true).
//! - Floor (restricted): the same, except for Windows pods. Relaxed by an exception that names
//!   `allowPrivilegeEscalation`.

use super::{Check, Ctx, Violation};
use crate::profile::{Fields, Level};

pub const ID: &str = "allowPrivilegeEscalation";
pub const CHECK: Check = Check {
    id: ID,
    standard: true,
    floor: Some(Level::Restricted),
    pss: Some(super::PSS_VERSION),
    summary: "every container must set allowPrivilegeEscalation: false",
    run,
};

fn run(ctx: &Ctx<'_, '_>, out: &mut Vec<Violation>) {
    if ctx.pod.is_windows() {
        return;
    }
    for c in ctx.containers() {
        let p = ctx.profile_of(&c);
        let v = c.container.sc().and_then(|s| s.allow_privilege_escalation);
        let standard = p.allow_privilege_escalation == Some(false);
        let floor =
            p.floor_at_least(Level::Restricted) && !p.relaxes(Fields::ALLOW_PRIVILEGE_ESCALATION);
        if (standard || floor) && v != Some(false) {
            ctx.on_container(ID, &c, p, "securityContext.allowPrivilegeEscalation")
                .found(super::show_opt_bool(v))
                .required(if standard {
                    "false"
                } else {
                    "false (restricted Pod Security Standard)"
                })
                .fix("set allowPrivilegeEscalation: false in the container's securityContext")
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
        let c =
            |sc: serde_json::Value| json!({"name": "app", "image": "app:1", "securityContext": sc});
        run_table(
            &super::CHECK,
            &[
                Case {
                    name: "false",
                    settings: standard(),
                    pod: json!({"containers": [c(json!({"allowPrivilegeEscalation": false}))]}),
                    want: &[],
                },
                Case {
                    name: "absent",
                    settings: standard(),
                    pod: json!({"containers": [{"name": "app"}]}),
                    want: &["spec.containers[0].securityContext.allowPrivilegeEscalation"],
                },
                Case {
                    name: "true in init",
                    settings: standard(),
                    pod: json!({"initContainers": [c(json!({"allowPrivilegeEscalation": true}))], "containers": [c(json!({"allowPrivilegeEscalation": false}))]}),
                    want: &["spec.initContainers[0].securityContext.allowPrivilegeEscalation"],
                },
                Case {
                    name: "floor restricted",
                    settings: floor("restricted"),
                    pod: json!({"containers": [c(json!({}))]}),
                    want: &["spec.containers[0].securityContext.allowPrivilegeEscalation"],
                },
                Case {
                    name: "floor baseline",
                    settings: floor("baseline"),
                    pod: json!({"containers": [c(json!({}))]}),
                    want: &[],
                },
                Case {
                    name: "windows exempt",
                    settings: floor("restricted"),
                    pod: json!({"os": {"name": "windows"}, "containers": [c(json!({}))]}),
                    want: &[],
                },
                Case {
                    name: "standard true allows either",
                    settings: json!({"podSecurityStandard": "baseline", "securityContext": {"allowPrivilegeEscalation": true}}),
                    pod: json!({"containers": [c(json!({"allowPrivilegeEscalation": true}))]}),
                    want: &[],
                },
            ],
        );
    }
}
