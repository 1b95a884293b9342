//! Reading what people feed the checker and the playground: multi-document YAML or JSON
//! holding plain objects, `List`s, AdmissionRequests or AdmissionReviews. YAML (feature
//! `yaml`) is read as kubectl reads it (YAML 1.1, merge keys applied, ambiguous documents
//! refused): see `crate::yaml`.
//!
//! A document that is not a Kubernetes object, or an item of a `List` that is not one, is
//! reported on its own ([`Read::errors`]); the other documents, and the other items of the
//! same `List`, are still read and evaluated.

use std::fmt;

use serde_json::Value;

use crate::locate::{Position, Segment, SourceMap};
use crate::request::{AdmissionRequestBuilder, Requester};
use crate::value::type_name;

/// A problem with the input, located as precisely as we can.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub source: String,
    /// 1-based document number, when known.
    pub document: Option<usize>,
    /// 1-based line and column in the source, when the reader knows them (syntax errors);
    /// otherwise `path` in the document locates the problem (see [`crate::locate`]).
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// Where in the document the problem is: empty for the whole document, `items[1]` for an
    /// item of a `List`.
    pub path: Vec<Segment>,
    pub message: String,
}

impl InputError {
    /// An error about a whole input or document, with no position of its own.
    pub fn new(source: &str, document: Option<usize>, message: String) -> Self {
        InputError {
            source: source.to_owned(),
            document,
            line: None,
            column: None,
            path: Vec::new(),
            message,
        }
    }

    /// Where the problem is in its text: the reader's own line and column, else the document
    /// or `List` item it is about, as `map` locates it (line 1, column 1 when it cannot).
    pub fn position(&self, map: &SourceMap) -> Position {
        match (self.line, self.column) {
            (Some(line), column) => Position {
                line,
                column: column.unwrap_or(1),
            },
            (None, _) => match self.document {
                Some(document) => map.locate(document, &self.path).position,
                None => Position { line: 1, column: 1 },
            },
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.document {
            Some(doc) => write!(f, "{}, document {doc}: {}", self.source, self.message),
            None => write!(f, "{}: {}", self.source, self.message),
        }
    }
}

impl std::error::Error for InputError {}

/// One parsed document. `number` counts from 1, empty documents included.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub number: usize,
    pub value: Value,
}

/// Split a text into documents. JSON (one value or several concatenated) is read as JSON,
/// anything else as multi-document YAML. Empty documents are dropped, but still counted.
#[cfg(feature = "yaml")]
pub fn parse_documents(text: &str, source: &str) -> Result<Vec<Document>, InputError> {
    if looks_like_json(text) {
        match parse_json_stream(text) {
            Ok(docs) => return Ok(docs),
            Err((number, error)) => {
                // A YAML flow mapping also starts with `{`; only give up if YAML fails too.
                if let Ok(docs) = parse_yaml_stream(text, source) {
                    return Ok(docs);
                }
                return Err(json_error(text, source, number, &error));
            }
        }
    }
    parse_yaml_stream(text, source)
}

/// Every document of a text, each read on its own, and where each field of each is (one read
/// gives both): what the playground shows. A YAML document that cannot be read is an error of
/// its own, with its line and column and the reader's message, and the documents after it are
/// still read ([`crate::yaml::read_documents`]); JSON is read as [`parse_documents`] reads it.
/// Empty documents are dropped, but still counted.
#[cfg(feature = "yaml")]
pub fn read_each(text: &str, source: &str) -> (Vec<Result<Document, InputError>>, SourceMap) {
    let mut json_failure = None;
    if looks_like_json(text) {
        match parse_json_stream(text) {
            Ok(docs) => return (docs.into_iter().map(Ok).collect(), SourceMap::of_text(text)),
            Err((number, error)) => json_failure = Some(json_error(text, source, number, &error)),
        }
    }
    let read = crate::yaml::read_documents(text);
    let mut docs = Vec::new();
    let mut positions = Vec::with_capacity(read.len());
    for doc in read {
        match doc.value {
            Ok(Value::Null) => {}
            Ok(value) => docs.push(Ok(Document {
                number: doc.number,
                value,
            })),
            Err(e) => docs.push(Err(InputError {
                line: e.line,
                column: e.column,
                ..InputError::new(source, Some(e.document), e.message)
            })),
        }
        positions.push(doc.positions);
    }
    // Text that looks like JSON and is not YAML either: the JSON error says more.
    if let Some(error) = json_failure
        && docs.iter().any(Result::is_err)
    {
        return (vec![Err(error)], SourceMap::of_text(text));
    }
    (docs, SourceMap::new(text, positions))
}

