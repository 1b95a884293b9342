//! The playground's adapter (src/lib.rs) natively: texts read with the checker's reader,
//! objects wrapped as the checker wraps them, one verdict per object at its line, per-document
//! and per-item errors at theirs, settings, mutation and its diff, image users and the
//! simulated requester, the mutation box's edit, and exports that answer like the module.

use security_context_input::image_users::repository_of;
use security_context_input::{AdmissionRequestBuilder, ImageUserTable};
use security_context_playground::*;
use serde_json::{Value, json};

fn create_request(object: Value, default_namespace: &str, uid: usize) -> Value {
    AdmissionRequestBuilder::new(object)
        .default_namespace(default_namespace)
        .uid(&format!("00000000-0000-4000-8000-{uid:012x}"))
        .build()
}

fn image_user_table(json: &str) -> Result<ImageUserTable, String> {
    ImageUserTable::from_json(json)
}

fn deployment(namespace: Option<&str>, read_only: bool) -> Value {
    let mut metadata = json!({ "name": "ai-service" });
    if let Some(ns) = namespace {
        metadata["namespace"] = json!(ns);
    }
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": metadata,
        "spec": { "template": { "metadata": { "labels": { "app": "x" } }, "spec": {
            "securityContext": { "runAsNonRoot": true, "runAsUser": 1000, "runAsGroup": 1000,
                "fsGroup": 1000, "seccompProfile": { "type": "RuntimeDefault" } },
            "containers": [{ "name": "app", "image": "registry.matih.io/matih/ai-service:2.4.1",
                "securityContext": { "allowPrivilegeEscalation": false,
                    "readOnlyRootFilesystem": read_only, "capabilities": { "drop": ["ALL"] } } }]
        } } }
    })
}

/// A manifest of these documents, each written as JSON (JSON is YAML) after its `---`; null is
/// an empty document.
fn stream(docs: &[Value]) -> String {
    docs.iter()
        .map(|d| match d {
            Value::Null => "---\n".to_owned(),
            d => format!("---\n{d}\n"),
        })
        .collect()
}

fn texts(docs: &[Value], settings: &str) -> Texts {
    Texts {
        manifest: stream(docs),
        settings: settings.to_owned(),
        ..Texts::default()
    }
}

fn report(docs: &[Value], settings: &str) -> Report {
    evaluate_texts(&texts(docs, settings))
        .report
        .expect("the settings read")
}

#[test]
fn wraps_objects_as_create_requests() {
    let req = create_request(deployment(Some("shop"), true), "default", 7);
    assert_eq!(
        req["kind"],
        json!({ "group": "apps", "version": "v1", "kind": "Deployment" })
    );
    assert_eq!(req["resource"]["resource"], "deployments");
    assert_eq!(req["namespace"], "shop");
    assert_eq!(req["operation"], "CREATE");
    assert_eq!(req["uid"], "00000000-0000-4000-8000-000000000007");
    let req = create_request(deployment(None, true), "data", 1);
    assert_eq!(req["namespace"], "data");
    let ns = json!({ "apiVersion": "v1", "kind": "Namespace", "metadata": { "name": "x" } });
    assert!(create_request(ns, "default", 1).get("namespace").is_none());
    let policy = json!({ "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy" });
    assert_eq!(
        create_request(policy, "d", 1)["resource"]["resource"],
        "networkpolicies"
    );
}

#[test]
fn standard_verdicts_per_object() {
    let docs = [
        Value::Null,
        deployment(Some("matih-ai"), true),
        deployment(Some("matih-ai"), false),
        json!({ "apiVersion": "v1", "kind": "Service", "metadata": { "name": "s" } }),
    ];
    let r = report(&docs, "{}");
    assert!(r.settings.valid);
    assert!(r.errors.is_empty());
    let verdicts: Vec<(usize, usize, bool)> = r
        .results
        .iter()
        .map(|e| (e.document, e.line, e.outcome.accepted))
        .collect();
    assert_eq!(verdicts, [(2, 3, true), (3, 5, false), (4, 7, true)]);
    let bad = &r.results[1];
    assert_eq!(bad.namespace.as_deref(), Some("matih-ai"));
    let row = &bad.outcome.violations[0];
    assert!(row.checks.contains(&"readOnlyRootFilesystem"), "{row:?}");
    assert_eq!(
        row.field,
        "spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem"
    );
    // The response is the module's: the same fields, no rows.
    let response: Value = serde_json::from_str(bad.response.get()).unwrap();
    assert_eq!(response["accepted"], false);
    assert_eq!(response["message"], json!(bad.outcome.message));
    assert!(response.get("violations").is_none());
}

