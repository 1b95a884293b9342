//! The browser playground's adapter (docs/playground.md): the evaluation core of
//! `security-context-policy`, compiled for `wasm32-unknown-unknown` and exported through
//! wasm-bindgen. Like the waPC glue and the checker it is a thin adapter, and the page's
//! JavaScript thinner still: the page hands over the texts of its editors as typed;
//! `security-context-input` reads them with the checker's YAML reader (one read gives each
//! document's value and the positions of its fields) and wraps the objects into the
//! AdmissionRequests the API server would send (as the checker does); the core evaluates the
//! very payload Kubewarden hands the module (`{"request": …, "settings": …}`), image-user
//! lookups answered from the page's table as the checker's `--image-users` answers them; every
//! finding and every error comes back at the line and column the checker prints for it.
//!
//! Every export takes and returns text (JSON for structures), so the page and the tests see
//! exactly the bytes the Kubewarden module returns (`response`), next to the structured rows
//! (`outcome`).

use security_context_input::locate::{self, Position, SourceMap};
use security_context_input::manifest::{self, Document, InputError, Wrapping, read_document};
use security_context_input::yaml::to_yaml;
use security_context_input::{ImageUserTable, Requester};
use security_context_policy::checks::REGISTRY;
use security_context_policy::image_user::ImageUserLookup;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Value, json};
use wasm_bindgen::prelude::wasm_bindgen;

/// Image-user lookups answered from the page's table. A failed lookup reads as the waPC module
/// reports a failed host call (`Host error: …`), so the page's verdicts are the checker's.
pub struct PageLookup(pub ImageUserTable);

impl ImageUserLookup for PageLookup {
    fn user(&mut self, image: &str) -> Result<String, String> {
        let answer = self.0.user(image).map(str::to_owned);
        answer.map_err(|e| format!("OCI lookup failed: Host error: {e}"))
    }
}

/// The response when the core's cannot be encoded (never seen).
const UNENCODABLE: &str =
    r#"{"accepted":false,"message":"could not encode the response","code":500}"#;

/// What the page's editors and fields hold, as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Texts {
    /// Multi-document YAML or JSON: objects, `List`s, AdmissionRequests or AdmissionReviews.
    pub manifest: String,
    /// The settings: one mapping, or nothing (the standard).
    pub settings: String,
    /// The image-user table: one mapping image → user, or nothing.
    pub image_users: String,
    /// The namespace of objects naming none (blank: `default`).
    pub namespace: String,
    /// The requester: `userInfo.username` and `groups` (comma- or line-separated).
    pub user: String,
    pub groups: String,
}

