//! The report as Markdown, for a pull request. Every name and value from the input or the
//! settings is written as inert text: in a code span ([`code`]) or with Markdown's punctuation
//! escaped ([`text`]), control characters escaped first ([`escape::text`]), and `|` escaped in
//! table cells ([`cell`]), so that no name can add HTML (`<img …>`), a link, emphasis, a list
//! item, a heading or a table column to the page.

use std::fmt::Write as _;

use security_context_checker::output::escape;

use super::Report;

/// Plain text with every character Markdown (CommonMark and GitHub's) could read as markup
/// backslash-escaped, and a leading list or heading marker neutralised.
pub fn text(s: &str) -> String {
    let s = escape::text(s);
    let mut out = String::with_capacity(s.len() + 8);
    for (i, c) in s.chars().enumerate() {
        let marker = i == 0 && matches!(c, '-' | '+' | '=' | '.' | ')');
        if marker
            || matches!(
                c,
                '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '&' | '#' | '~' | '!' | '$'
            )
        {
            out.push('\\');
        }
        out.push(c);
    }
    // `1. x` or `1) x` would start an ordered list.
    if let Some(end) = out.find(|c: char| !c.is_ascii_digit())
        && end > 0
        && matches!(out.as_bytes().get(end), Some(b'.' | b')'))
    {
        out.insert(end, '\\');
    }
    out
}

