//! Test support: run one check on a pod spec under some settings.

use super::{Check, Violation};
use crate::settings::Settings;
use crate::target::select_profiles;
use crate::view::{ObjectMeta, PodSpec};

/// A named table case: settings, pod spec, and the field paths expected to be flagged.
pub struct Case {
    pub name: &'static str,
    pub settings: serde_json::Value,
    pub pod: serde_json::Value,
    pub want: &'static [&'static str],
}

pub fn settings(v: &serde_json::Value) -> Settings {
    Settings::from_json(v.to_string().as_bytes())
        .unwrap_or_else(|e| panic!("bad test settings: {e}"))
}

/// Runs `check` on `pod` (a pod spec) in namespace `ns` with template metadata `meta`.
pub fn run_in(
    check: &Check,
    settings_json: &serde_json::Value,
    ns: &str,
    meta: &serde_json::Value,
    pod: &serde_json::Value,
) -> Vec<Violation> {
    run_full(check, settings_json, ns, meta, pod, &[])
}

/// Runs `check` with image users answered from `users` (image, configured user).
pub fn run_with_users(
    check: &Check,
    settings_json: &serde_json::Value,
    pod: &serde_json::Value,
    users: &[(&str, &str)],
) -> Vec<Violation> {
    run_full(
        check,
        settings_json,
        "default",
        &serde_json::json!({}),
        pod,
        users,
    )
}

fn run_full(
    check: &Check,
    settings_json: &serde_json::Value,
    ns: &str,
    meta: &serde_json::Value,
    pod: &serde_json::Value,
    users: &[(&str, &str)],
) -> Vec<Violation> {
    let s = settings(settings_json);
    let meta_text = meta.to_string();
    let pod_text = pod.to_string();
    let meta: ObjectMeta = serde_json::from_str(&meta_text).expect("meta");
    let spec: PodSpec = serde_json::from_str(&pod_text).expect("pod spec");
    let (container_profiles, pod_profile) =
        select_profiles(&s, ns, &meta, &spec, Default::default());
    let mut lookup = crate::image_user::TableLookup(
        users
            .iter()
            .map(|(i, u)| (i.to_string(), u.to_string()))
            .collect(),
    );
    let image_users = if s.image_user.verify {
        crate::image_user::resolve(&spec, &mut lookup)
    } else {
        Default::default()
    };
    let ctx = super::Ctx {
        pod: &spec,
        meta: &meta,
        exceptions: &s.exceptions,
        image_user: &s.image_user,
        container_profiles,
        pod_profile,
        image_users: &image_users,
    };
    let mut out = Vec::new();
    (check.run)(&ctx, &mut out);
    out
}

pub fn run(
    check: &Check,
    settings_json: &serde_json::Value,
    pod: &serde_json::Value,
) -> Vec<Violation> {
    run_in(check, settings_json, "default", &serde_json::json!({}), pod)
}

/// Runs every case of a table and reports all failures at once.
pub fn run_table(check: &Check, cases: &[Case]) {
    let mut failures = Vec::new();
    for case in cases {
        let got = run(check, &case.settings, &case.pod);
        let mut fields: Vec<&str> = got.iter().map(|v| v.field.as_str()).collect();
        fields.sort_unstable();
        let mut want = case.want.to_vec();
        want.sort_unstable();
        if fields != want {
            failures.push(format!("{}: want {:?}, got {:#?}", case.name, want, got));
        }
        for v in &got {
            assert_eq!(v.check, check.id, "{}: wrong check id", case.name);
            assert!(
                !v.fix.is_empty(),
                "{}: violation without a fix: {v:?}",
                case.name
            );
            assert!(
                !v.required.is_empty(),
                "{}: violation without a requirement: {v:?}",
                case.name
            );
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// Settings that enforce only the floor at `level` (the conformance settings).
pub fn floor(level: &str) -> serde_json::Value {
    serde_json::json!({"podSecurityStandard": level, "podSecurityContext": {}, "securityContext": {}})
}

/// The platform's standard (empty settings).
pub fn standard() -> serde_json::Value {
    serde_json::json!({})
}
