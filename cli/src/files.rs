//! Which files a directory given as input stands for: the manifests below it.

use std::path::{Path, PathBuf};

/// Files under `dir` that look like manifests (`*.yaml`, `*.yml`, `*.json`), recursively, in
/// sorted order so that every run reads them alike. A directory that cannot be listed, or
/// holds no manifest, is an error naming it.
pub fn manifest_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    collect(dir, &mut out)?;
    if out.is_empty() {
        return Err(format!(
            "{}: no *.yaml, *.yml or *.json files in this directory",
            dir.display()
        ));
    }
    Ok(out)
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let cannot = |e: std::io::Error| format!("{}: cannot list: {e}", dir.display());
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(cannot)? {
        paths.push(entry.map_err(cannot)?.path());
    }
    paths.sort();
    for path in paths {
        if path.is_dir() {
            collect(&path, out)?;
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e, "yaml" | "yml" | "json"))
        {
            out.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifests_below_a_directory_sorted() {
        let dir = std::env::temp_dir().join(format!("scp-files-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for f in [
            "b.yaml",
            "a.json",
            "sub/c.yml",
            "notes.txt",
            "sub/deeper/d.yaml",
        ] {
            let p = dir.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "").unwrap();
        }
        let found: Vec<String> = manifest_files(&dir)
            .unwrap()
            .iter()
            .map(|p| p.strip_prefix(&dir).unwrap().display().to_string())
            .collect();
        assert_eq!(
            found,
            ["a.json", "b.yaml", "sub/c.yml", "sub/deeper/d.yaml"]
        );
        let missing = manifest_files(&dir.join("nope")).unwrap_err();
        assert!(missing.contains("nope: cannot list"), "{missing}");
        std::fs::create_dir_all(dir.join("empty")).unwrap();
        let empty = manifest_files(&dir.join("empty")).unwrap_err();
        assert!(
            empty.ends_with("empty: no *.yaml, *.yml or *.json files in this directory"),
            "{empty}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
