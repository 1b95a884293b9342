//! YAML as kubectl and Helm read it.
//!
//! kubectl and Helm turn YAML into JSON with `sigs.k8s.io/yaml`, which decodes with go-yaml v2:
//! YAML 1.1 scalars and `<<` merge keys. This module builds the same JSON ([`serde_json::Value`])
//! from the events of [`saphyr_parser`], so the policy sees the object the API server receives:
//!
//! - anchors and aliases are expanded;
//! - `<<` merge keys are applied; their value is a mapping, an alias to one, or a sequence of
//!   those (anything else is refused, as go-yaml refuses it);
//! - quoted scalars are strings; plain scalars resolve as go-yaml v2's `resolve.go` does:
//!   `y Y yes Yes YES true True TRUE on On ON` are `true`, `n N no No NO false False FALSE off
//!   Off OFF` are `false`, `~ null Null NULL` and the empty scalar are null; integers go through
//!   Go's `strconv.ParseInt(s, 0, 64)` once `_` are removed (`0777` is octal 511, `0x1F`,
//!   `0o17`, `0b101`, `+12`), then `ParseUint`, then floats (`1e3`, `.5`); timestamps stay
//!   strings, as go-yaml v2 hands them to `interface{}` as strings; everything else is a string;
//! - explicit tags: `!!str`, `!!int`, `!!bool`, `!!null`, `!!float`, `!!map`, `!!seq` (and
//!   `!!merge` on a `<<` key) with go-yaml's rules; any other tag is refused;
//! - floats are written as Go's `encoding/json` writes them: an integral float is an integer
//!   (`1e3` reaches the API server as `1000`); NaN and infinities are refused (kubectl cannot
//!   send them);
//! - go-yaml's "excessive aliasing" limit is applied with go-yaml's own counting, and no
//!   document may expand to more than [`MAX_NODES`] nodes or nest deeper than [`MAX_DEPTH`].
//!
//! Where YAML readers disagree, the document is refused rather than read one way:
//!
//! - a key given both explicitly and by a `<<` merge (or by two merged mappings) with
//!   different values: go-yaml v2 lets the later one win, the YAML merge-key spec, go-yaml v3
//!   (kustomize) and the JavaScript `yaml` package let the explicit one win;
//! - a key given twice;
//! - a key that is not a string once resolved (`on:` is the boolean `true` to kubectl, the
//!   string `"on"` to YAML 1.2 readers);
//! - raw NEL, LINE SEPARATOR and PARAGRAPH SEPARATOR characters, line breaks to YAML 1.1 but
//!   ordinary characters to YAML 1.2 (escape them in a double-quoted string instead);
//! - a line starting with `---` followed by anything but a comment: kubectl cuts documents at
//!   such lines before YAML parsing, and refuses `--- {a: 1}`.
//!
//! Each document is composed once, into a node graph that gives both its value and where each
//! of its keys and items is in the text ([`read_documents`], [`positions`]; looked up with
//! [`crate::locate`]). [`parse_stream`] refuses a stream at its first unreadable document, as
//! the checker does; [`read_documents`] refuses that document alone and reads on, as kubectl
//! cuts a stream into documents before reading each (the playground shows every document).
//!
//! [`to_yaml`] writes JSON back as YAML that this module, kubectl and Helm read as the same
//! value (serde_norway's emitter writes `yes`, `on` or a `<<` key plain).

use std::collections::HashMap;
use std::fmt;
use std::fmt::Write as _;

use saphyr_parser::{Event, Parser, ScalarStyle, Span, Tag};
use serde_json::{Map, Number, Value};

use crate::locate::{self, DocumentMap, Position, Segment};

/// The most nodes one document may expand to, aliases included.
pub const MAX_NODES: usize = 1_000_000;

/// The deepest nesting of mappings, sequences and aliases in one document (the parser itself
/// stops a little deeper, past 250 levels).
pub const MAX_DEPTH: usize = 200;

/// Why a YAML text was refused, located as precisely as the parser knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    /// 1-based document number.
    pub document: usize,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    pub message: String,
}

impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(line), Some(column)) => {
                write!(f, "line {line}, column {column}: {}", self.message)
            }
            (Some(line), None) => write!(f, "line {line}: {}", self.message),
            _ => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for YamlError {}

/// One document of a stream. `number` counts from 1, empty documents included (their value
/// is null).
#[derive(Debug, Clone, PartialEq)]
pub struct YamlDocument {
    pub number: usize,
    pub value: Value,
}

/// Reads every document of a YAML stream as kubectl would send it, or refuses the stream at
/// the first document that cannot be read unambiguously.
pub fn parse_stream(text: &str) -> Result<Vec<YamlDocument>, YamlError> {
    let mut docs = Vec::new();
    for doc in read_until_error(text, Keep::Values, true) {
        docs.push(YamlDocument {
            number: doc.number,
            value: doc.value?,
        });
    }
    Ok(docs)
}

/// One document of a stream read on its own: its value, or why it was refused, and where each
/// of its nodes is (as far as it was composed).
#[derive(Debug, Clone)]
pub struct ReadDocument {
    /// 1-based document number, empty documents included.
    pub number: usize,
    pub value: Result<Value, YamlError>,
    pub positions: DocumentMap,
}

/// Every document of a stream with its positions, each read on its own: a document that
/// cannot be read is refused alone and the documents after it are still read, as kubectl cuts
/// a stream into documents (at lines starting with `---`) before it reads each. A stream
/// without errors reads as [`parse_stream`] reads it.
pub fn read_documents(text: &str) -> Vec<ReadDocument> {
    read_each(text, Keep::Both)
}

/// The positions of every document of a stream (documents that cannot be read included, as
/// far as they could be composed), from the same composer as [`read_documents`].
pub fn positions(text: &str) -> Vec<DocumentMap> {
    read_each(text, Keep::Positions)
        .into_iter()
        .map(|d| d.positions)
        .collect()
}

/// What a read keeps of each document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keep {
    Values,
    Positions,
    Both,
}

impl Keep {
    fn values(self) -> bool {
        self != Keep::Positions
    }

    fn positions(self) -> bool {
        self != Keep::Values
    }
}

impl ReadDocument {
    /// A document refused before (or while) it was composed.
    fn refused(error: YamlError, composed: Option<Composer>, keep: Keep) -> Self {
        let positions = match composed {
            Some(c) if keep.positions() => c.positions(),
            _ => DocumentMap::new(
                error.document,
                Position {
                    line: error.line.unwrap_or(1),
                    column: error.column.unwrap_or(1),
                },
                Vec::new(),
                None,
                error.line.unwrap_or(1),
            ),
        };
        ReadDocument {
            number: error.document,
            value: Err(error),
            positions,
        }
    }

    /// This document read `lines` lines and `numbers` documents into a longer text.
    fn shifted(mut self, lines: usize, numbers: usize) -> Self {
        self.number += numbers;
        self.positions.shift(lines, numbers);
        if let Err(e) = &mut self.value {
            e.document += numbers;
            e.line = e.line.map(|l| l + lines);
        }
        self
    }
}

/// Reads documents until the first one that cannot be read, which ends the list. `checked`:
/// the text is refused first where kubectl and YAML readers would split it differently
/// ([`check_text`]).
fn read_until_error(text: &str, keep: Keep, checked: bool) -> Vec<ReadDocument> {
    if checked && let Err(e) = check_text(text) {
        return vec![ReadDocument::refused(e, None, keep)];
    }
    let mut docs = Vec::new();
    let mut composer: Option<Composer> = None;
    let mut started = 0usize;
    // Every event but a few consumes input: a parser that stops advancing is an error, not a
    // hang (saphyr-parser has had such bugs on malformed flow collections).
    let budget = text.len().saturating_mul(4).saturating_add(64);
    for (n, event) in Parser::new_from_str(text).enumerate() {
        if n > budget {
            let error = YamlError {
                document: started.max(1),
                line: None,
                column: None,
                message: "the YAML parser stopped advancing; simplify the document".to_owned(),
            };
            docs.push(ReadDocument::refused(error, composer.take(), keep));
            return docs;
        }
        let document = if composer.is_some() {
            started
        } else {
            started + 1
        };
        let (event, span) = match event {
            Ok(event) => event,
            Err(e) => {
                let error = YamlError {
                    document,
                    line: Some(e.marker().line()),
                    column: Some(e.marker().col() + 1),
                    message: e.info().to_owned(),
                };
                docs.push(ReadDocument::refused(error, composer.take(), keep));
                return docs;
            }
        };
        match event {
            Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
            Event::DocumentStart(_) => {
                started += 1;
                composer = Some(Composer::new(started, position(&span)));
            }
            Event::DocumentEnd => {
                if let Some(done) = composer.take() {
                    let doc = done.finish(keep);
                    let refused = doc.value.is_err();
                    docs.push(doc);
                    if refused {
                        return docs;
                    }
                }
            }
            other => {
                let result = match composer.as_mut() {
                    Some(c) => c.event(other, span),
                    None => Err(YamlError {
                        document,
                        line: Some(span.start.line()),
                        column: Some(span.start.col() + 1),
                        message: "content outside a document".to_owned(),
                    }),
                };
                if let Err(error) = result {
                    docs.push(ReadDocument::refused(error, composer.take(), keep));
                    return docs;
                }
            }
        }
    }
    docs
}

