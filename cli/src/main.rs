//! `security-context-checker`, the offline checker (docs/checker.md): evaluate manifests with
//! the compiled policy module, the same `annotated-policy.wasm` the cluster runs, before they
//! reach a cluster.
//!
//! Exit status: 0 all accepted, 1 something rejected, 2 bad input, bad settings or a policy
//! failure.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use security_context_checker::args::Args;
use security_context_checker::files::manifest_files;
use security_context_checker::output::{self, escape};
use security_context_checker::policy::PolicySource;
use security_context_checker::{HostCalls, PolicyHost};
use security_context_input::locate::SourceMap;
use security_context_input::manifest::{self, InputError, Wrapping};
use security_context_input::request::{DEFAULT_NAMESPACE, Requester};
use security_context_input::yaml;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::Arc;

/// `report`: what protect mode would reject, and where (cli/src/report/).
mod report;

const USAGE: &str = "\
usage: security-context-checker check [OPTIONS] FILE|DIR|- ...
       security-context-checker post-render [OPTIONS] [FILE|-]
       security-context-checker report [OPTIONS] FILE|DIR|- ...   (report --help)

Evaluates Kubernetes manifests with the security-context policy (the compiled
annotated-policy.wasm, run on wasmtime exactly as Kubewarden runs it).

Input: multi-document YAML or JSON holding objects, Lists, AdmissionRequests or
AdmissionReviews. `-` reads standard input; a directory is searched for *.yaml,
*.yml and *.json files. A document, or an item of a List, that is not a Kubernetes
object is reported (exit status 2); the other objects are still evaluated.

