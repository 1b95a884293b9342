//! `artifacthub-pkg.yml`, as `kwctl scaffold artifacthub --metadata-path policy-metadata.yml
//! --version V --questions-path questions-ui.yml` writes it: the same fields in the same order
//! (Kubewarden's `policy_evaluator::policy_artifacthub::ArtifactHubPkg`), the same derivations
//! from the metadata annotations, the same YAML emitter family (serde_yaml's, via
//! serde_norway) and the same comment header.
//!
//! The package is generated, never hand-edited: `make artifacthub` writes it and the
//! `packaging` e2e test fails when the committed file differs from what the metadata and
//! `questions-ui.yml` imply (the `createdAt` value aside).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::metadata::{Metadata, check_semver};

/// The comment kwctl prints above the package (trailing space included).
pub const HEADER: &str = "# Kubewarden Artifacthub Package config
#
# Use this config to submit the policy to https://artifacthub.io.
#
# This config can be saved to its default location with:
#   kwctl scaffold artifacthub > artifacthub-pkg.yml \n";

pub const ANNOTATION_TITLE: &str = "io.kubewarden.policy.title";
pub const ANNOTATION_VERSION: &str = "io.kubewarden.policy.version";
pub const ANNOTATION_DISPLAY_NAME: &str = "io.artifacthub.displayName";
pub const ANNOTATION_DESCRIPTION: &str = "io.kubewarden.policy.description";
pub const ANNOTATION_LICENSE: &str = "io.kubewarden.policy.license";
pub const ANNOTATION_URL: &str = "io.kubewarden.policy.url";
pub const ANNOTATION_OCI_URL: &str = "io.kubewarden.policy.ociUrl";
pub const ANNOTATION_KEYWORDS: &str = "io.artifacthub.keywords";
pub const ANNOTATION_SOURCE: &str = "io.kubewarden.policy.source";
pub const ANNOTATION_AUTHOR: &str = "io.kubewarden.policy.author";
pub const ANNOTATION_RESOURCES: &str = "io.artifacthub.resources";
pub const ANNOTATION_RELEASE_TAG: &str = "com.github.release.tag";

pub const PKG_MUTATION: &str = "kubewarden/mutation";
pub const PKG_CONTEXT_AWARE_RESOURCES: &str = "kubewarden/contextAwareResources";
pub const PKG_RULES: &str = "kubewarden/rules";
pub const PKG_RESOURCES: &str = "kubewarden/resources";
pub const PKG_QUESTIONS_UI: &str = "kubewarden/questions-ui";

const KUBEWARDEN_CONTROLLER: &str =
    "https://artifacthub.io/packages/helm/kubewarden/kubewarden-controller";

/// An Artifact Hub package of a Kubewarden policy, field order as kwctl writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ArtifactHubPkg {
    pub version: String,
    pub name: String,
    pub display_name: String,
    /// RFC 3339, e.g. `2026-01-21T16:16:49.943509217Z`.
    pub created_at: String,
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
    #[serde(rename = "homeURL", default, skip_serializing_if = "Option::is_none")]
    pub home_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub containers_images: Option<Vec<ContainerImage>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keywords: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub links: Option<Vec<Link>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub install: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maintainers: Option<Vec<Maintainer>>,
    pub provider: Provider,
    pub recommendations: Vec<Recommendation>,
    pub annotations: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContainerImage {
    pub name: String,
    pub image: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Link {
    pub name: String,
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Maintainer {
    pub name: String,
    pub email: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provider {
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recommendation {
    pub url: String,
}

fn required<'m>(metadata: &'m Metadata, key: &str) -> Result<&'m str, String> {
    metadata
        .annotation(key)
        .ok_or_else(|| format!("policy metadata must specify {key:?} in annotations"))
}

/// `scheme://host[/path]`, as the `url` crate prints it: an empty path becomes `/`.
fn url(annotation: &str, value: &str) -> Result<String, String> {
    let (scheme, rest) = value
        .split_once("://")
        .ok_or_else(|| format!("annotation {annotation:?} is not a URL: {value:?}"))?;
    if !matches!(scheme, "http" | "https")
        || rest.is_empty()
        || rest.starts_with('/')
        || value.chars().any(char::is_whitespace)
    {
        return Err(format!("annotation {annotation:?} is not a URL: {value:?}"));
    }
    Ok(if rest.contains('/') {
        value.to_owned()
    } else {
        format!("{value}/")
    })
}

fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.split(['/', ':']).next().unwrap_or("")
}

/// `Name <email>, Other <email>` (RFC 5322 name-addr list), as kwctl requires.
pub fn parse_maintainers(author: &str) -> Result<Vec<Maintainer>, String> {
    let malformed = || {
        format!(
            "annotation {ANNOTATION_AUTHOR:?} in policy metadata is malformed, must be csv values of \"name <email>\": {author:?}"
        )
    };
    let mut out = Vec::new();
    for part in author.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, rest) = part.split_once('<').ok_or_else(malformed)?;
        let email = rest.strip_suffix('>').ok_or_else(malformed)?.trim();
        let valid = email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
        }) && !email
            .chars()
            .any(|c| c.is_whitespace() || c == '<' || c == '>');
        if !valid {
            return Err(format!(
                "annotation {ANNOTATION_AUTHOR:?}: {email:?} is not an email address"
            ));
        }
        out.push(Maintainer {
            name: name.trim().trim_matches('"').to_owned(),
            email: email.to_owned(),
        });
    }
    if out.is_empty() {
        return Err(malformed());
    }
    Ok(out)
}

