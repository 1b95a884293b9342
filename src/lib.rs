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

// Policy code never panics on input: a panic traps the module and fails the admission
// request. So the core's own code may not unwrap, index, slice strings or overflow. These lints
// are set here, for this crate's code outside its tests, and nowhere else: its unit tests
// (`cfg(test)`) and the integration tests in tests/ (crates of their own) assert by panicking
// and index fixtures freely, without an allow block each.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::string_slice,
        clippy::arithmetic_side_effects
    )
)]

// The core flows one way, each module reading only those above it:
// view → image → profile → settings → target → image_user → checks → verdict → mutate →
// evaluate (a test asserts no module imports one that imports it back).
pub mod checks;
pub mod evaluate;
pub mod image;
pub mod image_user;
pub mod json_path;
pub mod mutate;
pub mod profile;
pub mod settings;
pub mod target;
pub mod verdict;
pub mod view;

#[cfg(all(target_arch = "wasm32", feature = "kubewarden"))]
mod wapc_glue;

pub use evaluate::compiled_settings;
use settings::Settings;
use verdict::Outcome;

/// Evaluates a Kubewarden `validate` payload (`{"request": …, "settings": …}`) in a runtime
/// without an OCI capability (image-user lookups fail, as `imageUser.onLookupFailure` says).
pub fn evaluate(payload: &[u8]) -> Outcome {
    evaluate_with(payload, &mut image_user::NoLookup)
}

/// Evaluates a `validate` payload, reading image users through `lookup`.
pub fn evaluate_with(payload: &[u8], lookup: &mut dyn image_user::ImageUserLookup) -> Outcome {
    evaluate::evaluate_payload(payload, lookup)
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