/// Reads every document, each on its own (see [`read_documents`]). The text checks run once,
/// over the whole text, and each stretch of documents between two they refuse is parsed once
/// (after a document the parser refuses, from the next one on): the work stays linear in the
/// text however many documents are refused.
fn read_each(text: &str, keep: Keep) -> Vec<ReadDocument> {
    let starts = document_starts(text);
    let start_of = |n: usize| n.checked_sub(1).and_then(|i| starts.get(i)).copied();
    let mut refusals = check_problems(text).into_iter().peekable();
    let mut out = Vec::new();
    // The first document of the stretch to read, and where it starts (byte, lines before).
    let mut number = 1usize;
    let mut from = (0usize, 0usize);
    loop {
        while refusals.next_if(|e| e.document < number).is_some() {}
        let to = refusals
            .peek()
            .and_then(|e| start_of(e.document))
            .map_or(text.len(), |(offset, _)| offset);
        if to > from.0 {
            let stretch = text.get(from.0..to).unwrap_or_default();
            let docs = read_until_error(stretch, keep, false);
            let failed = docs.last().and_then(|d| d.value.as_ref().err());
            let next = failed.map(|e| number - 1 + e.document + 1);
            out.extend(docs.into_iter().map(|d| d.shifted(from.1, number - 1)));
            // On with the document after the one refused, as kubectl cuts the stream.
            if let Some(next) = next
                && let Some(at) = start_of(next).filter(|at| at.0 < to)
            {
                number = next;
                from = at;
                continue;
            }
        }
        // The next document the text checks refuse, composed anyway for its positions (its
        // Helm template, the fields of its errors).
        let Some(error) = refusals.next() else {
            return out;
        };
        let refused = error.document;
        let mut doc = ReadDocument::refused(error, None, keep);
        if keep.positions()
            && let Some((offset, lines)) = start_of(refused)
        {
            let end = start_of(refused + 1).map_or(text.len(), |(o, _)| o);
            let chunk = text.get(offset..end).unwrap_or_default();
            let composed = read_until_error(chunk, Keep::Positions, false);
            if let Some(first) = composed.into_iter().next() {
                doc.positions = first.positions;
                doc.positions.shift(lines, 0);
                doc.positions.number = refused;
            }
        }
        out.push(doc);
        let Some(at) = start_of(refused + 1) else {
            return out;
        };
        number = refused + 1;
        from = at;
    }
}

/// Where each document starts as kubectl cuts a stream: at every line starting with `---`, and
/// at the start when content comes before the first such line; as a byte offset and the number
/// of lines before it. Numbered as [`check_text`] and the parser number documents: the first is
/// document 1's.
fn document_starts(text: &str) -> Vec<(usize, usize)> {
    let mut starts = Vec::new();
    let mut leading_content = false;
    let mut offset = 0usize;
    for (n, line) in text.split('\n').enumerate() {
        let bare = if n == 0 {
            line.trim_start_matches('\u{feff}')
        } else {
            line
        };
        if bare.starts_with("---") {
            if starts.is_empty() && leading_content {
                starts.push((0, 0));
            }
            starts.push((offset, n));
        } else if starts.is_empty() {
            leading_content |= is_content(bare);
        }
        offset += line.len() + 1;
    }
    if starts.is_empty() && leading_content {
        starts.push((0, 0));
    }
    starts
}

/// Whether a line before the first `---` holds content (a comment, a directive or a blank
/// line does not).
fn is_content(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty() && !t.starts_with('#') && !t.starts_with('%')
}

fn position(span: &Span) -> Position {
    Position {
        line: span.start.line(),
        column: span.start.col() + 1,
    }
}

/// What kubectl does to the text before YAML sees it, and the characters YAML 1.1 and 1.2 split
/// differently, checked line by line:
/// - kubectl cuts the stream into documents at every line starting with `---`, and refuses
///   such a line with anything but a comment after it (`--- {a: 1}`: "invalid Yaml document
///   separator"); a YAML parser would read `---x` as text;
/// - YAML 1.1 (go-yaml) breaks lines at NEL, LS and PS; YAML 1.2 (our parser) does not.
///
/// Either could make one text two different objects, so such a text is refused.
fn check_text(text: &str) -> Result<(), YamlError> {
    match check_problems(text).into_iter().next() {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Every document [`check_text`] refuses, with its first problem.
fn check_problems(text: &str) -> Vec<YamlError> {
    let mut problems: Vec<YamlError> = Vec::new();
    let mut refuse = |e: YamlError| {
        if problems.last().is_none_or(|p| p.document != e.document) {
            problems.push(e);
        }
    };
    let mut separators = 0usize;
    let mut leading_content = false;
    for (n, line) in text.split('\n').enumerate() {
        let line_no = n + 1;
        let line = if n == 0 {
            line.trim_start_matches('\u{feff}')
        } else {
            line
        };
        if let Some(rest) = line.strip_prefix("---") {
            separators += 1;
            let document = separators + usize::from(leading_content);
            let after = rest.trim();
            let at = |message: String| YamlError {
                document,
                line: Some(line_no),
                column: Some(4),
                message,
            };
            if !rest.is_empty() && !rest.starts_with(char::is_whitespace) {
                refuse(at(format!(
                    "`{}`: kubectl splits documents at this line, YAML readers do not; start the \
                     line with something else, or write `---` alone",
                    line.trim_end()
                )));
            } else if !after.is_empty() && !after.starts_with('#') {
                refuse(at(format!(
                    "`---` followed by `{after}`: kubectl refuses a document separator with \
                     anything but a comment after it; put `{after}` on the next line"
                )));
            }
        } else if separators == 0 {
            leading_content |= is_content(line);
        }
        for (column, c) in line.chars().enumerate() {
            if matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}') {
                refuse(YamlError {
                    document: (separators + usize::from(leading_content)).max(1),
                    line: Some(line_no),
                    column: Some(column + 1),
                    message: format!(
                        "a raw U+{:04X} character: YAML 1.1 readers (kubectl, Helm) take it for a \
                         line break, YAML 1.2 readers for text; write it as an escape (\"\\u{:04X}\") \
                         inside a double-quoted string",
                        c as u32, c as u32
                    ),
                });
            }
        }
    }
    problems
}

/// The tags go-yaml knows, written `!!name` or `tag:yaml.org,2002:name`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CoreTag {
    Str,
    Int,
    Bool,
    Null,
    Float,
    Map,
    Seq,
    Merge,
}

impl CoreTag {
    fn name(self) -> &'static str {
        match self {
            CoreTag::Str => "!!str",
            CoreTag::Int => "!!int",
            CoreTag::Bool => "!!bool",
            CoreTag::Null => "!!null",
            CoreTag::Float => "!!float",
            CoreTag::Map => "!!map",
            CoreTag::Seq => "!!seq",
            CoreTag::Merge => "!!merge",
        }
    }

    fn of(tag: &Tag) -> Result<CoreTag, String> {
        let full = format!("{}{}", tag.handle, tag.suffix);
        let known = match full.strip_prefix("tag:yaml.org,2002:") {
            Some("str") => Some(CoreTag::Str),
            Some("int") => Some(CoreTag::Int),
            Some("bool") => Some(CoreTag::Bool),
            Some("null") => Some(CoreTag::Null),
            Some("float") => Some(CoreTag::Float),
            Some("map") => Some(CoreTag::Map),
            Some("seq") => Some(CoreTag::Seq),
            Some("merge") => Some(CoreTag::Merge),
            _ => None,
        };
        known.ok_or_else(|| {
            let shown = match full.strip_prefix("tag:yaml.org,2002:") {
                Some(rest) => format!("!!{rest}"),
                None => tag.to_string(),
            };
            format!(
                "the tag {shown} is not supported: only !!str, !!int, !!bool, !!null, !!float, \
                 !!map, !!seq and !!merge are read (remove the tag)"
            )
        })
    }
}

#[derive(Debug)]
enum Kind {
    Scalar {
        value: String,
        style: ScalarStyle,
        tag: Option<CoreTag>,
    },
    Seq(Vec<usize>),
    /// Keys and values, alternating.
    Map(Vec<usize>),
    Alias(usize),
}

#[derive(Debug)]
struct Node {
    kind: Kind,
    line: usize,
    column: usize,
}

/// Builds one document's node graph from parser events: the graph the value is decoded from
/// and the positions fields are located with.
struct Composer {
    document: usize,
    /// Where the document starts (its `---`, or its first content).
    start: Position,
    /// The last line of content seen.
    last_line: usize,
    nodes: Vec<Node>,
    anchors: HashMap<usize, usize>,
    open: Vec<usize>,
    root: Option<usize>,
}

impl Composer {
    fn new(document: usize, start: Position) -> Self {
        Composer {
            document,
            start,
            last_line: start.line,
            nodes: Vec::new(),
            anchors: HashMap::new(),
            open: Vec::new(),
            root: None,
        }
    }

