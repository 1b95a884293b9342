//! One evaluation of one object, as `report` needs it: the verdict, every finding with its
//! check IDs, and the exceptions used, from the module's `explain` function (the typed
//! outcome, `violations` included), as `check` reads it.

use security_context_checker::PolicyHost;
use security_context_checker::output::Row;
use serde::Serialize;
use serde_json::{Map, Value, json};

/// One finding: a row of the module's verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub checks: Vec<String>,
    /// `pod`, `container "app"`, `init container "x"`, `ephemeral container "y"`.
    pub container: String,
    pub field: String,
    pub found: String,
    pub required: String,
    pub fix: String,
    /// The exception the container or pod was judged against.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exception: Option<String>,
    #[serde(skip)]
    pub deny: bool,
}

/// An exception the module reported as used, with what it covered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Used {
    pub name: String,
    /// `containers "a", "b" and the pod`, as the audit annotation says.
    pub applied_to: String,
}

impl Used {
    /// The container names the exception covered.
    pub fn containers(&self) -> Vec<String> {
        self.applied_to
            .split('"')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect()
    }
}

#[derive(Debug, Clone, Default)]
pub struct Verdict {
    pub accepted: bool,
    pub findings: Vec<Finding>,
    pub used: Vec<Used>,
}

pub struct Evaluator<'h> {
    host: &'h PolicyHost,
}

impl<'h> Evaluator<'h> {
    pub fn new(host: &'h PolicyHost) -> Self {
        Evaluator { host }
    }

    /// Whether `settings` are valid, and the module's message when not.
    pub fn settings_error(&self, settings: &Value) -> Result<Option<String>, String> {
        let verdict = self
            .host
            .validate_settings(settings)
            .map_err(|e| e.to_string())?;
        Ok((!verdict.valid).then(|| verdict.message.unwrap_or_else(|| "(no message)".into())))
    }

    /// Evaluate `request` with `settings`; `names` are the settings' exception names (to read
    /// the audit annotations of the exceptions used).
    pub fn evaluate(
        &self,
        request: &Value,
        settings: &Value,
        names: &[String],
    ) -> Result<Verdict, String> {
        let payload = json!({"request": request, "settings": settings}).to_string();
        let body = self.host.call("explain", payload.as_bytes()).map_err(|e| {
            format!(
                "the module's `explain` function failed: {e} (a module older than this checker \
                 has none: use the annotated-policy.wasm built with it, `make wasm`)"
            )
        })?;
        let outcome: Value = serde_json::from_slice(&body)
            .map_err(|e| format!("the module's `explain` answered malformed JSON: {e}"))?;
        from_outcome(&outcome, names)
    }
}

fn s(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn from_outcome(outcome: &Value, names: &[String]) -> Result<Verdict, String> {
    let accepted = outcome.get("accepted").and_then(Value::as_bool) == Some(true);
    let rows: Vec<Row> = match outcome.get("violations") {
        Some(rows) => serde_json::from_value(rows.clone())
            .map_err(|e| format!("the module's `explain` answered unexpected findings: {e}"))?,
        None => Vec::new(),
    };
    let findings = rows
        .into_iter()
        .map(|r| Finding {
            deny: r.action == "deny",
            checks: r.checks,
            container: r.container,
            field: r.field,
            found: r.found,
            required: r.required,
            fix: r.fix,
            exception: r.exception,
        })
        .collect();
    let empty = Map::new();
    let audit = outcome
        .get("audit_annotations")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let used = audit
        .iter()
        .filter(|(k, _)| k.starts_with("exception."))
        .filter_map(|(_, v)| v.as_str())
        .filter_map(|v| used_from_annotation(v, names))
        .collect();
    let mut verdict = Verdict {
        accepted,
        findings,
        used,
    };
    no_rejection_without_a_finding(&mut verdict, outcome);
    Ok(verdict)
}

/// A rejection with no finding (a malformed object: the policy says why in its message) is
/// counted under `malformed`, never dropped.
fn no_rejection_without_a_finding(verdict: &mut Verdict, outcome: &Value) {
    if verdict.accepted || verdict.findings.iter().any(|f| f.deny) {
        return;
    }
    verdict.findings.push(Finding {
        checks: vec!["malformed".to_owned()],
        container: "object".to_owned(),
        field: String::new(),
        found: String::new(),
        required: "a well-formed object".to_owned(),
        fix: s(outcome, "message"),
        exception: None,
        deny: true,
    });
}

/// `exception: NAME; owner…; reason: …; applied to containers "a"`: the longest settings
/// exception name the value starts with (names may hold `;`).
fn used_from_annotation(value: &str, names: &[String]) -> Option<Used> {
    let rest = value.strip_prefix("exception: ")?;
    let name = names
        .iter()
        .filter(|n| {
            rest.strip_prefix(n.as_str())
                .is_some_and(|after| after.is_empty() || after.starts_with(';'))
        })
        .max_by_key(|n| n.len())?;
    let applied_to = value
        .rsplit_once("; applied to ")
        .map(|(_, a)| a.to_owned())
        .unwrap_or_default();
    Some(Used {
        name: name.clone(),
        applied_to,
    })
}

/// The settings protect mode evaluates with: every `enforcement` entry (`warn`, `off`) back
/// to `deny`, so that every check rejects. Returns the settings and what was changed
/// (check ID, previous action).
pub fn protect_settings(settings: &Value) -> (Value, Vec<(String, String)>) {
    let mut out = settings.clone();
    let mut changed = Vec::new();
    if let Some(enforcement) = out.get_mut("enforcement").and_then(Value::as_object_mut) {
        for (check, action) in enforcement.iter_mut() {
            if action.as_str() != Some("deny") {
                changed.push((check.clone(), action.as_str().unwrap_or("?").to_owned()));
                *action = Value::String("deny".to_owned());
            }
        }
    }
    (out, changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn used_exceptions_are_read_from_the_audit_annotations() {
        let names = vec!["db".to_owned(), "db; writer".to_owned()];
        let u = used_from_annotation(
            "exception: db; writer; owner: x; reason: r; applied to containers \"a\", \"b\" and the pod",
            &names,
        )
        .unwrap();
        assert_eq!(u.name, "db; writer");
        assert_eq!(u.containers(), ["a", "b"]);
    }

    #[test]
    fn protect_mode_denies_what_settings_warn_about_or_turn_off() {
        let (s, changed) =
            protect_settings(&json!({"enforcement": {"a": "warn", "b": "off", "c": "deny"}}));
        assert_eq!(
            s,
            json!({"enforcement": {"a": "deny", "b": "deny", "c": "deny"}})
        );
        assert_eq!(changed.len(), 2);
    }
}