impl SourceMap {
    /// Records the positions in a YAML or JSON text, from the reader that composes its
    /// documents (JSON positions from a scan of the JSON text, which serde_json reads). It
    /// never fails: a document that cannot be read keeps what was composed of it, and the
    /// documents after it are still recorded (the error itself is reported by the reader,
    /// with its own line).
    pub fn of_text(text: &str) -> SourceMap {
        if looks_like_json(text)
            && let Some(map) = SourceMap::of_json(text)
        {
            return map;
        }
        #[cfg(feature = "yaml")]
        let documents = crate::yaml::positions(text);
        #[cfg(not(feature = "yaml"))]
        let documents = Vec::new();
        SourceMap::new(text, documents)
    }
}

/// JSON starts with `{` or `[` (so does a YAML flow collection).
fn looks_like_json(text: &str) -> bool {
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    trimmed.starts_with('{') || trimmed.starts_with('[')
}

#[cfg(feature = "yaml")]
fn parse_json_stream(text: &str) -> Result<Vec<Document>, (usize, serde_json::Error)> {
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    let mut docs = Vec::new();
    for (i, value) in serde_json::Deserializer::from_str(trimmed)
        .into_iter::<Value>()
        .enumerate()
    {
        let value = value.map_err(|e| (i + 1, e))?;
        docs.push(Document {
            number: i + 1,
            value,
        });
    }
    Ok(docs)
}

/// A JSON error in `text`, at its line in the whole text.
#[cfg(feature = "yaml")]
fn json_error(text: &str, source: &str, number: usize, error: &serde_json::Error) -> InputError {
    // serde_json counts lines from the first non-blank character.
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    let skipped = text.len() - trimmed.len();
    let blank_lines = text.get(..skipped).map_or(0, |s| s.matches('\n').count());
    let line = error.line() + blank_lines;
    InputError {
        line: (error.line() > 0).then_some(line),
        column: (error.column() > 0).then_some(error.column()),
        ..InputError::new(source, Some(number), format!("invalid JSON: {error}"))
    }
}

#[cfg(feature = "yaml")]
fn parse_yaml_stream(text: &str, source: &str) -> Result<Vec<Document>, InputError> {
    let docs = crate::yaml::parse_stream(text).map_err(|e| InputError {
        line: e.line,
        column: e.column,
        ..InputError::new(
            source,
            Some(e.document),
            match e.line {
                Some(_) => format!("invalid YAML at {e}"),
                None => format!("invalid YAML: {e}"),
            },
        )
    })?;
    Ok(docs
        .into_iter()
        .filter(|d| !d.value.is_null())
        .map(|d| Document {
            number: d.number,
            value: d.value,
        })
        .collect())
}

/// One object to evaluate, wrapped in the AdmissionRequest the policy receives.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub source: String,
    /// 1-based document number in the source.
    pub document: usize,
    /// 0-based position in the `List` the object came from, if any.
    pub item: Option<usize>,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
    /// Where the object is in its document: empty for a plain object, `items[2]` for an item
    /// of a `List`, `request.object` in an AdmissionReview, `object` in an AdmissionRequest.
    /// Field paths of findings are relative to it (see [`crate::locate`]).
    pub path: Vec<Segment>,
    pub request: Value,
}

impl Entry {
    /// `namespace/name` or `name` for cluster-scoped objects.
    pub fn display_name(&self) -> String {
        match &self.namespace {
            Some(ns) if !ns.is_empty() => format!("{ns}/{}", self.name),
            _ => self.name.clone(),
        }
    }
}

/// What one document is.
#[derive(Debug, Clone, PartialEq)]
enum Shape {
    Object(Value),
    /// A request, and where its object is (`object` or `request.object`).
    Request(Value, &'static [&'static str]),
    /// Items, and whether they are under `items` (a `List`) or the document itself.
    List(Vec<Value>, bool),
}

fn str_field<'v>(v: &'v Value, key: &str) -> Option<&'v str> {
    v.get(key).and_then(Value::as_str)
}

