//! Evaluation: from the `validate` payload to a verdict.
//!
//! Parse once: the request envelope borrows from the payload bytes, the object is read into
//! the lean pod view of its kind, profiles are selected per container, every registered check
//! runs, and `crate::verdict` renders what they found. The settings travel with every request:
//! they are recognised by their bytes and compiled once.

use crate::checks::{self, Ctx, Violation};
use crate::image_user::{self, ImageUserLookup, ImageUsers};
use crate::mutate;
use crate::settings::Settings;
use crate::target::{
    Gate, RawRequest, Shape, Target, ViewPayload, pod_template_value, read_payload,
};
use crate::verdict::{self, Outcome};
use std::sync::{Arc, Mutex};

/// Settings compiled from the last settings bytes seen: Kubewarden sends the same settings
/// with every request, so they are parsed and validated once.
static SETTINGS_CACHE: Mutex<Option<(Vec<u8>, Arc<Settings>)>> = Mutex::new(None);

/// Compiles settings, reusing the last compilation when the bytes are unchanged.
pub fn compiled_settings(bytes: &[u8]) -> Result<Arc<Settings>, String> {
    if let Ok(guard) = SETTINGS_CACHE.lock()
        && let Some((cached, s)) = guard.as_ref()
        && cached.as_slice() == bytes
    {
        return Ok(Arc::clone(s));
    }
    let s = Arc::new(Settings::from_json(bytes)?);
    if let Ok(mut guard) = SETTINGS_CACHE.lock() {
        *guard = Some((bytes.to_vec(), Arc::clone(&s)));
    }
    Ok(s)
}

impl Settings {
    /// Parses and validates settings JSON against the registry's check IDs. The error lists
    /// every problem found, one a line.
    pub fn from_json(bytes: &[u8]) -> Result<Settings, String> {
        Settings::from_json_with_checks(bytes, &checks::ids())
    }
}

/// Evaluates a `validate` payload, reading image users through `lookup`.
pub fn evaluate_payload(payload: &[u8], lookup: &mut dyn ImageUserLookup) -> Outcome {
    if let Some(out) = evaluate_fast(payload, lookup) {
        return out;
    }
    // The general path: raw objects for UPDATE comparison and mutation, and precise errors.
    let payload = match read_payload(payload) {
        Ok(p) => p,
        Err(e) => return Outcome::malformed(e),
    };
    let Some(request) = &payload.request else {
        return Outcome::malformed("the payload has no `request`".to_owned());
    };
    let settings_bytes = payload.settings.map_or(&b"{}"[..], |s| s.get().as_bytes());
    let settings = match compiled_settings(settings_bytes) {
        Ok(s) => s,
        Err(e) => {
            return Outcome::reject(
                format!(
                    "security-context-policy: the policy's settings are invalid, so every request is rejected until they are fixed:\n{e}"
                ),
                Some(500),
            );
        }
    };
    evaluate_request(request, &settings, lookup)
}

/// Runs every registered check.
pub fn run_checks(ctx: &Ctx<'_, '_>) -> Vec<Violation> {
    let mut out = Vec::new();
    for check in checks::REGISTRY {
        (check.run)(ctx, &mut out);
    }
    out
}

/// Evaluates a request (objects kept raw) against already compiled settings.
pub fn evaluate_request(
    req: &RawRequest<'_>,
    settings: &Settings,
    lookup: &mut dyn ImageUserLookup,
) -> Outcome {
    let (shape, op) = match req.gate() {
        Gate::Judge(shape, op) => (shape, op),
        Gate::Accept => return Outcome::accept(),
        Gate::Malformed(e) => return Outcome::malformed(e),
    };
    let kind = req.kind_name();
    let Some(object) = req.object else {
        return Outcome::malformed(format!("the {op} request for a {kind} has no object"));
    };
    if op == "UPDATE"
        && let Some(old) = req.old_object
    {
        let (new, old) = (
            pod_template_value(shape, object),
            pod_template_value(shape, old),
        );
        if new.is_some() && new == old {
            return Outcome::accept();
        }
    }
    let target = match Target::read(shape, object.get(), req) {
        Ok(t) => t,
        Err(e) => return Outcome::malformed(e),
    };
    // Pods are immutable once created (an UPDATE could not take the edits); workload templates
    // can be filled in on CREATE and UPDATE.
    let may_mutate = op == "CREATE" || shape != Shape::Pod;
    if settings.mutation.enabled && may_mutate {
        let edits = mutate::plan(&target, settings);
        if !edits.is_empty() {
            let mut value: serde_json::Value = match serde_json::from_str(object.get()) {
                Ok(v) => v,
                Err(e) => return Outcome::malformed(format!("{kind} could not be read: {e}")),
            };
            if mutate::apply(&mut value, &edits) {
                let text = value.to_string();
                let mutated = match Target::read(shape, &text, req) {
                    Ok(t) => t,
                    Err(e) => return Outcome::malformed(e),
                };
                let mut out = evaluate_target(&mutated, settings, lookup);
                if out.accepted {
                    out.mutated_object = Some(value);
                }
                return out;
            }
        }
    }
    evaluate_target(&target, settings, lookup)
}

