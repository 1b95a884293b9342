//! `imageUser`: with `imageUser.verify`, a container that must run as non-root but names no
//! `runAsUser` must have an image whose configured `USER` is a numeric, non-zero UID. A root,
//! empty or named user is refused with the kubelet error it would cause; a UID other than the
//! profile's `runAsUser` draws a warning; a failed lookup warns or denies per
//! `imageUser.onLookupFailure`. (The lookups themselves happen before the checks run.)

use super::{Check, Ctx, Violation, quote};
use crate::image_user::{ImageUserKind, classify, relies_on_image_user};

pub const ID: &str = "imageUser";
pub const CHECK: Check = Check {
    id: ID,
    standard: true,
    floor: None,
    pss: None,
    summary: "with imageUser.verify: an image a non-root container relies on must name a numeric non-root USER",
    run,
};

pub const ROOT_ERROR: &str =
    "CreateContainerConfigError: container has runAsNonRoot and image will run as root";

fn run(ctx: &Ctx<'_, '_>, out: &mut Vec<Violation>) {
    if !ctx.image_user.verify || ctx.pod.is_windows() {
        return;
    }
    let pod_sc = ctx.pod_sc();
    for c in ctx.containers() {
        if !relies_on_image_user(pod_sc, c.container) {
            continue;
        }
        let p = ctx.profile_of(&c);
        let image = c.container.image.as_deref().unwrap_or_default();
        let field = "image";
        match ctx.image_users.get(image) {
            None => {}
            Some(Err(e)) => {
                let b = ctx
                    .on_container(ID, &c, p, field)
                    .found(format!("{}: the image's configured user could not be read ({e})", quote(image)))
                    .required("an image whose USER is a numeric non-root UID, or runAsUser set")
                    .fix("set runAsUser explicitly (the UID verified for this image), so the policy need not read the image");
                if ctx.image_user.deny_on_lookup_failure { b.push(out) } else { b.warning().push(out) }
            }
            Some(Ok(user)) => match classify(user) {
                ImageUserKind::Root => ctx
                    .on_container(ID, &c, p, field)
                    .found(format!("{} runs as {}", quote(image), if user.is_empty() { "root (its config names no USER)".to_owned() } else { format!("USER {}", quote(user)) }))
                    .required(format!("a non-root image user; the kubelet would fail the pod with {ROOT_ERROR}"))
                    .fix("rebuild the image with a numeric non-root USER, or set runAsUser to the UID it should run as; if it really requires root, set runAsNonRoot: false with runAsUser: 0 in an exception for this service")
                    .push(out),
                ImageUserKind::NonNumeric(name) => ctx
                    .on_container(ID, &c, p, field)
                    .found(format!("{} runs as USER {}", quote(image), quote(&name)))
                    .required(format!("a numeric USER; the kubelet would fail the pod with CreateContainerConfigError: container has runAsNonRoot and image has non-numeric user ({name}), cannot verify user is non-root"))
                    .fix("set runAsUser to the numeric UID of that user (verify it in the image), or rebuild the image with a numeric USER")
                    .push(out),
                ImageUserKind::Uid(uid) => {
                    if let Some(rule) = &p.run_as_user
                        && !rule.allows(uid)
                    {
                        ctx.on_container(ID, &c, p, field)
                            .found(format!("{} runs as UID {uid}", quote(image)))
                            .required(format!("the profile's runAsUser {rule}"))
                            .fix(format!("set runAsUser: {uid} explicitly if that UID is intended, and give the service an exception with it; the platform's rule: verify the container UID before setting security contexts"))
                            .warning()
                            .push(out);
                    }
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::Severity;
    use super::super::testing::run_with_users;
    use serde_json::json;

    #[test]
    fn cases() {
        let settings =
            json!({"podSecurityContext": {"runAsNonRoot": true}, "imageUser": {"verify": true}});
        let pod = |image: &str| json!({"securityContext": {"runAsNonRoot": true}, "containers": [{"name": "app", "image": image}]});
        let table = [
            ("root:1", "root"),
            ("empty:1", ""),
            ("named:1", "postgres"),
            ("uid:1", "999"),
            ("zero:1", "0:0"),
        ];
        let cases: &[(&str, &str, Option<Severity>)] = &[
            ("root user", "root:1", Some(Severity::Error)),
            ("no USER", "empty:1", Some(Severity::Error)),
            ("named user", "named:1", Some(Severity::Error)),
            ("uid 0 with group", "zero:1", Some(Severity::Error)),
            ("numeric user, no profile uid", "uid:1", None),
            ("lookup failure warns", "missing:1", Some(Severity::Warning)),
        ];
        for (name, image, want) in cases {
            let v = run_with_users(&super::CHECK, &settings, &pod(image), &table);
            assert_eq!(v.first().map(|v| v.severity), *want, "{name}: {v:#?}");
        }
        let deny = json!({"podSecurityContext": {"runAsNonRoot": true}, "imageUser": {"verify": true, "onLookupFailure": "deny"}});
        let v = run_with_users(&super::CHECK, &deny, &pod("missing:1"), &table);
        assert_eq!(v.first().map(|v| v.severity), Some(Severity::Error));
        let uid_rule = json!({"podSecurityContext": {"runAsNonRoot": true, "runAsUser": 1000}, "imageUser": {"verify": true}});
        let v = run_with_users(&super::CHECK, &uid_rule, &pod("uid:1"), &table);
        assert_eq!(
            v.first().map(|v| v.severity),
            Some(Severity::Warning),
            "a UID other than the profile's warns"
        );
        let explicit = json!({"securityContext": {"runAsNonRoot": true, "runAsUser": 1000}, "containers": [{"name": "app", "image": "root:1"}]});
        assert!(
            run_with_users(&super::CHECK, &settings, &explicit, &table).is_empty(),
            "an explicit runAsUser needs no lookup"
        );
        let off = json!({"podSecurityContext": {"runAsNonRoot": true}});
        assert!(
            run_with_users(&super::CHECK, &off, &pod("root:1"), &table).is_empty(),
            "verify off"
        );
    }
}