Options:
  --settings FILE       policy settings (YAML or JSON); default: {} (the standard profile)
  --namespace NS        namespace for objects that name none (default: default)
  --output FORMAT       text (default; coloured on a terminal unless NO_COLOR is set),
                        json, sarif (SARIF 2.1.0, for code scanning) or junit (JUnit XML,
                        one test case per object)
  --mutate              print the manifests as the policy would admit them (mutated where
                        the settings enable mutation), ready to apply, on standard output;
                        verdicts go to standard error. Rejected objects are left out.
  --show-message        text output: print the policy's message (what kubectl apply
                        shows) under every verdict, not only where no finding is listed
  --image-users FILE    answer the OCI lookups of imageUser.verify from FILE, a YAML or
                        JSON map image: user (the image config's USER, empty for none), with
                        no network. An image missing from FILE is a failed lookup.
  --user NAME           simulate the requester: the userInfo.username of every request
                        the checker wraps (default: kubernetes-admin); exceptions with
                        match.users see it
  --group NAME          simulate a group of the requester (repeatable): userInfo.groups of
                        every wrapped request, plus system:authenticated (default, without
                        --user and --group: system:masters, system:authenticated);
                        exceptions with match.groups see them. AdmissionRequests and
                        AdmissionReviews in the input keep their own userInfo.
  --policy PATH         the policy module. Without it the checker takes, in this order:
                        $SCP_POLICY_WASM; annotated-policy.wasm beside the executable;
                        the module embedded at build time (SCP_EMBED_POLICY=/abs/path/to/
                        annotated-policy.wasm cargo install --path cli, as
                        `make install-checker` does)
  -h, --help            this help

Text output: `ACCEPTED|REJECTED Kind namespace/name`, then one line per finding with the
place to edit (`FILE:LINE:COLUMN (helm template): deny check-id: container: field: found
…; required …`), each check's fix once (`fix: …`, under its first finding), `warning:`
and `audit:` lines; with several inputs, `==> FILE <==` before each. Names and values
from the input are printed on one line, control characters escaped (`\\n`, `\\u{1b}`).
JSON output: an array of {source, index (document number, from 1), item (position in a
List, or null), kind, namespace, name, at (where the object starts), response (the
policy's answer), findings (every finding, with `at`: source, line, column, template)}.

Exit status: 0 all accepted, 1 something rejected, 2 bad input or settings.

post-render: Helm's post-renderer (helm install --post-renderer security-context-checker
--post-renderer-args post-render --post-renderer-args --settings=FILE ...). Reads the
rendered stream (standard input by default), takes the options of check but --output and
--mutate, and writes the stream on standard output, each document as written except those
the policy mutates, only when every object is admitted. Otherwise it writes nothing there,
the rejected objects' verdicts go to standard error (Helm shows them) and the exit status is
1 (rejected) or 2 (bad input or settings), so Helm installs nothing.";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Output {
    Text,
    Json,
    Sarif,
    Junit,
}

#[derive(Debug)]
struct Options {
    settings: Option<PathBuf>,
    image_users: Option<PathBuf>,
    namespace: String,
    output: Output,
    mutate: bool,
    /// `--show-message`: the module's message under every verdict in text output.
    show_message: bool,
    policy: Option<PathBuf>,
    user: String,
    groups: Vec<String>,
    inputs: Vec<String>,
}

enum Command {
    Help,
    Check(Options),
    /// `post-render`: Helm's post-renderer (cli/src/post_render.rs).
    PostRender(Options),
}

/// A failure that ends the run with status 2.
struct Fatal(String);

fn parse_args(args: Vec<String>) -> Result<Command, String> {
    let mut it = args.into_iter();
    let mut post_render = false;
    match it.next().as_deref() {
        None | Some("-h" | "--help" | "help") => return Ok(Command::Help),
        Some("check") => {}
        Some("post-render") => post_render = true,
        Some(other) => {
            return Err(format!(
                "unknown command {other:?}: the commands are `check`, `post-render` and `report` \
                 (`security-context-checker --help`)"
            ));
        }
    }
    let mut opts = Options {
        settings: None,
        image_users: None,
        namespace: DEFAULT_NAMESPACE.to_owned(),
        output: Output::Text,
        mutate: false,
        show_message: false,
        policy: None,
        user: String::new(),
        groups: Vec::new(),
        inputs: Vec::new(),
    };
    let mut args = Args::new(it);
    while let Some(flag) = args.next_flag(&mut opts.inputs) {
        let mut value = || args.value(&flag);
        match flag.name.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "--settings" => opts.settings = Some(PathBuf::from(value()?)),
            "--image-users" => opts.image_users = Some(PathBuf::from(value()?)),
            "--namespace" | "-n" => {
                opts.namespace = value()?;
                if opts.namespace.is_empty() {
                    return Err("--namespace needs a non-empty value".to_owned());
                }
            }
            "--policy" => opts.policy = Some(PathBuf::from(value()?)),
            "--user" => {
                opts.user = value()?;
                if opts.user.trim().is_empty() {
                    return Err("--user needs a non-empty name".to_owned());
                }
            }
            "--group" => {
                let group = value()?;
                if group.trim().is_empty() {
                    return Err("--group needs a non-empty name".to_owned());
                }
                opts.groups.push(group);
            }
            "--output" | "-o" => {
                opts.output = match value()?.as_str() {
                    "text" => Output::Text,
                    "json" => Output::Json,
                    "sarif" => Output::Sarif,
                    "junit" => Output::Junit,
                    other => {
                        return Err(format!(
                            "--output must be text, json, sarif or junit, not {other:?}"
                        ));
                    }
                }
            }
            "--mutate" if !flag.has_inline_value() => opts.mutate = true,
            "--show-message" if !flag.has_inline_value() => opts.show_message = true,
            _ => return Err(format!("unknown option {:?}", flag.word)),
        }
    }
    if post_render {
        return post_render_options(opts);
    }
    if opts.inputs.is_empty() {
        return Err(
            "no input: give one or more files, directories, or - for standard input".to_owned(),
        );
    }
    Ok(Command::Check(opts))
}

/// (label, text) of every input; unreadable inputs become errors.
fn read_inputs(inputs: &[String], errors: &mut Vec<String>) -> Vec<(String, String)> {
    let mut texts = Vec::new();
    let mut stdin_used = false;
    for input in inputs {
        if input == "-" {
            if stdin_used {
                errors.push("<stdin>: standard input given twice".to_owned());
                continue;
            }
            stdin_used = true;
            let mut text = String::new();
            match std::io::stdin().read_to_string(&mut text) {
                Ok(_) => texts.push(("<stdin>".to_owned(), text)),
                Err(e) => errors.push(format!("<stdin>: cannot read: {e}")),
            }
            continue;
        }
        let path = Path::new(input);
        let files = if path.is_dir() {
            match manifest_files(path) {
                Ok(files) => files,
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            }
        } else {
            vec![path.to_path_buf()]
        };
        for file in files {
            let label = file.display().to_string();
            match std::fs::read(&file) {
                Ok(bytes) => match String::from_utf8(bytes) {
                    Ok(text) => texts.push((label, text)),
                    Err(_) => errors.push(format!("{label}: not UTF-8 text")),
                },
                Err(e) => errors.push(format!("{label}: cannot read: {e}")),
            }
        }
    }
    texts
}

