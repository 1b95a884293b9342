//! Text output: the verdict as the cluster words it, then every finding with the place to
//! edit, `file:line:column`. Coloured only when [`super::colour_wanted`] says so.

use std::io::{self, Write};

use super::Verdict;

const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

/// Text styling: ANSI colours, or none at all.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub colour: bool,
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

/// One object: `ACCEPTED|REJECTED Kind namespace/name`, the policy's message indented, one
/// line per finding (`  file:line:column: deny check-id: container: field: found …; required
/// …; fix: …`), then the warnings and audit annotations.
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
    writeln!(out, "{verdict} {} {}", v.entry.kind, v.entry.display_name())?;
    if let Some(message) = response.message.as_deref().filter(|m| !m.is_empty()) {
        for line in message.lines() {
            writeln!(out, "    {line}")?;
        }
    }
    for f in &v.findings {
        let row = &f.row;
        let action = match row.action.as_str() {
            "deny" => style.paint(RED, "deny"),
            other => style.paint(YELLOW, other),
        };
        let at = style.paint(BOLD, &f.at.to_string());
        write!(
            out,
            "  {at}: {action} {}: {}: {}: found {}; required {}; fix: {}",
            row.checks.join(", "),
            row.container,
            row.field,
            row.found,
            row.required,
            row.fix
        )?;
        if let Some(exception) = &row.exception {
            write!(out, " (exception {exception:?})")?;
        }
        if let Some(note) = &row.note {
            write!(out, " ({note})")?;
        }
        writeln!(out)?;
    }
    for warning in response.warnings.iter().flatten() {
        writeln!(out, "  {}: {warning}", style.paint(YELLOW, "warning"))?;
    }
    for (key, value) in response.audit_annotations.iter().flatten() {
        writeln!(out, "  audit: {key}: {value}")?;
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
