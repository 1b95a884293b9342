//! `bench-server --inputs DIR [--requests N] [--seconds S] [--connections C] [--rounds R]
//!  [--workers W]`: throughput of the policy in the real policy-server (`make bench-server`).
//!
//! Starts one policy-server on 127.0.0.1 (`$POLICY_SERVER` or `PATH`) serving this policy
//! (`annotated-policy.wasm`, settings `{}`) and, when `$UPSTREAM_MODULES_DIR` holds them, the
//! upstream Kubewarden `user-group-psp` and `capabilities-psp` policies with the settings the
//! upstream comparison uses. Then sends each policy the typical Deployment
//! (`DIR/deployment-typical.json`, written by `e2e-tests/benches/make_requests.py`) from C
//! keep-alive connections: a warm-up, then R rounds that take turns between the policies, each
//! round at most N/R requests and S/R seconds per policy, so the load is bounded and stops by
//! itself. Every answer must be HTTP 200 with `allowed: true`; the upstream policies are
//! deployed mutating, as their metadata says. Prints requests per second and
//! the p50/p99 latency of each policy as a Markdown table (for BENCHMARKS.md), and stops the
//! server.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use xtask::kubewarden::{
    POLICY_SERVER_ENV, PolicyEntry, PolicyServer, UPSTREAM_MODULES_ENV, admission_review,
    check_version, find_binary, trust_config,
};
use xtask::{policy_path, repo_root};

const USAGE: &str = "usage: bench-server --inputs DIR [--requests N] [--seconds S] [--connections C] [--rounds R] [--workers W]
  DIR holds deployment-typical.json (python3 e2e-tests/benches/make_requests.py DIR)
  defaults: 6000 requests and 60 s per policy at most, 4 connections, 3 rounds, 2 policy-server workers
  policy-server: $POLICY_SERVER or PATH; upstream modules: $UPSTREAM_MODULES_DIR (optional)";

struct Args {
    inputs: PathBuf,
    requests: usize,
    seconds: u64,
    connections: usize,
    rounds: usize,
    workers: usize,
}

fn parse_args() -> Result<Option<Args>, String> {
    let mut args = Args {
        inputs: repo_root().join("target/bench-inputs"),
        requests: 6000,
        seconds: 60,
        connections: 4,
        rounds: 3,
        workers: 2,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "-h" || flag == "--help" {
            return Ok(None);
        }
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = |what: &str| -> Result<usize, String> {
            value
                .parse::<usize>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("{what} must be a positive whole number, not {value:?}"))
        };
        match flag.as_str() {
            "--inputs" => args.inputs = PathBuf::from(&value),
            "--requests" => args.requests = number("--requests")?,
            "--seconds" => args.seconds = number("--seconds")? as u64,
            "--connections" => args.connections = number("--connections")?,
            "--rounds" => args.rounds = number("--rounds")?,
            "--workers" => args.workers = number("--workers")?,
            _ => return Err(format!("unknown argument {flag:?}")),
        }
    }
    Ok(Some(args))
}

/// One policy under load: its id, what it is, and its latencies in microseconds.
struct Subject {
    id: &'static str,
    label: String,
    module_size: u64,
    latencies_us: Vec<u64>,
    elapsed: Duration,
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    // Nearest rank.
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1] as f64 / 1000.0
}

/// Sends `count` requests to `/validate/<id>` from `connections` connections, stopping early
/// at `deadline`; the latency of every answered request.
fn load(
    server: &PolicyServer,
    id: &str,
    body: &Arc<Vec<u8>>,
    count: usize,
    connections: usize,
    limit: Duration,
) -> Result<(Vec<u64>, Duration), String> {
    let started = Instant::now();
    let deadline = started + limit;
    let per_connection = count.div_ceil(connections);
    let mut handles = Vec::new();
    for c in 0..connections {
        let n = per_connection.min(count.saturating_sub(c * per_connection));
        let mut conn = server.connect()?;
        let body = Arc::clone(body);
        let id = id.to_owned();
        handles.push(std::thread::spawn(move || -> Result<Vec<u64>, String> {
            let mut latencies = Vec::with_capacity(n);
            for _ in 0..n {
                if Instant::now() >= deadline {
                    break;
                }
                let t = Instant::now();
                let review = conn.validate_raw(&id, &body)?;
                let us = u64::try_from(t.elapsed().as_micros()).unwrap_or(u64::MAX);
                if review["response"]["allowed"] != true {
                    return Err(format!(
                        "/validate/{id} did not allow the typical Deployment: {}",
                        review["response"]
                    ));
                }
                latencies.push(us);
            }
            Ok(latencies)
        }));
    }
    let mut all = Vec::with_capacity(count);
    for handle in handles {
        let latencies = handle
            .join()
            .map_err(|_| "a load thread panicked".to_owned())??;
        all.extend(latencies);
    }
    Ok((all, started.elapsed()))
}

/// The 1-minute load average (`/proc/loadavg`), or `?`.
fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".to_owned())
}

fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

