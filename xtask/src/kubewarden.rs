//! The real Kubewarden engine in the loop: finding `kwctl` and `policy-server`, running a
//! policy-server on 127.0.0.1 with a generated `policies.yml`, and talking HTTP/1.1 to it.
//!
//! The binaries are found through environment variables ([`KWCTL_ENV`], [`POLICY_SERVER_ENV`])
//! or `PATH`; the Sigstore trust configuration that lets both start without any network through
//! [`TRUST_CONFIG_ENV`] or beside the binary. Nothing here downloads anything: the tests that use
//! this module skip, with a visible notice, when the binaries are absent.
//!
//! ```no_run
//! use xtask::kubewarden::{PolicyEntry, PolicyMode, PolicyServer, find_binary, POLICY_SERVER_ENV};
//! # fn main() -> Result<(), String> {
//! let binary = find_binary(POLICY_SERVER_ENV, "policy-server")?.expect("policy-server");
//! let entries = vec![PolicyEntry::new("standard", "annotated-policy.wasm".as_ref(), serde_json::json!({}))];
//! let server = PolicyServer::start(&binary, None, &entries, std::env::temp_dir().as_path(), 2)?;
//! let review = server.validate("standard", &serde_json::json!({"request": {}}))?;
//! # Ok(()) }
//! ```

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

/// Path of the `kwctl` binary to use (else `kwctl` on `PATH`).
pub const KWCTL_ENV: &str = "KWCTL";
/// Path of the `policy-server` binary to use (else `policy-server` on `PATH`).
pub const POLICY_SERVER_ENV: &str = "POLICY_SERVER";
/// A Sigstore `ClientTrustConfig` JSON file handed to both with `--sigstore-trust-config`, so
/// they start offline. Else `sigstore-trust-config.json` beside the binary, if there is one.
pub const TRUST_CONFIG_ENV: &str = "KUBEWARDEN_TRUST_CONFIG";
/// The directory holding upstream policy modules for `make bench-server`
/// (`user-group-psp-annotated.wasm`, `capabilities-psp-annotated.wasm`).
pub const UPSTREAM_MODULES_ENV: &str = "UPSTREAM_MODULES_DIR";

/// How long policy-server may take to answer its readiness probe (it compiles every module).
const READY_TIMEOUT: Duration = Duration::from_secs(120);
/// How long one HTTP exchange may take.
const IO_TIMEOUT: Duration = Duration::from_secs(60);

/// Where `name` is: `$env` when set (it must then name an executable file: a typo must fail,
/// not skip), else the first `name` on `PATH`, else `None`.
pub fn find_binary(env: &str, name: &str) -> Result<Option<PathBuf>, String> {
    if let Some(value) = std::env::var_os(env).filter(|v| !v.is_empty()) {
        let path = PathBuf::from(&value);
        return if path.is_file() {
            Ok(Some(path))
        } else {
            Err(format!(
                "{env} is set to {}, which is not a file: point {env} at the {name} binary, or unset it to look on PATH",
                path.display()
            ))
        };
    }
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    });
    Ok(found)
}

/// The oldest Kubewarden whose kwctl and policy-server the suite can compare with: the first
/// that reads `hostCapabilities` (the metadata's `minimumKubewardenVersion`).
pub const MINIMUM_VERSION: (u64, u64, u64) = (1, 35, 0);

/// The version a Kubewarden binary prints (`kwctl 1.36.0-beta.1` → `1.36.0-beta.1`).
pub fn version_of(binary: &Path) -> Result<String, String> {
    let output = Command::new(binary)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {} --version: {e}", binary.display()))?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.lines()
        .next()
        .and_then(|line| line.split_whitespace().nth(1))
        .map(str::to_owned)
        .ok_or_else(|| {
            format!(
                "{} --version printed no version: {text:?}",
                binary.display()
            )
        })
}

/// Whether `version` (`1.36.0-beta.1`) is at least [`MINIMUM_VERSION`]: a pre-release of a
/// newer MAJOR.MINOR.PATCH counts, as the binaries here are a 1.36 beta.
pub fn version_is_supported(version: &str) -> bool {
    let core = version.split(['-', '+']).next().unwrap_or("");
    let parts: Result<Vec<u64>, _> = core.split('.').map(str::parse::<u64>).collect();
    matches!(parts.as_deref(), Ok([a, b, c]) if (*a, *b, *c) >= MINIMUM_VERSION)
}

