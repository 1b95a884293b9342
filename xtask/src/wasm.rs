//! Just enough of the wasm binary format to read and write custom sections.

use std::fmt;

/// The custom section where Kubewarden keeps a policy's metadata (JSON).
pub const METADATA_SECTION: &str = "io.kubewarden.metadata";

const MAGIC: &[u8; 4] = b"\0asm";
const VERSION_1: &[u8; 4] = &[1, 0, 0, 0];

/// Why a byte string is not a wasm module we can handle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WasmError(pub String);

impl fmt::Display for WasmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for WasmError {}

/// A section of a module: its id and where its payload lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Section {
    pub id: u8,
    /// Offset of the section's first byte (the id).
    pub start: usize,
    /// Offset of the payload's first byte.
    pub payload_start: usize,
    /// Offset just past the section.
    pub end: usize,
}

fn read_leb_u32(bytes: &[u8], pos: &mut usize) -> Result<u32, WasmError> {
    let mut result: u64 = 0;
    for shift in (0..35).step_by(7) {
        let byte = *bytes
            .get(*pos)
            .ok_or_else(|| WasmError(format!("truncated LEB128 at offset {}", *pos)))?;
        *pos += 1;
        result |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return u32::try_from(result)
                .map_err(|_| WasmError(format!("LEB128 too large before offset {pos}")));
        }
    }
    Err(WasmError(format!(
        "LEB128 longer than 5 bytes before offset {pos}"
    )))
}

/// Append `value` as unsigned LEB128.
pub fn write_leb_u32(out: &mut Vec<u8>, mut value: u32) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// All sections of a module, in order.
pub fn sections(module: &[u8]) -> Result<Vec<Section>, WasmError> {
    if module.len() < 8 || &module[..4] != MAGIC {
        return Err(WasmError("not a wasm module (bad magic number)".to_owned()));
    }
    if &module[4..8] != VERSION_1 {
        return Err(WasmError(
            "not a core wasm module, version 1 (a component?)".to_owned(),
        ));
    }
    let mut pos = 8;
    let mut out = Vec::new();
    while pos < module.len() {
        let start = pos;
        let id = module[pos];
        pos += 1;
        let size = read_leb_u32(module, &mut pos)? as usize;
        let payload_start = pos;
        let end = payload_start
            .checked_add(size)
            .filter(|end| *end <= module.len())
            .ok_or_else(|| {
                WasmError(format!(
                    "section at offset {start} runs past the end of the module"
                ))
            })?;
        out.push(Section {
            id,
            start,
            payload_start,
            end,
        });
        pos = end;
    }
    Ok(out)
}

/// All custom sections as (name, payload), in order.
pub fn custom_sections(module: &[u8]) -> Result<Vec<(String, &[u8])>, WasmError> {
    let mut out = Vec::new();
    for section in sections(module)?.into_iter().filter(|s| s.id == 0) {
        let mut pos = section.payload_start;
        let name_len = read_leb_u32(module, &mut pos)? as usize;
        let name_end = pos
            .checked_add(name_len)
            .filter(|e| *e <= section.end)
            .ok_or_else(|| {
                WasmError(format!(
                    "custom section name at offset {pos} runs past its section"
                ))
            })?;
        let name = std::str::from_utf8(&module[pos..name_end])
            .map_err(|_| WasmError(format!("custom section name at offset {pos} is not UTF-8")))?;
        out.push((name.to_owned(), &module[name_end..section.end]));
    }
    Ok(out)
}

/// Skips a constant expression (an active data segment's offset) up to and including its
/// `end` opcode: `i32.const`, `i64.const`, `f32.const`, `f64.const`, `global.get` and the
/// extended-const arithmetic, which is all a data segment offset may hold.
fn skip_const_expr(bytes: &[u8], end: usize, pos: &mut usize) -> Result<(), WasmError> {
    loop {
        let at = *pos;
        let opcode = *bytes.get(at).filter(|_| at < end).ok_or_else(|| {
            WasmError(format!("data segment offset at {at} runs past its section"))
        })?;
        *pos += 1;
        match opcode {
            0x0b => return Ok(()),
            // i32.const, i64.const: a signed LEB128 (at most 10 bytes).
            0x41 | 0x42 => {
                let mut n = 0;
                while bytes.get(*pos).is_some_and(|b| b & 0x80 != 0) {
                    *pos += 1;
                    n += 1;
                    if n > 10 {
                        return Err(WasmError(format!("LEB128 too long at offset {at}")));
                    }
                }
                *pos += 1;
            }
            0x43 => *pos += 4,
            0x44 => *pos += 8,
            0x23 => {
                read_leb_u32(bytes, pos)?;
            }
            // i32.add/sub/mul, i64.add/sub/mul (extended constant expressions).
            0x6a | 0x6b | 0x6c | 0x7c | 0x7d | 0x7e => {}
            other => {
                return Err(WasmError(format!(
                    "data segment offset at {at}: opcode 0x{other:02x} is not a constant expression"
                )));
            }
        }
    }
}

