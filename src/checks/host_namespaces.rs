//! `hostNamespaces` (Pod Security Standard, baseline): sharing the host's network, PID or IPC
//! namespace (`hostNetwork`, `hostPID`, `hostIPC`) is forbidden. Pod level.

use super::{Check, Ctx, Violation};
use crate::profile::Level;

pub const ID: &str = "hostNamespaces";
pub const CHECK: Check = Check {
    id: ID,
    standard: false,
    floor: Some(Level::Baseline),
    pss: Some(super::PSS_VERSION),
    summary: "baseline: hostNetwork, hostPID and hostIPC must not be true",
    run,
};

fn run(ctx: &Ctx<'_, '_>, out: &mut Vec<Violation>) {
    if !ctx.pod_profile.floor_at_least(Level::Baseline) {
        return;
    }
    for (field, v) in [
        ("hostNetwork", ctx.pod.host_network),
        ("hostPID", ctx.pod.host_pid),
        ("hostIPC", ctx.pod.host_ipc),
    ] {
        if v == Some(true) {
            ctx.on_pod(ID, format!("spec.{field}"))
                .found("true")
                .required("false or unset (baseline Pod Security Standard)")
                .fix(format!(
                    "remove {field}: true; the pod must not share the node's namespaces"
                ))
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
        let c = json!({"name": "app"});
        run_table(
            &super::CHECK,
            &[
                Case {
                    name: "none",
                    settings: floor("baseline"),
                    pod: json!({"hostNetwork": false, "containers": [c]}),
                    want: &[],
                },
                Case {
                    name: "all three",
                    settings: floor("baseline"),
                    pod: json!({"hostNetwork": true, "hostPID": true, "hostIPC": true, "containers": [c]}),
                    want: &["spec.hostIPC", "spec.hostNetwork", "spec.hostPID"],
                },
                Case {
                    name: "privileged level",
                    settings: floor("privileged"),
                    pod: json!({"hostNetwork": true, "containers": [c]}),
                    want: &[],
                },
            ],
        );
    }
}
