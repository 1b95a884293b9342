//! Renders typed violations into the admission response: one place for every message a person
//! reads (the rejection message, warnings, audit annotations) and for the structured rows the
//! checker and the playground show.

use crate::checks::{Ctx, Severity, Subject, Violation};
use crate::settings::{Action, Settings};
use crate::target::Target;
use crate::view::ContainerKind;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

/// The API server's limit for one warning.
pub const MAX_WARNING_LEN: usize = 256;
/// The rejection message stays under this many bytes, however many violations there are.
pub const MAX_MESSAGE_LEN: usize = 4000;
/// At most this many warnings are returned; when some are cut, a last line says how many.
pub const MAX_WARNINGS: usize = 20;
/// The API server ignores warnings past 4096 characters in all (every webhook's together), so
/// this policy's warnings stay under this many bytes.
pub const MAX_WARNINGS_BYTES: usize = 3600;
/// An audit annotation's value stays under this many bytes.
pub const MAX_AUDIT_VALUE_LEN: usize = 1024;

/// One row of the verdict: what the checker's JSON and the playground's table show.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Row {
    /// Check IDs that found it (a standard check and a floor check may agree).
    pub checks: Vec<&'static str>,
    /// `pod`, or `container "name"`, `init container "name"`, `ephemeral container "name"`.
    pub container: String,
    /// Full path in the object, e.g. `spec.template.spec.containers[1].securityContext.runAsUser`.
    pub field: String,
    pub found: String,
    pub required: String,
    pub fix: String,
    /// The exception the container or pod was judged against, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exception: Option<String>,
    /// Why a pod-level value was judged against the standard although an exception covers
    /// some containers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// `deny` or `warn`.
    pub action: &'static str,
}

/// The result of evaluating one request.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Outcome {
    pub accepted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<u16>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub audit_annotations: BTreeMap<String, String>,
    /// The whole object with the policy's edits, only when mutation changed something.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mutated_object: Option<serde_json::Value>,
    /// Every finding, denials first (not part of Kubewarden's response).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub violations: Vec<Row>,
}

/// Kubewarden's `ValidationResponse`, as the policy-server reads it.
#[derive(Serialize)]
struct ValidationResponse<'o> {
    accepted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'o str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mutated_object: Option<&'o serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    audit_annotations: Option<&'o BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    warnings: Option<&'o [String]>,
}

impl Outcome {
    pub fn accept() -> Outcome {
        Outcome {
            accepted: true,
            ..Outcome::default()
        }
    }

    pub fn reject(message: String, code: Option<u16>) -> Outcome {
        Outcome {
            accepted: false,
            message: Some(truncate(&message, MAX_MESSAGE_LEN)),
            code,
            ..Outcome::default()
        }
    }

    /// Input that is not a well-formed request of a kind we judge: rejected, never trusted.
    pub fn malformed(reason: String) -> Outcome {
        Outcome::reject(
            format!("security-context-policy: rejected malformed request: {reason}"),
            Some(400),
        )
    }

    /// The JSON Kubewarden expects back from `validate`.
    pub fn to_response_json(&self) -> Vec<u8> {
        let r = ValidationResponse {
            accepted: self.accepted,
            message: self.message.as_deref(),
            code: self.code,
            mutated_object: self.mutated_object.as_ref(),
            audit_annotations: (!self.audit_annotations.is_empty())
                .then_some(&self.audit_annotations),
            warnings: (!self.warnings.is_empty()).then_some(&self.warnings[..]),
        };
        serde_json::to_vec(&r).unwrap_or_else(|_| br#"{"accepted":false,"message":"security-context-policy: could not encode the response","code":500}"#.to_vec())
    }
}

/// Cuts `s` to at most `max` bytes on a character boundary, marking the cut with `…`.
pub fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max.saturating_sub('…'.len_utf8());
    while end > 0 && !s.is_char_boundary(end) {
        end = end.saturating_sub(1);
    }
    let mut out = s.get(..end).unwrap_or_default().to_owned();
    out.push('…');
    out
}

fn describe_subject(s: &Subject) -> String {
    match s {
        Subject::Pod => "pod".to_owned(),
        Subject::Container { kind, name, .. } => format!("{} {name:?}", kind.noun()),
    }
}

