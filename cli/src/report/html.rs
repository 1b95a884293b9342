//! The report as one self-contained HTML page: inline CSS, an inline SVG chart, no script, no
//! external asset, nothing fetched. Every number carries a `data-` attribute naming what it
//! counts (the browser test compares them with the JSON report).

use std::fmt::Write as _;

use super::Report;

/// Colours of the namespaces in the chart and the legend (cycled).
const PALETTE: [&str; 16] = [
    "#30638e", "#d1495b", "#edae49", "#00798c", "#8f2d56", "#6a994e", "#bc6c25", "#5e548e",
    "#e76f51", "#2a9d8f", "#7f5539", "#457b9d", "#b5838d", "#588157", "#9c6644", "#3d405b",
];

pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// The colour of a namespace (among those with rejections).
fn colour(r: &Report, namespace: &str) -> &'static str {
    let i = r
        .namespaces
        .iter()
        .filter(|n| n.rejected > 0)
        .position(|n| n.namespace == namespace)
        .unwrap_or(0);
    PALETTE.get(i % PALETTE.len()).copied().unwrap_or("#888")
}

const STYLE: &str = "
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;color:#1f2328;background:#f6f8fa}
main{max-width:1180px;margin:0 auto;padding:24px 32px 48px;background:#fff}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
h3{font-size:15px;margin:18px 0 6px}
.meta{color:#59636e;margin:0 0 12px}
.cards{display:flex;gap:12px;margin:16px 0}
.card{flex:1;border:1px solid #d0d7de;border-radius:8px;padding:10px 14px}
.card b{display:block;font-size:26px}.card.bad b{color:#cf222e}.card.good b{color:#1a7f37}
table{border-collapse:collapse;margin:8px 0;font-size:13px}
th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.n{text-align:right;font-variant-numeric:tabular-nums}
td.zero{color:#8c959f;text-align:center}
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;background:#eff1f3;padding:1px 4px;border-radius:4px}
pre{background:#f6f8fa;border:1px solid #d0d7de;border-radius:6px;padding:10px;overflow:auto;font-size:12px}
.legend span{display:inline-block;margin:0 14px 4px 0}.legend i{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:5px;vertical-align:-1px}
ul.findings{margin:2px 0 8px;padding-left:22px;color:#424a53}
.how{color:#59636e;font-size:13px}
.scroll{overflow-x:auto}
";

pub fn render(r: &Report) -> String {
    let mut h = String::new();
    let t = &r.totals;
    let _ = write!(
        h,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>What protect mode would reject</title><style>{STYLE}</style></head><body><main>\n"
    );
    let _ = writeln!(h, "<h1>What protect mode would reject</h1>");
    let enforced: Vec<String> = r
        .enforced
        .iter()
        .map(|e| format!("<code>{}</code> {} → deny", esc(&e.check), esc(&e.was)))
        .collect();
    let _ = writeln!(
        h,
        "<p class=\"meta\">Settings <code>{}</code>, every check enforced{}. Input: {}.</p>",
        esc(&r.settings),
        if enforced.is_empty() {
            String::new()
        } else {
            format!(" ({})", enforced.join(", "))
        },
        r.inputs
            .iter()
            .map(|i| format!("<code>{}</code>", esc(i)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let fx = &r.fixes;
    let _ = writeln!(
        h,
        "<div class=\"cards\">\
         <div class=\"card bad\"><b data-total=\"workloadsRejected\">{}</b>of <span data-total=\"workloads\">{}</span> workloads rejected</div>\
         <div class=\"card bad\"><b data-total=\"objectsRejected\">{}</b>of <span data-total=\"objects\">{}</span> objects rejected</div>\
         <div class=\"card good\"><b data-total=\"workloadsPassing\">{}</b>pass with the suggested exceptions</div>\
         <div class=\"card\"><b data-total=\"manual\">{}</b>left to fix in manifests</div></div>",
        t.workloads_rejected,
        t.workloads,
        t.objects_rejected,
        t.objects,
        fx.workloads_passing,
        fx.manual.len()
    );

    // The chart: one bar per namespace, a segment per check, its length the workloads counted.
    let _ = writeln!(h, "<h2>Rejected workloads by namespace and check</h2>");
    if r.cells.is_empty() {
        let _ = writeln!(h, "<p>Nothing would be rejected.</p>");
    } else {
        // One bar per check, as long as the workloads it rejects; a segment per namespace
        // (a workload is in one namespace, so the segments add up to the bar).
        let mut rows: Vec<(&String, usize)> = r
            .checks
            .iter()
            .map(|c| {
                (
                    c,
                    r.cells
                        .iter()
                        .filter(|x| &x.check == c)
                        .map(|x| x.count)
                        .sum(),
                )
            })
            .collect();
        rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let max = rows.iter().map(|r| r.1).max().unwrap_or(1).max(1);
        let (label_w, bar_w, row_h) = (210usize, 720usize, 22usize);
        let height = rows.len() * row_h + 28;
        let width = label_w + bar_w + 60;
        let _ = writeln!(
            h,
            "<svg id=\"chart\" role=\"img\" aria-label=\"workloads rejected by each check, by namespace\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" xmlns=\"http://www.w3.org/2000/svg\" font-family=\"system-ui,sans-serif\" font-size=\"12\">"
        );
        for (i, (check, total)) in rows.iter().enumerate() {
            let y = i * row_h + 4;
            let _ = writeln!(
                h,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"#1f2328\" font-family=\"ui-monospace,monospace\">{}</text>",
                label_w - 8,
                y + 13,
                esc(check)
            );
            let mut x = label_w;
            for c in r.cells.iter().filter(|c| &c.check == *check) {
                let w = c.count * bar_w / max;
                let _ = writeln!(
                    h,
                    "<rect class=\"seg\" data-namespace=\"{}\" data-check=\"{}\" data-count=\"{}\" x=\"{x}\" y=\"{y}\" width=\"{}\" height=\"{}\" fill=\"{}\"><title>{}: {} rejects {} workload{}</title></rect>",
                    esc(&c.namespace),
                    esc(&c.check),
                    c.count,
                    w.saturating_sub(1).max(1),
                    row_h - 5,
                    colour(r, &c.namespace),
                    esc(&c.namespace),
                    esc(&c.check),
                    c.count,
                    if c.count == 1 { "" } else { "s" }
                );
                x += w;
            }
            let _ = writeln!(
                h,
                "<text class=\"total\" data-check=\"{}\" x=\"{}\" y=\"{}\" fill=\"#59636e\">{total}</text>",
                esc(check),
                x + 6,
                y + 13
            );
        }
        let _ = writeln!(
            h,
            "<text x=\"{label_w}\" y=\"{}\" fill=\"#59636e\">bar: the workloads a check rejects, coloured by namespace</text></svg>",
            height - 6
        );
        let _ = writeln!(h, "<p class=\"legend\">");
        for n in r.namespaces.iter().filter(|n| n.rejected > 0) {
            let _ = write!(
                h,
                "<span><i style=\"background:{}\"></i><code>{}</code></span>",
                colour(r, &n.namespace),
                esc(&n.namespace)
            );
        }
        let _ = writeln!(h, "</p>");
        let max_cell = r.cells.iter().map(|c| c.count).max().unwrap_or(1).max(1);

        // The table: the same counts, in numbers.
        let _ = write!(
            h,
            "<table id=\"counts\"><thead><tr><th>Namespace</th><th>Workloads</th><th>Rejected</th>"
        );
        for c in &r.checks {
            let _ = write!(h, "<th><code>{}</code></th>", esc(c));
        }
        let _ = writeln!(h, "</tr></thead><tbody>");
        for n in &r.namespaces {
            let _ = write!(
                h,
                "<tr><th><code>{}</code></th><td class=\"n\" data-namespace-workloads=\"{0}\">{}</td><td class=\"n\" data-namespace-rejected=\"{0}\">{}</td>",
                esc(&n.namespace),
                n.workloads,
                n.rejected
            );
            for c in &r.checks {
                match r
                    .cells
                    .iter()
                    .find(|x| x.namespace == n.namespace && &x.check == c)
                {
                    Some(cell) => {
                        let _ = write!(
                            h,
                            "<td class=\"n\" style=\"background:rgba(207,34,46,{:.2})\" data-cell=\"{}|{}\" title=\"{}\">{}</td>",
                            0.08 + 0.37 * cell.count as f64 / max_cell as f64,
                            esc(&n.namespace),
                            esc(c),
                            esc(&cell.workloads.join(", ")),
                            cell.count
                        );
                    }
                    None => h.push_str("<td class=\"zero\">·</td>"),
                }
            }
            h.push_str("</tr>\n");
        }
        let _ = writeln!(h, "</tbody></table></div>");
    }
    let _ = writeln!(h, "<p class=\"how\">{}</p>", esc(&r.counting));

    let rejected: Vec<_> = r.workloads.iter().filter(|w| w.rejected).collect();
    if !rejected.is_empty() {
        let _ = writeln!(h, "<h2>The workloads behind the counts</h2>");
        let mut current = None;
        for w in rejected {
            if current != Some(&w.namespace) {
                if current.is_some() {
                    h.push_str("</ul>\n");
                }
                let _ = writeln!(h, "<h3><code>{}</code></h3><ul>", esc(&w.namespace));
                current = Some(&w.namespace);
            }
            let checks: Vec<String> = w
                .checks
                .iter()
                .map(|c| format!("<code>{}</code>", esc(c)))
                .collect();
            let _ = write!(
                h,
                "<li class=\"workload\" data-workload=\"{}/{}\"><b>{}</b> ({} object{}): {}<ul class=\"findings\">",
                esc(&w.namespace),
                esc(&w.label()),
                esc(&w.label()),
                w.objects.len(),
                if w.objects.len() == 1 { "" } else { "s" },
                checks.join(", ")
            );
            for f in &w.findings {
                let _ = write!(
                    h,
                    "<li>[{}] {}: <code>{}</code> is {}; required: {}.{}</li>",
                    esc(&f.checks.join(", ")),
                    esc(&f.container),
                    esc(&f.field),
                    esc(&f.found),
                    esc(&f.required),
                    f.exception
                        .as_deref()
                        .map(|e| format!(" (judged against exception <code>{}</code>)", esc(e)))
                        .unwrap_or_default()
                );
            }
            h.push_str("</ul></li>\n");
        }
        h.push_str("</ul>\n");
    }

    let _ = writeln!(h, "<h2>Exceptions used</h2>");
    if r.exceptions_used.is_empty() {
        let _ = writeln!(h, "<p>None.</p>");
    } else {
        let _ = writeln!(
            h,
            "<table id=\"exceptions\"><thead><tr><th>Exception</th><th>Workloads</th><th>Used by</th></tr></thead><tbody>"
        );
        for e in &r.exceptions_used {
            let _ = writeln!(
                h,
                "<tr><td><code>{}</code></td><td class=\"n\" data-exception=\"{0}\">{}</td><td>{}</td></tr>",
                esc(&e.name),
                e.workloads.len(),
                esc(&super::markdown::uses(e).join("; "))
            );
        }
        let _ = writeln!(h, "</tbody></table>");
    }
    if !r.exceptions_unused.is_empty() {
        let list: Vec<String> = r
            .exceptions_unused
            .iter()
            .map(|n| format!("<code>{}</code>", esc(n)))
            .collect();
        let _ = writeln!(
            h,
            "<p>Not used by any workload listed: {}.</p>",
            list.join(", ")
        );
    }

    if t.workloads_rejected > 0 {
        let _ = writeln!(h, "<h2>Settings changes that would make the rest pass</h2>");
        let _ = writeln!(
            h,
            "<p>With these {} exception changes, <b>{} of {} rejected workloads pass</b> (verified: every object evaluated again with them applied; {} accepted workloads would be rejected). Review each one: an exception is a grant, and the <code>reason</code> is yours to write.</p>",
            fx.suggestions.len(),
            fx.workloads_passing,
            t.workloads_rejected,
            fx.newly_rejected.len()
        );
        if let Some(message) = &fx.invalid_settings {
            let _ = writeln!(
                h,
                "<p><b>The module refused the suggested settings:</b> {}</p>",
                esc(message)
            );
        }
        for s in &fx.suggestions {
            let changes: Vec<String> = s
                .changes
                .iter()
                .map(|c| format!("<code>{}</code>", esc(c)))
                .collect();
            let _ = writeln!(
                h,
                "<h3 class=\"suggestion\" data-suggestion=\"{}\">{} exception <code>{}</code> (namespace <code>{}</code>; {})</h3><p>{}: {}.{}</p><pre>{}</pre>",
                esc(&s.name),
                if s.action == "add" { "Add" } else { "Amend" },
                esc(&s.name),
                esc(&s.namespace),
                esc(&s.workloads.join(", ")),
                if s.action == "add" {
                    "Differs from the standard"
                } else {
                    "Changed"
                },
                changes.join(", "),
                s.before
                    .as_deref()
                    .map(|f| format!(" Put it at the top of <code>exceptions</code>, before <code>{}</code>: the first exception that matches a container judges it.", esc(f)))
                    .unwrap_or_default(),
                esc(&s.yaml)
            );
        }
        if !fx.manual.is_empty() {
            let _ = writeln!(h, "<h2>Left to fix in the manifests</h2><ul>");
            for m in &fx.manual {
                let _ = writeln!(
                    h,
                    "<li class=\"manual\"><code>{}</code> <b>{}</b>: {}</li>",
                    esc(&m.namespace),
                    esc(&m.workload),
                    esc(&m.reason)
                );
            }
            let _ = writeln!(h, "</ul>");
        }
    }
    if !r.errors.is_empty() {
        let _ = writeln!(h, "<h2>Input errors</h2><ul>");
        for e in &r.errors {
            let _ = writeln!(h, "<li>{}</li>", esc(e));
        }
        let _ = writeln!(h, "</ul>");
    }
    let _ = writeln!(
        h,
        "<p class=\"how\">Verdicts from the module's {}.</p>",
        esc(&r.verdicts_from)
    );
    h.push_str("</main></body></html>\n");
    h
}
