#!/usr/bin/env python3
# Copied unchanged from the project's shared benchmark inputs (shared/bench/make_requests.py): the
# reference requests of CONTRACT §8. `make bench` runs it into target/bench-inputs.
"""Usage: make_requests.py [OUTDIR]   (default: beside this script; shared/ is read-only in CI)
Benchmark inputs shaped like what the API server sends: a typical Deployment (3 containers,
1 init, defaults filled in, managedFields), a 100-container pod, and a pod rejected on many counts."""
import copy, json, os, sys
here = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
os.makedirs(here, exist_ok=True)

def container(name, image, i):
    return {
        "name": name, "image": image, "imagePullPolicy": "IfNotPresent",
        "args": ["--port=8080", f"--metrics-port={9090 + i}", "--log-format=json"],
        "env": [{"name": f"ENV_{k}", "value": f"value-{k}"} for k in range(8)] + [
            {"name": "POD_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}},
            {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}],
        "ports": [{"name": "http", "containerPort": 8080 + i, "protocol": "TCP"}],
        "resources": {"limits": {"cpu": "1", "memory": "512Mi"}, "requests": {"cpu": "100m", "memory": "128Mi"}},
        "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080 + i, "scheme": "HTTP"}, "initialDelaySeconds": 10,
                          "timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3},
        "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080 + i, "scheme": "HTTP"}, "timeoutSeconds": 1,
                           "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3},
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}, {"name": "config", "mountPath": "/etc/app", "readOnly": True}],
        "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                            "capabilities": {"drop": ["ALL"]}},
    }

def podspec(n, init=1):
    return {
        "securityContext": {"runAsNonRoot": True, "runAsUser": 1000, "runAsGroup": 1000, "fsGroup": 1000,
                            "seccompProfile": {"type": "RuntimeDefault"}},
        "initContainers": [container(f"init-{i}", "registry.matih.io/matih/migrate:2.3.1", i) for i in range(init)],
        "containers": [container(f"c{i}" if n > 3 else ["api", "worker", "exporter"][i],
                                 "registry.matih.io/matih/ai-service:1.4.2", i) for i in range(n)],
        "volumes": [{"name": "tmp", "emptyDir": {}}, {"name": "config", "configMap": {"name": "app", "defaultMode": 420}}],
        "restartPolicy": "Always", "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst",
        "serviceAccountName": "ai-service", "serviceAccount": "ai-service", "schedulerName": "default-scheduler",
        "nodeSelector": {"kubernetes.io/os": "linux"},
        "affinity": {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 100,
            "podAffinityTerm": {"labelSelector": {"matchLabels": {"app.kubernetes.io/name": "ai-service"}},
                                "topologyKey": "kubernetes.io/hostname"}}]}},
        "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "ai", "effect": "NoSchedule"}],
    }

labels = {"app.kubernetes.io/name": "ai-service", "app.kubernetes.io/instance": "prod",
          "app.kubernetes.io/version": "1.4.2", "app.kubernetes.io/managed-by": "Helm", "helm.sh/chart": "ai-service-1.4.2"}
managed = [{"manager": "helm", "operation": "Update", "apiVersion": "apps/v1", "time": "2026-11-26T10:00:00Z",
            "fieldsType": "FieldsV1", "fieldsV1": {"f:metadata": {"f:labels": {f"f:{k}": {} for k in labels}},
            "f:spec": {"f:replicas": {}, "f:template": {"f:spec": {"f:containers": {f'k:{{"name":"c{i}"}}': {".": {}, "f:image": {}} for i in range(3)}}}}}}]

def request(kind, group, resource, obj, uid):
    return {"uid": uid, "kind": {"group": group, "version": "v1", "kind": kind},
            "resource": {"group": group, "version": "v1", "resource": resource},
            "requestKind": {"group": group, "version": "v1", "kind": kind},
            "requestResource": {"group": group, "version": "v1", "resource": resource},
            "name": obj["metadata"]["name"], "namespace": "apps", "operation": "CREATE",
            "userInfo": {"username": "system:serviceaccount:argocd:argocd-application-controller",
                         "uid": "5c1d7f7e-1b1e-4c55-9d8e-3d1c0e0c0a01",
                         "groups": ["system:serviceaccounts", "system:serviceaccounts:argocd", "system:authenticated"]},
            "object": obj, "oldObject": None, "dryRun": False,
            "options": {"kind": "CreateOptions", "apiVersion": "meta.k8s.io/v1", "fieldManager": "helm"}}

deploy = {"apiVersion": "apps/v1", "kind": "Deployment",
          "metadata": {"name": "ai-service", "namespace": "apps", "labels": labels,
                       "annotations": {"meta.helm.sh/release-name": "prod", "meta.helm.sh/release-namespace": "apps"},
                       "managedFields": managed},
          "spec": {"replicas": 3, "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600,
                   "selector": {"matchLabels": {"app.kubernetes.io/name": "ai-service", "app.kubernetes.io/instance": "prod"}},
                   "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
                   "template": {"metadata": {"labels": labels, "annotations": {"checksum/config": "0" * 64}},
                                "spec": podspec(3)}}}
pod100 = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "big", "namespace": "apps", "labels": labels},
          "spec": podspec(100, init=0)}
bad = copy.deepcopy(pod100); bad["metadata"]["name"] = "bad"
for c in bad["spec"]["containers"]:
    c["securityContext"] = {"allowPrivilegeEscalation": True, "readOnlyRootFilesystem": False, "privileged": True,
                            "runAsUser": 0, "capabilities": {"add": ["SYS_ADMIN", "NET_RAW"]}}
bad["spec"]["hostNetwork"] = True
for name, kind, group, res, obj in [("deployment-typical", "Deployment", "apps", "deployments", deploy),
                                    ("pod-100-containers", "Pod", "", "pods", pod100),
                                    ("pod-100-rejected", "Pod", "", "pods", bad)]:
    r = request(kind, group, res, obj, "7f0c2a36-9a8e-4f57-8d7e-" + name[:12].encode().hex()[:12])
    json.dump(r, open(os.path.join(here, name + ".json"), "w"))
    print(name, len(json.dumps(r)), "bytes")
