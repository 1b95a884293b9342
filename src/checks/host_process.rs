//! `hostProcess` (Pod Security Standard, baseline): Windows HostProcess containers have
//! privileged access to the Windows node; `windowsOptions.hostProcess: true` is forbidden on
//! the pod and on every container.

use super::{Check, Ctx, Violation};
use crate::profile::Level;

pub const ID: &str = "hostProcess";
pub const CHECK: Check = Check {
    id: ID,
    standard: false,
    floor: Some(Level::Baseline),
    pss: Some(super::PSS_VERSION),
    summary: "baseline: windowsOptions.hostProcess must not be true",
    run,
};

const FIX: &str = "remove windowsOptions.hostProcess: true (HostProcess containers run with the Windows node's privileges)";

fn run(ctx: &Ctx<'_, '_>, out: &mut Vec<Violation>) {
    let pod_hp = ctx
        .pod_sc()
        .and_then(|s| s.windows_options.as_ref())
        .and_then(|w| w.host_process);
    if pod_hp == Some(true) && ctx.pod_profile.floor_at_least(Level::Baseline) {
        ctx.on_pod(
            ID,
            "spec.securityContext.windowsOptions.hostProcess".to_owned(),
        )
        .found("true")
        .required("false or unset (baseline Pod Security Standard)")
        .fix(FIX)
        .push(out);
    }
    for c in ctx.containers() {
        let p = ctx.profile_of(&c);
        let hp = c
            .container
            .sc()
            .and_then(|s| s.windows_options.as_ref())
            .and_then(|w| w.host_process);
        if hp == Some(true) && p.floor_at_least(Level::Baseline) {
            ctx.on_container(ID, &c, p, "securityContext.windowsOptions.hostProcess")
                .found("true")
                .required("false or unset (baseline Pod Security Standard)")
                .fix(FIX)
                .push(out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{Case, floor, run_table};
    use serde_json::json;

    #[test]
    fn cases() {
        let c = |sc: serde_json::Value| json!({"name": "app", "securityContext": sc});
        run_table(
            &super::CHECK,
            &[
                Case {
                    name: "unset",
                    settings: floor("baseline"),
                    pod: json!({"containers": [c(json!({"windowsOptions": {}}))]}),
                    want: &[],
                },
                Case {
                    name: "pod",
                    settings: floor("baseline"),
                    pod: json!({"securityContext": {"windowsOptions": {"hostProcess": true}}, "containers": [c(json!({}))]}),
                    want: &["spec.securityContext.windowsOptions.hostProcess"],
                },
                Case {
                    name: "container",
                    settings: floor("baseline"),
                    pod: json!({"containers": [c(json!({"windowsOptions": {"hostProcess": true}}))]}),
                    want: &["spec.containers[0].securityContext.windowsOptions.hostProcess"],
                },
                Case {
                    name: "privileged level",
                    settings: floor("privileged"),
                    pod: json!({"containers": [c(json!({"windowsOptions": {"hostProcess": true}}))]}),
                    want: &[],
                },
            ],
        );
    }
}
