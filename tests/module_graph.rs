//! Every crate of the workspace flows one way: no module imports one that imports it back.
//! Modules are the top-level ones of a crate's `src/` (`checks/*` is `checks`, `settings/*` is
//! `settings`); an edge is a `crate::<module>` path outside test code, or a `crate::<name>` the
//! crate root re-exports from a module (`pub use image_users::ImageUserTable` makes
//! `crate::ImageUserTable` an edge to `image_users`). The crate roots (`lib.rs`, `main.rs`,
//! `src/bin/*`) are the facades over the modules and the core's waPC glue its adapter, so none
//! of them counts; nor do test helpers (`testing.rs`, `tests.rs`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A crate's modules and the modules each one names.
type Graph = BTreeMap<String, BTreeSet<String>>;

/// The code of a file before its test module (test modules close every file), without
/// comments.
fn non_test_code(text: &str) -> String {
    let code = ["#[cfg(test)]", "#[cfg(all(test"]
        .iter()
        .filter_map(|marker| text.find(marker))
        .min()
        .map_or(text, |i| &text[..i]);
    code.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .map(|l| format!("{l}\n"))
        .collect()
}

fn ident(s: &str) -> String {
    s.trim_start()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

/// The names a file's code reaches through `crate::`: modules, or items of the crate root.
fn references(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
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

/// What a crate root re-exports: item name → the module it comes from
/// (`pub use manifest::{Document, Entry};`, `pub use request::Requester;`).
fn re_exports(root: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (i, _) in root.match_indices("pub use ") {
        let rest = &root[i + "pub use ".len()..];
        let statement = &rest[..rest.find(';').unwrap_or(rest.len())];
        let Some((module, items)) = statement.split_once("::") else {
            continue;
        };
        let items = items.trim_start_matches('{').trim_end_matches('}');
        for item in items.split(',') {
            // `a::b::Item` names a module below `module`; `Item as Alias` exports `Alias`.
            let last = item.rsplit("::").next().unwrap_or(item);
            let name = last.rsplit(" as ").next().unwrap_or(last);
            let name = ident(name);
            if !name.is_empty() {
                out.insert(name, ident(module));
            }
        }
    }
    out
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
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
    files.sort();
    files
}

/// The module graph of the crate (or crates: a library and its binary) in `src`.
fn graph(src: &Path) -> Graph {
    let read = |path: &Path| std::fs::read_to_string(path).expect("source");
    let mut aliases = BTreeMap::new();
    for root in ["lib.rs", "main.rs"] {
        let path = src.join(root);
        if path.is_file() {
            aliases.extend(re_exports(&non_test_code(&read(&path))));
        }
    }
    let mut modules = Graph::new();
    for path in rust_files(src) {
        let rel = path.strip_prefix(src).expect("below src");
        let top = rel
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .unwrap_or_default();
        let stem = rel.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        let crate_root = rel.components().count() == 1 && matches!(stem, "lib" | "main");
        if crate_root || top == "bin" || matches!(stem, "wapc_glue" | "testing" | "tests") {
            continue;
        }
        let module = top.trim_end_matches(".rs").to_owned();
        let refs = references(&non_test_code(&read(&path)));
        let named: Vec<String> = refs
            .into_iter()
            .map(|r| aliases.get(&r).cloned().unwrap_or(r))
            .filter(|r| *r != module)
            .collect();
        modules.entry(module).or_default().extend(named);
    }
    // Only modules count as edges (`crate::SomeFunction` of the root is not one).
    let names: BTreeSet<String> = modules.keys().cloned().collect();
    for refs in modules.values_mut() {
        refs.retain(|r| names.contains(r));
    }
    modules
}

/// Every path from a module back to itself, as `a -> b -> a`.
fn cycles(g: &Graph) -> Vec<String> {
    let mut found = Vec::new();
    for start in g.keys() {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<(String, Vec<String>)> = vec![(start.clone(), vec![start.clone()])];
        while let Some((m, path)) = stack.pop() {
            for next in g.get(&m).into_iter().flatten() {
                if next == start {
                    found.push(format!("{} -> {next}", path.join(" -> ")));
                } else if g.contains_key(next) && seen.insert(next.clone()) {
                    let mut p = path.clone();
                    p.push(next.clone());
                    stack.push((next.clone(), p));
                }
            }
        }
    }
    found
}

/// The workspace's members (as the root Cargo.toml's `members` list names them) and their
/// directories.
fn members() -> Vec<(String, PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).expect("Cargo.toml");
    let list = manifest
        .split_once("members = [")
        .and_then(|(_, rest)| rest.split_once(']'))
        .map(|(list, _)| list)
        .expect("a members list in Cargo.toml");
    list.split(',')
        .map(|m| m.trim().trim_matches('"'))
        .filter(|m| !m.is_empty())
        .map(|m| (m.to_owned(), root.join(m)))
        .collect()
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let members = members();
    assert!(members.len() >= 7, "too few workspace members: {members:?}");
    let mut problems = Vec::new();
    for (name, dir) in &members {
        let src = dir.join("src");
        assert!(src.is_dir(), "{} has no src/", dir.display());
        let g = graph(&src);
        let label = if name == "." { "the core" } else { name };
        if name == "." {
            assert!(g.len() >= 10, "too few modules found in the core: {g:?}");
        }
        problems.extend(cycles(&g).into_iter().map(|c| format!("{label}: {c}")));
    }
    assert!(
        problems.is_empty(),
        "import cycles:\n{}",
        problems.join("\n")
    );
}

#[test]
fn a_cycle_is_found_however_long() {
    let g: Graph = [
        ("a", &["b"][..]),
        ("b", &["c"]),
        ("c", &["a"]),
        ("d", &["a"]),
    ]
    .into_iter()
    .map(|(m, refs)| (m.to_owned(), refs.iter().map(|r| r.to_string()).collect()))
    .collect();
    let found = cycles(&g);
    assert!(found.contains(&"a -> b -> c -> a".to_owned()), "{found:?}");
    assert!(!found.iter().any(|c| c.starts_with("d ")), "{found:?}");
    let mut acyclic = g.clone();
    acyclic.insert("c".to_owned(), BTreeSet::new());
    assert!(cycles(&acyclic).is_empty());
}

#[test]
fn the_reference_scan_sees_groups_paths_and_re_exports() {
    let refs = references("use crate::{view::X, profile};\nlet a = crate::image::parse(x);");
    let want: BTreeSet<String> = ["view", "profile", "image"].map(String::from).into();
    assert_eq!(refs, want);
    assert_eq!(
        non_test_code("a\n/// see crate::c\n#[cfg(test)]\nuse crate::b;"),
        "a\n"
    );
    assert_eq!(
        non_test_code("a\n#[cfg(all(test, feature = \"x\"))]\nuse crate::b;"),
        "a\n"
    );
    let exports = re_exports(
        "pub use image_users::ImageUserTable;\npub use manifest::{Document, Entry as E};\n\
         pub use request::{AdmissionRequestBuilder, DEFAULT_NAMESPACE};",
    );
    assert_eq!(exports["ImageUserTable"], "image_users");
    assert_eq!(exports["Document"], "manifest");
    assert_eq!(exports["E"], "manifest");
    assert_eq!(exports["DEFAULT_NAMESPACE"], "request");
}
