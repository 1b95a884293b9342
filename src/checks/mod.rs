//! The checks, one file each, and the registry that lists them.
//!
//! Modelled on the upstream Pod Security Admission code: every check has a stable ID (used in
//! messages, `enforcement` and the docs), a doc comment saying what it enforces, and a table of
//! named test cases. A check reads the lean pod view and the profile that applies to each
//! container (or to the pod), and appends typed [`Violation`]s; rendering happens in one place
//! (`crate::verdict`).
//!
//! Where a standard check and a Pod Security Standard floor check concern the same field they
//! share the ID, and one file holds both rules (e.g. `runAsNonRoot`).

use crate::profile::{Level, Profile};
use crate::settings::{Exception, ImageUser};
use crate::view::{ContainerRef, ObjectMeta, PodSpec};

pub mod allow_privilege_escalation;
pub mod app_armor_profile;
pub mod capabilities;
pub mod capabilities_baseline;
pub mod capabilities_restricted;
pub mod consistency;
pub mod fs_group;
pub mod host_namespaces;
pub mod host_path_volumes;
pub mod host_ports;
pub mod host_probes_and_host_lifecycle;
pub mod host_process;
pub mod image_user;
pub mod privileged;
pub mod proc_mount;
pub mod proc_mount_restricted;
pub mod read_only_root_filesystem;
pub mod restricted_volumes;
pub mod run_as_group;
pub mod run_as_non_root;
pub mod run_as_user;
pub mod se_linux_options;
pub mod seccomp_profile;
pub mod seccomp_profile_baseline;
pub mod seccomp_profile_restricted;
pub mod supplemental_groups;
pub mod sysctls;
pub mod windows_pods;

/// One registered check: what it is (its ID, where it comes from) and how it runs.
pub struct Check {
    pub id: &'static str,
    /// Whether it enforces the platform's standard profile.
    pub standard: bool,
    /// The Pod Security Standard level whose floor it enforces, if any.
    pub floor: Option<Level>,
    /// The Pod Security Standards version whose rule it follows (floor checks).
    pub pss: Option<&'static str>,
    /// One line for the docs and the playground.
    pub summary: &'static str,
    pub run: fn(&Ctx<'_, '_>, &mut Vec<Violation>),
}

/// The Pod Security Standards version the floor follows.
pub const PSS_VERSION: &str = "v1.37";

/// Every check, standard first, then the Pod Security Standard floor (baseline, restricted).
pub const REGISTRY: &[Check] = &[
    run_as_non_root::CHECK,
    run_as_user::CHECK,
    run_as_group::CHECK,
    fs_group::CHECK,
    supplemental_groups::CHECK,
    seccomp_profile::CHECK,
    allow_privilege_escalation::CHECK,
    read_only_root_filesystem::CHECK,
    capabilities::CHECK,
    consistency::CHECK,
    image_user::CHECK,
    windows_pods::CHECK,
    host_process::CHECK,
    host_namespaces::CHECK,
    privileged::CHECK,
    capabilities_baseline::CHECK,
    host_path_volumes::CHECK,
    host_ports::CHECK,
    host_probes_and_host_lifecycle::CHECK,
    app_armor_profile::CHECK,
    se_linux_options::CHECK,
    proc_mount::CHECK,
    seccomp_profile_baseline::CHECK,
    sysctls::CHECK,
    restricted_volumes::CHECK,
    seccomp_profile_restricted::CHECK,
    capabilities_restricted::CHECK,
    proc_mount_restricted::CHECK,
];

/// The check IDs, in registry order: derived from the registry, never listed twice.
pub fn ids() -> Vec<&'static str> {
    REGISTRY.iter().map(|c| c.id).collect()
}

/// What a violation is about: the pod as a whole, or one container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    Pod,
    Container {
        kind: crate::view::ContainerKind,
        index: usize,
        name: String,
    },
}

