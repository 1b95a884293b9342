//! `security-context-checker report`: what protect mode would reject, and where.
//!
//! Reads what `kubectl get pods,deploy,sts,ds,rs,job,cronjob -A -o json` prints (a `List`),
//! several such files, or directories of manifests; evaluates every object with the settings
//! in their deny form (every `enforcement` entry back to `deny`: protect mode, every check
//! enforced); attributes each object to its top-level workload through its ownerReferences;
//! and reports the rejections by namespace and check ID, the workloads behind each count, the
//! exceptions used, and the exceptions that would make the rest pass (verified by evaluating
//! again with them). Markdown (for a pull request), one self-contained HTML page, or JSON.
//! See docs/checker.md, "Rollout report".

mod aggregate;
mod evaluate;
mod html;
mod markdown;
mod progress;
mod read;
mod suggest;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use security_context_checker::args::Args;
use security_context_checker::output::escape;
use security_context_checker::policy::PolicySource;
use security_context_checker::{HostCalls, PolicyHost};
use security_context_input::manifest::{self, Entry, Wrapping};
use security_context_input::request::{DEFAULT_NAMESPACE, Requester};
use serde::Serialize;
use serde_json::{Value, json};

use aggregate::{Key, Workload};
use evaluate::{Evaluator, Verdict};
use progress::{Progress, Unit};

pub const USAGE: &str = "\
usage: security-context-checker report [OPTIONS] FILE|DIR|- ...

What protect mode would reject, and where: reads what
  kubectl get pods,deploy,sts,ds,rs,job,cronjob -A -o json
prints (a List; or several such files, or directories of manifests), evaluates
every object with every check enforced (enforcement entries set to warn or off
count as deny), attributes Pods, ReplicaSets and Jobs to their top-level
workload through their ownerReferences, and reports: rejected workloads by
namespace and check ID, the workloads behind each count, the exceptions used,
and the exceptions that would make the rest pass (verified by evaluating again
with them applied).

Options:
  --settings FILE       policy settings (YAML or JSON); default: {} (the standard)
  --format markdown|html|json
                        markdown (default; for a pull request), html (one
                        self-contained page with a chart), json (every number)
  --namespace NS        namespace for objects that name none (default: default)
  --policy PATH         the policy module (as for `check`)
  -h, --help            this help

A progress bar is drawn on standard error while reading and evaluating, only
when standard error is a terminal.

Exit status: 0 protect mode would reject nothing, 1 it would reject something,
2 bad input, settings or module (the report is still written when it can be).";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Markdown,
    Html,
    Json,
}

struct Options {
    settings: Option<PathBuf>,
    namespace: String,
    format: Format,
    policy: Option<PathBuf>,
    inputs: Vec<String>,
}

/// Runs `report` with the arguments after the word `report`; returns the exit status.
pub fn main(args: Vec<String>) -> u8 {
    match parse_args(args) {
        Ok(None) => {
            println!("{USAGE}");
            0
        }
        Ok(Some(opts)) => match run(&opts) {
            Ok(code) => code,
            Err(message) => {
                eprintln!("checker report: {}", escape::lines(&message));
                2
            }
        },
        Err(message) => {
            eprintln!("checker report: {}\n\n{USAGE}", escape::lines(&message));
            2
        }
    }
}

fn parse_args(args: Vec<String>) -> Result<Option<Options>, String> {
    let mut opts = Options {
        settings: None,
        namespace: DEFAULT_NAMESPACE.to_owned(),
        format: Format::Markdown,
        policy: None,
        inputs: Vec::new(),
    };
    let mut args = Args::new(args);
    while let Some(flag) = args.next_flag(&mut opts.inputs) {
        let mut value = || args.value(&flag);
        match flag.name.as_str() {
            "-h" | "--help" => return Ok(None),
            "--settings" => opts.settings = Some(PathBuf::from(value()?)),
            "--policy" => opts.policy = Some(PathBuf::from(value()?)),
            "--namespace" | "-n" => {
                opts.namespace = value()?;
                if opts.namespace.is_empty() {
                    return Err("--namespace needs a non-empty value".to_owned());
                }
            }
            "--format" | "-f" => {
                opts.format = match value()?.as_str() {
                    "markdown" | "md" => Format::Markdown,
                    "html" => Format::Html,
                    "json" => Format::Json,
                    other => {
                        return Err(format!(
                            "--format must be markdown, html or json, not {other:?}"
                        ));
                    }
                }
            }
            _ => return Err(format!("unknown option {:?} for report", flag.word)),
        }
    }
    if opts.inputs.is_empty() {
        return Err("no input: give the output of `kubectl get pods,deploy,sts,ds,rs,job,cronjob -A -o json` (a file, or - for standard input), or directories of manifests".to_owned());
    }
    Ok(Some(opts))
}

