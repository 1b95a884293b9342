//! `procMount_restricted` (Pod Security Standard, restricted, v1.35+): containers must keep
//! the default /proc masks even in a user namespace (`procMount` unset or `Default`).

use super::proc_mount::check_proc_mount;
use super::{Check, Ctx, Violation};
use crate::profile::Level;

pub const ID: &str = "procMount_restricted";
pub const CHECK: Check = Check {
    id: ID,
    standard: false,
    floor: Some(Level::Restricted),
    pss: Some(super::PSS_VERSION),
    summary: "restricted: procMount must be unset or Default, user namespace or not",
    run,
};

fn run(ctx: &Ctx<'_, '_>, out: &mut Vec<Violation>) {
    check_proc_mount(ctx, out, ID, Level::Restricted);
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
                    name: "Default in a user namespace",
                    settings: floor("restricted"),
                    pod: json!({"hostUsers": false, "containers": [c("Default")]}),
                    want: &[],
                },
                Case {
                    name: "Unmasked in a user namespace",
                    settings: floor("restricted"),
                    pod: json!({"hostUsers": false, "containers": [c("Unmasked")]}),
                    want: &["spec.containers[0].securityContext.procMount"],
                },
                Case {
                    name: "baseline level",
                    settings: floor("baseline"),
                    pod: json!({"hostUsers": false, "containers": [c("Unmasked")]}),
                    want: &[],
                },
            ],
        );
    }
}