fn shape_of(doc: Value) -> Result<Shape, String> {
    let Value::Object(map) = &doc else {
        if let Value::Array(items) = doc {
            return Ok(Shape::List(items, false));
        }
        return Err(format!(
            "expected a Kubernetes object, found {}",
            type_name(&doc)
        ));
    };
    let kind = map.get("kind").and_then(Value::as_str);
    if kind == Some("AdmissionReview") {
        return match map.get("request") {
            Some(request @ Value::Object(_)) => {
                Ok(Shape::Request(request.clone(), &["request", "object"]))
            }
            Some(other) => Err(format!(
                "AdmissionReview.request must be an object, found {}",
                type_name(other)
            )),
            None => Err("AdmissionReview without a request".to_owned()),
        };
    }
    if map.contains_key("uid") && (map.contains_key("object") || map.contains_key("operation")) {
        return Ok(Shape::Request(doc, &["object"]));
    }
    if let Some(kind) = kind
        && (kind == "List" || kind.ends_with("List"))
        && let Some(Value::Array(items)) = map.get("items")
    {
        return Ok(Shape::List(items.clone(), true));
    }
    match (kind, map.get("apiVersion").and_then(Value::as_str)) {
        (Some(k), Some(v)) if !k.is_empty() && !v.is_empty() => Ok(Shape::Object(doc)),
        (None | Some(""), _) => Err("not a Kubernetes object: no kind".to_owned()),
        _ => Err("not a Kubernetes object: no apiVersion".to_owned()),
    }
}

fn object_name(object: &Value) -> String {
    let meta = object.get("metadata");
    if let Some(name) = meta
        .and_then(|m| str_field(m, "name"))
        .filter(|n| !n.is_empty())
    {
        return name.to_owned();
    }
    if let Some(prefix) = meta
        .and_then(|m| str_field(m, "generateName"))
        .filter(|n| !n.is_empty())
    {
        return format!("{prefix}*");
    }
    "<unnamed>".to_owned()
}

fn entry_for_request(
    request: Value,
    source: &str,
    document: usize,
    item: Option<usize>,
    path: Vec<Segment>,
) -> Entry {
    let object = request.get("object").filter(|o| o.is_object());
    let kind = request
        .get("kind")
        .and_then(|k| str_field(k, "kind"))
        .or_else(|| object.and_then(|o| str_field(o, "kind")))
        .unwrap_or("<unknown kind>")
        .to_owned();
    let name = match str_field(&request, "name").filter(|n| !n.is_empty()) {
        Some(n) => n.to_owned(),
        None => object
            .map(object_name)
            .unwrap_or_else(|| "<unnamed>".to_owned()),
    };
    let namespace = str_field(&request, "namespace").map(str::to_owned);
    Entry {
        source: source.to_owned(),
        document,
        item,
        kind,
        namespace,
        name,
        path,
        request,
    }
}

/// What reading some input found: the objects, each wrapped in an AdmissionRequest, and the
/// documents or `List` items that are not objects.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Read {
    pub entries: Vec<Entry>,
    pub errors: Vec<InputError>,
}

/// How plain objects are wrapped: the namespace of an object that names none (as
/// `kubectl apply -n`) and who sends the request. Ready AdmissionRequests are taken as they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wrapping {
    pub default_namespace: String,
    pub requester: Requester,
}

impl Default for Wrapping {
    fn default() -> Self {
        Wrapping {
            default_namespace: crate::request::DEFAULT_NAMESPACE.to_owned(),
            requester: Requester::default(),
        }
    }
}

impl Wrapping {
    /// Objects without a namespace go to `namespace`.
    pub fn in_namespace(namespace: &str) -> Self {
        Wrapping {
            default_namespace: namespace.to_owned(),
            ..Wrapping::default()
        }
    }

    /// Objects without a namespace go to `namespace` (blank: `default`), sent by `requester`.
    pub fn new(namespace: &str, requester: Requester) -> Self {
        let namespace = namespace.trim();
        Wrapping {
            default_namespace: match namespace {
                "" => crate::request::DEFAULT_NAMESPACE.to_owned(),
                ns => ns.to_owned(),
            },
            requester,
        }
    }
}

