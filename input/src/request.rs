//! Turn Kubernetes objects into the AdmissionRequests the API server would send: the one
//! builder the checker, the e2e tests and the playground wrap objects with.

use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Value, json};

/// The namespace a namespaced object without `metadata.namespace` lands in.
pub const DEFAULT_NAMESPACE: &str = "default";

/// Who sends a request: `userInfo.username` and `userInfo.groups`. Exceptions may match on
/// them (`match.users`, `match.groups`); the checker's `--user` / `--group` and the
/// playground's "User" and "Groups" fields set them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requester {
    pub username: String,
    pub groups: Vec<String>,
}

impl Default for Requester {
    /// The cluster administrator of a kubeadm cluster (what `kubectl` sends with the admin
    /// kubeconfig): `kubernetes-admin` in `system:masters`.
    fn default() -> Self {
        Requester {
            username: "kubernetes-admin".to_owned(),
            groups: vec![
                "system:masters".to_owned(),
                "system:authenticated".to_owned(),
            ],
        }
    }
}

impl Requester {
    /// A requester named `username` in `groups`, as the API server describes an
    /// authenticated user: `system:authenticated` is added to the groups. Blank names are
    /// dropped; with neither a username nor a group, the [`Requester::default`]; with groups
    /// but no username, the default's username.
    pub fn new(username: &str, groups: &[String]) -> Self {
        let mut groups: Vec<String> = groups
            .iter()
            .map(|g| g.trim())
            .filter(|g| !g.is_empty())
            .map(str::to_owned)
            .collect();
        let default = Requester::default();
        let username = match username.trim() {
            "" if groups.is_empty() => return default,
            "" => default.username,
            name => name.to_owned(),
        };
        if !groups.iter().any(|g| g == "system:authenticated") {
            groups.push("system:authenticated".to_owned());
        }
        Requester { username, groups }
    }
}

/// Group, version and resource (plural) of a kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupVersionResource {
    pub group: String,
    pub version: String,
    pub resource: String,
}

/// Split `apiVersion` into group and version (`apps/v1` → `apps`, `v1`; `v1` → ``, `v1`).
pub fn split_api_version(api_version: &str) -> (&str, &str) {
    match api_version.rsplit_once('/') {
        Some((group, version)) => (group, version),
        None => ("", api_version),
    }
}

/// The resource (lower-case plural) the API server uses for `kind`.
pub fn resource_for_kind(kind: &str) -> String {
    let known = [
        ("Pod", "pods"),
        ("Deployment", "deployments"),
        ("ReplicaSet", "replicasets"),
        ("StatefulSet", "statefulsets"),
        ("DaemonSet", "daemonsets"),
        ("ReplicationController", "replicationcontrollers"),
        ("Job", "jobs"),
        ("CronJob", "cronjobs"),
        ("PodTemplate", "podtemplates"),
        ("Endpoints", "endpoints"),
        ("Ingress", "ingresses"),
        ("NetworkPolicy", "networkpolicies"),
        ("PodSecurityPolicy", "podsecuritypolicies"),
        ("StorageClass", "storageclasses"),
        ("IngressClass", "ingressclasses"),
        ("PriorityClass", "priorityclasses"),
        ("RuntimeClass", "runtimeclasses"),
    ];
    if let Some((_, resource)) = known.iter().find(|(k, _)| *k == kind) {
        return (*resource).to_owned();
    }
    let lower = kind.to_ascii_lowercase();
    if let Some(stem) = lower
        .strip_suffix('y')
        .filter(|s| !s.ends_with(['a', 'e', 'o', 'u']))
    {
        format!("{stem}ies")
    } else if lower.ends_with('s')
        || lower.ends_with('x')
        || lower.ends_with("ch")
        || lower.ends_with("sh")
    {
        format!("{lower}es")
    } else {
        format!("{lower}s")
    }
}

/// Kinds that live outside namespaces: their requests carry no namespace.
pub fn is_cluster_scoped(kind: &str) -> bool {
    matches!(
        kind,
        "Namespace"
            | "Node"
            | "PersistentVolume"
            | "StorageClass"
            | "ClusterRole"
            | "ClusterRoleBinding"
            | "CustomResourceDefinition"
            | "PriorityClass"
            | "RuntimeClass"
            | "IngressClass"
            | "ValidatingWebhookConfiguration"
            | "MutatingWebhookConfiguration"
            | "ValidatingAdmissionPolicy"
            | "ValidatingAdmissionPolicyBinding"
            | "APIService"
            | "CSIDriver"
            | "CSINode"
            | "VolumeAttachment"
            | "ClusterAdmissionPolicy"
            | "ClusterAdmissionPolicyGroup"
            | "PolicyServer"
    )
}

