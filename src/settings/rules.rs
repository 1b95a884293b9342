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

/// What an exception grants that lets a process gain root's privileges, each in its own words
/// with why: what an exception bound only to users or groups may not grant (it would follow
/// them into every namespace, `kube-system` included), and what an exception bound only to
/// images or labels may not grant either.
pub(super) fn privilege_grants(
    pod: &Option<RawPodSecurityContext>,
    c: &Option<RawSecurityContext>,
    level: Level,
) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(pod) = pod {
        if pod.run_as_non_root == Some(false) {
            out.push(
                "podSecurityContext.runAsNonRoot: false (the containers may run as root)"
                    .to_owned(),
            );
        }
        for (field, rule, why) in [
            ("runAsUser", &pod.run_as_user, "UID 0 is root"),
            (
                "runAsGroup",
                &pod.run_as_group,
                "GID 0 is group root, which owns the system's files",
            ),
            (
                "fsGroup",
                &pod.fs_group,
                "the pod's volumes and processes join group root",
            ),
            (
                "supplementalGroups",
                &pod.supplemental_groups,
                "the processes join group root",
            ),
        ] {
            if rule.as_ref().is_some_and(|r| r.allows(0)) {
                out.push(format!("podSecurityContext.{field} allows 0 ({why})"));
            }
        }
        let seccomp = pod.seccomp_profile.as_ref().and_then(|s| s.type_.as_ref());
        if seccomp.is_some_and(|t| t.0.iter().any(|t| t == "Unconfined")) {
            out.push(
                "podSecurityContext.seccompProfile.type allows Unconfined (no system call is \
                 filtered: the whole kernel is open to exploits)"
                    .to_owned(),
            );
        }
    }
    if let Some(c) = c {
        if c.allow_privilege_escalation == Some(true) {
            out.push(
                "securityContext.allowPrivilegeEscalation: true (a setuid-root binary in any \
                 image becomes UID 0)"
                    .to_owned(),
            );
        }
        if c.privileged == Some(true) {
            out.push(
                "securityContext.privileged: true (a privileged container is root on the node)"
                    .to_owned(),
            );
        }
        let caps = c.capabilities.as_ref();
        let extra: Vec<&str> = caps
            .and_then(|c| c.add.as_ref())
            .into_iter()
            .flatten()
            .map(String::as_str)
            .filter(|c| *c != "NET_BIND_SERVICE")
            .collect();
        if !extra.is_empty() {
            out.push(format!(
                "securityContext.capabilities.add: {} (capabilities beyond NET_BIND_SERVICE are \
                 root's powers)",
                extra.join(", ")
            ));
        }
        if let Some(drop) = caps.and_then(|c| c.drop.as_ref())
            && !drop.iter().any(|d| d == "ALL")
        {
            out.push(
                "securityContext.capabilities.drop without ALL (the runtime's default \
                 capabilities, SETUID, SETGID, CHOWN and DAC_OVERRIDE among them, stay)"
                    .to_owned(),
            );
        }
    }
    match level {
        Level::Restricted => {}
        Level::Baseline => out.push(
            "podSecurityStandard: baseline (the floor no longer refuses root, privilege \
             escalation, added capabilities or an unconfined seccomp profile)"
                .to_owned(),
        ),
        Level::Privileged => out.push(
            "podSecurityStandard: privileged (the floor no longer refuses host namespaces, \
             ports and paths, privileged containers, unconfined seccomp or AppArmor, SELinux \
             options, procMount or sysctls)"
                .to_owned(),
        ),
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

/// Groups and users that stand for nearly everybody, or for the cluster's own machinery: the
/// pods of every Deployment, ReplicaSet, Job, CronJob, DaemonSet and StatefulSet are created by
/// a controller's service account in `kube-system` (or by `system:kube-controller-manager`), so
/// an exception granted to one of them reaches every workload of the cluster. Names ending in
/// `:` are prefixes.
pub const CLUSTER_WIDE: &[(&str, &str)] = &[
    (
        "system:serviceaccounts",
        "every service account of the cluster",
    ),
    (
        "system:serviceaccounts:",
        "every service account of a namespace, the controllers' among them in kube-system",
    ),
    ("system:nodes", "every node's kubelet"),
    ("system:node:", "a node's kubelet"),
    (
        "system:kube-controller-manager",
        "the controller manager, which creates the pods of every workload",
    ),
    ("system:kube-scheduler", "the scheduler"),
    (
        "system:serviceaccount:kube-system:",
        "a service account of kube-system, where the controllers that create every \
         workload's pods run",
    ),
];

/// A `match.users` or `match.groups` entry: an exact name, compared as the API server
/// authenticated it. No patterns: a `*` would be read literally and never match, or be
/// mistaken for "anyone" by the reader. Names that stand for (nearly) everybody are refused.
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
    let wide = CLUSTER_WIDE.iter().find(|(n, _)| {
        if n.ends_with(':') {
            name.starts_with(n)
        } else {
            name == *n
        }
    });
    if let Some((_, who)) = wide {
        return Err(format!(
            "stands for {who}: the requester of every Deployment's, Job's and DaemonSet's \
             pods is a controller, so an exception granted to it reaches every workload of the \
             cluster; name the people or the service account that need it"
        ));
    }
    Ok(())
}

