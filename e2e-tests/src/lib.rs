//! Host-side tooling for the security-context policy: a waPC host on wasmtime
//! ([`host::PolicyModule`], [`host::PolicyHost`]), AdmissionRequest builders ([`request`]),
//! input parsing for the offline checker ([`input`], YAML read as kubectl reads it by
//! [`yaml`]), the policy metadata ([`metadata`]),
//! wasm custom sections ([`wasm`]), a host for the WASI command build ([`wasi`]), the
//! Artifact Hub package generator ([`artifacthub`]) and the real Kubewarden engine in the
//! loop: `kwctl` and a policy-server on 127.0.0.1 ([`kubewarden`]).
//!
//! The e2e tests and the `checker` binary run the very module the cluster runs:
//! `annotated-policy.wasm` at the repository root, built by `make wasm`.

pub mod artifacthub;
pub mod bench_inputs;
pub mod host;
pub mod input;
pub mod kubewarden;
pub mod metadata;
pub mod request;
pub mod wasi;
pub mod wasm;
pub mod yaml;

use std::path::PathBuf;
use std::sync::OnceLock;

pub use host::{
    HostCalls, HostError, PolicyHost, PolicyModule, SettingsResponse, ValidationResponse,
};
pub use request::{AdmissionRequestBuilder, create_request};

/// Environment variable that points the tests and the checker at another module.
pub const POLICY_ENV: &str = "SCP_POLICY_WASM";

/// The repository root (the workspace this crate was built in).
pub fn repo_root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map(PathBuf::from)
        .unwrap_or(manifest_dir)
}

/// The module to run: `$SCP_POLICY_WASM` if set, else `annotated-policy.wasm` at the repo root.
pub fn policy_path() -> PathBuf {
    match std::env::var_os(POLICY_ENV).filter(|p| !p.is_empty()) {
        Some(p) => PathBuf::from(p),
        None => repo_root().join("annotated-policy.wasm"),
    }
}

/// The policy module for tests, compiled once per test process.
///
/// # Panics
/// When the module is missing or does not compile: e2e tests must fail, never skip, when
/// `make wasm` has not been run.
pub fn test_module() -> &'static PolicyModule {
    static MODULE: OnceLock<PolicyModule> = OnceLock::new();
    MODULE.get_or_init(|| {
        let path = policy_path();
        if !path.is_file() {
            panic!(
                "policy module {} is missing: run `make wasm` (or `make test`) first, \
                 or point {POLICY_ENV} at a module",
                path.display()
            );
        }
        match PolicyModule::from_file(&path) {
            Ok(module) => module,
            Err(e) => panic!("{e} (rebuild it with `make wasm`)"),
        }
    })
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