/// An inline code span holding `s` literally: a fence longer than any run of backticks in it,
/// padded where it starts or ends with a backtick or a space (CommonMark strips one of each).
pub fn code(s: &str) -> String {
    let s = escape::text(s);
    let longest = s
        .split(|c| c != '`')
        .map(str::len)
        .max()
        .unwrap_or_default();
    let fence = "`".repeat(longest + 1);
    let pad = if s.starts_with(['`', ' ']) || s.ends_with(['`', ' ']) {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{s}{pad}{fence}")
}

/// Markdown for a table cell: `|` would end the cell, even inside a code span (GitHub reads
/// `\|` there as `|`).
fn cell(markdown: &str) -> String {
    markdown.replace('|', "\\|")
}

/// A code span in a table cell.
fn cell_code(s: &str) -> String {
    cell(&code(s))
}

fn objects_summary(w: &super::Workload) -> String {
    let mut kinds: Vec<(String, usize)> = Vec::new();
    for o in &w.objects {
        match kinds.iter_mut().find(|(k, _)| *k == o.kind) {
            Some((_, n)) => *n += 1,
            None => kinds.push((o.kind.clone(), 1)),
        }
    }
    let listed: Vec<String> = kinds
        .iter()
        .map(|(k, n)| {
            if *n == 1 {
                format!("1 {}", text(k))
            } else {
                format!("{n} {}s", text(k))
            }
        })
        .collect();
    let mut s = listed.join(", ");
    if !w.in_input {
        s.push_str(&format!(
            "; the {} itself is not in the input",
            text(&w.kind)
        ));
    }
    s
}

/// `matih-ai/Deployment/ai-service (container "ai-service" and the pod)` for each use, as
/// plain text (the HTML report escapes it its own way; Markdown through [`text`]).
pub fn uses(e: &super::ExceptionUse) -> Vec<String> {
    e.workloads
        .iter()
        .zip(&e.applied_to)
        .map(|(w, a)| {
            if a.is_empty() {
                w.clone()
            } else {
                format!("{w} ({a})")
            }
        })
        .collect()
}

pub fn render(r: &Report) -> String {
    let mut md = String::new();
    let t = &r.totals;
    let _ = writeln!(md, "# What protect mode would reject\n");
    let enforced = if r.enforced.is_empty() {
        String::new()
    } else {
        let list: Vec<String> = r
            .enforced
            .iter()
            .map(|e| format!("{} {} → deny", code(&e.check), text(&e.was)))
            .collect();
        format!(" ({})", list.join(", "))
    };
    let _ = writeln!(
        md,
        "Settings {}, every check enforced{enforced}. Input: {}.\n",
        code(&r.settings),
        r.inputs
            .iter()
            .map(|i| code(i))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(
        md,
        "**{} of {} workloads would be rejected** ({} of {} objects).\n",
        t.workloads_rejected, t.workloads, t.objects_rejected, t.objects
    );
    let _ = writeln!(md, "How this counts: {}\n", r.counting);

    let _ = writeln!(md, "## Rejected workloads by namespace and check\n");
    if r.cells.is_empty() {
        let _ = writeln!(md, "Nothing would be rejected.\n");
    } else {
        let _ = writeln!(md, "| Namespace | Workloads | Rejected |\n|---|---:|---:|");
        for ns in &r.namespaces {
            let _ = writeln!(
                md,
                "| {} | {} | {} |",
                cell_code(&ns.namespace),
                ns.workloads,
                ns.rejected
            );
        }
        let _ = writeln!(
            md,
            "| **Total** | {} | {} |",
            t.workloads, t.workloads_rejected
        );
        let _ = writeln!(md, "\n| Check | Workloads rejected |\n|---|---:|");
        for c in &r.checks {
            let n: usize = r
                .cells
                .iter()
                .filter(|x| &x.check == c)
                .map(|x| x.count)
                .sum();
            let _ = writeln!(md, "| {} | {n} |", cell_code(c));
        }
        let _ = writeln!(
            md,
            "\n| Namespace | Check | Workloads | Which |\n|---|---|---:|---|"
        );
        for c in &r.cells {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} |",
                cell_code(&c.namespace),
                cell_code(&c.check),
                c.count,
                c.workloads
                    .iter()
                    .map(|w| text(w))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        md.push('\n');
    }

    let rejected: Vec<_> = r.workloads.iter().filter(|w| w.rejected).collect();
    if !rejected.is_empty() {
        let _ = writeln!(md, "## The workloads behind the counts\n");
        let mut current = None;
        for w in rejected {
            if current != Some(&w.namespace) {
                if current.is_some() {
                    md.push('\n');
                }
                let _ = writeln!(md, "### {}\n", code(&w.namespace));
                current = Some(&w.namespace);
            }
            let checks: Vec<String> = w.checks.iter().map(|c| code(c)).collect();
            let _ = writeln!(
                md,
                "- **{}** ({}): {}",
                text(&w.label()),
                objects_summary(w),
                checks.join(", ")
            );
            for f in &w.findings {
                let mut line = format!(
                    "  - [{}] {}: {} is {}; required: {}.",
                    text(&f.checks.join(", ")),
                    text(&f.container),
                    code(&f.field),
                    text(&f.found),
                    text(&f.required)
                );
                if let Some(e) = &f.exception {
                    let _ = write!(line, " (judged against exception {})", code(e));
                }
                if !f.fix.is_empty() {
                    let _ = write!(line, " Fix: {}.", text(f.fix.trim_end_matches('.')));
                }
                let _ = writeln!(md, "{line}");
            }
        }
        md.push('\n');
    }

    let _ = writeln!(md, "## Exceptions used\n");
    if r.exceptions_used.is_empty() {
        let _ = writeln!(md, "None.\n");
    } else {
        let _ = writeln!(md, "| Exception | Used by |\n|---|---|");
        for e in &r.exceptions_used {
            let _ = writeln!(
                md,
                "| {} | {} |",
                cell_code(&e.name),
                uses(e)
                    .iter()
                    .map(|u| text(u))
                    .collect::<Vec<_>>()
                    .join("; ")
            );
        }
        md.push('\n');
    }
    if !r.exceptions_unused.is_empty() {
        let list: Vec<String> = r.exceptions_unused.iter().map(|n| code(n)).collect();
        let _ = writeln!(
            md,
            "Not used by any workload listed: {}.\n",
            list.join(", ")
        );
    }

    let fx = &r.fixes;
    if t.workloads_rejected > 0 {
        let _ = writeln!(md, "## Settings changes that would make the rest pass\n");
        let _ = writeln!(
            md,
            "With the {} exception change{} below, **{} of {} rejected workloads pass** (verified: every object evaluated again with them applied; {} workload{} accepted now would be rejected). Review each one: an exception is a grant, and the `reason` is yours to write.\n",
            fx.suggestions.len(),
            if fx.suggestions.len() == 1 { "" } else { "s" },
            fx.workloads_passing,
            t.workloads_rejected,
            fx.newly_rejected.len(),
            if fx.newly_rejected.len() == 1 {
                ""
            } else {
                "s"
            },
        );
        if let Some(message) = &fx.invalid_settings {
            let _ = writeln!(
                md,
                "**The module refused the suggested settings:** {}\n",
                text(message)
            );
        }
        for s in &fx.suggestions {
            let verb = if s.action == "add" { "Add" } else { "Amend" };
            let _ = writeln!(
                md,
                "### {verb} exception {} (namespace {}; {})\n",
                code(&s.name),
                code(&s.namespace),
                s.workloads
                    .iter()
                    .map(|w| text(w))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            let changes: Vec<String> = s.changes.iter().map(|c| code(c)).collect();
            let what = if s.action == "add" {
                "Differs from the standard"
            } else {
                "Changed"
            };
            let _ = writeln!(md, "{what}: {}.\n", changes.join(", "));
            if let Some(first) = &s.before {
                let _ = writeln!(
                    md,
                    "Put it at the top of `exceptions`, before {}: the first exception that matches a container judges it.\n",
                    code(first)
                );
            }
            let _ = writeln!(md, "```yaml\n# under exceptions:\n{}```\n", s.yaml);
        }
        if !fx.manual.is_empty() {
            let _ = writeln!(md, "## Left to fix in the manifests\n");
            for m in &fx.manual {
                let _ = writeln!(
                    md,
                    "- {} **{}**: {}",
                    code(&m.namespace),
                    text(&m.workload),
                    text(&m.reason)
                );
            }
            md.push('\n');
        }
    }
    if !r.errors.is_empty() {
        let _ = writeln!(md, "## Input errors\n");
        for e in &r.errors {
            let _ = writeln!(md, "- {}", text(e));
        }
        md.push('\n');
    }
    let _ = writeln!(
        md,
        "<sub>Verdicts from the module's {}.</sub>",
        r.verdicts_from
    );
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_inert_markdown() {
        let text_cases = [
            ("plain", "Deployment/ai-service", "Deployment/ai-service"),
            ("html", "<img src=x>", "\\<img src=x\\>"),
            ("table", "a|b", "a\\|b"),
            ("link", "[x](http://e)", "\\[x\\](http://e)"),
            ("emphasis", "**x** _y_", "\\*\\*x\\*\\* \\_y\\_"),
            ("code", "`x`", "\\`x\\`"),
            ("entity", "&lt;", "\\&lt;"),
            ("heading", "# x", "\\# x"),
            ("list item", "- x", "\\- x"),
            ("ordered list item", "12. x", "12\\. x"),
            ("line break", "a\nb", "a\\\\nb"),
            ("escape sequence", "\u{1b}[1m", "\\\\u{1b}\\[1m"),
        ];
        for (name, input, want) in text_cases {
            assert_eq!(text(input), want, "{name}");
        }
        let code_cases = [
            ("plain", "ai-service", "`ai-service`"),
            ("html stays literal", "<img src=x>", "`<img src=x>`"),
            ("a backtick", "a`b", "``a`b``"),
            ("starting with a backtick", "`a", "`` `a ``"),
            ("line break", "a\nb", "`a\\nb`"),
        ];
        for (name, input, want) in code_cases {
            assert_eq!(code(input), want, "{name}");
        }
        assert_eq!(cell_code("a|b"), "`a\\|b`");
    }
}