fn exception_name(settings: &Settings, i: Option<usize>) -> Option<String> {
    i.and_then(|i| settings.exceptions.get(i))
        .map(|e| e.name.clone())
}

/// Turns the checks' findings into the outcome.
pub fn render(
    t: &Target<'_>,
    ctx: &Ctx<'_, '_>,
    settings: &Settings,
    found: Vec<Violation>,
) -> Outcome {
    let prefix = t.shape.prefix();

    let pod_note = uncovered_note(ctx);
    // Enforcement, then merge findings of several checks about the same value.
    let mut rows: Vec<Row> = Vec::new();
    // Index of the row for (field, container, found, action): linear however many findings.
    let mut index: HashMap<(String, String, String, &'static str), usize> = HashMap::new();
    for v in found {
        let action = match (settings.action(v.check), v.severity) {
            (Action::Off, _) => continue,
            (Action::Warn, _) | (_, Severity::Warning) => "warn",
            (Action::Deny, Severity::Error) => "deny",
        };
        let field = format!("{prefix}{}", v.field);
        let container = describe_subject(&v.subject);
        let key = (field.clone(), container.clone(), v.found.clone(), action);
        if let Some(existing) = index.get(&key).and_then(|&i| rows.get_mut(i)) {
            if !existing.checks.contains(&v.check) {
                existing.checks.push(v.check);
            }
            continue;
        }
        index.insert(key, rows.len());
        let note = if v.subject == Subject::Pod {
            pod_note.clone()
        } else {
            None
        };
        rows.push(Row {
            checks: vec![v.check],
            note,
            container,
            field,
            found: v.found,
            required: v.required,
            fix: v.fix,
            exception: exception_name(settings, v.exception),
            action,
        });
    }
    rows.sort_by_key(|r| r.action != "deny");

    let denials = rows.iter().filter(|r| r.action == "deny").count();
    let mut out = Outcome {
        accepted: denials == 0,
        ..Outcome::default()
    };
    let what = format!(
        "{} {}/{}",
        t.kind,
        if t.namespace.is_empty() {
            "-"
        } else {
            &t.namespace
        },
        t.name
    );
    // Denials come first (sorted above).
    let (denied, warned) = rows.split_at(denials.min(rows.len()));
    if !denied.is_empty() {
        out.message = Some(rejection_message(&what, denied));
    }

    // Warnings: warn-level findings, then the exceptions used.
    let findings: Vec<String> = warned
        .iter()
        .map(|r| {
            truncate(
                &format!(
                    "[{}] {}: {} is {}; required: {}. {}",
                    r.checks.join(", "),
                    r.container,
                    r.field,
                    r.found,
                    r.required,
                    r.fix
                ),
                MAX_WARNING_LEN,
            )
        })
        .collect();
    let mut used = Vec::new();
    for (e, covered) in exceptions_used(ctx) {
        // Who answers for it comes before the reason, so that a cut keeps it.
        let owner = e.accountability();
        let who = owner
            .as_deref()
            .map(|o| format!(" ({o})"))
            .unwrap_or_default();
        used.push(truncate(
            &format!(
                "exception {:?}{who} applied to {covered}: {}",
                e.name, e.reason
            ),
            MAX_WARNING_LEN,
        ));
        // The name comes first, so that a cut keeps it; names are bounded by settings validation.
        let who = owner.map(|o| format!("; {o}")).unwrap_or_default();
        out.audit_annotations.insert(
            e.audit_key.clone(),
            truncate(
                &format!(
                    "exception: {}{who}; reason: {}; applied to {covered}",
                    e.name, e.reason
                ),
                MAX_AUDIT_VALUE_LEN,
            ),
        );
    }
    out.warnings = bound_warnings(findings, used);
    out.violations = rows;
    out
}

/// Keeps the warnings within the API server's limits. The exceptions used come first: they say
/// why a workload passed with less than the standard and must never be pushed out by a flood of
/// warn-level findings. Whatever is cut is counted in a last line.
fn bound_warnings(findings: Vec<String>, exceptions: Vec<String>) -> Vec<String> {
    let total: usize = findings.iter().chain(&exceptions).map(String::len).sum();
    if findings.len().saturating_add(exceptions.len()) <= MAX_WARNINGS
        && total <= MAX_WARNINGS_BYTES
    {
        let mut all = findings;
        all.extend(exceptions);
        return all;
    }
    // Room for up to two "… and N more" lines.
    const MORE_LINE: usize = 100;
    let mut slots = MAX_WARNINGS.saturating_sub(2);
    let mut bytes = MAX_WARNINGS_BYTES.saturating_sub(MORE_LINE.saturating_mul(2));
    let mut take = |list: Vec<String>| {
        let mut kept = Vec::new();
        let mut cut = 0usize;
        for w in list {
            if slots > 0 && w.len() <= bytes {
                slots = slots.saturating_sub(1);
                bytes = bytes.saturating_sub(w.len());
                kept.push(w);
            } else {
                cut = cut.saturating_add(1);
            }
        }
        (kept, cut)
    };
    let (exceptions, cut_exceptions) = take(exceptions);
    let (mut out, cut_findings) = take(findings);
    if cut_findings > 0 {
        out.push(format!(
            "… and {cut_findings} more warn-level {}: run the offline checker for the full list",
            if cut_findings == 1 {
                "finding"
            } else {
                "findings"
            }
        ));
    }
    out.extend(exceptions);
    if cut_exceptions > 0 {
        out.push(format!(
            "… and {cut_exceptions} more {} applied: see the audit annotations",
            if cut_exceptions == 1 {
                "exception"
            } else {
                "exceptions"
            }
        ));
    }
    out
}

/// Appended to a rejection that concerns an ephemeral container.
pub const DEBUG_HINT: &str = "\nDebugging a running pod? An ephemeral container (kubectl debug) is judged like any other container; the platform team can let a group attach debug containers with a break-glass exception (match.groups, match.containerTypes: [ephemeralContainers]): see \"Debugging a running pod\" in the policy's docs (docs/exceptions.md).";

fn rejection_message(what: &str, rows: &[Row]) -> String {
    let n = rows.len();
    let mut msg = format!(
        "{what} violates the security-context policy ({n} {}):",
        if n == 1 { "violation" } else { "violations" }
    );
    // One line per distinct finding; the containers and fields it concerns are listed together.
    type GroupKey<'r> = (
        &'r [&'static str],
        &'r str,
        &'r str,
        &'r str,
        Option<&'r str>,
        Option<&'r str>,
    );
    let mut groups: Vec<(&Row, Vec<&Row>)> = Vec::new();
    let mut index: HashMap<GroupKey<'_>, usize> = HashMap::new();
    for r in rows {
        let key = (
            &r.checks[..],
            r.found.as_str(),
            r.required.as_str(),
            r.fix.as_str(),
            r.exception.as_deref(),
            r.note.as_deref(),
        );
        match index.get(&key).and_then(|&i| groups.get_mut(i)) {
            Some((_, members)) => members.push(r),
            None => {
                index.insert(key, groups.len());
                groups.push((r, vec![r]));
            }
        }
    }
    // A rejected ephemeral container is someone debugging: say where the way to allow it is.
    let debug_hint = rows
        .iter()
        .any(|r| r.container.starts_with(ContainerKind::Ephemeral.noun()))
        .then_some(DEBUG_HINT);
    let reserve = 160usize.saturating_add(debug_hint.map_or(0, str::len));
    let mut shown = 0;
    for (head, members) in &groups {
        // Long lists are cut: the line is bounded anyway.
        let who: Vec<&str> = members
            .iter()
            .take(20)
            .map(|m| m.container.as_str())
            .collect();
        let mut fields: Vec<&str> = members.iter().take(20).map(|m| m.field.as_str()).collect();
        if members.len() > 20 {
            fields.push("…");
        }
        let mut line = format!(
            "\n- [{}] {}: {} {} {}; required: {}.",
            head.checks.join(", "),
            who.join(", "),
            fields.join(", "),
            if members.len() == 1 { "is" } else { "are" },
            head.found,
            head.required
        );
        if let Some(e) = &head.exception {
            let _ = write!(line, " (judged against exception {e:?})");
        }
        if let Some(note) = &head.note {
            let _ = write!(line, " ({note})");
        }
        let _ = write!(line, " Fix: {}.", head.fix);
        let line = truncate(&line, 900);
        if msg.len().saturating_add(line.len()).saturating_add(reserve) > MAX_MESSAGE_LEN {
            let more = n.saturating_sub(shown);
            let _ = write!(
                msg,
                "\n… and {more} more {}; fix the ones above, or run the offline checker for the full list.",
                if more == 1 { "violation" } else { "violations" }
            );
            break;
        }
        msg.push_str(&line);
        shown = shown.saturating_add(members.len());
    }
    if let Some(hint) = debug_hint {
        msg.push_str(hint);
    }
    msg
}