fn install_text(image: &str) -> String {
    format!(
        "The policy can be obtained using [kwctl](https://docs.kubewarden.io/howtos/install-kwctl):\n\
         ```console\n\
         kwctl pull {image}\n\
         ```\n\
         Then, generate the policy manifest and tune it to your liking. For example:\n\
         ```console\n\
         kwctl scaffold manifest -t ClusterAdmissionPolicy registry://{image}\n\
         ```\n"
    )
}

impl ArtifactHubPkg {
    /// The package kwctl derives from `metadata` for `version`, stamped `created_at`, with the
    /// Rancher UI form `questions` (the text of `questions-ui.yml`) if given.
    pub fn from_metadata(
        metadata: &Metadata,
        version: &str,
        created_at: &str,
        questions: Option<&str>,
    ) -> Result<ArtifactHubPkg, String> {
        if metadata.annotations.as_ref().is_none_or(|a| a.is_empty()) {
            return Err(
                "no annotations in policy metadata. policy metadata must specify annotations"
                    .to_owned(),
            );
        }
        check_semver(version)?;
        if questions.is_some_and(str::is_empty) {
            return Err("questions-ui content cannot be empty".to_owned());
        }

        let image = format!("{}:v{version}", required(metadata, ANNOTATION_OCI_URL)?);
        let keywords = match metadata.annotation(ANNOTATION_KEYWORDS) {
            Some(csv) => {
                let words: Vec<String> = csv.split(',').map(|w| w.trim().to_owned()).collect();
                if words.iter().any(String::is_empty) {
                    return Err(format!(
                        "annotation {ANNOTATION_KEYWORDS:?} in policy metadata is malformed, must be csv values"
                    ));
                }
                Some(words)
            }
            None => None,
        };
        let links = match metadata.annotation(ANNOTATION_SOURCE) {
            Some(source) => {
                let source = url(ANNOTATION_SOURCE, source)?;
                let mut links = Vec::new();
                if host_of(&source) == "github.com" {
                    let tag = metadata
                        .annotation(ANNOTATION_RELEASE_TAG)
                        .map_or_else(|| format!("v{version}"), str::to_owned);
                    links.push(Link {
                        name: "policy".to_owned(),
                        url: format!(
                            "{}/releases/download/{tag}/policy.wasm",
                            source.trim_end_matches('/')
                        ),
                    });
                }
                links.push(Link {
                    name: "source".to_owned(),
                    url: source,
                });
                Some(links)
            }
            None => None,
        };
        let maintainers = metadata
            .annotation(ANNOTATION_AUTHOR)
            .map(parse_maintainers)
            .transpose()?;

        let mut annotations = BTreeMap::new();
        annotations.insert(PKG_MUTATION.to_owned(), metadata.mutating.to_string());
        if !metadata.context_aware_resources.is_empty() {
            annotations.insert(
                PKG_CONTEXT_AWARE_RESOURCES.to_owned(),
                serde_norway::to_string(&metadata.context_aware_resources)
                    .map_err(|e| format!("cannot convert contextAwareResources to YAML: {e}"))?,
            );
        }
        annotations.insert(
            PKG_RULES.to_owned(),
            serde_norway::to_string(&metadata.rules)
                .map_err(|e| format!("cannot convert rules to YAML: {e}"))?,
        );
        if let Some(q) = questions {
            annotations.insert(PKG_QUESTIONS_UI.to_owned(), q.to_owned());
        }
        if let Some(resources) = metadata.annotation(ANNOTATION_RESOURCES) {
            annotations.insert(PKG_RESOURCES.to_owned(), resources.to_owned());
        }

        Ok(ArtifactHubPkg {
            version: version.to_owned(),
            name: required(metadata, ANNOTATION_TITLE)?.to_owned(),
            display_name: required(metadata, ANNOTATION_DISPLAY_NAME)?.to_owned(),
            created_at: created_at.to_owned(),
            description: required(metadata, ANNOTATION_DESCRIPTION)?.to_owned(),
            license: metadata.annotation(ANNOTATION_LICENSE).map(str::to_owned),
            home_url: metadata
                .annotation(ANNOTATION_URL)
                .map(|u| url(ANNOTATION_URL, u))
                .transpose()?,
            containers_images: Some(vec![ContainerImage {
                name: "policy".to_owned(),
                image: image.clone(),
            }]),
            keywords,
            links,
            install: Some(install_text(&image)),
            maintainers,
            provider: Provider {
                name: "kubewarden".to_owned(),
            },
            recommendations: vec![Recommendation {
                url: KUBEWARDEN_CONTROLLER.to_owned(),
            }],
            annotations,
        })
    }