/// An exception's `owner` or `ticket`: short enough to travel in warnings and audit
/// annotations (its characters are [`check_text`]'s).
pub(super) fn check_accountability(value: &str) -> Result<(), String> {
    if value.chars().count() > 200 {
        return Err(
            "is longer than 200 characters; it is shown in every warning the exception produces"
                .to_owned(),
        );
    }
    Ok(())
}

/// The name of a character settings text may not hold, or `None` for one it may: controls
/// (line breaks, escape sequences, NEL among them), the Unicode line and paragraph separators,
/// the bidirectional controls that reorder what a terminal or a page shows around them, the
/// byte-order mark and the non-characters U+FFFE and U+FFFF.
pub(super) fn unprintable(c: char) -> Option<&'static str> {
    Some(match c {
        '\t' => "TAB",
        '\n' => "LINE FEED",
        '\r' => "CARRIAGE RETURN",
        '\u{1b}' => "ESCAPE",
        '\u{7f}' => "DELETE",
        '\u{85}' => "NEXT LINE",
        '\u{9b}' => "CONTROL SEQUENCE INTRODUCER",
        '\u{0}'..='\u{1f}' => "a control character",
        '\u{80}'..='\u{9f}' => "a C1 control character",
        '\u{2028}' => "LINE SEPARATOR",
        '\u{2029}' => "PARAGRAPH SEPARATOR",
        '\u{061c}' => "ARABIC LETTER MARK, a bidirectional control",
        '\u{200e}' => "LEFT-TO-RIGHT MARK, a bidirectional control",
        '\u{200f}' => "RIGHT-TO-LEFT MARK, a bidirectional control",
        '\u{202a}' => "LEFT-TO-RIGHT EMBEDDING, a bidirectional control",
        '\u{202b}' => "RIGHT-TO-LEFT EMBEDDING, a bidirectional control",
        '\u{202c}' => "POP DIRECTIONAL FORMATTING, a bidirectional control",
        '\u{202d}' => "LEFT-TO-RIGHT OVERRIDE, a bidirectional control",
        '\u{202e}' => "RIGHT-TO-LEFT OVERRIDE, a bidirectional control",
        '\u{2066}' => "LEFT-TO-RIGHT ISOLATE, a bidirectional control",
        '\u{2067}' => "RIGHT-TO-LEFT ISOLATE, a bidirectional control",
        '\u{2068}' => "FIRST STRONG ISOLATE, a bidirectional control",
        '\u{2069}' => "POP DIRECTIONAL ISOLATE, a bidirectional control",
        '\u{feff}' => "ZERO WIDTH NO-BREAK SPACE (a byte-order mark)",
        '\u{fffe}' | '\u{ffff}' => "a non-character",
        _ => return None,
    })
}

/// An exception's `name`, `reason`, `owner` or `ticket`: one line of printable text. They
/// reach warnings, audit annotations, the checker's terminal output and reports, where a line
/// break, an escape sequence or a bidirectional override would forge or hide what is shown.
pub(super) fn check_text(value: &str) -> Result<(), String> {
    let Some((at, c, what)) = value
        .chars()
        .enumerate()
        .find_map(|(i, c)| unprintable(c).map(|what| (i.saturating_add(1), c, what)))
    else {
        return Ok(());
    };
    let lines = if matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}') {
        "it spans several lines; "
    } else {
        ""
    };
    Err(format!(
        "contains U+{:04X} ({what}) at character {at}: {lines}settings text is one line of \
         printable text, since it is shown in warnings, audit annotations, terminals and \
         reports; remove the character",
        u32::from(c)
    ))
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