/// `Ok` when `binary` is at least [`MINIMUM_VERSION`]; else why not, in words.
pub fn check_version(binary: &Path) -> Result<String, String> {
    let version = version_of(binary)?;
    let (major, minor, patch) = MINIMUM_VERSION;
    match version_is_supported(&version) {
        true => Ok(version),
        false => Err(format!(
            "{} is version {version}, older than {major}.{minor}.{patch} (the first Kubewarden that reads hostCapabilities): use a newer one",
            binary.display()
        )),
    }
}

/// The Sigstore trust configuration: `$KUBEWARDEN_TRUST_CONFIG` (must exist when set), else
/// `sigstore-trust-config.json` in the directory of `binary`, else none (kwctl and
/// policy-server then try the network at start, and go on without it after a second or two).
pub fn trust_config(binary: &Path) -> Result<Option<PathBuf>, String> {
    if let Some(value) = std::env::var_os(TRUST_CONFIG_ENV).filter(|v| !v.is_empty()) {
        let path = PathBuf::from(value);
        return if path.is_file() {
            Ok(Some(path))
        } else {
            Err(format!(
                "{TRUST_CONFIG_ENV} is set to {}, which is not a file: point it at a Sigstore ClientTrustConfig JSON file, or unset it",
                path.display()
            ))
        };
    }
    Ok(binary
        .parent()
        .map(|dir| dir.join("sigstore-trust-config.json"))
        .filter(|p| p.is_file()))
}

/// A `file://` URL for a local module (absolute, as policy-server and kwctl need).
pub fn file_url(path: &Path) -> Result<String, String> {
    let absolute = std::fs::canonicalize(path)
        .map_err(|e| format!("module {}: {e} (build it with `make wasm`)", path.display()))?;
    Ok(format!("file://{}", absolute.display()))
}

/// A port on 127.0.0.1 that nothing listens on right now.
pub fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind(("127.0.0.1", 0))
        .map_err(|e| format!("cannot find a free port on 127.0.0.1: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("cannot find a free port on 127.0.0.1: {e}"))
}

/// `policyMode` of a `policies.yml` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyMode {
    Protect,
    Monitor,
}

impl PolicyMode {
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyMode::Protect => "protect",
            PolicyMode::Monitor => "monitor",
        }
    }
}

/// One policy of a `policies.yml`, served at `/validate/<id>`.
#[derive(Debug, Clone)]
pub struct PolicyEntry {
    pub id: String,
    pub module: PathBuf,
    pub settings: Value,
    /// `allowedToMutate`: whether a mutation reaches the API server (`spec.mutating`).
    pub allowed_to_mutate: bool,
    pub mode: PolicyMode,
    /// The host capabilities the policy may call: what the controller writes, `["*"]` for a
    /// ClusterAdmissionPolicy, the PolicyServer's `namespacedPoliciesCapabilities` for an
    /// AdmissionPolicy. policy-server grants none when the field is absent.
    pub host_capabilities: Vec<String>,
}

impl PolicyEntry {
    /// A protecting, non-mutating cluster-wide policy (all host capabilities granted).
    pub fn new(id: &str, module: &Path, settings: Value) -> Self {
        PolicyEntry {
            id: id.to_owned(),
            module: module.to_owned(),
            settings,
            allowed_to_mutate: false,
            mode: PolicyMode::Protect,
            host_capabilities: vec!["*".to_owned()],
        }
    }

    pub fn mutating(mut self, allowed: bool) -> Self {
        self.allowed_to_mutate = allowed;
        self
    }

    pub fn mode(mut self, mode: PolicyMode) -> Self {
        self.mode = mode;
        self
    }

    pub fn host_capabilities(mut self, capabilities: &[&str]) -> Self {
        self.host_capabilities = capabilities.iter().map(|c| (*c).to_owned()).collect();
        self
    }
}

/// The `policies.yml` policy-server reads, for `entries`.
pub fn policies_yaml(entries: &[PolicyEntry]) -> Result<String, String> {
    let mut map = Map::new();
    for entry in entries {
        if map.contains_key(&entry.id) {
            return Err(format!(
                "policy id {:?} is used twice in policies.yml",
                entry.id
            ));
        }
        map.insert(
            entry.id.clone(),
            json!({
                "module": file_url(&entry.module)?,
                "settings": entry.settings,
                "allowedToMutate": entry.allowed_to_mutate,
                "policyMode": entry.mode.as_str(),
                "hostCapabilities": entry.host_capabilities,
            }),
        );
    }
    serde_norway::to_string(&Value::Object(map))
        .map_err(|e| format!("cannot write policies.yml: {e}"))
}

