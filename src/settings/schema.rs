//! The settings as written: serde structs that refuse unknown keys, so a misspelt key is an
//! error instead of a silently disabled rule. `compile` turns them into the model.

use crate::profile::IdRule;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use std::collections::BTreeMap;
use std::fmt;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct RawSettings {
    #[serde(default)]
    pub(super) pod_security_context: Option<RawPodSecurityContext>,
    #[serde(default)]
    pub(super) security_context: Option<RawSecurityContext>,
    #[serde(default)]
    pub(super) pod_security_standard: Option<String>,
    #[serde(default)]
    pub(super) enforcement: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub(super) exceptions: Option<Vec<RawException>>,
    #[serde(default)]
    pub(super) mutation: Option<RawMutation>,
    #[serde(default)]
    pub(super) image_user: Option<RawImageUser>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct RawPodSecurityContext {
    #[serde(default)]
    pub(super) run_as_non_root: Option<bool>,
    #[serde(default)]
    pub(super) run_as_user: Option<IdRule>,
    #[serde(default)]
    pub(super) run_as_group: Option<IdRule>,
    #[serde(default)]
    pub(super) fs_group: Option<IdRule>,
    #[serde(default)]
    pub(super) supplemental_groups: Option<IdRule>,
    #[serde(default)]
    pub(super) seccomp_profile: Option<RawSeccomp>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSeccomp {
    #[serde(default, rename = "type")]
    pub(super) type_: Option<StringList>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct RawSecurityContext {
    #[serde(default)]
    pub(super) allow_privilege_escalation: Option<bool>,
    #[serde(default)]
    pub(super) read_only_root_filesystem: Option<bool>,
    #[serde(default)]
    pub(super) privileged: Option<bool>,
    #[serde(default)]
    pub(super) capabilities: Option<RawCapabilities>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCapabilities {
    #[serde(default)]
    pub(super) drop: Option<Vec<String>>,
    #[serde(default)]
    pub(super) add: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct RawException {
    #[serde(default)]
    pub(super) name: Option<String>,
    #[serde(default)]
    pub(super) reason: Option<String>,
    #[serde(default, rename = "match")]
    pub(super) match_: Option<RawMatch>,
    #[serde(default)]
    pub(super) pod_security_context: Option<RawPodSecurityContext>,
    #[serde(default)]
    pub(super) security_context: Option<RawSecurityContext>,
    #[serde(default)]
    pub(super) pod_security_standard: Option<String>,
    #[serde(default)]
    pub(super) owner: Option<String>,
    #[serde(default)]
    pub(super) ticket: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct RawMatch {
    #[serde(default)]
    pub(super) namespaces: Option<Vec<String>>,
    #[serde(default)]
    pub(super) images: Option<Vec<String>>,
    #[serde(default)]
    pub(super) labels: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub(super) users: Option<Vec<String>>,
    #[serde(default)]
    pub(super) groups: Option<Vec<String>>,
    #[serde(default)]
    pub(super) container_types: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct RawMutation {
    #[serde(default)]
    pub(super) enabled: Option<bool>,
    #[serde(default)]
    pub(super) writable_directories: Option<Vec<RawWritableDirectory>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct RawWritableDirectory {
    pub(super) mount_path: String,
    #[serde(default)]
    pub(super) size_limit: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct RawImageUser {
    #[serde(default)]
    pub(super) verify: Option<bool>,
    #[serde(default)]
    pub(super) on_lookup_failure: Option<String>,
}

/// A string or a list of strings (`seccompProfile.type`).
#[derive(Debug, Clone)]
pub(super) struct StringList(pub(super) Vec<String>);

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

/// Every settings key, as a path (`exceptions[].match.namespaces`; `[]` marks a list's items),
/// read from the serde structs themselves: the docs, the Rancher form and the Artifact Hub
/// package are tested against this list.
pub fn keys() -> Vec<String> {
    // Which struct sits under which key; the field names come from serde.
    let nesting: &[(&str, &[&str])] = &[
        ("", fields_of::<RawSettings>()),
        ("podSecurityContext.", fields_of::<RawPodSecurityContext>()),
        (
            "podSecurityContext.seccompProfile.",
            fields_of::<RawSeccomp>(),
        ),
        ("securityContext.", fields_of::<RawSecurityContext>()),
        (
            "securityContext.capabilities.",
            fields_of::<RawCapabilities>(),
        ),
        ("exceptions[].", fields_of::<RawException>()),
        ("exceptions[].match.", fields_of::<RawMatch>()),
        (
            "exceptions[].podSecurityContext.",
            fields_of::<RawPodSecurityContext>(),
        ),
        (
            "exceptions[].podSecurityContext.seccompProfile.",
            fields_of::<RawSeccomp>(),
        ),
        (
            "exceptions[].securityContext.",
            fields_of::<RawSecurityContext>(),
        ),
        (
            "exceptions[].securityContext.capabilities.",
            fields_of::<RawCapabilities>(),
        ),
        ("mutation.", fields_of::<RawMutation>()),
        (
            "mutation.writableDirectories[].",
            fields_of::<RawWritableDirectory>(),
        ),
        ("imageUser.", fields_of::<RawImageUser>()),
    ];
    let mut out = Vec::new();
    for (prefix, fields) in nesting {
        for f in *fields {
            out.push(format!("{prefix}{f}"));
        }
    }
    out.sort();
    out
}

/// The field names serde reads for `T`, as its derived `Deserialize` declares them.
fn fields_of<T: Deserialize<'static>>() -> &'static [&'static str] {
    let mut fields = None;
    // The recorder only notes what `deserialize_struct` is told, then stops with an error.
    let _ = T::deserialize(FieldRecorder(&mut fields));
    fields.unwrap_or_default()
}

struct FieldRecorder<'r>(&'r mut Option<&'static [&'static str]>);

impl<'de> Deserializer<'de> for FieldRecorder<'_> {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("only structs are recorded"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        *self.0 = Some(fields);
        Err(de::Error::custom("recorded"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::keys;

    #[test]
    fn keys_come_from_the_structs_and_nest() {
        let keys = keys();
        for want in [
            "podSecurityContext.supplementalGroups",
            "exceptions[].match.namespaces",
            "mutation.writableDirectories[].mountPath",
            "imageUser.onLookupFailure",
            "securityContext.capabilities.drop",
        ] {
            assert!(
                keys.iter().any(|k| k == want),
                "{want} missing from {keys:?}"
            );
        }
        // Every nested prefix hangs below a key its parent struct declares.
        for k in &keys {
            if let Some((parent, _)) = k.rsplit_once('.') {
                let parent = parent.trim_end_matches("[]");
                assert!(
                    keys.iter().any(|p| p == parent),
                    "{k}: no parent key {parent}"
                );
            }
        }
        let mut unique = keys.clone();
        unique.dedup();
        assert_eq!(unique.len(), keys.len());
    }
}
