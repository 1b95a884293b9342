//! Writes the benchmark requests (`xtask::bench_inputs`) as JSON files into the directory
//! given (default `target/bench-inputs`), for `make bench` and `make bench-server`.

use std::path::PathBuf;
use std::process::ExitCode;
use xtask::bench_inputs::{big_pod, rejected_pod, typical_deployment};

fn main() -> ExitCode {
    let dir = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target/bench-inputs"));
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("bench-inputs: cannot create {}: {e}", dir.display());
        return ExitCode::from(2);
    }
    for (file, request) in [
        ("deployment-typical.json", typical_deployment()),
        ("pod-100-containers.json", big_pod(100)),
        ("pod-100-rejected.json", rejected_pod(100)),
    ] {
        let path = dir.join(file);
        let text = serde_json::to_string(&request).unwrap_or_default();
        if let Err(e) = std::fs::write(&path, &text) {
            eprintln!("bench-inputs: cannot write {}: {e}", path.display());
            return ExitCode::from(2);
        }
        println!("{} ({} bytes)", path.display(), text.len());
    }
    ExitCode::SUCCESS
}
