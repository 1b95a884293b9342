//! Which files a directory given as input stands for: the manifests below it.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Files under `dir` that look like manifests (`*.yaml`, `*.yml`, `*.json`), recursively, in
/// sorted order so that every run reads them alike. Symbolic links are followed, and every
/// real file is listed once (by its canonical path, under the first name found for it in that
/// order); a directory reached again by another way is not searched twice. A link back to a
/// directory the search is inside (`ln -s . again`) is a loop: an error naming the link,
/// since no order of reading would end. A directory that cannot be listed, or holds no
/// manifest, is an error naming it.
pub fn manifest_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let root =
        std::fs::canonicalize(dir).map_err(|e| format!("{}: cannot list: {e}", dir.display()))?;
    let mut search = Search::default();
    search.dirs.insert(root.clone());
    search.collect(dir, &mut vec![root])?;
    if search.out.is_empty() {
        return Err(format!(
            "{}: no *.yaml, *.yml or *.json files in this directory",
            dir.display()
        ));
    }
    Ok(search.out)
}

#[derive(Default)]
struct Search {
    /// Canonical paths of the files listed and of the directories searched.
    files: HashSet<PathBuf>,
    dirs: HashSet<PathBuf>,
    out: Vec<PathBuf>,
}

impl Search {
    /// `ancestors`: the canonical paths of `dir` and the directories it lies in, as reached.
    fn collect(&mut self, dir: &Path, ancestors: &mut Vec<PathBuf>) -> Result<(), String> {
        let cannot = |e: std::io::Error| format!("{}: cannot list: {e}", dir.display());
        let mut paths = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(cannot)? {
            paths.push(entry.map_err(cannot)?.path());
        }
        paths.sort();
        for path in paths {
            // A link to nothing is listed by its own name when it looks like a manifest: reading
            // it then fails with an error that names it.
            let real = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
            if real.is_dir() {
                if ancestors.contains(&real) {
                    return Err(format!(
                        "{}: a symbolic link to {}, which the search is already inside: a \
                         directory loop, refused; remove the link, or give the directories \
                         to check one by one",
                        path.display(),
                        real.display()
                    ));
                }
                if self.dirs.insert(real.clone()) {
                    ancestors.push(real);
                    self.collect(&path, ancestors)?;
                    ancestors.pop();
                }
            } else if path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| matches!(e, "yaml" | "yml" | "json"))
                && self.files.insert(real)
            {
                self.out.push(path);
            }
        }
        Ok(())
    }
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

    #[cfg(unix)]
    fn tree(name: &str, files: &[&str], links: &[(&str, &str)]) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("scp-files-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for f in files {
            let p = dir.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "").unwrap();
        }
        for (link, target) in links {
            std::os::unix::fs::symlink(target, dir.join(link)).unwrap();
        }
        dir
    }

    #[cfg(unix)]
    fn listed(dir: &Path) -> Result<Vec<String>, String> {
        manifest_files(dir).map(|files| {
            files
                .iter()
                .map(|p| p.strip_prefix(dir).unwrap().display().to_string())
                .collect()
        })
    }

    /// Named cases: what the search lists, or the loop it refuses.
    #[cfg(unix)]
    #[test]
    fn symbolic_links_lead_to_each_real_file_once_and_loops_are_refused() {
        /// Name, files, links (name, target), and the files listed or the loop refused.
        type Case<'a> = (
            &'a str,
            &'a [&'a str],
            &'a [(&'a str, &'a str)],
            Result<&'a [&'a str], &'a str>,
        );
        let cases: &[Case] = &[
            (
                "one link to the directory itself",
                &["a.yaml"],
                &[("again", ".")],
                Err("again: a symbolic link to"),
            ),
            (
                "two links to the directory itself (the search doubled at every level)",
                &["a.yaml"],
                &[("l1", "."), ("l2", ".")],
                Err("l1: a symbolic link to"),
            ),
            (
                "a link to a parent, deeper down",
                &["a.yaml", "sub/deep/b.yaml"],
                &[("sub/deep/up", "../..")],
                Err("up: a symbolic link to"),
            ),
            (
                "a link to a sibling directory: its files once",
                &["a.yaml", "real/b.yaml"],
                &[("alias", "real")],
                Ok(&["a.yaml", "alias/b.yaml"]),
            ),
            (
                "two links to one file, and the file",
                &["a.yaml"],
                &[("b.yaml", "a.yaml"), ("c.yml", "a.yaml")],
                Ok(&["a.yaml"]),
            ),
            (
                "a link to nothing is listed, to fail when read",
                &["a.yaml"],
                &[("gone.yaml", "missing.yaml")],
                Ok(&["a.yaml", "gone.yaml"]),
            ),
        ];
        for (i, (name, files, links, want)) in cases.iter().enumerate() {
            let dir = tree(&i.to_string(), files, links);
            match (listed(&dir), want) {
                (Ok(got), Ok(want)) => assert_eq!(&got, want, "{name}"),
                (Err(e), Err(want)) => {
                    assert!(e.contains(want) && e.contains("loop"), "{name}: {e}")
                }
                (got, _) => panic!("{name}: {got:?}"),
            }
            std::fs::remove_dir_all(&dir).unwrap();
        }
    }
}
