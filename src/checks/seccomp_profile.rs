//! `seccompProfile`: the seccomp profile containers run with (standard). The effective
//! `seccompProfile.type` (container over pod) must be one of
//! `podSecurityContext.seccompProfile.type` (default `RuntimeDefault`); absent fails.
//! The floor's rules are the upstream checks `seccompProfile_baseline` and
//! `seccompProfile_restricted`.

use super::{Check, Ctx, Scope, Violation, demand, judge_inheritable, quote};
use crate::profile::Profile;

pub const ID: &str = "seccompProfile";
pub const CHECK: Check = Check {
    id: ID,
    standard: true,
    floor: None,
    pss: None,
    summary: "the effective seccompProfile.type must be one the profile accepts (default RuntimeDefault)",
    run,
};

/// The effective type as written: a `seccompProfile` object without `type` reads as "".
pub fn pod_type<'p>(ctx: &Ctx<'p, '_>) -> Option<&'p str> {
    ctx.pod_sc()
        .and_then(|s| s.seccomp_profile.as_ref())
        .map(|p| p.type_.as_deref().unwrap_or(""))
}

pub fn container_type<'p>(c: &crate::view::ContainerRef<'p, '_>) -> Option<&'p str> {
    c.container
        .sc()
        .and_then(|s| s.seccomp_profile.as_ref())
        .map(|p| p.type_.as_deref().unwrap_or(""))
}

fn run(ctx: &Ctx<'_, '_>, out: &mut Vec<Violation>) {
    if ctx.pod.is_windows() {
        return;
    }
    judge_inheritable(
        ctx,
        out,
        ID,
        "securityContext.seccompProfile.type",
        pod_type(ctx),
        container_type,
        quote,
        |p: &Profile, v: Option<&str>, scope| {
            let types = p.seccomp_types.as_ref()?;
            if scope == (Scope::Pod { inherited: false })
                || v.is_some_and(|v| types.iter().any(|t| t == v))
            {
                return None;
            }
            demand(
                if types.len() == 1 {
                    types.join("")
                } else {
                    format!("one of {}", types.join(", "))
                },
                format!(
                    "set seccompProfile: {{type: {}}} in the pod's securityContext",
                    types.first().map_or("RuntimeDefault", String::as_str)
                ),
            )
        },
    );
}

#[cfg(test)]
mod tests {
    use super::super::testing::{Case, floor, run_table, standard};
    use serde_json::json;

    #[test]
    fn cases() {
        let c =
            |sc: serde_json::Value| json!({"name": "app", "image": "app:1", "securityContext": sc});
        let rd = json!({"type": "RuntimeDefault"});
        run_table(
            &super::CHECK,
            &[
                Case {
                    name: "pod RuntimeDefault",
                    settings: standard(),
                    pod: json!({"securityContext": {"seccompProfile": rd}, "containers": [c(json!({}))]}),
                    want: &[],
                },
                Case {
                    name: "absent",
                    settings: standard(),
                    pod: json!({"containers": [c(json!({}))]}),
                    want: &["spec.containers[0].securityContext.seccompProfile.type"],
                },
                Case {
                    name: "container Unconfined",
                    settings: standard(),
                    pod: json!({"securityContext": {"seccompProfile": rd}, "containers": [c(json!({"seccompProfile": {"type": "Unconfined"}}))]}),
                    want: &["spec.containers[0].securityContext.seccompProfile.type"],
                },
                Case {
                    name: "Localhost not accepted by default",
                    settings: standard(),
                    pod: json!({"securityContext": {"seccompProfile": {"type": "Localhost", "localhostProfile": "p.json"}}, "containers": [c(json!({}))]}),
                    want: &["spec.securityContext.seccompProfile.type"],
                },
                Case {
                    name: "list of types",
                    settings: json!({"podSecurityContext": {"seccompProfile": {"type": ["RuntimeDefault", "Localhost"]}}}),
                    pod: json!({"securityContext": {"seccompProfile": {"type": "Localhost", "localhostProfile": "p.json"}}, "containers": [c(json!({}))]}),
                    want: &[],
                },
                Case {
                    name: "object without type",
                    settings: standard(),
                    pod: json!({"securityContext": {"seccompProfile": {}}, "containers": [c(json!({}))]}),
                    want: &["spec.securityContext.seccompProfile.type"],
                },
                Case {
                    name: "floor settings do not use the standard",
                    settings: floor("restricted"),
                    pod: json!({"containers": [c(json!({}))]}),
                    want: &[],
                },
            ],
        );
    }
}