/// A problem with a text, at its 1-based line and column.
#[derive(Debug, Clone, Serialize)]
pub struct TextError {
    /// 1-based number of the document it is about (0: the whole text).
    pub document: usize,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl TextError {
    fn of(error: InputError, map: &SourceMap) -> Self {
        let Position { line, column } = error.position(map);
        TextError {
            document: error.document.unwrap_or(0),
            line,
            column,
            message: error.message,
        }
    }
}

/// Where a field is: 1-based line and column; `exact` is false when the field is absent and
/// the place is its nearest present parent's; `template` is the document's Helm template.
#[derive(Debug, Clone, Serialize)]
pub struct Place {
    pub line: usize,
    pub column: usize,
    pub exact: bool,
    pub template: Option<String>,
}

impl Place {
    fn of(map: &SourceMap, document: usize, path: &[locate::Segment]) -> Self {
        let at = map.locate(document, path);
        Place {
            line: at.position.line,
            column: at.position.column,
            exact: at.exact,
            template: map.document(document).and_then(|d| d.template.clone()),
        }
    }
}

/// The object before and after mutation, as YAML (kubectl reads each back as the object).
#[derive(Debug, Clone, Serialize)]
pub struct Diff {
    pub before: String,
    pub after: String,
}

/// The verdict on one object.
#[derive(Serialize)]
pub struct Evaluated {
    /// 1-based number of the document the object came from.
    pub document: usize,
    /// 0-based position in the `List` the object came from, if any.
    pub item: Option<usize>,
    /// Where the object is in its document (`items[1]`, `request.object`; empty for a plain
    /// object): the findings' fields are relative to it.
    pub path: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
    /// Where the object starts in the manifest.
    pub line: usize,
    /// Where each of the outcome's violations is in the manifest, in the same order.
    pub places: Vec<Place>,
    /// The core's full result: the response fields plus the violation rows.
    pub outcome: security_context_policy::verdict::Outcome,
    /// The exact `ValidationResponse` the Kubewarden module returns for this request.
    pub response: Box<RawValue>,
    /// When the object was mutated, the object sent and the one admitted.
    pub diff: Option<Diff>,
}

/// Settings validation as the module answers it: `{"valid": bool, "message"?}`.
#[derive(Serialize, Deserialize)]
pub struct Validity {
    pub valid: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

fn validity(valid: bool, message: Option<String>) -> Validity {
    Validity { valid, message }
}

/// The verdicts, once the settings could be read.
#[derive(Serialize)]
pub struct Report {
    /// The module's `validate_settings` answer.
    pub settings: Validity,
    /// Whether the image-user table is one (a table that is not answers no lookup).
    pub image_users: Validity,
    pub results: Vec<Evaluated>,
    /// Documents (or `List` items) read but not objects.
    pub errors: Vec<TextError>,
}

/// Everything the page shows for one state of its editors.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Page {
    /// Documents of the manifest that could not be read (the others are evaluated).
    pub manifest_errors: Vec<TextError>,
    pub settings_errors: Vec<TextError>,
    pub image_user_errors: Vec<TextError>,
    /// The settings as read; null when they cannot be.
    pub settings: Option<Value>,
    /// The verdicts; null when the settings cannot be read.
    pub report: Option<Report>,
}

/// One mapping (settings, the image-user table) from its editor: the value, or the error at
/// its line.
fn read_mapping(text: &str, what: &str) -> Result<Value, TextError> {
    let (documents, map) = manifest::read_each(text, what);
    let documents: Result<Vec<Document>, InputError> = documents.into_iter().collect();
    documents
        .and_then(|d| manifest::mapping(d, what, what))
        .map_err(|e| TextError::of(e, &map))
}

/// Reads and evaluates the editors' texts: every object of the manifest with the settings, the
/// image-user table and the requester.
pub fn evaluate_texts(texts: &Texts) -> Page {
    let (documents, map) = manifest::read_each(&texts.manifest, "manifest");
    let mut page = Page {
        manifest_errors: Vec::new(),
        settings_errors: Vec::new(),
        image_user_errors: Vec::new(),
        settings: None,
        report: None,
    };
    let mut read = Vec::with_capacity(documents.len());
    for document in documents {
        match document {
            Ok(d) => read.push(d),
            Err(e) => page.manifest_errors.push(TextError::of(e, &map)),
        }
    }
    let table = match read_mapping(&texts.image_users, "the image-user table") {
        Ok(value) => ImageUserTable::from_value(value),
        Err(e) => {
            page.image_user_errors.push(e);
            Ok(ImageUserTable::default())
        }
    };
    match read_mapping(&texts.settings, "settings") {
        Ok(settings) => {
            page.report = Some(evaluate(read, &settings, table, texts, &map));
            page.settings = Some(settings);
        }
        Err(e) => page.settings_errors.push(e),
    }
    page
}

/// The verdict on every object of the documents read.
fn evaluate(
    documents: Vec<Document>,
    settings: &Value,
    table: Result<ImageUserTable, String>,
    texts: &Texts,
    map: &SourceMap,
) -> Report {
    let settings_json = settings.to_string();
    let answer = security_context_policy::validate_settings(settings_json.as_bytes());
    let mut report = Report {
        settings: serde_json::from_slice(&answer).unwrap_or_else(|_| {
            validity(
                false,
                Some("could not read the settings validation".to_owned()),
            )
        }),
        image_users: validity(true, None),
        results: Vec::new(),
        errors: Vec::new(),
    };
    let mut lookup = PageLookup(table.unwrap_or_else(|e| {
        report.image_users = validity(false, Some(e));
        ImageUserTable::default()
    }));
    let groups: Vec<String> = texts.groups.split([',', '\n']).map(str::to_owned).collect();
    let wrapping = Wrapping::new(&texts.namespace, Requester::new(&texts.user, &groups));
    let mut read = manifest::Read::default();
    for document in documents {
        read_document(document, "manifest", &wrapping, &mut read);
    }
    report.errors = read
        .errors
        .into_iter()
        .map(|e| TextError::of(e, map))
        .collect();
    for entry in read.entries {
        let payload = format!(
            r#"{{"request":{},"settings":{settings_json}}}"#,
            entry.request
        );
        let outcome = security_context_policy::evaluate_with(payload.as_bytes(), &mut lookup);
        let response = String::from_utf8(outcome.to_response_json())
            .ok()
            .and_then(|s| RawValue::from_string(s).ok())
            .unwrap_or_else(|| RawValue::from_string(UNENCODABLE.to_owned()).unwrap_or_default());
        let places = outcome
            .violations
            .iter()
            .map(|v| {
                let mut path = entry.path.clone();
                path.extend(locate::parse_path(&v.field).unwrap_or_default());
                Place::of(map, entry.document, &path)
            })
            .collect();
        let diff = outcome.mutated_object.as_ref().map(|after| Diff {
            before: to_yaml(entry.request.get("object").unwrap_or(&Value::Null)),
            after: to_yaml(after),
        });
        report.results.push(Evaluated {
            document: entry.document,
            item: entry.item,
            path: locate::render_path(&entry.path),
            kind: entry.kind,
            namespace: entry.namespace,
            name: entry.name,
            line: Place::of(map, entry.document, &entry.path).line,
            places,
            outcome,
            response,
            diff,
        });
    }
    report
}

fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|e| {
        json!({ "manifestErrors": [{ "document": 0, "line": 1, "column": 1,
                                     "message": format!("could not encode the result: {e}") }] })
        .to_string()
    })
}

