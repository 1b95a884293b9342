//! Naming JSON values in messages: "expected a Kubernetes object, found a string".

use serde_json::Value;

/// What kind of value `v` is, with its article (`a string`, `an object`, `null`).
pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}
