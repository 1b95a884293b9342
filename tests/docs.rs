//! The documentation holds together and stays in step with the code:
//! - every relative link of `README.md` and `docs/*.md` leads to a file of the repository, and
//!   every `#anchor` to a heading of the page it names;
//! - `docs/usage.md`, the module's usage text (`make wasm` embeds it), lists every check of the
//!   registry with where it comes from, and every settings key that is top-level or under
//!   `podSecurityContext` / `securityContext`, and no key the code does not accept; its settings
//!   are valid and its rejection message is the one the policy gives;
//! - the README's tour shows the rejection the policy gives.

mod common;

use security_context_policy::checks::REGISTRY;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

fn read(rel: &str) -> String {
    let path = common::repo().join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// README.md and every page of docs/, as paths relative to the repository root.
fn doc_pages() -> Vec<String> {
    let mut pages = vec!["README.md".to_owned()];
    let mut docs: Vec<String> = std::fs::read_dir(common::repo().join("docs"))
        .expect("docs/")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".md"))
        .map(|n| format!("docs/{n}"))
        .collect();
    docs.sort();
    assert!(docs.len() >= 8, "docs/ holds too few pages: {docs:?}");
    pages.extend(docs);
    pages
}

/// The lines of `text` outside fenced code blocks, with their line numbers.
fn prose_lines(text: &str) -> Vec<(usize, &str)> {
    let mut fenced = false;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if !fenced {
            out.push((i + 1, line));
        }
    }
    out
}

/// GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ' '))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The anchors of a page's headings; a repeated heading gets `-1`, `-2`, … as on GitHub.
fn anchors(text: &str) -> BTreeSet<String> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut out = BTreeSet::new();
    for (_, line) in prose_lines(text) {
        let hashes = line.chars().take_while(|&c| c == '#').count();
        if !(1..=6).contains(&hashes) || !line[hashes..].starts_with(' ') {
            continue;
        }
        let s = slug(&line[hashes..]);
        let n = seen.entry(s.clone()).or_insert(0);
        out.insert(if *n == 0 {
            s.clone()
        } else {
            format!("{s}-{n}")
        });
        *n += 1;
    }
    out
}

/// The link targets of a line (`[text](target)`, images too), code spans left out.
fn link_targets(line: &str) -> Vec<String> {
    let mut prose = String::new();
    for (i, part) in line.split('`').enumerate() {
        if i % 2 == 0 {
            prose.push_str(part);
        }
    }
    prose
        .split("](")
        .skip(1)
        .filter_map(|rest| rest.split(')').next())
        .map(|t| t.split_whitespace().next().unwrap_or("").to_owned())
        .collect()
}

