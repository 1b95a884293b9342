//! `capabilities_restricted` (Pod Security Standard, restricted): every container must drop
//! `ALL` and may add only `NET_BIND_SERVICE`. Windows pods are exempt. An exception that names
//! `capabilities.drop` relaxes the drop rule; one that names `capabilities.add` allows what it
//! lists.

use super::{Check, Ctx, Violation};
use crate::profile::{Fields, Level};

pub const ID: &str = "capabilities_restricted";
pub const CHECK: Check = Check {
    id: ID,
    standard: false,
    floor: Some(Level::Restricted),
    pss: Some(super::PSS_VERSION),
    summary: "restricted: drop ALL, add only NET_BIND_SERVICE",
    run,
};

fn run(ctx: &Ctx<'_, '_>, out: &mut Vec<Violation>) {
    if ctx.pod.is_windows() {
        return;
    }
    for c in ctx.containers() {
        let p = ctx.profile_of(&c);
        if !p.floor_at_least(Level::Restricted) {
            continue;
        }
        let caps = c.container.sc().and_then(|s| s.capabilities.as_ref());
        let dropped = caps.and_then(|c| c.drop.as_deref()).unwrap_or(&[]);
        if !p.relaxes(Fields::CAPS_DROP) && !dropped.iter().any(|d| d == "ALL") {
            let found = super::show_caps(dropped);
            ctx.on_container(ID, &c, p, "securityContext.capabilities.drop")
                .found(found)
                .required("to include ALL (restricted Pod Security Standard)")
                .fix(super::capabilities::DROP_FIX)
                .push(out);
        }
        let added = caps.and_then(|c| c.add.as_deref()).unwrap_or(&[]);
        let bad: Vec<&str> = added
            .iter()
            .map(|a| a.as_ref())
            .filter(|a| *a != "NET_BIND_SERVICE" && !p.explicitly_allows_cap(a))
            .collect();
        if !bad.is_empty() {
            ctx.on_container(ID, &c, p, "securityContext.capabilities.add")
                .found(format!("[{}]", bad.join(", ")))
                .required("only NET_BIND_SERVICE (restricted Pod Security Standard)")
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
        let c = |caps: serde_json::Value| json!({"name": "app", "securityContext": {"capabilities": caps}});
        run_table(
            &super::CHECK,
            &[
                Case {
                    name: "drop ALL add NET_BIND_SERVICE",
                    settings: floor("restricted"),
                    pod: json!({"containers": [c(json!({"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}))]}),
                    want: &[],
                },
                Case {
                    name: "no drop",
                    settings: floor("restricted"),
                    pod: json!({"containers": [{"name": "a"}]}),
                    want: &["spec.containers[0].securityContext.capabilities.drop"],
                },
                Case {
                    name: "adds CHOWN",
                    settings: floor("restricted"),
                    pod: json!({"containers": [c(json!({"drop": ["ALL"], "add": ["CHOWN"]}))]}),
                    want: &["spec.containers[0].securityContext.capabilities.add"],
                },
                Case {
                    name: "windows exempt",
                    settings: floor("restricted"),
                    pod: json!({"os": {"name": "windows"}, "containers": [{"name": "a"}]}),
                    want: &[],
                },
                Case {
                    name: "baseline level",
                    settings: floor("baseline"),
                    pod: json!({"containers": [{"name": "a"}]}),
                    want: &[],
                },
            ],
        );
    }
}
