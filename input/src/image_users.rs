//! Image-user tables: image → the `User` its config names, answering the policy's OCI lookups
//! (`imageUser.verify`) without a registry. The checker reads one with `--image-users`, the
//! playground from its "Image users" editor, the e2e tests build them directly; all of them
//! answer a lookup here, so a table means the same everywhere.

use std::collections::BTreeMap;

use serde_json::Value;

/// An image-user table. A lookup tries the image as the pod names it, then its repository
/// (without tag or digest), so `nginx` answers for `nginx:1.27`; an image in neither form is
/// a failed lookup, as an unreachable registry would be.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageUserTable(pub BTreeMap<String, String>);

impl From<BTreeMap<String, String>> for ImageUserTable {
    fn from(table: BTreeMap<String, String>) -> Self {
        ImageUserTable(table)
    }
}

impl ImageUserTable {
    /// The table from a JSON value: a mapping image → user, the user a string, a non-negative
    /// integer, or `""` / null for an image with no USER (which runs as root). Null is the
    /// empty table.
    pub fn from_value(value: Value) -> Result<Self, String> {
        let map = match value {
            Value::Object(map) => map,
            Value::Null => return Ok(Self::default()),
            _ => return Err("expected a mapping image: user".to_owned()),
        };
        let mut out = BTreeMap::new();
        for (image, user) in map {
            let user = match user {
                Value::String(s) => s,
                Value::Number(n) if n.is_u64() => n.to_string(),
                Value::Null => String::new(),
                other => {
                    return Err(format!(
                        "image {image:?}: the user must be a string or a non-negative integer, found {}",
                        crate::value::type_name(&other)
                    ));
                }
            };
            if image.trim().is_empty() {
                return Err("an empty image name".to_owned());
            }
            out.insert(image, user);
        }
        Ok(ImageUserTable(out))
    }

    /// The table from JSON text; blank text is the empty table.
    pub fn from_json(text: &str) -> Result<Self, String> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Ok(Self::default());
        }
        let value: Value = serde_json::from_str(trimmed)
            .map_err(|e| format!("expected a mapping image: user ({e})"))?;
        Self::from_value(value)
    }

    /// The user `image` runs as, by the table: the image as named, then its repository.
    pub fn user(&self, image: &str) -> Result<&str, String> {
        self.0
            .get(image)
            .or_else(|| self.0.get(repository_of(image)))
            .map(String::as_str)
            .ok_or_else(|| format!("no such image in the image-user table: {image}"))
    }
}

/// An image reference without its tag or digest: `reg:5000/a/b:1@sha256:…` → `reg:5000/a/b`.
pub fn repository_of(image: &str) -> &str {
    let without_digest = image.split_once('@').map_or(image, |(repo, _)| repo);
    match without_digest.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => repo,
        _ => without_digest,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn repositories() {
        assert_eq!(repository_of("nginx"), "nginx");
        assert_eq!(repository_of("nginx:1.27"), "nginx");
        assert_eq!(
            repository_of("reg.io:5000/team/app"),
            "reg.io:5000/team/app"
        );
        assert_eq!(
            repository_of("reg.io:5000/team/app:v2"),
            "reg.io:5000/team/app"
        );
        assert_eq!(repository_of("app@sha256:abc"), "app");
        assert_eq!(repository_of("app:1@sha256:abc"), "app");
        assert_eq!(
            repository_of("localhost:5000/app@sha256:abc"),
            "localhost:5000/app"
        );
    }

    #[test]
    fn lookups_by_image_then_repository() {
        let table =
            ImageUserTable::from_value(json!({"nginx": "101", "app:2": 0, "scratch": null}))
                .unwrap();
        assert_eq!(table.user("nginx:1.27"), Ok("101"));
        assert_eq!(table.user("nginx"), Ok("101"));
        assert_eq!(table.user("app:2"), Ok("0"));
        assert_eq!(table.user("scratch@sha256:abc"), Ok(""));
        assert_eq!(
            table.user("app:3"),
            Err("no such image in the image-user table: app:3".to_owned())
        );
    }

    #[test]
    fn json_tables() {
        assert!(ImageUserTable::from_json("").unwrap().0.is_empty());
        assert!(ImageUserTable::from_json("null").unwrap().0.is_empty());
        assert!(ImageUserTable::from_json(r#"{"nginx": [1]}"#).is_err());
        assert!(ImageUserTable::from_json(r#"["nginx"]"#).is_err());
        assert!(ImageUserTable::from_json(r#"{"nginx": -1}"#).is_err());
        assert!(ImageUserTable::from_json(r#"{" ": "1"}"#).is_err());
        assert!(ImageUserTable::from_json("{").is_err());
    }
}
