//! Image references and the image patterns of `exceptions[].match.images`.
//!
//! Both sides are normalised the way the container runtime resolves a reference, so that a
//! pattern cannot be dodged by spelling an image differently: `postgres` is
//! `docker.io/library/postgres`, `bitnami/postgresql` is `docker.io/bitnami/postgresql`,
//! `index.docker.io` is `docker.io`, and a registry host keeps its port.

use std::fmt;

/// A normalised image reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// `registry/path`, e.g. `docker.io/library/postgres`.
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

impl ImageRef {
    /// The tag the runtime pulls: the given one, or `latest` when neither tag nor digest is given.
    pub fn effective_tag(&self) -> Option<&str> {
        match (&self.tag, &self.digest) {
            (Some(t), _) => Some(t),
            (None, None) => Some("latest"),
            (None, Some(_)) => None,
        }
    }
}

/// Parses and normalises an image reference (`[registry[:port]/]path[:tag][@digest]`).
pub fn parse_image(reference: &str) -> Result<ImageRef, String> {
    if reference.is_empty() {
        return Err("empty image reference".into());
    }
    if reference.len() > 4096 {
        return Err("image reference longer than 4096 characters".into());
    }
    let (name_tag, digest) = match reference.split_once('@') {
        Some((n, d)) => {
            validate_digest(d)?;
            (n, Some(d.to_owned()))
        }
        None => (reference, None),
    };
    // A tag follows the last `:` of the last path segment (a registry port is not a tag).
    let (name, tag) = match name_tag.rsplit_once(':') {
        Some((name, tag)) if !tag.contains('/') => {
            validate_tag(tag, false)?;
            (name, Some(tag.to_owned()))
        }
        _ => (name_tag, None),
    };
    let repository = normalise_name(name)?;
    Ok(ImageRef {
        repository,
        tag,
        digest,
    })
}

/// Splits off the registry host and normalises the repository name.
fn normalise_name(name: &str) -> Result<String, String> {
    if name.is_empty() {
        return Err("missing repository name".into());
    }
    let (domain, path) = match name.split_once('/') {
        Some((first, rest))
            if first.contains('.') || first.contains(':') || first == "localhost" =>
        {
            (first, rest)
        }
        _ => ("docker.io", name),
    };
    validate_domain(domain)?;
    let domain = if domain == "index.docker.io" {
        "docker.io"
    } else {
        domain
    };
    for component in path.split('/') {
        validate_path_component(component)?;
    }
    if domain == "docker.io" && !path.contains('/') {
        Ok(format!("docker.io/library/{path}"))
    } else {
        Ok(format!("{domain}/{path}"))
    }
}

fn validate_domain(domain: &str) -> Result<(), String> {
    let (host, port) = match domain.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || domain.starts_with('[') => (h, Some(p)),
        _ => (domain, None),
    };
    if let Some(p) = port
        && (p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(format!("registry port {p:?} is not a number"));
    }
    let ok = if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        !inner.is_empty() && inner.bytes().all(|b| b.is_ascii_hexdigit() || b == b':')
    } else {
        !host.is_empty()
            && host.split('.').all(|label| {
                !label.is_empty()
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                    && !label.starts_with('-')
                    && !label.ends_with('-')
            })
    };
    if ok {
        Ok(())
    } else {
        Err(format!("invalid registry host {host:?}"))
    }
}

/// A path component: lower-case alphanumerics separated by `.`, `_`, `__` or runs of `-`.
fn validate_path_component(c: &str) -> Result<(), String> {
    let bytes = c.as_bytes();
    let ok = !bytes.is_empty()
        && bytes.iter().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        })
        && bytes.first().is_some_and(|b| b.is_ascii_alphanumeric())
        && bytes.last().is_some_and(|b| b.is_ascii_alphanumeric())
        && separators_well_formed(bytes);
    if ok {
        Ok(())
    } else if c.bytes().any(|b| b.is_ascii_uppercase()) {
        Err(format!(
            "repository name component {c:?} must be lower case"
        ))
    } else {
        Err(format!("invalid repository name component {c:?}"))
    }
}