/// Group, version and resource of an object, from its `apiVersion` and `kind`.
pub fn gvr_of(object: &Value) -> GroupVersionResource {
    let api_version = object
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("v1");
    let kind = object.get("kind").and_then(Value::as_str).unwrap_or("");
    let (group, version) = split_api_version(api_version);
    GroupVersionResource {
        group: group.to_owned(),
        version: version.to_owned(),
        resource: resource_for_kind(kind),
    }
}

static NEXT_UID: AtomicU64 = AtomicU64::new(1);

fn next_uid() -> String {
    let n = NEXT_UID.fetch_add(1, Ordering::Relaxed);
    format!("00000000-0000-4000-8000-{n:012x}")
}

/// Builds an AdmissionRequest around an object. Defaults: operation CREATE, namespace from
/// `metadata.namespace` or [`DEFAULT_NAMESPACE`], no old object, no subresource.
#[derive(Debug, Clone)]
pub struct AdmissionRequestBuilder {
    object: Value,
    old_object: Value,
    operation: String,
    namespace: Option<String>,
    default_namespace: String,
    sub_resource: Option<String>,
    requester: Requester,
    uid: Option<String>,
    dry_run: bool,
}

impl AdmissionRequestBuilder {
    pub fn new(object: Value) -> Self {
        AdmissionRequestBuilder {
            object,
            old_object: Value::Null,
            operation: "CREATE".to_owned(),
            namespace: None,
            default_namespace: DEFAULT_NAMESPACE.to_owned(),
            sub_resource: None,
            requester: Requester::default(),
            uid: None,
            dry_run: false,
        }
    }

    /// `CREATE`, `UPDATE`, `DELETE` or `CONNECT`.
    pub fn operation(mut self, operation: &str) -> Self {
        self.operation = operation.to_owned();
        self
    }

    /// An UPDATE: operation UPDATE with `old` as `oldObject`.
    pub fn update_from(mut self, old: Value) -> Self {
        self.operation = "UPDATE".to_owned();
        self.old_object = old;
        self
    }

    /// Force the request's namespace, whatever the object says.
    pub fn namespace(mut self, namespace: &str) -> Self {
        self.namespace = Some(namespace.to_owned());
        self
    }

    /// The namespace used when the object names none (like `kubectl apply -n`).
    pub fn default_namespace(mut self, namespace: &str) -> Self {
        self.default_namespace = namespace.to_owned();
        self
    }

    /// A subresource, e.g. `ephemeralcontainers` (what `kubectl debug` sends, operation UPDATE).
    pub fn sub_resource(mut self, sub_resource: &str) -> Self {
        self.sub_resource = Some(sub_resource.to_owned());
        self
    }

    /// Who sends the request (`userInfo`); default [`Requester::default`].
    pub fn requester(mut self, requester: &Requester) -> Self {
        self.requester = requester.clone();
        self
    }

    /// Only the username of the requester (`userInfo.username`).
    pub fn username(mut self, username: &str) -> Self {
        self.requester.username = username.to_owned();
        self
    }

    /// The request's `uid` (default: a fresh one per request of this process).
    pub fn uid(mut self, uid: &str) -> Self {
        self.uid = Some(uid.to_owned());
        self
    }

    pub fn dry_run(mut self, dry_run: bool) -> Self {
        self.dry_run = dry_run;
        self
    }

