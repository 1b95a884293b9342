//! The exceptions indexed by what a request can match them on: the namespace first, then the
//! image repository. A container only tries the exceptions that can cover it, in their original
//! order (first match still wins), so the cost of a request does not grow with the number of
//! exceptions for other namespaces and images. The index only prunes: every candidate is still
//! held against its whole `match`.

use super::Exception;
use crate::image::{ImagePattern, ImageRef};
use std::collections::HashMap;

/// Exceptions of one namespace (or of none), by image repository.
#[derive(Debug, Clone, Default)]
struct Bucket {
    /// Exceptions whose image patterns all name exact repositories, by repository.
    by_repository: HashMap<String, Vec<usize>>,
    /// Exceptions with no image pattern, or one that covers a path (`registry/path/*`).
    any_image: Vec<usize>,
}

impl Bucket {
    fn add(&mut self, i: usize, e: &Exception) {
        let exact: Option<Vec<&str>> = if e.images.is_empty() {
            None
        } else {
            e.images
                .iter()
                .map(|p| match p {
                    ImagePattern::Repository(r)
                    | ImagePattern::Tag(r, _)
                    | ImagePattern::Digest(r, _) => Some(r.as_str()),
                    ImagePattern::Below(_) => None,
                })
                .collect()
        };
        match exact {
            Some(repositories) => {
                for r in repositories {
                    let list = self.by_repository.entry(r.to_owned()).or_default();
                    if list.last() != Some(&i) {
                        list.push(i);
                    }
                }
            }
            None => self.any_image.push(i),
        }
    }

    /// The lists a container of this image may find its exception in.
    fn lists<'b>(&'b self, image: Option<&ImageRef>, out: &mut Vec<&'b [usize]>) {
        if let Some(list) = image.and_then(|i| self.by_repository.get(&i.repository)) {
            out.push(list);
        }
        if !self.any_image.is_empty() {
            out.push(&self.any_image);
        }
    }
}

/// The settings' exceptions, indexed.
#[derive(Debug, Clone, Default)]
pub struct ExceptionIndex {
    by_namespace: HashMap<String, Bucket>,
    /// Exceptions that name no namespace (matched by users, groups, images or labels).
    any_namespace: Bucket,
}

impl ExceptionIndex {
    pub fn new(exceptions: &[Exception]) -> ExceptionIndex {
        let mut index = ExceptionIndex::default();
        for (i, e) in exceptions.iter().enumerate() {
            if e.namespaces.is_empty() {
                index.any_namespace.add(i, e);
            } else {
                for ns in &e.namespaces {
                    index.by_namespace.entry(ns.clone()).or_default().add(i, e);
                }
            }
        }
        index
    }

    /// The exceptions a container in `namespace` with `image` may match, in settings order.
    pub fn candidates(&self, namespace: &str, image: Option<&ImageRef>) -> Vec<usize> {
        let mut lists: Vec<&[usize]> = Vec::with_capacity(4);
        if let Some(bucket) = self.by_namespace.get(namespace) {
            bucket.lists(image, &mut lists);
        }
        self.any_namespace.lists(image, &mut lists);
        match lists.as_slice() {
            [] => Vec::new(),
            [one] => one.to_vec(),
            _ => {
                let mut all: Vec<usize> = lists.concat();
                all.sort_unstable();
                all.dedup();
                all
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::image::parse_image;
    use crate::settings::Settings;
    use serde_json::json;

    #[test]
    fn candidates_keep_settings_order_and_prune() {
        let s = Settings::from_json(
            json!({"exceptions": [
                {"name": "pg", "reason": "r", "match": {"namespaces": ["data"], "images": ["postgres"]}, "securityContext": {"readOnlyRootFilesystem": false}},
                {"name": "team", "reason": "r", "match": {"namespaces": ["data", "apps"], "images": ["registry.matih.io/team/*"]}, "securityContext": {"readOnlyRootFilesystem": false}},
                {"name": "debug", "reason": "r", "match": {"groups": ["sre"], "containerTypes": ["ephemeralContainers"]}, "securityContext": {"readOnlyRootFilesystem": false}},
                {"name": "redis", "reason": "r", "match": {"namespaces": ["data"], "images": ["redis", "bitnami/redis"]}, "securityContext": {"readOnlyRootFilesystem": false}},
                {"name": "audit", "reason": "r", "match": {"images": ["postgres"]}},
            ]})
            .to_string()
            .as_bytes(),
        )
        .expect("valid");
        let index = &s.exception_index;
        let image = |i: &str| parse_image(i).ok();
        let cases: &[(&str, &str, Option<&str>, &[usize])] = &[
            (
                "postgres in data",
                "data",
                Some("postgres:16"),
                &[0, 1, 2, 4],
            ),
            ("redis in data", "data", Some("bitnami/redis:7"), &[1, 2, 3]),
            ("postgres elsewhere", "web", Some("postgres:16"), &[2, 4]),
            ("no image", "apps", None, &[1, 2]),
            ("unknown namespace and image", "other", Some("nginx"), &[2]),
        ];
        for (name, ns, img, want) in cases {
            let got = index.candidates(ns, img.and_then(image).as_ref());
            assert_eq!(&got, want, "{name}");
        }
    }
}
