//! The Kubewarden adapter: waPC entry points over the core.

use kubewarden_policy_sdk::wapc_guest::prelude::*;

#[unsafe(no_mangle)]
pub extern "C" fn wapc_init() {
    register_function("validate", validate);
    register_function("validate_settings", validate_settings);
    register_function("protocol_version", protocol_version);
}

fn validate(payload: &[u8]) -> CallResult {
    Ok(crate::validate(payload))
}

fn validate_settings(payload: &[u8]) -> CallResult {
    Ok(crate::validate_settings(payload))
}

fn protocol_version(_payload: &[u8]) -> CallResult {
    Ok(crate::PROTOCOL_VERSION.to_vec())
}
