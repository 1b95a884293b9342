//! `annotate [--wasm policy.wasm] [--metadata policy-metadata.yml] [--usage README.md]
//!  [--output annotated-policy.wasm]`: what `kwctl annotate` does, without kwctl.
//!
//! Reads the metadata YAML, asks the module for its `protocol_version` through the waPC host
//! (refusing anything but "v1"), puts the README in the `io.kubewarden.policy.usage`
//! annotation and writes the module with an `io.kubewarden.metadata` custom section holding
//! the metadata JSON. Paths default to the repository root.
//!
//! With `executionMode: wasi` (the `wasi/` build) the module must instead be a WASI command
//! importing only WASI preview 1; like kwctl, no protocol version is recorded for it.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use e2e_tests::metadata::{Metadata, USAGE_ANNOTATION};
use e2e_tests::wasi::WasiModule;
use e2e_tests::{PolicyModule, repo_root, wasm};

const USAGE: &str = "usage: annotate [--wasm FILE] [--metadata FILE] [--usage FILE] [--output FILE]
defaults (repository root): policy.wasm, policy-metadata.yml, README.md, annotated-policy.wasm";

struct Args {
    wasm: PathBuf,
    metadata: PathBuf,
    usage: PathBuf,
    output: PathBuf,
}

fn parse_args() -> Result<Option<Args>, String> {
    let root = repo_root();
    let mut args = Args {
        wasm: root.join("policy.wasm"),
        metadata: root.join("policy-metadata.yml"),
        usage: root.join("README.md"),
        output: root.join("annotated-policy.wasm"),
    };
    let mut it = std::env::args_os().skip(1);
    while let Some(arg) = it.next() {
        let arg = arg.to_string_lossy().into_owned();
        if arg == "-h" || arg == "--help" {
            return Ok(None);
        }
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(PathBuf::from(v))),
            _ => (arg.clone(), None),
        };
        let slot = match flag.as_str() {
            "--wasm" => &mut args.wasm,
            "--metadata" => &mut args.metadata,
            "--usage" => &mut args.usage,
            "--output" => &mut args.output,
            _ => return Err(format!("unknown argument {arg:?}")),
        };
        *slot = match inline {
            Some(v) => v,
            None => it
                .next()
                .map(PathBuf::from)
                .ok_or_else(|| format!("{flag} needs a value"))?,
        };
    }
    Ok(Some(args))
}

fn read_text(path: &Path, what: &str) -> Result<String, String> {
    std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the {what} {}: {e}", path.display()))
}

fn run(args: &Args) -> Result<(), String> {
    let module_bytes = std::fs::read(&args.wasm).map_err(|e| {
        format!(
            "cannot read the module {}: {e} (build it with `make wasm`)",
            args.wasm.display()
        )
    })?;
    let metadata_text = read_text(&args.metadata, "metadata")?;
    let usage = read_text(&args.usage, "usage file")?;

    let mut metadata: Metadata = serde_norway::from_str(&metadata_text)
        .map_err(|e| format!("{}: invalid metadata: {e}", args.metadata.display()))?;
    let problems = metadata.problems();
    if !problems.is_empty() {
        return Err(format!(
            "{}: invalid metadata:\n  {}",
            args.metadata.display(),
            problems.join("\n  ")
        ));
    }
    let label = args.wasm.display().to_string();
    match metadata.execution_mode.as_str() {
        "kubewarden-wapc" => {
            let host = PolicyModule::from_bytes(&module_bytes, &label)
                .and_then(|m| m.instantiate())
                .map_err(|e| e.to_string())?;
            let version = host.protocol_version().map_err(|e| {
                format!(
                    "{label} does not answer protocol_version as a waPC Kubewarden policy must: {e}"
                )
            })?;
            if version != "v1" {
                return Err(format!(
                    "{label} answers protocol_version {version:?}; only \"v1\" is supported"
                ));
            }
            metadata.protocol_version = Some(version);
        }
        "wasi" => {
            WasiModule::from_bytes(&module_bytes, &label).map_err(|e| e.to_string())?;
            metadata.protocol_version = None;
        }
        other => {
            return Err(format!(
                "{}: executionMode is {other:?}; this annotator handles kubewarden-wapc and wasi modules",
                args.metadata.display()
            ));
        }
    }
    metadata
        .annotations
        .get_or_insert_with(Default::default)
        .insert(USAGE_ANNOTATION.to_owned(), usage);

    let json =
        serde_json::to_vec(&metadata).map_err(|e| format!("cannot serialise the metadata: {e}"))?;
    let annotated = wasm::with_custom_section(&module_bytes, wasm::METADATA_SECTION, &json)
        .map_err(|e| format!("{label}: {e}"))?;
    let tmp = args.output.with_extension("wasm.tmp");
    std::fs::write(&tmp, &annotated).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, &args.output)
        .map_err(|e| format!("cannot write {}: {e}", args.output.display()))?;
    println!(
        "annotated {} -> {} ({} bytes of metadata, {})",
        args.wasm.display(),
        args.output.display(),
        json.len(),
        match &metadata.protocol_version {
            Some(v) => format!("protocol {v}"),
            None => format!("executionMode {}", metadata.execution_mode),
        }
    );
    Ok(())
}

fn main() -> ExitCode {
    match parse_args() {
        Ok(Some(args)) => match run(&args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("annotate: {e}");
                ExitCode::FAILURE
            }
        },
        Ok(None) => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("annotate: {e}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}
