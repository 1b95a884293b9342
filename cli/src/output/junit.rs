//! JUnit XML, as CI systems show test reports: one test suite per input file, one test case
//! per object (`Kind namespace/name`); a rejected object is a failure carrying the policy's
//! message and its located findings; input errors are test cases with an `<error>`.

use std::fmt::Write as _;

use super::Verdict;

/// Text as XML character data or an attribute value: the five special characters escaped,
/// characters XML 1.0 cannot carry (most control characters) replaced by U+FFFD.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || matches!(c, '\u{fffe}' | '\u{ffff}') => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// The failure text of a rejected object: the policy's message, then one line per finding.
fn failure_text(v: &Verdict<'_>) -> String {
    let mut text = v.response.message.clone().unwrap_or_default();
    for f in &v.findings {
        let row = &f.row;
        let _ = write!(
            text,
            "\n{}: {} {}: {}: {}: found {}; required {}; fix: {}",
            f.at,
            row.action,
            row.checks.join(", "),
            row.container,
            row.field,
            row.found,
            row.required,
            row.fix
        );
    }
    text
}

/// The report: `verdicts` in input order, `errors` the input problems (worded with their
/// place).
pub fn report(verdicts: &[Verdict<'_>], errors: &[String]) -> String {
    // Suites by source, in the order the sources were read.
    let mut suites: Vec<(&str, Vec<&Verdict<'_>>)> = Vec::new();
    for v in verdicts {
        match suites.iter_mut().find(|(s, _)| *s == v.entry.source) {
            Some((_, list)) => list.push(v),
            None => suites.push((&v.entry.source, vec![v])),
        }
    }
    let failures = verdicts.iter().filter(|v| !v.response.accepted).count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"security-context-checker\" tests=\"{}\" failures=\"{failures}\" errors=\"{}\">",
        verdicts.len() + errors.len(),
        errors.len()
    );
    for (source, list) in &suites {
        let failed = list.iter().filter(|v| !v.response.accepted).count();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failed}\" errors=\"0\">",
            escape(source),
            list.len()
        );
        for v in list {
            let name = format!("{} {}", v.entry.kind, v.entry.display_name());
            let _ = write!(
                out,
                "    <testcase name=\"{}\" classname=\"{}\" file=\"{}\" line=\"{}\"",
                escape(&name),
                escape(source),
                escape(source),
                v.at.line
            );
            let warnings: Vec<&String> = v.response.warnings.iter().flatten().collect();
            if v.response.accepted && warnings.is_empty() {
                out.push_str("/>\n");
                continue;
            }
            out.push_str(">\n");
            if !v.response.accepted {
                let message = v.response.message.as_deref().unwrap_or("rejected");
                let first = message.lines().next().unwrap_or("rejected");
                let _ = writeln!(
                    out,
                    "      <failure message=\"{}\" type=\"rejected\">{}</failure>",
                    escape(first),
                    escape(&failure_text(v))
                );
            }
            if !warnings.is_empty() {
                let text: Vec<&str> = warnings.iter().map(|w| w.as_str()).collect();
                let _ = writeln!(
                    out,
                    "      <system-out>{}</system-out>",
                    escape(&text.join("\n"))
                );
            }
            out.push_str("    </testcase>\n");
        }
        out.push_str("  </testsuite>\n");
    }
    if !errors.is_empty() {
        let _ = writeln!(
            out,
            "  <testsuite name=\"input\" tests=\"{0}\" failures=\"0\" errors=\"{0}\">",
            errors.len()
        );
        for (i, e) in errors.iter().enumerate() {
            let first = e.lines().next().unwrap_or_default();
            let _ = writeln!(
                out,
                "    <testcase name=\"input error {}\" classname=\"input\">\n      <error message=\"{}\" type=\"input\">{}</error>\n    </testcase>",
                i + 1,
                escape(first),
                escape(e)
            );
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes() {
        assert_eq!(
            escape("a<b>&\"c'\u{1}\n"),
            "a&lt;b&gt;&amp;&quot;c&apos;\u{fffd}\n"
        );
    }
}
