//! # security-context-policy
//!
//! A Kubernetes admission policy that enforces a platform's standard security context
//! (non-root UID/GID, fsGroup, RuntimeDefault seccomp, no privilege escalation, read-only root
//! filesystem, all capabilities dropped) with per-service exceptions that carry a reason, on
//! top of the Kubernetes Pod Security Standards.
//!
//! This crate is the evaluation core: plain Rust, no runtime-specific code. The adapters are
//! thin: the waPC glue for Kubewarden (`wapc_glue`, wasm32 only), the offline checker (the
//! `e2e-tests` crate, on wasmtime) and the playground (wasm-bindgen).

pub mod checks;
pub mod evaluate;
pub mod image_user;
pub mod json_path;
pub mod mutate;
pub mod profile;
pub mod settings;
pub mod verdict;
pub mod view;

#[cfg(all(target_arch = "wasm32", feature = "kubewarden"))]
mod wapc_glue;

use settings::Settings;
use std::sync::{Arc, Mutex};
use verdict::Outcome;

/// Settings compiled from the last settings bytes seen: Kubewarden sends the same settings
/// with every request, so they are parsed and validated once.
static SETTINGS_CACHE: Mutex<Option<(Vec<u8>, Arc<Settings>)>> = Mutex::new(None);

/// Compiles settings, reusing the last compilation when the bytes are unchanged.
pub fn compiled_settings(bytes: &[u8]) -> Result<Arc<Settings>, String> {
    if let Ok(guard) = SETTINGS_CACHE.lock()
        && let Some((cached, s)) = guard.as_ref()
        && cached.as_slice() == bytes
    {
        return Ok(Arc::clone(s));
    }
    let s = Arc::new(Settings::from_json(bytes)?);
    if let Ok(mut guard) = SETTINGS_CACHE.lock() {
        *guard = Some((bytes.to_vec(), Arc::clone(&s)));
    }
    Ok(s)
}

/// Evaluates a Kubewarden `validate` payload (`{"request": …, "settings": …}`) in a runtime
/// without an OCI capability (image-user lookups fail, as `imageUser.onLookupFailure` says).
pub fn evaluate(payload: &[u8]) -> Outcome {
    evaluate_with(payload, &mut image_user::NoLookup)
}

/// Evaluates a `validate` payload, reading image users through `lookup`.
pub fn evaluate_with(payload: &[u8], lookup: &mut dyn image_user::ImageUserLookup) -> Outcome {
    if let Some(out) = evaluate::evaluate_fast(payload, lookup) {
        return out;
    }
    // The general path: raw objects for UPDATE comparison and mutation, and precise errors.
    let payload = match evaluate::read_payload(payload) {
        Ok(p) => p,
        Err(e) => return Outcome::malformed(e),
    };
    let Some(request) = &payload.request else {
        return Outcome::malformed("the payload has no `request`".to_owned());
    };
    let settings_bytes = payload.settings.map_or(&b"{}"[..], |s| s.get().as_bytes());
    let settings = match compiled_settings(settings_bytes) {
        Ok(s) => s,
        Err(e) => {
            return Outcome::reject(
                format!(
                    "security-context-policy: the policy's settings are invalid, so every request is rejected until they are fixed:\n{e}"
                ),
                Some(500),
            );
        }
    };
    evaluate::evaluate_request(request, &settings, lookup)
}

/// The waPC `validate` entry point: returns Kubewarden's `ValidationResponse` JSON.
pub fn validate(payload: &[u8]) -> Vec<u8> {
    evaluate(payload).to_response_json()
}

/// `validate`, reading image users through `lookup`.
pub fn validate_with(payload: &[u8], lookup: &mut dyn image_user::ImageUserLookup) -> Vec<u8> {
    evaluate_with(payload, lookup).to_response_json()
}

/// The waPC `validate_settings` entry point: returns `{"valid": bool, "message": …}`.
pub fn validate_settings(payload: &[u8]) -> Vec<u8> {
    #[derive(serde::Serialize)]
    struct Response {
        valid: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        message: Option<String>,
    }
    let r = if payload.trim_ascii().is_empty() {
        Response {
            valid: false,
            message: Some(
                "the settings payload is empty; send a JSON object ({} for the standard)"
                    .to_owned(),
            ),
        }
    } else {
        match Settings::from_json(payload) {
            Ok(_) => Response {
                valid: true,
                message: None,
            },
            Err(e) => Response {
                valid: false,
                message: Some(e),
            },
        }
    };
    serde_json::to_vec(&r).unwrap_or_else(|_| {
        br#"{"valid":false,"message":"could not encode the response"}"#.to_vec()
    })
}

/// The waPC `protocol_version` answer.
pub const PROTOCOL_VERSION: &[u8] = br#""v1""#;
