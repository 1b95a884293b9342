//! The rules settings must satisfy beyond their shape: what the kubelet refuses or what would
//! mean something else than it says, what amounts to root, and the names that reach the API
//! server (audit annotation keys, mount paths).

use super::Errors;
use super::schema::{RawPodSecurityContext, RawSecurityContext};
use crate::profile::{IdRule, Level, Profile};

/// Seccomp profile types the kubelet knows.
pub const SECCOMP_TYPES: &[&str] = &["RuntimeDefault", "Localhost", "Unconfined"];

/// Linux capability names, as Kubernetes spells them (upper case, no `CAP_`).
pub const CAPABILITIES: &[&str] = &[
    "AUDIT_CONTROL",
    "AUDIT_READ",
    "AUDIT_WRITE",
    "BLOCK_SUSPEND",
    "BPF",
    "CHECKPOINT_RESTORE",
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "IPC_LOCK",
    "IPC_OWNER",
    "KILL",
    "LEASE",
    "LINUX_IMMUTABLE",
    "MAC_ADMIN",
    "MAC_OVERRIDE",
    "MKNOD",
    "NET_ADMIN",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_RAW",
    "PERFMON",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYSLOG",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_CHROOT",
    "SYS_MODULE",
    "SYS_NICE",
    "SYS_PACCT",
    "SYS_PTRACE",
    "SYS_RAWIO",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "WAKE_ALARM",
];

/// Rules that hold for any profile after the merge: what the kubelet refuses, or what would
/// mean something else than it says.
pub(super) fn check_profile(p: &Profile, label: &str, errors: &mut Errors) {
    if p.run_as_non_root == Some(true)
        && let Some(r) = &p.run_as_user
        && r.requires_root()
    {
        errors.push(format!(
                    "{label}: runAsNonRoot: true with runAsUser: 0 after merging over the standard; the kubelet refuses such a pod (CreateContainerConfigError: container has runAsNonRoot and image will run as root). Override ALL security context fields together: runAsNonRoot: false with runAsUser: 0 (the Helm deep-merge lesson)"
                ));
    }
    for (field, rule) in [
        ("podSecurityContext.runAsUser", &p.run_as_user),
        ("podSecurityContext.runAsGroup", &p.run_as_group),
        ("podSecurityContext.fsGroup", &p.fs_group),
        (
            "podSecurityContext.supplementalGroups",
            &p.supplemental_groups,
        ),
    ] {
        match rule {
            Some(IdRule::Exact(v)) if *v < 0 => {
                errors.push(format!(
                    "{label}: {field}: {v} is negative; IDs are 0 or more"
                ));
            }
            Some(IdRule::Range { min, max }) => {
                if let (Some(a), Some(b)) = (min, max)
                    && a > b
                {
                    errors.push(format!("{label}: {field}: min {a} is greater than max {b}"));
                }
                if min.is_some_and(|v| v < 0) || max.is_some_and(|v| v < 0) {
                    errors.push(format!(
                        "{label}: {field}: negative bound; IDs are 0 or more"
                    ));
                }
            }
            _ => {}
        }
    }
    if let Some(types) = &p.seccomp_types {
        if types.is_empty() {
            errors.push(format!("{label}: podSecurityContext.seccompProfile.type: empty list would accept nothing; give at least one of {}", SECCOMP_TYPES.join(", ")));
        }
        for t in types {
            if !SECCOMP_TYPES.contains(&t.as_str()) {
                errors.push(format!(
                    "{label}: podSecurityContext.seccompProfile.type: unknown seccomp type {t:?}; expected one of {}",
                    SECCOMP_TYPES.join(", ")
                ));
            }
        }
    }
    for (field, list, allow_all) in [
        ("securityContext.capabilities.drop", &p.caps_drop, true),
        ("securityContext.capabilities.add", &p.caps_add, false),
    ] {
        for cap in list.iter().flatten() {
            if let Err(e) = validate_capability(cap, allow_all) {
                errors.push(format!("{label}: {field}: {e}"));
            }
        }
    }
}