/// `base/rel` with `.` and `..` resolved, relative to the repository root.
fn resolve(base: &Path, rel: &str) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for c in base.join(rel).components() {
        match c {
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    Some(out)
}

#[test]
fn every_relative_link_and_anchor_of_the_docs_resolves() {
    let root = common::repo();
    let pages = doc_pages();
    let mut broken = Vec::new();
    let mut checked = 0;
    for page in &pages {
        let text = read(page);
        let dir = Path::new(page).parent().unwrap_or(Path::new(""));
        for (n, line) in prose_lines(&text) {
            for target in link_targets(line) {
                if target.contains("://") || target.starts_with("mailto:") {
                    continue;
                }
                checked += 1;
                let (path, anchor) = target.split_once('#').unwrap_or((target.as_str(), ""));
                let file = if path.is_empty() {
                    Some(PathBuf::from(page))
                } else {
                    resolve(dir, path)
                };
                let Some(file) = file.filter(|f| root.join(f).exists()) else {
                    broken.push(format!("{page}:{n}: {target}: no such file"));
                    continue;
                };
                if anchor.is_empty() {
                    continue;
                }
                let is_md = file.extension().is_some_and(|e| e == "md");
                let found = is_md
                    && std::fs::read_to_string(root.join(&file))
                        .is_ok_and(|t| anchors(&t).contains(anchor));
                if !found {
                    broken.push(format!(
                        "{page}:{n}: {target}: no heading #{anchor} in {}",
                        file.display()
                    ));
                }
            }
        }
    }
    assert!(checked > 50, "too few relative links found ({checked})");
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn the_link_checker_reads_headings_as_github_does() {
    assert_eq!(slug("1. Install Kubewarden"), "1-install-kubewarden");
    assert_eq!(
        slug("Image-user verification, cluster-wide and namespaced"),
        "image-user-verification-cluster-wide-and-namespaced"
    );
    assert_eq!(slug("The `checker` CLI"), "the-checker-cli");
    let a = anchors("# A\n\n```sh\n# not a heading\n```\n## A\n");
    assert_eq!(a, BTreeSet::from(["a".to_owned(), "a-1".to_owned()]));
    assert_eq!(
        link_targets("see [x](a.md#b) and `[y](not-a-link)`, ![img](p.png)"),
        vec!["a.md#b", "p.png"]
    );
}

// ---------------------------------------------------------------------------------------------
// docs/usage.md

/// The first cells of the rows of every table of `text` whose header starts with `header`.
fn table_cells(text: &str, header: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if !line.starts_with(header) {
            continue;
        }
        lines.next(); // |---|
        for row in lines.by_ref().take_while(|l| l.starts_with('|')) {
            rows.push(
                row.trim_matches('|')
                    .split(" | ")
                    .map(|c| c.trim().trim_matches('`').to_owned())
                    .collect(),
            );
        }
    }
    assert!(!rows.is_empty(), "no table headed {header:?}");
    rows
}

/// The fenced blocks of `text` with the given info string (`yaml`, `text`).
fn blocks<'t>(text: &'t str, info: &str) -> Vec<&'t str> {
    let open = format!("```{info}\n");
    text.split(&open)
        .skip(1)
        .map(|b| b.split("\n```").next().expect("a closed block"))
        .collect()
}

fn settings_valid(settings: &Value) -> Value {
    let out = security_context_policy::validate_settings(settings.to_string().as_bytes());
    serde_json::from_slice(&out).expect("validate_settings answers JSON")
}

#[test]
fn usage_page_lists_every_check_with_where_it_comes_from() {
    let usage = read("docs/usage.md");
    let listed: BTreeMap<String, String> = table_cells(&usage, "| Check ID |")
        .into_iter()
        .map(|cells| (cells[0].clone(), cells[1].clone()))
        .collect();
    let want: BTreeMap<String, String> = REGISTRY
        .iter()
        .map(|c| {
            let mut from = Vec::new();
            if c.standard {
                from.push("standard".to_owned());
            }
            if let Some(level) = c.floor {
                from.push(format!("{} floor", level.as_str()));
            }
            (c.id.to_owned(), from.join(", "))
        })
        .collect();
    assert_eq!(
        listed, want,
        "docs/usage.md's check table (ID, from) is out of step with the registry"
    );
}

#[test]
fn usage_page_lists_the_settings_keys() {
    let usage = read("docs/usage.md");
    let code: BTreeSet<String> = security_context_policy::settings::keys()
        .into_iter()
        .collect();
    let documented: BTreeSet<String> = table_cells(&usage, "| Key |")
        .into_iter()
        .map(|cells| cells[0].clone())
        .collect();
    let required: BTreeSet<String> = code
        .iter()
        .filter(|k| {
            !k.contains('.')
                || k.starts_with("podSecurityContext.")
                || k.starts_with("securityContext.")
        })
        .cloned()
        .collect();
    let missing: Vec<&String> = required.difference(&documented).collect();
    let unknown: Vec<&String> = documented.difference(&code).collect();
    assert!(
        missing.is_empty() && unknown.is_empty(),
        "docs/usage.md's settings tables are out of step with the settings keys the code exports\n  not documented: {missing:?}\n  not settings keys: {unknown:?}"
    );
}

