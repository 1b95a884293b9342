//! `privileged` (Pod Security Standard, baseline; also the standard's
//! `securityContext.privileged`): containers must not run privileged. An exception that names
//! `privileged: true` relaxes it for the containers it covers.

use super::{Check, Ctx, Violation};
use crate::profile::{Fields, Level};

pub const ID: &str = "privileged";
pub const CHECK: Check = Check {
    id: ID,
    standard: false,
    floor: Some(Level::Baseline),
    pss: Some(super::PSS_VERSION),
    summary: "containers must not set privileged: true",
    run,
};

fn run(ctx: &Ctx<'_, '_>, out: &mut Vec<Violation>) {
    for c in ctx.containers() {
        let p = ctx.profile_of(&c);
        if c.container.sc().and_then(|s| s.privileged) != Some(true) {
            continue;
        }
        let standard = p.privileged == Some(false);
        let floor = p.floor_at_least(Level::Baseline) && !p.relaxes(Fields::PRIVILEGED);
        if standard || floor {
            ctx.on_container(ID, &c, p, "securityContext.privileged")
                .found("true")
                .required(if standard { "false" } else { "false or unset (baseline Pod Security Standard)" })
                .fix("remove privileged: true; grant the specific capability the container needs in an exception's capabilities.add instead")
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
        let c =
            |sc: serde_json::Value| json!({"name": "app", "image": "app:1", "securityContext": sc});
        run_table(
            &super::CHECK,
            &[
                Case {
                    name: "unset",
                    settings: floor("baseline"),
                    pod: json!({"containers": [c(json!({}))]}),
                    want: &[],
                },
                Case {
                    name: "false",
                    settings: floor("baseline"),
                    pod: json!({"containers": [c(json!({"privileged": false}))]}),
                    want: &[],
                },
                Case {
                    name: "true",
                    settings: floor("baseline"),
                    pod: json!({"containers": [c(json!({"privileged": true}))]}),
                    want: &["spec.containers[0].securityContext.privileged"],
                },
                Case {
                    name: "ephemeral true",
                    settings: floor("restricted"),
                    pod: json!({"containers": [c(json!({}))], "ephemeralContainers": [c(json!({"privileged": true}))]}),
                    want: &["spec.ephemeralContainers[0].securityContext.privileged"],
                },
                Case {
                    name: "privileged level",
                    settings: floor("privileged"),
                    pod: json!({"containers": [c(json!({"privileged": true}))]}),
                    want: &[],
                },
                Case {
                    name: "standard forbids it on a privileged floor",
                    settings: json!({"podSecurityStandard": "privileged", "securityContext": {"privileged": false}}),
                    pod: json!({"containers": [c(json!({"privileged": true}))]}),
                    want: &["spec.containers[0].securityContext.privileged"],
                },
            ],
        );
    }
}
