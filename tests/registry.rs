//! The registry is the one list of checks: every check declares its ID, whether it enforces the
//! standard, the floor level it enforces and the Pod Security Standards version it follows.
//! These tests hold the rest of the project to it: unique IDs, one file per check named after
//! its ID, and check tables in the docs that list exactly the registry.

use security_context_policy::checks::{PSS_VERSION, REGISTRY, ids};
use security_context_policy::profile::Level;
use std::collections::BTreeSet;
use std::path::Path;

fn snake_case(id: &str) -> String {
    let mut out = String::new();
    for c in id.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn ids_are_unique_and_derived_from_the_registry() {
    let ids = ids();
    let unique: BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "duplicate check IDs: {ids:?}");
    assert_eq!(ids.len(), REGISTRY.len());
    for check in REGISTRY {
        assert!(
            check.standard || check.floor.is_some(),
            "{}: neither a standard check nor a floor check",
            check.id
        );
        assert_eq!(
            check.pss.is_some(),
            check.floor.is_some(),
            "{}: a floor check names the PSS version it follows, and only a floor check",
            check.id
        );
        if let Some(v) = check.pss {
            assert_eq!(v, PSS_VERSION, "{}", check.id);
        }
        assert!(!check.summary.is_empty(), "{}: no summary", check.id);
    }
}

#[test]
fn each_check_lives_in_the_file_named_after_its_id() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/checks");
    let mut files: BTreeSet<String> = std::fs::read_dir(&dir)
        .expect("src/checks")
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter_map(|n| n.strip_suffix(".rs").map(str::to_owned))
        .filter(|n| n != "mod" && n != "testing")
        .collect();
    for check in REGISTRY {
        let file = snake_case(check.id);
        assert!(
            files.remove(&file),
            "check {} should live in src/checks/{file}.rs",
            check.id
        );
        let text = std::fs::read_to_string(dir.join(format!("{file}.rs"))).expect("check file");
        assert!(
            text.contains(&format!("pub const ID: &str = \"{}\";", check.id)),
            "src/checks/{file}.rs does not declare ID {}",
            check.id
        );
        assert!(
            text.starts_with("//! `"),
            "src/checks/{file}.rs: starts with a doc comment naming its ID"
        );
        assert!(
            text.contains("#[cfg(test)]"),
            "src/checks/{file}.rs: no table of named cases"
        );
    }
    assert!(
        files.is_empty(),
        "files in src/checks that no registered check lives in: {files:?}"
    );
}

/// The rows of the markdown table that follows `header` in `section`: first cell (the ID, in
/// backticks) and second cell.
fn table_rows<'t>(section: &'t str, header: &str) -> Vec<(&'t str, &'t str)> {
    let Some(start) = section.find(header) else {
        panic!("no table headed {header:?}");
    };
    section[start..]
        .lines()
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .filter_map(|l| {
            let mut cells = l.split('|').skip(1).map(str::trim);
            let id = cells.next()?.trim_matches('`');
            Some((id, cells.next().unwrap_or("")))
        })
        .collect()
}

#[test]
fn the_docs_list_exactly_the_registry() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let docs = root.join("docs/checks.md");
    let text = std::fs::read_to_string(&docs)
        .or_else(|_| std::fs::read_to_string(root.join("README.md")))
        .expect("the check tables");
    let standard: BTreeSet<&str> = table_rows(&text, "| ID | Requires | Fix")
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let floor: BTreeSet<(&str, &str)> = table_rows(&text, "| ID | Level | Requires |")
        .into_iter()
        .collect();
    let want_standard: BTreeSet<&str> = REGISTRY
        .iter()
        .filter(|c| c.standard)
        .map(|c| c.id)
        .collect();
    let want_floor: BTreeSet<(&str, &str)> = REGISTRY
        .iter()
        .filter_map(|c| c.floor.map(|l| (c.id, l.as_str())))
        .collect();
    assert_eq!(standard, want_standard, "the standard checks table");
    assert_eq!(floor, want_floor, "the floor checks table (ID, level)");
    assert!(
        want_floor
            .iter()
            .all(|(_, l)| *l != Level::Privileged.as_str())
    );
}
