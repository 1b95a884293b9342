//! `fsGroup`: the group that owns mounted volumes (pod level only). Must satisfy
//! `podSecurityContext.fsGroup` (default 1000); absent fails. Judged against an exception only
//! when that exception covers every container of the pod.
//!
//! Common issues (docs/common-issues.md): "fsGroup permission errors" → "Match fsGroup to the container GID".

use super::{Check, Ctx, Violation};

pub const ID: &str = "fsGroup";
pub const CHECK: Check = Check {
    id: ID,
    standard: true,
    floor: None,
    pss: None,
    summary: "the pod's fsGroup must be the profile's GID (default 1000)",
    run,
};

pub const FIX: &str = "match fsGroup to the container GID (the runAsGroup the image runs as) in the pod's securityContext";

fn run(ctx: &Ctx<'_, '_>, out: &mut Vec<Violation>) {
    if ctx.pod.is_windows() {
        return;
    }
    let Some(rule) = &ctx.pod_profile.fs_group else {
        return;
    };
    let value = ctx.pod_sc().and_then(|s| s.fs_group);
    if !value.is_some_and(|v| rule.allows(v)) {
        ctx.on_pod(ID, "spec.securityContext.fsGroup".to_owned())
            .found(super::show_opt_i64(value))
            .required(rule.to_string())
            .fix(FIX)
            .push(out);
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{Case, floor, run_table, standard};
    use serde_json::json;

    #[test]
    fn cases() {
        let c = json!({"name": "app", "image": "app:1"});
        run_table(
            &super::CHECK,
            &[
                Case {
                    name: "1000",
                    settings: standard(),
                    pod: json!({"securityContext": {"fsGroup": 1000}, "containers": [c]}),
                    want: &[],
                },
                Case {
                    name: "absent",
                    settings: standard(),
                    pod: json!({"containers": [c]}),
                    want: &["spec.securityContext.fsGroup"],
                },
                Case {
                    name: "wrong group",
                    settings: standard(),
                    pod: json!({"securityContext": {"fsGroup": 999}, "containers": [c]}),
                    want: &["spec.securityContext.fsGroup"],
                },
                Case {
                    name: "not in block given",
                    settings: json!({"podSecurityContext": {"runAsNonRoot": true}}),
                    pod: json!({"containers": [c]}),
                    want: &[],
                },
                Case {
                    name: "floor only",
                    settings: floor("restricted"),
                    pod: json!({"containers": [c]}),
                    want: &[],
                },
            ],
        );
    }
}
