//! The checker as a Helm post-renderer (`security-context-checker post-render`, docs/checker.md):
//! Helm writes the rendered manifests to the post-renderer's standard input, applies what it
//! prints on standard output, and fails the release when it exits non-zero, showing its
//! standard error. So the stream is evaluated as a whole: when every object is admitted, the
//! stream comes back with each document as it was written (its `---` line, `# Source:`
//! comment and formatting), except the documents the policy mutates, which are written from the
//! mutated object under the same comments; when anything is rejected, or the input cannot be
//! read, nothing is written at all, so that Helm cannot apply half a chart.

use serde_json::Value;

use security_context_input::manifest::{self, Entry, InputError, Wrapping};
use security_context_input::yaml;

use crate::host::{PolicyHost, ValidationResponse};

/// One document of the text as written: from its `---` line (or the start of the text) to the
/// next `---` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// The document number `kubectl`, Helm and the checker give it (from 1), or `None` for
    /// comments before the first `---`, which are no document.
    pub number: Option<usize>,
    /// The text, line ends included.
    pub text: String,
}

impl Segment {
    /// The `---` line and the blank and comment lines after it (Helm's `# Source:`), which a
    /// mutated document keeps.
    fn head(&self) -> &str {
        let mut end = 0;
        for (i, line) in self.text.split_inclusive('\n').enumerate() {
            let t = line.trim();
            if (i == 0 && t.starts_with("---")) || t.is_empty() || t.starts_with('#') {
                end += line.len();
            } else {
                break;
            }
        }
        &self.text[..end]
    }
}

/// The text cut at every line starting with `---`, as `kubectl` and Helm cut it (the YAML
/// reader refuses a stream where this and YAML would disagree). Numbered as the reader numbers
/// documents: text before the first `---` is document 1 only when it holds more than comments.
pub fn split_documents(text: &str) -> Vec<Segment> {
    let mut segments: Vec<Segment> = Vec::new();
    let mut current = String::new();
    let mut separators = 0usize;
    for line in text.split_inclusive('\n') {
        if line.starts_with("---") {
            segments.push(Segment {
                number: None,
                text: std::mem::take(&mut current),
            });
            separators += 1;
        }
        current.push_str(line);
    }
    segments.push(Segment {
        number: None,
        text: current,
    });
    // segments[0] is what precedes the first `---` (possibly empty).
    let leading = segments[0].text.lines().any(|l| {
        let t = l.trim();
        !t.is_empty() && !t.starts_with('#') && !t.starts_with('%')
    });
    let offset = usize::from(leading);
    if leading {
        segments[0].number = Some(1);
    }
    for (k, segment) in segments.iter_mut().enumerate().skip(1) {
        segment.number = Some(k + offset);
    }
    debug_assert_eq!(segments.len(), separators + 1);
    segments.retain(|s| !s.text.is_empty());
    segments
}

/// What one post-render run decided.
#[derive(Debug, Default)]
pub struct Outcome {
    /// The stream for Helm: `Some` only when every object was admitted and the input read.
    pub manifests: Option<String>,
    /// How many objects were evaluated, and how many of them rejected.
    pub objects: usize,
    pub rejected: usize,
    /// Unreadable input, and documents or `List` items that are no objects Helm can apply.
    pub input_errors: Vec<InputError>,
    /// Policy failures: each one a line.
    pub errors: Vec<String>,
}

/// Evaluate a rendered stream and build what Helm gets. `report` sees every verdict, in the
/// order of the stream (the caller prints them on standard error).
pub fn post_render(
    text: &str,
    source: &str,
    wrapping: &Wrapping,
    host: &PolicyHost,
    settings: &Value,
    report: &mut dyn FnMut(&Entry, &ValidationResponse),
) -> Outcome {
    let mut outcome = Outcome::default();
    let docs = match manifest::parse_documents(text, source) {
        Ok(docs) => docs,
        Err(e) => {
            outcome.input_errors.push(e);
            return outcome;
        }
    };
    // The documents as read (mutations go into them), by number.
    let mut values: Vec<(usize, Value)> = Vec::new();
    let mut entries = Vec::new();
    for doc in docs {
        if is_request(&doc.value) {
            outcome.input_errors.push(InputError::new(
                source,
                Some(doc.number),
                "an AdmissionReview or AdmissionRequest, which Helm cannot apply: a \
                 post-renderer reads the manifests Helm renders (check requests with \
                 `security-context-checker check`)"
                    .to_owned(),
            ));
            continue;
        }
        let mut read = manifest::Read::default();
        values.push((doc.number, doc.value.clone()));
        manifest::read_document(doc, source, wrapping, &mut read);
        entries.extend(read.entries);
        outcome.input_errors.extend(read.errors);
    }

    let mut mutated = std::collections::BTreeSet::new();
    for entry in &entries {
        let response = match host.validate(&entry.request, settings) {
            Ok(r) => r,
            Err(e) => {
                outcome.errors.push(format!(
                    "{source}, document {} ({} {}): the policy failed: {e}",
                    entry.document,
                    entry.kind,
                    entry.display_name()
                ));
                continue;
            }
        };
        outcome.objects += 1;
        report(entry, &response);
        if !response.accepted {
            outcome.rejected += 1;
            continue;
        }
        if let Some(object) = response.mutated_object
            && let Some((_, value)) = values.iter_mut().find(|(n, _)| *n == entry.document)
        {
            let slot = match entry.item {
                Some(i) => value.get_mut("items").and_then(|items| items.get_mut(i)),
                None => Some(value),
            };
            if let Some(slot) = slot {
                *slot = object;
                mutated.insert(entry.document);
            }
        }
    }
    if outcome.rejected > 0 || !outcome.errors.is_empty() || !outcome.input_errors.is_empty() {
        return outcome;
    }
    outcome.manifests = Some(assemble(text, &values, &mutated));
    outcome
}

