//! The break-glass recipe of the README ("Debugging a running pod") held against the exact
//! ephemeral containers `kubectl debug` sends (`kubectl-debug.json`, read from kubectl's source;
//! the version is recorded there). Included by the native run (`tests/break_glass.rs`) and the
//! module's run (`e2e-tests/tests/break_glass.rs`), so both judge the same requests alike.

use serde_json::{Value, json};

/// One request and what the policy must answer.
pub struct Case {
    pub name: String,
    pub request: Value,
    pub accepted: bool,
    /// Words the rejection message must contain.
    pub message: Vec<&'static str>,
    /// Audit annotation keys the answer must carry exactly (when accepted).
    pub audit: Vec<&'static str>,
    /// Words some warning must contain.
    pub warning: Option<&'static str>,
}

/// The fenced block that follows `marker` in the page (docs/exceptions.md).
pub fn readme_block<'r>(readme: &'r str, marker: &str) -> &'r str {
    let after = readme
        .split_once(marker)
        .map(|(_, a)| a)
        .unwrap_or_else(|| panic!("the page has no {marker}"));
    let body = after
        .split_once("```")
        .and_then(|(_, b)| b.split_once('\n'))
        .map(|(_, b)| b)
        .expect("a fenced block after the marker");
    body.split_once("```")
        .map(|(b, _)| b)
        .expect("closed block")
}

/// The README's `kubectl debug` command: pod, namespace, image, target and profile.
pub struct Command {
    pub pod: String,
    pub namespace: String,
    pub image: String,
    pub target: String,
    pub profile: String,
}

pub fn parse_command(line: &str) -> Command {
    let words: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(words.get(..2), Some(&["kubectl", "debug"][..]), "{line}");
    let flag = |name: &str| -> String {
        words
            .iter()
            .enumerate()
            .find_map(|(i, w)| {
                w.strip_prefix(&format!("--{name}="))
                    .map(str::to_owned)
                    .or_else(|| {
                        (*w == "-n" && name == "namespace").then(|| words[i + 1].to_owned())
                    })
            })
            .unwrap_or_else(|| panic!("the command has no --{name}: {line}"))
    };
    // The first word after `kubectl debug` that is no flag is the pod.
    let pod = words
        .iter()
        .skip(2)
        .find(|w| !w.starts_with('-'))
        .map(|w| (*w).to_owned())
        .expect("a pod name");
    Command {
        pod,
        namespace: flag("namespace"),
        image: flag("image"),
        target: flag("target"),
        profile: flag("profile"),
    }
}

/// A pod that satisfies the standard, as it runs before anyone debugs it.
fn running_pod(cmd: &Command) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": cmd.pod, "namespace": cmd.namespace, "labels": {"app": "web"}},
        "spec": {
            "securityContext": {"runAsNonRoot": true, "runAsUser": 1000, "runAsGroup": 1000,
                "fsGroup": 1000, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [{"name": cmd.target, "image": "registry.matih.io/matih/web:1.4.2",
                "securityContext": {"allowPrivilegeEscalation": false,
                    "readOnlyRootFilesystem": true, "capabilities": {"drop": ["ALL"]}}}]
        }
    })
}

/// The ephemeral container `kubectl debug --profile=<profile>` adds, as the API server hands it
/// to admission (with the defaults it fills in).
fn debug_container(debug: &Value, profile: &str, cmd: &Command) -> Value {
    let mut c = debug["profiles"][profile]["ephemeralContainer"].clone();
    assert!(c.is_object(), "kubectl-debug.json has no {profile} profile");
    c["image"] = json!(cmd.image);
    c["targetContainerName"] = json!(cmd.target);
    c["imagePullPolicy"] = json!("IfNotPresent");
    c["terminationMessagePath"] = json!("/dev/termination-log");
    c
}

