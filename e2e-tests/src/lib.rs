//! Test support for the e2e tests: the modules under test ([`test_module`], [`test_host`],
//! [`wasi::test_wasi_module`]), the repository root, and the real Kubewarden engine in the
//! loop: `kwctl` and a policy-server on 127.0.0.1 ([`kubewarden`]). The hosts come from the
//! checker's crate (`security-context-checker`), the requests from `security-context-input`.
//!
//! The e2e tests run the very module the cluster runs: `annotated-policy.wasm` at the
//! repository root, built by `make wasm`.

use std::path::PathBuf;
use std::sync::OnceLock;

pub use security_context_checker::host;
// The release tooling the tests check (metadata, custom sections, the Artifact Hub package,
// the benchmark inputs) and the real Kubewarden engine.
pub use security_context_checker::{
    HostCalls, HostError, PolicyHost, PolicyModule, SettingsResponse, ValidationResponse,
};
pub use xtask::{artifacthub, bench_inputs, kubewarden, metadata, wasm};

/// Environment variable that points the tests (and the checker) at another module.
pub use security_context_checker::policy::POLICY_ENV;

/// The repository root, and the waPC module under test: `$SCP_POLICY_WASM` if set, else
/// `annotated-policy.wasm` at the repository root.
pub use xtask::{policy_path, repo_root};

/// The policy module for tests, compiled once per test process.
///
/// # Panics
/// When the module is missing or does not compile: e2e tests must fail, never skip, when
/// `make wasm` has not been run.
pub fn test_module() -> &'static PolicyModule {
    static MODULE: OnceLock<PolicyModule> = OnceLock::new();
    MODULE.get_or_init(|| {
        load_or_panic(
            "policy module",
            &policy_path(),
            POLICY_ENV,
            "make wasm",
            PolicyModule::from_file,
        )
    })
}

/// Loads the module at `path` with `load`, or fails the test saying how to build it (`make`)
/// or where to point (`env`): e2e tests fail, never skip, on a missing module.
fn load_or_panic<M, E: std::fmt::Display>(
    what: &str,
    path: &std::path::Path,
    env: &str,
    make: &str,
    load: impl FnOnce(&std::path::Path) -> Result<M, E>,
) -> M {
    if !path.is_file() {
        panic!(
            "{what} {} is missing: run `{make}` (or `make test`) first, or point {env} at a module",
            path.display()
        );
    }
    match load(path) {
        Ok(module) => module,
        Err(e) => panic!("{e} (rebuild it with `{make}`)"),
    }
}

/// A fresh instance of [`test_module`] with default host calls.
///
/// # Panics
/// As [`test_module`], or when instantiation fails.
pub fn test_host() -> PolicyHost {
    match test_module().instantiate() {
        Ok(host) => host,
        Err(e) => panic!("{e}"),
    }
}

/// A binary of this workspace's build, `name` (beside the test executables' `deps/`
/// directory): `security-context-checker`, or `annotate` of the release tooling.
/// `cargo test --workspace` builds both, for their crates' own tests.
///
/// # Panics
/// When it has not been built.
pub fn workspace_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .map(PathBuf::from)
        .unwrap_or_default();
    let binary = profile_dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    if !binary.is_file() {
        panic!(
            "{} is missing: build the workspace's binaries with `cargo build --workspace --bins` \
             (`make test` does)",
            binary.display()
        );
    }
    binary
}

/// The `security-context-checker` binary of this build.
pub fn checker_binary() -> PathBuf {
    workspace_binary("security-context-checker")
}

/// The WASI command build under test.
pub mod wasi {
    use std::path::PathBuf;
    use std::sync::OnceLock;

    pub use security_context_checker::wasi::*;

    /// Environment variable that points the tests at another WASI module.
    pub const WASI_POLICY_ENV: &str = "SCP_WASI_POLICY_WASM";

    /// The WASI module to test: `$SCP_WASI_POLICY_WASM` if set, else
    /// `annotated-policy-wasi.wasm` at the repository root (built by `make wasi`).
    pub fn wasi_policy_path() -> PathBuf {
        match std::env::var_os(WASI_POLICY_ENV).filter(|p| !p.is_empty()) {
            Some(p) => PathBuf::from(p),
            None => crate::repo_root().join("annotated-policy-wasi.wasm"),
        }
    }

    /// The WASI module for tests, compiled once per test process.
    ///
    /// # Panics
    /// When the module is missing or does not load: the tests must fail, never skip, when
    /// `make wasi` has not been run.
    pub fn test_wasi_module() -> &'static WasiModule {
        static MODULE: OnceLock<WasiModule> = OnceLock::new();
        MODULE.get_or_init(|| {
            crate::load_or_panic(
                "WASI module",
                &wasi_policy_path(),
                WASI_POLICY_ENV,
                "make wasi",
                WasiModule::from_file,
            )
        })
    }
}
