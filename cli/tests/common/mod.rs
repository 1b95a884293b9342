//! What the checker's integration tests share: the binary and the module under test, scratch
//! directories, and one way to run a program with its standard streams captured.

// Each test file is its own crate and uses only part of this module.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use security_context_checker::policy::{MODULE_FILE, POLICY_ENV};

/// The checker binary cargo built for these tests.
pub const CHECKER: &str = env!("CARGO_BIN_EXE_security-context-checker");

/// Only the restricted floor: verdicts that do not depend on the platform's settings.
pub const RESTRICTED: &str =
    "podSecurityStandard: restricted\npodSecurityContext: {}\nsecurityContext: {}\n";

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The module under test: `$SCP_POLICY_WASM`, else `annotated-policy.wasm` at the repository
/// root (built by `make wasm`).
pub fn policy_path() -> PathBuf {
    match std::env::var_os(POLICY_ENV).filter(|p| !p.is_empty()) {
        Some(p) => PathBuf::from(p),
        None => repo().join(MODULE_FILE),
    }
}

/// [`policy_path`], which must exist: a missing module fails the test with the way to build
/// it, not with the checker's exit status 2.
pub fn module() -> PathBuf {
    let path = policy_path();
    assert!(
        path.is_file(),
        "policy module {} is missing: run `make wasm` (or `make test`) first, or point \
         {POLICY_ENV} at a module",
        path.display()
    );
    path
}

/// A fresh directory under cargo's scratch directory for tests, one per call.
pub fn scratch(prefix: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "{prefix}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes `text` to `dir/name`, making the directories on the way.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&path, text).unwrap();
    path
}

/// A finished program: exit status (-1 when killed by a signal) and its output.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Runs `command` to its end: `stdin` written whole from another thread and then closed (as
/// Helm feeds a post-renderer; a large input must not dead-lock on full pipes), or no standard
/// input at all; standard output and error captured apart.
pub fn run(command: &mut Command, stdin: Option<&str>) -> Run {
    command
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {:?}: {e}", command.get_program()));
    let writer = stdin.map(|text| {
        let mut pipe = child.stdin.take().unwrap();
        let input = text.to_owned();
        std::thread::spawn(move || {
            let _ = pipe.write_all(input.as_bytes());
        })
    });
    let out = child.wait_with_output().unwrap();
    if let Some(writer) = writer {
        writer.join().unwrap();
    }
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}