    fn error(&self, span: &Span, message: impl Into<String>) -> YamlError {
        YamlError {
            document: self.document,
            line: Some(span.start.line()),
            column: Some(span.start.col() + 1),
            message: message.into(),
        }
    }

    fn tag(&self, tag: Option<&Tag>, span: &Span) -> Result<Option<CoreTag>, YamlError> {
        tag.map(CoreTag::of)
            .transpose()
            .map_err(|m| self.error(span, m))
    }

    fn add(&mut self, kind: Kind, anchor: usize, span: &Span) -> usize {
        let id = self.nodes.len();
        self.last_line = self.last_line.max(span.start.line());
        self.nodes.push(Node {
            kind,
            line: span.start.line(),
            column: span.start.col() + 1,
        });
        if anchor != 0 {
            self.anchors.insert(anchor, id);
        }
        id
    }

    fn attach(&mut self, child: usize, span: &Span) -> Result<(), YamlError> {
        match self.open.last() {
            None => {
                if self.root.replace(child).is_some() {
                    return Err(self.error(span, "more than one node in a document"));
                }
            }
            Some(&parent) => match self.nodes.get_mut(parent).map(|n| &mut n.kind) {
                Some(Kind::Seq(items) | Kind::Map(items)) => items.push(child),
                _ => return Err(self.error(span, "internal error: no open collection")),
            },
        }
        Ok(())
    }

    fn open(&mut self, kind: Kind, anchor: usize, span: &Span) -> Result<(), YamlError> {
        if self.open.len() >= MAX_DEPTH {
            return Err(self.error(
                span,
                format!("nested deeper than {MAX_DEPTH} levels; no Kubernetes object needs that"),
            ));
        }
        let id = self.add(kind, anchor, span);
        self.attach(id, span)?;
        self.open.push(id);
        Ok(())
    }

    fn event(&mut self, event: Event<'_>, span: Span) -> Result<(), YamlError> {
        match event {
            Event::Scalar(value, style, anchor, tag) => {
                let tag = self.tag(tag.as_deref(), &span)?;
                if matches!(tag, Some(CoreTag::Map | CoreTag::Seq)) {
                    let shown = tag.map(CoreTag::name).unwrap_or_default();
                    return Err(self.error(&span, format!("{shown} on a scalar")));
                }
                let kind = Kind::Scalar {
                    value: value.into_owned(),
                    style,
                    tag,
                };
                let id = self.add(kind, anchor, &span);
                self.attach(id, &span)
            }
            Event::SequenceStart(anchor, tag) => {
                match self.tag(tag.as_deref(), &span)? {
                    None | Some(CoreTag::Seq) => {}
                    Some(other) => {
                        return Err(self.error(&span, format!("{} on a sequence", other.name())));
                    }
                }
                self.open(Kind::Seq(Vec::new()), anchor, &span)
            }
            Event::MappingStart(anchor, tag) => {
                match self.tag(tag.as_deref(), &span)? {
                    None | Some(CoreTag::Map) => {}
                    Some(other) => {
                        return Err(self.error(&span, format!("{} on a mapping", other.name())));
                    }
                }
                self.open(Kind::Map(Vec::new()), anchor, &span)
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if self.open.pop().is_none() {
                    return Err(self.error(&span, "internal error: unbalanced collection end"));
                }
                self.last_line = self.last_line.max(span.end.line());
                Ok(())
            }
            Event::Alias(anchor) => {
                let Some(&target) = self.anchors.get(&anchor) else {
                    return Err(self.error(
                        &span,
                        "an alias to an anchor not defined earlier in this document",
                    ));
                };
                let id = self.add(Kind::Alias(target), 0, &span);
                self.attach(id, &span)
            }
            Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart(_)
            | Event::DocumentEnd
            | Event::Nothing => Ok(()),
        }
    }

    /// The document read: its value (when kept) and its positions (when kept).
    fn finish(self, keep: Keep) -> ReadDocument {
        let value = if keep.values() {
            self.decode()
        } else {
            Ok(Value::Null)
        };
        let positions = if keep.positions() {
            self.positions()
        } else {
            DocumentMap::new(self.document, self.start, Vec::new(), None, self.last_line)
        };
        ReadDocument {
            number: self.document,
            value,
            positions,
        }
    }

    fn decode(&self) -> Result<Value, YamlError> {
        let Some(root) = self.root else {
            return Ok(Value::Null);
        };
        let mut decoder = Decoder {
            document: self.document,
            nodes: &self.nodes,
            // go-yaml counts the document node too.
            count: 1,
            alias_count: 0,
            alias_depth: 0,
            depth: 0,
            active_aliases: Vec::new(),
            path: Vec::new(),
        };
        decoder.decode(root)
    }

    /// Where each key and item is: a mapping's scalar keys name its fields, `<<` values are
    /// the mappings it merges (a document cut short keeps what was composed).
    fn positions(&self) -> DocumentMap {
        let at = |n: &Node| Position {
            line: n.line,
            column: n.column,
        };
        let nodes = self.nodes.iter().map(|node| {
            let kind = match &node.kind {
                Kind::Scalar { .. } => locate::Kind::Leaf,
                Kind::Seq(items) => locate::Kind::Seq(items.clone()),
                Kind::Alias(target) => locate::Kind::Alias(*target),
                Kind::Map(pairs) => {
                    let mut entries = Vec::new();
                    let mut merges = Vec::new();
                    for pair in pairs.chunks_exact(2) {
                        let &[key, value] = pair else { continue };
                        match self.nodes.get(key) {
                            Some(k) if is_merge_key(k) => merges.push(value),
                            Some(
                                k @ Node {
                                    kind: Kind::Scalar { value: text, .. },
                                    ..
                                },
                            ) => entries.push((text.clone(), at(k), value)),
                            _ => {}
                        }
                    }
                    locate::Kind::Map { entries, merges }
                }
            };
            locate::Node { at: at(node), kind }
        });
        // A document with no content holds an empty scalar where the next document starts.
        let root = self.root.filter(|&r| {
            !matches!(self.nodes.get(r), Some(Node { kind: Kind::Scalar { value, style: ScalarStyle::Plain, tag: None }, .. }) if value.is_empty())
        });
        DocumentMap::new(
            self.document,
            self.start,
            nodes.collect(),
            root,
            self.last_line,
        )
    }
}

/// A `<<` key that merges: plain and untagged, or tagged `!!merge`.
fn is_merge_key(node: &Node) -> bool {
    match &node.kind {
        Kind::Scalar { value, style, tag } => {
            value == "<<"
                && ((*style == ScalarStyle::Plain && tag.is_none()) || *tag == Some(CoreTag::Merge))
        }
        _ => false,
    }
}

/// Where in a document a message is about: the path ([`locate::render_path`]'s form, `<<` for
/// the value of a merge key), or the top level.
fn render_path(path: &[Segment]) -> String {
    match locate::render_path(path) {
        p if p.is_empty() => "the top level".to_owned(),
        p => p,
    }
}

/// Where a key of a mapping came from, for conflict messages.
#[derive(Debug, Clone, Copy)]
struct Origin {
    merged: bool,
    line: usize,
}

/// A mapping being built, with where each key came from.
#[derive(Default)]
struct Merging {
    out: Map<String, Value>,
    origins: HashMap<String, Origin>,
}

/// Turns a document's node graph into JSON the way go-yaml v2 decodes into `interface{}`.
struct Decoder<'a> {
    document: usize,
    nodes: &'a [Node],
    count: usize,
    alias_count: usize,
    alias_depth: usize,
    depth: usize,
    active_aliases: Vec<usize>,
    path: Vec<Segment>,
}

/// go-yaml v2's `allowedAliasRatio`.
fn allowed_alias_ratio(count: usize) -> f64 {
    const LOW: usize = 400_000;
    const HIGH: usize = 4_000_000;
    if count <= LOW {
        0.99
    } else if count >= HIGH {
        0.10
    } else {
        0.99 - 0.89 * ((count - LOW) as f64 / (HIGH - LOW) as f64)
    }
}

