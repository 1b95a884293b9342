//! A waPC host for the policy module: compile once, instantiate cheaply, answer host calls.
//!
//! ```no_run
//! use security_context_checker::host::{PolicyModule, HostCalls};
//! use std::sync::Arc;
//!
//! let module = PolicyModule::from_file("annotated-policy.wasm".as_ref())?;
//! let calls = Arc::new(HostCalls::new());
//! let host = module.instantiate_with(calls.clone())?;
//! let verdict = host.validate(&serde_json::json!({}), &serde_json::json!({}))?;
//! # Ok::<(), security_context_checker::host::HostError>(())
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use security_context_input::ImageUserTable;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use wapc::WapcHost;
use wasmtime_provider::{EpochDeadlines, WasmtimeEngineProviderBuilder, WasmtimeEngineProviderPre};

use crate::engine::{DEADLINE_TICKS, deadline_ticks, engine};

/// Everything that can go wrong between the host and the guest.
#[derive(Debug)]
pub enum HostError {
    /// The module file could not be read.
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    /// wasmtime refused the module (not wasm, missing imports, no waPC exports, ...).
    Compile { what: String, error: String },
    /// Creating an instance or running the guest's init failed.
    Instantiate(String),
    /// The guest call failed: the guest returned an error, trapped, or ran out of time.
    Guest { operation: String, error: String },
    /// The guest answered, but not with the JSON the protocol requires.
    BadResponse {
        operation: String,
        error: String,
        body: String,
    },
}

impl fmt::Display for HostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HostError::Read { path, error } => write!(f, "cannot read {}: {error}", path.display()),
            HostError::Compile { what, error } => write!(f, "cannot compile {what}: {error}"),
            HostError::Instantiate(e) => write!(f, "cannot instantiate the policy: {e}"),
            HostError::Guest { operation, error } => {
                write!(f, "guest call `{operation}` failed: {error}")
            }
            HostError::BadResponse {
                operation,
                error,
                body,
            } => {
                let shown: String = body.chars().take(300).collect();
                write!(
                    f,
                    "guest call `{operation}` answered malformed JSON ({error}): {shown}"
                )
            }
        }
    }
}

impl std::error::Error for HostError {}

/// The answer of `validate`, as the Kubewarden SDK serialises it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidationResponse {
    pub accepted: bool,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub code: Option<u16>,
    #[serde(default)]
    pub mutated_object: Option<Value>,
    #[serde(default)]
    pub audit_annotations: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub warnings: Option<Vec<String>>,
}

/// The answer of `validate_settings`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsResponse {
    pub valid: bool,
    #[serde(default)]
    pub message: Option<String>,
}

/// One call the guest made to the host (other than logging).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostCall {
    pub binding: String,
    pub namespace: String,
    pub operation: String,
    pub payload: Vec<u8>,
}

/// What an OCI lookup answers: the payload bytes, or an error string the guest receives.
pub type OciAnswer = Result<Vec<u8>, String>;

type OciHandler = dyn Fn(&str) -> OciAnswer + Send + Sync;

/// The host side of the guest's host calls.
///
/// * `kubewarden`/`tracing`/`log` (the SDK's logger) is answered `Ok` and counted; set
///   `SCP_GUEST_LOG=1` to see the log records on stderr.
/// * `kubewarden`/`oci`/`v1/oci_manifest_config` is answered by the OCI handler if one is
///   plugged ([`HostCalls::with_oci_handler`], [`HostCalls::with_image_users`]), else an error.
/// * Anything else is answered with an error string.
///
/// Every non-log call is recorded, so tests can count lookups.
pub struct HostCalls {
    oci: Option<Box<OciHandler>>,
    calls: Mutex<Vec<HostCall>>,
    logs: AtomicUsize,
    echo_logs: bool,
}

impl Default for HostCalls {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for HostCalls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HostCalls")
            .field("oci", &self.oci.is_some())
            .field("calls", &self.calls().len())
            .field("logs", &self.log_count())
            .finish()
    }
}

impl HostCalls {
    /// Log calls answered, OCI and unknown calls refused.
    pub fn new() -> Self {
        HostCalls {
            oci: None,
            calls: Mutex::new(Vec::new()),
            logs: AtomicUsize::new(0),
            echo_logs: std::env::var_os("SCP_GUEST_LOG").is_some_and(|v| !v.is_empty() && v != "0"),
        }
    }