impl Subject {
    pub fn of(c: &ContainerRef<'_, '_>) -> Subject {
        Subject::Container {
            kind: c.kind,
            index: c.index,
            name: c.container.name.to_string(),
        }
    }
}

/// How serious a finding is regardless of `enforcement`: a `Warning` never denies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// One finding, typed; `crate::verdict` renders it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub check: &'static str,
    pub subject: Subject,
    /// Path relative to the pod template (`spec.containers[1].securityContext.runAsUser`,
    /// `metadata.annotations[...]`); the verdict prefixes the workload's template path.
    pub field: String,
    pub found: String,
    pub required: String,
    pub fix: String,
    /// The exception the subject was judged against, if any (index into settings).
    pub exception: Option<usize>,
    pub severity: Severity,
}

/// Everything a check reads.
pub struct Ctx<'p, 'a> {
    pub pod: &'p PodSpec<'a>,
    pub meta: &'p ObjectMeta<'a>,
    /// The settings' exceptions (the profiles carry their index).
    pub exceptions: &'p [Exception],
    /// `imageUser` settings.
    pub image_user: &'p ImageUser,
    /// The profile of each container, by visiting ordinal.
    pub container_profiles: Vec<&'p Profile>,
    /// The profile for pod-level fields (the exception only when it covers every container).
    pub pod_profile: &'p Profile,
    /// Image users looked up for this request (empty unless `imageUser.verify`).
    pub image_users: &'p crate::image_user::ImageUsers,
}

impl<'p, 'a> Ctx<'p, 'a> {
    pub fn containers(&self) -> impl Iterator<Item = ContainerRef<'p, 'a>> + 'p {
        self.pod.visit()
    }

    pub fn profile_of(&self, c: &ContainerRef<'_, '_>) -> &'p Profile {
        self.container_profiles
            .get(c.ordinal)
            .copied()
            .unwrap_or(self.pod_profile)
    }

    /// The profile that judges a value a container may inherit from the pod: the container's
    /// own profile when it sets the field (or nobody does), the pod's when it inherits it.
    pub fn judge_inherited(
        &self,
        c: &ContainerRef<'_, '_>,
        container_sets: bool,
        pod_sets: bool,
    ) -> &'p Profile {
        if !container_sets && pod_sets {
            self.pod_profile
        } else {
            self.profile_of(c)
        }
    }

    pub fn pod_sc(&self) -> Option<&'p crate::view::PodSecurityContext<'a>> {
        self.pod.security_context.as_ref()
    }

    /// A violation about a container.
    pub fn on_container(
        &self,
        check: &'static str,
        c: &ContainerRef<'_, '_>,
        profile: &Profile,
        rest: &str,
    ) -> Builder {
        Builder(Violation {
            check,
            subject: Subject::of(c),
            field: container_path(c, rest),
            found: String::new(),
            required: String::new(),
            fix: String::new(),
            exception: profile.exception,
            severity: Severity::Error,
        })
    }

    /// A violation about the pod (a pod-level field).
    pub fn on_pod(&self, check: &'static str, field: String) -> Builder {
        Builder(Violation {
            check,
            subject: Subject::Pod,
            field,
            found: String::new(),
            required: String::new(),
            fix: String::new(),
            exception: self.pod_profile.exception,
            severity: Severity::Error,
        })
    }
}

/// Fills in a violation; `.push(out)` appends it.
pub struct Builder(Violation);

impl Builder {
    pub fn found(mut self, s: impl Into<String>) -> Self {
        self.0.found = s.into();
        self
    }
    pub fn required(mut self, s: impl Into<String>) -> Self {
        self.0.required = s.into();
        self
    }
    pub fn fix(mut self, s: impl Into<String>) -> Self {
        self.0.fix = s.into();
        self
    }
    pub fn warning(mut self) -> Self {
        self.0.severity = Severity::Warning;
        self
    }
    pub fn subject_pod(mut self) -> Self {
        self.0.subject = Subject::Pod;
        self
    }
    pub fn push(self, out: &mut Vec<Violation>) {
        out.push(self.0);
    }
}

