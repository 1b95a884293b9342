//! `hostPorts` (Pod Security Standard, baseline): containers must not bind ports on the node
//! (`ports[*].hostPort` must be unset or 0).

use super::{Check, Ctx, Violation};
use crate::profile::Level;

pub const ID: &str = "hostPorts";
pub const CHECK: Check = Check {
    id: ID,
    standard: false,
    floor: Some(Level::Baseline),
    pss: Some(super::PSS_VERSION),
    summary: "baseline: hostPort must be unset or 0",
    run,
};

fn run(ctx: &Ctx<'_, '_>, out: &mut Vec<Violation>) {
    for c in ctx.containers() {
        let p = ctx.profile_of(&c);
        if !p.floor_at_least(Level::Baseline) {
            continue;
        }
        for (i, port) in c.container.ports.iter().flatten().enumerate() {
            if let Some(hp) = port.host_port.filter(|hp| *hp != 0) {
                ctx.on_container(ID, &c, p, &format!("ports[{i}].hostPort"))
                    .found(hp.to_string())
                    .required("unset or 0 (baseline Pod Security Standard)")
                    .fix("remove hostPort; expose the port through a Service instead")
                    .push(out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{Case, floor, run_table};
    use serde_json::json;

    #[test]
    fn cases() {
        run_table(
            &super::CHECK,
            &[
                Case {
                    name: "containerPort only",
                    settings: floor("baseline"),
                    pod: json!({"containers": [{"name": "a", "ports": [{"containerPort": 80}]}]}),
                    want: &[],
                },
                Case {
                    name: "hostPort 0",
                    settings: floor("baseline"),
                    pod: json!({"containers": [{"name": "a", "ports": [{"containerPort": 80, "hostPort": 0}]}]}),
                    want: &[],
                },
                Case {
                    name: "hostPort",
                    settings: floor("baseline"),
                    pod: json!({"initContainers": [{"name": "i", "ports": [{"containerPort": 1}, {"containerPort": 80, "hostPort": 8080}]}], "containers": [{"name": "a"}]}),
                    want: &["spec.initContainers[0].ports[1].hostPort"],
                },
                Case {
                    name: "privileged level",
                    settings: floor("privileged"),
                    pod: json!({"containers": [{"name": "a", "ports": [{"hostPort": 80}]}]}),
                    want: &[],
                },
            ],
        );
    }
}