/// `evaluate(texts)`: the [`Page`] for a JSON [`Texts`] (`{manifest, settings, imageUsers,
/// namespace, user, groups}`), as JSON.
#[wasm_bindgen(js_name = evaluate)]
pub fn evaluate_js(texts_json: &str) -> String {
    match serde_json::from_str::<Texts>(texts_json) {
        Ok(texts) => to_json(&evaluate_texts(&texts)),
        Err(e) => to_json(
            &json!({ "manifestErrors": [{ "document": 0, "line": 1, "column": 1,
            "message": format!("the page's texts are not JSON: {e}") }] }),
        ),
    }
}

/// One document of a manifest as the reader read it.
#[derive(Serialize)]
pub struct ReadDocument {
    pub number: usize,
    /// Where its content starts (its `---` line when it has none).
    pub line: usize,
    /// The object kubectl would send; null for an empty document or one not read.
    pub value: Value,
}

/// What the reader makes of a manifest: every document, and the errors.
#[derive(Serialize)]
pub struct Manifest {
    pub documents: Vec<ReadDocument>,
    pub errors: Vec<TextError>,
}

/// Every document of a manifest text with its line, and the documents that cannot be read.
pub fn read_manifest(text: &str) -> Manifest {
    let (documents, map) = manifest::read_each(text, "manifest");
    let mut values = std::collections::BTreeMap::new();
    let mut errors = Vec::new();
    for document in documents {
        match document {
            Ok(d) => {
                values.insert(d.number, d.value);
            }
            Err(e) => errors.push(TextError::of(e, &map)),
        }
    }
    let documents = map
        .documents()
        .iter()
        .map(|d| ReadDocument {
            number: d.number,
            line: d.locate(&[]).position.line,
            value: values.remove(&d.number).unwrap_or(Value::Null),
        })
        .collect();
    Manifest { documents, errors }
}

/// `read(text)`: the [`Manifest`] the reader makes of a text, as JSON.
#[wasm_bindgen(js_name = read)]
pub fn read_js(text: &str) -> String {
    to_json(&read_manifest(text))
}

/// The settings text with `mutation.enabled` set, for the page's mutation box: the boolean
/// replaced where the text writes one, else `mutation: {enabled: …}` appended to a block
/// mapping, else the settings written anew (their comments lost). Settings that cannot be read
/// are returned as they are.
pub fn set_mutation(settings: &str, enabled: bool) -> String {
    let word = if enabled { "true" } else { "false" };
    let Ok(mut value) = manifest::parse_settings(settings, "settings") else {
        return settings.to_owned();
    };
    let map = SourceMap::of_text(settings);
    let document = map.documents().first();
    let key = |k: &str| locate::Segment::Key(k.to_owned());
    let field = [key("mutation"), key("enabled")];
    if value
        .pointer("/mutation/enabled")
        .is_some_and(Value::is_boolean)
        && let Some(at) = document.and_then(|d| d.value_at(&field))
        && let Some((start, end)) = plain_word(settings, at)
    {
        return format!("{}{word}{}", &settings[..start], &settings[end..]);
    }
    let block = document.is_none_or(|d| {
        let top = d.locate(&[]).position;
        top.column == 1 && plain_word(settings, top).is_some()
    });
    if value.get("mutation").is_none() && block {
        let mut out = settings.to_owned();
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(&format!("mutation:\n  enabled: {word}\n"));
        return out;
    }
    if let Some(settings) = value.as_object_mut() {
        let mutation = settings.entry("mutation").or_insert_with(|| json!({}));
        if !mutation.is_object() {
            *mutation = json!({});
        }
        if let Some(m) = mutation.as_object_mut() {
            m.insert("enabled".to_owned(), json!(enabled));
        }
    }
    to_yaml(&value)
}

