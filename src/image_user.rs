//! Image-user verification (docs/mutation-and-image-users.md; the platform's rule "verify the
//! container UID").
//!
//! A container that must run as non-root but names no `runAsUser` runs as the image's
//! configured `USER`. When that user is root (or a name the kubelet cannot verify), the pod
//! fails at start with `CreateContainerConfigError`. With `imageUser.verify`, the policy reads
//! the user through the host's OCI capability and refuses such pods at admission instead.
//!
//! The core does no I/O: the adapter hands it an [`ImageUserLookup`] (the waPC host call in
//! Kubewarden, a table in the checker and the playground).

use crate::view::{PodSecurityContext, PodSpec};
use std::collections::BTreeMap;

/// Answers "what `User` does this image's config name?" (`""` when it names none).
pub trait ImageUserLookup {
    fn user(&mut self, image: &str) -> Result<String, String>;
}

/// The lookup of a runtime with no OCI capability: every lookup fails.
pub struct NoLookup;

impl ImageUserLookup for NoLookup {
    fn user(&mut self, _image: &str) -> Result<String, String> {
        Err("this runtime offers no OCI capability to read image configurations".to_owned())
    }
}

/// A lookup answered from a table (image → user); images not in it fail.
pub struct TableLookup(pub BTreeMap<String, String>);

impl ImageUserLookup for TableLookup {
    fn user(&mut self, image: &str) -> Result<String, String> {
        self.0
            .get(image)
            .cloned()
            .ok_or_else(|| format!("image {image:?} is not in the image-user table"))
    }
}

/// The users looked up for one request: image → configured user, or why the lookup failed.
pub type ImageUsers = BTreeMap<String, Result<String, String>>;

/// Whether a container runs as whatever its image says while it must not run as root:
/// effective `runAsNonRoot: true` and no effective `runAsUser` (Linux pods only).
pub fn relies_on_image_user(
    pod_sc: Option<&PodSecurityContext<'_>>,
    c: &crate::view::Container<'_>,
) -> bool {
    let sc = c.sc();
    let non_root = sc
        .and_then(|s| s.run_as_non_root)
        .or(pod_sc.and_then(|s| s.run_as_non_root));
    let user = sc
        .and_then(|s| s.run_as_user)
        .or(pod_sc.and_then(|s| s.run_as_user));
    non_root == Some(true) && user.is_none()
}

/// Looks up each distinct image once.
pub fn resolve(pod: &PodSpec<'_>, lookup: &mut dyn ImageUserLookup) -> ImageUsers {
    let mut out = ImageUsers::new();
    if pod.is_windows() {
        return out;
    }
    let pod_sc = pod.security_context.as_ref();
    for c in pod.visit() {
        if !relies_on_image_user(pod_sc, c.container) {
            continue;
        }
        if let Some(image) = c.container.image.as_deref()
            && !out.contains_key(image)
        {
            out.insert(image.to_owned(), lookup.user(image));
        }
    }
    out
}

/// What the kubelet makes of an image's `User`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageUserKind {
    /// Empty, `0`, `root` (with or without a group): the container would run as root.
    Root,
    /// A user name the kubelet cannot map to a UID without running the image.
    NonNumeric(String),
    /// A numeric, non-zero UID.
    Uid(i64),
}

/// Reads `user`, `uid`, `user:group` or `uid:gid` as the kubelet does. Only plain decimal
/// digits are a verified UID: a user with a sign or surrounding spaces (`+1000`, `" 1000"`) is
/// a name the kubelet cannot verify, so it is refused like any other non-numeric user.
pub fn classify(user: &str) -> ImageUserKind {
    let name = user.split(':').next().unwrap_or("");
    if name.is_empty() || name == "root" {
        return ImageUserKind::Root;
    }
    if !name.bytes().all(|b| b.is_ascii_digit()) {
        return ImageUserKind::NonNumeric(name.to_owned());
    }
    match name.parse::<i64>() {
        Ok(0) => ImageUserKind::Root,
        Ok(uid) => ImageUserKind::Uid(uid),
        // More digits than a UID can hold.
        Err(_) => ImageUserKind::NonNumeric(name.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification() {
        let cases = [
            ("empty", "", ImageUserKind::Root),
            ("zero", "0", ImageUserKind::Root),
            ("root", "root", ImageUserKind::Root),
            ("zero with group", "0:1000", ImageUserKind::Root),
            ("root with group", "root:root", ImageUserKind::Root),
            ("uid", "999", ImageUserKind::Uid(999)),
            ("uid with gid", "1001:0", ImageUserKind::Uid(1001)),
            (
                "name",
                "postgres",
                ImageUserKind::NonNumeric("postgres".into()),
            ),
            ("negative", "-1", ImageUserKind::NonNumeric("-1".into())),
            (
                "plus sign",
                "+1000",
                ImageUserKind::NonNumeric("+1000".into()),
            ),
            (
                "leading space",
                " 1000",
                ImageUserKind::NonNumeric(" 1000".into()),
            ),
            (
                "trailing space",
                "1000 ",
                ImageUserKind::NonNumeric("1000 ".into()),
            ),
            (
                "space before group",
                "1000 :1000",
                ImageUserKind::NonNumeric("1000 ".into()),
            ),
            ("all zeros", "000", ImageUserKind::Root),
            ("leading zeros", "01000", ImageUserKind::Uid(1000)),
            (
                "too many digits",
                "99999999999999999999",
                ImageUserKind::NonNumeric("99999999999999999999".into()),
            ),
            ("no user, group only", ":1000", ImageUserKind::Root),
        ];
        for (name, user, want) in cases {
            assert_eq!(classify(user), want, "{name}");
        }
    }
}
