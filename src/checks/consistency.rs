//! `consistency`: combinations the kubelet refuses, or that betray a Helm values leak.
//!
//! - `runAsNonRoot: true` with an effective `runAsUser: 0` never starts: the kubelet reports
//!   `CreateContainerConfigError: container has runAsNonRoot and image will run as root`.
//!   Rejected here, before the pod is scheduled.
//! - `runAsUser: 0` with a non-root `runAsGroup` (e.g. 1000) is what Helm's deep merge leaves
//!   when an override sets only `runAsUser: 0` over a base that sets `runAsGroup: 1000` (seed,
//!   Helm Deep Merge Considerations). It runs, so it draws a warning, not a denial.

use super::{Check, Ctx, Violation};

pub const ID: &str = "consistency";
pub const CHECK: Check = Check {
    id: ID,
    standard: true,
    floor: None,
    pss: None,
    summary: "runAsNonRoot: true with runAsUser: 0 is refused by the kubelet; root user with a non-root group warns of a Helm deep-merge leak",
    run,
};

pub const KUBELET_ERROR: &str =
    "CreateContainerConfigError: container has runAsNonRoot and image will run as root";

fn run(ctx: &Ctx<'_, '_>, out: &mut Vec<Violation>) {
    let pod = ctx.pod_sc();
    let pod_user = pod.and_then(|s| s.run_as_user);
    let pod_group = pod.and_then(|s| s.run_as_group);
    let pod_non_root = pod.and_then(|s| s.run_as_non_root);
    let (mut pod_refused, mut pod_leak) = (false, false);
    for c in ctx.containers() {
        let sc = c.container.sc();
        let own_user = sc.and_then(|s| s.run_as_user);
        let own_group = sc.and_then(|s| s.run_as_group);
        let own_non_root = sc.and_then(|s| s.run_as_non_root);
        let user = own_user.or(pod_user);
        let group = own_group.or(pod_group);
        let non_root = own_non_root.or(pod_non_root);
        let all_inherited = own_user.is_none() && own_non_root.is_none();
        let p = ctx.profile_of(&c);
        if non_root == Some(true) && user == Some(0) {
            if all_inherited {
                pod_refused = true;
            } else {
                let field = if own_user.is_some() {
                    "securityContext.runAsUser"
                } else {
                    "securityContext.runAsNonRoot"
                };
                ctx.on_container(ID, &c, p, field)
                    .found("runAsNonRoot: true with runAsUser: 0")
                    .required(format!(
                        "a non-root runAsUser; the kubelet would fail the pod with {KUBELET_ERROR}"
                    ))
                    .fix(REFUSED_FIX)
                    .push(out);
            }
        }
        if user == Some(0) && group.is_some_and(|g| g != 0) {
            if own_user.is_none() && own_group.is_none() {
                pod_leak = true;
            } else {
                ctx.on_container(ID, &c, p, "securityContext.runAsGroup")
                    .found(format!(
                        "runAsUser: 0 with runAsGroup: {}",
                        group.unwrap_or_default()
                    ))
                    .required("both overridden together")
                    .fix(LEAK_FIX)
                    .warning()
                    .push(out);
            }
        }
    }
    if pod_refused {
        ctx.on_pod(ID, "spec.securityContext.runAsUser".to_owned())
            .found("runAsNonRoot: true with runAsUser: 0")
            .required(format!(
                "a non-root runAsUser; the kubelet would fail the pod with {KUBELET_ERROR}"
            ))
            .fix(REFUSED_FIX)
            .push(out);
    }
    if pod_leak {
        ctx.on_pod(ID, "spec.securityContext.runAsGroup".to_owned())
            .found(format!(
                "runAsUser: 0 with runAsGroup: {}",
                pod_group.unwrap_or_default()
            ))
            .required("both overridden together")
            .fix(LEAK_FIX)
            .warning()
            .push(out);
    }
}

pub const REFUSED_FIX: &str = "rebuild the image to run as a non-root user and set that runAsUser, or, if the image really requires root, set runAsNonRoot: false with runAsUser: 0 in an exception for this service";
pub const LEAK_FIX: &str = "a Helm deep-merge leak? override ALL security context fields together (runAsUser, runAsGroup, fsGroup, runAsNonRoot)";

#[cfg(test)]
mod tests {
    use super::super::Severity;
    use super::super::testing::{Case, floor, run, run_table, standard};
    use serde_json::json;

    #[test]
    fn cases() {
        let c =
            |sc: serde_json::Value| json!({"name": "app", "image": "app:1", "securityContext": sc});
        run_table(
            &super::CHECK,
            &[
                Case {
                    name: "non-root user",
                    settings: standard(),
                    pod: json!({"securityContext": {"runAsNonRoot": true, "runAsUser": 1000}, "containers": [c(json!({}))]}),
                    want: &[],
                },
                Case {
                    name: "refused at pod level",
                    settings: standard(),
                    pod: json!({"securityContext": {"runAsNonRoot": true, "runAsUser": 0}, "containers": [c(json!({})), c(json!({}))]}),
                    want: &["spec.securityContext.runAsUser"],
                },
                Case {
                    name: "refused in a container",
                    settings: standard(),
                    pod: json!({"securityContext": {"runAsNonRoot": true}, "containers": [c(json!({"runAsUser": 0}))]}),
                    want: &["spec.containers[0].securityContext.runAsUser"],
                },
                Case {
                    name: "root allowed explicitly",
                    settings: standard(),
                    pod: json!({"securityContext": {"runAsNonRoot": false, "runAsUser": 0, "runAsGroup": 0}, "containers": [c(json!({}))]}),
                    want: &[],
                },
                Case {
                    name: "deep-merge leak",
                    settings: floor("privileged"),
                    pod: json!({"securityContext": {"runAsNonRoot": false, "runAsUser": 0, "runAsGroup": 1000}, "containers": [c(json!({}))]}),
                    want: &["spec.securityContext.runAsGroup"],
                },
                Case {
                    name: "leak in a container",
                    settings: standard(),
                    pod: json!({"securityContext": {"runAsGroup": 1000}, "containers": [c(json!({"runAsUser": 0, "runAsNonRoot": false}))]}),
                    want: &["spec.containers[0].securityContext.runAsGroup"],
                },
            ],
        );
    }

    #[test]
    fn leak_is_a_warning_and_refusal_quotes_the_kubelet() {
        let v = run(
            &super::CHECK,
            &standard(),
            &json!({"securityContext": {"runAsUser": 0, "runAsGroup": 1000, "runAsNonRoot": true}, "containers": [{"name": "a"}]}),
        );
        assert_eq!(v.len(), 2, "{v:#?}");
        assert_eq!(v[0].severity, Severity::Error);
        assert!(v[0].required.contains(super::KUBELET_ERROR));
        assert_eq!(v[1].severity, Severity::Warning);
        assert!(v[1].fix.contains("Helm deep-merge"));
    }
}