/// When some containers are covered by an exception but the pod's own fields are judged
/// against the standard, says which containers the exception does not cover.
fn uncovered_note(ctx: &Ctx<'_, '_>) -> Option<String> {
    if ctx.pod_profile.exception.is_some() {
        return None;
    }
    let covering = ctx
        .containers()
        .find_map(|c| ctx.profile_of(&c).exception)?;
    let name = ctx
        .exceptions
        .get(covering)
        .map(|e| e.name.as_str())
        .unwrap_or_default();
    let uncovered: Vec<String> = ctx
        .containers()
        .filter(|c| ctx.profile_of(c).exception != Some(covering))
        .map(|c| format!("{} {:?}", c.kind.noun(), c.container.name.as_ref()))
        .collect();
    Some(format!(
        "pod-level values apply to every container and exception {name:?} does not cover {}, so they are judged against the standard",
        uncovered.join(", ")
    ))
}

/// Each exception used, with what it covered.
fn exceptions_used<'s>(ctx: &Ctx<'s, '_>) -> Vec<(&'s crate::settings::Exception, String)> {
    let mut out = Vec::new();
    for (i, e) in ctx.exceptions.iter().enumerate() {
        let names: Vec<String> = ctx
            .containers()
            .filter(|c| ctx.profile_of(c).exception == Some(i))
            .map(|c| format!("{:?}", c.container.name.as_ref()))
            .collect();
        if names.is_empty() {
            continue;
        }
        let pod = if ctx.pod_profile.exception == Some(i) {
            " and the pod"
        } else {
            ""
        };
        let noun = if names.len() == 1 {
            "container"
        } else {
            "containers"
        };
        out.push((e, format!("{noun} {}{pod}", names.join(", "))));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_respects_char_boundaries() {
        let s = "é".repeat(300);
        let t = truncate(&s, 256);
        assert!(t.len() <= 256);
        assert!(t.ends_with('…'));
        assert_eq!(truncate("short", 256), "short");
    }

    #[test]
    fn warnings_stay_within_the_api_servers_limits() {
        let finding =
            |i: usize| format!("[readOnlyRootFilesystem] finding {i} {}", "x".repeat(200));
        let exception =
            |i: usize| format!("exception \"e{i}\" applied to container \"c{i}\": reason");
        let cases: &[(&str, usize, usize)] = &[
            ("few of each", 3, 2),
            ("a flood of findings", 500, 2),
            ("a flood of exceptions", 0, 50),
            ("a flood of both", 500, 50),
            ("exactly the count", 18, 2),
        ];
        for &(name, n_findings, n_exceptions) in cases {
            let findings: Vec<String> = (0..n_findings).map(finding).collect();
            let exceptions: Vec<String> = (0..n_exceptions).map(exception).collect();
            let out = bound_warnings(findings, exceptions);
            let bytes: usize = out.iter().map(String::len).sum();
            assert!(out.len() <= MAX_WARNINGS, "{name}: {} warnings", out.len());
            assert!(bytes <= MAX_WARNINGS_BYTES, "{name}: {bytes} bytes");
            let kept_exceptions = out.iter().filter(|w| w.starts_with("exception ")).count();
            let kept_findings = out.iter().filter(|w| w.starts_with("[")).count();
            if n_exceptions <= 10 {
                assert_eq!(
                    kept_exceptions, n_exceptions,
                    "{name}: every exception used is kept"
                );
            }
            let said = |what: &str| {
                out.iter()
                    .find(|w| w.contains(what))
                    .and_then(|w| w.split(' ').nth(2).and_then(|n| n.parse::<usize>().ok()))
                    .unwrap_or(0)
            };
            assert_eq!(
                kept_findings + said("warn-level"),
                n_findings,
                "{name}: cut findings are counted: {out:#?}"
            );
            assert_eq!(
                kept_exceptions + said("applied: see"),
                n_exceptions,
                "{name}: cut exceptions are counted"
            );
        }
    }
}