/// A document Helm could not have rendered for the API server: an AdmissionReview or request.
fn is_request(value: &Value) -> bool {
    let Some(map) = value.as_object() else {
        return false;
    };
    map.get("kind").and_then(Value::as_str) == Some("AdmissionReview")
        || (map.contains_key("uid")
            && (map.contains_key("object") || map.contains_key("operation")))
}

/// The stream to print: the text as it came, with the mutated documents rewritten. When the
/// documents as written cannot be matched with the documents as read (JSON input, `...`
/// markers, directives), every document is written from what was read, one per `---`.
fn assemble(
    text: &str,
    values: &[(usize, Value)],
    mutated: &std::collections::BTreeSet<usize>,
) -> String {
    if mutated.is_empty() {
        return text.to_owned();
    }
    let segments = split_documents(text);
    if matches_segments(&segments, values) {
        let mut out = String::with_capacity(text.len() + 256);
        for segment in &segments {
            match segment.number {
                Some(n) if mutated.contains(&n) => {
                    let value = values.iter().find(|(m, _)| *m == n).map(|(_, v)| v);
                    out.push_str(segment.head());
                    if let Some(value) = value {
                        out.push_str(&yaml::to_yaml(value));
                    }
                }
                _ => {
                    out.push_str(&segment.text);
                    if !segment.text.ends_with('\n') {
                        out.push('\n');
                    }
                }
            }
        }
        return out;
    }
    let mut out = String::new();
    for (_, value) in values {
        out.push_str("---\n");
        out.push_str(&yaml::to_yaml(value));
    }
    out
}

/// Whether each document read is the document of the same number as written (read alone).
fn matches_segments(segments: &[Segment], values: &[(usize, Value)]) -> bool {
    let mut written = Vec::new();
    for segment in segments {
        let Some(number) = segment.number else {
            continue;
        };
        match yaml::parse_stream(&segment.text) {
            Ok(docs) => {
                let mut docs = docs.into_iter().filter(|d| !d.value.is_null());
                match (docs.next(), docs.next()) {
                    (None, _) => {}
                    (Some(doc), None) => written.push((number, doc.value)),
                    (Some(_), Some(_)) => return false,
                }
            }
            Err(_) => return false,
        }
    }
    // Mutated values differ from the text; compare numbers, and the count of documents.
    written.len() == values.len() && written.iter().zip(values).all(|((a, _), (b, _))| a == b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helm_streams_are_cut_and_numbered_as_the_reader_numbers_them() {
        let text = "---\n# Source: c/templates/a.yaml\nkind: A\n---\n# Source: c/templates/b.yaml\nkind: B\n";
        let s = split_documents(text);
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].number, Some(1));
        assert_eq!(s[0].text, "---\n# Source: c/templates/a.yaml\nkind: A\n");
        assert_eq!(s[0].head(), "---\n# Source: c/templates/a.yaml\n");
        assert_eq!(s[1].number, Some(2));
        assert_eq!(s.concat_texts(), text);

        let text = "kind: A\n---\nkind: B\n";
        let s = split_documents(text);
        assert_eq!(
            s.iter().map(|s| s.number).collect::<Vec<_>>(),
            [Some(1), Some(2)]
        );
        assert_eq!(s[0].head(), "");

        // Comments before the first `---` are no document.
        let text = "# generated\n---\nkind: A\n";
        let s = split_documents(text);
        assert_eq!(
            s.iter().map(|s| s.number).collect::<Vec<_>>(),
            [None, Some(1)]
        );
        assert_eq!(s.concat_texts(), text);
    }

    #[test]
    fn the_numbering_agrees_with_the_reader() {
        let text =
            "# c\n---\n---\n# Source: x\nkind: A\napiVersion: v1\n---\nkind: B\napiVersion: v1\n";
        let docs = manifest::parse_documents(text, "t").unwrap();
        let values: Vec<(usize, Value)> = docs.into_iter().map(|d| (d.number, d.value)).collect();
        let segments = split_documents(text);
        assert!(
            matches_segments(&segments, &values),
            "{segments:?} {values:?}"
        );
        assert_eq!(values.iter().map(|(n, _)| *n).collect::<Vec<_>>(), [2, 3]);
    }

    trait Concat {
        fn concat_texts(&self) -> String;
    }
    impl Concat for Vec<Segment> {
        fn concat_texts(&self) -> String {
            self.iter().map(|s| s.text.as_str()).collect()
        }
    }
}