/// The objects of one document, each wrapped in an AdmissionRequest, into `read`. Plain
/// objects become CREATE requests in their own namespace or the wrapping's. A document that is
/// no object, or a `List` item that is none, adds an error and nothing else: the other items of
/// the `List` are still read.
pub fn read_document(doc: Document, source: &str, wrapping: &Wrapping, read: &mut Read) {
    let err = |message: String, path: Vec<Segment>| InputError {
        path,
        ..InputError::new(source, Some(doc.number), message)
    };
    let wrap = |object: Value, item: Option<usize>, path: Vec<Segment>| {
        let request = AdmissionRequestBuilder::new(object)
            .default_namespace(&wrapping.default_namespace)
            .requester(&wrapping.requester)
            .build();
        entry_for_request(request, source, doc.number, item, path)
    };
    let keys = |prefix: Vec<Segment>, keys: &[&str]| {
        let mut path = prefix;
        path.extend(keys.iter().map(|k| Segment::Key((*k).to_owned())));
        path
    };
    match shape_of(doc.value) {
        Err(e) => read.errors.push(err(e, Vec::new())),
        Ok(Shape::Object(object)) => read.entries.push(wrap(object, None, Vec::new())),
        Ok(Shape::Request(request, at)) => {
            let path = keys(Vec::new(), at);
            read.entries
                .push(entry_for_request(request, source, doc.number, None, path));
        }
        Ok(Shape::List(items, under_items)) => {
            for (i, item) in items.into_iter().enumerate() {
                let mut here = Vec::with_capacity(2);
                if under_items {
                    here.push(Segment::Key("items".to_owned()));
                }
                here.push(Segment::Index(i));
                match shape_of(item) {
                    Ok(Shape::Object(object)) => read.entries.push(wrap(object, Some(i), here)),
                    Ok(Shape::Request(request, at)) => {
                        let path = keys(here, at);
                        read.entries.push(entry_for_request(
                            request,
                            source,
                            doc.number,
                            Some(i),
                            path,
                        ))
                    }
                    Ok(Shape::List(..)) => read
                        .errors
                        .push(err(format!("items[{i}]: a list inside a list"), here)),
                    Err(e) => read.errors.push(err(format!("items[{i}]: {e}"), here)),
                }
            }
        }
    }
}

/// The objects of documents parsed already (one JSON value per document, null for an empty
/// one, numbered from 1), as [`read_document`] reads each.
pub fn read_values(documents: Vec<Value>, source: &str, wrapping: &Wrapping) -> Read {
    let mut read = Read::default();
    for (i, value) in documents.into_iter().enumerate() {
        if !value.is_null() {
            let number = i.saturating_add(1);
            read_document(Document { number, value }, source, wrapping, &mut read);
        }
    }
    read
}

/// The objects of one document, or the first error in it (see [`read_document`]).
pub fn entries(
    doc: Document,
    source: &str,
    default_namespace: &str,
) -> Result<Vec<Entry>, InputError> {
    let mut read = Read::default();
    read_document(
        doc,
        source,
        &Wrapping::in_namespace(default_namespace),
        &mut read,
    );
    match read.errors.into_iter().next() {
        Some(e) => Err(e),
        None => Ok(read.entries),
    }
}

/// Parse a text and wrap everything in it. `Err` when the text cannot be read at all
/// (invalid YAML or JSON); documents and items that are not objects are in [`Read::errors`].
#[cfg(feature = "yaml")]
pub fn read_text(text: &str, source: &str, wrapping: &Wrapping) -> Result<Read, InputError> {
    let mut read = Read::default();
    for doc in parse_documents(text, source)? {
        read_document(doc, source, wrapping, &mut read);
    }
    Ok(read)
}

/// Parse a text and wrap everything in it; the first error fails it all.
#[cfg(feature = "yaml")]
pub fn entries_from_text(
    text: &str,
    source: &str,
    default_namespace: &str,
) -> Result<Vec<Entry>, InputError> {
    let read = read_text(text, source, &Wrapping::in_namespace(default_namespace))?;
    match read.errors.into_iter().next() {
        Some(e) => Err(e),
        None => Ok(read.entries),
    }
}

/// Settings from YAML or JSON text: an object, or nothing at all (meaning `{}`).
#[cfg(feature = "yaml")]
pub fn parse_settings(text: &str, source: &str) -> Result<Value, InputError> {
    parse_mapping(text, source, "settings")
}