/// The admission request of `kubectl debug`: an UPDATE of the pod's `ephemeralcontainers`
/// subresource from `user` in `groups`.
fn debug_request(
    debug: &Value,
    profile: &str,
    cmd: &Command,
    user: &str,
    groups: &[&str],
) -> Value {
    let old = running_pod(cmd);
    let mut new = old.clone();
    new["spec"]["ephemeralContainers"] = json!([debug_container(debug, profile, cmd)]);
    let pods = json!({"group": "", "version": "v1", "resource": "pods"});
    json!({
        "uid": format!("debug-{profile}-{user}"),
        "kind": {"group": "", "version": "v1", "kind": "Pod"},
        "resource": pods, "subResource": "ephemeralcontainers",
        "requestKind": {"group": "", "version": "v1", "kind": "Pod"},
        "requestResource": pods, "requestSubResource": "ephemeralcontainers",
        "name": cmd.pod, "namespace": cmd.namespace, "operation": "UPDATE",
        "userInfo": {"username": user, "groups": groups},
        "object": new, "oldObject": old,
        "dryRun": false,
        "options": {"kind": "UpdateOptions", "apiVersion": "meta.k8s.io/v1"}
    })
}

pub const SRE: &str = "matih-platform-sre";

/// Every case: the README's command as it is, then each kubectl profile, for a member of the
/// group and for someone outside it.
pub fn cases(readme: &str, debug: &Value) -> Vec<Case> {
    let cmd = parse_command(readme_block(readme, "<!-- break-glass-command -->").trim());
    assert_eq!(
        cmd.profile, "restricted",
        "the README's recipe uses --profile=restricted"
    );
    let member: (&str, &[&str]) = ("oncall@matih.io", &[SRE, "system:authenticated"]);
    let outsider: (&str, &[&str]) = ("dev@matih.io", &["developers", "system:authenticated"]);
    let mut out = Vec::new();
    for profile in [
        "restricted",
        "baseline",
        "general",
        "sysadmin",
        "netadmin",
        "legacy",
    ] {
        for (who, (user, groups)) in [("a member of the group", member), ("an outsider", outsider)]
        {
            let accepted = profile == "restricted" && who == "a member of the group";
            out.push(Case {
                name: format!("kubectl debug --profile={profile} by {who}"),
                request: debug_request(debug, profile, &cmd, user, groups),
                accepted,
                message: if accepted {
                    Vec::new()
                } else {
                    vec!["ephemeral container \"debugger-", "Debugging a running pod"]
                },
                // A member's debug container is judged against the exception, which is
                // recorded whether or not the container then passes.
                audit: if who == "a member of the group" {
                    vec!["exception.break-glass-debug"]
                } else {
                    Vec::new()
                },
                warning: accepted.then_some(
                    "owner: matih-platform-sre, ticket: https://tickets.matih.io/browse/OPS-1234",
                ),
            });
        }
    }
    // The exception is for ephemeral containers only: a member creating a pod whose own
    // container writes its root filesystem is judged by the standard.
    let mut pod = running_pod(&cmd);
    pod["metadata"]["name"] = json!("scratch");
    pod["spec"]["containers"][0]["securityContext"]["readOnlyRootFilesystem"] = json!(false);
    out.push(Case {
        name: "a member's own pod gets nothing from the debug exception".to_owned(),
        request: json!({
            "uid": "member-pod", "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "resource": {"group": "", "version": "v1", "resource": "pods"},
            "name": "scratch", "namespace": cmd.namespace, "operation": "CREATE",
            "userInfo": {"username": member.0, "groups": member.1},
            "object": pod
        }),
        accepted: false,
        message: vec!["readOnlyRootFilesystem", "container \"app\""],
        audit: Vec::new(),
        warning: None,
    });
    out
}

/// Every way `response` (`accepted`, `message`, `warnings`, `auditAnnotations`) falls short.
pub fn check(case: &Case, response: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    if response["accepted"].as_bool() != Some(case.accepted) {
        problems.push(format!(
            "accepted is {}, expected {}; message: {}",
            response["accepted"], case.accepted, response["message"]
        ));
    }
    let message = response["message"].as_str().unwrap_or_default();
    for want in &case.message {
        if !message.contains(want) {
            problems.push(format!("message lacks {want:?}: {message}"));
        }
    }
    let mut keys: Vec<&str> = response["auditAnnotations"]
        .as_object()
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default();
    keys.sort_unstable();
    if keys != case.audit {
        problems.push(format!(
            "audit annotations {keys:?}, expected {:?}",
            case.audit
        ));
    }
    if let Some(want) = case.warning {
        let warnings = response["warnings"].to_string();
        if !warnings.contains(want) {
            problems.push(format!("no warning contains {want:?}: {warnings}"));
        }
    }
    problems
}
