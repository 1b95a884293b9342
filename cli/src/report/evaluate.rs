//! One evaluation of one object, as `report` needs it: the verdict, every finding with its
//! check IDs, and the exceptions used. From the module's `explain` function (the typed outcome,
//! `violations` included) when the module has one; otherwise from `validate`, its rejection
//! message read line by line (`- [checks] who: …`), which says less (no found/required split).

use std::cell::Cell;

use security_context_checker::PolicyHost;
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

/// How the verdicts were obtained (said in the report).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Explain,
    Message,
}

pub struct Evaluator<'h> {
    host: &'h PolicyHost,
    explain: Cell<Option<bool>>,
}

impl<'h> Evaluator<'h> {
    pub fn new(host: &'h PolicyHost) -> Self {
        Evaluator {
            host,
            explain: Cell::new(None),
        }
    }

    pub fn via(&self) -> Via {
        if self.explain.get() == Some(false) {
            Via::Message
        } else {
            Via::Explain
        }
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
        if self.explain.get() != Some(false) {
            match self.host.call("explain", payload.as_bytes()) {
                Ok(body) => {
                    self.explain.set(Some(true));
                    let outcome: Value = serde_json::from_slice(&body).map_err(|e| {
                        format!("the module's `explain` answered malformed JSON: {e}")
                    })?;
                    return Ok(from_outcome(&outcome, names));
                }
                Err(e) if self.explain.get().is_none() => {
                    // The module predates `explain`: read `validate`'s message instead.
                    let _ = e;
                    self.explain.set(Some(false));
                }
                Err(e) => return Err(e.to_string()),
            }
        }
        let response = self
            .host
            .validate_raw(payload.as_bytes())
            .map_err(|e| e.to_string())?;
        let outcome = serde_json::to_value(&response).map_err(|e| e.to_string())?;
        let mut verdict = from_outcome(&outcome, names);
        verdict.findings = response
            .message
            .as_deref()
            .map(parse_message)
            .unwrap_or_default();
        no_rejection_without_a_finding(&mut verdict, &outcome);
        Ok(verdict)
    }
}

fn s(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn from_outcome(outcome: &Value, names: &[String]) -> Verdict {
    let accepted = outcome.get("accepted").and_then(Value::as_bool) == Some(true);
    let findings = outcome
        .get("violations")
        .and_then(Value::as_array)
        .map(|rows| {
            rows.iter()
                .map(|r| Finding {
                    checks: r
                        .get("checks")
                        .and_then(Value::as_array)
                        .map(|c| {
                            c.iter()
                                .filter_map(|c| c.as_str().map(str::to_owned))
                                .collect()
                        })
                        .unwrap_or_default(),
                    container: s(r, "container"),
                    field: s(r, "field"),
                    found: s(r, "found"),
                    required: s(r, "required"),
                    fix: s(r, "fix"),
                    exception: r
                        .get("exception")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                    deny: r.get("action").and_then(Value::as_str) == Some("deny"),
                })
                .collect()
        })
        .unwrap_or_default();
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
    verdict
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

/// The findings of a rejection message: `- [a, b] container "x", pod: field is found; required:
/// r. (judged against exception "e") Fix: f.` One finding per subject named on the line.
fn parse_message(message: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    for line in message.lines() {
        let Some(rest) = line.strip_prefix("- [") else {
            continue;
        };
        let Some((checks, rest)) = rest.split_once("] ") else {
            continue;
        };
        let Some((who, rest)) = rest.split_once(": ") else {
            continue;
        };
        let exception = rest
            .split_once("(judged against exception \"")
            .and_then(|(_, e)| e.split_once("\")"))
            .map(|(e, _)| e.to_owned());
        let fix = rest
            .rsplit_once(" Fix: ")
            .map(|(_, f)| f.trim_end_matches('.').to_owned())
            .unwrap_or_default();
        let required = rest
            .split_once("; required: ")
            .and_then(|(_, r)| r.split_once(". ").map(|(r, _)| r.to_owned()))
            .unwrap_or_default();
        for subject in split_subjects(who) {
            out.push(Finding {
                checks: checks.split(", ").map(str::to_owned).collect(),
                container: subject,
                field: String::new(),
                found: String::new(),
                required: required.clone(),
                fix: fix.clone(),
                exception: exception.clone(),
                deny: true,
            });
        }
    }
    out
}

/// `container "a", init container "b", pod` → the three subjects (names cannot hold quotes).
fn split_subjects(who: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in who.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            ',' if !quoted => {
                out.push(current.trim().to_owned());
                current.clear();
            }
            _ => current.push(c),
        }
    }
    if !current.trim().is_empty() {
        out.push(current.trim().to_owned());
    }
    out
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
    fn a_rejection_message_reads_as_findings() {
        let message = "Deployment shop/web violates the security-context policy (2 violations):\n\
            - [runAsUser] container \"app\", init container \"init\": spec.template.spec.containers[0].securityContext.runAsUser, spec.template.spec.initContainers[0].securityContext.runAsUser are 0; required: 1000. (judged against exception \"web\") Fix: set it.\n\
            - [capabilities, capabilities_restricted] pod: x is y; required: z. Fix: drop ALL.";
        let found = parse_message(message);
        assert_eq!(found.len(), 3);
        assert_eq!(found[0].container, "container \"app\"");
        assert_eq!(found[1].container, "init container \"init\"");
        assert_eq!(found[0].exception.as_deref(), Some("web"));
        assert_eq!(found[2].checks, ["capabilities", "capabilities_restricted"]);
        assert_eq!(found[2].required, "z");
    }

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