impl<'a> Decoder<'a> {
    fn node(&self, id: usize) -> Result<&'a Node, YamlError> {
        self.nodes.get(id).ok_or_else(|| YamlError {
            document: self.document,
            line: None,
            column: None,
            message: "internal error: a node out of range".to_owned(),
        })
    }

    fn error_at(&self, node: &Node, message: impl Into<String>) -> YamlError {
        YamlError {
            document: self.document,
            line: Some(node.line),
            column: Some(node.column),
            message: message.into(),
        }
    }

    /// go-yaml's per-node accounting (`decoder.unmarshal`), plus our own hard limits.
    fn tick(&mut self, node: &Node) -> Result<(), YamlError> {
        self.count += 1;
        if self.alias_depth > 0 {
            self.alias_count += 1;
        }
        if self.count > MAX_NODES {
            return Err(self.error_at(
                node,
                format!(
                    "the document expands to more than {MAX_NODES} nodes (aliases repeat what \
                     they name); write it without the aliases that multiply it"
                ),
            ));
        }
        if self.alias_count > 100
            && self.count > 1000
            && self.alias_count as f64 / self.count as f64 > allowed_alias_ratio(self.count)
        {
            return Err(self.error_at(
                node,
                "document contains excessive aliasing (kubectl refuses it too): write the \
                 repeated parts out instead of through aliases",
            ));
        }
        Ok(())
    }

    fn decode(&mut self, id: usize) -> Result<Value, YamlError> {
        let node = self.node(id)?;
        self.tick(node)?;
        match &node.kind {
            Kind::Scalar { value, style, tag } => {
                resolve_scalar(value, *style, *tag).map_err(|m| self.error_at(node, m))
            }
            Kind::Alias(target) => {
                if self.active_aliases.contains(&id) {
                    return Err(self.error_at(node, "an anchor whose value contains itself"));
                }
                self.enter(node)?;
                self.active_aliases.push(id);
                self.alias_depth += 1;
                let out = self.decode(*target);
                self.alias_depth -= 1;
                self.active_aliases.pop();
                self.depth -= 1;
                out
            }
            Kind::Seq(items) => {
                self.enter(node)?;
                let mut out = Vec::with_capacity(items.len());
                for (i, &item) in items.iter().enumerate() {
                    self.path.push(Segment::Index(i));
                    let v = self.decode(item);
                    self.path.pop();
                    out.push(v?);
                }
                self.depth -= 1;
                Ok(Value::Array(out))
            }
            Kind::Map(entries) => {
                self.enter(node)?;
                let out = self.decode_map(entries);
                self.depth -= 1;
                out.map(Value::Object)
            }
        }
    }

    fn enter(&mut self, node: &Node) -> Result<(), YamlError> {
        if self.depth >= MAX_DEPTH {
            return Err(self.error_at(
                node,
                format!(
                    "nested deeper than {MAX_DEPTH} levels (aliases included); no Kubernetes \
                     object needs that"
                ),
            ));
        }
        self.depth += 1;
        Ok(())
    }

    fn decode_map(&mut self, entries: &[usize]) -> Result<Map<String, Value>, YamlError> {
        let mut map = Merging::default();
        for pair in entries.chunks_exact(2) {
            let &[key_id, value_id] = pair else {
                continue;
            };
            let key_node = self.node(key_id)?;
            if is_merge_key(key_node) {
                let line = key_node.line;
                self.path.push(Segment::Key("<<".to_owned()));
                let sources = self.merge_sources(value_id);
                self.path.pop();
                for source in sources? {
                    for (k, v) in source {
                        self.insert(&mut map, key_node, k, v, Origin { merged: true, line })?;
                    }
                }
                continue;
            }
            let key = match self.decode(key_id)? {
                Value::String(s) => s,
                other => {
                    return Err(self.error_at(
                        key_node,
                        format!(
                            "at {}: the key {} is not a string to kubectl (YAML 1.1 reads it as \
                             {}); quote it",
                            render_path(&self.path),
                            scalar_text(key_node),
                            describe(&other)
                        ),
                    ));
                }
            };
            self.path.push(Segment::Key(key.clone()));
            let value = self.decode(value_id);
            self.path.pop();
            let origin = Origin {
                merged: false,
                line: key_node.line,
            };
            self.insert(&mut map, key_node, key, value?, origin)?;
        }
        Ok(map.out)
    }

    /// Adds one key to a mapping being built, refusing duplicates and merge conflicts.
    fn insert(
        &self,
        map: &mut Merging,
        at: &Node,
        key: String,
        value: Value,
        origin: Origin,
    ) -> Result<(), YamlError> {
        let Origin { merged, line } = origin;
        let Merging { out, origins } = map;
        let Some(previous) = origins.get(&key).copied() else {
            origins.insert(key.clone(), origin);
            out.insert(key, value);
            return Ok(());
        };
        let where_ = render_path(&self.path);
        if !merged && !previous.merged {
            return Err(self.error_at(
                at,
                format!(
                    "at {where_}: the key {key:?} is given twice (lines {} and {}); write it once",
                    previous.line, line
                ),
            ));
        }
        if out.get(&key) == Some(&value) {
            if !merged {
                origins.insert(key, origin);
            }
            return Ok(());
        }
        let how = match (previous.merged, merged) {
            (true, true) => format!("by two `<<` merges (lines {} and {line})", previous.line),
            (false, true) => format!(
                "explicitly (line {}) and by a `<<` merge (line {line})",
                previous.line
            ),
            _ => format!(
                "by a `<<` merge (line {}) and explicitly (line {line})",
                previous.line
            ),
        };
        Err(self.error_at(
            at,
            format!(
                "at {where_}: the key {key:?} is given {how} with different values, and YAML \
                 readers disagree on which value wins (kubectl and Helm can keep the later one \
                 where the YAML merge-key spec and kustomize keep the explicit or first one): \
                 write the value once"
            ),
        ))
    }

    /// The mappings a `<<` value names, in order (earlier ones first).
    fn merge_sources(&mut self, id: usize) -> Result<Vec<Map<String, Value>>, YamlError> {
        let node = self.node(id)?;
        let bad = |d: &Self, n: &Node| {
            d.error_at(
                n,
                format!(
                    "at {}: a `<<` merge takes a mapping, an alias to a mapping, or a list of \
                     those",
                    render_path(&d.path)
                ),
            )
        };
        match &node.kind {
            Kind::Map(_) | Kind::Alias(_) => {
                if !self.names_a_mapping(id)? {
                    return Err(bad(self, node));
                }
                Ok(vec![self.decode_mapping(id)?])
            }
            Kind::Seq(items) => {
                for &item in items {
                    if !self.names_a_mapping(item)? {
                        return Err(bad(self, self.node(item)?));
                    }
                }
                // go-yaml decodes the list backwards (earlier mappings win); count the same way.
                let mut out = Vec::with_capacity(items.len());
                for &item in items.iter().rev() {
                    out.push(self.decode_mapping(item)?);
                }
                out.reverse();
                Ok(out)
            }
            Kind::Scalar { .. } => Err(bad(self, node)),
        }
    }

    fn names_a_mapping(&self, id: usize) -> Result<bool, YamlError> {
        Ok(match &self.node(id)?.kind {
            Kind::Map(_) => true,
            Kind::Alias(target) => matches!(self.node(*target)?.kind, Kind::Map(_)),
            _ => false,
        })
    }

    fn decode_mapping(&mut self, id: usize) -> Result<Map<String, Value>, YamlError> {
        match self.decode(id)? {
            Value::Object(map) => Ok(map),
            _ => {
                let node = self.node(id)?;
                Err(self.error_at(node, "a `<<` merge takes a mapping"))
            }
        }
    }
}

fn scalar_text(node: &Node) -> String {
    match &node.kind {
        Kind::Scalar { value, .. } => format!("`{value}`"),
        Kind::Seq(_) => "(a sequence)".to_owned(),
        Kind::Map(_) => "(a mapping)".to_owned(),
        Kind::Alias(_) => "(an alias)".to_owned(),
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the string {s:?}"),
        Value::Array(_) => "a sequence".to_owned(),
        Value::Object(_) => "a mapping".to_owned(),
    }
}

/// What go-yaml v2's `resolve` makes of a scalar.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Resolved {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    /// A syntactically valid integer outside 64 bits (go-yaml makes a `big.Int` of it).
    BigInt,
    /// A text Go's `ParseFloat` may read as a number that we do not model (`.5_0`).
    Unsure,
    Str,
}

impl Resolved {
    fn tag(self) -> &'static str {
        match self {
            Resolved::Null => "!!null",
            Resolved::Bool(_) => "!!bool",
            Resolved::Int(_) | Resolved::Uint(_) | Resolved::BigInt => "!!int",
            Resolved::Float(_) => "!!float",
            Resolved::Str | Resolved::Unsure => "!!str",
        }
    }
}

/// A scalar as JSON, following go-yaml v2's `decoder.scalar` for `interface{}`.
fn resolve_scalar(value: &str, style: ScalarStyle, tag: Option<CoreTag>) -> Result<Value, String> {
    let resolved = match tag {
        None if style != ScalarStyle::Plain => return Ok(Value::String(value.to_owned())),
        None => resolve_plain(value),
        Some(CoreTag::Str) => return Ok(Value::String(value.to_owned())),
        Some(CoreTag::Merge) => {
            return Err(format!(
                "!!merge on `{value}`: only a `<<` key can carry it (remove the tag)"
            ));
        }
        Some(wanted) => {
            let got = resolve_plain(value);
            let fits = matches!(
                (wanted, got),
                (
                    CoreTag::Int,
                    Resolved::Int(_) | Resolved::Uint(_) | Resolved::BigInt
                ) | (CoreTag::Bool, Resolved::Bool(_))
                    | (CoreTag::Null, Resolved::Null)
                    | (CoreTag::Float, Resolved::Float(_) | Resolved::Int(_))
            );
            if !fits {
                return Err(format!(
                    "cannot read {} `{value}` as {}",
                    got.tag(),
                    wanted.name()
                ));
            }
            match (wanted, got) {
                (CoreTag::Float, Resolved::Int(i)) => Resolved::Float(i as f64),
                _ => got,
            }
        }
    };
    to_json(resolved, value)
}