pub fn container_path(c: &ContainerRef<'_, '_>, rest: &str) -> String {
    format!("spec.{}[{}].{}", c.kind.field(), c.index, rest)
}

/// How a missing value reads in a message.
pub const NOT_SET: &str = "not set";

pub fn show_opt_bool(v: Option<bool>) -> String {
    v.map_or_else(|| NOT_SET.to_owned(), |b| b.to_string())
}

/// How a capability list reads in a message: `[A, B]`, or "not set" when empty.
pub fn show_caps(list: &[crate::view::Str<'_>]) -> String {
    if list.is_empty() {
        return NOT_SET.to_owned();
    }
    let names: Vec<&str> = list.iter().map(|c| c.as_ref()).collect();
    format!("[{}]", names.join(", "))
}

pub fn quote(s: &str) -> String {
    format!("{s:?}")
}

#[cfg(test)]
pub mod testing;

/// Where a value that containers inherit from the pod is being judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The pod-level value; `inherited` says whether any container runs with it.
    Pod { inherited: bool },
    /// A container's own value, or its lack of one when the pod sets none either.
    Container,
}

/// What a rule demands when a value fails it.
pub struct Demand {
    pub required: String,
    pub fix: String,
}

pub fn demand(required: impl Into<String>, fix: impl Into<String>) -> Option<Demand> {
    Some(Demand {
        required: required.into(),
        fix: fix.into(),
    })
}

/// Judges a field that a container's own securityContext overrides and otherwise inherits from
/// the pod's (`runAsUser`, `runAsNonRoot`, `seccompProfile`, ...).
///
/// - A container's own value is judged against the container's profile.
/// - A container that sets nothing while the pod sets nothing is judged against its profile
///   with the value absent.
/// - The pod-level value is judged once, against the pod's profile, saying whether any
///   container inherits it (the standard judges what runs; the floor judges what is written).
#[allow(clippy::too_many_arguments)]
pub fn judge_inheritable<'p, 'a, T: Copy>(
    ctx: &Ctx<'p, 'a>,
    out: &mut Vec<Violation>,
    id: &'static str,
    rest: &str,
    pod_value: Option<T>,
    own: impl Fn(&ContainerRef<'p, 'a>) -> Option<T>,
    show: impl Fn(T) -> String,
    judge: impl Fn(&Profile, Option<T>, Scope) -> Option<Demand>,
) {
    let mut inherited = false;
    for c in ctx.containers() {
        let value = own(&c);
        if value.is_none() && pod_value.is_some() {
            inherited = true;
            continue;
        }
        let profile = ctx.profile_of(&c);
        if let Some(d) = judge(profile, value, Scope::Container) {
            let found =
                value.map_or_else(|| format!("{NOT_SET} (on the container or the pod)"), &show);
            ctx.on_container(id, &c, profile, rest)
                .found(found)
                .required(d.required)
                .fix(d.fix)
                .push(out);
        }
    }
    if let Some(v) = pod_value
        && let Some(d) = judge(ctx.pod_profile, Some(v), Scope::Pod { inherited })
    {
        ctx.on_pod(id, format!("spec.{rest}"))
            .found(show(v))
            .required(d.required)
            .fix(d.fix)
            .push(out);
    }
}

pub fn show_opt_i64(v: Option<i64>) -> String {
    v.map_or_else(|| NOT_SET.to_owned(), |b| b.to_string())
}

impl Builder {
    /// Attributes a pod-located finding (an annotation) to a container and its profile.
    pub fn subject_container(mut self, c: &ContainerRef<'_, '_>, profile: &Profile) -> Self {
        self.0.subject = Subject::of(c);
        self.0.exception = profile.exception;
        self
    }
}
