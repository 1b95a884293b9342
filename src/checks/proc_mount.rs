//! `procMount` (Pod Security Standard, baseline): containers must keep the default /proc
//! masks (`procMount` unset or `Default`). Pods in a user namespace (`hostUsers: false`) may
//! set `Unmasked` at baseline (since v1.35); restricted forbids it always (`procMount_restricted`).

use super::{Check, Ctx, Violation, quote};
use crate::profile::Level;

pub const ID: &str = "procMount";
pub const CHECK: Check = Check {
    id: ID,
    standard: false,
    floor: Some(Level::Baseline),
    pss: Some(super::PSS_VERSION),
    summary: "baseline: procMount must be unset or Default (unless hostUsers: false)",
    run,
};

pub fn check_proc_mount(
    ctx: &Ctx<'_, '_>,
    out: &mut Vec<Violation>,
    id: &'static str,
    level: Level,
) {
    for c in ctx.containers() {
        let p = ctx.profile_of(&c);
        if !p.floor_at_least(level) {
            continue;
        }
        if let Some(pm) = c
            .container
            .sc()
            .and_then(|s| s.proc_mount.as_deref())
            .filter(|pm| *pm != "Default")
        {
            ctx.on_container(id, &c, p, "securityContext.procMount")
                .found(quote(pm))
                .required(format!(
                    "unset or \"Default\" ({} Pod Security Standard)",
                    level.as_str()
                ))
                .fix("remove procMount (or set it to Default) to keep /proc masked")
                .push(out);
        }
    }
}

fn run(ctx: &Ctx<'_, '_>, out: &mut Vec<Violation>) {
    if ctx.pod.in_user_namespace() {
        return;
    }
    check_proc_mount(ctx, out, ID, Level::Baseline);
}

#[cfg(test)]
mod tests {
    use super::super::testing::{Case, floor, run_table};
    use serde_json::json;

    #[test]
    fn cases() {
        let c = |pm: &str| json!({"name": "app", "securityContext": {"procMount": pm}});
        run_table(
            &super::CHECK,
            &[
                Case {
                    name: "Default",
                    settings: floor("baseline"),
                    pod: json!({"containers": [c("Default")]}),
                    want: &[],
                },
                Case {
                    name: "Unmasked",
                    settings: floor("baseline"),
                    pod: json!({"containers": [c("Unmasked")]}),
                    want: &["spec.containers[0].securityContext.procMount"],
                },
                Case {
                    name: "Unmasked in a user namespace",
                    settings: floor("baseline"),
                    pod: json!({"hostUsers": false, "containers": [c("Unmasked")]}),
                    want: &[],
                },
                Case {
                    name: "privileged level",
                    settings: floor("privileged"),
                    pod: json!({"containers": [c("Unmasked")]}),
                    want: &[],
                },
            ],
        );
    }
}