    /// Answer `oci/v1/oci_manifest_config` with `handler(image)`; the image is the JSON string
    /// the guest sent, decoded.
    pub fn with_oci_handler(
        mut self,
        handler: impl Fn(&str) -> OciAnswer + Send + Sync + 'static,
    ) -> Self {
        self.oci = Some(Box::new(handler));
        self
    }

    /// Answer OCI lookups from a table image → configured `User` (as in the image config; `""`
    /// for an image with no USER). The image is looked up as the pod names it, then without its
    /// tag or digest, so `nginx` answers for `nginx:1.27`. An image missing from the table gets
    /// a lookup error, as an unreachable registry would.
    pub fn with_image_users(self, table: impl Into<ImageUserTable>) -> Self {
        let table = table.into();
        self.with_oci_handler(move |image| table.user(image).map(oci_manifest_config_response))
    }

    /// All non-log host calls so far, in order.
    pub fn calls(&self) -> Vec<HostCall> {
        self.calls.lock().map(|c| c.clone()).unwrap_or_default()
    }

    /// How many calls went to `namespace`/`operation` (binding `kubewarden`).
    pub fn count(&self, namespace: &str, operation: &str) -> usize {
        self.calls
            .lock()
            .map(|c| {
                c.iter()
                    .filter(|call| call.namespace == namespace && call.operation == operation)
                    .count()
            })
            .unwrap_or(0)
    }

    /// How many OCI manifest-config lookups the guest made.
    pub fn oci_lookups(&self) -> usize {
        self.count("oci", "v1/oci_manifest_config")
    }

    /// How many log records the guest sent.
    pub fn log_count(&self) -> usize {
        self.logs.load(Ordering::Relaxed)
    }

    /// Forget the recorded calls (e.g. between two requests).
    pub fn reset(&self) {
        if let Ok(mut c) = self.calls.lock() {
            c.clear();
        }
        self.logs.store(0, Ordering::Relaxed);
    }

    fn answer(
        &self,
        binding: &str,
        namespace: &str,
        operation: &str,
        payload: &[u8],
    ) -> Result<Vec<u8>, String> {
        if binding == "kubewarden" && namespace == "tracing" && operation == "log" {
            self.logs.fetch_add(1, Ordering::Relaxed);
            if self.echo_logs {
                eprintln!("guest log: {}", String::from_utf8_lossy(payload));
            }
            return Ok(Vec::new());
        }
        if let Ok(mut c) = self.calls.lock() {
            c.push(HostCall {
                binding: binding.to_owned(),
                namespace: namespace.to_owned(),
                operation: operation.to_owned(),
                payload: payload.to_vec(),
            });
        }
        match (binding, namespace, operation) {
            ("kubewarden", "oci", "v1/oci_manifest_config") => {
                let Some(handler) = &self.oci else {
                    return Err("OCI lookups are not available in this host".to_owned());
                };
                let image: String = serde_json::from_slice(payload)
                    .map_err(|e| format!("oci_manifest_config expects a JSON string: {e}"))?;
                handler(&image)
            }
            _ => Err(format!(
                "host capability {binding}/{namespace}/{operation} is not available"
            )),
        }
    }
}

/// A minimal, valid `OciManifestAndConfigResponse` (what `policy-server` answers for
/// `oci/v1/oci_manifest_config`) for an image whose config says `User: user`.
pub fn oci_manifest_config_response(user: &str) -> Vec<u8> {
    let config_digest = format!("sha256:{}", "a".repeat(64));
    let response = serde_json::json!({
        "manifest": {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": config_digest,
                "size": 100
            },
            "layers": []
        },
        "digest": format!("sha256:{}", "b".repeat(64)),
        "config": {
            "architecture": "amd64",
            "os": "linux",
            "config": { "User": user },
            "rootfs": { "type": "layers", "diff_ids": [] }
        }
    });
    // Serialising a `Value` cannot fail.
    serde_json::to_vec(&response).unwrap_or_default()
}

/// A compiled policy module. Compiling takes a while; instantiating is cheap. Clone freely.
#[derive(Clone)]
pub struct PolicyModule {
    pre: WasmtimeEngineProviderPre,
    label: String,
    deadline_ticks: u64,
}

impl fmt::Debug for PolicyModule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PolicyModule")
            .field("label", &self.label)
            .finish()
    }
}

impl PolicyModule {
    /// Read and compile a module file.
    pub fn from_file(path: &Path) -> Result<Self, HostError> {
        let bytes = std::fs::read(path).map_err(|error| HostError::Read {
            path: path.to_owned(),
            error,
        })?;
        Self::from_bytes(&bytes, &path.display().to_string())
    }

