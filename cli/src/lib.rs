//! The security-context policy's checker: the compiled policy module run on wasmtime as
//! Kubewarden runs it, offline.
//!
//! - [`host`]: a waPC host ([`host::PolicyModule`], [`host::PolicyHost`]) answering the
//!   module's host calls (logging; OCI lookups from an image-user table);
//! - [`wasi`]: a host for the WASI command build (Kubewarden's `executionMode: wasi`);
//! - [`policy`]: where the checker finds its module (`--policy`, `SCP_POLICY_WASM`, beside the
//!   executable, or embedded at build time);
//! - [`post_render`]: the checker as a Helm post-renderer (the whole stream admitted, or
//!   nothing written).
//!
//! Both hosts share one engine setup (epoch deadlines, optional compilation cache). The
//! `security-context-checker` binary reads manifests with `security-context-input`.

pub mod args;
mod engine;
pub mod files;
pub mod host;
pub mod output;
pub mod policy;
pub mod post_render;
pub mod wasi;

pub use host::{
    HostCalls, HostError, PolicyHost, PolicyModule, SettingsResponse, ValidationResponse,
};
