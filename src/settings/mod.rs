//! Policy settings: parsed strictly (unknown keys are errors), validated, and compiled into the
//! profiles the checks use. See CONTRACT §2 and the README's settings reference.

pub mod image;

use crate::checks::{self, Action};
use crate::profile::{Fields, IdRule, Level, Profile};
use image::{ImagePattern, ImageRef};
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use std::collections::BTreeMap;
use std::fmt;

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

// ---------------------------------------------------------------------------------------------
// Raw settings, exactly as written by the user.

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawSettings {
    #[serde(default)]
    pod_security_context: Option<RawPodSecurityContext>,
    #[serde(default)]
    security_context: Option<RawSecurityContext>,
    #[serde(default)]
    pod_security_standard: Option<String>,
    #[serde(default)]
    enforcement: Option<BTreeMap<String, String>>,
    #[serde(default)]
    exceptions: Option<Vec<RawException>>,
    #[serde(default)]
    mutation: Option<RawMutation>,
    #[serde(default)]
    image_user: Option<RawImageUser>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawPodSecurityContext {
    #[serde(default)]
    run_as_non_root: Option<bool>,
    #[serde(default)]
    run_as_user: Option<IdRule>,
    #[serde(default)]
    run_as_group: Option<IdRule>,
    #[serde(default)]
    fs_group: Option<IdRule>,
    #[serde(default)]
    supplemental_groups: Option<IdRule>,
    #[serde(default)]
    seccomp_profile: Option<RawSeccomp>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSeccomp {
    #[serde(default, rename = "type")]
    type_: Option<StringList>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawSecurityContext {
    #[serde(default)]
    allow_privilege_escalation: Option<bool>,
    #[serde(default)]
    read_only_root_filesystem: Option<bool>,
    #[serde(default)]
    privileged: Option<bool>,
    #[serde(default)]
    capabilities: Option<RawCapabilities>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCapabilities {
    #[serde(default)]
    drop: Option<Vec<String>>,
    #[serde(default)]
    add: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawException {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default, rename = "match")]
    match_: Option<RawMatch>,
    #[serde(default)]
    pod_security_context: Option<RawPodSecurityContext>,
    #[serde(default)]
    security_context: Option<RawSecurityContext>,
    #[serde(default)]
    pod_security_standard: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMatch {
    #[serde(default)]
    namespaces: Option<Vec<String>>,
    #[serde(default)]
    images: Option<Vec<String>>,
    #[serde(default)]
    labels: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawMutation {
    #[serde(default)]
    enabled: Option<bool>,
    #[serde(default)]
    writable_directories: Option<Vec<RawWritableDirectory>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawWritableDirectory {
    mount_path: String,
    #[serde(default)]
    size_limit: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawImageUser {
    #[serde(default)]
    verify: Option<bool>,
    #[serde(default)]
    on_lookup_failure: Option<String>,
}

/// A string or a list of strings (`seccompProfile.type`).
#[derive(Debug, Clone)]
struct StringList(Vec<String>);

impl<'de> Deserialize<'de> for StringList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = StringList;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or a list of strings")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<StringList, E> {
                Ok(StringList(vec![s.to_owned()]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<StringList, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = seq.next_element::<String>()? {
                    out.push(s);
                }
                Ok(StringList(out))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for IdRule {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = IdRule;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a whole number or {min: N, max: M}")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<IdRule, E> {
                Ok(IdRule::Exact(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<IdRule, E> {
                i64::try_from(v)
                    .map(IdRule::Exact)
                    .map_err(|_| E::custom(format!("{v} is out of range")))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<IdRule, A::Error> {
                let (mut min, mut max) = (None, None);
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "min" => min = Some(map.next_value::<i64>()?),
                        "max" => max = Some(map.next_value::<i64>()?),
                        other => {
                            return Err(de::Error::custom(format!(
                                "unknown field `{other}`, expected `min` or `max`"
                            )));
                        }
                    }
                }
                if min.is_none() && max.is_none() {
                    return Err(de::Error::custom("a range needs `min`, `max` or both"));
                }
                Ok(IdRule::Range { min, max })
            }
        }
        d.deserialize_any(V)
    }
}

// ---------------------------------------------------------------------------------------------
// Compiled settings.

/// One exception of the seed's table: who it covers, why, and the profile it grants.
#[derive(Debug, Clone)]
pub struct Exception {
    pub name: String,
    pub reason: String,
    /// The key of the audit annotation that records this exception's use: unique among the
    /// settings' exceptions, and a valid annotation key once the webhook prefixes it.
    pub audit_key: String,
    pub namespaces: Vec<String>,
    pub images: Vec<ImagePattern>,
    pub labels: Vec<(String, String)>,
    pub profile: Profile,
}

impl Exception {
    /// Whether this exception covers a container: every criterion given must hold.
    pub fn matches(
        &self,
        namespace: &str,
        labels: &crate::view::Labels<'_>,
        image: Option<&ImageRef>,
    ) -> bool {
        (self.namespaces.is_empty() || self.namespaces.iter().any(|n| n == namespace))
            && (self.images.is_empty()
                || image.is_some_and(|i| self.images.iter().any(|p| p.matches(i))))
            && self
                .labels
                .iter()
                .all(|(k, v)| labels.get(k) == Some(v.as_str()))
    }
}

/// Validated, compiled settings.
#[derive(Debug, Clone)]
pub struct Settings {
    pub standard: Profile,
    pub exceptions: Vec<Exception>,
    /// Action per check, indexed like `checks::IDS`.
    pub enforcement: Vec<Action>,
    pub mutation: Mutation,
    pub image_user: ImageUser,
}

/// `mutation`: fill absent fields from the profile that applies (CONTRACT §4).
#[derive(Debug, Clone, Default)]
pub struct Mutation {
    pub enabled: bool,
    pub writable_directories: Vec<WritableDirectory>,
}

/// One of `mutation.writableDirectories`: an emptyDir for read-only-root containers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WritableDirectory {
    /// Absolute, without a trailing slash.
    pub mount_path: String,
    pub size_limit: Option<String>,
}

/// `imageUser`: verify the image's configured USER through the OCI host capability (§5).
#[derive(Debug, Clone, Default)]
pub struct ImageUser {
    pub verify: bool,
    pub deny_on_lookup_failure: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            standard: Profile::seed_standard(),
            exceptions: Vec::new(),
            enforcement: vec![Action::Deny; checks::IDS.len()],
            mutation: Mutation::default(),
            image_user: ImageUser::default(),
        }
    }
}

impl Settings {
    /// Parses and validates settings JSON. The error lists every problem found, one a line.
    pub fn from_json(bytes: &[u8]) -> Result<Settings, String> {
        let trimmed = bytes.trim_ascii();
        let raw: RawSettings = if trimmed.is_empty() || trimmed == b"null" {
            RawSettings::default()
        } else if trimmed.first() != Some(&b'{') {
            // serde would read a struct from a JSON array too; settings are an object.
            return Err("invalid settings: expected a JSON object (a YAML mapping), e.g. {} for the standard".to_owned());
        } else {
            let text = std::str::from_utf8(bytes)
                .map_err(|e| format!("invalid settings: not UTF-8 text: {e}"))?;
            serde_json::from_str(text).map_err(|e| describe_parse_error(text, &e))?
        };
        compile(raw)
    }

    pub fn action(&self, check: &str) -> Action {
        checks::index_of(check)
            .and_then(|i| self.enforcement.get(i).copied())
            .unwrap_or(Action::Deny)
    }
}

fn describe_parse_error(text: &str, e: &serde_json::Error) -> String {
    // serde_json appends " at line L column C"; kept, it helps in a settings file.
    let mut msg = format!("invalid settings: {}", crate::json_path::describe(text, e));
    if e.to_string().contains("unknown field") {
        msg.push_str(" (a misspelt key would silently disable a rule, so unknown keys are refused; see the README's settings reference)");
    }
    msg
}

struct Errors(Vec<String>);

impl Errors {
    fn push(&mut self, msg: String) {
        self.0.push(msg);
    }
}

fn compile(raw: RawSettings) -> Result<Settings, String> {
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

    let mut enforcement = vec![Action::Deny; checks::IDS.len()];
    for (id, action) in raw.enforcement.iter().flatten() {
        let Some(i) = checks::index_of(id) else {
            errors.push(format!(
                "enforcement.{id}: unknown check ID; known IDs: {}",
                checks::IDS.join(", ")
            ));
            continue;
        };
        let Some(a) = Action::parse(action) else {
            errors.push(format!(
                "enforcement.{id}: {action:?} is not one of deny, warn, off"
            ));
            continue;
        };
        if let Some(slot) = enforcement.get_mut(i) {
            *slot = a;
        }
    }

    // The standard: a block given replaces that block's defaults.
    let seed = Profile::seed_standard();
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

        let m = raw_exc.match_.unwrap_or_default();
        let namespaces = m.namespaces.unwrap_or_default();
        let image_patterns = m.images.unwrap_or_default();
        let label_map = m.labels.unwrap_or_default();
        if namespaces.is_empty() && image_patterns.is_empty() && label_map.is_empty() {
            errors.push(format!("{label}: `match` is empty; give namespaces, images or labels (an empty match would cover every pod)"));
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
        // hand out.
        if namespaces.is_empty() && (!profile.relaxes.is_empty() || exc_level < level) {
            let grants = root_grants(
                &raw_exc.pod_security_context,
                &raw_exc.security_context,
                exc_level,
            );
            let mut named = profile.relaxes.names();
            let floor = format!("podSecurityStandard: {}", exc_level.as_str());
            if exc_level < level {
                named.push(&floor);
            }
            let root = if grants.is_empty() {
                String::new()
            } else {
                format!(" and grants root ({})", grants.join(", "))
            };
            errors.push(format!(
                "{label}: relaxes the standard ({}){root} but has no match.namespaces; labels and image names are chosen by whoever writes the pod, so they alone cannot be a security boundary: every exception that relaxes anything must also list the namespaces it applies to",
                named.join(", ")
            ));
        }

        exceptions.push(Exception {
            audit_key: String::new(),
            name: name.unwrap_or_default(),
            reason: reason.unwrap_or_default(),
            namespaces,
            images,
            labels,
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

/// Rules that hold for any profile after the merge: what the kubelet refuses, or what would
/// mean something else than it says.
fn check_profile(p: &Profile, label: &str, errors: &mut Errors) {
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
fn root_grants(
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

/// The longest exception name: audit annotations carry it whole.
pub const MAX_EXCEPTION_NAME: usize = 253;

/// The audit annotation key of each exception, in order. A key is `exception.<name>` with the
/// characters an annotation key cannot hold replaced by `-`, cut to 63 characters. Two names
/// may give one key (`db writer`, `db-writer`): the later one then gets its position appended
/// (`exception.db-writer-1`), so every exception used is recorded under a key of its own.
fn audit_keys(names: &[&str]) -> Vec<String> {
    const MAX: usize = 63;
    let trim = |s: &str, max: usize| -> String {
        let cut: String = s.chars().take(max).collect();
        cut.trim_end_matches(['-', '_', '.']).to_owned()
    };
    let mut keys: Vec<String> = Vec::with_capacity(names.len());
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
        while keys.contains(&key) {
            let suffix = format!("-{n}");
            key = format!("{}{suffix}", trim(&base, MAX.saturating_sub(suffix.len())));
            n = n.saturating_add(names.len());
        }
        keys.push(key);
    }
    keys
}

/// A writable directory must be a normalised absolute path below `/`: the policy compares it
/// with the mounts a container already has, so `/tmp/`, `/tmp/.`, `//tmp` or `/var/../tmp`
/// would each name `/tmp` in another spelling and slip past that comparison.
fn check_mount_path(path: &str) -> Result<(), &'static str> {
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
fn is_quantity(q: &str) -> bool {
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

/// A namespace name: an RFC 1123 label.
fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

fn is_label_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && s.as_bytes().first().is_some_and(u8::is_ascii_alphanumeric)
        && s.as_bytes().last().is_some_and(u8::is_ascii_alphanumeric)
}

fn is_dns_subdomain(s: &str) -> bool {
    !s.is_empty() && s.len() <= 253 && s.split('.').all(is_dns_label)
}

fn validate_label(key: &str, value: &str) -> Result<(), String> {
    let (prefix, name) = match key.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    if prefix.is_some_and(|p| !is_dns_subdomain(p)) || !is_label_name(name) {
        return Err(format!(
            "{key:?} is not a valid label key (an optional DNS-subdomain prefix and '/', then up to 63 alphanumerics, '-', '_' or '.')"
        ));
    }
    if !value.is_empty() && !is_label_name(value) {
        return Err(format!(
            "{key}: {value:?} is not a valid label value (up to 63 alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric)"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;

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
