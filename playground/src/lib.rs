//! The browser playground's adapter (docs/playground.md): the evaluation core of
//! `security-context-policy`, compiled for `wasm32-unknown-unknown` and exported through
//! wasm-bindgen. Like the waPC glue and the checker it is a thin adapter: the page parses the
//! YAML, `security-context-input` reads the documents and wraps the objects into the
//! AdmissionRequests the API server would send (as the checker does), the core evaluates the
//! very payload Kubewarden hands the module (`{"request": …, "settings": …}`), and image-user
//! lookups are answered from the page's table as the checker's `--image-users` answers them.
//!
//! Every export takes and returns JSON text, so the page and the tests see exactly the bytes
//! the Kubewarden module returns (`response`), next to the structured rows (`outcome`).

use security_context_input::locate::{self, SourceMap};
use security_context_input::manifest::{Wrapping, read_values};
use security_context_input::{ImageUserTable, Requester};
use security_context_policy::checks::REGISTRY;
use security_context_policy::image_user::ImageUserLookup;
use serde::Serialize;
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

/// The verdict on one object.
#[derive(Serialize)]
pub struct Evaluated {
    /// 1-based number of the document the object came from.
    pub document: usize,
    /// 0-based position in the `List` the object came from, if any.
    pub item: Option<usize>,
    /// Where the object is in its document (`items[1]`, `request.object`; empty for a plain
    /// object): the findings' fields are relative to it (see [`locate_js`]).
    pub path: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
    /// The object as sent (the request's `object`), for the mutation diff.
    pub object: Value,
    /// The core's full result: the response fields plus the violation rows.
    pub outcome: security_context_policy::verdict::Outcome,
    /// The exact `ValidationResponse` the Kubewarden module returns for this request.
    pub response: Box<RawValue>,
}

/// A document (or a `List` item) that could not be read as an object.
#[derive(Serialize)]
pub struct DocumentError {
    pub document: usize,
    pub message: String,
}

/// Settings validation as the module answers it: `{"valid": bool, "message"?}`.
#[derive(Serialize, serde::Deserialize)]
pub struct Validity {
    pub valid: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

fn validity(valid: bool, message: Option<String>) -> Validity {
    Validity { valid, message }
}

fn doc_error(document: usize, message: String) -> DocumentError {
    DocumentError { document, message }
}

/// Everything the page shows for one state of the editors.
#[derive(Serialize)]
pub struct Report {
    pub settings: Validity,
    pub image_users: Validity,
    pub results: Vec<Evaluated>,
    pub errors: Vec<DocumentError>,
}

/// Evaluates every object of the documents (a JSON array, one entry per document of the
/// manifest, `null` for an empty one) with the settings and the image-user table (JSON), the
/// namespace of objects naming none, and the requester: `user` and `groups` (comma- or
/// line-separated).
pub fn evaluate_documents(
    documents_json: &str,
    settings: &str,
    image_users: &str,
    namespace: &str,
    user: &str,
    groups: &str,
) -> Report {
    let settings_json = Some(settings)
        .filter(|s| !s.trim().is_empty())
        .unwrap_or("{}");
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
    // A payload must be JSON: settings that are not JSON are reported, not evaluated.
    if serde_json::from_str::<&RawValue>(settings_json).is_err() {
        return report;
    }
    let mut lookup = PageLookup(ImageUserTable::from_json(image_users).unwrap_or_else(|e| {
        report.image_users = validity(false, Some(e));
        ImageUserTable::default()
    }));
    let documents = match serde_json::from_str(documents_json) {
        Ok(Value::Array(docs)) => docs,
        Ok(other) => vec![other],
        Err(e) => {
            let message = format!("the documents are not JSON: {e}");
            report.errors.push(doc_error(0, message));
            return report;
        }
    };
    let groups: Vec<String> = groups.split([',', '\n']).map(str::to_owned).collect();
    let wrapping = Wrapping::new(namespace, Requester::new(user, &groups));
    let read = read_values(documents, "", &wrapping);
    let errors = read.errors.into_iter();
    report.errors = errors
        .map(|e| doc_error(e.document.unwrap_or(0), e.message))
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
        report.results.push(Evaluated {
            document: entry.document,
            item: entry.item,
            path: locate::render_path(&entry.path),
            kind: entry.kind,
            namespace: entry.namespace,
            name: entry.name,
            object: entry.request.get("object").cloned().unwrap_or(Value::Null),
            outcome,
            response,
        });
    }
    report
}

fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|e| {
        json!({ "errors": [{ "document": 0, "message": format!("could not encode the result: {e}") }] })
            .to_string()
    })
}

/// `evaluate(documents, settings, imageUsers, defaultNamespace, user, groups)`: the
/// [`Report`] of [`evaluate_documents`] as JSON.
#[wasm_bindgen(js_name = evaluate)]
pub fn evaluate_js(
    docs: &str,
    settings: &str,
    users: &str,
    ns: &str,
    user: &str,
    groups: &str,
) -> String {
    to_json(&evaluate_documents(docs, settings, users, ns, user, groups))
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
#[derive(serde::Deserialize)]
pub struct Query {
    pub document: usize,
    #[serde(default)]
    pub path: String,
    #[serde(default)]
    pub field: String,
}

/// Where a field is: 1-based line and column; `exact` is false when the field is absent and
/// the place is its nearest present parent's; `template` is the document's Helm template.
#[derive(Serialize)]
pub struct Place {
    pub line: usize,
    pub column: usize,
    pub exact: bool,
    pub template: Option<String>,
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
            let document = map.document(q.document);
            let at = map.locate(q.document, &path);
            Place {
                line: at.position.line,
                column: at.position.column,
                exact: at.exact,
                template: document.and_then(|d| d.template.clone()),
            }
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
