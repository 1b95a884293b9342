//! `sysctls` (Pod Security Standard, baseline): only sysctls that are namespaced and isolated
//! from other pods may be set (`spec.securityContext.sysctls[*].name`). The allowed set is the
//! one of the latest published version (v1.37).

use super::{Check, Ctx, Violation, quote};
use crate::profile::Level;

pub const ID: &str = "sysctls";
pub const CHECK: Check = Check {
    id: ID,
    standard: false,
    floor: Some(Level::Baseline),
    pss: Some(super::PSS_VERSION),
    summary: "baseline: only the safe, namespaced sysctls",
    run,
};

pub const ALLOWED: &[&str] = &[
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_unprivileged_port_start",
    // v1.27
    "net.ipv4.ip_local_reserved_ports",
    // v1.29
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
    // v1.32
    "net.ipv4.tcp_rmem",
    "net.ipv4.tcp_wmem",
    // v1.34
    "net.ipv4.tcp_slow_start_after_idle",
    "net.ipv4.tcp_notsent_lowat",
];

fn run(ctx: &Ctx<'_, '_>, out: &mut Vec<Violation>) {
    if !ctx.pod_profile.floor_at_least(Level::Baseline) {
        return;
    }
    let sysctls = ctx
        .pod_sc()
        .and_then(|s| s.sysctls.as_deref())
        .unwrap_or(&[]);
    for (i, s) in sysctls.iter().enumerate() {
        if !ALLOWED.contains(&s.name.as_ref()) {
            ctx.on_pod(ID, format!("spec.securityContext.sysctls[{i}].name"))
                .found(quote(&s.name))
                .required("a safe, namespaced sysctl (baseline Pod Security Standard)")
                .fix("remove the sysctl; node-wide kernel settings belong in the node's configuration")
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
        let c = json!({"name": "app"});
        run_table(
            &super::CHECK,
            &[
                Case {
                    name: "none",
                    settings: floor("baseline"),
                    pod: json!({"securityContext": {}, "containers": [c]}),
                    want: &[],
                },
                Case {
                    name: "safe ones",
                    settings: floor("baseline"),
                    pod: json!({"securityContext": {"sysctls": [{"name": "net.ipv4.tcp_syncookies", "value": "1"}, {"name": "net.ipv4.tcp_notsent_lowat", "value": "16384"}]}, "containers": [c]}),
                    want: &[],
                },
                Case {
                    name: "unsafe",
                    settings: floor("baseline"),
                    pod: json!({"securityContext": {"sysctls": [{"name": "kernel.msgmax", "value": "1"}]}, "containers": [c]}),
                    want: &["spec.securityContext.sysctls[0].name"],
                },
                Case {
                    name: "privileged level",
                    settings: floor("privileged"),
                    pod: json!({"securityContext": {"sysctls": [{"name": "kernel.msgmax"}]}, "containers": [c]}),
                    want: &[],
                },
            ],
        );
    }
}
