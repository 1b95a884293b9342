//! Text output: one line per finding, with the place to edit (`file:line:column`), and the fix
//! once per check. Coloured only when [`super::colour_wanted`] says so. Everything taken from
//! the input or the module is printed through [`super::escape::text`]: one line each, no
//! control characters, escape sequences or bidirectional overrides.

use std::io::{self, Write};

use super::Verdict;
use super::escape::text;

const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

/// How text output looks: ANSI colours or none, and whether the cluster's message is shown.
#[derive(Debug, Clone, Copy, Default)]
pub struct Style {
    pub colour: bool,
    /// Print the module's rejection message (what `kubectl apply` shows) under the verdict
    /// even when every finding is listed (`--show-message`). Without it, the message is
    /// printed only when there are no findings to list.
    pub message: bool,
}

impl Style {
    fn paint(self, colour: &str, text: &str) -> String {
        if self.colour {
            format!("{colour}{text}{RESET}")
        } else {
            text.to_owned()
        }
    }
}

/// One object: `ACCEPTED|REJECTED Kind namespace/name`; one line per finding (`  file:line:column
/// (template): deny check-id: container: field: found …; required …`), each check's fix once,
/// under its first finding (`    fix: …`); the warnings that are not a finding already listed;
/// the audit annotations. The module's message, indented, only where there are no findings or
/// with [`Style::message`].
pub fn write_verdict(
    out: &mut dyn Write,
    v: &Verdict<'_>,
    mutate: bool,
    style: Style,
) -> io::Result<()> {
    let response = &v.response;
    let verdict = if response.accepted {
        style.paint(GREEN, "ACCEPTED")
    } else {
        style.paint(RED, "REJECTED")
    };
    writeln!(
        out,
        "{verdict} {} {}",
        text(&v.entry.kind),
        text(&v.entry.display_name())
    )?;
    if let Some(message) = response.message.as_deref().filter(|m| !m.is_empty())
        && (style.message || v.findings.is_empty())
    {
        for line in message_lines(message, v) {
            writeln!(out, "    {line}")?;
        }
    }
    let mut fixes_shown: Vec<(&[String], &str)> = Vec::new();
    for f in &v.findings {
        let row = &f.row;
        let action = match row.action.as_str() {
            "deny" => style.paint(RED, "deny"),
            other => style.paint(YELLOW, &text(other)),
        };
        let at = style.paint(BOLD, &f.at.to_string());
        write!(
            out,
            "  {at}: {action} {}: {}: {}: found {}; required {}",
            text(&row.checks.join(", ")),
            text(&row.container),
            text(&row.field),
            text(&row.found),
            text(&row.required),
        )?;
        if let Some(exception) = &row.exception {
            write!(out, " (exception {})", text(&format!("{exception:?}")))?;
        }
        if let Some(note) = &row.note {
            write!(out, " ({})", text(note))?;
        }
        writeln!(out)?;
        let fix = (row.checks.as_slice(), row.fix.as_str());
        if !row.fix.is_empty() && !fixes_shown.contains(&fix) {
            writeln!(out, "    fix: {}", text(&row.fix))?;
            fixes_shown.push(fix);
        }
    }
    for warning in response.warnings.iter().flatten() {
        if !restates_a_finding(warning, v) {
            writeln!(
                out,
                "  {}: {}",
                style.paint(YELLOW, "warning"),
                text(warning)
            )?;
        }
    }
    for (key, value) in response.audit_annotations.iter().flatten() {
        writeln!(out, "  audit: {}: {}", text(key), text(value))?;
    }
    if response.mutated_object.is_some() {
        if mutate {
            writeln!(
                out,
                "  mutated: the manifest on standard output carries the policy's additions"
            )?;
        } else {
            writeln!(
                out,
                "  (the policy would mutate this object: --mutate prints the result)"
            )?;
        }
    }
    Ok(())
}

/// A warning the module gives for a warn-level finding (`[check] container: field is …`), which
/// the finding's own line already shows with its place.
fn restates_a_finding(warning: &str, v: &Verdict<'_>) -> bool {
    v.findings.iter().any(|f| {
        let r = &f.row;
        r.action == "warn"
            && warning.starts_with(&format!(
                "[{}] {}: {} is ",
                r.checks.join(", "),
                r.container,
                r.field
            ))
    })
}

/// The module's message as lines to print: the values it quotes from the object (names,
/// containers, found values) escaped first, so that a line break inside one of them cannot
/// start a line of its own; then every line escaped.
fn message_lines(message: &str, v: &Verdict<'_>) -> Vec<String> {
    let mut values: Vec<&str> = vec![v.entry.kind.as_str(), v.entry.name.as_str()];
    values.extend(v.entry.namespace.as_deref());
    for f in &v.findings {
        values.extend([
            f.row.container.as_str(),
            f.row.field.as_str(),
            f.row.found.as_str(),
        ]);
    }
    values.retain(|s| s.contains('\n'));
    values.sort_by_key(|s| std::cmp::Reverse(s.len()));
    let mut message = message.to_owned();
    for value in values {
        message = message.replace(value, &text(value));
    }
    message.split('\n').map(|l| text(l).into_owned()).collect()
}