fn to_json(resolved: Resolved, text: &str) -> Result<Value, String> {
    Ok(match resolved {
        Resolved::Null => Value::Null,
        Resolved::Bool(b) => Value::Bool(b),
        Resolved::Int(i) => Value::Number(i.into()),
        Resolved::Uint(u) => Value::Number(u.into()),
        Resolved::Str => Value::String(text.to_owned()),
        Resolved::Unsure => {
            return Err(format!(
                "YAML readers disagree on whether `{text}` is a number or text: quote it, or \
                 write the number without underscores"
            ));
        }
        Resolved::BigInt => {
            return Err(format!(
                "the integer `{text}` does not fit in 64 bits; no Kubernetes field takes it \
                 (quote it if it is text)"
            ));
        }
        Resolved::Float(f) => {
            if !f.is_finite() {
                return Err(format!(
                    "`{text}` is a YAML 1.1 {} that JSON cannot carry, so kubectl cannot send it \
                     (quote it if it is text)",
                    if f.is_nan() { "NaN" } else { "infinity" }
                ));
            }
            json_float(f)
        }
    })
}

/// A float as Go's `encoding/json` writes it: integral values below 1e21 have no fraction or
/// exponent, so they reach the API server as integers.
fn json_float(f: f64) -> Value {
    if f.fract() == 0.0 && f.abs() < 1e21 {
        if (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&f) {
            return Value::Number((f as i64).into());
        }
        if (0.0..18_446_744_073_709_551_616.0).contains(&f) {
            return Value::Number((f as u64).into());
        }
    }
    Number::from_f64(f).map_or(Value::Null, Value::Number)
}

/// go-yaml v2's `resolve("", in)` for a plain scalar.
fn resolve_plain(s: &str) -> Resolved {
    let hint = match s.as_bytes().first() {
        None => b'N',
        Some(b'+' | b'-') => b'S',
        Some(b'0'..=b'9') => b'D',
        Some(b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~') => b'M',
        Some(b'.') => b'.',
        Some(_) => return Resolved::Str,
    };
    match s {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return Resolved::Bool(true);
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Resolved::Bool(false);
        }
        "" | "~" | "null" | "Null" | "NULL" => return Resolved::Null,
        ".nan" | ".NaN" | ".NAN" => return Resolved::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Resolved::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Resolved::Float(f64::NEG_INFINITY),
        _ => {}
    }
    match hint {
        b'.' => {
            if s.contains('_') {
                let plain: String = s.chars().filter(|&c| c != '_').collect();
                if go_parse_float_from_dot(&plain).is_some() {
                    return Resolved::Unsure;
                }
                return Resolved::Str;
            }
            match go_parse_float_from_dot(s) {
                Some(f) => Resolved::Float(f),
                None => Resolved::Str,
            }
        }
        b'D' | b'S' => resolve_number(s),
        _ => Resolved::Str,
    }
}

/// The `'D', 'S'` branch of go-yaml v2's `resolve`. Timestamps (`2001-12-14`) are skipped: they
/// start with four digits and a `-`, which no number does, and go-yaml v2 hands them to
/// `interface{}` as the original string anyway.
fn resolve_number(s: &str) -> Resolved {
    let plain: String = s.chars().filter(|&c| c != '_').collect();
    if let Ok(i) = go_parse_int(&plain, 0) {
        return Resolved::Int(i);
    }
    let uint = go_parse_uint(&plain, 0);
    if let Ok(u) = uint {
        return Resolved::Uint(u);
    }
    if yaml_style_float(&plain)
        && let Ok(f) = plain.parse::<f64>()
        && f.is_finite()
    {
        return Resolved::Float(f);
    }
    if let Some(digits) = plain.strip_prefix("0b") {
        if let Ok(i) = go_parse_int(digits, 2) {
            return Resolved::Int(i);
        }
        if let Ok(u) = go_parse_uint(digits, 2) {
            return Resolved::Uint(u);
        }
    } else if let Some(digits) = plain.strip_prefix("-0b")
        && let Ok(i) = go_parse_int(&format!("-{digits}"), 2)
    {
        return Resolved::Int(i);
    }
    if uint == Err(GoNumError::Range) {
        // go-yaml tries big.Int.SetString(plain, 0), which takes what ParseUint took, unbounded.
        return Resolved::BigInt;
    }
    Resolved::Str
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GoNumError {
    Syntax,
    Range,
}

/// Go's `strconv.ParseUint(s, base, 64)` for base 0 or 2..=36, on text without underscores.
/// Like Go, it reports a range error at the first overflow, before later digits are checked.
fn go_parse_uint(s: &str, base: u32) -> Result<u64, GoNumError> {
    if s.is_empty() {
        return Err(GoNumError::Syntax);
    }
    let bytes = s.as_bytes();
    let (base, digits) = if base == 0 {
        match bytes {
            [b'0', p, _, ..] if p.eq_ignore_ascii_case(&b'b') => (2, bytes.get(2..)),
            [b'0', p, _, ..] if p.eq_ignore_ascii_case(&b'o') => (8, bytes.get(2..)),
            [b'0', p, _, ..] if p.eq_ignore_ascii_case(&b'x') => (16, bytes.get(2..)),
            [b'0', ..] => (8, bytes.get(1..)),
            _ => (10, Some(bytes)),
        }
    } else {
        (base, Some(bytes))
    };
    let digits = digits.ok_or(GoNumError::Syntax)?;
    let mut n: u64 = 0;
    for &c in digits {
        let d = match c {
            b'0'..=b'9' => u32::from(c - b'0'),
            b'a'..=b'z' => u32::from(c - b'a') + 10,
            b'A'..=b'Z' => u32::from(c - b'A') + 10,
            _ => return Err(GoNumError::Syntax),
        };
        if d >= base {
            return Err(GoNumError::Syntax);
        }
        n = n
            .checked_mul(u64::from(base))
            .and_then(|n| n.checked_add(u64::from(d)))
            .ok_or(GoNumError::Range)?;
    }
    Ok(n)
}

/// Go's `strconv.ParseInt(s, base, 64)`, on text without underscores.
fn go_parse_int(s: &str, base: u32) -> Result<i64, GoNumError> {
    let (negative, rest) = match s.as_bytes().first() {
        Some(b'-') => (true, s.get(1..).unwrap_or_default()),
        Some(b'+') => (false, s.get(1..).unwrap_or_default()),
        _ => (false, s),
    };
    let magnitude = go_parse_uint(rest, base)?;
    if negative {
        if magnitude > 1 << 63 {
            return Err(GoNumError::Range);
        }
        Ok((magnitude as i64).wrapping_neg())
    } else {
        i64::try_from(magnitude).map_err(|_| GoNumError::Range)
    }
}

/// go-yaml v2's `yamlStyleFloat`: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// Go's `strconv.ParseFloat(s, 64)` for a text without underscores starting with `.`
/// (go-yaml's `'.'` hint): `.`, digits, an optional exponent. Out of range is an error in Go,
/// so go-yaml keeps such a text as a string.
fn go_parse_float_from_dot(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    if b.first() != Some(&b'.') {
        return None;
    }
    let mut i = 1;
    let start = i;
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    if i == start {
        return None;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exp = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == exp {
            return None;
        }
    }
    if i != b.len() {
        return None;
    }
    s.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// A JSON value as block-style YAML that this module, kubectl and Helm (YAML 1.1, go-yaml),
/// YAML 1.2 readers and serde_norway all read back as the same value. This is the checker's one
/// YAML writer: `check --mutate`, `post-render` and the report's suggested exceptions use it.
///
/// - A string is written plain only when no YAML 1.1 or 1.2 reader can take it for anything
///   else: it starts with a letter or `/`, holds only letters, digits and `/ _ . - @ + = :`,
///   does not end with `:`, and is none of the words YAML 1.1 reads as a boolean or null (`y`,
///   `n`, `yes`, `no`, `on`, `off`, `true`, `false`, `null`, in any case). So `<<` (a merge key
///   to kubectl), `yes` and `on` (booleans), `1_000`, `0777`, `1:20` (numbers), `~`, `#`,
///   `: `, `---`, leading or trailing spaces and every other string are double-quoted.
/// - In double quotes, `"` and `\` are escaped, and so is every character a reader could take
///   for a line break or drop: C0 and C1 controls (NEL, U+0085, among them), DEL, LINE and
///   PARAGRAPH SEPARATOR, the byte-order mark, U+FFFE, U+FFFF and the bidirectional controls.
/// - A key longer than [`MAX_IMPLICIT_KEY`] bytes as written is an explicit key (`? "…"`):
///   YAML readers (libyaml, go-yaml) refuse longer implicit keys.
///
/// No document marker: the caller separates documents with `---`.
pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) if !map.is_empty() => emit_map(map, 0, &mut out),
        Value::Array(items) if !items.is_empty() => emit_seq(items, 0, &mut out),
        scalar => {
            out.push_str(&inline(scalar));
            out.push('\n');
        }
    }
    out
}

