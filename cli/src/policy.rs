//! Where the checker finds the policy module, in this order:
//!
//! 1. `--policy PATH`;
//! 2. the environment variable `SCP_POLICY_WASM` ([`POLICY_ENV`]);
//! 3. `annotated-policy.wasm` beside the executable ([`MODULE_FILE`]);
//! 4. the module embedded at build time: `SCP_EMBED_POLICY=/abs/annotated-policy.wasm cargo
//!    install --path cli` (what `make install-checker` does).
//!
//! When none is there, the error names all four.

use std::path::{Path, PathBuf};

use crate::host::{HostError, PolicyModule};

/// The environment variable naming the module (the second place looked at).
pub const POLICY_ENV: &str = "SCP_POLICY_WASM";

/// The module's file name beside the executable (the third place looked at).
pub const MODULE_FILE: &str = "annotated-policy.wasm";

#[cfg(embedded_policy)]
const EMBEDDED: Option<&[u8]> = Some(include_bytes!(env!("SCP_EMBEDDED_POLICY")));
#[cfg(not(embedded_policy))]
const EMBEDDED: Option<&[u8]> = None;

/// The module embedded at build time, if any.
pub fn embedded() -> Option<&'static [u8]> {
    EMBEDDED
}

/// Where the module comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicySource {
    /// A file: from `--policy`, the environment, or beside the executable.
    File(PathBuf),
    /// Embedded in the executable at build time.
    Embedded,
}

impl PolicySource {
    /// Find the module: `flag` (from `--policy`), then [`POLICY_ENV`], then [`MODULE_FILE`]
    /// beside the executable, then the embedded one. A path given by the flag or the
    /// environment is taken even when it does not exist (the load then says so).
    pub fn find(flag: Option<&Path>) -> Result<Self, String> {
        if let Some(path) = flag {
            return Ok(PolicySource::File(path.to_owned()));
        }
        if let Some(path) = std::env::var_os(POLICY_ENV).filter(|p| !p.is_empty()) {
            return Ok(PolicySource::File(PathBuf::from(path)));
        }
        let beside = beside_executable();
        if let Some(path) = beside.as_ref().filter(|p| p.is_file()) {
            return Ok(PolicySource::File(path.clone()));
        }
        if embedded().is_some() {
            return Ok(PolicySource::Embedded);
        }
        let beside = beside
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| format!("{MODULE_FILE} beside the executable"));
        Err(format!(
            "no policy module: none given with --policy PATH, none in ${POLICY_ENV}, no {beside}, \
             and none embedded in this build (SCP_EMBED_POLICY=/abs/{MODULE_FILE} at build \
             time; `make install-checker` does it); build one with `make wasm`"
        ))
    }

    /// Read and compile the module.
    pub fn load(&self) -> Result<PolicyModule, HostError> {
        match self {
            PolicySource::File(path) => PolicyModule::from_file(path),
            PolicySource::Embedded => PolicyModule::from_bytes(
                embedded().unwrap_or_default(),
                "the policy module embedded in the checker",
            ),
        }
    }
}

fn beside_executable() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    Some(exe.parent()?.join(MODULE_FILE))
}
