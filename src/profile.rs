//! Profiles: what a pod or container is judged against. The standard is one profile; each
//! exception is the standard with the exception's fields merged over it, field by field.

use std::fmt;

/// A Pod Security Standard level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Privileged,
    Baseline,
    Restricted,
}

impl Level {
    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "privileged" => Some(Level::Privileged),
            "baseline" => Some(Level::Baseline),
            "restricted" => Some(Level::Restricted),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Privileged => "privileged",
            Level::Baseline => "baseline",
            Level::Restricted => "restricted",
        }
    }
}

/// A rule for a numeric ID (`runAsUser`, `runAsGroup`, `fsGroup`): an exact value or a range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdRule {
    Exact(i64),
    Range { min: Option<i64>, max: Option<i64> },
}

impl IdRule {
    pub fn allows(&self, v: i64) -> bool {
        match *self {
            IdRule::Exact(x) => v == x,
            IdRule::Range { min, max } => min.is_none_or(|m| v >= m) && max.is_none_or(|m| v <= m),
        }
    }
    /// True when the only value the rule allows is 0.
    pub fn requires_root(&self) -> bool {
        match *self {
            IdRule::Exact(x) => x == 0,
            IdRule::Range { min, max } => max == Some(0) && min.is_none_or(|m| m <= 0),
        }
    }
}

impl fmt::Display for IdRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            IdRule::Exact(x) => write!(f, "{x}"),
            IdRule::Range {
                min: Some(a),
                max: Some(b),
            } => write!(f, "between {a} and {b}"),
            IdRule::Range {
                min: Some(a),
                max: None,
            } => write!(f, "at least {a}"),
            IdRule::Range {
                min: None,
                max: Some(b),
            } => write!(f, "at most {b}"),
            IdRule::Range {
                min: None,
                max: None,
            } => write!(f, "any value"),
        }
    }
}

/// Fields of a profile, as a bit set: which fields an exception names.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Fields(u16);

impl Fields {
    pub const RUN_AS_NON_ROOT: Fields = Fields(1);
    pub const RUN_AS_USER: Fields = Fields(1 << 1);
    pub const RUN_AS_GROUP: Fields = Fields(1 << 2);
    pub const FS_GROUP: Fields = Fields(1 << 3);
    pub const SECCOMP: Fields = Fields(1 << 4);
    pub const ALLOW_PRIVILEGE_ESCALATION: Fields = Fields(1 << 5);
    pub const READ_ONLY_ROOT_FILESYSTEM: Fields = Fields(1 << 6);
    pub const PRIVILEGED: Fields = Fields(1 << 7);
    pub const CAPS_DROP: Fields = Fields(1 << 8);
    pub const CAPS_ADD: Fields = Fields(1 << 9);
    pub const SUPPLEMENTAL_GROUPS: Fields = Fields(1 << 10);

    /// The settings paths of the fields in the set, for messages.
    pub fn names(self) -> Vec<&'static str> {
        const NAMES: &[(Fields, &str)] = &[
            (Fields::RUN_AS_NON_ROOT, "podSecurityContext.runAsNonRoot"),
            (Fields::RUN_AS_USER, "podSecurityContext.runAsUser"),
            (Fields::RUN_AS_GROUP, "podSecurityContext.runAsGroup"),
            (Fields::FS_GROUP, "podSecurityContext.fsGroup"),
            (
                Fields::SUPPLEMENTAL_GROUPS,
                "podSecurityContext.supplementalGroups",
            ),
            (Fields::SECCOMP, "podSecurityContext.seccompProfile"),
            (
                Fields::ALLOW_PRIVILEGE_ESCALATION,
                "securityContext.allowPrivilegeEscalation",
            ),
            (
                Fields::READ_ONLY_ROOT_FILESYSTEM,
                "securityContext.readOnlyRootFilesystem",
            ),
            (Fields::PRIVILEGED, "securityContext.privileged"),
            (Fields::CAPS_DROP, "securityContext.capabilities.drop"),
            (Fields::CAPS_ADD, "securityContext.capabilities.add"),
        ];
        NAMES
            .iter()
            .filter(|(f, _)| self.contains(*f))
            .map(|(_, n)| *n)
            .collect()
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    pub fn contains(self, other: Fields) -> bool {
        self.0 & other.0 == other.0
    }
    pub fn insert(&mut self, other: Fields) {
        self.0 |= other.0;
    }
}