/// A policy-server child process on 127.0.0.1, stopped (SIGTERM, then SIGKILL after 10 s) and
/// its work directory removed when dropped, also when a test panics.
pub struct PolicyServer {
    child: Child,
    port: u16,
    dir: PathBuf,
    log: PathBuf,
}

impl std::fmt::Debug for PolicyServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolicyServer")
            .field("pid", &self.child.id())
            .field("port", &self.port)
            .field("dir", &self.dir)
            .finish()
    }
}

impl PolicyServer {
    /// Starts `binary` serving `entries` with `workers` worker threads, in a fresh directory
    /// under `work_root`, and waits until its readiness probe answers 200.
    pub fn start(
        binary: &Path,
        trust_config: Option<&Path>,
        entries: &[PolicyEntry],
        work_root: &Path,
        workers: usize,
    ) -> Result<PolicyServer, String> {
        static STARTED: AtomicU64 = AtomicU64::new(0);
        let dir = work_root.join(format!(
            "policy-server-{}-{}",
            std::process::id(),
            STARTED.fetch_add(1, Ordering::Relaxed)
        ));
        // A directory left by a killed run of the same process id: start clean.
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let policies = dir.join("policies.yml");
        std::fs::write(&policies, policies_yaml(entries)?)
            .map_err(|e| format!("cannot write {}: {e}", policies.display()))?;
        let log = dir.join("policy-server.log");
        let log_file = std::fs::File::create(&log)
            .map_err(|e| format!("cannot create {}: {e}", log.display()))?;
        let log_err = log_file
            .try_clone()
            .map_err(|e| format!("cannot share {}: {e}", log.display()))?;
        let port = free_port()?;
        let readiness_port = free_port()?;
        let mut command = Command::new(binary);
        command
            .current_dir(&dir)
            .args(["--addr", "127.0.0.1", "--port", &port.to_string()])
            .args(["--readiness-probe-port", &readiness_port.to_string()])
            .arg("--policies")
            .arg(&policies)
            .arg("--policies-download-dir")
            .arg(dir.join("downloads"))
            .arg("--sigstore-cache-dir")
            .arg(dir.join("sigstore"))
            .args(["--workers", &workers.to_string()])
            .args(["--ignore-kubernetes-connection-failure", "--log-no-color"])
            .args(["--log-level", "warn"])
            // Host errors reach the policy as text; a backtrace in them is not what a cluster's
            // policy-server sends.
            .env_remove("RUST_BACKTRACE")
            .env_remove("RUST_LIB_BACKTRACE")
            .stdin(Stdio::null())
            .stdout(log_file)
            .stderr(log_err);
        if let Some(trust) = trust_config {
            command.arg("--sigstore-trust-config").arg(trust);
        }
        let child = command
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let mut server = PolicyServer {
            child,
            port,
            dir,
            log,
        };
        server.wait_ready(readiness_port)?;
        Ok(server)
    }

