//! `appArmorProfile` (Pod Security Standard, baseline): AppArmor must not be disabled or
//! overridden with an unknown profile. `appArmorProfile.type` on the pod or a container must
//! be `RuntimeDefault` or `Localhost` when set; the deprecated annotations
//! `container.apparmor.security.beta.kubernetes.io/<container>` must be `runtime/default` or
//! `localhost/<profile>` when set.

use super::{Check, Ctx, Violation, quote};
use crate::profile::Level;
use crate::view::APPARMOR_ANNOTATION_PREFIX;

pub const ID: &str = "appArmorProfile";
pub const CHECK: Check = Check {
    id: ID,
    standard: false,
    floor: Some(Level::Baseline),
    pss: Some(super::PSS_VERSION),
    summary: "baseline: AppArmor profile must be RuntimeDefault or Localhost",
    run,
};

const FIX: &str =
    "use appArmorProfile: {type: RuntimeDefault} (or Localhost with a profile loaded on the node)";
const REQUIRED: &str = "RuntimeDefault or Localhost (baseline Pod Security Standard)";

fn allowed_type(t: Option<&str>) -> bool {
    matches!(t, Some("RuntimeDefault" | "Localhost"))
}

fn run(ctx: &Ctx<'_, '_>, out: &mut Vec<Violation>) {
    if ctx.pod_profile.floor_at_least(Level::Baseline)
        && let Some(p) = ctx.pod_sc().and_then(|s| s.app_armor_profile.as_ref())
        && !allowed_type(p.type_.as_deref())
    {
        ctx.on_pod(ID, "spec.securityContext.appArmorProfile.type".to_owned())
            .found(
                p.type_
                    .as_deref()
                    .map_or_else(|| super::NOT_SET.to_owned(), quote),
            )
            .required(REQUIRED)
            .fix(FIX)
            .push(out);
    }
    for c in ctx.containers() {
        let p = ctx.profile_of(&c);
        if !p.floor_at_least(Level::Baseline) {
            continue;
        }
        if let Some(a) = c.container.sc().and_then(|s| s.app_armor_profile.as_ref())
            && !allowed_type(a.type_.as_deref())
        {
            ctx.on_container(ID, &c, p, "securityContext.appArmorProfile.type")
                .found(
                    a.type_
                        .as_deref()
                        .map_or_else(|| super::NOT_SET.to_owned(), quote),
                )
                .required(REQUIRED)
                .fix(FIX)
                .push(out);
        }
    }
    for (container, value) in ctx.meta.annotations.iter().flat_map(|a| a.0.iter()) {
        let ok = value.is_empty() || value == "runtime/default" || value.starts_with("localhost/");
        if ok {
            continue;
        }
        let target = ctx.containers().find(|c| c.container.name == *container);
        let profile = target
            .as_ref()
            .map_or(ctx.pod_profile, |c| ctx.profile_of(c));
        if !profile.floor_at_least(Level::Baseline) {
            continue;
        }
        let mut b = ctx
            .on_pod(ID, format!("metadata.annotations[{}]", quote(&format!("{APPARMOR_ANNOTATION_PREFIX}{container}"))))
            .found(quote(value))
            .required("runtime/default or localhost/<profile> (baseline Pod Security Standard)")
            .fix("set the annotation to runtime/default, or better, use securityContext.appArmorProfile: {type: RuntimeDefault}");
        if let Some(c) = &target {
            b = b.subject_container(c, profile);
        }
        b.push(out);
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{Case, floor, run_in, run_table};
    use serde_json::json;

    #[test]
    fn cases() {
        let c = |sc: serde_json::Value| json!({"name": "app", "securityContext": sc});
        run_table(
            &super::CHECK,
            &[
                Case {
                    name: "RuntimeDefault",
                    settings: floor("baseline"),
                    pod: json!({"securityContext": {"appArmorProfile": {"type": "RuntimeDefault"}}, "containers": [c(json!({"appArmorProfile": {"type": "Localhost", "localhostProfile": "x"}}))]}),
                    want: &[],
                },
                Case {
                    name: "pod Unconfined",
                    settings: floor("baseline"),
                    pod: json!({"securityContext": {"appArmorProfile": {"type": "Unconfined"}}, "containers": [c(json!({}))]}),
                    want: &["spec.securityContext.appArmorProfile.type"],
                },
                Case {
                    name: "container Unconfined",
                    settings: floor("baseline"),
                    pod: json!({"containers": [c(json!({"appArmorProfile": {"type": "Unconfined"}}))]}),
                    want: &["spec.containers[0].securityContext.appArmorProfile.type"],
                },
                Case {
                    name: "privileged level",
                    settings: floor("privileged"),
                    pod: json!({"containers": [c(json!({"appArmorProfile": {"type": "Unconfined"}}))]}),
                    want: &[],
                },
            ],
        );
    }

    #[test]
    fn annotations() {
        let pod = json!({"containers": [{"name": "app"}]});
        let key = "container.apparmor.security.beta.kubernetes.io/app";
        let bad = run_in(
            &super::CHECK,
            &floor("baseline"),
            "default",
            &json!({"annotations": {key: "unconfined", "other": "x"}}),
            &pod,
        );
        assert_eq!(bad.len(), 1, "{bad:#?}");
        assert!(bad[0].field.starts_with("metadata.annotations"));
        for ok in ["runtime/default", "localhost/foo", ""] {
            let v = run_in(
                &super::CHECK,
                &floor("baseline"),
                "default",
                &json!({"annotations": {key: ok}}),
                &pod,
            );
            assert!(v.is_empty(), "{ok}: {v:#?}");
        }
    }
}