    /// The AdmissionRequest JSON.
    pub fn build(self) -> Value {
        let kind = self
            .object
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let gvr = gvr_of(&self.object);
        let metadata = self.object.get("metadata");
        let name = metadata
            .and_then(|m| m.get("name"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let namespace = if is_cluster_scoped(&kind) {
            None
        } else {
            Some(self.namespace.unwrap_or_else(|| {
                metadata
                    .and_then(|m| m.get("namespace"))
                    .and_then(Value::as_str)
                    .filter(|ns| !ns.is_empty())
                    .map(str::to_owned)
                    .unwrap_or(self.default_namespace)
            }))
        };
        let gvk = json!({ "group": gvr.group, "version": gvr.version, "kind": kind });
        let resource =
            json!({ "group": gvr.group, "version": gvr.version, "resource": gvr.resource });
        let mut request = json!({
            "uid": self.uid.unwrap_or_else(next_uid),
            "kind": gvk,
            "resource": resource,
            "requestKind": gvk,
            "requestResource": resource,
            "name": name,
            "operation": self.operation,
            "userInfo": {
                "username": self.requester.username,
                "groups": self.requester.groups
            },
            "object": self.object,
            "oldObject": self.old_object,
            "dryRun": self.dry_run,
            "options": { "apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions" }
        });
        if let Some(map) = request.as_object_mut() {
            if let Some(ns) = namespace {
                map.insert("namespace".to_owned(), Value::String(ns));
            }
            if let Some(sub) = self.sub_resource {
                map.insert("subResource".to_owned(), Value::String(sub.clone()));
                map.insert("requestSubResource".to_owned(), Value::String(sub));
            }
            if self.operation == "UPDATE" {
                map.insert(
                    "options".to_owned(),
                    json!({ "apiVersion": "meta.k8s.io/v1", "kind": "UpdateOptions" }),
                );
            }
        }
        request
    }
}

/// A CREATE AdmissionRequest for `object` (namespace from the object or `default`).
pub fn create_request(object: &Value) -> Value {
    AdmissionRequestBuilder::new(object.clone()).build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_of_workload_kinds() {
        assert_eq!(resource_for_kind("Pod"), "pods");
        assert_eq!(resource_for_kind("CronJob"), "cronjobs");
        assert_eq!(
            resource_for_kind("ReplicationController"),
            "replicationcontrollers"
        );
        assert_eq!(resource_for_kind("NetworkPolicy"), "networkpolicies");
        assert_eq!(resource_for_kind("Gateway"), "gateways");
        assert_eq!(resource_for_kind("Ingress"), "ingresses");
    }

    #[test]
    fn request_for_a_deployment() {
        let deploy = json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": { "name": "web", "namespace": "shop" }, "spec": {}
        });
        let req = create_request(&deploy);
        assert_eq!(
            req["kind"],
            json!({ "group": "apps", "version": "v1", "kind": "Deployment" })
        );
        assert_eq!(req["resource"]["resource"], "deployments");
        assert_eq!(req["requestResource"], req["resource"]);
        assert_eq!(req["namespace"], "shop");
        assert_eq!(req["name"], "web");
        assert_eq!(req["operation"], "CREATE");
        assert_eq!(req["oldObject"], Value::Null);
        assert_eq!(req["dryRun"], false);
        assert_eq!(req["object"], deploy);
        assert!(req["uid"].as_str().is_some_and(|u| !u.is_empty()));
    }

    #[test]
    fn namespace_defaults_and_cluster_scope() {
        let pod = json!({ "apiVersion": "v1", "kind": "Pod", "metadata": { "name": "p" } });
        assert_eq!(create_request(&pod)["namespace"], "default");
        let req = AdmissionRequestBuilder::new(pod.clone())
            .default_namespace("data")
            .build();
        assert_eq!(req["namespace"], "data");
        assert_eq!(req["kind"]["group"], "");
        let ns = json!({ "apiVersion": "v1", "kind": "Namespace", "metadata": { "name": "x" } });
        assert!(create_request(&ns).get("namespace").is_none());
    }

    #[test]
    fn requester_goes_into_user_info() {
        let pod = json!({ "apiVersion": "v1", "kind": "Pod", "metadata": { "name": "p" } });
        let req = create_request(&pod);
        assert_eq!(
            req["userInfo"],
            json!({ "username": "kubernetes-admin",
                    "groups": ["system:masters", "system:authenticated"] })
        );
        let sre = Requester::new("alice", &["sre".to_owned(), " ".to_owned()]);
        let req = AdmissionRequestBuilder::new(pod.clone())
            .requester(&sre)
            .uid("u-1")
            .build();
        assert_eq!(
            req["userInfo"],
            json!({ "username": "alice", "groups": ["sre", "system:authenticated"] })
        );
        assert_eq!(req["uid"], "u-1");
        assert_eq!(Requester::new(" ", &[]), Requester::default());
        let only_name = Requester::new("bob", &[]);
        assert_eq!(only_name.username, "bob");
        assert_eq!(only_name.groups, ["system:authenticated"]);
        let only_group = Requester::new("", &["dba".to_owned()]);
        assert_eq!(only_group.username, "kubernetes-admin");
        assert_eq!(only_group.groups, ["dba", "system:authenticated"]);
    }

    #[test]
    fn ephemeral_container_update() {
        let pod = json!({ "apiVersion": "v1", "kind": "Pod", "metadata": { "name": "p" } });
        let req = AdmissionRequestBuilder::new(pod.clone())
            .update_from(pod)
            .sub_resource("ephemeralcontainers")
            .build();
        assert_eq!(req["operation"], "UPDATE");
        assert_eq!(req["subResource"], "ephemeralcontainers");
        assert_eq!(req["oldObject"]["kind"], "Pod");
    }
}