    fn wait_ready(&mut self, readiness_port: u16) -> Result<(), String> {
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!(
                    "policy-server exited ({status}) before it was ready; its log:\n{}",
                    self.log_tail()
                ));
            }
            if let Ok(mut conn) = HttpConnection::connect(readiness_port)
                && let Ok((200, _)) = conn.request("GET", "/readiness", None)
            {
                return Ok(());
            }
            if started.elapsed() > READY_TIMEOUT {
                return Err(format!(
                    "policy-server was not ready within {} s; its log:\n{}",
                    READY_TIMEOUT.as_secs(),
                    self.log_tail()
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The port the validation API listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The process id (to report, and to stop it by).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// A keep-alive connection to the validation API.
    pub fn connect(&self) -> Result<HttpConnection, String> {
        HttpConnection::connect(self.port)
    }

    /// POST `review` (an AdmissionReview) to `/validate/<id>` on a fresh connection; the
    /// AdmissionReview it answers.
    pub fn validate(&self, id: &str, review: &Value) -> Result<Value, String> {
        self.connect()?.validate(id, review)
    }

    /// The last 40 lines of its log.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    /// Stops the server: SIGTERM (its graceful stop), SIGKILL if still running after 10 s.
    pub fn stop(&mut self) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        let pid = self.child.id().to_string();
        let termed = Command::new("kill")
            .args(["-TERM", &pid])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if termed {
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if matches!(self.child.try_wait(), Ok(Some(_))) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for PolicyServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// An AdmissionReview (`admission.k8s.io/v1`) around an AdmissionRequest, as the API server
/// POSTs it to a webhook.
pub fn admission_review(request: &Value) -> Value {
    json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": request,
    })
}

/// A minimal HTTP/1.1 client connection to 127.0.0.1 (keep-alive; `Content-Length` or chunked
/// bodies): all a test needs to talk to policy-server.
pub struct HttpConnection {
    reader: BufReader<TcpStream>,
    port: u16,
}

impl HttpConnection {
    pub fn connect(port: u16) -> Result<HttpConnection, String> {
        let stream = TcpStream::connect(("127.0.0.1", port))
            .map_err(|e| format!("cannot connect to 127.0.0.1:{port}: {e}"))?;
        let _ = stream.set_nodelay(true);
        stream
            .set_read_timeout(Some(IO_TIMEOUT))
            .and_then(|()| stream.set_write_timeout(Some(IO_TIMEOUT)))
            .map_err(|e| format!("127.0.0.1:{port}: {e}"))?;
        Ok(HttpConnection {
            reader: BufReader::new(stream),
            port,
        })
    }

    /// One request; the status code and the body.
    pub fn request(
        &mut self,
        method: &str,
        path: &str,
        json_body: Option<&[u8]>,
    ) -> Result<(u16, Vec<u8>), String> {
        let what = format!("{method} http://127.0.0.1:{}{path}", self.port);
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n",
            self.port
        );
        if let Some(body) = json_body {
            let _ = write!(
                head,
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                body.len()
            );
        }
        head.push_str("\r\n");
        let stream = self.reader.get_mut();
        stream
            .write_all(head.as_bytes())
            .and_then(|()| stream.write_all(json_body.unwrap_or_default()))
            .and_then(|()| stream.flush())
            .map_err(|e| format!("{what}: cannot send: {e}"))?;
        self.read_response()
            .map_err(|e| format!("{what}: bad response: {e}"))
    }

    fn read_line(&mut self) -> Result<String, String> {
        let mut line = String::new();
        let n = self
            .reader
            .read_line(&mut line)
            .map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("connection closed".to_owned());
        }
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    }

    fn read_response(&mut self) -> Result<(u16, Vec<u8>), String> {
        let status_line = self.read_line()?;
        let status: u16 = status_line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("not an HTTP status line: {status_line:?}"))?;
        let mut length = None;
        let mut chunked = false;
        loop {
            let line = self.read_line()?;
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                let value = value.trim();
                if name.eq_ignore_ascii_case("content-length") {
                    length = Some(
                        value
                            .parse::<usize>()
                            .map_err(|_| format!("bad Content-Length {value:?}"))?,
                    );
                } else if name.eq_ignore_ascii_case("transfer-encoding")
                    && value.eq_ignore_ascii_case("chunked")
                {
                    chunked = true;
                }
            }
        }
        let mut body = Vec::new();
        if chunked {
            loop {
                let size_line = self.read_line()?;
                let size =
                    usize::from_str_radix(size_line.split(';').next().unwrap_or("").trim(), 16)
                        .map_err(|_| format!("bad chunk size {size_line:?}"))?;
                if size == 0 {
                    // Trailers, then the empty line.
                    while !self.read_line()?.is_empty() {}
                    break;
                }
                let start = body.len();
                body.resize(start + size, 0);
                self.reader
                    .read_exact(&mut body[start..])
                    .map_err(|e| e.to_string())?;
                self.read_line()?;
            }
        } else if let Some(length) = length {
            body.resize(length, 0);
            self.reader
                .read_exact(&mut body)
                .map_err(|e| e.to_string())?;
        }
        Ok((status, body))
    }

    /// POST `review` to `/validate/<id>`; the AdmissionReview answered (HTTP 200 required).
    pub fn validate(&mut self, id: &str, review: &Value) -> Result<Value, String> {
        let body = serde_json::to_vec(review).map_err(|e| e.to_string())?;
        self.validate_raw(id, &body)
    }

    /// As [`HttpConnection::validate`] with a body already serialised.
    pub fn validate_raw(&mut self, id: &str, body: &[u8]) -> Result<Value, String> {
        let path = format!("/validate/{id}");
        let (status, answer) = self.request("POST", &path, Some(body))?;
        if status != 200 {
            return Err(format!(
                "POST {path} answered HTTP {status}: {}",
                String::from_utf8_lossy(&answer)
            ));
        }
        serde_json::from_slice(&answer).map_err(|e| {
            format!(
                "POST {path} answered something that is not JSON ({e}): {}",
                String::from_utf8_lossy(&answer)
            )
        })
    }
}

