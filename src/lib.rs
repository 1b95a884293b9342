//! security-context-policy: evaluation core (placeholder, being written).
pub fn validate(_payload: &[u8]) -> Vec<u8> { br#"{"accepted":true}"#.to_vec() }
pub fn validate_settings(_payload: &[u8]) -> Vec<u8> { br#"{"valid":true}"#.to_vec() }