/// The hot path: a CREATE (or an UPDATE without an old object) of a judged kind, without
/// mutation, read in one pass. `None` when the request needs the raw object (UPDATE comparison,
/// mutation) or does not read cleanly: the caller then takes the general path, which also
/// words the errors.
pub fn evaluate_fast(payload: &[u8], lookup: &mut dyn ImageUserLookup) -> Option<Outcome> {
    let (mut req, settings) = match known_settings(payload) {
        // The settings are the ones compiled last: only the request is read (and checked as
        // UTF-8; the settings' bytes equal bytes that were).
        Some((request, settings)) => (
            serde_json::from_str(std::str::from_utf8(request).ok()?).ok()?,
            settings,
        ),
        None => {
            let text = std::str::from_utf8(payload).ok()?;
            let p: ViewPayload = serde_json::from_str(text).ok()?;
            let settings_bytes = p.settings.map_or(&b"{}"[..], |s| s.get().as_bytes());
            (p.request?, compiled_settings(settings_bytes).ok()?)
        }
    };
    let (shape, op) = match req.gate() {
        Gate::Judge(shape, op) => (shape, op),
        Gate::Accept => return Some(Outcome::accept()),
        // The general path words the error.
        Gate::Malformed(_) => return None,
    };
    let may_mutate = op == "CREATE" || shape != Shape::Pod;
    if (op == "UPDATE" && req.old_object.is_some()) || (settings.mutation.enabled && may_mutate) {
        return None;
    }
    let object = req.object.take()?;
    let target = Target::assemble(shape, object, &req).ok()?;
    Some(evaluate_target(&target, &settings, lookup))
}

/// Recognises a payload whose settings are the ones compiled last, without reading them as
/// JSON: policy-server writes the payload as `{"request":…,"settings":…}`, so the settings are
/// its tail. Returns the request's text and the compiled settings. Anything else (another key
/// order, spacing, other settings) is `None`, and the payload is read whole. The request's text
/// must still parse as one JSON value, so a string inside the request cannot fake the split.
fn known_settings(payload: &[u8]) -> Option<(&[u8], Arc<Settings>)> {
    let guard = SETTINGS_CACHE.lock().ok()?;
    let (cached, settings) = guard.as_ref()?;
    let inner = payload
        .strip_prefix(br#"{"request":"#)?
        .strip_suffix(b"}")?;
    let split = inner.len().checked_sub(cached.len())?;
    let (head, tail) = inner.split_at_checked(split)?;
    if !same_bytes(tail, cached) {
        return None;
    }
    let request = head.strip_suffix(br#","settings":"#)?;
    Some((request, Arc::clone(settings)))
}

/// Byte equality, eight bytes at a time (the settings run to hundreds of kilobytes).
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let (a8, b8) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (a8.remainder(), b8.remainder());
    ra == rb
        && a8.zip(b8).all(|(x, y)| {
            let word = |c: &[u8]| c.try_into().map_or(0, u64::from_ne_bytes);
            word(x) == word(y)
        })
}

/// Evaluates a pod (or workload template) already read.
pub fn evaluate_target(
    t: &Target<'_>,
    settings: &Settings,
    lookup: &mut dyn ImageUserLookup,
) -> Outcome {
    let (container_profiles, pod_profile) = t.profiles(settings);
    let image_users = if settings.image_user.verify {
        image_user::resolve(&t.spec, lookup)
    } else {
        ImageUsers::new()
    };
    let ctx = Ctx {
        pod: &t.spec,
        meta: &t.template_meta,
        exceptions: &settings.exceptions,
        image_user: &settings.image_user,
        container_profiles,
        pod_profile,
        image_users: &image_users,
    };
    let violations = run_checks(&ctx);
    verdict::render(t, &ctx, settings, violations)
}
