//! What the checker prints, and where each finding is in the files it read.
//!
//! The verdict comes from the module's `validate` (the cluster's answer, unchanged); the
//! findings come from its `explain` export (the same evaluation, with the typed, untruncated
//! rows), each located in its source with [`security_context_input::locate`]: file, line and
//! column of the field, or of its nearest present parent when the field is absent, and the
//! Helm template (`# Source:`) the document came from.
//!
//! - [`text`]: for people, coloured on a terminal only ([`colour_wanted`]), every value from
//!   the input or the module escaped ([`escape`]);
//! - [`sarif`]: SARIF 2.1.0 for code-scanning services;
//! - [`junit`]: JUnit XML for CI test reports;
//! - [`json_result`]: the JSON output's entry for one object.

pub mod escape;
pub mod junit;
pub mod sarif;
pub mod text;

use std::ffi::OsStr;
use std::fmt;

use security_context_input::locate::{self, Segment, SourceMap};
use security_context_input::{Entry, InputError};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::{HostError, PolicyHost, ValidationResponse};

/// One finding of the policy, as its `explain` export lists it (`verdict::Row` of the core).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    /// The check IDs that found it.
    pub checks: Vec<String>,
    /// `pod`, or `container "name"` and the like.
    pub container: String,
    /// The field's path in the object.
    pub field: String,
    pub found: String,
    pub required: String,
    pub fix: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exception: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// `deny` or `warn`.
    pub action: String,
}

/// One check of the module's registry (its `checks` export).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckInfo {
    pub id: String,
    pub summary: String,
}

#[derive(Deserialize)]
struct Explanation {
    #[serde(default)]
    violations: Vec<Row>,
}

fn decode<T: for<'de> Deserialize<'de>>(operation: &str, body: &[u8]) -> Result<T, HostError> {
    serde_json::from_slice(body).map_err(|e| HostError::BadResponse {
        operation: operation.to_owned(),
        error: e.to_string(),
        body: String::from_utf8_lossy(body).into_owned(),
    })
}

/// The findings of the module's `explain` export for one request: every row, untruncated.
pub fn explain(
    host: &PolicyHost,
    request: &Value,
    settings: &Value,
) -> Result<Vec<Row>, HostError> {
    let payload = json!({ "request": request, "settings": settings }).to_string();
    let body = host.call("explain", payload.as_bytes())?;
    Ok(decode::<Explanation>("explain", &body)?.violations)
}

/// The module's check registry (its `checks` export).
pub fn checks(host: &PolicyHost) -> Result<Vec<CheckInfo>, HostError> {
    decode("checks", &host.call("checks", b"")?)
}

/// A place in an input: file, 1-based line and column, and the Helm template the document
/// came from. Shown as `file:line:column (template)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Place {
    pub source: String,
    pub line: usize,
    pub column: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Shown to people: a file or template name cannot break the line (JSON keeps it exact).
        write!(
            f,
            "{}:{}:{}",
            escape::text(&self.source),
            self.line,
            self.column
        )?;
        if let Some(template) = &self.template {
            write!(f, " ({})", escape::text(template))?;
        }
        Ok(())
    }
}

/// Where `path` (relative to the document) is in `source`.
pub fn place_in(map: Option<&SourceMap>, source: &str, document: usize, path: &[Segment]) -> Place {
    let (line, column, template) = match map.and_then(|m| m.document(document)) {
        Some(doc) => {
            let at = doc.locate(path).position;
            (at.line, at.column, doc.template.clone())
        }
        None => (1, 1, None),
    };
    Place {
        source: source.to_owned(),
        line,
        column,
        template,
    }
}

/// The annotation Helm 4 (and Helm 3.21 on) puts on every manifest it hands a post-renderer,
/// naming the template, where `helm template` writes a `# Source:` comment instead.
pub const HELM_FILENAME_ANNOTATION: &str = "postrenderer.helm.sh/postrender-filename";

