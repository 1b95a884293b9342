//! The waPC host itself, against a tiny hand-written guest (WAT below), so the plumbing the
//! policy tests rely on is tested without the policy: host calls, the OCI table and its
//! counters, guest errors, traps and the call deadline.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use e2e_tests::{HostCalls, HostError, PolicyModule};
use serde_json::Value;

/// Operations, by first letter: `echo` and `validate` (echo the payload), `protocol_version`
/// (answers "guest says no", which is not JSON), `log` (logs through kubewarden/tracing/log, then
/// echoes), `oci` (asks kubewarden/oci/v1/oci_manifest_config, answers the host's answer or
/// fails with the host's error), `unknown` (asks kubewarden/oci/nope, same), `trap`, `wait`
/// (spins forever); anything else fails with "guest says no".
const GUEST: &str = r#"
(module
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (import "wapc" "__guest_error" (func $guest_error (param i32 i32)))
  (import "wapc" "__host_call" (func $host_call (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wapc" "__host_response_len" (func $host_response_len (result i32)))
  (import "wapc" "__host_response" (func $host_response (param i32)))
  (import "wapc" "__host_error_len" (func $host_error_len (result i32)))
  (import "wapc" "__host_error" (func $host_error (param i32)))
  (memory (export "memory") 2)
  (data (i32.const 0) "kubewarden")
  (data (i32.const 16) "tracing")
  (data (i32.const 32) "log")
  (data (i32.const 48) "oci")
  (data (i32.const 64) "v1/oci_manifest_config")
  (data (i32.const 96) "nope")
  (data (i32.const 112) "guest says no")
  (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
    (local $c i32) (local $n i32) (local $is_oci i32)
    (call $guest_request (i32.const 256) (i32.const 1024))
    (local.set $c (i32.load8_u (i32.const 256)))
    (if (i32.eq (local.get $c) (i32.const 112))
      (then
        (call $guest_response (i32.const 112) (i32.const 13))
        (return (i32.const 1))))
    (if (i32.or (i32.eq (local.get $c) (i32.const 101)) (i32.eq (local.get $c) (i32.const 118)))
      (then
        (call $guest_response (i32.const 1024) (local.get $msg_len))
        (return (i32.const 1))))
    (if (i32.eq (local.get $c) (i32.const 108))
      (then
        (drop (call $host_call (i32.const 0) (i32.const 10) (i32.const 16) (i32.const 7)
                               (i32.const 32) (i32.const 3) (i32.const 1024) (local.get $msg_len)))
        (call $guest_response (i32.const 1024) (local.get $msg_len))
        (return (i32.const 1))))
    (local.set $is_oci (i32.eq (local.get $c) (i32.const 111)))
    (if (i32.or (local.get $is_oci) (i32.eq (local.get $c) (i32.const 117)))
      (then
        (if (call $host_call (i32.const 0) (i32.const 10) (i32.const 48) (i32.const 3)
                             (select (i32.const 64) (i32.const 96) (local.get $is_oci))
                             (select (i32.const 22) (i32.const 4) (local.get $is_oci))
                             (i32.const 1024) (local.get $msg_len))
          (then
            (local.set $n (call $host_response_len))
            (call $host_response (i32.const 70000))
            (call $guest_response (i32.const 70000) (local.get $n))
            (return (i32.const 1)))
          (else
            (local.set $n (call $host_error_len))
            (call $host_error (i32.const 70000))
            (call $guest_error (i32.const 70000) (local.get $n))
            (return (i32.const 0))))))
    (if (i32.eq (local.get $c) (i32.const 116)) (then unreachable))
    (if (i32.eq (local.get $c) (i32.const 119)) (then (loop $forever (br $forever))))
    (call $guest_error (i32.const 112) (i32.const 13))
    (i32.const 0))
)
"#;

fn module() -> PolicyModule {
    PolicyModule::from_bytes(GUEST.as_bytes(), "test guest").unwrap()
}

fn guest_error(result: Result<Vec<u8>, HostError>) -> String {
    match result {
        Err(HostError::Guest { error, .. }) => error,
        other => panic!("expected a guest error, got {other:?}"),
    }
}

#[test]
fn modules_are_shareable_and_instances_cheap() {
    fn shareable<T: Send + Sync + Clone>() {}
    shareable::<PolicyModule>();
    let module = module();
    for i in 0..50 {
        let host = module.instantiate().unwrap();
        let text = format!("payload {i}");
        assert_eq!(host.call("echo", text.as_bytes()).unwrap(), text.as_bytes());
    }
}

#[test]
fn not_a_module_is_a_compile_error() {
    let err = PolicyModule::from_bytes(b"\0asm\x01\0\0\0garbage", "junk").unwrap_err();
    assert!(matches!(err, HostError::Compile { .. }), "{err:?}");
    assert!(err.to_string().contains("junk"), "{err}");
    let err = PolicyModule::from_file("/nonexistent/policy.wasm".as_ref()).unwrap_err();
    assert!(matches!(err, HostError::Read { .. }), "{err:?}");
}

#[test]
fn log_calls_are_answered_and_counted_apart() {
    let calls = Arc::new(HostCalls::new());
    let host = module().instantiate_with(calls.clone()).unwrap();
    assert_eq!(
        host.call("log", br#"{"level":"info"}"#).unwrap(),
        br#"{"level":"info"}"#
    );
    host.call("log", b"{}").unwrap();
    assert_eq!(calls.log_count(), 2);
    assert!(
        calls.calls().is_empty(),
        "log calls are not recorded as capability calls"
    );
    assert!(Arc::ptr_eq(host.host_calls(), &calls));
}

#[test]
fn oci_lookups_come_from_the_table_and_are_counted() {
    let table = BTreeMap::from([
        ("nginx".to_owned(), "101".to_owned()),
        ("busybox".to_owned(), String::new()),
    ]);
    let calls = Arc::new(HostCalls::new().with_image_users(table));
    let host = module().instantiate_with(calls.clone()).unwrap();

    let answer: Value = serde_json::from_slice(&host.call("oci", br#""nginx""#).unwrap()).unwrap();
    assert_eq!(answer["config"]["config"]["User"], "101");
    assert_eq!(answer["manifest"]["schemaVersion"], 2);
    let answer: Value =
        serde_json::from_slice(&host.call("oci", br#""busybox""#).unwrap()).unwrap();
    assert_eq!(answer["config"]["config"]["User"], "");

    let tagged: Value =
        serde_json::from_slice(&host.call("oci", br#""nginx:1.27""#).unwrap()).unwrap();
    assert_eq!(
        tagged["config"]["config"]["User"], "101",
        "a table entry without tag answers every tag"
    );

    let error = guest_error(host.call("oci", br#""ghcr.io/unknown/image:1""#));
    assert!(error.contains("ghcr.io/unknown/image:1"), "{error}");

    assert_eq!(calls.oci_lookups(), 4);
    let recorded = calls.calls();
    assert_eq!(recorded[0].binding, "kubewarden");
    assert_eq!(recorded[0].namespace, "oci");
    assert_eq!(recorded[0].operation, "v1/oci_manifest_config");
    assert_eq!(recorded[0].payload, br#""nginx""#);
    calls.reset();
    assert_eq!(calls.oci_lookups(), 0);
}

#[test]
fn oci_handler_can_be_any_function() {
    let calls = Arc::new(HostCalls::new().with_oci_handler(|image| {
        if image.starts_with("private/") {
            Err("401 Unauthorized".to_owned())
        } else {
            Ok(format!("{{\"image\":\"{image}\"}}").into_bytes())
        }
    }));
    let host = module().instantiate_with(calls.clone()).unwrap();
    assert_eq!(
        host.call("oci", br#""a/b""#).unwrap(),
        br#"{"image":"a/b"}"#
    );
    assert!(guest_error(host.call("oci", br#""private/x""#)).contains("401"));
    assert!(guest_error(host.call("oci", b"not json")).contains("JSON string"));
    assert_eq!(calls.oci_lookups(), 3);
}

#[test]
fn capabilities_not_plugged_are_refused() {
    let calls = Arc::new(HostCalls::new());
    let host = module().instantiate_with(calls.clone()).unwrap();
    assert!(guest_error(host.call("oci", br#""nginx""#)).contains("not available"));
    let error = guest_error(host.call("unknown", b"{}"));
    assert!(error.contains("kubewarden/oci/nope"), "{error}");
    assert_eq!(calls.calls().len(), 2);
}

#[test]
fn guest_errors_and_traps_are_errors_and_the_instance_survives() {
    let host = module().instantiate().unwrap();
    assert!(guest_error(host.call("fail", b"")).contains("guest says no"));
    let trap = guest_error(host.call("trap", b""));
    // wasmtime-provider keeps only the top of the trap error: where, not why.
    assert!(trap.contains("wasm backtrace"), "{trap}");
    assert_eq!(host.call("echo", b"still here").unwrap(), b"still here");
}

#[test]
fn typed_calls_decode_the_protocol_json() {
    let host = module().instantiate().unwrap();
    // `validate` echoes: whatever the payload is, it comes back as the answer.
    let ok = host
        .validate_raw(br#"{"accepted":false,"message":"no","code":403}"#)
        .unwrap();
    assert!(!ok.accepted);
    assert_eq!((ok.message.as_deref(), ok.code), (Some("no"), Some(403)));
    for bad in [
        &b"garbage"[..],
        br#"{"accepted":"yes"}"#,
        br#"{"accepted":true,"extra":1}"#,
    ] {
        let err = host.validate_raw(bad).unwrap_err();
        assert!(matches!(err, HostError::BadResponse { .. }), "{err:?}");
    }
    let err = host.protocol_version().unwrap_err();
    assert!(matches!(err, HostError::BadResponse { .. }), "{err:?}");
    assert!(err.to_string().contains("guest says no"), "{err}");
}

#[test]
fn runaway_guests_are_interrupted() {
    let module = module().with_call_timeout(Duration::from_millis(300));
    let host = module.instantiate().unwrap();
    let start = Instant::now();
    let error = guest_error(host.call("wait", b""));
    let took = start.elapsed();
    assert!(error.contains("deadline"), "{error}");
    assert!(
        took < Duration::from_secs(5),
        "interrupted only after {took:?}"
    );
}