/// The bytes of every data segment (section 11), in order: where a module keeps its strings.
pub fn data_segments(module: &[u8]) -> Result<Vec<&[u8]>, WasmError> {
    let mut out = Vec::new();
    for section in sections(module)?.into_iter().filter(|s| s.id == 11) {
        let mut pos = section.payload_start;
        let count = read_leb_u32(module, &mut pos)?;
        for i in 0..count {
            let flags = read_leb_u32(module, &mut pos)?;
            match flags {
                0 => skip_const_expr(module, section.end, &mut pos)?,
                1 => {}
                2 => {
                    read_leb_u32(module, &mut pos)?;
                    skip_const_expr(module, section.end, &mut pos)?;
                }
                other => {
                    return Err(WasmError(format!(
                        "data segment {i} at offset {pos}: unknown kind {other}"
                    )));
                }
            }
            let len = read_leb_u32(module, &mut pos)? as usize;
            let end = pos
                .checked_add(len)
                .filter(|e| *e <= section.end)
                .ok_or_else(|| {
                    WasmError(format!(
                        "data segment {i} at offset {pos} runs past its section"
                    ))
                })?;
            out.push(&module[pos..end]);
            pos = end;
        }
    }
    Ok(out)
}

/// The payload of the first custom section called `name`.
pub fn custom_section<'m>(module: &'m [u8], name: &str) -> Result<Option<&'m [u8]>, WasmError> {
    Ok(custom_sections(module)?
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, payload)| payload))
}

/// `module` without any custom section called `name`, plus one such section holding `payload`
/// at the end (where `kwctl annotate` puts it).
pub fn with_custom_section(
    module: &[u8],
    name: &str,
    payload: &[u8],
) -> Result<Vec<u8>, WasmError> {
    let too_big = |what: &str| WasmError(format!("{what} is larger than 4 GiB"));
    let mut out = Vec::with_capacity(module.len() + payload.len() + name.len() + 16);
    out.extend_from_slice(&module[..8.min(module.len())]);
    let all = sections(module)?;
    let customs = custom_sections(module)?;
    let mut custom_names = customs.iter().map(|(n, _)| n.as_str());
    for section in all {
        if section.id == 0 && custom_names.next() == Some(name) {
            continue;
        }
        out.extend_from_slice(&module[section.start..section.end]);
    }
    let name_len = u32::try_from(name.len()).map_err(|_| too_big("section name"))?;
    let mut body = Vec::with_capacity(name.len() + payload.len() + 5);
    write_leb_u32(&mut body, name_len);
    body.extend_from_slice(name.as_bytes());
    body.extend_from_slice(payload);
    out.push(0);
    write_leb_u32(
        &mut out,
        u32::try_from(body.len()).map_err(|_| too_big("section"))?,
    );
    out.extend_from_slice(&body);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `(module)` plus a custom section "x" = "1".
    fn tiny() -> Vec<u8> {
        let mut m = b"\0asm\x01\0\0\0".to_vec();
        m.extend_from_slice(&[0, 3, 1, b'x', b'1']);
        m
    }

    #[test]
    fn leb_round_trip() {
        for v in [0u32, 1, 127, 128, 300, 16_384, u32::MAX] {
            let mut buf = Vec::new();
            write_leb_u32(&mut buf, v);
            let mut pos = 0;
            assert_eq!(read_leb_u32(&buf, &mut pos), Ok(v));
            assert_eq!(pos, buf.len());
        }
    }

    #[test]
    fn add_and_replace_a_section() {
        let payload = vec![b'z'; 200];
        let once = with_custom_section(&tiny(), "meta", &payload).unwrap();
        assert_eq!(custom_section(&once, "meta").unwrap(), Some(&payload[..]));
        assert_eq!(custom_section(&once, "x").unwrap(), Some(&b"1"[..]));
        let twice = with_custom_section(&once, "meta", b"new").unwrap();
        let names: Vec<String> = custom_sections(&twice)
            .unwrap()
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(names, ["x", "meta"]);
        assert_eq!(custom_section(&twice, "meta").unwrap(), Some(&b"new"[..]));
    }

    #[test]
    fn data_segments_active_and_passive() {
        let mut m = b"\0asm\x01\0\0\0".to_vec();
        // One memory, then a data section: an active segment at i32.const 16 holding "oci",
        // and a passive one holding "v1".
        m.extend_from_slice(&[5, 3, 1, 0, 1]);
        let body = [2, 0, 0x41, 16, 0x0b, 3, b'o', b'c', b'i', 1, 2, b'v', b'1'];
        m.push(11);
        m.push(body.len() as u8);
        m.extend_from_slice(&body);
        assert_eq!(data_segments(&m).unwrap(), [&b"oci"[..], &b"v1"[..]]);
        assert!(data_segments(&tiny()).unwrap().is_empty());
        let mut bad = m.clone();
        let at = bad.len() - 11;
        bad[at] = 0x99;
        assert!(data_segments(&bad).is_err());
    }

    #[test]
    fn rejects_garbage() {
        assert!(sections(b"hello world").is_err());
        let mut truncated = tiny();
        truncated.truncate(11);
        assert!(sections(&truncated).is_err());
    }
}
