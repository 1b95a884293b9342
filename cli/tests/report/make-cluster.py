#!/usr/bin/env python3
"""Writes cli/tests/report/cluster.json: what `kubectl get pods,deploy,sts,ds,rs,job,cronjob -A
-o json` would print for a cluster running the example manifests (examples/manifests), with the
objects the controllers create (ReplicaSets, Pods, Jobs) and their ownerReferences, as the API
server fills them in. The report tests (cli/tests/report.rs, cli/tests/report-html.test.mjs)
and the screenshot in docs/ read it.

    python3 cli/tests/report/make-cluster.py   # needs PyYAML; the output is committed

Compliant workloads keep their names; violating ones are renamed where they would collide
(ai-service -> ai-service-canary, ...). Besides the examples: a Pod whose ReplicaSet is not in
the listing (its owner is known only by name) and a DaemonSet.
"""

import copy
import hashlib
import json
import pathlib
import uuid

import yaml

REPO = pathlib.Path(__file__).resolve().parents[3]
OUT = pathlib.Path(__file__).resolve().parent / "cluster.json"
POD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod", "ReplicaSet"}

# Violating example -> (new name, or None to keep it).
RENAME = {
    "writable-root.yaml": "ai-service-canary",
    "added-capability.yaml": "api-gateway-canary",
    "runs-as-root.yaml": "query-engine-legacy",
    "helm-deep-merge-leak.yaml": "starrocks-fe-next",
    "missing-fsgroup.yaml": "mongodb-analytics",
    "postgres-lookalike-image.yaml": "postgresql-evil",
    "postgres-uncovered-sidecar.yaml": "postgresql-metrics",
}


def uid(*parts):
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(parts)))


def suffix(seed, n):
    alphabet = "bcdfghjklmnpqrstvwxz2456789"
    digest = hashlib.sha256(seed.encode()).digest()
    return "".join(alphabet[b % len(alphabet)] for b in digest[:n])


def owner_ref(owner):
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def stamp(obj):
    meta = obj["metadata"]
    meta["uid"] = uid(obj["kind"], meta.get("namespace", ""), meta["name"])
    meta.setdefault("creationTimestamp", "2026-11-02T08:00:00Z")
    meta["resourceVersion"] = str(int(hashlib.sha256(meta["uid"].encode()).hexdigest()[:6], 16))
    return obj


