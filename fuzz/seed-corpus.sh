#!/usr/bin/env bash
# Seeds the fuzz corpora from the examples and the PSS fixtures: every example manifest and
# fixture as a validate payload (under the MATIH settings and the conformance settings), and
# every example settings file as a validate_settings input. Needs python3 with PyYAML or the
# repo's checker-free converter below (python3 only).
set -euo pipefail
cd "$(dirname "$0")"
python3 - <<'PY'
import json, os, glob, hashlib, sys
try:
    import yaml
except ImportError:
    sys.exit("seed-corpus.sh needs PyYAML: pip install pyyaml")
root = ".."
def docs(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]
def put(target, data):
    d = os.path.join("corpus", target)
    os.makedirs(d, exist_ok=True)
    b = data.encode()
    open(os.path.join(d, hashlib.sha1(b).hexdigest()), "wb").write(b)
def request(obj, ns):
    api = obj.get("apiVersion", "v1")
    group, _, version = api.rpartition("/")
    return {"uid": "u", "kind": {"group": group, "version": version, "kind": obj.get("kind", "Pod")},
            "operation": "CREATE", "namespace": ns, "name": obj.get("metadata", {}).get("name", ""),
            "object": obj, "oldObject": None}
settings = {}
for s in glob.glob(f"{root}/examples/settings/*.yml"):
    d = docs(s)
    settings[s] = d[0] if d else {}
    put("validate_settings", json.dumps(settings[s]))
matih = settings.get(f"{root}/examples/settings/matih.yml", {})
for m in glob.glob(f"{root}/examples/manifests/**/*.yaml", recursive=True):
    for obj in docs(m):
        ns = obj.get("metadata", {}).get("namespace", "default")
        put("validate", json.dumps({"request": request(obj, ns), "settings": matih}))
        put("validate", json.dumps({"request": request(obj, ns), "settings": {"mutation": {"enabled": True, "writableDirectories": [{"mountPath": "/tmp"}]}}}))
fx = f"{root}/e2e-tests/testdata/pss-v1.37"
for line in open(f"{fx}/manifest.tsv").read().splitlines()[1:]:
    level, expect, check, path = line.split("\t")
    for obj in docs(f"{fx}/{path}"):
        put("validate", json.dumps({"request": request(obj, "default"), "settings": {"podSecurityStandard": level, "podSecurityContext": {}, "securityContext": {}}}))
for name in ["validate", "validate_settings"]:
    print(name, len(os.listdir(os.path.join("corpus", name))), "seeds")
PY
