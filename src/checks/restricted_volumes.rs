//! `restrictedVolumes` (Pod Security Standard, restricted): only configMap, csi, downwardAPI,
//! emptyDir, ephemeral, image, persistentVolumeClaim, projected and secret volumes. A volume with no
//! source at all counts as emptyDir (the API server defaults it before admission); a source
//! this policy does not know fails closed.

use super::{Check, Ctx, Violation, quote};
use crate::profile::Level;

pub const ID: &str = "restrictedVolumes";
pub const CHECK: Check = Check {
    id: ID,
    standard: false,
    floor: Some(Level::Restricted),
    pss: Some(super::PSS_VERSION),
    summary: "restricted: only configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected and secret volumes",
    run,
};

fn run(ctx: &Ctx<'_, '_>, out: &mut Vec<Violation>) {
    if !ctx.pod_profile.floor_at_least(Level::Restricted) {
        return;
    }
    for (i, v) in ctx.pod.volumes.iter().flatten().enumerate() {
        if let Some(source) = &v.restricted_source {
            ctx.on_pod(ID, format!("spec.volumes[{i}].{source}"))
                .found(format!("volume {} of type {source}", quote(&v.name)))
                .required("configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected or secret (restricted Pod Security Standard)")
                .fix("use a persistentVolumeClaim (backed by a PersistentVolume of that type) or an emptyDir instead")
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
                    name: "allowed kinds and a sourceless volume",
                    settings: floor("restricted"),
                    pod: json!({"containers": [c], "volumes": [{"name": "a"}, {"name": "b", "emptyDir": {}}, {"name": "c", "secret": {"secretName": "s"}}, {"name": "d", "projected": {"sources": []}}, {"name": "e", "csi": {"driver": "x"}}, {"name": "f", "ephemeral": {}}, {"name": "g", "image": {"reference": "registry.io/data:1"}}]}),
                    want: &[],
                },
                Case {
                    name: "nfs",
                    settings: floor("restricted"),
                    pod: json!({"containers": [c], "volumes": [{"name": "n", "nfs": {"server": "s", "path": "/"}}]}),
                    want: &["spec.volumes[0].nfs"],
                },
                Case {
                    name: "hostPath",
                    settings: floor("restricted"),
                    pod: json!({"containers": [c], "volumes": [{"name": "h", "hostPath": {"path": "/"}}]}),
                    want: &["spec.volumes[0].hostPath"],
                },
                Case {
                    name: "unknown source fails closed",
                    settings: floor("restricted"),
                    pod: json!({"containers": [c], "volumes": [{"name": "x", "futureVolume": {}}]}),
                    want: &["spec.volumes[0].futureVolume"],
                },
                Case {
                    name: "baseline level",
                    settings: floor("baseline"),
                    pod: json!({"containers": [c], "volumes": [{"name": "n", "nfs": {}}]}),
                    want: &[],
                },
            ],
        );
    }
}
