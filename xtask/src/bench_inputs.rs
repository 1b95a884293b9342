//! The benchmark inputs, written here: requests shaped like what the API server sends for a
//! service of the platform (defaults filled in, probes, environment, managedFields), so the
//! figures measure realistic payloads. `bench-inputs` writes them as files for the server
//! benchmark; the criterion benchmarks build them in memory.
//!
//! - `typical_deployment()`: a Deployment of three containers and one init container (~9 KB);
//! - `big_pod(100)`: a Pod with 100 containers (~145 KB);
//! - `rejected_pod(100)`: the same Pod wrong on every count;
//! - `exceptions(n, covering)`: settings with `n` namespace-and-image exceptions for other teams,
//!   the last one covering the typical Deployment when `covering`.

use serde_json::{Value, json};

/// The namespace and images of the typical Deployment.
pub const NAMESPACE: &str = "apps";
pub const APP_IMAGE: &str = "registry.matih.io/matih/ai-service:1.4.2";
pub const INIT_IMAGE: &str = "registry.matih.io/matih/migrate:2.3.1";

fn app_container(name: &str, image: &str, port: u64) -> Value {
    let mut env: Vec<Value> = (0..8)
        .map(|k| json!({"name": format!("SETTING_{k}"), "value": format!("setting-value-{k}")}))
        .collect();
    env.push(json!({"name": "POD_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}}));
    env.push(json!({"name": "DATABASE_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "database", "key": "password"}}}));
    let probe = |path: &str| {
        json!({"httpGet": {"path": path, "port": port, "scheme": "HTTP"}, "timeoutSeconds": 1,
               "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3})
    };
    let mut liveness = probe("/livez");
    liveness["initialDelaySeconds"] = json!(5);
    json!({
        "name": name, "image": image, "imagePullPolicy": "IfNotPresent",
        "args": [format!("--listen=:{port}"), format!("--metrics=:{}", port + 1000), "--log=json"],
        "env": env,
        "ports": [{"name": "http", "containerPort": port, "protocol": "TCP"}],
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}},
        "livenessProbe": liveness,
        "readinessProbe": probe("/readyz"),
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}, {"name": "config", "mountPath": "/etc/service", "readOnly": true}],
        "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
        "securityContext": {"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true, "capabilities": {"drop": ["ALL"]}}
    })
}

fn labels() -> Value {
    json!({"app.kubernetes.io/name": "ai-service", "app.kubernetes.io/instance": "prod",
           "app.kubernetes.io/version": "1.4.2", "app.kubernetes.io/managed-by": "Helm",
           "helm.sh/chart": "ai-service-1.4.2"})
}

fn pod_spec(containers: Vec<Value>, init: Vec<Value>) -> Value {
    json!({
        "securityContext": {"runAsNonRoot": true, "runAsUser": 1000, "runAsGroup": 1000, "fsGroup": 1000,
                            "seccompProfile": {"type": "RuntimeDefault"}},
        "initContainers": init,
        "containers": containers,
        "volumes": [{"name": "tmp", "emptyDir": {}}, {"name": "config", "configMap": {"name": "ai-service", "defaultMode": 420}}],
        "restartPolicy": "Always", "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst",
        "serviceAccountName": "ai-service", "serviceAccount": "ai-service", "schedulerName": "default-scheduler",
        "nodeSelector": {"kubernetes.io/os": "linux"},
        "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "ai", "effect": "NoSchedule"}],
        "affinity": {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 100,
            "podAffinityTerm": {"labelSelector": {"matchLabels": {"app.kubernetes.io/name": "ai-service"}},
                                "topologyKey": "kubernetes.io/hostname"}}]}}
    })
}

/// The AdmissionRequest the API server sends for creating `object`.
pub fn create_request(kind: &str, group: &str, resource: &str, object: Value) -> Value {
    let gvk = json!({"group": group, "version": "v1", "kind": kind});
    let gvr = json!({"group": group, "version": "v1", "resource": resource});
    json!({
        "uid": "705ab4f5-6393-11e8-b7cc-42010a800002",
        "kind": gvk, "resource": gvr, "requestKind": gvk, "requestResource": gvr,
        "name": object["metadata"]["name"], "namespace": NAMESPACE, "operation": "CREATE",
        "userInfo": {"username": "system:serviceaccount:argocd:argocd-application-controller",
                     "uid": "0b8c2c6e-3d1f-4f5e-9a51-6a3c1f0d2e11",
                     "groups": ["system:serviceaccounts", "system:serviceaccounts:argocd", "system:authenticated"]},
        "object": object, "oldObject": null, "dryRun": false,
        "options": {"kind": "CreateOptions", "apiVersion": "meta.k8s.io/v1", "fieldManager": "helm"}
    })
}

/// A Deployment of three containers and one init container, as the API server sends it.
pub fn typical_deployment() -> Value {
    let containers = ["api", "worker", "exporter"]
        .iter()
        .zip(8080..)
        .map(|(name, port)| app_container(name, APP_IMAGE, port))
        .collect();
    let init = vec![app_container("migrate", INIT_IMAGE, 7070)];
    let managed = json!([{"manager": "helm", "operation": "Update", "apiVersion": "apps/v1",
        "time": "2026-11-26T10:00:00Z", "fieldsType": "FieldsV1",
        "fieldsV1": {"f:metadata": {"f:labels": {"f:app.kubernetes.io/name": {}, "f:app.kubernetes.io/instance": {},
            "f:app.kubernetes.io/version": {}, "f:app.kubernetes.io/managed-by": {}, "f:helm.sh/chart": {}}},
            "f:spec": {"f:replicas": {}, "f:template": {"f:spec": {"f:containers": {
                "k:{\"name\":\"api\"}": {".": {}, "f:image": {}}, "k:{\"name\":\"worker\"}": {".": {}, "f:image": {}},
                "k:{\"name\":\"exporter\"}": {".": {}, "f:image": {}}}}}}}}]);
    let object = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "ai-service", "namespace": NAMESPACE, "labels": labels(),
                     "annotations": {"meta.helm.sh/release-name": "prod", "meta.helm.sh/release-namespace": NAMESPACE},
                     "managedFields": managed},
        "spec": {"replicas": 3, "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600,
                 "selector": {"matchLabels": {"app.kubernetes.io/name": "ai-service", "app.kubernetes.io/instance": "prod"}},
                 "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
                 "template": {"metadata": {"labels": labels(), "annotations": {"checksum/config": "f".repeat(64)}},
                              "spec": pod_spec(containers, init)}}
    });
    create_request("Deployment", "apps", "deployments", object)
}