def pod_from(template, name, namespace, owner):
    spec = copy.deepcopy(template["spec"])
    token = f"kube-api-access-{suffix(name, 5)}"
    spec.setdefault("volumes", []).append({
        "name": token,
        "projected": {"defaultMode": 420, "sources": [
            {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
            {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
        ]},
    })
    for c in spec.get("containers", []):
        c.setdefault("volumeMounts", []).append({
            "name": token, "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "readOnly": True})
    spec.setdefault("serviceAccountName", "default")
    spec.setdefault("nodeName", "ip-10-0-3-17")
    meta = {"name": name, "namespace": namespace,
            "labels": copy.deepcopy(template.get("metadata", {}).get("labels", {}))}
    if template.get("metadata", {}).get("annotations"):
        meta["annotations"] = copy.deepcopy(template["metadata"]["annotations"])
    if owner is not None:
        meta["ownerReferences"] = [owner]
    return stamp({"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec,
                  "status": {"phase": "Running"}})


def expand(obj):
    """The object and what its controllers create."""
    obj = stamp(obj)
    out = [obj]
    kind, meta, ns = obj["kind"], obj["metadata"], obj["metadata"].get("namespace", "default")
    replicas = min(int(obj.get("spec", {}).get("replicas", 1) or 1), 2)
    if kind == "Deployment":
        rs_name = f"{meta['name']}-{suffix(meta['name'], 10)}"
        template = obj["spec"]["template"]
        rs = stamp({"apiVersion": "apps/v1", "kind": "ReplicaSet",
                    "metadata": {"name": rs_name, "namespace": ns,
                                 "labels": copy.deepcopy(template["metadata"].get("labels", {})),
                                 "ownerReferences": [owner_ref(obj)]},
                    "spec": {"replicas": replicas, "selector": obj["spec"]["selector"],
                             "template": copy.deepcopy(template)}})
        out.append(rs)
        for i in range(replicas):
            out.append(pod_from(template, f"{rs_name}-{suffix(rs_name + str(i), 5)}", ns, owner_ref(rs)))
    elif kind in ("StatefulSet",):
        for i in range(replicas):
            out.append(pod_from(obj["spec"]["template"], f"{meta['name']}-{i}", ns, owner_ref(obj)))
    elif kind == "DaemonSet":
        for node in ("a", "b"):
            name = f"{meta['name']}-{suffix(meta['name'] + node, 5)}"
            out.append(pod_from(obj["spec"]["template"], name, ns, owner_ref(obj)))
    elif kind == "CronJob":
        job_name = f"{meta['name']}-29410560"
        jt = obj["spec"]["jobTemplate"]
        job = stamp({"apiVersion": "batch/v1", "kind": "Job",
                     "metadata": {"name": job_name, "namespace": ns,
                                  "ownerReferences": [owner_ref(obj)]},
                     "spec": copy.deepcopy(jt["spec"])})
        out.append(job)
        out.append(pod_from(jt["spec"]["template"], f"{job_name}-{suffix(job_name, 5)}", ns, owner_ref(job)))
    return out


def load(path):
    return [d for d in yaml.safe_load_all(path.read_text()) if d and d.get("kind") in POD_KINDS]


def main():
    items = []
    for path in sorted((REPO / "examples/manifests").glob("*.yaml")):
        for obj in load(path):
            items.extend(expand(obj))
    for path in sorted((REPO / "examples/manifests/violating").glob("*.yaml")):
        for obj in load(path):
            if path.name in RENAME:
                obj["metadata"]["name"] = RENAME[path.name]
            items.extend(expand(obj))
    # A DaemonSet: a log shipper that writes its buffer to the root filesystem as root.
    ds = {"apiVersion": "apps/v1", "kind": "DaemonSet",
          "metadata": {"name": "log-shipper", "namespace": "monitoring"},
          "spec": {"selector": {"matchLabels": {"app": "log-shipper"}},
                   "template": {"metadata": {"labels": {"app": "log-shipper"}},
                                "spec": {"securityContext": {"runAsNonRoot": True, "runAsUser": 1000,
                                                             "runAsGroup": 1000, "fsGroup": 1000,
                                                             "seccompProfile": {"type": "RuntimeDefault"}},
                                         "containers": [{"name": "fluent-bit", "image": "fluent/fluent-bit:3.1.4",
                                                         "securityContext": {"allowPrivilegeEscalation": False,
                                                                             "readOnlyRootFilesystem": False,
                                                                             "capabilities": {"drop": ["ALL"]}}}]}}}}
    items.extend(expand(ds))
    # A Pod whose ReplicaSet is not in the listing (deleted, or not listed): known by name only.
    orphan_owner = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "report-worker-6d8f7b9c4",
                    "uid": uid("ReplicaSet", "batch", "report-worker-6d8f7b9c4"), "controller": True}
    template = {"metadata": {"labels": {"app": "report-worker"}},
                "spec": {"containers": [{"name": "worker", "image": "registry.matih.io/matih/report-worker:0.9.2"}]}}
    items.append(pod_from(template, "report-worker-6d8f7b9c4-x2x9k", "batch", orphan_owner))
    listing = {"apiVersion": "v1", "kind": "List", "items": items,
               "metadata": {"resourceVersion": ""}}
    OUT.write_text(json.dumps(listing, indent=4) + "\n")
    print(f"{OUT.relative_to(REPO)}: {len(items)} objects")


if __name__ == "__main__":
    main()
