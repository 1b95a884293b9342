//! `hostProbesAndHostLifecycle` (Pod Security Standard, baseline, v1.34+): probes and
//! lifecycle handlers must not set `httpGet.host` or `tcpSocket.host` (they would let the
//! kubelet reach arbitrary hosts on the pod's behalf).

use super::{Check, Ctx, Violation, quote};
use crate::profile::Level;
use crate::view::Handler;

pub const ID: &str = "hostProbesAndHostLifecycle";
pub const CHECK: Check = Check {
    id: ID,
    standard: false,
    floor: Some(Level::Baseline),
    pss: Some(super::PSS_VERSION),
    summary: "baseline: probes and lifecycle handlers must not set host",
    run,
};

fn run(ctx: &Ctx<'_, '_>, out: &mut Vec<Violation>) {
    for c in ctx.containers() {
        let p = ctx.profile_of(&c);
        if !p.floor_at_least(Level::Baseline) {
            continue;
        }
        let k = c.container;
        let lc = k.lifecycle.as_ref();
        let handlers: [(&str, Option<&Handler>); 5] = [
            ("livenessProbe", k.liveness_probe.as_ref()),
            ("readinessProbe", k.readiness_probe.as_ref()),
            ("startupProbe", k.startup_probe.as_ref()),
            (
                "lifecycle.postStart",
                lc.and_then(|l| l.post_start.as_ref()),
            ),
            ("lifecycle.preStop", lc.and_then(|l| l.pre_stop.as_ref())),
        ];
        for (name, h) in handlers {
            let Some(h) = h else { continue };
            for (kind, field) in [("httpGet", &h.http_get), ("tcpSocket", &h.tcp_socket)] {
                if let Some(host) = field
                    .as_ref()
                    .and_then(|f| f.host.as_deref())
                    .filter(|h| !h.is_empty())
                {
                    ctx.on_container(ID, &c, p, &format!("{name}.{kind}.host"))
                        .found(quote(host))
                        .required("unset or empty (baseline Pod Security Standard)")
                        .fix("remove host; probes and handlers reach the pod's own IP")
                        .push(out);
                }
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
                    name: "no host",
                    settings: floor("baseline"),
                    pod: json!({"containers": [{"name": "a", "livenessProbe": {"httpGet": {"port": 80}}}]}),
                    want: &[],
                },
                Case {
                    name: "empty host",
                    settings: floor("baseline"),
                    pod: json!({"containers": [{"name": "a", "readinessProbe": {"tcpSocket": {"port": 80, "host": ""}}}]}),
                    want: &[],
                },
                Case {
                    name: "liveness host",
                    settings: floor("baseline"),
                    pod: json!({"containers": [{"name": "a", "livenessProbe": {"httpGet": {"host": "1.2.3.4", "port": 80}}}]}),
                    want: &["spec.containers[0].livenessProbe.httpGet.host"],
                },
                Case {
                    name: "startup tcp host",
                    settings: floor("baseline"),
                    pod: json!({"containers": [{"name": "a", "startupProbe": {"tcpSocket": {"host": "x", "port": 80}}}]}),
                    want: &["spec.containers[0].startupProbe.tcpSocket.host"],
                },
                Case {
                    name: "lifecycle hosts",
                    settings: floor("baseline"),
                    pod: json!({"containers": [{"name": "a", "lifecycle": {"postStart": {"httpGet": {"host": "x", "port": 1}}, "preStop": {"tcpSocket": {"host": "y", "port": 1}}}}]}),
                    want: &[
                        "spec.containers[0].lifecycle.postStart.httpGet.host",
                        "spec.containers[0].lifecycle.preStop.tcpSocket.host",
                    ],
                },
                Case {
                    name: "privileged level",
                    settings: floor("privileged"),
                    pod: json!({"containers": [{"name": "a", "livenessProbe": {"httpGet": {"host": "x"}}}]}),
                    want: &[],
                },
            ],
        );
    }
}
