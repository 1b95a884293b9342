//! `capabilities_baseline` (Pod Security Standard, baseline): containers may add only the
//! capabilities of the default container runtime set: AUDIT_WRITE, CHOWN, DAC_OVERRIDE,
//! FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID,
//! SYS_CHROOT (exact, upper-case names). An exception's `capabilities.add` allows what it
//! lists.

use super::{Check, Ctx, Violation};
use crate::profile::Level;

pub const ID: &str = "capabilities_baseline";
pub const CHECK: Check = Check {
    id: ID,
    standard: false,
    floor: Some(Level::Baseline),
    pss: Some(super::PSS_VERSION),
    summary: "baseline: capabilities.add only from the runtime's default set",
    run,
};

pub const ALLOWED: &[&str] = &[
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

fn run(ctx: &Ctx<'_, '_>, out: &mut Vec<Violation>) {
    for c in ctx.containers() {
        let p = ctx.profile_of(&c);
        if !p.floor_at_least(Level::Baseline) {
            continue;
        }
        let added = c
            .container
            .sc()
            .and_then(|s| s.capabilities.as_ref())
            .and_then(|c| c.add.as_deref())
            .unwrap_or(&[]);
        let bad: Vec<&str> = added
            .iter()
            .map(|a| a.as_ref())
            .filter(|a| !ALLOWED.contains(a) && !p.explicitly_allows_cap(a))
            .collect();
        if !bad.is_empty() {
            ctx.on_container(ID, &c, p, "securityContext.capabilities.add")
                .found(format!("[{}]", bad.join(", ")))
                .required(format!("only {} (baseline Pod Security Standard)", ALLOWED.join(", ")))
                .fix(format!("remove {} from capabilities.add, or allow it in capabilities.add of a namespace-scoped exception for this service", bad.join(", ")))
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
        let c = |add: serde_json::Value| json!({"name": "app", "image": "app:1", "securityContext": {"capabilities": {"add": add}}});
        run_table(
            &super::CHECK,
            &[
                Case {
                    name: "default set",
                    settings: floor("baseline"),
                    pod: json!({"containers": [c(json!(["CHOWN", "NET_BIND_SERVICE", "SYS_CHROOT"]))]}),
                    want: &[],
                },
                Case {
                    name: "NET_RAW",
                    settings: floor("baseline"),
                    pod: json!({"containers": [c(json!(["NET_RAW"]))]}),
                    want: &["spec.containers[0].securityContext.capabilities.add"],
                },
                Case {
                    name: "lower case",
                    settings: floor("baseline"),
                    pod: json!({"containers": [c(json!(["chown"]))]}),
                    want: &["spec.containers[0].securityContext.capabilities.add"],
                },
                Case {
                    name: "CAP_ prefix",
                    settings: floor("baseline"),
                    pod: json!({"containers": [c(json!(["CAP_CHOWN"]))]}),
                    want: &["spec.containers[0].securityContext.capabilities.add"],
                },
                Case {
                    name: "privileged level",
                    settings: floor("privileged"),
                    pod: json!({"containers": [c(json!(["SYS_ADMIN"]))]}),
                    want: &[],
                },
            ],
        );
    }
}