fn validate_capability(cap: &str, allow_all: bool) -> Result<(), String> {
    if cap == "ALL" {
        return if allow_all {
            Ok(())
        } else {
            Err("ALL may not be added; list the capabilities a container may add".into())
        };
    }
    if CAPABILITIES.contains(&cap) {
        return Ok(());
    }
    let upper = cap.to_ascii_uppercase();
    let bare = upper.strip_prefix("CAP_").unwrap_or(&upper);
    if CAPABILITIES.contains(&bare) || (allow_all && bare == "ALL") {
        Err(format!(
            "{cap:?} must be written {bare:?}: capability names are upper case without CAP_"
        ))
    } else {
        Err(format!("unknown capability {cap:?}"))
    }
}

/// What an exception grants that amounts to root, in its own words.
pub(super) fn root_grants(
    pod: &Option<RawPodSecurityContext>,
    c: &Option<RawSecurityContext>,
    level: Level,
) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(pod) = pod {
        if pod.run_as_non_root == Some(false) {
            out.push("podSecurityContext.runAsNonRoot: false".to_owned());
        }
        for (field, rule) in [
            ("runAsUser", &pod.run_as_user),
            ("runAsGroup", &pod.run_as_group),
            ("fsGroup", &pod.fs_group),
            ("supplementalGroups", &pod.supplemental_groups),
        ] {
            if rule.as_ref().is_some_and(|r| r.allows(0)) {
                out.push(format!("podSecurityContext.{field} allows 0"));
            }
        }
    }
    if let Some(c) = c {
        if c.privileged == Some(true) {
            out.push("securityContext.privileged: true".to_owned());
        }
        let extra: Vec<&str> = c
            .capabilities
            .as_ref()
            .and_then(|c| c.add.as_ref())
            .into_iter()
            .flatten()
            .map(String::as_str)
            .filter(|c| *c != "NET_BIND_SERVICE")
            .collect();
        if !extra.is_empty() {
            out.push(format!(
                "securityContext.capabilities.add: {}",
                extra.join(", ")
            ));
        }
    }
    if level < Level::Restricted {
        out.push(format!("podSecurityStandard: {}", level.as_str()));
    }
    out
}

/// Groups and users that stand for everybody: an exception granted to them would be granted to
/// anyone who can reach the API server.
pub const EVERYBODY: &[&str] = &[
    "system:authenticated",
    "system:unauthenticated",
    "system:anonymous",
];

/// A `match.users` or `match.groups` entry: an exact name, compared as the API server
/// authenticated it. No patterns: a `*` would be read literally and never match, or be
/// mistaken for "anyone" by the reader.
pub(super) fn check_subject(name: &str) -> Result<(), String> {
    if name.trim().is_empty() {
        return Err("is empty; name a user or group exactly".to_owned());
    }
    if name.trim() != name {
        return Err("has leading or trailing spaces; names are compared exactly".to_owned());
    }
    if name.contains(['*', '?']) {
        return Err("looks like a pattern; users and groups are exact names (service accounts as system:serviceaccount:<namespace>:<name>)".to_owned());
    }
    if EVERYBODY.contains(&name) {
        return Err("stands for everybody who can reach the API server; an exception cannot be granted to it".to_owned());
    }
    Ok(())
}

/// An exception's `owner` or `ticket`: one line, short enough to travel in warnings and audit
/// annotations.
pub(super) fn check_accountability(value: &str) -> Result<(), String> {
    if value.contains(['\n', '\r']) {
        return Err("spans several lines; write it on one line".to_owned());
    }
    if value.chars().count() > 200 {
        return Err(
            "is longer than 200 characters; it is shown in every warning the exception produces"
                .to_owned(),
        );
    }
    Ok(())
}

/// The longest exception name: audit annotations carry it whole.
pub const MAX_EXCEPTION_NAME: usize = 253;

