//! `hostPathVolumes` (Pod Security Standard, baseline): hostPath volumes give access to the
//! node's filesystem and are forbidden.

use super::{Check, Ctx, Violation, quote};
use crate::profile::Level;

pub const ID: &str = "hostPathVolumes";
pub const CHECK: Check = Check {
    id: ID,
    standard: false,
    floor: Some(Level::Baseline),
    pss: Some(super::PSS_VERSION),
    summary: "baseline: no hostPath volumes",
    run,
};

fn run(ctx: &Ctx<'_, '_>, out: &mut Vec<Violation>) {
    if !ctx.pod_profile.floor_at_least(Level::Baseline) {
        return;
    }
    for (i, v) in ctx.pod.volumes.iter().flatten().enumerate() {
        if let Some(path) = &v.host_path {
            ctx.on_pod(ID, format!("spec.volumes[{i}].hostPath"))
                .found(format!("volume {} mounts host path {}", quote(&v.name), quote(path)))
                .required("no hostPath volumes (baseline Pod Security Standard)")
                .fix("use an emptyDir, configMap, secret or persistentVolumeClaim volume instead of hostPath")
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
                    name: "emptyDir",
                    settings: floor("baseline"),
                    pod: json!({"containers": [c], "volumes": [{"name": "a", "emptyDir": {}}]}),
                    want: &[],
                },
                Case {
                    name: "hostPath",
                    settings: floor("baseline"),
                    pod: json!({"containers": [c], "volumes": [{"name": "a", "emptyDir": {}}, {"name": "h", "hostPath": {"path": "/var/run/docker.sock"}}]}),
                    want: &["spec.volumes[1].hostPath"],
                },
                Case {
                    name: "privileged level",
                    settings: floor("privileged"),
                    pod: json!({"containers": [c], "volumes": [{"name": "h", "hostPath": {"path": "/"}}]}),
                    want: &[],
                },
            ],
        );
    }
}
