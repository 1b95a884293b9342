//! A host for the WASI command build of the policy (`wasi/`, Kubewarden's `executionMode:
//! wasi`): each call runs the module's `_start` in a fresh instance with the operation as the
//! first argument, the payload on stdin, and captures stdout, stderr and the exit status, as
//! Kubewarden's `wasi_cli` evaluator and the `wasmtime run` CLI do.
//!
//! ```no_run
//! use security_context_checker::wasi::WasiModule;
//!
//! let module = WasiModule::from_file("annotated-policy-wasi.wasm".as_ref())?;
//! let run = module.run(&["validate-settings"], b"{}")?;
//! assert_eq!(run.exit_code, 0);
//! # Ok::<(), security_context_checker::wasi::WasiError>(())
//! ```

use std::fmt;
use std::path::{Path, PathBuf};
use wasmtime_provider::wasmtime::{Engine, InstancePre, Linker, Module, Store};
use wasmtime_provider::wasmtime_wasi::p1::{self, WasiP1Ctx};
use wasmtime_provider::wasmtime_wasi::p2::pipe::{MemoryInputPipe, MemoryOutputPipe};
use wasmtime_provider::wasmtime_wasi::{I32Exit, WasiCtxBuilder};

use crate::engine::{DEADLINE_TICKS, engine};
use crate::host::{SettingsResponse, ValidationResponse};

/// The only module a portable WASI command may import from.
pub const WASI_PREVIEW1: &str = "wasi_snapshot_preview1";

/// What `argv[0]` is: Kubewarden's evaluator passes `policy.wasm`.
const PROGRAM_NAME: &str = "policy.wasm";

/// Most a run may write to stdout or stderr (the API server limits responses far below this).
const OUTPUT_CAPACITY: usize = 64 * 1024 * 1024;

/// Everything that can go wrong running the WASI module.
#[derive(Debug)]
pub enum WasiError {
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    /// Not a module wasmtime accepts, or not a WASI command.
    Compile { what: String, error: String },
    /// The run did not end with an exit status: a trap, or the deadline.
    Run {
        args: Vec<String>,
        error: String,
        stderr: String,
    },
    /// The run ended, but not with what the protocol requires.
    Protocol {
        args: Vec<String>,
        error: String,
        stdout: String,
        stderr: String,
    },
}

impl fmt::Display for WasiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = |s: &str| s.chars().take(300).collect::<String>();
        match self {
            WasiError::Read { path, error } => write!(f, "cannot read {}: {error}", path.display()),
            WasiError::Compile { what, error } => write!(f, "cannot load {what}: {error}"),
            WasiError::Run {
                args,
                error,
                stderr,
            } => write!(
                f,
                "`{}` failed: {error}; stderr: {}",
                args.join(" "),
                shown(stderr)
            ),
            WasiError::Protocol {
                args,
                error,
                stdout,
                stderr,
            } => write!(
                f,
                "`{}`: {error}; stdout: {}; stderr: {}",
                args.join(" "),
                shown(stdout),
                shown(stderr)
            ),
        }
    }
}

impl std::error::Error for WasiError {}

/// What one run of the command produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WasiRun {
    pub exit_code: i32,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl WasiRun {
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
}

/// A compiled WASI command module, linked against WASI preview 1 and nothing else: a module
/// that needs any other import (a waPC module, a module calling Kubewarden's `host.call`)
/// is refused, because a plain WASI runtime could not run it either. Clone freely.
#[derive(Clone)]
pub struct WasiModule {
    engine: Engine,
    pre: InstancePre<WasiP1Ctx>,
    label: String,
}

impl fmt::Debug for WasiModule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WasiModule")
            .field("label", &self.label)
            .finish()
    }
}

impl WasiModule {
    /// Read and compile a module file.
    pub fn from_file(path: &Path) -> Result<Self, WasiError> {
        let bytes = std::fs::read(path).map_err(|error| WasiError::Read {
            path: path.to_owned(),
            error,
        })?;
        Self::from_bytes(&bytes, &path.display().to_string())
    }