/// A Pod with `n` containers that all satisfy the standard.
pub fn big_pod(n: u64) -> Value {
    let containers = (0..n)
        .map(|i| app_container(&format!("c{i}"), APP_IMAGE, 8080 + i))
        .collect();
    let object = json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "big", "namespace": NAMESPACE, "labels": labels()},
        "spec": pod_spec(containers, Vec::new())});
    create_request("Pod", "", "pods", object)
}

/// The big Pod wrong on every count: privileged root containers with added capabilities on the
/// host network.
pub fn rejected_pod(n: u64) -> Value {
    let mut request = big_pod(n);
    let object = &mut request["object"];
    object["metadata"]["name"] = json!("rejected");
    object["spec"]["hostNetwork"] = json!(true);
    if let Some(containers) = object["spec"]["containers"].as_array_mut() {
        for c in containers {
            c["securityContext"] = json!({"allowPrivilegeEscalation": true, "readOnlyRootFilesystem": false,
                "privileged": true, "runAsUser": 0, "capabilities": {"add": ["SYS_ADMIN", "NET_RAW"]}});
        }
    }
    request["name"] = json!("rejected");
    request
}

/// Settings with `n` exceptions, one per team (its namespace and registry path), none of which
/// covers the typical Deployment; with `covering`, the last one covers it.
pub fn exceptions(n: usize, covering: bool) -> Value {
    let mut list: Vec<Value> = (0..n)
        .map(|i| {
            json!({
                "name": format!("team-{i}"), "reason": "team service writes its cache",
                "owner": format!("team-{i}"), "ticket": format!("OPS-{}", 1000 + i),
                "match": {"namespaces": [format!("team-{i}")],
                          "images": [format!("registry.matih.io/team-{i}/*"), format!("docker.io/library/svc{i}")],
                          "labels": {"app.kubernetes.io/part-of": format!("team-{i}")}},
                "podSecurityContext": {"runAsUser": 2000 + i, "runAsGroup": 2000 + i, "fsGroup": 2000 + i},
                "securityContext": {"readOnlyRootFilesystem": false}
            })
        })
        .collect();
    if covering && let Some(last) = list.last_mut() {
        last["match"] = json!({"namespaces": [NAMESPACE], "images": ["registry.matih.io/matih/*"]});
        last["podSecurityContext"] =
            json!({"runAsUser": 1000, "runAsGroup": 1000, "fsGroup": 1000});
    }
    json!({"exceptions": list})
}

/// A `validate` payload as policy-server writes it: compact, the request first.
pub fn payload(request: &Value, settings: &Value) -> Vec<u8> {
    format!(r#"{{"request":{request},"settings":{settings}}}"#).into_bytes()
}
