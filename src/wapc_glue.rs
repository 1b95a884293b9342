//! The Kubewarden adapter: waPC entry points over the core, and the OCI host capability for
//! image-user verification.

use crate::image_user::ImageUserLookup;
use kubewarden_policy_sdk::wapc_guest::prelude::*;
use serde::Deserialize;

#[unsafe(no_mangle)]
pub extern "C" fn wapc_init() {
    register_function("validate", validate);
    register_function("validate_settings", validate_settings);
    register_function("protocol_version", protocol_version);
    // For the offline checker only (policy-server never calls them): the whole outcome with
    // its typed, untruncated findings, and the check registry.
    register_function("explain", explain);
    register_function("checks", checks);
}

fn explain(payload: &[u8]) -> CallResult {
    let outcome = crate::evaluate_with(payload, &mut HostOci);
    Ok(serde_json::to_vec(&outcome)?)
}

fn checks(_payload: &[u8]) -> CallResult {
    let list: Vec<_> = crate::checks::REGISTRY
        .iter()
        .map(|c| serde_json::json!({"id": c.id, "summary": c.summary}))
        .collect();
    Ok(serde_json::to_vec(&list)?)
}

fn validate(payload: &[u8]) -> CallResult {
    Ok(crate::validate_with(payload, &mut HostOci))
}

fn validate_settings(payload: &[u8]) -> CallResult {
    Ok(crate::validate_settings(payload))
}

fn protocol_version(_payload: &[u8]) -> CallResult {
    Ok(crate::PROTOCOL_VERSION.to_vec())
}

/// Reads an image's configured user through `kubewarden`/`oci`/`v1/oci_manifest_config`.
/// Only `config.config.User` of the answer is read (a lean view, not the whole OCI schema).
struct HostOci;

#[derive(Deserialize)]
struct ManifestAndConfig {
    #[serde(default)]
    config: Option<ImageConfiguration>,
}

#[derive(Deserialize)]
struct ImageConfiguration {
    #[serde(default)]
    config: Option<Config>,
}

#[derive(Deserialize)]
struct Config {
    #[serde(default, rename = "User")]
    user: Option<String>,
}

impl ImageUserLookup for HostOci {
    fn user(&mut self, image: &str) -> Result<String, String> {
        let request = serde_json::to_vec(image).map_err(|e| e.to_string())?;
        let answer = host_call("kubewarden", "oci", "v1/oci_manifest_config", &request)
            .map_err(|e| format!("OCI lookup failed: {e}"))?;
        let parsed: ManifestAndConfig =
            serde_json::from_slice(&answer).map_err(|e| format!("unexpected OCI answer: {e}"))?;
        Ok(parsed
            .config
            .and_then(|c| c.config)
            .and_then(|c| c.user)
            .unwrap_or_default())
    }
}