#[test]
fn usage_page_examples_are_what_the_policy_accepts_and_says() {
    let usage = read("docs/usage.md");
    let yaml = blocks(&usage, "yaml");
    assert!(yaml.len() >= 2, "docs/usage.md shows too few YAML examples");
    for block in yaml {
        let doc: Value = serde_norway::from_str(block).unwrap_or_else(|e| panic!("{e}:\n{block}"));
        let settings = if doc["kind"] == "ClusterAdmissionPolicy" {
            doc["spec"]["settings"].clone()
        } else {
            doc
        };
        let answer = settings_valid(&settings);
        assert_eq!(answer["valid"], json!(true), "{answer}:\n{block}");
    }
    let shown = blocks(&usage, "text");
    assert_eq!(shown.len(), 1, "docs/usage.md shows one rejection");
    let manifest = common::repo().join("examples/manifests/violating/writable-root.yaml");
    let obj = common::yaml_file(&manifest).remove(0);
    let out = common::evaluate(&obj, "matih-ai", &json!({}));
    assert_eq!(
        out.message.as_deref(),
        Some(shown[0]),
        "docs/usage.md shows another rejection than the policy gives for writable-root.yaml with {{}}"
    );
}

#[test]
fn readme_tour_shows_the_rejection_the_policy_gives() {
    let readme = read("README.md");
    let header = "REJECTED Deployment matih-ai/ai-service\n";
    let block = readme
        .split(header)
        .nth(1)
        .and_then(|b| b.split("\n```").next())
        .expect("the README's tour shows the checker's output for writable-root.yaml");
    let warnings: Vec<&str> = block
        .lines()
        .filter_map(|l| l.strip_prefix("  warning: "))
        .collect();
    let manifest = common::repo().join("examples/manifests/violating/writable-root.yaml");
    let obj = common::yaml_file(&manifest).remove(0);
    let settings = common::yaml_settings("examples/settings/matih.yml");
    let out = common::evaluate(&obj, "matih-ai", &settings);
    assert!(!out.accepted);
    // The checker's text: one line per finding, located, and the fix of each check once.
    let mut want = Vec::new();
    for row in &out.violations {
        let exception = row
            .exception
            .as_ref()
            .map(|e| format!(" (exception {e:?})"))
            .unwrap_or_default();
        want.push(format!(
            "{} {}: {}: {}: found {}; required {}{exception}",
            row.action,
            row.checks.join(", "),
            row.container,
            row.field,
            row.found,
            row.required
        ));
        want.push(format!("    fix: {}", row.fix));
    }
    let shown: Vec<String> = block
        .lines()
        .filter(|l| !l.starts_with("  warning: ") && !l.starts_with("  audit: "))
        .map(|l| match l.split_once("): ") {
            Some((at, rest)) if l.starts_with("  examples/") && at.contains(':') => rest.to_owned(),
            _ => l.to_owned(),
        })
        .collect();
    assert_eq!(
        shown, want,
        "the README's tour shows other findings than the policy gives"
    );
    assert_eq!(
        out.warnings, warnings,
        "the README's tour shows other warnings"
    ); // The checker's located finding: line 60, column 13 of the manifest is the field.
    let located = "  examples/manifests/violating/writable-root.yaml:60:13 \
                   (ai-service/templates/deployment.yaml): deny readOnlyRootFilesystem: ";
    assert!(
        block.lines().any(|l| l.starts_with(located)),
        "the README's tour shows no finding at writable-root.yaml:60:13"
    );
    let text = std::fs::read_to_string(&manifest).unwrap_or_default();
    let line = text.lines().nth(59).unwrap_or_default();
    assert!(
        line.get(12..)
            .is_some_and(|l| l.starts_with("readOnlyRootFilesystem: false")),
        "writable-root.yaml:60:13 is no longer the field: {line:?}"
    );
}
