//! The report as Markdown, for a pull request.

use std::fmt::Write as _;

use super::Report;

/// `a|b` would end a table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
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
                format!("1 {k}")
            } else {
                format!("{n} {k}s")
            }
        })
        .collect();
    let mut s = listed.join(", ");
    if !w.in_input {
        s.push_str(&format!("; the {} itself is not in the input", w.kind));
    }
    s
}

/// `matih-ai/Deployment/ai-service (container "ai-service" and the pod)` for each use.
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
            .map(|e| format!("`{}` {} → deny", e.check, e.was))
            .collect();
        format!(" ({})", list.join(", "))
    };
    let _ = writeln!(
        md,
        "Settings `{}`, every check enforced{enforced}. Input: {}.\n",
        r.settings,
        r.inputs
            .iter()
            .map(|i| format!("`{i}`"))
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
                "| `{}` | {} | {} |",
                ns.namespace, ns.workloads, ns.rejected
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
            let _ = writeln!(md, "| `{c}` | {n} |");
        }
        let _ = writeln!(
            md,
            "\n| Namespace | Check | Workloads | Which |\n|---|---|---:|---|"
        );
        for c in &r.cells {
            let _ = writeln!(
                md,
                "| `{}` | `{}` | {} | {} |",
                c.namespace,
                c.check,
                c.count,
                cell(&c.workloads.join(", "))
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
                let _ = writeln!(md, "### `{}`\n", w.namespace);
                current = Some(&w.namespace);
            }
            let checks: Vec<String> = w.checks.iter().map(|c| format!("`{c}`")).collect();
            let _ = writeln!(
                md,
                "- **{}** ({}): {}",
                w.label(),
                objects_summary(w),
                checks.join(", ")
            );
            for f in &w.findings {
                let mut line = format!(
                    "  - [{}] {}: `{}` is {}; required: {}.",
                    f.checks.join(", "),
                    f.container,
                    f.field,
                    f.found,
                    f.required
                );
                if let Some(e) = &f.exception {
                    let _ = write!(line, " (judged against exception `{e}`)");
                }
                if !f.fix.is_empty() {
                    let _ = write!(line, " Fix: {}.", f.fix.trim_end_matches('.'));
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
                "| `{}` | {} |",
                cell(&e.name),
                cell(&uses(e).join("; "))
            );
        }
        md.push('\n');
    }
    if !r.exceptions_unused.is_empty() {
        let list: Vec<String> = r
            .exceptions_unused
            .iter()
            .map(|n| format!("`{n}`"))
            .collect();
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
                "**The module refused the suggested settings:** {message}\n"
            );
        }
        for s in &fx.suggestions {
            let verb = if s.action == "add" { "Add" } else { "Amend" };
            let _ = writeln!(
                md,
                "### {verb} exception `{}` (namespace `{}`; {})\n",
                s.name,
                s.namespace,
                s.workloads.join(", ")
            );
            let changes: Vec<String> = s.changes.iter().map(|c| format!("`{c}`")).collect();
            let what = if s.action == "add" {
                "Differs from the standard"
            } else {
                "Changed"
            };
            let _ = writeln!(md, "{what}: {}.\n", changes.join(", "));
            if let Some(first) = &s.before {
                let _ = writeln!(
                    md,
                    "Put it at the top of `exceptions`, before `{first}`: the first exception that matches a container judges it.\n"
                );
            }
            let _ = writeln!(md, "```yaml\n# under exceptions:\n{}```\n", s.yaml);
        }
        if !fx.manual.is_empty() {
            let _ = writeln!(md, "## Left to fix in the manifests\n");
            for m in &fx.manual {
                let _ = writeln!(md, "- `{}` **{}**: {}", m.namespace, m.workload, m.reason);
            }
            md.push('\n');
        }
    }
    if !r.errors.is_empty() {
        let _ = writeln!(md, "## Input errors\n");
        for e in &r.errors {
            let _ = writeln!(md, "- {e}");
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
