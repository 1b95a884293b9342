//! Names cannot forge output (docs/checker.md, "What the checker prints"): object names,
//! kinds, container names, field values and file names holding line breaks, terminal escape
//! sequences, bidirectional overrides, HTML or `|` are printed escaped by every human-readable
//! output of the checker binary (text on standard output and error, post-render's standard
//! error, the Markdown report), and exactly by JSON. And a directory search cannot hang
//! (symbolic link loops are refused, each real file is read once).

mod common;

use std::path::Path;
use std::process::Command;

use common::{CHECKER, Run, module, scratch, write};
use security_context_checker::policy::POLICY_ENV;
use serde_json::Value;

fn checker(args: &[&str], stdin: Option<&str>) -> Run {
    let mut command = Command::new(CHECKER);
    command
        .args(args)
        .env(POLICY_ENV, module())
        .env("NO_COLOR", "1");
    common::run(&mut command, stdin)
}

/// A pod the standard rejects (it runs as root), named `name`, with `extra` under its
/// container's securityContext.
fn rejected_pod(name: &str, container: &str, extra: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: default\nspec:\n  \
         securityContext:\n    runAsNonRoot: true\n    runAsUser: 0\n    runAsGroup: 1000\n    \
         fsGroup: 1000\n    seccompProfile: {{type: RuntimeDefault}}\n  containers:\n  - name: \
         {container}\n    image: registry.k8s.io/pause\n    securityContext:\n      \
         allowPrivilegeEscalation: false\n      readOnlyRootFilesystem: true\n      \
         capabilities: {{drop: [ALL]{extra}}}\n"
    )
}

/// What no line a person reads may hold: a control character (ESC, CR, NEL, CSI, BEL …), a
/// line or paragraph separator, a bidirectional control.
fn assert_inert(what: &str, out: &str) {
    for (i, line) in out.lines().enumerate() {
        let bad = line.chars().find(|&c| {
            (c.is_control() && c != '\t')
                || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        });
        assert!(
            bad.is_none(),
            "{what}: line {} holds {bad:?}: {line:?}",
            i + 1
        );
    }
}

/// A verdict line no object of the input earned.
fn assert_no_forged_verdict(what: &str, out: &str) {
    for line in out.lines() {
        assert!(
            !line.starts_with("ACCEPTED"),
            "{what}: nothing was accepted, yet: {line:?}\n{out}"
        );
    }
}