#[test]
fn lists_requests_and_bad_documents() {
    let list = json!({ "apiVersion": "v1", "kind": "List",
        "items": [deployment(Some("a"), true), 3] });
    let request = json!({ "uid": "u", "operation": "CREATE",
        "kind": { "group": "apps", "version": "v1", "kind": "Deployment" },
        "namespace": "n", "object": deployment(Some("n"), true) });
    let review = json!({ "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
        "request": request.clone() });
    let r = report(
        &[
            list,
            request,
            review,
            json!("text"),
            json!({ "kind": "Pod" }),
        ],
        "{}",
    );
    let seen: Vec<(usize, Option<usize>, &str)> = r
        .results
        .iter()
        .map(|e| (e.document, e.item, e.namespace.as_deref().unwrap_or("")))
        .collect();
    assert_eq!(seen, [(1, Some(0), "a"), (2, None, "n"), (3, None, "n")]);
    let errors: Vec<(usize, usize, &str)> = r
        .errors
        .iter()
        .map(|e| (e.document, e.line, e.message.as_str()))
        .collect();
    assert_eq!(
        errors,
        [
            (
                1,
                2,
                "items[1]: expected a Kubernetes object, found a number"
            ),
            (4, 8, "expected a Kubernetes object, found a string"),
            (5, 10, "not a Kubernetes object: no apiVersion"),
        ]
    );
    // The item's own place, not its document's: the list is one line here, the item in it.
    assert!(r.errors[0].column > 1, "{:?}", r.errors[0]);
}