/// Two separators side by side only as `__` or a run of `-` (so no `..`, `___`, `._`, `-.`,
/// …): one pass over the bytes, where eight substring searches cost most of compiling an
/// exception's image pattern.
fn separators_well_formed(bytes: &[u8]) -> bool {
    let is_sep = |b: u8| matches!(b, b'.' | b'_' | b'-');
    let mut prev = 0u8;
    let mut underscores = 0u8;
    for &b in bytes {
        underscores = if b == b'_' {
            underscores.saturating_add(1)
        } else {
            0
        };
        if underscores > 2
            || (is_sep(prev) && is_sep(b) && !(prev == b && matches!(b, b'_' | b'-')))
        {
            return false;
        }
        prev = b;
    }
    true
}

fn validate_tag(tag: &str, allow_glob: bool) -> Result<(), String> {
    let bytes = tag.as_bytes();
    let ok = !bytes.is_empty()
        && bytes.len() <= 128
        && bytes.iter().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(b, b'_' | b'.' | b'-')
                || (allow_glob && *b == b'*')
        })
        && bytes
            .first()
            .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_' || (allow_glob && *b == b'*'));
    if ok {
        Ok(())
    } else {
        Err(format!("invalid tag {tag:?}"))
    }
}

fn validate_digest(d: &str) -> Result<(), String> {
    let Some((algo, hex)) = d.split_once(':') else {
        return Err(format!("invalid digest {d:?}: expected algorithm:hex"));
    };
    let algo_ok = !algo.is_empty()
        && algo.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'+' | b'.' | b'_' | b'-')
        });
    let hex_ok = hex.len() >= 32
        && hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    let len_ok = algo != "sha256" || hex.len() == 64;
    if algo_ok && hex_ok && len_ok {
        Ok(())
    } else {
        Err(format!("invalid digest {d:?}"))
    }
}

/// One entry of `match.images`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImagePattern {
    /// Every tag and digest of exactly this repository.
    Repository(String),
    /// This repository with a tag matching the pattern (`*` matches any run of characters).
    Tag(String, String),
    /// This repository at exactly this digest.
    Digest(String, String),
    /// Every repository below this path (pattern ending in `/*`).
    Below(String),
}

impl ImagePattern {
    pub fn parse(pattern: &str) -> Result<ImagePattern, String> {
        let pattern = pattern.trim();
        if let Some(prefix) = pattern.strip_suffix("/*") {
            if prefix.contains('*') || prefix.contains('@') {
                return Err("`*` may only end the pattern (`/*`) or stand in the tag".into());
            }
            // A bare registry host (`registry.example.com/*`) covers that whole registry.
            let is_host = !prefix.contains('/')
                && (prefix.contains('.') || prefix.contains(':') || prefix == "localhost");
            let normalised = if is_host {
                validate_domain(prefix)?;
                if prefix == "index.docker.io" {
                    "docker.io".to_owned()
                } else {
                    prefix.to_owned()
                }
            } else {
                // `bitnami/*` is below docker.io/bitnami, not docker.io/library/bitnami.
                let name = normalise_name(prefix)?;
                if !prefix.contains('/') {
                    format!("docker.io/{prefix}")
                } else {
                    name
                }
            };
            return Ok(ImagePattern::Below(normalised));
        }
        if let Some((name, digest)) = pattern.split_once('@') {
            validate_digest(digest)?;
            if name
                .rsplit('/')
                .next()
                .is_some_and(|last| last.contains(':'))
            {
                return Err("a digest pattern takes no tag".into());
            }
            return Ok(ImagePattern::Digest(
                normalise_name(name)?,
                digest.to_owned(),
            ));
        }
        if let Some((name, tag)) = pattern.rsplit_once(':')
            && !tag.contains('/')
        {
            validate_tag(tag, true)?;
            if name.contains('*') {
                return Err("`*` may only end the pattern (`/*`) or stand in the tag".into());
            }
            return Ok(ImagePattern::Tag(normalise_name(name)?, tag.to_owned()));
        }
        if pattern.contains('*') {
            return Err("`*` may only end the pattern (`/*`) or stand in the tag".into());
        }
        Ok(ImagePattern::Repository(normalise_name(pattern)?))
    }

