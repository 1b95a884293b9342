//! Compiling settings: the standard, each exception merged field by field over it, the
//! enforcement table and the mutation and image-user options, with every problem found.

use super::names::{is_dns_label, validate_label};
use super::rules::{
    MAX_EXCEPTION_NAME, audit_keys, check_accountability, check_mount_path, check_profile,
    check_subject, check_text, is_quantity, privilege_grants,
};
use super::schema::{RawPodSecurityContext, RawSecurityContext, RawSettings};
use super::{Action, Errors, Exception, ImageUser, Mutation, Settings, WritableDirectory};
use crate::image::ImagePattern;
use crate::profile::{Fields, Level, Profile};
use crate::view::ContainerKind;
use std::collections::BTreeMap;

pub(super) fn describe_parse_error(text: &str, e: &serde_json::Error) -> String {
    // serde_json appends " at line L column C"; kept, it helps in a settings file.
    let mut msg = format!("invalid settings: {}", crate::json_path::describe(text, e));
    if e.to_string().contains("unknown field") {
        msg.push_str(" (a misspelt key would silently disable a rule, so unknown keys are refused; see the settings reference, docs/settings.md)");
    }
    msg
}

pub(super) fn compile(raw: RawSettings, checks: &[&'static str]) -> Result<Settings, String> {
    let mut errors = Errors(Vec::new());

    let mut mutation = Mutation::default();
    if let Some(m) = &raw.mutation {
        mutation.enabled = m.enabled == Some(true);
        for (i, d) in m.writable_directories.iter().flatten().enumerate() {
            let path = d.mount_path.as_str();
            if let Err(why) = check_mount_path(path) {
                errors.push(format!(
                    "mutation.writableDirectories[{i}].mountPath: {path:?} {why}"
                ));
            }
            if let Some(q) = &d.size_limit
                && !is_quantity(q)
            {
                errors.push(format!("mutation.writableDirectories[{i}].sizeLimit: {q:?} is not a Kubernetes quantity such as 100Mi"));
            }
            if mutation
                .writable_directories
                .iter()
                .any(|w| w.mount_path == path)
            {
                errors.push(format!(
                    "mutation.writableDirectories[{i}].mountPath: {path:?} is listed twice"
                ));
            }
            mutation.writable_directories.push(WritableDirectory {
                mount_path: path.to_owned(),
                size_limit: d.size_limit.clone(),
            });
        }
    }
    let mut image_user = ImageUser::default();
    if let Some(iu) = &raw.image_user {
        image_user.verify = iu.verify == Some(true);
        match iu.on_lookup_failure.as_deref() {
            None | Some("warn") => {}
            Some("deny") => image_user.deny_on_lookup_failure = true,
            Some(mode) => errors.push(format!(
                "imageUser.onLookupFailure: {mode:?} is not one of warn, deny"
            )),
        }
    }

    let level = match raw.pod_security_standard.as_deref() {
        None => Level::Restricted,
        Some(s) => Level::parse(s).unwrap_or_else(|| {
            errors.push(format!(
                "podSecurityStandard: {s:?} is not one of restricted, baseline, privileged"
            ));
            Level::Restricted
        }),
    };

    let mut enforcement = Vec::new();
    for (id, action) in raw.enforcement.iter().flatten() {
        let Some(&known) = checks.iter().find(|c| **c == id.as_str()) else {
            errors.push(format!(
                "enforcement.{id}: unknown check ID; known IDs: {}",
                checks.join(", ")
            ));
            continue;
        };
        let Some(a) = Action::parse(action) else {
            errors.push(format!(
                "enforcement.{id}: {action:?} is not one of deny, warn, off"
            ));
            continue;
        };
        if a != Action::Deny {
            enforcement.push((known, a));
        }
    }

    // The standard: a block given replaces that block's defaults.
    let seed = Profile::platform_standard();
    let mut standard = Profile {
        level,
        ..seed.clone()
    };
    if let Some(pod) = &raw.pod_security_context {
        standard.run_as_non_root = None;
        standard.run_as_user = None;
        standard.run_as_group = None;
        standard.fs_group = None;
        standard.supplemental_groups = None;
        standard.seccomp_types = None;
        apply_pod_block(&mut standard, pod, false);
    }
    if let Some(c) = &raw.security_context {
        standard.allow_privilege_escalation = None;
        standard.read_only_root_filesystem = None;
        standard.privileged = None;
        standard.caps_drop = None;
        standard.caps_add = None;
        apply_container_block(&mut standard, c, false);
    }
    check_profile(&standard, "the standard profile", &mut errors);

    let mut exceptions = Vec::new();
    let mut seen = BTreeMap::new();
    for (i, raw_exc) in raw.exceptions.unwrap_or_default().into_iter().enumerate() {
        let label = match &raw_exc.name {
            Some(n) if !n.trim().is_empty() => format!("exceptions[{i}] ({n:?})"),
            _ => format!("exceptions[{i}]"),
        };
        let name = raw_exc.name.clone().filter(|n| !n.trim().is_empty());
        match &name {
            None => errors.push(format!("{label}: `name` is required")),
            Some(n) if n.chars().count() > MAX_EXCEPTION_NAME => errors.push(format!(
                "{label}: `name` is longer than {MAX_EXCEPTION_NAME} characters; it is recorded whole in audit annotations, so keep it short (put the detail in `reason`)"
            )),
            Some(n) => {
                if let Some(first) = seen.insert(n.clone(), i) {
                    errors.push(format!("{label}: the name {n:?} is already used by exceptions[{first}]; names must be unique"));
                }
            }
        }
        let reason = raw_exc.reason.clone().filter(|r| !r.trim().is_empty());
        if reason.is_none() {
            errors.push(format!("{label}: `reason` is required: it is shown in warnings and audit annotations (e.g. \"postgres user, needs write access\")"));
        }
        for (field, value) in [
            ("name", &raw_exc.name),
            ("reason", &raw_exc.reason),
            ("owner", &raw_exc.owner),
            ("ticket", &raw_exc.ticket),
        ] {
            if let Some(v) = value
                && let Err(e) = check_text(v)
            {
                errors.push(format!("{label}: {field}: {e}"));
            }
        }

        let m = raw_exc.match_.unwrap_or_default();
        let namespaces = m.namespaces.unwrap_or_default();
        let image_patterns = m.images.unwrap_or_default();
        let label_map = m.labels.unwrap_or_default();
        let users = m.users.unwrap_or_default();
        let groups = m.groups.unwrap_or_default();
        if namespaces.is_empty()
            && image_patterns.is_empty()
            && label_map.is_empty()
            && users.is_empty()
            && groups.is_empty()
        {
            errors.push(format!("{label}: `match` is empty; give namespaces, images, labels, users or groups (an empty match would cover every pod; containerTypes alone would cover every such container)"));
        }
        for (field, list) in [("users", &users), ("groups", &groups)] {
            for (j, who) in list.iter().enumerate() {
                if let Err(e) = check_subject(who) {
                    errors.push(format!("{label}: match.{field}[{j}]: {who:?} {e}"));
                }
            }
        }
        let mut container_types = Vec::new();
        for (j, t) in m.container_types.unwrap_or_default().iter().enumerate() {
            match container_kind(t) {
                Some(k) => container_types.push(k),
                None => errors.push(format!(
                    "{label}: match.containerTypes[{j}]: {t:?} is not one of initContainers, containers, ephemeralContainers"
                )),
            }
        }
        for (j, ns) in namespaces.iter().enumerate() {
            if !is_dns_label(ns) {
                errors.push(format!(
                    "{label}: match.namespaces[{j}]: {ns:?} is not a valid namespace name"
                ));
            }
        }
        let mut images = Vec::new();
        for (j, p) in image_patterns.iter().enumerate() {
            match ImagePattern::parse(p) {
                Ok(p) => images.push(p),
                Err(e) => errors.push(format!(
                    "{label}: match.images[{j}]: {p:?} is not a valid image pattern: {e}"
                )),
            }
        }
        let mut labels = Vec::new();
        for (k, v) in label_map {
            if let Err(e) = validate_label(&k, &v) {
                errors.push(format!("{label}: match.labels: {e}"));
            }
            labels.push((k, v));
        }

        let exc_level = match raw_exc.pod_security_standard.as_deref() {
            None => level,
            Some(s) => Level::parse(s).unwrap_or_else(|| {
                errors.push(format!("{label}: podSecurityStandard: {s:?} is not one of restricted, baseline, privileged"));
                level
            }),
        };

        let mut profile = Profile {
            level: exc_level,
            exception: Some(i),
            relaxes: Fields::default(),
            ..standard.clone()
        };
        if let Some(pod) = &raw_exc.pod_security_context {
            apply_pod_block(&mut profile, pod, true);
        }
        if let Some(c) = &raw_exc.security_context {
            apply_container_block(&mut profile, c, true);
        }
        check_profile(&profile, &label, &mut errors);

        // Labels and image names are chosen by whoever writes the pod: an exception that
        // relaxes anything must also be bound to namespaces, which only the cluster's admins
        // hand out, or to the users or groups who send the request (authenticated by the API
        // server). One that lets a process gain privileges needs namespaces in any case: bound
        // only to people, it follows them into every namespace, kube-system included.
        let grants = privilege_grants(
            &raw_exc.pod_security_context,
            &raw_exc.security_context,
            exc_level,
        );
        let by_requester = !users.is_empty() || !groups.is_empty();
        let relaxes = !profile.relaxes.is_empty() || exc_level < level;
        if namespaces.is_empty() && relaxes && (!grants.is_empty() || !by_requester) {
            let mut named = profile.relaxes.names();
            let floor = format!("podSecurityStandard: {}", exc_level.as_str());
            if exc_level < level {
                named.push(&floor);
            }
            let root = if grants.is_empty() {
                String::new()
            } else {
                format!(
                    " and lets a process gain root's privileges ({})",
                    grants.join("; ")
                )
            };
            let rule = if by_requester {
                "an exception that lets a process gain privileges must list the namespaces it applies to, even when it matches users or groups: bound only to them, it follows them into every namespace, kube-system included"
            } else {
                "labels and image names are chosen by whoever writes the pod, so they alone cannot be a security boundary: every exception that relaxes anything must also list the namespaces it applies to (or the users or groups who may use it)"
            };
            errors.push(format!(
                "{label}: relaxes the standard ({}){root} but has no match.namespaces; {rule}",
                named.join(", ")
            ));
        }

        // An empty owner or ticket is one left out (a form sends "" for an empty field).
        let owner = raw_exc.owner.filter(|v| !v.trim().is_empty());
        let ticket = raw_exc.ticket.filter(|v| !v.trim().is_empty());
        for (field, value) in [("owner", &owner), ("ticket", &ticket)] {
            if let Some(v) = value
                && let Err(e) = check_accountability(v)
            {
                errors.push(format!("{label}: {field}: {v:?} {e}"));
            }
        }

        exceptions.push(Exception {
            audit_key: String::new(),
            name: name.unwrap_or_default(),
            reason: reason.unwrap_or_default(),
            owner,
            ticket,
            namespaces,
            images,
            labels,
            users,
            groups,
            container_types,
            profile,
        });
    }

    let keys = audit_keys(
        &exceptions
            .iter()
            .map(|e| e.name.as_str())
            .collect::<Vec<_>>(),
    );
    for (e, key) in exceptions.iter_mut().zip(keys) {
        e.audit_key = key;
    }

    if errors.0.is_empty() {
        Ok(Settings {
            standard,
            exception_index: super::ExceptionIndex::new(&exceptions),
            exceptions,
            enforcement,
            mutation,
            image_user,
        })
    } else {
        Err(errors.0.join("\n"))
    }
}

/// Merges one named field over a profile's rule; `mark` records the field as named by an
/// exception. A field a block leaves out (or sets to `null`, as a form does for a field left
/// empty) is not named.
fn merge_field<T: Clone>(
    slot: &mut Option<T>,
    named: Option<&T>,
    relaxes: &mut Fields,
    field: Fields,
    mark: bool,
) {
    if let Some(v) = named {
        *slot = Some(v.clone());
        if mark {
            relaxes.insert(field);
        }
    }
}

/// Merges a pod block over a profile; `mark` records the fields as named by an exception.
fn apply_pod_block(p: &mut Profile, b: &RawPodSecurityContext, mark: bool) {
    let r = &mut p.relaxes;
    merge_field(
        &mut p.run_as_non_root,
        b.run_as_non_root.as_ref(),
        r,
        Fields::RUN_AS_NON_ROOT,
        mark,
    );
    merge_field(
        &mut p.run_as_user,
        b.run_as_user.as_ref(),
        r,
        Fields::RUN_AS_USER,
        mark,
    );
    merge_field(
        &mut p.run_as_group,
        b.run_as_group.as_ref(),
        r,
        Fields::RUN_AS_GROUP,
        mark,
    );
    merge_field(
        &mut p.fs_group,
        b.fs_group.as_ref(),
        r,
        Fields::FS_GROUP,
        mark,
    );
    merge_field(
        &mut p.supplemental_groups,
        b.supplemental_groups.as_ref(),
        r,
        Fields::SUPPLEMENTAL_GROUPS,
        mark,
    );
    let seccomp = b
        .seccomp_profile
        .as_ref()
        .and_then(|s| s.type_.as_ref())
        .map(|t| t.0.clone());
    merge_field(
        &mut p.seccomp_types,
        seccomp.as_ref(),
        r,
        Fields::SECCOMP,
        mark,
    );
}

/// Merges a container block over a profile; `mark` records the fields as named by an exception.
fn apply_container_block(p: &mut Profile, b: &RawSecurityContext, mark: bool) {
    let r = &mut p.relaxes;
    merge_field(
        &mut p.allow_privilege_escalation,
        b.allow_privilege_escalation.as_ref(),
        r,
        Fields::ALLOW_PRIVILEGE_ESCALATION,
        mark,
    );
    merge_field(
        &mut p.read_only_root_filesystem,
        b.read_only_root_filesystem.as_ref(),
        r,
        Fields::READ_ONLY_ROOT_FILESYSTEM,
        mark,
    );
    merge_field(
        &mut p.privileged,
        b.privileged.as_ref(),
        r,
        Fields::PRIVILEGED,
        mark,
    );
    let caps = b.capabilities.as_ref();
    merge_field(
        &mut p.caps_drop,
        caps.and_then(|c| c.drop.as_ref()),
        r,
        Fields::CAPS_DROP,
        mark,
    );
    merge_field(
        &mut p.caps_add,
        caps.and_then(|c| c.add.as_ref()),
        r,
        Fields::CAPS_ADD,
        mark,
    );
}

/// A `match.containerTypes` entry, as the pod spec names the list.
fn container_kind(name: &str) -> Option<ContainerKind> {
    [
        ContainerKind::Init,
        ContainerKind::Regular,
        ContainerKind::Ephemeral,
    ]
    .into_iter()
    .find(|k| k.field() == name)
}
