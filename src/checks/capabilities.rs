//! `capabilities`: Linux capabilities (standard).
//!
//! - Every name in `securityContext.capabilities.drop` (default `[ALL]`) must be dropped by
//!   every container; `ALL` counts only written literally, upper case.
//! - A container may add only what `securityContext.capabilities.add` lists (default nothing).
//!
//! The floor's rules are the upstream checks `capabilities_baseline` and
//! `capabilities_restricted`. Common issues (docs/common-issues.md): "Operation not permitted" → "Add required
//! capability to capabilities.add".

use super::{Check, Ctx, Violation};

pub const ID: &str = "capabilities";
pub const CHECK: Check = Check {
    id: ID,
    standard: true,
    floor: None,
    pss: None,
    summary: "containers must drop the profile's capabilities (default ALL) and add only those it allows (default none)",
    run,
};

pub const DROP_FIX: &str = "add ALL to capabilities.drop; if the process then fails with \"Operation not permitted\", add the capability it needs to capabilities.add in an exception for this service";

/// Whether a dropped-list entry drops `cap` (`ALL` literally, or the name with or without `CAP_`).
fn drops(dropped: &[crate::view::Str<'_>], cap: &str) -> bool {
    dropped
        .iter()
        .any(|d| d == "ALL" || d == cap || d.strip_prefix("CAP_") == Some(cap))
}

fn run(ctx: &Ctx<'_, '_>, out: &mut Vec<Violation>) {
    if ctx.pod.is_windows() {
        return;
    }
    for c in ctx.containers() {
        let p = ctx.profile_of(&c);
        let caps = c.container.sc().and_then(|s| s.capabilities.as_ref());
        if let Some(required) = &p.caps_drop {
            let dropped = caps.and_then(|c| c.drop.as_deref()).unwrap_or(&[]);
            let missing: Vec<&str> = required
                .iter()
                .map(String::as_str)
                .filter(|r| !drops(dropped, r))
                .collect();
            if !missing.is_empty() {
                let found = super::show_caps(dropped);
                ctx.on_container(ID, &c, p, "securityContext.capabilities.drop")
                    .found(found)
                    .required(format!("to include {}", required.join(", ")))
                    .fix(DROP_FIX)
                    .push(out);
            }
        }
        if let Some(allowed) = &p.caps_add {
            let added = caps.and_then(|c| c.add.as_deref()).unwrap_or(&[]);
            let extra: Vec<&str> = added
                .iter()
                .map(|a| a.as_ref())
                .filter(|a| !allowed.iter().any(|x| x == a))
                .collect();
            if !extra.is_empty() {
                let required = if allowed.is_empty() {
                    "no added capabilities".to_owned()
                } else {
                    format!("only {}", allowed.join(", "))
                };
                ctx.on_container(ID, &c, p, "securityContext.capabilities.add")
                    .found(format!("[{}]", extra.join(", ")))
                    .required(required)
                    .fix(format!("remove {} from capabilities.add; if the service really needs it (\"Operation not permitted\" without it), add it to capabilities.add in an exception for this service", extra.join(", ")))
                    .push(out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{Case, floor, run_table, standard};
    use serde_json::json;

    #[test]
    fn cases() {
        let c = |caps: serde_json::Value| json!({"name": "app", "image": "app:1", "securityContext": {"capabilities": caps}});
        run_table(
            &super::CHECK,
            &[
                Case {
                    name: "drop ALL",
                    settings: standard(),
                    pod: json!({"containers": [c(json!({"drop": ["ALL"]}))]}),
                    want: &[],
                },
                Case {
                    name: "nothing dropped",
                    settings: standard(),
                    pod: json!({"containers": [{"name": "app"}]}),
                    want: &["spec.containers[0].securityContext.capabilities.drop"],
                },
                Case {
                    name: "lower-case all does not count",
                    settings: standard(),
                    pod: json!({"containers": [c(json!({"drop": ["all"]}))]}),
                    want: &["spec.containers[0].securityContext.capabilities.drop"],
                },
                Case {
                    name: "added capability",
                    settings: standard(),
                    pod: json!({"containers": [c(json!({"drop": ["ALL"], "add": ["NET_ADMIN"]}))]}),
                    want: &["spec.containers[0].securityContext.capabilities.add"],
                },
                Case {
                    name: "allowed add",
                    settings: json!({"securityContext": {"capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}}}),
                    pod: json!({"containers": [c(json!({"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}))]}),
                    want: &[],
                },
                Case {
                    name: "specific drop satisfied by name",
                    settings: json!({"securityContext": {"capabilities": {"drop": ["NET_RAW"]}}}),
                    pod: json!({"containers": [c(json!({"drop": ["CAP_NET_RAW"]}))]}),
                    want: &[],
                },
                Case {
                    name: "add not enforced when left out",
                    settings: json!({"securityContext": {"capabilities": {"drop": ["ALL"]}}}),
                    pod: json!({"containers": [c(json!({"drop": ["ALL"], "add": ["SYS_TIME"]}))]}),
                    want: &[],
                },
                Case {
                    name: "floor settings do not use the standard",
                    settings: floor("restricted"),
                    pod: json!({"containers": [{"name": "app"}]}),
                    want: &[],
                },
            ],
        );
    }
}
