//! `scaffold-artifacthub [--metadata policy-metadata.yml] [--questions questions-ui.yml]
//!  [--version V] [--output artifacthub-pkg.yml] [--check]`: what
//! `kwctl scaffold artifacthub` does, without kwctl (`make artifacthub`).
//!
//! The version defaults to the metadata's `io.kubewarden.policy.version`. `createdAt` is kept
//! from the existing output when nothing else changed, so regenerating an up-to-date package
//! changes nothing; otherwise it is now. `--check` writes nothing and exits 1 when the output
//! is missing or out of date (the `createdAt` value aside). Paths default to the repository
//! root.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use xtask::artifacthub::{ANNOTATION_VERSION, ArtifactHubPkg, rfc3339_now};
use xtask::metadata::Metadata;
use xtask::repo_root;

const USAGE: &str = "usage: scaffold-artifacthub [--metadata FILE] [--questions FILE] [--version V] [--output FILE] [--check]
defaults (repository root): policy-metadata.yml, questions-ui.yml, the metadata's io.kubewarden.policy.version, artifacthub-pkg.yml";

struct Args {
    metadata: PathBuf,
    questions: PathBuf,
    version: Option<String>,
    output: PathBuf,
    check: bool,
}

fn parse_args() -> Result<Option<Args>, String> {
    let root = repo_root();
    let mut args = Args {
        metadata: root.join("policy-metadata.yml"),
        questions: root.join("questions-ui.yml"),
        version: None,
        output: root.join("artifacthub-pkg.yml"),
        check: false,
    };
    let mut it = std::env::args_os().skip(1);
    while let Some(arg) = it.next() {
        let arg = arg.to_string_lossy().into_owned();
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--check" => {
                args.check = true;
                continue;
            }
            _ => {}
        }
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let value = match inline {
            Some(v) => v,
            None => it
                .next()
                .map(|v| v.to_string_lossy().into_owned())
                .ok_or_else(|| format!("{flag} needs a value"))?,
        };
        match flag.as_str() {
            "--metadata" => args.metadata = PathBuf::from(value),
            "--questions" => args.questions = PathBuf::from(value),
            "--version" => args.version = Some(value),
            "--output" => args.output = PathBuf::from(value),
            _ => return Err(format!("unknown argument {arg:?}")),
        }
    }
    Ok(Some(args))
}

fn read_text(path: &Path, what: &str) -> Result<String, String> {
    std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the {what} {}: {e}", path.display()))
}

/// The package the inputs imply, stamped `created_at`.
fn generate(args: &Args, created_at: &str) -> Result<ArtifactHubPkg, String> {
    let metadata_text = read_text(&args.metadata, "metadata")?;
    let metadata: Metadata = serde_norway::from_str(&metadata_text)
        .map_err(|e| format!("{}: invalid metadata: {e}", args.metadata.display()))?;
    let problems = metadata.problems();
    if !problems.is_empty() {
        return Err(format!(
            "{}: invalid metadata:\n  {}",
            args.metadata.display(),
            problems.join("\n  ")
        ));
    }
    let questions = read_text(&args.questions, "questions file")?;
    serde_norway::from_str::<serde_norway::Value>(&questions)
        .map_err(|e| format!("{}: not YAML: {e}", args.questions.display()))?;
    let version = match &args.version {
        Some(v) => v.clone(),
        None => metadata
            .annotation(ANNOTATION_VERSION)
            .map(str::to_owned)
            .ok_or_else(|| {
                format!(
                    "{}: no {ANNOTATION_VERSION} annotation; pass --version",
                    args.metadata.display()
                )
            })?,
    };
    ArtifactHubPkg::from_metadata(&metadata, &version, created_at, Some(&questions))
        .map_err(|e| format!("{}: {e}", args.metadata.display()))
}

fn run(args: &Args) -> Result<ExitCode, String> {
    let existing = std::fs::read_to_string(&args.output).ok();
    let existing_created = existing
        .as_deref()
        .and_then(|t| ArtifactHubPkg::parse(t).ok())
        .map(|p| p.created_at);
    // With the existing timestamp, an unchanged package renders to the very same text.
    let text = match &existing_created {
        Some(created) => generate(args, created)?.render()?,
        None => String::new(),
    };
    let up_to_date = existing.as_deref() == Some(text.as_str()) && !text.is_empty();
    if up_to_date {
        println!("{} is up to date", args.output.display());
        return Ok(ExitCode::SUCCESS);
    }
    if args.check {
        eprintln!(
            "{} is {}: run `make artifacthub` and commit the result",
            args.output.display(),
            if existing.is_some() {
                "out of date"
            } else {
                "missing"
            }
        );
        return Ok(ExitCode::FAILURE);
    }
    let fresh = generate(args, &rfc3339_now())?.render()?;
    std::fs::write(&args.output, fresh)
        .map_err(|e| format!("cannot write {}: {e}", args.output.display()))?;
    println!("wrote {}", args.output.display());
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    match parse_args() {
        Ok(Some(args)) => match run(&args) {
            Ok(code) => code,
            Err(e) => {
                eprintln!("scaffold-artifacthub: {e}");
                ExitCode::from(2)
            }
        },
        Ok(None) => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("scaffold-artifacthub: {e}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}