/// The longest implicit (`key: value`) key YAML readers accept, in bytes; YAML 1.2 and libyaml
/// allow 1024 characters, including the `:`.
pub const MAX_IMPLICIT_KEY: usize = 1000;

/// A scalar or an empty collection on one line.
fn inline(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => yaml_number(n),
        Value::String(s) => yaml_string(s),
        Value::Array(_) => "[]".to_owned(),
        Value::Object(_) => "{}".to_owned(),
    }
}

/// A number as every YAML reader takes it for one: an integer as JSON writes it; a float with
/// a dot and a signed exponent (`1.0e-7`, `3.5e+300`), which YAML 1.1 requires (`1e-7` is a
/// string to a strict YAML 1.1 reader).
fn yaml_number(n: &Number) -> String {
    let s = n.to_string();
    if !n.is_f64() {
        return s;
    }
    match s.split_once(['e', 'E']) {
        Some((mantissa, exponent)) => {
            let dot = if mantissa.contains('.') { "" } else { ".0" };
            let sign = if exponent.starts_with(['-', '+']) {
                ""
            } else {
                "+"
            };
            format!("{mantissa}{dot}e{sign}{exponent}")
        }
        None => s,
    }
}

/// Whether `s`, written plain, reads back as this very string in YAML 1.1 and 1.2.
fn plain_safe(s: &str) -> bool {
    let bytes = s.as_bytes();
    let starts = bytes
        .first()
        .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'/');
    let word = ["y", "n", "yes", "no", "on", "off", "true", "false", "null"]
        .iter()
        .any(|w| s.eq_ignore_ascii_case(w));
    starts
        && !word
        && !s.ends_with(':')
        && bytes.iter().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(b, b'/' | b'_' | b'.' | b'-' | b'@' | b'+' | b'=' | b':')
        })
        && resolve_plain(s) == Resolved::Str
}

/// Whether a character is written escaped inside double quotes: one that a YAML 1.1 reader
/// takes for a line break (NEL, U+2028, U+2029), that YAML does not allow raw (controls, DEL,
/// U+FFFE, U+FFFF), that a reader may drop (the byte-order mark), or that reorders the text
/// shown around it (bidirectional controls).
pub fn escaped_in_yaml(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}'
                | '\u{2029}'
                | '\u{feff}'
                | '\u{fffe}'
                | '\u{ffff}'
                | '\u{061c}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
        )
}

