//! The core flows one way: no module imports one that imports it back. Modules are the
//! top-level ones of `src/` (`checks/*` is `checks`, `settings/*` is `settings`); an edge is a
//! `crate::<module>` path outside test code. The crate root (`lib.rs`) is the facade over them
//! and the waPC glue its adapter, so neither counts.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::arithmetic_side_effects
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The code of a file before its test module (test modules close every file of the core),
/// without comments.
fn non_test_code(text: &str) -> String {
    let code = text.find("#[cfg(test)]").map_or(text, |i| &text[..i]);
    code.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// The top-level modules a file's code names through `crate::`.
fn references(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let ident = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                out.insert(ident(item));
            }
        } else {
            out.insert(ident(rest));
        }
    }
    out.retain(|m| !m.is_empty());
    out
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("src").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    let mut modules: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for path in files {
        let rel = path.strip_prefix(&src).expect("below src");
        let name = rel.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        if matches!(name, "lib" | "wapc_glue" | "testing" | "tests") {
            continue;
        }
        let module = rel
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .unwrap_or_default()
            .trim_end_matches(".rs")
            .to_owned();
        let text = std::fs::read_to_string(&path).expect("source");
        let refs = references(&non_test_code(&text));
        let entry = modules.entry(module.clone()).or_default();
        entry.extend(refs.into_iter().filter(|r| *r != module));
    }
    modules
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let g = graph();
    assert!(g.len() >= 10, "too few modules found: {g:?}");
    // Every path from each module; a path back to itself is a cycle.
    let mut cycles = Vec::new();
    for start in g.keys() {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<(String, Vec<String>)> = vec![(start.clone(), vec![start.clone()])];
        while let Some((m, path)) = stack.pop() {
            for next in g.get(&m).into_iter().flatten() {
                if next == start {
                    cycles.push(format!("{} -> {next}", path.join(" -> ")));
                } else if g.contains_key(next) && seen.insert(next.clone()) {
                    let mut p = path.clone();
                    p.push(next.clone());
                    stack.push((next.clone(), p));
                }
            }
        }
    }
    assert!(
        cycles.is_empty(),
        "import cycles in the core:\n{}",
        cycles.join("\n")
    );
}

#[test]
fn the_reference_scan_sees_groups_and_paths() {
    let refs = references("use crate::{view::X, profile};\nlet a = crate::image::parse(x);");
    let want: BTreeSet<String> = ["view", "profile", "image"].map(String::from).into();
    assert_eq!(refs, want);
    assert_eq!(
        non_test_code("a\n/// see crate::c\n#[cfg(test)]\nuse crate::b;"),
        "a\n"
    );
}
