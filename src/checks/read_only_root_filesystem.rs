//! `readOnlyRootFilesystem`: with `securityContext.readOnlyRootFilesystem: true` (the default)
//! every container must set it to `true`; absent fails. Standard only.
//!
//! Common issues (docs/common-issues.md): "Permission denied writing to filesystem" → "Add emptyDir volume for
//! writable paths" (seed, Writable Directories: /tmp, /home/appuser/.cache).

use super::{Check, Ctx, Violation};

pub const ID: &str = "readOnlyRootFilesystem";
pub const CHECK: Check = Check {
    id: ID,
    standard: true,
    floor: None,
    pss: None,
    summary: "every container must set readOnlyRootFilesystem: true",
    run,
};

pub const FIX: &str = "set readOnlyRootFilesystem: true and mount an emptyDir at the paths it writes, e.g. /tmp (a service that must write its root filesystem gets an exception with readOnlyRootFilesystem: false)";

fn run(ctx: &Ctx<'_, '_>, out: &mut Vec<Violation>) {
    if ctx.pod.is_windows() {
        return;
    }
    for c in ctx.containers() {
        let p = ctx.profile_of(&c);
        let v = c.container.sc().and_then(|s| s.read_only_root_filesystem);
        if p.read_only_root_filesystem == Some(true) && v != Some(true) {
            ctx.on_container(ID, &c, p, "securityContext.readOnlyRootFilesystem")
                .found(super::show_opt_bool(v))
                .required("true")
                .fix(FIX)
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
                    name: "true",
                    settings: standard(),
                    pod: json!({"containers": [c(json!({"readOnlyRootFilesystem": true}))]}),
                    want: &[],
                },
                Case {
                    name: "false",
                    settings: standard(),
                    pod: json!({"containers": [c(json!({"readOnlyRootFilesystem": false}))]}),
                    want: &["spec.containers[0].securityContext.readOnlyRootFilesystem"],
                },
                Case {
                    name: "absent",
                    settings: standard(),
                    pod: json!({"containers": [c(json!({}))]}),
                    want: &["spec.containers[0].securityContext.readOnlyRootFilesystem"],
                },
                Case {
                    name: "second container",
                    settings: standard(),
                    pod: json!({"containers": [c(json!({"readOnlyRootFilesystem": true})), c(json!({}))]}),
                    want: &["spec.containers[1].securityContext.readOnlyRootFilesystem"],
                },
                Case {
                    name: "allowed writable",
                    settings: json!({"securityContext": {"readOnlyRootFilesystem": false}}),
                    pod: json!({"containers": [c(json!({}))]}),
                    want: &[],
                },
                Case {
                    name: "floor does not judge it",
                    settings: floor("restricted"),
                    pod: json!({"containers": [c(json!({}))]}),
                    want: &[],
                },
            ],
        );
    }
}
