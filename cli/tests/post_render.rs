//! `security-context-checker post-render`, run as Helm runs a post-renderer (docs/checker.md,
//! "Helm post-renderer"): the executable with its arguments, the rendered stream on standard
//! input (closed at its end), standard output read as the manifests to apply, a non-zero exit
//! failing the release with standard error shown. Then the real Helm, when there is one:
//! `helm template --post-renderer` through the plugin in cli/helm-plugin/.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{CHECKER, RESTRICTED, Run, module, write};
use security_context_checker::policy::POLICY_ENV;
use serde_json::{Value, json};

// Settings under which `GOOD_POD` passes unchanged and `BAD_POD` fails: common::RESTRICTED.

/// The standard with mutation: a bare pod gets the standard's fields filled in.
const MUTATING: &str = "mutation:\n  enabled: true\n";

/// What `helm template web ./web` prints for a chart with a ConfigMap, a Service and a pod
/// (restricted/pass/base.yaml of the PSS fixtures): `---`, a `# Source:` comment, the object.
const COMPLIANT_STREAM: &str = "\
---
# Source: web/templates/configmap.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
data:
  enabled: \"yes\"      # quoted: a string, as written
  mode: 0644
---
# Source: web/templates/service.yaml
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
  - port: 80
---
# Source: web/templates/pod.yaml
apiVersion: v1
kind: Pod
metadata:
  name: good
spec:
  securityContext:
    runAsNonRoot: true
    seccompProfile:
      type: RuntimeDefault
  containers:
  - name: app
    image: registry.k8s.io/pause
    securityContext:
      allowPrivilegeEscalation: false
      capabilities:
        drop: [ALL]
";

/// A pod with no security context at all: the standard rejects it, mutation completes it.
const BARE_POD: &str = "\
---
# Source: web/templates/bare.yaml
apiVersion: v1
kind: Pod
metadata:
  name: bare
spec:
  containers:
  - name: app
    image: registry.k8s.io/pause
";

/// A privileged pod, rejected at every level but privileged.
const BAD_POD: &str = "\
---
# Source: web/templates/debug.yaml
apiVersion: v1
kind: Pod
metadata:
  name: bad
  namespace: data
spec:
  containers:
  - name: app
    image: registry.k8s.io/pause
    securityContext:
      privileged: true
";

fn scratch() -> PathBuf {
    common::scratch("post-render")
}

