//! Kubernetes names and quantities, validated as the API server would.

/// A namespace name: an RFC 1123 label.
pub fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

fn is_label_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && s.as_bytes().first().is_some_and(u8::is_ascii_alphanumeric)
        && s.as_bytes().last().is_some_and(u8::is_ascii_alphanumeric)
}

fn is_dns_subdomain(s: &str) -> bool {
    !s.is_empty() && s.len() <= 253 && s.split('.').all(is_dns_label)
}

pub fn validate_label(key: &str, value: &str) -> Result<(), String> {
    let (prefix, name) = match key.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    if prefix.is_some_and(|p| !is_dns_subdomain(p)) || !is_label_name(name) {
        return Err(format!(
            "{key:?} is not a valid label key (an optional DNS-subdomain prefix and '/', then up to 63 alphanumerics, '-', '_' or '.')"
        ));
    }
    if !value.is_empty() && !is_label_name(value) {
        return Err(format!(
            "{key}: {value:?} is not a valid label value (up to 63 alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric)"
        ));
    }
    Ok(())
}
