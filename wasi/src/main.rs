//! The security-context policy as a WASI command: Kubewarden's `executionMode: wasi` protocol.
//!
//! ```text
//! policy.wasm validate           < {"request": …, "settings": …}   > ValidationResponse JSON
//! policy.wasm validate-settings  < settings JSON                   > {"valid": …, "message": …}
//! policy.wasm protocol-version   (stdin ignored)                   > "v1"
//! ```
//!
//! The operation is the first argument, the payload comes on stdin and the response goes to
//! stdout, as Kubewarden's policy-evaluator (`wasi_cli` runtime) and the Go WASI policies do.
//! `protocol-version` is not part of Kubewarden's WASI protocol; it answers what the waPC
//! module answers, for engines and scripts that want to check.
//!
//! Exit status: 0 with a response on stdout for every payload (a malformed request or invalid
//! settings is an answer, not a failure); 1 with a message on stderr for a usage error or an
//! I/O failure, which Kubewarden turns into a rejection with that message.
//!
//! The module imports nothing but WASI preview 1, so any WASI runtime can run it. It has no
//! OCI host capability: with `imageUser.verify` every lookup fails and
//! `imageUser.onLookupFailure` decides.

use std::io::{Read, Write};
use std::process::ExitCode;

const USAGE: &str = "usage: policy.wasm validate|validate-settings|protocol-version
  the payload is read from stdin, the response written to stdout:
  validate            {\"request\": <AdmissionRequest>, \"settings\": <settings>} -> ValidationResponse JSON
  validate-settings   <settings JSON> -> {\"valid\": bool, \"message\": string}
  protocol-version    -> \"v1\"";

/// What the command was asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operation {
    Validate,
    ValidateSettings,
    ProtocolVersion,
}

impl Operation {
    fn parse(arg: &str) -> Option<Operation> {
        match arg {
            "validate" => Some(Operation::Validate),
            "validate-settings" => Some(Operation::ValidateSettings),
            "protocol-version" => Some(Operation::ProtocolVersion),
            _ => None,
        }
    }

    fn reads_stdin(self) -> bool {
        self != Operation::ProtocolVersion
    }

    fn answer(self, payload: &[u8]) -> Vec<u8> {
        match self {
            Operation::Validate => security_context_policy::validate(payload),
            Operation::ValidateSettings => security_context_policy::validate_settings(payload),
            Operation::ProtocolVersion => security_context_policy::PROTOCOL_VERSION.to_vec(),
        }
    }
}

/// The operation named by the arguments (program name excluded), or a usage error.
fn operation_from_args(args: &[String]) -> Result<Operation, String> {
    match args {
        [op] => Operation::parse(op).ok_or_else(|| format!("unknown operation {op:?}\n{USAGE}")),
        [] => Err(format!("no operation given\n{USAGE}")),
        _ => Err(format!(
            "expected exactly one argument, the operation, got {}\n{USAGE}",
            args.len()
        )),
    }
}

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let op = operation_from_args(&args)?;
    let mut payload = Vec::new();
    if op.reads_stdin() {
        std::io::stdin()
            .read_to_end(&mut payload)
            .map_err(|e| format!("cannot read the payload from stdin: {e}"))?;
    }
    let response = op.answer(&payload);
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(&response)
        .and_then(|()| stdout.flush())
        .map_err(|e| format!("cannot write the response to stdout: {e}"))
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("security-context-policy: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn operations_are_kubewardens_names() {
        assert_eq!(
            operation_from_args(&args(&["validate"])),
            Ok(Operation::Validate)
        );
        assert_eq!(
            operation_from_args(&args(&["validate-settings"])),
            Ok(Operation::ValidateSettings)
        );
        assert_eq!(
            operation_from_args(&args(&["protocol-version"])),
            Ok(Operation::ProtocolVersion)
        );
    }

    #[test]
    fn usage_errors_name_the_problem() {
        let e = operation_from_args(&args(&["validate_settings"])).unwrap_err();
        assert!(
            e.starts_with("unknown operation \"validate_settings\""),
            "{e}"
        );
        assert!(
            operation_from_args(&[])
                .unwrap_err()
                .starts_with("no operation")
        );
        let e = operation_from_args(&args(&["validate", "extra"])).unwrap_err();
        assert!(e.contains("exactly one argument"), "{e}");
    }

    #[test]
    fn answers_are_the_cores() {
        assert_eq!(Operation::ProtocolVersion.answer(b""), br#""v1""#);
        assert_eq!(
            Operation::ValidateSettings.answer(b"{}"),
            security_context_policy::validate_settings(b"{}")
        );
        let payload = br#"{"request": {"uid": "1"}, "settings": {}}"#;
        assert_eq!(
            Operation::Validate.answer(payload),
            security_context_policy::validate(payload)
        );
    }
}
