//! The inputs of `report`: files, directories (searched for `*.yaml`, `*.yml`, `*.json`) and
//! `-`, read in chunks so that the progress bar moves through one large `kubectl get -o json`.

use std::io::Read;
use std::path::{Path, PathBuf};

use security_context_checker::files::manifest_files;

use super::progress::{Progress, Unit};

const CHUNK: usize = 1 << 20;

enum Source {
    Stdin,
    File(PathBuf),
}

/// (label, text) of every input, in order; what cannot be read is an error naming it.
pub fn read_inputs(inputs: &[String], errors: &mut Vec<String>) -> Vec<(String, String)> {
    let mut sources = Vec::new();
    let mut stdin_used = false;
    for input in inputs {
        if input == "-" {
            if stdin_used {
                errors.push("<stdin>: standard input given twice: give `-` once".to_owned());
            } else {
                stdin_used = true;
                sources.push(Source::Stdin);
            }
            continue;
        }
        let path = Path::new(input);
        if path.is_dir() {
            match manifest_files(path) {
                Ok(files) => sources.extend(files.into_iter().map(Source::File)),
                Err(e) => errors.push(e),
            }
        } else {
            sources.push(Source::File(path.to_path_buf()));
        }
    }
    // With standard input among them the size is unknown: bytes are counted without a bar.
    let stdin = sources.iter().any(|s| matches!(s, Source::Stdin));
    let total: u64 = if stdin {
        0
    } else {
        sources
            .iter()
            .map(|s| match s {
                Source::File(p) => std::fs::metadata(p).map(|m| m.len()).unwrap_or(0),
                Source::Stdin => 0,
            })
            .sum()
    };
    let mut progress = Progress::new("reading", total, Unit::Bytes);
    let mut texts = Vec::new();
    for source in sources {
        let (label, read) = match source {
            Source::Stdin => (
                "<stdin>".to_owned(),
                read_chunked(std::io::stdin().lock(), &mut progress),
            ),
            Source::File(path) => {
                let label = path.display().to_string();
                let read =
                    std::fs::File::open(&path).and_then(|file| read_chunked(file, &mut progress));
                (label, read)
            }
        };
        match read {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => texts.push((label, text)),
                Err(_) => errors.push(format!(
                    "{label}: not UTF-8 text (kubectl prints UTF-8: save its output as it is)"
                )),
            },
            Err(e) => errors.push(format!("{label}: cannot read: {e}")),
        }
    }
    progress.finish();
    texts
}

fn read_chunked(mut reader: impl Read, progress: &mut Progress) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => return Ok(out),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        out.extend_from_slice(buf.get(..n).unwrap_or_default());
        progress.advance(n as u64);
    }
}