#[test]
fn invalid_settings_are_reported_and_reject_every_object() {
    let r = report(&[deployment(None, true)], r#"{"runAsUsr": 1}"#);
    assert!(!r.settings.valid);
    assert!(
        r.settings
            .message
            .as_deref()
            .is_some_and(|m| m.contains("runAsUsr"))
    );
    assert!(!r.results[0].outcome.accepted);
    // Settings that cannot be read are an error at their line, and nothing is evaluated.
    let page = evaluate_texts(&texts(&[deployment(None, true)], "a: 1\nb: [\n"));
    assert!(page.report.is_none() && page.settings.is_none());
    assert_eq!(
        page.settings_errors[0].line, 3,
        "{:?}",
        page.settings_errors
    );
    let page = evaluate_texts(&texts(&[deployment(None, true)], "- a\n"));
    assert_eq!(
        page.settings_errors[0].message,
        "settings must be a mapping, found a list"
    );
}

#[test]
fn mutation_comes_from_the_settings() {
    let mut object = deployment(Some("matih-ai"), true);
    object["spec"]["template"]["spec"]["securityContext"]
        .as_object_mut()
        .unwrap()
        .remove("fsGroup");
    let settings = "mutation:\n  enabled: true\n";
    let r = report(&[object.clone()], settings);
    let e = &r.results[0];
    assert!(e.outcome.accepted, "{:?}", e.outcome.message);
    let mutated = e.outcome.mutated_object.as_ref().unwrap();
    assert_eq!(
        mutated["spec"]["template"]["spec"]["securityContext"]["fsGroup"],
        1000
    );
    let response: Value = serde_json::from_str(e.response.get()).unwrap();
    assert_eq!(&response["mutated_object"], mutated);
    // The diff the page shows: both sides read back (as kubectl reads them) as the objects.
    let diff = e.diff.as_ref().unwrap();
    assert_eq!(yaml_value(&diff.before), object);
    assert_eq!(&yaml_value(&diff.after), mutated);
    assert!(!diff.before.contains("fsGroup") && diff.after.contains("fsGroup: 1000"));
    let unmutated = report(&[deployment(Some("matih-ai"), true)], settings);
    assert!(unmutated.results[0].diff.is_none());
}

#[test]
fn image_users_come_from_the_table() {
    let mut object = deployment(Some("matih-ai"), true);
    object["spec"]["template"]["spec"]["securityContext"]
        .as_object_mut()
        .unwrap()
        .remove("runAsUser");
    let settings = r#"{"podSecurityContext": {"runAsNonRoot": true}, "imageUser": {"verify": true, "onLookupFailure": "deny"}}"#;
    let image = "registry.matih.io/matih/ai-service:2.4.1";
    let repository = "registry.matih.io/matih/ai-service";
    for (table, accepted) in [
        (json!({ image: "1000" }), true),
        (json!({ image: 1000 }), true),
        (json!({ repository: "1000" }), true),
        (json!({ image: "", repository: "1000" }), false),
        (json!({ image: "" }), false),
        (json!({}), false),
    ] {
        let table = table.to_string();
        let page = evaluate_texts(&Texts {
            image_users: table.clone(),
            ..texts(&[object.clone()], settings)
        });
        assert!(page.image_user_errors.is_empty());
        let r = page.report.unwrap();
        assert!(r.image_users.valid);
        assert_eq!(r.results[0].outcome.accepted, accepted, "{table}");
    }
    assert_eq!(repository_of("nginx:1.27"), "nginx");
    assert_eq!(
        repository_of("localhost:5000/app@sha256:abc"),
        "localhost:5000/app"
    );
    assert_eq!(repository_of("localhost:5000/app"), "localhost:5000/app");
    assert!(image_user_table(r#"{"nginx": [1]}"#).is_err());
    assert!(image_user_table(r#"["nginx"]"#).is_err());
    assert!(image_user_table("").unwrap().0.is_empty());
    // A table that is not one: its YAML at its line, its content in the report.
    let page = evaluate_texts(&Texts {
        image_users: "nginx: 1\nnginx: 2\n".to_owned(),
        ..texts(&[object.clone()], settings)
    });
    assert_eq!(page.image_user_errors[0].line, 2);
    let page = evaluate_texts(&Texts {
        image_users: "nginx: [1]\n".to_owned(),
        ..texts(&[object.clone()], settings)
    });
    let r = page.report.unwrap();
    assert!(!r.image_users.valid);
    assert!(!r.results[0].outcome.accepted);
}

#[test]
fn exports_answer_like_the_module() {
    assert_eq!(validate_settings_js("{}"), r#"{"valid":true}"#);
    assert!(validate_settings_js(r#"{"runAsUsr":1}"#).starts_with(r#"{"valid":false"#));
    let payload = json!({ "request": create_request(deployment(Some("matih-ai"), true), "default", 1),
        "settings": {} });
    assert_eq!(
        validate_js(&payload.to_string(), ""),
        String::from_utf8(security_context_policy::validate(
            payload.to_string().as_bytes()
        ))
        .unwrap()
    );
    let checks: Vec<Value> = serde_json::from_str(&checks_js()).unwrap();
    assert!(checks.iter().any(|c| c["id"] == "readOnlyRootFilesystem"));
}

#[test]
fn user_and_groups_are_the_requester_of_wrapped_objects() {
    let settings = r#"{"exceptions": [{"name": "sre", "reason": "debugging",
        "match": {"users": ["alice"], "groups": ["sre"]},
        "securityContext": {"readOnlyRootFilesystem": false}}]}"#;
    let docs = [deployment(Some("matih-ai"), false)];
    for (user, groups, accepted) in [
        ("", "", false),
        ("alice", "", false),
        ("alice", "sre", true),
        ("alice", "dev, sre", true),
        ("alice", "dev\nsre\n", true),
        ("bob", "sre", false),
    ] {
        let r = evaluate_texts(&Texts {
            namespace: "default".to_owned(),
            user: user.to_owned(),
            groups: groups.to_owned(),
            ..texts(&docs, settings)
        })
        .report
        .unwrap();
        assert!(r.settings.valid, "{:?}", r.settings.message);
        assert_eq!(
            r.results[0].outcome.accepted, accepted,
            "{user:?} in {groups:?}: {:?}",
            r.results[0].outcome.message
        );
    }
}

#[test]
fn locate_answers_as_the_checker_locates() {
    let text = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: p}\n  spec:\n    hostPID: true\n";
    let page = evaluate_texts(&Texts {
        manifest: text.to_owned(),
        ..Texts::default()
    });
    let r = &page.report.unwrap().results[0];
    assert_eq!(r.path, "items[0]");
    assert_eq!(r.line, 4);
    assert_eq!(r.places.len(), r.outcome.violations.len());
    let host_pid = r
        .outcome
        .violations
        .iter()
        .position(|v| v.field == "spec.hostPID")
        .unwrap();
    let place = &r.places[host_pid];
    assert_eq!((place.line, place.column, place.exact), (8, 5, true));
    let places = locate_fields(
        text,
        &[
            Query {
                document: 1,
                path: r.path.clone(),
                field: "spec.hostPID".to_owned(),
            },
            Query {
                document: 1,
                path: r.path.clone(),
                field: "spec.hostIPC".to_owned(),
            },
        ],
    );
    let got: Vec<(usize, usize, bool)> =
        places.iter().map(|p| (p.line, p.column, p.exact)).collect();
    assert_eq!(got, [(8, 5, true), (7, 3, false)]);
    let answer: Value = serde_json::from_str(&locate_js(text, "not json")).unwrap();
    assert_eq!(answer, json!([]));
}

#[test]
fn the_mutation_box_edits_the_settings_text() {
    let matih = "# the MATIH settings\npodSecurityStandard: baseline # the floor\n";
    for (before, enabled, after) in [
        (matih, true, format!("{matih}mutation:\n  enabled: true\n")),
        (
            "a: 1\nmutation:\n  enabled: on # yes\n",
            false,
            "a: 1\nmutation:\n  enabled: false # yes\n".to_owned(),
        ),
        (
            "a: 1",
            true,
            "a: 1\nmutation:\n  enabled: true\n".to_owned(),
        ),
        ("", true, "mutation:\n  enabled: true\n".to_owned()),
        // Where the text cannot be kept, the settings are written anew.
        (
            "{a: 1}",
            false,
            "a: 1\nmutation:\n  enabled: false\n".to_owned(),
        ),
        (
            "mutation:\n  addFsGroup: x\n",
            true,
            "mutation:\n  addFsGroup: x\n  enabled: true\n".to_owned(),
        ),
        (
            "mutation: \"yes\"\n",
            true,
            "mutation:\n  enabled: true\n".to_owned(),
        ),
        // Settings that cannot be read stay as they are.
        ("a: [", true, "a: [".to_owned()),
    ] {
        let got = set_mutation(before, enabled);
        assert_eq!(got, after, "{before:?}");
        if before != "a: [" {
            let read = security_context_input::manifest::parse_settings(&got, "s").unwrap();
            assert_eq!(read["mutation"]["enabled"], enabled, "{got}");
        }
    }
}

#[test]
fn the_reader_numbers_documents_and_reads_on_past_one_it_refuses() {
    let m = read_manifest("# c\n---\nkind: Pod\n---\n# empty\n---\nkind: [\n---\nkind: Service\n");
    let docs: Vec<(usize, usize, Value)> = m
        .documents
        .iter()
        .map(|d| (d.number, d.line, d.value.clone()))
        .collect();
    assert_eq!(
        docs,
        [
            (1, 3, json!({"kind": "Pod"})),
            (2, 4, Value::Null),
            (3, 7, Value::Null),
            (4, 9, json!({"kind": "Service"})),
        ]
    );
    let errors: Vec<(usize, usize)> = m.errors.iter().map(|e| (e.document, e.line)).collect();
    assert_eq!(
        errors,
        [(3, 8)],
        "{:?}",
        m.errors.first().map(|e| &e.message)
    );
}

fn yaml_value(text: &str) -> Value {
    security_context_input::manifest::parse_documents(text, "t").unwrap()[0]
        .value
        .clone()
}