/// One count of the table: the workloads of a namespace that a check rejects.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Cell {
    pub namespace: String,
    pub check: String,
    pub count: usize,
    /// `Kind/name` of each workload counted.
    pub workloads: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NamespaceTotal {
    pub namespace: String,
    pub workloads: usize,
    pub rejected: usize,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExceptionUse {
    pub name: String,
    /// `namespace/Kind/name` of each workload that used it.
    pub workloads: Vec<String>,
    /// What it covered in each of them, in the same order (`container "x" and the pod`).
    pub applied_to: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Totals {
    /// Objects of the kinds the policy judges, evaluated.
    pub objects: usize,
    /// Objects of other kinds (Services, ConfigMaps, ...), not evaluated.
    pub other_objects: usize,
    pub objects_rejected: usize,
    pub workloads: usize,
    pub workloads_rejected: usize,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub settings: String,
    pub inputs: Vec<String>,
    /// Checks that the settings set to `warn` or `off`, evaluated as `deny`.
    pub enforced: Vec<Enforced>,
    /// How objects are counted.
    pub counting: String,
    /// Where the findings come from: the module's `explain` function (its typed outcome).
    pub verdicts_from: String,
    pub totals: Totals,
    pub namespaces: Vec<NamespaceTotal>,
    pub checks: Vec<String>,
    pub cells: Vec<Cell>,
    pub workloads: Vec<Workload>,
    pub exceptions_used: Vec<ExceptionUse>,
    pub exceptions_unused: Vec<String>,
    pub fixes: suggest::Outcome,
    pub errors: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Enforced {
    pub check: String,
    pub was: String,
}

/// The kinds the policy judges (docs/checks.md, "What is evaluated").
const POD_KINDS: [&str; 8] = [
    "Pod",
    "Deployment",
    "ReplicaSet",
    "StatefulSet",
    "DaemonSet",
    "ReplicationController",
    "Job",
    "CronJob",
];

pub const COUNTING: &str = "Every object is evaluated. Pods, ReplicaSets and Jobs are attributed to their top-level workload by following metadata.ownerReferences (the controller reference) through the objects listed: a Pod of a ReplicaSet of a Deployment counts for the Deployment, a Pod of a Job of a CronJob for the CronJob; an owner missing from the listing is named from the reference. A workload counts once per check ID that rejects any of its objects, however many replicas it has.";

fn load_settings(path: Option<&std::path::Path>) -> Result<(Value, String), String> {
    let Some(path) = path else {
        return Ok((json!({}), "{} (the standard)".to_owned()));
    };
    let label = path.display().to_string();
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("settings {label}: cannot read: {e}"))?;
    let value = manifest::parse_settings(&text, &label).map_err(|e| format!("settings {e}"))?;
    Ok((value, label))
}

fn load_policy(flag: Option<&std::path::Path>) -> Result<PolicyHost, String> {
    let source = PolicySource::find(flag)?;
    if let PolicySource::File(path) = &source
        && !path.is_file()
    {
        return Err(format!(
            "policy module {} not found: build it with `make wasm`, or pass --policy PATH",
            path.display()
        ));
    }
    source
        .load()
        .and_then(|module| module.instantiate_with(Arc::new(HostCalls::new())))
        .map_err(|e| e.to_string())
}

fn exception_names(settings: &Value) -> Vec<String> {
    settings
        .get("exceptions")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|e| e.get("name").and_then(Value::as_str).map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

struct All<'a, 'h> {
    evaluator: &'a Evaluator<'h>,
    entries: &'a [Entry],
}

impl suggest::Reevaluate for All<'_, '_> {
    fn all(&mut self, settings: &Value) -> Result<Vec<Verdict>, String> {
        let names = exception_names(settings);
        let mut progress = Progress::new("verifying", self.entries.len() as u64, Unit::Objects);
        let mut out = Vec::with_capacity(self.entries.len());
        for e in self.entries {
            out.push(
                self.evaluator
                    .evaluate(&e.request, settings, &names)
                    .map_err(|err| {
                        format!(
                            "{} ({} {}): the policy failed: {err}",
                            e.source,
                            e.kind,
                            e.display_name()
                        )
                    })?,
            );
            progress.advance(1);
        }
        Ok(out)
    }
    fn settings_error(&mut self, settings: &Value) -> Result<Option<String>, String> {
        self.evaluator.settings_error(settings)
    }
}

/// Builds the report for `entries` (already read) with `settings`; errors met while reading
/// are carried in it.
pub fn build(
    host: &PolicyHost,
    settings: &Value,
    settings_label: &str,
    entries: &[Entry],
    inputs: Vec<String>,
    mut errors: Vec<String>,
) -> Result<Report, String> {
    let evaluator = Evaluator::new(host);
    if let Some(message) = evaluator.settings_error(settings)? {
        return Err(format!("invalid settings {settings_label}: {message}"));
    }
    let (protect, changed) = evaluate::protect_settings(settings);
    if let Some(message) = evaluator.settings_error(&protect)? {
        return Err(format!(
            "invalid settings {settings_label} in protect mode (enforcement set to deny): {message}"
        ));
    }
    let names = exception_names(&protect);
    // Only the kinds the policy judges: a directory of manifests also holds Services and
    // ConfigMaps, which the policy accepts untouched.
    let (entries, others): (Vec<&Entry>, Vec<&Entry>) = entries
        .iter()
        .partition(|e| POD_KINDS.contains(&e.kind.as_str()));
    let mut verdicts = Vec::with_capacity(entries.len());
    let mut evaluated = Vec::with_capacity(entries.len());
    {
        let mut progress = Progress::new("evaluating", entries.len() as u64, Unit::Objects);
        for e in entries {
            match evaluator.evaluate(&e.request, &protect, &names) {
                Ok(v) => {
                    verdicts.push(v);
                    evaluated.push((*e).clone());
                }
                Err(err) => errors.push(format!(
                    "{}, document {} ({} {}): the policy failed: {err}",
                    e.source,
                    e.document,
                    e.kind,
                    e.display_name()
                )),
            }
            progress.advance(1);
        }
    }
    let entries = evaluated;
    let owners = aggregate::owners(&entries);
    let workloads = aggregate::workloads(&entries, &verdicts, &owners);

    let mut cells: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    let mut namespaces: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut used: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for w in &workloads {
        let ns = namespaces.entry(w.namespace.clone()).or_default();
        ns.0 += 1;
        if w.rejected {
            ns.1 += 1;
        }
        for c in &w.checks {
            cells
                .entry((w.namespace.clone(), c.clone()))
                .or_default()
                .push(w.label());
        }
        for e in &w.exceptions {
            used.entry(e.clone()).or_default().insert(
                format!("{}/{}", w.namespace, w.label()),
                w.applied.get(e).cloned().unwrap_or_default(),
            );
        }
    }
    let checks: BTreeSet<String> = cells.keys().map(|(_, c)| c.clone()).collect();
    let objects: Vec<&Value> = entries.iter().map(|e| &e.request["object"]).collect();
    let mut all = All {
        evaluator: &evaluator,
        entries: &entries,
    };
    let suggestions =
        suggest::suggest(&protect, &workloads, &objects, &owners, &verdicts, &mut all)?;
    let _: &[Key] = &owners;
    Ok(Report {
        settings: settings_label.to_owned(),
        inputs,
        enforced: changed
            .into_iter()
            .map(|(check, was)| Enforced { check, was })
            .collect(),
        counting: COUNTING.to_owned(),
        verdicts_from: "explain (the module's structured outcome)".to_owned(),
        totals: Totals {
            objects: entries.len(),
            objects_rejected: verdicts.iter().filter(|v| !v.accepted).count(),
            other_objects: others.len(),
            workloads: workloads.len(),
            workloads_rejected: workloads.iter().filter(|w| w.rejected).count(),
        },
        namespaces: namespaces
            .into_iter()
            .map(|(namespace, (workloads, rejected))| NamespaceTotal {
                namespace,
                workloads,
                rejected,
            })
            .collect(),
        checks: checks.into_iter().collect(),
        cells: cells
            .into_iter()
            .map(|((namespace, check), workloads)| Cell {
                namespace,
                check,
                count: workloads.len(),
                workloads,
            })
            .collect(),
        exceptions_used: used
            .iter()
            .map(|(name, w)| ExceptionUse {
                name: name.clone(),
                workloads: w.keys().cloned().collect(),
                applied_to: w.values().cloned().collect(),
            })
            .collect(),
        exceptions_unused: names
            .into_iter()
            .filter(|n| !used.contains_key(n))
            .collect(),
        workloads,
        fixes: suggestions,
        errors,
    })
}

fn run(opts: &Options) -> Result<u8, String> {
    let (settings, label) = load_settings(opts.settings.as_deref())?;
    let host = load_policy(opts.policy.as_deref())?;
    let mut errors = Vec::new();
    let texts = read::read_inputs(&opts.inputs, &mut errors);
    let wrapping = Wrapping {
        default_namespace: opts.namespace.clone(),
        requester: Requester::new("", &[]),
    };
    let mut entries = Vec::new();
    let mut inputs = Vec::new();
    for (source, text) in &texts {
        inputs.push(source.clone());
        match manifest::read_text(text, source, &wrapping) {
            Ok(read) => {
                if read.entries.is_empty() && read.errors.is_empty() {
                    errors.push(format!("{source}: no Kubernetes objects in this input"));
                }
                entries.extend(read.entries);
                errors.extend(read.errors.iter().map(ToString::to_string));
            }
            Err(e) => errors.push(e.to_string()),
        }
    }
    drop(texts);
    let report = build(&host, &settings, &label, &entries, inputs, errors)?;
    let text = match opts.format {
        Format::Json => serde_json::to_string_pretty(&report).map_err(|e| e.to_string())? + "\n",
        Format::Markdown => markdown::render(&report),
        Format::Html => html::render(&report),
    };
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| format!("standard output: {e}"))?;
    for e in &report.errors {
        eprintln!("checker report: {}", escape::text(e));
    }
    Ok(if !report.errors.is_empty() {
        2
    } else {
        u8::from(report.totals.workloads_rejected > 0)
    })
}