    /// Compile a module; `label` names it in errors.
    pub fn from_bytes(bytes: &[u8], label: &str) -> Result<Self, WasiError> {
        let compile_err = |error: String| WasiError::Compile {
            what: label.to_owned(),
            error,
        };
        let engine = engine().map_err(compile_err)?;
        let module = Module::new(&engine, bytes).map_err(|e| compile_err(e.to_string()))?;
        let foreign: Vec<String> = module
            .imports()
            .filter(|i| i.module() != WASI_PREVIEW1)
            .map(|i| format!("{}.{}", i.module(), i.name()))
            .collect();
        if !foreign.is_empty() {
            return Err(compile_err(format!(
                "imports {} besides {WASI_PREVIEW1}: not a portable WASI command",
                foreign.join(", ")
            )));
        }
        if module.get_export("_start").is_none() {
            return Err(compile_err(
                "exports no `_start`: not a WASI command (a waPC module or a library?)".to_owned(),
            ));
        }
        let mut linker: Linker<WasiP1Ctx> = Linker::new(&engine);
        p1::add_to_linker_sync(&mut linker, |ctx| ctx).map_err(|e| compile_err(e.to_string()))?;
        let pre = linker
            .instantiate_pre(&module)
            .map_err(|e| compile_err(e.to_string()))?;
        Ok(WasiModule {
            engine,
            pre,
            label: label.to_owned(),
        })
    }

    /// Where the module came from.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Run the command with `args` (after the program name) and `stdin`.
    pub fn run(&self, args: &[&str], stdin: &[u8]) -> Result<WasiRun, WasiError> {
        let argv: Vec<String> = std::iter::once(PROGRAM_NAME)
            .chain(args.iter().copied())
            .map(str::to_owned)
            .collect();
        let stdout = MemoryOutputPipe::new(OUTPUT_CAPACITY);
        let stderr = MemoryOutputPipe::new(OUTPUT_CAPACITY);
        let ctx = WasiCtxBuilder::new()
            .args(&argv)
            .stdin(MemoryInputPipe::new(stdin.to_vec()))
            .stdout(stdout.clone())
            .stderr(stderr.clone())
            .build_p1();
        let mut store = Store::new(&self.engine, ctx);
        store.set_epoch_deadline(DEADLINE_TICKS);
        let run_err = |error: String, stderr: &MemoryOutputPipe| WasiError::Run {
            args: argv.clone(),
            error,
            stderr: String::from_utf8_lossy(&stderr.contents()).into_owned(),
        };
        let instance = self
            .pre
            .instantiate(&mut store)
            .map_err(|e| run_err(e.to_string(), &stderr))?;
        let start = instance
            .get_typed_func::<(), ()>(&mut store, "_start")
            .map_err(|e| run_err(e.to_string(), &stderr))?;
        let exit_code = match start.call(&mut store, ()) {
            Ok(()) => 0,
            Err(e) => match e.downcast_ref::<I32Exit>() {
                Some(exit) => exit.0,
                None => return Err(run_err(format!("{e:?}"), &stderr)),
            },
        };
        drop(store);
        Ok(WasiRun {
            exit_code,
            stdout: stdout.contents().to_vec(),
            stderr: stderr.contents().to_vec(),
        })
    }

    /// Run an operation that must succeed: exit status 0 and a response on stdout.
    pub fn call(&self, operation: &str, payload: &[u8]) -> Result<Vec<u8>, WasiError> {
        let run = self.run(&[operation], payload)?;
        if run.exit_code != 0 {
            return Err(WasiError::Protocol {
                args: vec![PROGRAM_NAME.to_owned(), operation.to_owned()],
                error: format!("exit status {}", run.exit_code),
                stdout: run.stdout_text(),
                stderr: run.stderr_text(),
            });
        }
        Ok(run.stdout)
    }

    /// `validate` with a `{"request", "settings"}` payload.
    pub fn validate(
        &self,
        request: &serde_json::Value,
        settings: &serde_json::Value,
    ) -> Result<ValidationResponse, WasiError> {
        let payload = serde_json::json!({"request": request, "settings": settings});
        self.decode(
            "validate",
            &self.call("validate", payload.to_string().as_bytes())?,
        )
    }

    /// `validate-settings` with the settings as the payload.
    pub fn validate_settings(
        &self,
        settings: &serde_json::Value,
    ) -> Result<SettingsResponse, WasiError> {
        self.decode(
            "validate-settings",
            &self.call("validate-settings", settings.to_string().as_bytes())?,
        )
    }

    fn decode<T: serde::de::DeserializeOwned>(
        &self,
        operation: &str,
        stdout: &[u8],
    ) -> Result<T, WasiError> {
        serde_json::from_slice(stdout).map_err(|e| WasiError::Protocol {
            args: vec![PROGRAM_NAME.to_owned(), operation.to_owned()],
            error: format!("malformed JSON on stdout: {e}"),
            stdout: String::from_utf8_lossy(stdout).into_owned(),
            stderr: String::new(),
        })
    }
}
