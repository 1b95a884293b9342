//! `windowsPods`: the standard is a Linux security context. The API server forbids its
//! Linux-only fields (`runAsUser`, `runAsGroup`, `fsGroup`, `seccompProfile`,
//! `allowPrivilegeEscalation`, `readOnlyRootFilesystem`, `capabilities`) on a Windows pod
//! (`spec.os.name: windows`), so the standard's checks of those fields cannot judge one. So that
//! a Windows pod never passes unchecked, it is rejected unless one exception covers every one of
//! its containers (and so the pod), chosen by the platform team for that namespace; the checks
//! that apply to Windows (`runAsNonRoot`, `hostProcess`, host namespaces, volumes, ...) keep
//! running against it. An exception that itself names a value of a Linux-only field contradicts
//! a Windows pod (it would require what the pod cannot set) and does not let it through either.

use super::{Check, Ctx, Violation};
use crate::profile::{Fields, Profile};

pub const ID: &str = "windowsPods";
pub const CHECK: Check = Check {
    id: ID,
    standard: true,
    floor: None,
    pss: None,
    summary: "a Windows pod needs one exception covering all its containers that names no Linux-only field",
    run,
};

pub const FIX: &str = "give this Windows workload an exception that matches its namespace (and images) and names no Linux-only field: only runAsNonRoot, capabilities.add, privileged: false, readOnlyRootFilesystem: false or allowPrivilegeEscalation: true, with a reason (docs/checks.md, Windows pods)";

/// The Linux-only fields an exception names with a value that a Windows pod would have to set.
fn contradictions(p: &Profile) -> Vec<&'static str> {
    let named = |f: Fields| p.relaxes(f);
    let mut out = Vec::new();
    for (field, f) in [
        ("runAsUser", Fields::RUN_AS_USER),
        ("runAsGroup", Fields::RUN_AS_GROUP),
        ("fsGroup", Fields::FS_GROUP),
        ("seccompProfile", Fields::SECCOMP),
    ] {
        if named(f) {
            out.push(field);
        }
    }
    if named(Fields::ALLOW_PRIVILEGE_ESCALATION) && p.allow_privilege_escalation == Some(false) {
        out.push("allowPrivilegeEscalation: false");
    }
    if named(Fields::READ_ONLY_ROOT_FILESYSTEM) && p.read_only_root_filesystem == Some(true) {
        out.push("readOnlyRootFilesystem: true");
    }
    if named(Fields::CAPS_DROP) && p.caps_drop.as_ref().is_some_and(|d| !d.is_empty()) {
        out.push("capabilities.drop");
    }
    out
}

/// The Linux-only fields a profile requires a pod or container to set.
fn requirements(p: &Profile) -> Vec<&'static str> {
    [
        ("runAsUser", p.run_as_user.is_some()),
        ("runAsGroup", p.run_as_group.is_some()),
        ("fsGroup", p.fs_group.is_some()),
        ("seccompProfile", p.seccomp_types.is_some()),
        (
            "allowPrivilegeEscalation: false",
            p.allow_privilege_escalation == Some(false),
        ),
        (
            "readOnlyRootFilesystem: true",
            p.read_only_root_filesystem == Some(true),
        ),
        (
            "capabilities.drop",
            p.caps_drop.as_ref().is_some_and(|d| !d.is_empty()),
        ),
    ]
    .into_iter()
    .filter(|(_, required)| *required)
    .map(|(field, _)| field)
    .collect()
}

fn run(ctx: &Ctx<'_, '_>, out: &mut Vec<Violation>) {
    if !ctx.pod.is_windows() {
        return;
    }
    let exception = ctx
        .pod_profile
        .exception
        .and_then(|i| ctx.exceptions.get(i));
    let bad = contradictions(ctx.pod_profile);
    let required = if let Some(e) = exception {
        if !bad.is_empty() {
            format!(
                "an exception that names no Linux-only field: exception {:?} names {}, which the API server forbids on Windows pods",
                e.name,
                bad.join(", ")
            )
        } else if e.namespaces.is_empty() {
            // Covering a Windows pod relaxes the standard's Linux-only fields, and every
            // relaxation is bound to namespaces.
            format!(
                "an exception bound to namespaces: exception {:?} matches by images or labels alone, which whoever writes the pod chooses",
                e.name
            )
        } else {
            return;
        }
    } else {
        let required = requirements(ctx.pod_profile);
        if required.is_empty() {
            // Standard settings that require no Linux-only field (the floor alone) judge a
            // Windows pod fully.
            return;
        }
        format!(
            "a Linux pod, or one exception covering every container of this Windows pod: the standard requires {}, which the API server forbids on Windows pods",
            required.join(", ")
        )
    };
    ctx.on_pod(ID, "spec.os.name".to_owned())
        .found("windows")
        .required(required)
        .fix(FIX)
        .push(out);
}

#[cfg(test)]
mod tests {
    use super::super::testing::{Case, floor, run_table, standard};
    use serde_json::json;

    #[test]
    fn cases() {
        let windows = json!({"os": {"name": "windows"}, "securityContext": {"runAsNonRoot": true},
            "containers": [{"name": "iis", "image": "mcr.microsoft.com/windows/servercore/iis"}]});
        let lifted = json!({"exceptions": [{"name": "iis", "reason": "Windows web front end",
            "match": {"namespaces": ["default"]},
            "securityContext": {"readOnlyRootFilesystem": false}}]});
        let half = json!({"exceptions": [{"name": "iis", "reason": "Windows web front end",
            "match": {"namespaces": ["default"]},
            "podSecurityContext": {"runAsUser": 1000}}]});
        let elsewhere = json!({"exceptions": [{"name": "iis", "reason": "Windows web front end",
            "match": {"namespaces": ["windows-apps"]},
            "securityContext": {"readOnlyRootFilesystem": false}}]});
        run_table(
            &super::CHECK,
            &[
                Case {
                    name: "Windows pod under the standard",
                    settings: standard(),
                    pod: windows.clone(),
                    want: &["spec.os.name"],
                },
                Case {
                    name: "Windows pod covered by an exception naming no Linux-only field",
                    settings: lifted,
                    pod: windows.clone(),
                    want: &[],
                },
                Case {
                    name: "exception naming runAsUser contradicts a Windows pod",
                    settings: half,
                    pod: windows.clone(),
                    want: &["spec.os.name"],
                },
                Case {
                    name: "exception matching by image alone",
                    settings: json!({"exceptions": [{"name": "iis", "reason": "Windows web front end",
                        "match": {"images": ["mcr.microsoft.com/windows/servercore/iis"]}}]}),
                    pod: windows.clone(),
                    want: &["spec.os.name"],
                },
                Case {
                    name: "exception for another namespace",
                    settings: elsewhere,
                    pod: windows.clone(),
                    want: &["spec.os.name"],
                },
                Case {
                    name: "floor only",
                    settings: floor("restricted"),
                    pod: windows,
                    want: &[],
                },
                Case {
                    name: "Linux pod",
                    settings: standard(),
                    pod: json!({"os": {"name": "linux"}, "containers": [{"name": "a", "image": "a:1"}]}),
                    want: &[],
                },
            ],
        );
    }
}