/// Where an object's field is: `field` is a path in the object as the policy reports it
/// (`None`: the object itself). A path that cannot be read locates the object. The template is
/// the document's `# Source:` comment, else the object's [`HELM_FILENAME_ANNOTATION`].
pub fn place_of(map: Option<&SourceMap>, entry: &Entry, field: Option<&str>) -> Place {
    let mut path = entry.path.clone();
    if let Some(field) = field
        && let Ok(segments) = locate::parse_path(field)
    {
        path.extend(segments);
    }
    let mut place = place_in(map, &entry.source, entry.document, &path);
    if place.template.is_none() {
        place.template = entry
            .request
            .pointer("/object/metadata/annotations")
            .and_then(|a| a.get(HELM_FILENAME_ANNOTATION))
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
    }
    place
}

/// Where a problem with the input is: the reader's own line and column (syntax errors), or
/// the document or `List` item it is about.
pub fn error_place(map: Option<&SourceMap>, error: &InputError) -> Option<Place> {
    let document = error.document?;
    match (error.line, error.column) {
        (Some(line), column) => Some(Place {
            source: error.source.clone(),
            line,
            column: column.unwrap_or(1),
            template: map
                .and_then(|m| m.document(document))
                .and_then(|d| d.template.clone()),
        }),
        (None, _) => Some(place_in(map, &error.source, document, &error.path)),
    }
}

/// An input error as the checker prints it: `file:line:column: document N: message`.
pub fn describe_error(map: Option<&SourceMap>, error: &InputError) -> String {
    match (error_place(map, error), error.document) {
        (Some(at), Some(document)) => format!("{at}: document {document}: {}", error.message),
        _ => error.to_string(),
    }
}

/// A finding and where it is.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    #[serde(flatten)]
    pub row: Row,
    pub at: Place,
}

/// Everything the checker knows about one object.
#[derive(Debug, Clone)]
pub struct Verdict<'e> {
    pub entry: &'e Entry,
    /// Where the object starts.
    pub at: Place,
    /// The module's `validate` answer, as the cluster gets it.
    pub response: ValidationResponse,
    /// The module's findings, located; denials first.
    pub findings: Vec<Finding>,
}

impl<'e> Verdict<'e> {
    /// Locates the rows of `explain` in the object's source.
    pub fn new(
        entry: &'e Entry,
        map: Option<&SourceMap>,
        response: ValidationResponse,
        rows: Vec<Row>,
    ) -> Self {
        let findings = rows
            .into_iter()
            .map(|row| Finding {
                at: place_of(map, entry, Some(&row.field)),
                row,
            })
            .collect();
        Verdict {
            entry,
            at: place_of(map, entry, None),
            response,
            findings,
        }
    }
}

/// The JSON output's entry for one object: the module's response, and the located findings.
pub fn json_result(v: &Verdict<'_>) -> Value {
    json!({
        "source": v.entry.source,
        "index": v.entry.document,
        "item": v.entry.item,
        "kind": v.entry.kind,
        "namespace": v.entry.namespace,
        "name": v.entry.name,
        "at": v.at,
        "response": v.response,
        "findings": v.findings,
    })
}

/// Colour only on a terminal, and never when `NO_COLOR` is set to anything but the empty
/// string (<https://no-color.org>).
pub fn colour_wanted(is_terminal: bool, no_color: Option<&OsStr>) -> bool {
    is_terminal && no_color.is_none_or(OsStr::is_empty)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsString;

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        assert!(colour_wanted(true, None));
        assert!(colour_wanted(true, Some(&OsString::new())));
        assert!(!colour_wanted(true, Some(&OsString::from("1"))));
        assert!(!colour_wanted(false, None));
        assert!(!colour_wanted(false, Some(&OsString::from("1"))));
    }

    #[test]
    fn places_read_as_file_line_column() {
        let p = Place {
            source: "a.yaml".into(),
            line: 3,
            column: 7,
            template: Some("chart/templates/d.yaml".into()),
        };
        assert_eq!(p.to_string(), "a.yaml:3:7 (chart/templates/d.yaml)");
    }
}