/// One mapping from YAML or JSON text (`what` it is, for messages: "settings"), or nothing at
/// all (meaning `{}`). An error that is not the reader's names the document, which
/// [`InputError::position`] locates.
#[cfg(feature = "yaml")]
pub fn parse_mapping(text: &str, source: &str, what: &str) -> Result<Value, InputError> {
    mapping(parse_documents(text, source)?, source, what)
}

/// The one mapping the documents of a text hold (`what` it is, for messages), or `{}` when
/// they hold none: see [`parse_mapping`].
pub fn mapping(docs: Vec<Document>, source: &str, what: &str) -> Result<Value, InputError> {
    let mut docs = docs.into_iter();
    let mapping = match docs.next() {
        None => Value::Object(Default::default()),
        Some(Document {
            value: Value::Object(map),
            ..
        }) => Value::Object(map),
        Some(Document { number, value }) => {
            return Err(InputError::new(
                source,
                Some(number),
                format!("{what} must be a mapping, found {}", type_name(&value)),
            ));
        }
    };
    if let Some(extra) = docs.next() {
        return Err(InputError::new(
            source,
            Some(extra.number),
            format!("{what} must be a single document"),
        ));
    }
    Ok(mapping)
}

/// An image-user table (`--image-users`) from YAML or JSON text: a mapping image → the `User`
/// its config names, as a string or a number; `""` or null for an image with no USER (which
/// runs as root). See [`crate::ImageUserTable`].
#[cfg(feature = "yaml")]
pub fn parse_image_users(text: &str, source: &str) -> Result<crate::ImageUserTable, InputError> {
    let table = parse_mapping(text, source, "the image-user table")?;
    crate::ImageUserTable::from_value(table)
        .map_err(|message| InputError::new(source, Some(1), message))
}

#[cfg(all(test, feature = "yaml"))]
mod tests {
    use super::*;
    use serde_json::json;

    const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n";