fn run(args: &Args) -> Result<(), String> {
    let binary = find_binary(POLICY_SERVER_ENV, "policy-server")?.ok_or_else(|| {
        format!("no policy-server: set {POLICY_SERVER_ENV} to the binary or put it on PATH")
    })?;
    check_version(&binary)?;
    let trust = trust_config(&binary)?;
    let request_path = args.inputs.join("deployment-typical.json");
    let request: Value =
        serde_json::from_str(&std::fs::read_to_string(&request_path).map_err(|e| {
            format!(
                "{}: {e} (write it with `python3 e2e-tests/benches/make_requests.py {}`)",
                request_path.display(),
                args.inputs.display()
            )
        })?)
        .map_err(|e| format!("{}: {e}", request_path.display()))?;
    let body =
        Arc::new(serde_json::to_vec(&admission_review(&request)).map_err(|e| e.to_string())?);

    let ours = policy_path();
    if !ours.is_file() {
        return Err(format!(
            "{} is missing: run `make wasm` first",
            ours.display()
        ));
    }
    let mut entries = vec![PolicyEntry::new("security-context", &ours, json!({}))];
    let mut subjects = vec![Subject {
        id: "security-context",
        label: "security-context (this policy), settings `{}`".to_owned(),
        module_size: file_size(&ours),
        latencies_us: Vec::new(),
        elapsed: Duration::ZERO,
    }];
    let upstream_dir = std::env::var_os(UPSTREAM_MODULES_ENV)
        .filter(|d| !d.is_empty())
        .map(PathBuf::from);
    let upstream: [(&'static str, &str, Value); 2] = [
        (
            "user-group-psp",
            "user-group-psp-annotated.wasm",
            json!({"run_as_user": {"rule": "MustRunAsNonRoot"}, "run_as_group": {"rule": "RunAsAny"},
                   "supplemental_groups": {"rule": "RunAsAny"}}),
        ),
        (
            "capabilities-psp",
            "capabilities-psp-annotated.wasm",
            json!({}),
        ),
    ];
    for (id, file, settings) in upstream {
        let Some(path) = upstream_dir.as_ref().map(|d| d.join(file)) else {
            eprintln!(
                "bench-server: {UPSTREAM_MODULES_ENV} is not set, so no upstream {id} for comparison"
            );
            continue;
        };
        if !path.is_file() {
            eprintln!(
                "bench-server: {} is missing, so no upstream {id}",
                path.display()
            );
            continue;
        }
        subjects.push(Subject {
            id,
            label: format!("upstream {id}, settings `{settings}`, mutating"),
            module_size: file_size(&path),
            latencies_us: Vec::new(),
            elapsed: Duration::ZERO,
        });
        // Both declare mutating: true and are deployed so; user-group-psp mutates the typical
        // Deployment (it sets the container-level runAsNonRoot it requires), which a
        // validating deployment would turn into a rejection.
        entries.push(PolicyEntry::new(id, &path, settings).mutating(true));
    }

    let version = std::process::Command::new(&binary)
        .arg("--version")
        .output()
        .map(|o| {
            let text = String::from_utf8_lossy(&o.stdout).into_owned();
            text.lines().next().unwrap_or("").trim().to_owned()
        })
        .unwrap_or_default();
    let load_before = loadavg();
    let work = std::env::temp_dir();
    eprintln!(
        "bench-server: starting {} ({} workers) with {} policies",
        binary.display(),
        args.workers,
        entries.len()
    );
    let server = PolicyServer::start(&binary, trust.as_deref(), &entries, &work, args.workers)?;
    eprintln!(
        "bench-server: policy-server pid {} on 127.0.0.1:{}",
        server.pid(),
        server.port()
    );

    // Warm-up: every policy's instances compiled and touched.
    for subject in &subjects {
        load(
            &server,
            subject.id,
            &body,
            200,
            args.connections,
            Duration::from_secs(30),
        )?;
    }
    let per_round = args.requests.div_ceil(args.rounds);
    let round_limit = Duration::from_secs(args.seconds) / u32::try_from(args.rounds).unwrap_or(1);
    for round in 1..=args.rounds {
        for subject in &mut subjects {
            let (latencies, elapsed) = load(
                &server,
                subject.id,
                &body,
                per_round,
                args.connections,
                round_limit,
            )?;
            eprintln!(
                "bench-server: round {round}/{}: {} {} requests in {:.2} s",
                args.rounds,
                subject.id,
                latencies.len(),
                elapsed.as_secs_f64()
            );
            subject.latencies_us.extend(latencies);
            subject.elapsed += elapsed;
        }
    }
    drop(server);

    println!(
        "| policy | module | requests | requests/s | p50 | p99 |\n|---|---:|---:|---:|---:|---:|"
    );
    for subject in &mut subjects {
        subject.latencies_us.sort_unstable();
        let n = subject.latencies_us.len();
        let rps = n as f64 / subject.elapsed.as_secs_f64().max(f64::EPSILON);
        println!(
            "| {} | {:.0} KB | {n} | {rps:.0} | {:.2} ms | {:.2} ms |",
            subject.label,
            subject.module_size as f64 / 1000.0,
            percentile(&subject.latencies_us, 50.0),
            percentile(&subject.latencies_us, 99.0),
        );
    }
    println!(
        "\n{version}, {} workers; {} connections, {} rounds, at most {} requests and {} s per policy; load average {load_before} before, {} after",
        args.workers,
        args.connections,
        args.rounds,
        args.requests,
        args.seconds,
        loadavg()
    );
    Ok(())
}

fn main() -> ExitCode {
    match parse_args() {
        Ok(Some(args)) => match run(&args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("bench-server: {e}");
                ExitCode::FAILURE
            }
        },
        Ok(None) => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bench-server: {e}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}
