//! Release and benchmark tooling of the security-context policy (run by the Makefile):
//!
//! - [`metadata`]: the policy metadata model (`policy-metadata.yml`), as `kwctl` reads it;
//! - [`wasm`]: wasm custom sections (where `annotate` puts the metadata);
//! - [`artifacthub`]: the Artifact Hub package (`artifacthub-pkg.yml`);
//! - [`bench_inputs`]: the benchmark requests;
//! - [`kubewarden`]: the real Kubewarden engine: `kwctl` and a policy-server on 127.0.0.1
//!   (for `bench-server` and the real-engine e2e suite).
//!
//! Binaries: `annotate` (`make wasm`, `make wasi`), `scaffold-artifacthub`
//! (`make artifacthub`, `make release`), `bench-inputs` and `bench-server` (`make bench-server`).

pub mod artifacthub;
pub mod bench_inputs;
pub mod kubewarden;
pub mod metadata;
pub mod wasm;

use std::path::PathBuf;

/// The repository root (the workspace this crate was built in).
pub fn repo_root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map(PathBuf::from)
        .unwrap_or(manifest_dir)
}

/// The waPC module: `$SCP_POLICY_WASM` if set, else `annotated-policy.wasm` at the repo root.
pub fn policy_path() -> PathBuf {
    use security_context_checker::policy::{MODULE_FILE, POLICY_ENV};
    match std::env::var_os(POLICY_ENV).filter(|p| !p.is_empty()) {
        Some(p) => PathBuf::from(p),
        None => repo_root().join(MODULE_FILE),
    }
}
