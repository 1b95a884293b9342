//! Policy settings: parsed strictly (unknown keys are errors), validated, and compiled into the
//! profiles the checks use. docs/settings.md documents every key.
//!
//! - `schema`: the serde structs, as written;
//! - `compile`: the model built from them (the standard, exceptions merged over it);
//! - `rules`: what a profile must satisfy after the merge, and what amounts to root;
//! - `names`: Kubernetes names and quantities.

mod compile;
mod index;
mod names;
mod rules;
mod schema;

pub use index::ExceptionIndex;
pub use rules::{CAPABILITIES, MAX_EXCEPTION_NAME, SECCOMP_TYPES};
pub use schema::keys;

use crate::image::{ImagePattern, ImageRef};
use crate::profile::Profile;
use crate::view::ContainerKind;

/// What `enforcement` does with a check's violations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Deny,
    Warn,
    Off,
}

impl Action {
    pub fn parse(s: &str) -> Option<Action> {
        match s {
            "deny" => Some(Action::Deny),
            "warn" => Some(Action::Warn),
            "off" => Some(Action::Off),
            _ => None,
        }
    }
}

/// One exception of the platform's overrides table: who it covers, why, and the profile it
/// grants.
#[derive(Debug, Clone)]
pub struct Exception {
    pub name: String,
    pub reason: String,
    /// Who answers for it (a team or a person), shown next to the reason.
    pub owner: Option<String>,
    /// The ticket or change that approved it (a URL or an identifier).
    pub ticket: Option<String>,
    /// The key of the audit annotation that records this exception's use: unique among the
    /// settings' exceptions, and a valid annotation key once the webhook prefixes it.
    pub audit_key: String,
    pub namespaces: Vec<String>,
    pub images: Vec<ImagePattern>,
    pub labels: Vec<(String, String)>,
    /// The requesting user must be one of these (exact usernames).
    pub users: Vec<String>,
    /// The requesting user must be in one of these groups.
    pub groups: Vec<String>,
    /// The kinds of container covered (all when empty).
    pub container_types: Vec<ContainerKind>,
    pub profile: Profile,
}

/// Who sends the request: `userInfo.username` and `userInfo.groups`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Requester<'r> {
    pub username: &'r str,
    pub groups: &'r [String],
}

/// What an exception's `match` is held against for one container.
pub struct Candidate<'c> {
    pub namespace: &'c str,
    pub labels: &'c crate::view::Labels<'c>,
    pub image: Option<&'c ImageRef>,
    pub kind: ContainerKind,
    pub requester: Requester<'c>,
}

impl Exception {
    /// Whether this exception covers a container: every criterion given must hold.
    pub fn matches(&self, c: &Candidate<'_>) -> bool {
        (self.namespaces.is_empty() || self.namespaces.iter().any(|n| n == c.namespace))
            && (self.container_types.is_empty() || self.container_types.contains(&c.kind))
            && (self.users.is_empty() || self.users.iter().any(|u| u == c.requester.username))
            && (self.groups.is_empty()
                || c.requester
                    .groups
                    .iter()
                    .any(|g| self.groups.iter().any(|want| want == g)))
            && (self.images.is_empty()
                || c.image
                    .is_some_and(|i| self.images.iter().any(|p| p.matches(i))))
            && self
                .labels
                .iter()
                .all(|(k, v)| c.labels.get(k) == Some(v.as_str()))
    }

    /// `owner: …, ticket: …` for messages, when the exception names them.
    pub fn accountability(&self) -> Option<String> {
        let parts: Vec<String> = [("owner", &self.owner), ("ticket", &self.ticket)]
            .into_iter()
            .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}: {v}")))
            .collect();
        (!parts.is_empty()).then(|| parts.join(", "))
    }
}

/// Validated, compiled settings.
#[derive(Debug, Clone)]
pub struct Settings {
    pub standard: Profile,
    pub exceptions: Vec<Exception>,
    /// The exceptions by namespace and image repository, for profile selection.
    pub exception_index: ExceptionIndex,
    /// The actions `enforcement` sets, by check ID; every other check denies.
    pub enforcement: Vec<(&'static str, Action)>,
    pub mutation: Mutation,
    pub image_user: ImageUser,
}

/// `mutation`: fill absent fields from the profile that applies (docs/mutation-and-image-users.md).
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

/// `imageUser`: verify the image's configured USER through the OCI host capability (docs/mutation-and-image-users.md).
#[derive(Debug, Clone, Default)]
pub struct ImageUser {
    pub verify: bool,
    pub deny_on_lookup_failure: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            standard: Profile::platform_standard(),
            exceptions: Vec::new(),
            exception_index: ExceptionIndex::default(),
            enforcement: Vec::new(),
            mutation: Mutation::default(),
            image_user: ImageUser::default(),
        }
    }
}

impl Settings {
    /// Parses and validates settings JSON; `checks` are the check IDs `enforcement` may name
    /// (the registry's, given by the caller: settings come before the checks). The error lists
    /// every problem found, one a line.
    pub fn from_json_with_checks(
        bytes: &[u8],
        checks: &[&'static str],
    ) -> Result<Settings, String> {
        let trimmed = bytes.trim_ascii();
        let raw: schema::RawSettings = if trimmed.is_empty() || trimmed == b"null" {
            schema::RawSettings::default()
        } else if trimmed.first() != Some(&b'{') {
            // serde would read a struct from a JSON array too; settings are an object.
            return Err("invalid settings: expected a JSON object (a YAML mapping), e.g. {} for the standard".to_owned());
        } else {
            let text = std::str::from_utf8(bytes)
                .map_err(|e| format!("invalid settings: not UTF-8 text: {e}"))?;
            serde_json::from_str(text).map_err(|e| compile::describe_parse_error(text, &e))?
        };
        compile::compile(raw, checks)
    }

    /// What `enforcement` does with the violations of `check`.
    pub fn action(&self, check: &str) -> Action {
        self.enforcement
            .iter()
            .find(|(id, _)| *id == check)
            .map_or(Action::Deny, |(_, a)| *a)
    }
}

/// Problems found while compiling, one a line.
struct Errors(Vec<String>);

impl Errors {
    fn push(&mut self, msg: String) {
        self.0.push(msg);
    }
}

#[cfg(test)]
mod tests;