#[test]
fn names_with_line_breaks_escapes_and_overrides_print_escaped() {
    let dir = scratch("hostile-names");
    let cases = [
        (
            "line break in the name",
            "\"x\\nACCEPTED Pod default/forged\"",
            "app",
        ),
        (
            "carriage return",
            "\"x\\rACCEPTED Pod default/forged\"",
            "app",
        ),
        ("NEL", "\"x\\NACCEPTED Pod default/forged\"", "app"),
        (
            "line separator",
            "\"x\\LACCEPTED Pod default/forged\"",
            "app",
        ),
        ("terminal escape sequence", "\"\\e[32mgreen\\e[0m\"", "app"),
        ("C1 control sequence", "\"\\x9b32mgreen\"", "app"),
        ("bidirectional override", "\"abc\\u202Edef\"", "app"),
        (
            "line break in the container's name",
            "web",
            "\"app\\nACCEPTED Pod default/forged\"",
        ),
    ];
    // One stream holding every case (each run of the checker compiles the module once).
    let text: String = cases
        .iter()
        .map(|(_, pod_name, container)| format!("---\n{}", rejected_pod(pod_name, container, "")))
        .collect();
    let file = write(&dir, "pods.yaml", &text);
    let file = file.to_str().unwrap();
    for (what, args, stdin) in [
        ("check", vec!["check", file], None),
        // With the cluster's message too.
        (
            "check --show-message",
            vec!["check", "--show-message", file],
            None,
        ),
        // post-render prints the verdicts on standard error.
        (
            "post-render",
            vec!["post-render", "--show-message"],
            Some(text.as_str()),
        ),
    ] {
        let run = checker(&args, stdin);
        assert_eq!(run.code, 1, "{what}: {run:?}");
        assert_inert(what, &run.stdout);
        assert_inert(what, &run.stderr);
        let verdicts = if stdin.is_some() {
            &run.stderr
        } else {
            &run.stdout
        };
        assert_no_forged_verdict(what, verdicts);
        let headers: Vec<&str> = verdicts
            .lines()
            .filter(|l| !l.starts_with(' ') && !l.starts_with("checker:"))
            .collect();
        assert_eq!(
            headers.len(),
            cases.len(),
            "{what}: one line per object: {run:?}"
        );
        assert!(
            headers
                .iter()
                .all(|l| l.starts_with("REJECTED Pod default/")),
            "{what}: {run:?}"
        );
        assert!(
            headers.contains(&"REJECTED Pod default/x\\nACCEPTED Pod default/forged"),
            "{what}: {run:?}"
        );
    }
    // JSON keeps the names exactly.
    let run = checker(&["check", "--output", "json", file], None);
    let out: Vec<Value> = serde_json::from_str(&run.stdout).unwrap();
    let docs = security_context_input::yaml::parse_stream(&text).unwrap();
    assert_eq!(out.len(), docs.len());
    for (o, doc) in out.iter().zip(&docs) {
        assert_eq!(o["name"], doc.value["metadata"]["name"]);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Values the module quotes from the object (here an added capability with a line break, an
/// escape sequence and HTML in it) reach the finding lines, the warnings and the audit values.
#[test]
fn found_values_warnings_and_audit_values_print_escaped() {
    let dir = scratch("hostile-values");
    let settings = write(
        &dir,
        "settings.yml",
        "enforcement: {capabilities_baseline: warn, capabilities_restricted: warn, capabilities: warn}\n",
    );
    let pod = rejected_pod(
        "caps",
        "\"app\\e]0;title\\a\"",
        ", add: [\"NET_ADMIN\\nACCEPTED Pod default/forged\", \"<img src=x onerror=alert(1)>\"]",
    );
    let file = write(&dir, "pod.yaml", &pod);
    for args in [
        vec![
            "check",
            "--settings",
            settings.to_str().unwrap(),
            file.to_str().unwrap(),
        ],
        vec![
            "check",
            "--show-message",
            "--settings",
            settings.to_str().unwrap(),
            file.to_str().unwrap(),
        ],
    ] {
        let run = checker(&args, None);
        assert_eq!(run.code, 1, "{run:?}");
        assert_inert("capabilities", &run.stdout);
        assert_no_forged_verdict("capabilities", &run.stdout);
        assert!(run.stdout.contains("NET_ADMIN\\nACCEPTED"), "{run:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A file named with a line break: the `==> FILE <==` header, the places and the errors name
/// it escaped.
#[cfg(unix)]
#[test]
fn file_names_print_escaped() {
    let dir = scratch("hostile-files");
    let inputs = dir.join("in");
    write(&inputs, "a.yaml", &rejected_pod("a", "app", ""));
    write(
        &inputs,
        "b\nACCEPTED Pod default\u{1b}[32mforged.yaml",
        &rejected_pod("b", "app", ""),
    );
    write(&inputs, "c\nbroken.yaml", "kind: [");
    let run = checker(&["check", inputs.to_str().unwrap()], None);
    assert_eq!(run.code, 2, "{run:?}");
    assert_inert("file names", &run.stdout);
    assert_inert("file names", &run.stderr);
    assert_no_forged_verdict("file names", &run.stdout);
    assert!(
        run.stdout
            .contains("b\\nACCEPTED Pod default\\u{1b}[32mforged.yaml <=="),
        "{run:?}"
    );
    assert!(run.stderr.contains("c\\nbroken.yaml"), "{run:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The Markdown report: no raw HTML from a field, no table broken by `|`, no line break from a
/// name.
#[test]
fn the_markdown_report_carries_no_markup_from_the_input() {
    let dir = scratch("hostile-markdown");
    let pod = rejected_pod(
        "\"a|b <b>bold</b> [link](http://x) **x** `c`\\nACCEPTED\"",
        "\"app|<img src=x onerror=alert(1)>\"",
        ", add: [\"<img src=x onerror=alert(1)>\", \"A|B\"]",
    );
    let file = write(&dir, "pod.yaml", &pod);
    let run = checker(
        &["report", "--format", "markdown", file.to_str().unwrap()],
        None,
    );
    assert_eq!(run.code, 1, "{run:?}");
    let md = &run.stdout;
    assert_inert("markdown", md);
    assert!(!md.lines().any(|l| l.starts_with("ACCEPTED")), "{md}");
    // Code spans and fenced blocks show their text literally; everywhere else, the input's
    // markup is escaped.
    let prose = prose(md);
    for markup in ["<img", "<b>", "](http", "**x**", "[link]"] {
        assert!(
            !prose.contains(markup),
            "{markup} outside code:\n{prose}\n---\n{md}"
        );
    }
    assert!(
        md.contains("<img"),
        "the capability is shown, in code: {md}"
    );
    // Every row of a table has as many cells as its header.
    let mut columns = None;
    for line in md.lines() {
        if !line.starts_with('|') {
            columns = None;
            continue;
        }
        let cells = unescaped_pipes(line);
        match columns {
            None => columns = Some(cells),
            Some(n) => assert_eq!(cells, n, "a broken table row: {line}\n{md}"),
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The Markdown without its fenced code blocks, code spans (a run of backticks up to the next
/// run of the same length) and backslash-escaped characters: what could be markup.
fn prose(md: &str) -> String {
    let mut out = String::new();
    let mut fenced = false;
    for line in md.lines() {
        if line.starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        let chars: Vec<char> = line.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            if chars[i] == '\\' {
                // An escaped character is text.
                out.push_str("ESC");
                i += 2;
                continue;
            }
            if chars[i] == '`' {
                let run = chars[i..].iter().take_while(|&&c| c == '`').count();
                let mut j = i + run;
                let mut closed = None;
                while j < chars.len() {
                    if chars[j] == '`' {
                        let n = chars[j..].iter().take_while(|&&c| c == '`').count();
                        if n == run {
                            closed = Some(j + n);
                            break;
                        }
                        j += n;
                    } else {
                        j += 1;
                    }
                }
                if let Some(end) = closed {
                    out.push_str("CODE");
                    i = end;
                    continue;
                }
            }
            out.push(chars[i]);
            i += 1;
        }
        out.push('\n');
    }
    out
}

/// `|` that end a table cell: those not escaped by a backslash.
fn unescaped_pipes(line: &str) -> usize {
    let mut n = 0;
    let mut escaped = false;
    for c in line.chars() {
        match c {
            '\\' if !escaped => escaped = true,
            '|' if !escaped => n += 1,
            _ => escaped = false,
        }
        if c != '\\' {
            escaped = false;
        }
    }
    n
}

/// A directory holding symbolic links to itself ended only when killed; it is refused at once,
/// naming the link. A link to a sibling directory or a file is read once.
#[cfg(unix)]
#[test]
fn directory_loops_are_refused_and_each_real_file_read_once() {
    let dir = scratch("loops");
    let pods = dir.join("pods");
    write(&pods, "a.yaml", &rejected_pod("a", "app", ""));
    std::os::unix::fs::symlink(".", pods.join("l1")).unwrap();
    std::os::unix::fs::symlink(".", pods.join("l2")).unwrap();
    let run = checker(&["check", pods.to_str().unwrap()], None);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("l1: a symbolic link to") && run.stderr.contains("directory loop"),
        "{run:?}"
    );
    let run = checker(
        &["report", "--format", "json", pods.to_str().unwrap()],
        None,
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("directory loop"), "{run:?}");

    let once = dir.join("once");
    write(&once, "real/a.yaml", &rejected_pod("a", "app", ""));
    std::os::unix::fs::symlink("real", once.join("alias")).unwrap();
    std::os::unix::fs::symlink("real/a.yaml", once.join("b.yaml")).unwrap();
    let run = checker(&["check", "--output", "json", once.to_str().unwrap()], None);
    assert_eq!(run.code, 1, "{run:?}");
    let out: Vec<Value> = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(out.len(), 1, "one real file, read once: {run:?}");
    assert!(
        Path::new(out[0]["source"].as_str().unwrap()).ends_with("alias/a.yaml"),
        "{run:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