fn load_settings(path: Option<&Path>) -> Result<Value, Fatal> {
    let Some(path) = path else {
        return Ok(json!({}));
    };
    let label = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| Fatal(format!("settings {label}: cannot read: {e}")))?;
    manifest::parse_settings(&text, &label).map_err(|e: InputError| {
        Fatal(format!(
            "settings {}",
            output::describe_error(Some(&SourceMap::of_text(&text)), &e)
        ))
    })
}

fn load_policy(flag: Option<&Path>, calls: HostCalls) -> Result<PolicyHost, Fatal> {
    let source = PolicySource::find(flag).map_err(Fatal)?;
    if let PolicySource::File(path) = &source
        && !path.is_file()
    {
        return Err(Fatal(format!(
            "policy module {} not found: build it with `make wasm`, or pass --policy PATH",
            path.display()
        )));
    }
    source
        .load()
        .and_then(|module| module.instantiate_with(Arc::new(calls)))
        .map_err(|e| Fatal(e.to_string()))
}

fn load_image_users(path: Option<&Path>) -> Result<HostCalls, Fatal> {
    let Some(path) = path else {
        return Ok(HostCalls::new());
    };
    let label = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| Fatal(format!("image users {label}: cannot read: {e}")))?;
    let table = manifest::parse_image_users(&text, &label).map_err(|e: InputError| {
        Fatal(format!(
            "image users {}",
            output::describe_error(Some(&SourceMap::of_text(&text)), &e)
        ))
    })?;
    Ok(HostCalls::new().with_image_users(table))
}

/// `post-render` takes the options of `check` and one input, standard input by default.
fn post_render_options(mut opts: Options) -> Result<Command, String> {
    if opts.mutate {
        return Err(
            "post-render always writes the admitted (mutated) manifests: drop --mutate".to_owned(),
        );
    }
    if opts.output != Output::Text {
        return Err(
            "post-render writes its verdicts as text on standard error: drop --output".to_owned(),
        );
    }
    match opts.inputs.len() {
        0 => opts.inputs.push("-".to_owned()),
        1 if !Path::new(&opts.inputs[0]).is_dir() => {}
        _ => {
            return Err(format!(
                "post-render reads one rendered stream (standard input, as Helm sends it, or \
                 one file), not {:?}: run `check` for several files or a directory",
                opts.inputs
            ));
        }
    }
    Ok(Command::PostRender(opts))
}

/// Helm's post-renderer: the admitted stream on standard output and status 0, or nothing on
/// standard output and the verdicts on standard error with status 1 (rejected) or 2 (bad
/// input, settings or module).
fn run_post_render(opts: &Options) -> Result<u8, Fatal> {
    let settings = load_settings(opts.settings.as_deref())?;
    let calls = load_image_users(opts.image_users.as_deref())?;
    let host = load_policy(opts.policy.as_deref(), calls)?;
    let verdict = host
        .validate_settings(&settings)
        .map_err(|e| Fatal(e.to_string()))?;
    if !verdict.valid {
        let label = opts
            .settings
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "{} (default)".to_owned());
        let message = verdict.message.unwrap_or_else(|| "(no message)".to_owned());
        return Err(Fatal(format!("invalid settings {label}: {message}")));
    }
    let mut errors = Vec::new();
    let Some((label, text)) = read_inputs(&opts.inputs, &mut errors).pop() else {
        return Err(Fatal(errors.join("; ")));
    };
    let wrapping = Wrapping {
        default_namespace: opts.namespace.clone(),
        requester: Requester::new(&opts.user, &opts.groups),
    };
    // Standard error is written once, at the end: Helm shows it whole in its message. The
    // findings are located in the stream (line, column, and the template of Helm's `# Source:`).
    let map = SourceMap::of_text(&text);
    let style = output::text::Style {
        colour: output::colour_wanted(
            std::io::stderr().is_terminal(),
            std::env::var_os("NO_COLOR").as_deref(),
        ),
        message: opts.show_message,
    };
    let mut err: Vec<u8> = Vec::new();
    let mut unexplained = false;
    let outcome = security_context_checker::post_render::post_render(
        &text,
        &label,
        &wrapping,
        &host,
        &settings,
        &mut |entry, response| {
            // Only what stops the release, and what the policy warns about, is worth reading
            // in Helm's error message.
            let warned = response.warnings.as_ref().is_some_and(|w| !w.is_empty());
            if !response.accepted || warned {
                let rows = output::explain(&host, &entry.request, &settings).unwrap_or_else(|_| {
                    unexplained = true;
                    Vec::new()
                });
                let verdict = output::Verdict::new(entry, Some(&map), response.clone(), rows);
                // Writing to a Vec cannot fail.
                let _ = output::text::write_verdict(&mut err, &verdict, true, style);
            }
        },
    );
    if unexplained {
        let _ = writeln!(
            err,
            "checker: note: the module has no working `explain` export (an older build?): \
             findings are not located; rebuild it with `make wasm`"
        );
    }
    for e in &outcome.input_errors {
        let e = output::describe_error(Some(&map), e);
        let _ = writeln!(err, "checker: {}", escape::text(&e));
    }
    for e in &outcome.errors {
        let _ = writeln!(err, "checker: {}", escape::text(e));
    }
    let code = if !outcome.errors.is_empty() || !outcome.input_errors.is_empty() {
        let _ = writeln!(
            err,
            "checker: post-render: {label} cannot be read as Kubernetes manifests: nothing \
             written, so Helm installs nothing"
        );
        2
    } else if outcome.rejected > 0 {
        let _ = writeln!(
            err,
            "checker: post-render: {} of {} objects rejected by the policy: nothing written, so \
             Helm installs nothing; fix the chart's values or the settings and run it again",
            outcome.rejected, outcome.objects
        );
        1
    } else {
        0
    };
    report_post_render(&err, code);
    if code != 0 {
        return Ok(code);
    }
    let manifests = outcome.manifests.unwrap_or_default();
    let stdout = std::io::stdout();
    let mut so = stdout.lock();
    so.write_all(manifests.as_bytes())
        .and_then(|()| so.flush())
        .map_err(|e| Fatal(format!("stdout: {e}")))?;
    Ok(0)
}