/// Runs `program ARGS` as Helm's exec post-renderer does: stdin a pipe written whole, then
/// closed; stdout and stderr captured apart.
fn run(program: &Path, args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Run {
    let mut command = Command::new(program);
    command.args(args).env_remove(POLICY_ENV);
    for (k, v) in env {
        command.env(k, v);
    }
    common::run(&mut command, Some(stdin))
}

/// `checker post-render --policy MODULE --settings SETTINGS EXTRA...` on `stdin`.
fn post_render(dir: &Path, settings: &str, extra: &[&str], stdin: &str) -> Run {
    let policy = module();
    let settings = write(dir, "settings.yml", settings);
    let mut args = vec![
        "post-render",
        "--policy",
        policy.to_str().unwrap(),
        "--settings",
        settings.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    run(Path::new(CHECKER), &args, stdin, &[])
}

fn documents(text: &str) -> Vec<Value> {
    security_context_input::manifest::parse_documents(text, "stdout")
        .unwrap_or_else(|e| panic!("the output is not YAML Helm reads: {e}\n{text}"))
        .into_iter()
        .map(|d| d.value)
        .collect()
}

#[test]
fn a_compliant_stream_comes_back_byte_for_byte() {
    let dir = scratch();
    let run = post_render(&dir, RESTRICTED, &[], COMPLIANT_STREAM);
    assert_eq!(run.code, 0, "{run:?}");
    // Comments, quoting, flow style, document order: nothing Helm would apply differently.
    assert_eq!(run.stdout, COMPLIANT_STREAM, "{run:?}");
    assert!(!run.stderr.contains("REJECTED"), "{run:?}");
}

#[test]
fn mutation_rewrites_the_mutated_documents_only() {
    let dir = scratch();
    let stream = format!("{COMPLIANT_STREAM}{BARE_POD}");
    let run = post_render(&dir, MUTATING, &["--namespace", "shop"], &stream);
    assert_eq!(run.code, 0, "{run:?}");
    // The ConfigMap and the Service pass through as written, the pod with its `# Source:`.
    let untouched_end = COMPLIANT_STREAM
        .find("---\n# Source: web/templates/pod.yaml")
        .unwrap();
    assert!(
        run.stdout.starts_with(&COMPLIANT_STREAM[..untouched_end]),
        "{run:?}"
    );
    assert!(
        run.stdout
            .contains("---\n# Source: web/templates/bare.yaml\napiVersion: v1\nkind: Pod\n"),
        "{run:?}"
    );
    let docs = documents(&run.stdout);
    assert_eq!(
        docs.iter()
            .map(|d| d["metadata"]["name"].as_str().unwrap_or_default())
            .collect::<Vec<_>>(),
        ["web-config", "web", "good", "bare"],
        "document order: {run:?}"
    );
    assert_eq!(docs[0]["data"], json!({"enabled": "yes", "mode": 420}));
    let bare = &docs[3];
    assert_eq!(bare["spec"]["securityContext"]["runAsNonRoot"], json!(true));
    assert_eq!(
        bare["spec"]["containers"][0]["securityContext"]["readOnlyRootFilesystem"],
        json!(true),
        "{run:?}"
    );
    // The namespace stays Helm's to set: a mutated object gets no namespace it did not have.
    assert_eq!(bare["metadata"].get("namespace"), None, "{run:?}");
}

#[test]
fn one_rejected_object_stops_the_whole_release() {
    let dir = scratch();
    let stream = format!("{COMPLIANT_STREAM}{BAD_POD}");
    let run = post_render(&dir, RESTRICTED, &[], &stream);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(run.stdout, "", "nothing Helm could apply: {run:?}");
    assert!(run.stderr.contains("REJECTED Pod data/bad"), "{run:?}");
    // The finding names the line of the field in the stream and the template it came from.
    let field_line = COMPLIANT_STREAM.lines().count() + BAD_POD.lines().count();
    assert!(
        run.stderr.contains(&format!(
            "<stdin>:{field_line}:7 (web/templates/debug.yaml): deny privileged"
        )),
        "{run:?}"
    );
    assert!(
        run.stderr
            .contains("1 of 4 objects rejected by the policy: nothing written"),
        "{run:?}"
    );
    // Helm shows standard error in its message: the admitted objects do not crowd it.
    assert!(!run.stderr.contains("ACCEPTED ConfigMap"), "{run:?}");
}

#[test]
fn unreadable_input_writes_nothing_and_says_where() {
    let dir = scratch();
    let cases = [
        (
            format!("{COMPLIANT_STREAM}---\nkind: Pod\nspec: [unclosed\n"),
            "<stdin>:41:1: document 4: invalid YAML",
        ),
        (
            format!("{COMPLIANT_STREAM}---\nmetadata:\n  name: x\n"),
            "<stdin>:39:1: document 4: not a Kubernetes object: no kind",
        ),
        (
            format!(
                "{COMPLIANT_STREAM}---\napiVersion: admission.k8s.io/v1\nkind: AdmissionReview\nrequest:\n  uid: x\n"
            ),
            "an AdmissionReview or AdmissionRequest, which Helm cannot apply",
        ),
    ];
    for (stream, expected) in cases {
        let run = post_render(&dir, RESTRICTED, &[], &stream);
        assert_eq!(run.code, 2, "{run:?}");
        assert_eq!(run.stdout, "", "{run:?}");
        assert!(run.stderr.contains(expected), "{expected}: {run:?}");
        assert!(run.stderr.contains("nothing written"), "{run:?}");
    }
}

#[test]
fn invalid_settings_write_nothing() {
    let dir = scratch();
    let run = post_render(
        &dir,
        "podSecurityStandard: strictest\n",
        &[],
        COMPLIANT_STREAM,
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(run.stdout, "", "{run:?}");
    assert!(run.stderr.contains("invalid settings"), "{run:?}");
}

#[test]
fn an_empty_release_passes_through() {
    let dir = scratch();
    let run = post_render(&dir, RESTRICTED, &[], "");
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.stdout, "", "{run:?}");
}

#[test]
fn options_that_would_break_the_contract_are_refused() {
    for (args, expected) in [
        (vec!["post-render", "--mutate"], "drop --mutate"),
        (vec!["post-render", "--output", "json"], "drop --output"),
        (
            vec!["post-render", "a.yaml", "b.yaml"],
            "one rendered stream",
        ),
    ] {
        let run = run(Path::new(CHECKER), &args, COMPLIANT_STREAM, &[]);
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
        assert_eq!(run.stdout, "", "{run:?}");
        assert!(run.stderr.contains(expected), "{args:?}: {run:?}");
    }
}

/// The real Helm (`$HELM`, else `helm` on PATH), with the plugin of cli/helm-plugin/ installed
/// into a scratch Helm home. Helm 4 takes a postrenderer/v1 plugin; Helm 3 the executable.
#[test]
fn helm_template_with_the_checker_as_post_renderer() {
    let helm = std::env::var_os("HELM")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .or_else(|| find_on_path("helm"));
    let Some(helm) = helm else {
        if std::env::var_os("SCP_REQUIRE_TEST_TOOLS").is_some_and(|v| v == "1") {
            panic!(
                "SCP_REQUIRE_TEST_TOOLS=1 but no helm: set HELM or run scripts/test-tools.sh \
                 (make test does)"
            );
        }
        eprintln!(
            "\n==== SKIPPED helm_template_with_the_checker_as_post_renderer: no helm (set HELM, \
             or run `make test`, which installs one into target/test-tools) ====\n"
        );
        return;
    };
    let dir = scratch();
    let home = dir.join("helm-home");
    let helm_env = [
        ("HELM_DATA_HOME", home.join("data")),
        ("HELM_CONFIG_HOME", home.join("config")),
        ("HELM_CACHE_HOME", home.join("cache")),
    ];
    // In a session of its own, when `setsid` is there: without a controlling terminal, the
    // checker's echo of a failure to the terminal under Helm 4 stays out of the test output.
    let setsid = find_on_path("setsid");
    let helm_cmd = |args: &[&str], path: &str| {
        let mut c = match &setsid {
            Some(setsid) => {
                let mut c = Command::new(setsid);
                c.arg(&helm);
                c
            }
            None => Command::new(&helm),
        };
        c.args(args).env("PATH", path).env_remove(POLICY_ENV);
        for (k, v) in &helm_env {
            c.env(k, v);
        }
        c.current_dir(&dir);
        c.output().expect("cannot run helm")
    };
    let version = helm_cmd(&["version", "--short"], &std::env::var("PATH").unwrap());
    let version = String::from_utf8_lossy(&version.stdout).trim().to_owned();
    eprintln!("helm {version}");

    // The chart: a ConfigMap and a pod whose security context a value can break.
    write(
        &dir,
        "web/Chart.yaml",
        "apiVersion: v2\nname: web\nversion: 0.1.0\n",
    );
    write(&dir, "web/values.yaml", "privileged: false\n");
    write(
        &dir,
        "web/templates/configmap.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-config\ndata:\n  greeting: \"yes\"\n",
    );
    write(
        &dir,
        "web/templates/pod.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  containers:\n  - name: app\n    image: registry.k8s.io/pause\n    {{- if .Values.privileged }}\n    securityContext:\n      privileged: true\n    {{- end }}\n",
    );
    let settings = write(&dir, "settings.yml", MUTATING);
    let policy = module().canonicalize().unwrap();
    // The checker is found on PATH, as a user's installed one is.
    let bin_dir = Path::new(CHECKER).parent().unwrap();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap());
    let settings_arg = format!("--settings={}", settings.display());
    let policy_arg = format!("--policy={}", policy.display());

    let mut renderer: Vec<String> = Vec::new();
    if version.starts_with("v3.") {
        renderer.extend(["--post-renderer".into(), "security-context-checker".into()]);
        renderer.extend(["--post-renderer-args".into(), "post-render".into()]);
    } else {
        let plugin = Path::new(env!("CARGO_MANIFEST_DIR")).join("helm-plugin");
        let out = helm_cmd(&["plugin", "install", plugin.to_str().unwrap()], &path);
        assert!(out.status.success(), "helm plugin install: {out:?}");
        renderer.extend(["--post-renderer".into(), "security-context".into()]);
    }
    for arg in [&policy_arg, &settings_arg, "--namespace=shop"] {
        renderer.extend(["--post-renderer-args".into(), arg.to_owned()]);
    }
    let template = |extra: &[&str]| {
        let mut args = vec!["template", "demo", "./web", "--namespace", "shop"];
        args.extend(renderer.iter().map(String::as_str));
        args.extend_from_slice(extra);
        helm_cmd(&args, &path)
    };

    let ok = template(&[]);
    let stdout = String::from_utf8_lossy(&ok.stdout);
    assert!(ok.status.success(), "helm template failed: {ok:?}");
    assert!(
        stdout.contains("# Source: web/templates/configmap.yaml"),
        "{stdout}"
    );
    let docs = documents(&stdout);
    let pod = docs
        .iter()
        .find(|d| d["kind"] == "Pod")
        .unwrap_or_else(|| panic!("no pod in {stdout}"));
    assert_eq!(
        pod["spec"]["securityContext"]["runAsNonRoot"],
        json!(true),
        "{stdout}"
    );

    let bad = template(&["--set", "privileged=true"]);
    let stdout = String::from_utf8_lossy(&bad.stdout);
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        !bad.status.success(),
        "a privileged pod got through: {bad:?}"
    );
    assert!(!stdout.contains("kind: Pod"), "{stdout}");
    assert!(stderr.contains("post render"), "{stderr}");
    if version.starts_with("v3.") {
        // Helm 3 puts the post-renderer's standard error into its message.
        assert!(stderr.contains("REJECTED Pod shop/demo"), "{stderr}");
    }
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

#[test]
fn a_mutated_list_item_is_written_back_into_its_list() {
    let dir = scratch();
    let stream = "\
# rendered by hand
---
# Source: web/templates/list.yaml
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: first}
- apiVersion: v1
  kind: Pod
  metadata: {name: bare}
  spec:
    containers:
    - name: app
      image: registry.k8s.io/pause
";
    let run = post_render(&dir, MUTATING, &[], stream);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout
            .starts_with("# rendered by hand\n---\n# Source: web/templates/list.yaml\n"),
        "{run:?}"
    );
    let docs = documents(&run.stdout);
    assert_eq!(docs.len(), 1, "{run:?}");
    assert_eq!(docs[0]["items"][0]["metadata"]["name"], json!("first"));
    assert_eq!(
        docs[0]["items"][1]["spec"]["securityContext"]["runAsNonRoot"],
        json!(true),
        "{run:?}"
    );
}

