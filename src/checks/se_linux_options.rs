//! `seLinuxOptions` (Pod Security Standard, baseline): `seLinuxOptions.type` on the pod or a
//! container must be empty or one of `container_t`, `container_init_t`, `container_kvm_t`,
//! `container_engine_t` (allowed since v1.31); `user` and `role` must not be set.

use super::{Check, Ctx, Violation, quote};
use crate::profile::Level;
use crate::view::SeLinuxOptions;

pub const ID: &str = "seLinuxOptions";
pub const CHECK: Check = Check {
    id: ID,
    standard: false,
    floor: Some(Level::Baseline),
    pss: Some(super::PSS_VERSION),
    summary: "baseline: SELinux type from the container types only; no custom user or role",
    run,
};

pub const ALLOWED_TYPES: &[&str] = &[
    "",
    "container_t",
    "container_init_t",
    "container_kvm_t",
    "container_engine_t",
];

/// Returns the offending (sub-field, value) pairs.
fn bad<'x>(o: &'x SeLinuxOptions<'_>) -> Vec<(&'static str, &'x str)> {
    let mut out = Vec::new();
    if let Some(t) = o.type_.as_deref().filter(|t| !ALLOWED_TYPES.contains(t)) {
        out.push(("type", t));
    }
    if let Some(u) = o.user.as_deref().filter(|u| !u.is_empty()) {
        out.push(("user", u));
    }
    if let Some(r) = o.role.as_deref().filter(|r| !r.is_empty()) {
        out.push(("role", r));
    }
    out
}

fn required(field: &str) -> &'static str {
    if field == "type" {
        "empty, container_t, container_init_t, container_kvm_t or container_engine_t (baseline Pod Security Standard)"
    } else {
        "unset (baseline Pod Security Standard)"
    }
}

const FIX: &str = "remove the custom SELinux user, role or type; the runtime assigns container_t";

fn run(ctx: &Ctx<'_, '_>, out: &mut Vec<Violation>) {
    if ctx.pod_profile.floor_at_least(Level::Baseline)
        && let Some(o) = ctx.pod_sc().and_then(|s| s.se_linux_options.as_ref())
    {
        for (f, v) in bad(o) {
            ctx.on_pod(ID, format!("spec.securityContext.seLinuxOptions.{f}"))
                .found(quote(v))
                .required(required(f))
                .fix(FIX)
                .push(out);
        }
    }
    for c in ctx.containers() {
        let p = ctx.profile_of(&c);
        if !p.floor_at_least(Level::Baseline) {
            continue;
        }
        if let Some(o) = c.container.sc().and_then(|s| s.se_linux_options.as_ref()) {
            for (f, v) in bad(o) {
                ctx.on_container(ID, &c, p, &format!("securityContext.seLinuxOptions.{f}"))
                    .found(quote(v))
                    .required(required(f))
                    .fix(FIX)
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
        let c =
            |o: serde_json::Value| json!({"name": "app", "securityContext": {"seLinuxOptions": o}});
        run_table(
            &super::CHECK,
            &[
                Case {
                    name: "empty",
                    settings: floor("baseline"),
                    pod: json!({"securityContext": {"seLinuxOptions": {}}, "containers": [c(json!({}))]}),
                    want: &[],
                },
                Case {
                    name: "allowed types and level",
                    settings: floor("baseline"),
                    pod: json!({"securityContext": {"seLinuxOptions": {"type": "container_t"}}, "containers": [c(json!({"type": "container_init_t", "level": "s0:c1"}))]}),
                    want: &[],
                },
                Case {
                    name: "pod type",
                    settings: floor("baseline"),
                    pod: json!({"securityContext": {"seLinuxOptions": {"type": "spc_t"}}, "containers": [c(json!({}))]}),
                    want: &["spec.securityContext.seLinuxOptions.type"],
                },
                Case {
                    name: "container user and role",
                    settings: floor("baseline"),
                    pod: json!({"containers": [c(json!({"user": "u", "role": "r"}))]}),
                    want: &[
                        "spec.containers[0].securityContext.seLinuxOptions.role",
                        "spec.containers[0].securityContext.seLinuxOptions.user",
                    ],
                },
                Case {
                    name: "privileged level",
                    settings: floor("privileged"),
                    pod: json!({"containers": [c(json!({"type": "spc_t"}))]}),
                    want: &[],
                },
            ],
        );
    }
}
