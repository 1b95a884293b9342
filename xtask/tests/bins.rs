//! The tools answer `--help` with their usage and exit 0 (and `cargo test --workspace` builds
//! them for the e2e tests, which run `annotate` against `kwctl annotate`).

use std::process::Command;

#[test]
fn tools_print_their_usage() {
    for (bin, name) in [
        (env!("CARGO_BIN_EXE_annotate"), "annotate"),
        (
            env!("CARGO_BIN_EXE_scaffold-artifacthub"),
            "scaffold-artifacthub",
        ),
        (env!("CARGO_BIN_EXE_bench-server"), "bench-server"),
    ] {
        let out = Command::new(bin).arg("--help").output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{name}: {out:?}");
        assert!(text.contains(name), "{name}: {text}");
    }
}
