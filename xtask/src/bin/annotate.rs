//! `annotate [--wasm policy.wasm] [--metadata policy-metadata.yml] [--usage README.md]
//!  [--output annotated-policy.wasm]`: what `kwctl annotate` does, without kwctl.
//!
//! Reads the metadata YAML, asks the module for its `protocol_version` through the waPC host
//! (refusing anything but "v1"), puts the README in the `io.kubewarden.policy.usage`
//! annotation and writes the module with an `io.kubewarden.metadata` custom section holding
//! the metadata JSON. Paths default to the repository root.
//!
//! With `executionMode: wasi` (the `wasi/` build) the module must instead be a WASI command
//! importing only WASI preview 1; like kwctl, its protocol version is recorded as `"Unknown"`.
//!
//! Like `kwctl annotate` (1.35+) it scans the module's data for the host capabilities it calls
//! (`xtask::metadata::detect_host_capabilities`). Where kwctl only warns, this refuses to
//! annotate a module that calls a capability `hostCapabilities` does not declare: policy-server
//! grants namespaced policies only the capabilities their PolicyServer allows, so an undeclared
//! one would surface as a failed call in production. A declared capability the scan does not
//! find is a warning, as in kwctl. The metadata JSON is byte for byte kwctl's, without kwctl's
//! own `io.kubewarden.kwctl` annotation.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use security_context_checker::PolicyModule;
use security_context_checker::wasi::WasiModule;
use xtask::metadata::{Metadata, USAGE_ANNOTATION, detect_host_capabilities};
use xtask::{repo_root, wasm};

/// What kwctl records as the protocol version of a WASI policy.
const WASI_PROTOCOL_VERSION: &str = "Unknown";

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
    check_host_capabilities(&module_bytes, &metadata, &label, &args.metadata)?;
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
            // A WASI command answers no protocol_version call; kwctl 1.36 records its
            // ProtocolVersion::Unknown, serialised "Unknown".
            metadata.protocol_version = Some(WASI_PROTOCOL_VERSION.to_owned());
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
        match (&metadata.protocol_version, metadata.execution_mode.as_str()) {
            (Some(v), "kubewarden-wapc") => format!("protocol {v}"),
            (_, mode) => format!("executionMode {mode}"),
        }
    );
    Ok(())
}

/// Refuses a module that calls host capabilities its metadata does not declare; warns about
/// declared ones the scan does not find.
fn check_host_capabilities(
    module: &[u8],
    metadata: &Metadata,
    label: &str,
    metadata_path: &Path,
) -> Result<(), String> {
    let segments = wasm::data_segments(module).map_err(|e| format!("{label}: {e}"))?;
    let used = detect_host_capabilities(&segments);
    let declared: Vec<&str> = metadata
        .host_capabilities
        .iter()
        .flatten()
        .map(String::as_str)
        .collect();
    let undeclared: Vec<&str> = used
        .iter()
        .copied()
        .filter(|cap| !declared.contains(cap))
        .collect();
    if !undeclared.is_empty() {
        let all: Vec<&str> = declared
            .iter()
            .copied()
            .chain(undeclared.iter().copied())
            .collect();
        return Err(format!(
            "{label} calls host capabilities {} that {} does not declare in hostCapabilities; \
             declare every capability the module calls (hostCapabilities: [{}]), or \
             Kubewarden cannot tell which PolicyServers (namespacedPoliciesCapabilities) may run it",
            undeclared.join(", "),
            metadata_path.display(),
            all.join(", ")
        ));
    }
    let unused: Vec<&str> = declared
        .iter()
        .copied()
        .filter(|cap| !used.contains(cap))
        .collect();
    if !unused.is_empty() {
        eprintln!(
            "annotate: warning: {} declares host capabilities {} that were not detected in {label}",
            metadata_path.display(),
            unused.join(", ")
        );
    }
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
