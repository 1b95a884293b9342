//! The repository's `.pre-commit-hooks.yaml` under the real pre-commit (docs/checker.md,
//! "pre-commit"): `pre-commit try-repo` on a sample repository fails on a violating manifest
//! and passes on a compliant one, with the checker found on PATH as a user's installed one is.
//!
//! pre-commit comes from `$PRE_COMMIT`, else PATH; `make test` installs it into
//! target/test-tools (scripts/test-tools.sh). Without it the test prints a SKIPPED banner, and
//! fails when `$PRE_COMMIT` names a file that is not there.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{CHECKER, write};
use security_context_checker::policy::POLICY_ENV;

const COMPLIANT: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: good
spec:
  securityContext:
    runAsNonRoot: true
    runAsUser: 1000
    runAsGroup: 1000
    fsGroup: 1000
    seccompProfile:
      type: RuntimeDefault
  containers:
  - name: app
    image: registry.k8s.io/pause
    securityContext:
      allowPrivilegeEscalation: false
      readOnlyRootFilesystem: true
      capabilities:
        drop: [ALL]
";

const VIOLATING: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: bad
spec:
  containers:
  - name: app
    image: registry.k8s.io/pause
    securityContext:
      privileged: true
";

fn scratch() -> PathBuf {
    common::scratch("pre-commit")
}

fn pre_commit() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("PRE_COMMIT").filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        assert!(
            p.is_file(),
            "PRE_COMMIT={} is not a file: run scripts/test-tools.sh (make test does)",
            p.display()
        );
        return Some(p);
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join("pre-commit"))
        .find(|p| p.is_file())
}

/// git with an identity (CI machines have none) and no user configuration.
fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "test")
        .env("GIT_AUTHOR_EMAIL", "test@example.invalid")
        .env("GIT_COMMITTER_NAME", "test")
        .env("GIT_COMMITTER_EMAIL", "test@example.invalid")
        .output()
        .expect("cannot run git");
    assert!(out.status.success(), "git {args:?}: {out:?}");
}

fn text(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn pre_commit_try_repo_fails_a_violating_manifest_and_passes_a_compliant_one() {
    let Some(pre_commit) = pre_commit() else {
        eprintln!(
            "\n==== SKIPPED pre_commit_try_repo: no pre-commit (set PRE_COMMIT, or run \
             `make test`, which installs it into target/test-tools) ====\n"
        );
        return;
    };
    let policy = common::module();
    let dir = scratch();

    // The hook repository: this repository's .pre-commit-hooks.yaml, committed (try-repo reads
    // what is committed, and a copy keeps the test off the work tree's other changes).
    let hooks = dir.join("hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../.pre-commit-hooks.yaml"),
        hooks.join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    git(&hooks, &["init", "-q", "."]);
    git(&hooks, &["add", ".pre-commit-hooks.yaml"]);
    git(&hooks, &["commit", "-q", "-m", "hooks"]);

    // A user's repository with a compliant and a violating manifest, and other YAML the
    // default `files` pattern must not trip on.
    let repo = dir.join("repo");
    write(&repo, "deploy/good.yaml", COMPLIANT);
    write(&repo, "deploy/bad.yaml", VIOLATING);
    write(
        &repo,
        ".pre-commit-config.yaml",
        "repos: []\n", // excluded by the hook's `exclude`
    );
    git(&repo, &["init", "-q", "."]);
    git(
        &repo,
        &[
            "add",
            "deploy/good.yaml",
            "deploy/bad.yaml",
            ".pre-commit-config.yaml",
        ],
    );

    let bin_dir = Path::new(CHECKER).parent().unwrap();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap());
    let try_repo = |files: &[&str]| {
        let mut args = vec![
            "try-repo".to_owned(),
            hooks.display().to_string(),
            "security-context-checker".to_owned(),
            "--files".to_owned(),
        ];
        args.extend(files.iter().map(|f| f.to_string()));
        Command::new(&pre_commit)
            .args(&args)
            .current_dir(&repo)
            .env("PATH", &path)
            .env("PRE_COMMIT_HOME", dir.join("pre-commit-home"))
            .env(POLICY_ENV, &policy)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_AUTHOR_NAME", "test")
            .env("GIT_AUTHOR_EMAIL", "test@example.invalid")
            .env("GIT_COMMITTER_NAME", "test")
            .env("GIT_COMMITTER_EMAIL", "test@example.invalid")
            .output()
            .expect("cannot run pre-commit")
    };

    let good = try_repo(&["deploy/good.yaml", ".pre-commit-config.yaml"]);
    let out = String::from_utf8_lossy(&good.stdout);
    assert!(good.status.success(), "{}", text(&good));
    assert!(
        out.lines()
            .any(|l| l.starts_with("security-context policy") && l.ends_with("Passed")),
        "{}",
        text(&good)
    );

    let bad = try_repo(&["deploy/good.yaml", "deploy/bad.yaml"]);
    let out = String::from_utf8_lossy(&bad.stdout);
    assert_eq!(bad.status.code(), Some(1), "{}", text(&bad));
    assert!(
        out.lines()
            .any(|l| l.starts_with("security-context policy") && l.ends_with("Failed")),
        "{}",
        text(&bad)
    );
    assert!(out.contains("REJECTED Pod default/bad"), "{}", text(&bad));
    assert!(out.contains(": deny privileged: "), "{}", text(&bad));
    assert!(out.contains("ACCEPTED Pod default/good"), "{}", text(&bad));
}