    #[test]
    fn multi_document_yaml_with_empty_documents() {
        let text = format!("---\n{POD}---\n# only a comment\n---\n{POD}");
        let docs = parse_documents(&text, "t").unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].value["kind"], "Pod");
    }

    #[test]
    fn concatenated_json() {
        let docs = parse_documents(r#"{"a":1} {"b":2}"#, "t").unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1].number, 2);
    }

    #[test]
    fn yaml_flow_mapping_is_not_json() {
        let docs = parse_documents("{apiVersion: v1, kind: Pod}", "t").unwrap();
        assert_eq!(docs[0].value["kind"], "Pod");
    }

    #[test]
    fn bad_yaml_names_the_document() {
        let err = parse_documents(&format!("{POD}---\nkind: [unclosed\n"), "f.yaml").unwrap_err();
        assert_eq!(err.document, Some(2));
        assert!(
            err.to_string()
                .starts_with("f.yaml, document 2: invalid YAML"),
            "{err}"
        );
    }

    #[test]
    fn shapes() {
        let pod =
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "n"}});
        let list = json!({"apiVersion": "v1", "kind": "List", "items": [pod, pod]});
        let typed_list = json!({"apiVersion": "v1", "kind": "PodList", "items": [pod]});
        let request = json!({"uid": "1", "kind": {"group": "", "version": "v1", "kind": "Pod"},
                             "operation": "CREATE", "name": "p", "namespace": "n", "object": pod});
        let review = json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request});
        for (doc, count) in [
            (pod.clone(), 1),
            (list, 2),
            (typed_list, 1),
            (request, 1),
            (review, 1),
        ] {
            let got = entries(
                Document {
                    number: 1,
                    value: doc,
                },
                "s",
                "default",
            )
            .unwrap();
            assert_eq!(got.len(), count);
            assert!(
                got.iter()
                    .all(|e| e.kind == "Pod" && e.display_name() == "n/p"),
                "{got:?}"
            );
        }
    }

    #[test]
    fn entries_and_errors_say_where_in_the_document_they_are() {
        let text = "kind: List\napiVersion: v1\nitems:\n- {apiVersion: v1, kind: Pod, metadata: {name: a}}\n- 3\n- {uid: u, operation: CREATE, object: {kind: Pod}}\n---\n{apiVersion: admission.k8s.io/v1, kind: AdmissionReview, request: {uid: u, operation: CREATE, object: {}}}\n---\n- {apiVersion: v1, kind: Pod, metadata: {name: b}}\n";
        let read = read_text(text, "s", &Wrapping::default()).unwrap();
        let paths: Vec<String> = read
            .entries
            .iter()
            .map(|e| crate::locate::render_path(&e.path))
            .collect();
        assert_eq!(
            paths,
            ["items[0]", "items[2].object", "request.object", "[0]"]
        );
        let error = &read.errors[0];
        assert_eq!(crate::locate::render_path(&error.path), "items[1]");
        assert_eq!((error.line, error.column), (None, None));
        let broken = read_text("a: 1\n---\nb: [\n", "s", &Wrapping::default()).unwrap_err();
        assert_eq!((broken.document, broken.line.is_some()), (Some(2), true));
        let json = read_text("\n\n{\"a\": [1}", "s", &Wrapping::default()).unwrap_err();
        assert_eq!((json.line, json.column), (Some(3), Some(9)), "{json}");
    }

    #[test]
    fn not_objects() {
        for bad in [
            json!("text"),
            json!(3),
            json!({"metadata": {}}),
            json!({"kind": "Pod"}),
            json!({"kind": "AdmissionReview"}),
            json!({"kind": "List", "items": [1]}),
        ] {
            assert!(
                entries(
                    Document {
                        number: 3,
                        value: bad.clone()
                    },
                    "s",
                    "d"
                )
                .is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn one_bad_list_item_fails_only_itself() {
        let text = "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Pod, metadata: {name: a}}\n- 3\n- {apiVersion: v1, kind: Pod, metadata: {name: b}}\n---\njust text\n---\n{apiVersion: v1, kind: Pod, metadata: {name: c}}\n";
        let read = read_text(text, "s", &Wrapping::default()).unwrap();
        let names: Vec<(usize, Option<usize>, &str)> = read
            .entries
            .iter()
            .map(|e| (e.document, e.item, e.name.as_str()))
            .collect();
        assert_eq!(
            names,
            [(1, Some(0), "a"), (1, Some(2), "b"), (3, None, "c")]
        );
        let errors: Vec<String> = read.errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            errors,
            [
                "s, document 1: items[1]: expected a Kubernetes object, found a number",
                "s, document 2: expected a Kubernetes object, found a string",
            ]
        );
        assert!(entries_from_text(text, "s", "default").is_err());
    }

    #[test]
    fn the_requester_goes_into_wrapped_objects_only() {
        let text = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n---\n{uid: u, operation: CREATE, object: {}, userInfo: {username: bob}}\n";
        let wrapping = Wrapping {
            requester: Requester::new("alice", &["sre".to_owned()]),
            ..Wrapping::default()
        };
        let read = read_text(text, "s", &wrapping).unwrap();
        assert_eq!(read.entries[0].request["userInfo"]["username"], "alice");
        assert_eq!(read.entries[0].request["userInfo"]["groups"][0], "sre");
        assert_eq!(read.entries[1].request["userInfo"]["username"], "bob");
    }

    #[test]
    fn image_user_tables() {
        let table = parse_image_users(
            "nginx: \"101\"\npostgres: 999\nbusybox: ''\nscratch: null\n",
            "u",
        )
        .unwrap();
        assert_eq!(table.0["nginx"], "101");
        assert_eq!(table.0["postgres"], "999");
        assert_eq!(table.0["busybox"], "");
        assert_eq!(table.0["scratch"], "");
        assert!(parse_image_users("nginx: -1\n", "u").is_err());
        assert!(parse_image_users("nginx: [a]\n", "u").is_err());
        assert!(parse_image_users("- nginx\n", "u").is_err());
        assert!(parse_image_users("", "u").unwrap().0.is_empty());
    }

    #[test]
    fn settings_forms() {
        assert_eq!(parse_settings("", "s").unwrap(), json!({}));
        assert_eq!(parse_settings("# nothing\n", "s").unwrap(), json!({}));
        assert_eq!(parse_settings("a: 1\n", "s").unwrap(), json!({"a": 1}));
        assert_eq!(parse_settings(r#"{"a": 1}"#, "s").unwrap(), json!({"a": 1}));
        assert!(parse_settings("- a\n", "s").is_err());
        assert!(parse_settings("a: 1\n---\nb: 2\n", "s").is_err());
    }
}