/// A string as YAML: plain when [`plain_safe`], else double-quoted with every character a
/// reader could read otherwise escaped (the escapes are common to YAML 1.1 and 1.2).
fn yaml_string(s: &str) -> String {
    if plain_safe(s) {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if escaped_in_yaml(c) => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `key:` as a mapping key, explicit (`? key` then `:`) when too long to be implicit.
fn push_key(key: &str, pad: &str, out: &mut String) {
    let written = yaml_string(key);
    out.push_str(pad);
    if written.len() > MAX_IMPLICIT_KEY {
        out.push_str("? ");
        out.push_str(&written);
        out.push('\n');
        out.push_str(pad);
    } else {
        out.push_str(&written);
    }
    out.push(':');
}

fn emit_map(map: &Map<String, Value>, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    for (key, value) in map {
        push_key(key, &pad, out);
        match value {
            Value::Object(inner) if !inner.is_empty() => {
                out.push('\n');
                emit_map(inner, indent + 2, out);
            }
            Value::Array(items) if !items.is_empty() => {
                out.push('\n');
                emit_seq(items, indent, out);
            }
            scalar => {
                out.push(' ');
                out.push_str(&inline(scalar));
                out.push('\n');
            }
        }
    }
}

fn emit_seq(items: &[Value], indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    for item in items {
        let mut nested = String::new();
        match item {
            Value::Object(inner) if !inner.is_empty() => emit_map(inner, indent + 2, &mut nested),
            Value::Array(inner) if !inner.is_empty() => emit_seq(inner, indent + 2, &mut nested),
            scalar => {
                out.push_str(&pad);
                out.push_str("- ");
                out.push_str(&inline(scalar));
                out.push('\n');
                continue;
            }
        }
        // The first line of the nested block moves up beside the dash: `- key: value`.
        out.push_str(&pad);
        out.push_str("- ");
        out.push_str(nested.get(indent + 2..).unwrap_or_default());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    enum Want {
        Json(Value),
        /// The error names these, in its message (or its position, as "line L").
        Error(&'static [&'static str]),
    }
    use Want::{Error, Json};

    fn one(text: &str) -> Result<Value, YamlError> {
        let mut docs = parse_stream(text)?;
        assert_eq!(docs.len(), 1, "{text:?} is not one document");
        Ok(docs.remove(0).value)
    }

    fn billion_laughs() -> String {
        let mut text = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n".to_owned();
        for i in 1..10 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        text
    }

    #[test]
    fn documents_read_as_kubectl_reads_them() {
        let laughs = billion_laughs();
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        let fine_depth = format!("{}{}", "[".repeat(MAX_DEPTH - 1), "]".repeat(MAX_DEPTH - 1));
        let mut nested = json!([]);
        for _ in 1..MAX_DEPTH - 1 {
            nested = json!([nested]);
        }
        let cases: Vec<(&str, &str, Want)> = vec![
            // Merge keys.
            (
                "merge key in a securityContext gives privileged root",
                "securityContext:\n  <<: {privileged: true, runAsUser: 0}\n",
                Json(json!({"securityContext": {"privileged": true, "runAsUser": 0}})),
            ),
            (
                "merge of an alias, with explicit keys beside it",
                "base: &b {runAsUser: 1000, runAsGroup: 1000}\nctx:\n  <<: *b\n  runAsNonRoot: true\n",
                Json(json!({"base": {"runAsUser": 1000, "runAsGroup": 1000},
                            "ctx": {"runAsUser": 1000, "runAsGroup": 1000, "runAsNonRoot": true}})),
            ),
            (
                "merge list of disjoint mappings",
                "<<: [{a: 1}, {b: 2}]\nc: 3\n",
                Json(json!({"a": 1, "b": 2, "c": 3})),
            ),
            (
                "merge list giving one key the same value twice",
                "<<: [{a: 1, b: 2}, {a: 1}]\n",
                Json(json!({"a": 1, "b": 2})),
            ),
            (
                "merge list giving one key two values is refused",
                "<<: [{a: 1}, {a: 2}]\n",
                Error(&[
                    "\"a\"",
                    "two `<<` merges",
                    "disagree",
                    "write the value once",
                    "line 1",
                ]),
            ),
            (
                "explicit key before a merge with another value is refused",
                "x:\n  a: 1\n  <<: {a: 2}\n",
                Error(&[
                    "at x",
                    "\"a\"",
                    "explicitly (line 2)",
                    "merge (line 3)",
                    "disagree",
                    "line 3",
                ]),
            ),
            (
                "merge before an explicit key with another value is refused",
                "<<: {runAsUser: 0}\nrunAsUser: 1000\n",
                Error(&[
                    "\"runAsUser\"",
                    "merge (line 1) and explicitly (line 2)",
                    "write the value once",
                ]),
            ),
            (
                "explicit key equal to the merged one is fine",
                "<<: {a: 1, b: 2}\na: 1\n",
                Json(json!({"a": 1, "b": 2})),
            ),
            (
                "merges nest through aliases",
                "base: &b {p: 1}\nmid: &m {<<: *b, q: 2}\ntop: {<<: *m, r: 3}\n",
                Json(
                    json!({"base": {"p": 1}, "mid": {"p": 1, "q": 2}, "top": {"p": 1, "q": 2, "r": 3}}),
                ),
            ),
            (
                "a merge list of aliases",
                "a: &a {p: 1}\nb: &b {q: 2}\nc: {<<: [*a, *b]}\n",
                Json(json!({"a": {"p": 1}, "b": {"q": 2}, "c": {"p": 1, "q": 2}})),
            ),
            (
                "a quoted << is an ordinary key",
                "'<<': {a: 1}\n",
                Json(json!({"<<": {"a": 1}})),
            ),
            (
                "a !!merge-tagged << merges",
                "!!merge <<: {a: 1}\n",
                Json(json!({"a": 1})),
            ),
            (
                "a scalar merge value is refused",
                "x:\n  <<: 5\n",
                Error(&["at x.<<", "a `<<` merge takes a mapping", "line 2"]),
            ),
            (
                "a null merge value is refused",
                "<<:\n",
                Error(&["a `<<` merge takes a mapping"]),
            ),
            (
                "a merge list holding a scalar is refused",
                "<<: [{a: 1}, b]\n",
                Error(&["a `<<` merge takes a mapping"]),
            ),
            (
                "a merge of an alias to a list is refused",
                "l: &l [1]\nm: {<<: *l}\n",
                Error(&["a `<<` merge takes a mapping"]),
            ),
            (
                "a merge of an anchor inside itself is refused",
                "m: &m {<<: *m}\n",
                Error(&["contains itself"]),
            ),
            // Anchors and aliases.
            (
                "an alias repeats its anchor's value",
                "a: &x [1, {b: c}]\nd: *x\n",
                Json(json!({"a": [1, {"b": "c"}], "d": [1, {"b": "c"}]})),
            ),
            (
                "a redefined anchor names its latest value",
                "a: &x 1\nb: *x\nc: &x 2\nd: *x\n",
                Json(json!({"a": 1, "b": 1, "c": 2, "d": 2})),
            ),
            (
                "an alias inside its own anchor is refused",
                "&a [*a]\n",
                Error(&["contains itself"]),
            ),
            (
                "an unknown alias is refused",
                "a: *nope\n",
                Error(&["unknown anchor", "line 1"]),
            ),
            (
                "billion laughs are refused",
                &laughs,
                Error(&["excessive aliasing", "write the repeated parts out"]),
            ),
            (
                "nesting past the limit is refused",
                &deep,
                Error(&["nested deeper than 200 levels"]),
            ),
            (
                "nesting within the limit is read",
                &fine_depth,
                Json(nested),
            ),
            // Integers.
            (
                "octal with a leading 0",
                "runAsUser: 01750\n",
                Json(json!({"runAsUser": 1000})),
            ),
            (
                "every integer form Go's ParseInt takes",
                "[0x1F, 0X1f, 0o17, 0b101, +12, -3, 1_000, -0777, 0, -0, 0b-101, 0x_1F]\n",
                Json(json!([31, 31, 15, 5, 12, -3, 1000, -511, 0, 0, -5, 31])),
            ),
            (
                "64-bit limits",
                "[9223372036854775807, -9223372036854775808, 18446744073709551615]\n",
                Json(json!([i64::MAX, i64::MIN, u64::MAX])),
            ),
            (
                "integers past 64 bits in hex are refused",
                "0x1FFFFFFFFFFFFFFFF\n",
                Error(&["does not fit in 64 bits"]),
            ),
            (
                "not octal, so a float that JSON writes as an integer",
                "[08, 09.5, 99999999999999999999]\n",
                Json(json!([8, 9.5, 1e20])),
            ),
            // Floats.
            (
                "floats, integral ones as integers",
                "[1e3, 1.5, .5, -.25, 2.0, 1., +1E2, 1_0.5]\n",
                Json(json!([1000, 1.5, 0.5, -0.25, 2, 1, 100, 10.5])),
            ),
            ("NaN is refused", "a: .nan\n", Error(&["NaN", "quote it"])),
            ("infinity is refused", "a: -.Inf\n", Error(&["infinity"])),
            (
                "a float past range is a string",
                "[1e999, .5e999]\n",
                Json(json!(["1e999", ".5e999"])),
            ),
            (
                "a dotted number with underscores is refused",
                "a: .5_0\n",
                Error(&["disagree", "quote it"]),
            ),
            // Booleans and nulls.
            (
                "YAML 1.1 true",
                "[y, Y, yes, Yes, YES, on, On, ON, true, True, TRUE]\n",
                Json(json!([
                    true, true, true, true, true, true, true, true, true, true, true
                ])),
            ),
            (
                "YAML 1.1 false",
                "[n, N, no, No, NO, off, Off, OFF, false, False, FALSE]\n",
                Json(json!([
                    false, false, false, false, false, false, false, false, false, false, false
                ])),
            ),
            (
                "other spellings are strings",
                "[yES, oN, tRUE, nULL, Nope, .NaNa, '', 1:00, 2001-12-14, 0x, 0b, +]\n",
                Json(json!([
                    "yES",
                    "oN",
                    "tRUE",
                    "nULL",
                    "Nope",
                    ".NaNa",
                    "",
                    "1:00",
                    "2001-12-14",
                    "0x",
                    "0b",
                    "+"
                ])),
            ),
            (
                "nulls",
                "a: [~, null, Null, NULL]\nb:\n",
                Json(json!({"a": [null, null, null, null], "b": null})),
            ),
            // Strings.
            (
                "quoted scalars stay strings",
                "[\"yes\", 'on', \"0777\", '1e3', \"~\", '', \"<<\"]\n",
                Json(json!(["yes", "on", "0777", "1e3", "~", "", "<<"])),
            ),
            (
                "block scalars stay strings",
                "a: |\n  yes\nb: >-\n  0777\n",
                Json(json!({"a": "yes\n", "b": "0777"})),
            ),
            // Tags.
            (
                "explicit tags",
                "[!!str 0777, !!int '0777', !!bool 'yes', !!null '~', !!float 1, !!str yes, !!float 0.5, !!seq [1], !!map {a: 1}]\n",
                Json(json!(["0777", 511, true, null, 1, "yes", 0.5, [1], {"a": 1}])),
            ),
            (
                "a long-form tag",
                "!<tag:yaml.org,2002:str> 12\n",
                Json(json!("12")),
            ),
            (
                "a tag the value does not fit is refused",
                "a: !!int abc\n",
                Error(&["cannot read !!str `abc` as !!int", "line 1"]),
            ),
            (
                "!!bool on a number is refused",
                "a: !!bool 1\n",
                Error(&["as !!bool"]),
            ),
            (
                "a local tag is refused",
                "a: !foo bar\n",
                Error(&["the tag !foo is not supported", "remove the tag"]),
            ),
            (
                "!!binary is refused",
                "a: !!binary aGk=\n",
                Error(&["!!binary is not supported"]),
            ),
            (
                "!!timestamp is refused",
                "a: !!timestamp 2001-12-14\n",
                Error(&["!!timestamp"]),
            ),
            (
                "!!map on a sequence is refused",
                "a: !!map [1]\n",
                Error(&["!!map on a sequence"]),
            ),
            (
                "!!merge on another key is refused",
                "!!merge a: 1\n",
                Error(&["only a `<<` key"]),
            ),
            // Keys.
            (
                "a key read as a boolean is refused",
                "on: push\n",
                Error(&[
                    "the key `on` is not a string",
                    "the boolean true",
                    "quote it",
                    "line 1",
                ]),
            ),
            (
                "a key read as a number is refused",
                "data:\n  80: http\n",
                Error(&["at data", "the key `80`", "the number 80"]),
            ),
            (
                "a null key is refused",
                "? ~\n: a\n",
                Error(&["not a string"]),
            ),
            (
                "a quoted key is fine",
                "'on': push\n\"80\": http\n",
                Json(json!({"on": "push", "80": "http"})),
            ),
            (
                "a key given twice is refused",
                "a: 1\nb: 2\na: 1\n",
                Error(&["\"a\" is given twice (lines 1 and 3)", "line 3"]),
            ),
            // Characters YAML 1.1 and 1.2 read differently.
            (
                "a raw line separator is refused",
                "a: b\u{2028}c: d\n",
                Error(&["U+2028", "escape", "line 1, column 5"]),
            ),
            (
                "a raw NEL is refused",
                "a: \"b\u{85}\"\n",
                Error(&["U+0085"]),
            ),
            (
                "content after a document separator is refused",
                "--- {a: 1}\n",
                Error(&[
                    "`---` followed by `{a: 1}`",
                    "kubectl refuses",
                    "line 1, column 4",
                ]),
            ),
            (
                "a separator glued to text is refused",
                "a: 1\n---x: 2\n",
                Error(&["`---x: 2`: kubectl splits documents at this line", "line 2"]),
            ),
            (
                "a separator with a comment is fine",
                "--- # the pod\na: 1\n",
                Json(json!({"a": 1})),
            ),
            (
                "an escaped line separator is fine",
                "a: \"b\\u2028c\"\n",
                Json(json!({"a": "b\u{2028}c"})),
            ),
        ];
        let mut failures = Vec::new();
        for (name, text, want) in &cases {
            match (one(text), want) {
                (Ok(got), Json(expected)) if got == *expected => {}
                (Err(e), Error(needles)) => {
                    let shown = e.to_string();
                    for needle in *needles {
                        if !shown.contains(needle) {
                            failures.push(format!("{name}: {shown:?} does not say {needle:?}"));
                        }
                    }
                }
                (got, Json(expected)) => {
                    failures.push(format!("{name}: expected {expected}, got {got:?}"))
                }
                (Ok(got), Error(_)) => failures.push(format!("{name}: accepted as {got}")),
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn documents_are_numbered_and_errors_name_theirs() {
        let docs = parse_stream("a: 1\n---\n---\n# nothing\n---\nb: 2\n").unwrap();
        let got: Vec<(usize, Value)> = docs.into_iter().map(|d| (d.number, d.value)).collect();
        assert_eq!(
            got,
            vec![
                (1, json!({"a": 1})),
                (2, Value::Null),
                (3, Value::Null),
                (4, json!({"b": 2}))
            ]
        );
        for (name, text, document, line) in [
            (
                "an alias to another document's anchor",
                "a: &x 1\n---\nb: *x\n",
                2,
                3,
            ),
            ("a syntax error", "a: 1\n---\nb: [c\n", 2, 4),
            (
                "a merge conflict",
                "a: 1\n---\nb: 1\n---\nc: 1\n<<: {c: 2}\n",
                3,
                6,
            ),
            ("a raw separator", "a: 1\n---\nb: \u{2029}\n", 2, 3),
            (
                "a comment before the first separator",
                "# c\n---\nb: \u{2029}\n",
                1,
                3,
            ),
            (
                "content after the third separator",
                "a: 1\n---\n---\n--- x\n",
                4,
                4,
            ),
        ] {
            let e = parse_stream(text).unwrap_err();
            assert_eq!((e.document, e.line), (document, Some(line)), "{name}: {e}");
        }
        assert!(parse_stream("").unwrap().is_empty());
    }

    #[test]
    fn each_document_is_read_on_its_own() {
        let text = "a: 1\n---\nb: [\n---\nc: 3\n--- {d: 4}\n---\ne: &x 5\nf: *x\n---\ng: {h: 1, h: 2}\n---\ni: 9\n";
        let read = read_documents(text);
        // Each document: its value, or the document and line its error names.
        type Got = (usize, Result<Value, (usize, Option<usize>)>);
        let got: Vec<Got> = read
            .iter()
            .map(|d| {
                let value = d.value.clone().map_err(|e| (e.document, e.line));
                (d.number, value)
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (1, Ok(json!({"a": 1}))),
                (2, Err((2, Some(4)))),
                (3, Ok(json!({"c": 3}))),
                (4, Err((4, Some(6)))),
                (5, Ok(json!({"e": 5, "f": 5}))),
                (6, Err((6, Some(11)))),
                (7, Ok(json!({"i": 9}))),
            ]
        );
        // The strict reader stops at the first refusal, which the text checks find first.
        assert_eq!(parse_stream(text).unwrap_err().document, 4);
        // Every document has its positions, shifted to where it is in the whole text, the
        // refused ones as far as they were composed.
        let lines: Vec<(usize, usize)> = read
            .iter()
            .map(|d| (d.positions.number, d.positions.locate(&[]).position.line))
            .collect();
        assert_eq!(
            lines,
            [(1, 1), (2, 3), (3, 5), (4, 6), (5, 8), (6, 11), (7, 13)]
        );
        let key = |k: &str| vec![Segment::Key(k.to_owned())];
        let d = read.get(4).unwrap();
        assert_eq!(d.positions.value_at(&key("f")).map(|p| p.line), Some(9));
        assert_eq!(
            read.get(3).unwrap().positions.locate(&key("d")).position,
            Position { line: 6, column: 6 }
        );
        // Without errors, the two readers read the same.
        let clean = "a: 1\n---\n# empty\n---\n<<: {b: 2}\nc: [x]\n";
        let each: Vec<(usize, Value)> = read_documents(clean)
            .into_iter()
            .map(|d| (d.number, d.value.unwrap()))
            .collect();
        let strict: Vec<(usize, Value)> = parse_stream(clean)
            .unwrap()
            .into_iter()
            .map(|d| (d.number, d.value))
            .collect();
        assert_eq!(each, strict);
        assert_eq!(positions(clean).len(), 3);
        // Many documents, every third refused by the text checks and every third by the
        // parser: each is numbered, refused or read, and located where it is.
        let mut long = String::new();
        for i in 1..=300 {
            long.push_str(match i % 3 {
                0 => "--- x\n",
                1 => "---\nk: [\n",
                _ => "---\nk: 1\n",
            });
        }
        let separators: Vec<usize> = long
            .lines()
            .enumerate()
            .filter(|(_, l)| l.starts_with("---"))
            .map(|(n, _)| n + 1)
            .collect();
        let read = read_documents(&long);
        assert_eq!(read.len(), 300);
        for ((i, d), line) in read.iter().enumerate().zip(separators) {
            let number = i + 1;
            assert_eq!(
                (d.number, d.value.is_ok(), d.positions.start.line),
                (number, number % 3 == 2, line),
                "{d:?}"
            );
        }
    }

    #[test]
    fn written_yaml_reads_back_as_the_same_value() {
        let value = json!({
            "metadata": {"name": "p", "labels": {"a": "yes", "b": "on", "c": "1_000", "d": "0x1F",
                         "e": "<<", "f": "", "g": "a: b", "h": "- x", "i": "line\nbreak"},
                         "annotations": {"<<": "x", "on": "y", "80": "http"}},
            "spec": {"containers": [{"name": "app", "image": "registry.k8s.io/pause:3.9",
                                     "args": ["0777", "y", "~", "1e3", "-v", "--flag=1"],
                                     "securityContext": {"runAsUser": 1000, "privileged": false}}],
                     "empty": {}, "none": [], "nested": [[1, [2]], [{"a": null}], []], "f": 1.5}
        });
        let text = to_yaml(&value);
        let docs = parse_stream(&text).unwrap();
        assert_eq!(docs.len(), 1, "{text}");
        assert_eq!(docs[0].value, value, "{text}");
        for quoted in [
            "a: \"yes\"",
            "b: \"on\"",
            "c: \"1_000\"",
            "e: \"<<\"",
            "\"<<\": x",
            "\"80\": http",
        ] {
            assert!(text.contains(quoted), "{quoted} not in\n{text}");
        }
        assert!(text.contains("image: registry.k8s.io/pause:3.9"), "{text}");
        assert!(text.contains("  - name: app\n"), "{text}");
        for scalar in [json!("yes"), json!(12), json!(null), json!([])] {
            assert_eq!(parse_stream(&to_yaml(&scalar)).unwrap()[0].value, scalar);
        }
    }

    /// Named cases of the writer: what each string must be written as, and that it reads back.
    #[test]
    fn strings_a_yaml_reader_could_take_otherwise_are_quoted() {
        let long_key = "k".repeat(MAX_IMPLICIT_KEY + 1);
        let cases: &[(&str, &str, &str)] = &[
            ("merge key", "<<", "\"<<\""),
            ("YAML 1.1 boolean", "yes", "\"yes\""),
            ("YAML 1.1 boolean, one letter", "y", "\"y\""),
            ("YAML 1.1 boolean, any case", "oFF", "\"oFF\""),
            ("null", "~", "\"~\""),
            ("octal", "0777", "\"0777\""),
            ("underscores in a number", "1_000", "\"1_000\""),
            ("sexagesimal", "1:20", "\"1:20\""),
            ("YAML 1.1 value key", "=", "\"=\""),
            ("float", ".inf", "\".inf\""),
            ("timestamp", "2001-12-14", "\"2001-12-14\""),
            ("comment", "a #b", "\"a #b\""),
            ("mapping", "a: b", "\"a: b\""),
            ("trailing colon", "a:", "\"a:\""),
            ("document marker", "---", "\"---\""),
            ("leading space", " a", "\" a\""),
            ("trailing space", "a ", "\"a \""),
            ("NEL", "a\u{85}b", "\"a\\u0085b\""),
            ("line separator", "a\u{2028}b", "\"a\\u2028b\""),
            ("paragraph separator", "\u{2029}", "\"\\u2029\""),
            ("escape sequence", "\u{1b}[31m", "\"\\u001B[31m\""),
            ("DEL", "\u{7f}", "\"\\u007F\""),
            ("byte-order mark", "\u{feff}x", "\"\\uFEFFx\""),
            ("bidirectional override", "a\u{202e}b", "\"a\\u202Eb\""),
            ("line break and quote", "a\n\"b\\", "\"a\\n\\\"b\\\\\""),
            ("printable unicode stays raw", "équipe", "\"équipe\""),
            (
                "image",
                "registry.k8s.io/pause:3.9",
                "registry.k8s.io/pause:3.9",
            ),
            ("path", "/tmp", "/tmp"),
            (
                "key with a domain",
                "app.kubernetes.io/name",
                "app.kubernetes.io/name",
            ),
            ("word", "yesterday", "yesterday"),
        ];
        for (name, s, written) in cases {
            assert_eq!(yaml_string(s), *written, "{name}");
            for value in [json!({ *s: 1 }), json!({"k": [s]}), json!([{ *s: s }])] {
                let text = to_yaml(&value);
                let read = parse_stream(&text).unwrap_or_else(|e| panic!("{name}: {e}\n{text}"));
                assert_eq!(read[0].value, value, "{name}:\n{text}");
            }
        }
        let value = json!({"a": {long_key.as_str(): [1]}, "b": [{long_key.as_str(): {"c": 1}}]});
        let text = to_yaml(&value);
        assert!(text.contains("? \"kkk") || text.contains("? kkk"), "{text}");
        assert_eq!(parse_stream(&text).unwrap()[0].value, value, "{text}");
        // Floats read as floats by YAML 1.1 readers too: a dot and a signed exponent.
        for (f, written) in [(1e-7, "1.0e-7"), (3.5e300, "3.5e+300"), (0.5, "0.5")] {
            assert_eq!(to_yaml(&json!(f)), format!("{written}\n"));
            assert_eq!(
                parse_stream(&to_yaml(&json!(f))).unwrap()[0].value,
                json!(f)
            );
        }
    }

    #[test]
    fn hostile_texts_end_with_an_answer() {
        // Inputs fuzzers found to hang or crash YAML parsers.
        for text in [
            "{---",
            "[---",
            "{a: [---",
            "- &a\n- *a\n- {<<: *a}",
            "? - ? -\n",
            "&a\n*a",
        ] {
            let _ = parse_stream(text);
        }
    }
}