/// The audit annotation key of each exception, in order. A key is `exception.<name>` with the
/// characters an annotation key cannot hold replaced by `-`, cut to 63 characters. Two names
/// may give one key (`db writer`, `db-writer`): the later one then gets its position appended
/// (`exception.db-writer-1`), so every exception used is recorded under a key of its own.
pub(super) fn audit_keys(names: &[&str]) -> Vec<String> {
    const MAX: usize = 63;
    let trim = |s: &str, max: usize| -> String {
        let cut: String = s.chars().take(max).collect();
        cut.trim_end_matches(['-', '_', '.']).to_owned()
    };
    let mut keys: Vec<String> = Vec::with_capacity(names.len());
    let mut taken: std::collections::HashSet<String> = std::collections::HashSet::new();
    for (i, name) in names.iter().enumerate() {
        let cleaned: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        let base = trim(&format!("exception.{cleaned}"), MAX);
        let mut key = base.clone();
        let mut n = i;
        while taken.contains(&key) {
            let suffix = format!("-{n}");
            key = format!("{}{suffix}", trim(&base, MAX.saturating_sub(suffix.len())));
            n = n.saturating_add(names.len());
        }
        taken.insert(key.clone());
        keys.push(key);
    }
    keys
}

/// A writable directory must be a normalised absolute path below `/`: the policy compares it
/// with the mounts a container already has, so `/tmp/`, `/tmp/.`, `//tmp` or `/var/../tmp`
/// would each name `/tmp` in another spelling and slip past that comparison.
pub(super) fn check_mount_path(path: &str) -> Result<(), &'static str> {
    let Some(rest) = path.strip_prefix('/') else {
        return Err("must be an absolute path (starting with /), e.g. /tmp");
    };
    if rest.is_empty() {
        return Err("is the root directory; give a directory below /, e.g. /tmp");
    }
    if rest.ends_with('/') {
        return Err("ends with /; write it without the trailing slash, e.g. /tmp");
    }
    for segment in rest.split('/') {
        match segment {
            "" => return Err("contains an empty segment (//); write each directory once"),
            "." | ".." => {
                return Err("contains a . or .. segment; write the normalised path, e.g. /tmp");
            }
            _ => {}
        }
    }
    Ok(())
}

/// A Kubernetes resource quantity such as `100Mi`, `1G` or `500000`.
pub(super) fn is_quantity(q: &str) -> bool {
    const SUFFIXES: &[&str] = &[
        "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "k", "M", "G", "T", "P", "E", "m", "",
    ];
    SUFFIXES.iter().any(|suffix| {
        q.strip_suffix(suffix).is_some_and(|num| {
            let mut parts = num.splitn(2, '.');
            let int = parts.next().unwrap_or("");
            let frac = parts.next();
            !int.is_empty()
                && int.bytes().all(|b| b.is_ascii_digit())
                && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
        })
    })
}

#[cfg(test)]
mod audit_key_tests {
    use super::audit_keys;

    /// A valid annotation key name: up to 63 characters, alphanumerics, `-`, `_`, `.`, starting
    /// and ending with an alphanumeric.
    fn valid(key: &str) -> bool {
        key.len() <= 63
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            && key
                .as_bytes()
                .first()
                .is_some_and(u8::is_ascii_alphanumeric)
            && key.as_bytes().last().is_some_and(u8::is_ascii_alphanumeric)
    }

    #[test]
    fn keys_are_unique_and_valid() {
        let long_a = format!("{}a", "x".repeat(200));
        let long_b = format!("{}b", "x".repeat(200));
        let cases: &[(&str, &[&str], &[&str])] = &[
            (
                "plain names",
                &["postgresql", "redis"],
                &["exception.postgresql", "exception.redis"],
            ),
            (
                "names normalising alike",
                &["db writer", "db-writer"],
                &["exception.db-writer", "exception.db-writer-1"],
            ),
            (
                "normalised first",
                &["db-writer", "db writer"],
                &["exception.db-writer", "exception.db-writer-1"],
            ),
            (
                "suffix taken by a real name",
                &["db writer", "db-writer-1", "db-writer"],
                &[
                    "exception.db-writer",
                    "exception.db-writer-1",
                    "exception.db-writer-2",
                ],
            ),
            ("punctuation", &["AI service!"], &["exception.AI-service"]),
            ("long names cut alike", &[&long_a, &long_b], &[]),
        ];
        for (name, names, want) in cases {
            let keys = audit_keys(names);
            if !want.is_empty() {
                assert_eq!(&keys, want, "{name}");
            }
            for k in &keys {
                assert!(valid(k), "{name}: {k:?} is not a valid annotation key");
            }
            let mut unique = keys.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(unique.len(), keys.len(), "{name}: keys collide: {keys:?}");
        }
    }
}