    /// Compile a module; `label` names it in errors.
    pub fn from_bytes(bytes: &[u8], label: &str) -> Result<Self, HostError> {
        let compile_err = |error: String| HostError::Compile {
            what: label.to_owned(),
            error,
        };
        let engine = engine().map_err(compile_err)?;
        let pre = WasmtimeEngineProviderBuilder::new()
            .engine(engine.clone())
            .module_bytes(bytes)
            .build_pre()
            .map_err(|e| compile_err(e.to_string()))?;
        Ok(PolicyModule {
            pre,
            label: label.to_owned(),
            deadline_ticks: DEADLINE_TICKS,
        })
    }

    /// Interrupt guest calls (and the guest's init) that run longer than about `timeout`
    /// (default 30 s; the resolution is 100 ms). Applies to instances created afterwards.
    pub fn with_call_timeout(mut self, timeout: Duration) -> Self {
        self.deadline_ticks = deadline_ticks(timeout);
        self
    }

    /// Where the module came from.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// A fresh instance with the default host calls (log answered, everything else refused).
    pub fn instantiate(&self) -> Result<PolicyHost, HostError> {
        self.instantiate_with(Arc::new(HostCalls::new()))
    }

    /// A fresh instance whose host calls go to `calls`.
    pub fn instantiate_with(&self, calls: Arc<HostCalls>) -> Result<PolicyHost, HostError> {
        let deadlines = EpochDeadlines {
            wapc_init: self.deadline_ticks,
            wapc_func: self.deadline_ticks,
        };
        let engine = self
            .pre
            .rehydrate(Some(deadlines))
            .map_err(|e| HostError::Instantiate(e.to_string()))?;
        let answering = calls.clone();
        let callback =
            move |_id: u64, binding: &str, namespace: &str, operation: &str, payload: &[u8]| {
                answering
                    .answer(binding, namespace, operation, payload)
                    .map_err(|e| -> Box<dyn std::error::Error + Send + Sync> { e.into() })
            };
        let host = WapcHost::new(Box::new(engine), Some(Box::new(callback)))
            .map_err(|e| HostError::Instantiate(e.to_string()))?;
        Ok(PolicyHost { host, calls })
    }
}

/// One instance of the policy, with its host calls. Not `Send`: make one per thread.
pub struct PolicyHost {
    host: WapcHost,
    calls: Arc<HostCalls>,
}

impl fmt::Debug for PolicyHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PolicyHost")
            .field("calls", &self.calls)
            .finish()
    }
}

impl PolicyHost {
    /// The host calls this instance answers (to count them, or reset between requests).
    pub fn host_calls(&self) -> &Arc<HostCalls> {
        &self.calls
    }

    /// Call a guest function with raw bytes. `Err` when the guest fails, traps or times out.
    pub fn call(&self, operation: &str, payload: &[u8]) -> Result<Vec<u8>, HostError> {
        self.host
            .call(operation, payload)
            .map_err(|e| HostError::Guest {
                operation: operation.to_owned(),
                error: e.to_string(),
            })
    }

    /// `validate` with `{"request": request, "settings": settings}`.
    pub fn validate(
        &self,
        request: &Value,
        settings: &Value,
    ) -> Result<ValidationResponse, HostError> {
        let payload = serde_json::json!({ "request": request, "settings": settings });
        self.validate_raw(payload.to_string().as_bytes())
    }

    /// `validate` with an arbitrary payload (possibly not even JSON).
    pub fn validate_raw(&self, payload: &[u8]) -> Result<ValidationResponse, HostError> {
        self.call_json("validate", payload)
    }

    /// `validate_settings` with `settings`.
    pub fn validate_settings(&self, settings: &Value) -> Result<SettingsResponse, HostError> {
        self.validate_settings_raw(settings.to_string().as_bytes())
    }

    /// `validate_settings` with an arbitrary payload.
    pub fn validate_settings_raw(&self, payload: &[u8]) -> Result<SettingsResponse, HostError> {
        self.call_json("validate_settings", payload)
    }

    /// `protocol_version`, decoded (`"v1"` for this policy).
    pub fn protocol_version(&self) -> Result<String, HostError> {
        self.call_json("protocol_version", b"")
    }

    fn call_json<T: for<'de> Deserialize<'de>>(
        &self,
        operation: &str,
        payload: &[u8],
    ) -> Result<T, HostError> {
        let body = self.call(operation, payload)?;
        serde_json::from_slice(&body).map_err(|e| HostError::BadResponse {
            operation: operation.to_owned(),
            error: e.to_string(),
            body: String::from_utf8_lossy(&body).into_owned(),
        })
    }
}