    pub fn matches(&self, image: &ImageRef) -> bool {
        match self {
            ImagePattern::Repository(r) => image.repository == *r,
            // A digest decides what the runtime pulls and its tag is ignored, so a tag pattern
            // never matches an image pinned by digest (`postgres:16.4@sha256:…`): only a digest
            // pattern does.
            ImagePattern::Tag(r, glob) => {
                image.repository == *r
                    && image.digest.is_none()
                    && image.effective_tag().is_some_and(|t| glob_match(glob, t))
            }
            ImagePattern::Digest(r, d) => {
                image.repository == *r && image.digest.as_deref() == Some(d)
            }
            ImagePattern::Below(prefix) => image
                .repository
                .strip_prefix(prefix.as_str())
                .is_some_and(|rest| rest.starts_with('/') && rest.len() > 1),
        }
    }
}

impl fmt::Display for ImagePattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImagePattern::Repository(r) => write!(f, "{r}"),
            ImagePattern::Tag(r, t) => write!(f, "{r}:{t}"),
            ImagePattern::Digest(r, d) => write!(f, "{r}@{d}"),
            ImagePattern::Below(p) => write!(f, "{p}/*"),
        }
    }
}

/// `*` matches any run of characters; everything else matches itself.
fn glob_match(glob: &str, text: &str) -> bool {
    let mut parts = glob.split('*');
    let Some(first) = parts.next() else {
        return glob == text;
    };
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.split_once(part) {
            Some((_, after)) => rest = after,
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The one-pass separator rule agrees with the distribution spec's rule written as
    /// substring tests, on every string of up to six characters over `a . _ -`.
    #[test]
    fn separators_one_pass_equals_substring_rule() {
        let by_substrings = |c: &str| {
            ["..", "___", "._", "_.", ".-", "-.", "_-", "-_"]
                .iter()
                .all(|bad| !c.contains(bad))
        };
        let alphabet = ['a', '.', '_', '-'];
        let mut words = vec![String::new()];
        for _ in 0..6 {
            let longer: Vec<String> = words
                .iter()
                .flat_map(|w| alphabet.iter().map(move |c| format!("{w}{c}")))
                .collect();
            for w in &longer {
                assert_eq!(
                    separators_well_formed(w.as_bytes()),
                    by_substrings(w),
                    "{w:?}"
                );
            }
            words = longer;
        }
    }

    const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn normalisation() {
        let cases: &[(&str, &str, &str)] = &[
            ("official image", "postgres", "docker.io/library/postgres"),
            (
                "official image with tag",
                "postgres:16.4",
                "docker.io/library/postgres",
            ),
            (
                "docker hub user image",
                "bitnami/postgresql:16",
                "docker.io/bitnami/postgresql",
            ),
            (
                "index.docker.io alias",
                "index.docker.io/library/redis",
                "docker.io/library/redis",
            ),
            (
                "explicit docker.io",
                "docker.io/redis",
                "docker.io/library/redis",
            ),
            (
                "registry with port",
                "localhost:5000/app:1",
                "localhost:5000/app",
            ),
            (
                "private registry",
                "registry.matih.io/matih/ai-service:1.4.2",
                "registry.matih.io/matih/ai-service",
            ),
            (
                "digest only",
                &format!("postgres@{DIGEST}"),
                "docker.io/library/postgres",
            ),
        ];
        for (name, input, want) in cases {
            let got = parse_image(input).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(got.repository, *want, "{name}");
        }
    }

    #[test]
    fn invalid_references() {
        for (name, input) in [
            ("empty", ""),
            ("upper case path", "Postgres"),
            ("empty component", "docker.io//postgres"),
            ("bad digest", "postgres@sha256:xyz"),
            ("bad tag", "postgres:"),
            ("bad port", "registry.io:abc/x"),
        ] {
            assert!(
                parse_image(input).is_err(),
                "{name}: {input:?} should be invalid"
            );
        }
    }

    #[test]
    fn pattern_matching() {
        let digest_pattern = format!("postgres@{DIGEST}");
        let digest_image = format!("docker.io/library/postgres@{DIGEST}");
        let tagged_digest_image = format!("postgres:16.4@{DIGEST}");
        let cases: &[(&str, &str, &str, bool)] = &[
            (
                "short name matches full",
                "postgres",
                "docker.io/library/postgres:16",
                true,
            ),
            ("any tag", "postgres", "postgres:15-alpine", true),
            ("any digest", "postgres", &digest_image, true),
            ("untagged image", "postgres", "postgres", true),
            (
                "look-alike repository",
                "postgres",
                "docker.io/library/postgres-evil:16",
                false,
            ),
            (
                "other registry same path",
                "postgres",
                "evil.io/library/postgres:16",
                false,
            ),
            (
                "user namespace is not library",
                "postgres",
                "someone/postgres",
                false,
            ),
            (
                "bitnami",
                "bitnami/postgresql",
                "docker.io/bitnami/postgresql:16.4.0",
                true,
            ),
            ("exact tag", "postgres:16.4", "postgres:16.4", true),
            ("other tag", "postgres:16.4", "postgres:16.5", false),
            ("tag glob", "postgres:16*", "postgres:16.4-alpine", true),
            ("tag glob miss", "postgres:16*", "postgres:15.1", false),
            ("untagged is latest", "postgres:latest", "postgres", true),
            ("digest pattern", &digest_pattern, &digest_image, true),
            (
                "tag pattern, image pinned by digest with that tag",
                "postgres:16.*",
                &tagged_digest_image,
                false,
            ),
            (
                "tag glob star, image pinned by digest",
                "postgres:*",
                &digest_image,
                false,
            ),
            (
                "repository pattern, image pinned by digest with a tag",
                "postgres",
                &tagged_digest_image,
                true,
            ),
            (
                "digest pattern, image pinned by that digest with a tag",
                &digest_pattern,
                &tagged_digest_image,
                true,
            ),
            (
                "digest pattern, tag only",
                &digest_pattern,
                "postgres:16",
                false,
            ),
            (
                "below path",
                "registry.matih.io/matih/*",
                "registry.matih.io/matih/ai-service:1",
                true,
            ),
            (
                "below path nested",
                "registry.matih.io/matih/*",
                "registry.matih.io/matih/team/x:1",
                true,
            ),
            (
                "below path is not the path",
                "registry.matih.io/matih/*",
                "registry.matih.io/matih:1",
                false,
            ),
            (
                "below path look-alike",
                "registry.matih.io/matih/*",
                "registry.matih.io/matihx/y:1",
                false,
            ),
            (
                "below docker hub user",
                "bitnami/*",
                "bitnami/kafka:3.7",
                true,
            ),
            (
                "below docker hub user, library",
                "bitnami/*",
                "kafka:3.7",
                false,
            ),
            (
                "below registry host",
                "registry.matih.io/*",
                "registry.matih.io/a/b:1",
                true,
            ),
            (
                "port is kept",
                "localhost:5000/app",
                "localhost:5001/app",
                false,
            ),
        ];
        for (name, pattern, image, want) in cases {
            let p = ImagePattern::parse(pattern).unwrap_or_else(|e| panic!("{name}: {e}"));
            let i = parse_image(image).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(p.matches(&i), *want, "{name}: {pattern} vs {image}");
        }
    }

    #[test]
    fn invalid_patterns() {
        for (name, input) in [
            ("star in path", "registry.io/*/app"),
            ("star in name", "postgres*"),
            ("upper case", "Registry.io/App"),
            (
                "digest with tag",
                "postgres:16@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            ),
            ("empty", ""),
        ] {
            assert!(
                ImagePattern::parse(input).is_err(),
                "{name}: {input:?} should be invalid"
            );
        }
    }

    #[test]
    fn globs() {
        assert!(glob_match("*", "anything"));
        assert!(glob_match("1.*-alpine", "1.2.3-alpine"));
        assert!(!glob_match("1.*-alpine", "1.2.3"));
        assert!(glob_match("a*b*c", "aXbYc"));
        assert!(!glob_match("a*b*c", "aXbY"));
        assert!(glob_match("exact", "exact"));
        assert!(!glob_match("ab*ba", "aba"));
    }
}