/// The loud notice a suite prints when it skips because a binary is missing.
pub fn skip_notice(suite: &str, missing: &[&str]) -> String {
    let line = "=".repeat(92);
    format!(
        "\n{line}\n  SKIPPED: {suite}\n  {} not found: set {KWCTL_ENV} / {POLICY_SERVER_ENV} to the binaries or put them on PATH\n  (CI provides them; `make test` passes them on when they are beside the checkout).\n  Nothing was run against the real Kubewarden engine.\n{line}\n",
        missing.join(" and ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        for ok in ["1.35.0", "1.36.0-beta.1", "1.40.2", "2.0.0"] {
            assert!(version_is_supported(ok), "{ok}");
        }
        for old in [
            "1.34.9", "1.10.0", "0.99.0", "1.35", "", "x.y.z", "1.35.0.1",
        ] {
            assert!(!version_is_supported(old), "{old}");
        }
    }

    #[test]
    fn a_binary_that_is_nowhere_is_none() {
        assert_eq!(
            find_binary("SCP_TEST_NEVER_SET_VARIABLE", "scp-no-such-binary-anywhere"),
            Ok(None)
        );
    }

    #[test]
    fn policies_yml_has_what_policy_server_reads() {
        let module = std::env::current_exe().expect("the test binary");
        let entries = [
            PolicyEntry::new("a", &module, json!({"x": 1})),
            PolicyEntry::new("b", &module, json!({}))
                .mutating(true)
                .mode(PolicyMode::Monitor)
                .host_capabilities(&[]),
        ];
        let yaml = policies_yaml(&entries).expect("policies.yml");
        let parsed: Value = serde_norway::from_str(&yaml).expect("YAML");
        assert!(
            parsed["a"]["module"]
                .as_str()
                .is_some_and(|m| m.starts_with("file:///"))
        );
        assert_eq!(parsed["a"]["settings"], json!({"x": 1}));
        assert_eq!(parsed["a"]["allowedToMutate"], false);
        assert_eq!(parsed["a"]["policyMode"], "protect");
        assert_eq!(parsed["a"]["hostCapabilities"], json!(["*"]));
        assert_eq!(parsed["b"]["allowedToMutate"], true);
        assert_eq!(parsed["b"]["policyMode"], "monitor");
        assert_eq!(parsed["b"]["hostCapabilities"], json!([]));
        let twice = [entries[0].clone(), entries[0].clone()];
        assert!(policies_yaml(&twice).is_err_and(|e| e.contains("\"a\" is used twice")));
        let missing = [PolicyEntry::new(
            "m",
            Path::new("/no/such/module.wasm"),
            json!({}),
        )];
        assert!(policies_yaml(&missing).is_err_and(|e| e.contains("/no/such/module.wasm")));
    }

    /// Serves `answers` (raw HTTP responses) one per request on one connection.
    fn serve(answers: Vec<&'static str>) -> u16 {
        let listener = TcpListener::bind(("127.0.0.1", 0)).expect("bind");
        let port = listener.local_addr().expect("addr").port();
        std::thread::spawn(move || {
            let (stream, _) = listener.accept().expect("accept");
            let mut reader = BufReader::new(stream);
            for answer in answers {
                let mut length = 0;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                    if line == "\r\n" {
                        break;
                    }
                }
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body);
                let _ = reader.get_mut().write_all(answer.as_bytes());
            }
        });
        port
    }

    #[test]
    fn http_bodies_by_length_and_chunked_on_one_connection() {
        let port = serve(vec![
            "HTTP/1.1 200 OK\r\ncontent-length: 13\r\n\r\n{\"allowed\":1}",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"a\"\r\n3\r\n:2}\r\n0\r\n\r\n",
            "HTTP/1.1 404 Not Found\r\ncontent-length: 4\r\n\r\nnope",
        ]);
        let mut conn = HttpConnection::connect(port).expect("connect");
        assert_eq!(conn.validate("p", &json!({})), Ok(json!({"allowed": 1})));
        assert_eq!(conn.validate("p", &json!({})), Ok(json!({"a": 2})));
        let err = conn.validate("p", &json!({})).expect_err("404");
        assert!(
            err.contains("HTTP 404") && err.contains("/validate/p"),
            "{err}"
        );
    }
}