    /// The file kwctl writes: the comment header, then the YAML.
    pub fn render(&self) -> Result<String, String> {
        let yaml = serde_norway::to_string(self)
            .map_err(|e| format!("cannot serialise the package: {e}"))?;
        Ok(format!("{HEADER}{yaml}"))
    }

    /// Parses a rendered package (the header is a YAML comment).
    pub fn parse(text: &str) -> Result<ArtifactHubPkg, String> {
        serde_norway::from_str(text).map_err(|e| format!("not an artifacthub-pkg.yml: {e}"))
    }
}

/// Whether `s` reads as an RFC 3339 UTC timestamp as kwctl writes it
/// (`YYYY-MM-DDTHH:MM:SS[.fraction]Z`).
pub fn is_rfc3339_utc(s: &str) -> bool {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    let at = |i: usize, c: u8| b.get(i) == Some(&c);
    if !(digits(0..4)
        && at(4, b'-')
        && digits(5..7)
        && at(7, b'-')
        && digits(8..10)
        && at(10, b'T')
        && digits(11..13)
        && at(13, b':')
        && digits(14..16)
        && at(16, b':')
        && digits(17..19)
        && s.ends_with('Z'))
    {
        return false;
    }
    match &s[19..s.len() - 1] {
        "" => true,
        frac => {
            frac.len() >= 2
                && frac.starts_with('.')
                && frac[1..].bytes().all(|d| d.is_ascii_digit())
        }
    }
}

/// Now, as RFC 3339 UTC with nanoseconds (trailing zeros dropped), like kwctl's `createdAt`.
pub fn rfc3339_now() -> String {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    rfc3339_utc(since.as_secs(), since.subsec_nanos())
}

/// `secs` after the Unix epoch plus `nanos`, as RFC 3339 UTC.
pub fn rfc3339_utc(secs: u64, nanos: u32) -> String {
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (h, m, s) = (rem / 3600, rem % 3600 / 60, rem % 60);
    // Howard Hinnant's civil_from_days, for days since 1970-01-01 (never negative here).
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    let mut out = format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}");
    if nanos != 0 {
        let frac = format!("{nanos:09}");
        out.push('.');
        out.push_str(frac.trim_end_matches('0'));
    }
    out.push('Z');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        assert_eq!(rfc3339_utc(0, 0), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339_utc(1_768_990_609, 943_509_217),
            "2026-01-21T10:16:49.943509217Z"
        );
        assert_eq!(
            rfc3339_utc(951_782_400, 90_000_000),
            "2000-02-29T00:00:00.09Z"
        );
        assert!(is_rfc3339_utc(&rfc3339_now()));
        assert!(is_rfc3339_utc("2026-01-27T14:49:36.09460916Z"));
        assert!(!is_rfc3339_utc("2026-01-27 14:49:36Z"));
        assert!(!is_rfc3339_utc("2026-01-27T14:49:36.Z"));
    }

    #[test]
    fn maintainers_need_name_and_email() {
        assert_eq!(
            parse_maintainers("Tux Tuxedo <tux@example.com>, Pidgin <pidgin@example.com>").unwrap(),
            vec![
                Maintainer {
                    name: "Tux Tuxedo".into(),
                    email: "tux@example.com".into()
                },
                Maintainer {
                    name: "Pidgin".into(),
                    email: "pidgin@example.com".into()
                },
            ]
        );
        assert!(parse_maintainers("MATIH platform team").is_err());
        assert!(parse_maintainers("").is_err());
        assert!(parse_maintainers("Bar <#$%#$%>").is_err());
    }

    #[test]
    fn urls() {
        assert_eq!(
            url("x", "https://github.com/repo").unwrap(),
            "https://github.com/repo"
        );
        assert_eq!(
            url("x", "https://example.com").unwrap(),
            "https://example.com/"
        );
        assert!(url("x", "@&*foo").is_err());
    }
}