/// What a pod or container must satisfy. `None` means the field is not enforced by this
/// profile (the Pod Security Standard floor may still judge it).
#[derive(Debug, Clone)]
pub struct Profile {
    pub run_as_non_root: Option<bool>,
    pub run_as_user: Option<IdRule>,
    pub run_as_group: Option<IdRule>,
    pub fs_group: Option<IdRule>,
    /// What every one of the pod's `supplementalGroups` must satisfy.
    pub supplemental_groups: Option<IdRule>,
    /// Accepted `seccompProfile.type` values.
    pub seccomp_types: Option<Vec<String>>,
    pub allow_privilege_escalation: Option<bool>,
    pub read_only_root_filesystem: Option<bool>,
    pub privileged: Option<bool>,
    /// Capabilities every container must drop.
    pub caps_drop: Option<Vec<String>>,
    /// Capabilities a container may add.
    pub caps_add: Option<Vec<String>>,
    /// The Pod Security Standard enforced as a floor.
    pub level: Level,
    /// Fields an exception names: they replace the floor's rule for that field.
    pub relaxes: Fields,
    /// Index of the exception this profile comes from; `None` for the standard.
    pub exception: Option<usize>,
}

impl Profile {
    /// The platform's standard security context, on the restricted floor.
    pub fn platform_standard() -> Profile {
        Profile {
            run_as_non_root: Some(true),
            run_as_user: Some(IdRule::Exact(1000)),
            run_as_group: Some(IdRule::Exact(1000)),
            fs_group: Some(IdRule::Exact(1000)),
            // No root group: 0 would give the pod the files group root owns.
            supplemental_groups: Some(IdRule::Range {
                min: Some(1),
                max: None,
            }),
            seccomp_types: Some(vec!["RuntimeDefault".to_owned()]),
            allow_privilege_escalation: Some(false),
            read_only_root_filesystem: Some(true),
            privileged: None,
            caps_drop: Some(vec!["ALL".to_owned()]),
            caps_add: Some(Vec::new()),
            level: Level::Restricted,
            relaxes: Fields::default(),
            exception: None,
        }
    }

    /// An exception relaxes the floor's rule for exactly the fields it names.
    pub fn relaxes(&self, field: Fields) -> bool {
        self.relaxes.contains(field)
    }

    /// Whether the floor at `level` applies to this profile.
    pub fn floor_at_least(&self, level: Level) -> bool {
        self.level >= level
    }

    /// Whether this profile lets a container add `cap` (used by the floor's capability checks
    /// when the exception names `capabilities.add`).
    pub fn explicitly_allows_cap(&self, cap: &str) -> bool {
        self.relaxes(Fields::CAPS_ADD)
            && self
                .caps_add
                .as_ref()
                .is_some_and(|l| l.iter().any(|c| c == cap))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_rules() {
        let cases = [
            ("exact hit", IdRule::Exact(1000), 1000, true),
            ("exact miss", IdRule::Exact(1000), 999, false),
            (
                "range inside",
                IdRule::Range {
                    min: Some(1000),
                    max: Some(2000),
                },
                1500,
                true,
            ),
            (
                "range below",
                IdRule::Range {
                    min: Some(1000),
                    max: Some(2000),
                },
                999,
                false,
            ),
            (
                "range above",
                IdRule::Range {
                    min: Some(1000),
                    max: Some(2000),
                },
                2001,
                false,
            ),
            (
                "open max",
                IdRule::Range {
                    min: Some(1),
                    max: None,
                },
                i64::MAX,
                true,
            ),
            (
                "open min admits root",
                IdRule::Range {
                    min: None,
                    max: Some(10),
                },
                0,
                true,
            ),
        ];
        for (name, rule, v, want) in cases {
            assert_eq!(rule.allows(v), want, "{name}");
        }
        assert!(IdRule::Exact(0).requires_root());
        assert!(
            IdRule::Range {
                min: Some(0),
                max: Some(0)
            }
            .requires_root()
        );
        assert!(
            !IdRule::Range {
                min: Some(0),
                max: Some(1)
            }
            .requires_root()
        );
        assert_eq!(
            IdRule::Range {
                min: Some(1),
                max: Some(2)
            }
            .to_string(),
            "between 1 and 2"
        );
    }
}
