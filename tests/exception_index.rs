//! The exception index only prunes: for generated settings and pods, the profile it selects for
//! every container is the one a scan of every exception in order selects.

use security_context_policy::image::parse_image;
use security_context_policy::settings::{Candidate, Requester, Settings};
use security_context_policy::target::select_profiles;
use security_context_policy::view::{ObjectMeta, PodSpec};
use serde_json::{Value, json};

/// A small deterministic generator (xorshift), so a failure replays.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

const NAMESPACES: &[&str] = &["data", "apps", "web", "ops"];
const IMAGES: &[&str] = &[
    "postgres:16",
    "postgres@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "bitnami/redis:7",
    "registry.matih.io/team/api:1",
    "registry.matih.io/team/sub/x:2",
    "nginx",
];
const PATTERNS: &[&str] = &[
    "postgres",
    "postgres:16*",
    "bitnami/redis",
    "registry.matih.io/team/*",
    "registry.matih.io/team/api",
    "nginx:latest",
];
const GROUPS: &[&str] = &["sre", "dev", "dba"];
const TYPES: &[&str] = &["initContainers", "containers", "ephemeralContainers"];

fn exception(rng: &mut Rng, i: usize) -> Value {
    let mut m = serde_json::Map::new();
    if rng.chance(70) {
        m.insert("namespaces".into(), json!([rng.pick(NAMESPACES)]));
    }
    if rng.chance(60) {
        m.insert(
            "images".into(),
            json!([rng.pick(PATTERNS), rng.pick(PATTERNS)]),
        );
    }
    if rng.chance(30) {
        m.insert("labels".into(), json!({"tier": rng.pick(&["a", "b"])}));
    }
    if rng.chance(30) || m.is_empty() {
        m.insert("groups".into(), json!([rng.pick(GROUPS)]));
    }
    if rng.chance(30) {
        m.insert("containerTypes".into(), json!([rng.pick(TYPES)]));
    }
    // Only a namespace or a group may bind an exception that relaxes something.
    let bound = m.contains_key("namespaces") || m.contains_key("groups");
    let mut e = json!({"name": format!("e{i}"), "reason": "generated", "match": m});
    if bound {
        e["securityContext"] = json!({"readOnlyRootFilesystem": false});
    }
    e
}

fn container(rng: &mut Rng, i: usize) -> Value {
    json!({"name": format!("c{i}"), "image": rng.pick(IMAGES)})
}

#[test]
fn the_index_selects_what_a_full_scan_selects() {
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    for round in 0..200 {
        let count = 1 + (rng.next() % 40) as usize;
        let settings_json =
            json!({"exceptions": (0..count).map(|i| exception(&mut rng, i)).collect::<Vec<_>>()});
        let settings = Settings::from_json(settings_json.to_string().as_bytes())
            .unwrap_or_else(|e| panic!("round {round}: {e}"));
        for _ in 0..10 {
            let pod = json!({
                "initContainers": (0..rng.next() % 2).map(|i| container(&mut rng, i as usize)).collect::<Vec<_>>(),
                "containers": (0..1 + rng.next() % 3).map(|i| container(&mut rng, 10 + i as usize)).collect::<Vec<_>>(),
                "ephemeralContainers": (0..rng.next() % 2).map(|i| container(&mut rng, 20 + i as usize)).collect::<Vec<_>>(),
            });
            let meta = json!({"labels": {"tier": rng.pick(&["a", "b"])}});
            let namespace = rng.pick(NAMESPACES);
            let groups = vec![rng.pick(GROUPS).to_owned()];
            let requester = Requester {
                username: "u",
                groups: &groups,
            };
            let (pod_text, meta_text) = (pod.to_string(), meta.to_string());
            let spec: PodSpec = serde_json::from_str(&pod_text).unwrap();
            let meta: ObjectMeta = serde_json::from_str(&meta_text).unwrap();
            let (profiles, _) = select_profiles(&settings, namespace, &meta, &spec, requester);
            let labels = meta.labels.as_ref().unwrap();
            for (c, profile) in spec.visit().zip(&profiles) {
                let image = c
                    .container
                    .image
                    .as_deref()
                    .and_then(|i| parse_image(i).ok());
                let candidate = Candidate {
                    namespace,
                    labels,
                    image: image.as_ref(),
                    kind: c.kind,
                    requester,
                };
                let scan = settings
                    .exceptions
                    .iter()
                    .position(|e| e.matches(&candidate));
                assert_eq!(
                    profile.exception, scan,
                    "round {round}: container {} in {namespace}: {settings_json}",
                    c.container.name
                );
            }
        }
    }
}