/// The post-renderer's verdicts on standard error. Helm 4 runs a post-renderer plugin with its
/// standard error kept from the user (HELM_PLUGIN_NAME set, docs/checker.md#helm-post-renderer):
/// then a failure is also written to the terminal, when there is one, so that the person
/// running `helm install` reads why.
fn report_post_render(text: &[u8], code: u8) {
    let _ = std::io::stderr().write_all(text);
    if code != 0
        && !text.is_empty()
        && std::env::var_os("HELM_PLUGIN_NAME").is_some()
        && let Ok(mut tty) = std::fs::OpenOptions::new().write(true).open("/dev/tty")
    {
        let _ = tty.write_all(text);
    }
}

/// 0, 1 or 2, as documented.
fn check(opts: &Options) -> Result<u8, Fatal> {
    let settings = load_settings(opts.settings.as_deref())?;
    let calls = load_image_users(opts.image_users.as_deref())?;
    let host = load_policy(opts.policy.as_deref(), calls)?;
    let settings_label = opts
        .settings
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "{} (default)".to_owned());
    let verdict = host
        .validate_settings(&settings)
        .map_err(|e| Fatal(e.to_string()))?;
    if !verdict.valid {
        let message = verdict.message.unwrap_or_else(|| "(no message)".to_owned());
        return Err(Fatal(format!(
            "invalid settings {settings_label}: {message}"
        )));
    }

    let mut errors = Vec::new();
    let mut entries = Vec::new();
    let texts = read_inputs(&opts.inputs, &mut errors);
    // With several sources, text output names each before its verdicts, as `head` does.
    let headers = texts.len() > 1 && opts.output == Output::Text;
    let wrapping = Wrapping {
        default_namespace: opts.namespace.clone(),
        requester: Requester::new(&opts.user, &opts.groups),
    };
    // Where every field is in every input, to locate findings and errors.
    let mut maps: HashMap<String, SourceMap> = HashMap::new();
    for (label, text) in texts {
        let map = SourceMap::of_text(&text);
        match manifest::read_text(&text, &label, &wrapping) {
            Ok(read) => {
                if read.entries.is_empty() && read.errors.is_empty() {
                    errors.push(format!("{label}: no Kubernetes objects in this input"));
                }
                entries.extend(read.entries);
                let located = read.errors.iter();
                errors.extend(located.map(|e| output::describe_error(Some(&map), e)));
            }
            Err(e) => errors.push(output::describe_error(Some(&map), &e)),
        }
        maps.insert(label, map);
    }
    let style = output::text::Style {
        colour: output::colour_wanted(
            if opts.mutate {
                std::io::stderr().is_terminal()
            } else {
                std::io::stdout().is_terminal()
            },
            std::env::var_os("NO_COLOR").as_deref(),
        ),
        message: opts.show_message,
    };
    let mut verdicts = Vec::new();
    let mut unexplained = false;

    // With --mutate, standard output carries the manifests and the verdicts go to stderr.
    let mut out: Box<dyn Write> = if opts.mutate {
        Box::new(std::io::stderr().lock())
    } else {
        Box::new(std::io::stdout().lock())
    };
    let mut manifests: Vec<String> = Vec::new();
    let mut rejected = false;
    let mut results = Vec::new();
    let mut current_source: Option<&str> = None;
    for entry in &entries {
        if headers && current_source != Some(entry.source.as_str()) {
            let blank = if current_source.is_some() { "\n" } else { "" };
            writeln!(out, "{blank}==> {} <==", escape::text(&entry.source))
                .map_err(|e| Fatal(format!("stdout: {e}")))?;
            current_source = Some(entry.source.as_str());
        }
        let response = match host.validate(&entry.request, &settings) {
            Ok(r) => r,
            Err(e) => {
                let place = output::place_of(maps.get(&entry.source), entry, None);
                let at = format!("{place}, document {}", entry.document);
                errors.push(format!(
                    "{at} ({} {}): the policy failed: {e}",
                    entry.kind,
                    entry.display_name()
                ));
                continue;
            }
        };
        rejected |= !response.accepted;
        if opts.mutate && response.accepted {
            let object = response
                .mutated_object
                .as_ref()
                .unwrap_or(&entry.request["object"]);
            // The one writer: kubectl reads back exactly the object the module admitted.
            manifests.push(yaml::to_yaml(object));
        }
        // The findings, located: `explain` is the same evaluation with its untruncated rows.
        let rows = output::explain(&host, &entry.request, &settings).unwrap_or_else(|_| {
            unexplained = true;
            Vec::new()
        });
        let verdict = output::Verdict::new(entry, maps.get(&entry.source), response, rows);
        match opts.output {
            Output::Text => output::text::write_verdict(&mut out, &verdict, opts.mutate, style)
                .map_err(|e| Fatal(format!("stdout: {e}")))?,
            Output::Json => results.push(output::json_result(&verdict)),
            Output::Sarif | Output::Junit => verdicts.push(verdict),
        }
    }
    if unexplained {
        eprintln!(
            "checker: note: the module has no working `explain` export (an older build?): \
             findings are not located; rebuild it with `make wasm`"
        );
    }
    let report = match opts.output {
        Output::Text => None,
        Output::Json => Some(
            serde_json::to_string_pretty(&Value::Array(results))
                .map_err(|e| Fatal(e.to_string()))?,
        ),
        Output::Sarif => {
            let checks = output::checks(&host).map_err(|e| Fatal(e.to_string()))?;
            let log = output::sarif::log(&verdicts, &checks, &errors);
            Some(serde_json::to_string_pretty(&log).map_err(|e| Fatal(e.to_string()))?)
        }
        Output::Junit => Some(output::junit::report(&verdicts, &errors)),
    };
    if let Some(text) = report {
        writeln!(out, "{text}").map_err(|e| Fatal(format!("stdout: {e}")))?;
    }
    out.flush().map_err(|e| Fatal(format!("stdout: {e}")))?;
    drop(out);
    if opts.mutate {
        let stdout = std::io::stdout();
        let mut so = stdout.lock();
        for m in &manifests {
            write!(so, "---\n{m}").map_err(|e| Fatal(format!("stdout: {e}")))?;
        }
        so.flush().map_err(|e| Fatal(format!("stdout: {e}")))?;
    }

    if !errors.is_empty() {
        for e in &errors {
            eprintln!("checker: {}", escape::text(e));
        }
        return Ok(2);
    }
    Ok(u8::from(rejected))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    if let Some(("report", rest)) = args.split_first().map(|(c, r)| (c.as_str(), r)) {
        return ExitCode::from(report::main(rest.to_vec()));
    }
    match parse_args(args) {
        Ok(Command::Help) => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Ok(Command::PostRender(opts)) => match run_post_render(&opts) {
            Ok(code) => ExitCode::from(code),
            Err(Fatal(message)) => {
                eprintln!("checker: {}", escape::lines(&message));
                ExitCode::from(2)
            }
        },
        Ok(Command::Check(opts)) => match check(&opts) {
            Ok(code) => ExitCode::from(code),
            Err(Fatal(message)) => {
                eprintln!("checker: {}", escape::lines(&message));
                ExitCode::from(2)
            }
        },
        Err(message) => {
            eprintln!("checker: {}\n\n{USAGE}", escape::lines(&message));
            ExitCode::from(2)
        }
    }
}