/// The byte range of the plain word (a key or an unquoted scalar) starting at `at`, if one
/// does.
fn plain_word(text: &str, at: Position) -> Option<(usize, usize)> {
    let line_start = match at.line {
        0 => return None,
        1 => 0,
        n => text.match_indices('\n').nth(n - 2)?.0 + 1,
    };
    let line = text[line_start..].split('\n').next().unwrap_or_default();
    let (offset, _) = line.char_indices().nth(at.column.checked_sub(1)?)?;
    let rest = &line[offset..];
    let len = rest
        .find(|c: char| c.is_whitespace() || matches!(c, ',' | '}' | ']' | '#' | ':'))
        .unwrap_or(rest.len());
    let word = &rest[..len];
    let plain = !word.is_empty() && !word.starts_with(['"', '\'', '!', '&', '*', '{', '[']);
    plain.then_some((line_start + offset, line_start + offset + len))
}

/// `setMutation(settings, enabled)`: the settings text with `mutation.enabled` set.
#[wasm_bindgen(js_name = setMutation)]
pub fn set_mutation_js(settings: &str, enabled: bool) -> String {
    set_mutation(settings, enabled)
}

/// `validateSettings(settings)`: the module's `validate_settings` answer, byte for byte.
#[wasm_bindgen(js_name = validateSettings)]
pub fn validate_settings_js(settings_json: &str) -> String {
    let answer = security_context_policy::validate_settings(settings_json.as_bytes());
    String::from_utf8_lossy(&answer).into_owned()
}

/// `validate(payload, imageUsers)`: the module's `validate` answer for a raw Kubewarden
/// payload (`{"request": …, "settings": …}`), byte for byte.
#[wasm_bindgen(js_name = validate)]
pub fn validate_js(payload_json: &str, image_users_json: &str) -> String {
    let mut lookup = PageLookup(ImageUserTable::from_json(image_users_json).unwrap_or_default());
    let answer = security_context_policy::validate_with(payload_json.as_bytes(), &mut lookup);
    String::from_utf8_lossy(&answer).into_owned()
}

/// `checks()`: every check's ID and summary, `[{"id", "summary"}]`.
#[wasm_bindgen(js_name = checks)]
pub fn checks_js() -> String {
    let list = REGISTRY
        .iter()
        .map(|c| json!({ "id": c.id, "summary": c.summary }));
    Value::Array(list.collect()).to_string()
}

/// One question to [`locate_js`]: a field path (`field`, relative to the object at `path` in
/// document `document`).
#[derive(Deserialize)]
pub struct Query {
    pub document: usize,
    #[serde(default)]
    pub path: String,
    #[serde(default)]
    pub field: String,
}

/// The checker's positions (`security_context_input::locate`) for each query, in order.
pub fn locate_fields(text: &str, queries: &[Query]) -> Vec<Place> {
    let map = SourceMap::of_text(text);
    let parse = |p: &str| locate::parse_path(p).unwrap_or_default();
    queries
        .iter()
        .map(|q| {
            let mut path = parse(&q.path);
            path.extend(parse(&q.field));
            Place::of(&map, q.document, &path)
        })
        .collect()
}

/// `locate(text, queries)`: `[{line, column, exact, template}]` for a JSON array of
/// `{document, path, field}`, as the checker locates its findings.
#[wasm_bindgen(js_name = locate)]
pub fn locate_js(text: &str, queries_json: &str) -> String {
    let queries: Vec<Query> = serde_json::from_str(queries_json).unwrap_or_default();
    to_json(&locate_fields(text, &queries))
}