#[test]
fn json_input_with_a_mutation_comes_back_as_yaml_documents() {
    let dir = scratch();
    let stream = r#"{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "first"}}
{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bare"}, "spec": {"containers": [{"name": "app", "image": "registry.k8s.io/pause"}]}}
"#;
    let run = post_render(&dir, MUTATING, &[], stream);
    assert_eq!(run.code, 0, "{run:?}");
    let docs = documents(&run.stdout);
    assert_eq!(docs.len(), 2, "{run:?}");
    assert_eq!(docs[0]["metadata"]["name"], json!("first"));
    assert_eq!(
        docs[1]["spec"]["containers"][0]["securityContext"]["allowPrivilegeEscalation"],
        json!(false),
        "{run:?}"
    );
}

/// Helm 4 (and Helm 3.21 on) marks each manifest with a temporary annotation naming its
/// template instead of a `# Source:` comment, and needs it back to sort the result into files.
#[test]
fn helm_4_streams_keep_their_filename_annotations() {
    let dir = scratch();
    let stream = "\
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
  annotations:
    postrenderer.helm.sh/postrender-filename: 'web/templates/configmap.yaml'
data:
  greeting: \"hello\"
---
apiVersion: v1
kind: Pod
metadata:
  name: bare
  annotations:
    postrenderer.helm.sh/postrender-filename: 'web/templates/bare.yaml'
spec:
  containers:
  - name: app
    image: registry.k8s.io/pause
";
    let run = post_render(&dir, MUTATING, &[], stream);
    assert_eq!(run.code, 0, "{run:?}");
    let first_end = stream.find("---\n").unwrap();
    assert!(run.stdout.starts_with(&stream[..first_end]), "{run:?}");
    let docs = documents(&run.stdout);
    assert_eq!(docs.len(), 2, "{run:?}");
    assert_eq!(
        docs[1]["metadata"]["annotations"]["postrenderer.helm.sh/postrender-filename"],
        json!("web/templates/bare.yaml"),
        "{run:?}"
    );
    assert_eq!(
        docs[1]["spec"]["securityContext"]["runAsNonRoot"],
        json!(true),
        "{run:?}"
    );

    // Rejected, the finding names the template from the annotation, as from `# Source:`.
    let bad = stream.replace(
        "    image: registry.k8s.io/pause\n",
        "    image: registry.k8s.io/pause\n    securityContext:\n      privileged: true\n",
    );
    let run = post_render(&dir, MUTATING, &[], &bad);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr
            .contains("<stdin>:21:7 (web/templates/bare.yaml): deny privileged"),
        "{run:?}"
    );
}
