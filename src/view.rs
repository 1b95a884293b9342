//! The lean, borrowed view of a pod that the checks read.
//!
//! Only the fields a check or the profile selection needs are deserialized; everything else is
//! skipped without allocation. Strings borrow from the request bytes where JSON allows it
//! (`Cow`), so a typical request allocates little more than the container vectors. A field of the
//! wrong JSON type is an error: the request is rejected as malformed rather than half-read.

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

pub type Str<'a> = Cow<'a, str>;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectMeta<'a> {
    #[serde(borrow, default)]
    pub name: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub generate_name: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub namespace: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub labels: Option<Labels<'a>>,
    #[serde(borrow, default)]
    pub annotations: Option<AppArmorAnnotations<'a>>,
}

/// Label map, kept as a small vector of pairs (pods carry a handful of labels).
#[derive(Debug, Default)]
pub struct Labels<'a>(pub Vec<(Str<'a>, Str<'a>)>);

impl<'a> Labels<'a> {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_ref())
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Labels<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Labels<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map of string labels")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut m: M) -> Result<Self::Value, M::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) =
                    m.next_entry::<BorrowedStr<'a>, Option<BorrowedStr<'a>>>()?
                {
                    out.push((k.0, v.map(|v| v.0).unwrap_or_default()));
                }
                Ok(Labels(out))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Labels(Vec::new()))
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

/// The prefix of the deprecated per-container AppArmor annotations, still checked by the
/// baseline standard.
pub const APPARMOR_ANNOTATION_PREFIX: &str = "container.apparmor.security.beta.kubernetes.io/";

/// Annotations, keeping only the AppArmor ones: other annotations (some are huge, such as
/// `kubectl.kubernetes.io/last-applied-configuration`) are skipped unread.
#[derive(Debug, Default)]
pub struct AppArmorAnnotations<'a>(pub Vec<(Str<'a>, Str<'a>)>);

impl<'de: 'a, 'a> Deserialize<'de> for AppArmorAnnotations<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = AppArmorAnnotations<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map of string annotations")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut m: M) -> Result<Self::Value, M::Error> {
                let mut out = Vec::new();
                while let Some(k) = m.next_key::<BorrowedStr<'a>>()? {
                    if let Some(container) = k.0.strip_prefix(APPARMOR_ANNOTATION_PREFIX) {
                        let container: Str<'a> = match &k.0 {
                            Cow::Borrowed(s) => Cow::Borrowed(
                                s.strip_prefix(APPARMOR_ANNOTATION_PREFIX)
                                    .unwrap_or_default(),
                            ),
                            Cow::Owned(_) => Cow::Owned(container.to_owned()),
                        };
                        let v = m.next_value::<Option<BorrowedStr<'a>>>()?;
                        out.push((container, v.map(|v| v.0).unwrap_or_default()));
                    } else {
                        m.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(AppArmorAnnotations(out))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(AppArmorAnnotations(Vec::new()))
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

/// A string that borrows from the input when it can.
#[derive(Debug)]
pub struct BorrowedStr<'a>(pub Str<'a>);

impl<'de: 'a, 'a> Deserialize<'de> for BorrowedStr<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(BorrowedStr(Cow::<'a, str>::deserialize(d)?))
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodSpec<'a> {
    #[serde(borrow, default)]
    pub security_context: Option<PodSecurityContext<'a>>,
    #[serde(default)]
    pub host_network: Option<bool>,
    #[serde(default, rename = "hostPID")]
    pub host_pid: Option<bool>,
    #[serde(default, rename = "hostIPC")]
    pub host_ipc: Option<bool>,
    #[serde(default)]
    pub host_users: Option<bool>,
    #[serde(borrow, default)]
    pub os: Option<PodOs<'a>>,
    #[serde(borrow, default)]
    pub volumes: Option<Vec<Volume<'a>>>,
    #[serde(borrow, default)]
    pub init_containers: Option<Vec<Container<'a>>>,
    #[serde(borrow, default)]
    pub containers: Option<Vec<Container<'a>>>,
    #[serde(borrow, default)]
    pub ephemeral_containers: Option<Vec<Container<'a>>>,
    /// Workload specs (Deployment, Job, …) hold their pod template here.
    #[serde(borrow, default)]
    pub template: Option<Box<Template<'a>>>,
    /// A CronJob spec holds a job template here.
    #[serde(borrow, default)]
    pub job_template: Option<Box<Template<'a>>>,
}

/// An object or a template: metadata and a spec. The spec view is the pod spec, which also
/// reads `template` and `jobTemplate`, so one view type covers every kind this policy judges.
#[derive(Debug, Default, Deserialize)]
pub struct Template<'a> {
    #[serde(borrow, default)]
    pub metadata: Option<ObjectMeta<'a>>,
    #[serde(borrow, default)]
    pub spec: Option<PodSpec<'a>>,
}

impl PodSpec<'_> {
    /// Windows pods (`spec.os.name: windows`) are exempt from the Linux-only restricted checks.
    pub fn is_windows(&self) -> bool {
        self.os.as_ref().and_then(|o| o.name.as_deref()) == Some("windows")
    }
    /// `hostUsers: false` (a user namespace) relaxes runAsNonRoot, runAsUser and procMount.
    pub fn in_user_namespace(&self) -> bool {
        self.host_users == Some(false)
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct PodOs<'a> {
    #[serde(borrow, default)]
    pub name: Option<Str<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodSecurityContext<'a> {
    #[serde(default)]
    pub run_as_non_root: Option<bool>,
    #[serde(default)]
    pub run_as_user: Option<i64>,
    #[serde(default)]
    pub run_as_group: Option<i64>,
    #[serde(default)]
    pub fs_group: Option<i64>,
    #[serde(default)]
    pub supplemental_groups: Option<Vec<i64>>,
    #[serde(borrow, default)]
    pub seccomp_profile: Option<SeccompProfile<'a>>,
    #[serde(borrow, default, rename = "seLinuxOptions")]
    pub se_linux_options: Option<SeLinuxOptions<'a>>,
    #[serde(borrow, default)]
    pub app_armor_profile: Option<AppArmorProfile<'a>>,
    #[serde(default)]
    pub windows_options: Option<WindowsOptions>,
    #[serde(borrow, default)]
    pub sysctls: Option<Vec<Sysctl<'a>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecurityContext<'a> {
    #[serde(default)]
    pub privileged: Option<bool>,
    #[serde(default)]
    pub allow_privilege_escalation: Option<bool>,
    #[serde(default)]
    pub read_only_root_filesystem: Option<bool>,
    #[serde(default)]
    pub run_as_non_root: Option<bool>,
    #[serde(default)]
    pub run_as_user: Option<i64>,
    #[serde(default)]
    pub run_as_group: Option<i64>,
    #[serde(borrow, default)]
    pub capabilities: Option<Capabilities<'a>>,
    #[serde(borrow, default)]
    pub seccomp_profile: Option<SeccompProfile<'a>>,
    #[serde(borrow, default, rename = "seLinuxOptions")]
    pub se_linux_options: Option<SeLinuxOptions<'a>>,
    #[serde(borrow, default)]
    pub app_armor_profile: Option<AppArmorProfile<'a>>,
    #[serde(default)]
    pub windows_options: Option<WindowsOptions>,
    #[serde(borrow, default)]
    pub proc_mount: Option<Str<'a>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Capabilities<'a> {
    #[serde(borrow, default)]
    pub add: Option<Vec<Str<'a>>>,
    #[serde(borrow, default)]
    pub drop: Option<Vec<Str<'a>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeccompProfile<'a> {
    #[serde(borrow, default, rename = "type")]
    pub type_: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub localhost_profile: Option<Str<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppArmorProfile<'a> {
    #[serde(borrow, default, rename = "type")]
    pub type_: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub localhost_profile: Option<Str<'a>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct SeLinuxOptions<'a> {
    #[serde(borrow, default, rename = "type")]
    pub type_: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub user: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub role: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub level: Option<Str<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WindowsOptions {
    #[serde(default)]
    pub host_process: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Sysctl<'a> {
    #[serde(borrow, default)]
    pub name: Str<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Container<'a> {
    #[serde(borrow, default)]
    pub name: Str<'a>,
    #[serde(borrow, default)]
    pub image: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub security_context: Option<SecurityContext<'a>>,
    #[serde(default)]
    pub ports: Option<Vec<ContainerPort>>,
    #[serde(borrow, default)]
    pub lifecycle: Option<Lifecycle<'a>>,
    #[serde(borrow, default)]
    pub liveness_probe: Option<Handler<'a>>,
    #[serde(borrow, default)]
    pub readiness_probe: Option<Handler<'a>>,
    #[serde(borrow, default)]
    pub startup_probe: Option<Handler<'a>>,
    #[serde(borrow, default)]
    pub volume_mounts: Option<Vec<VolumeMount<'a>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VolumeMount<'a> {
    #[serde(borrow, default)]
    pub mount_path: Str<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerPort {
    #[serde(default)]
    pub host_port: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Lifecycle<'a> {
    #[serde(borrow, default)]
    pub post_start: Option<Handler<'a>>,
    #[serde(borrow, default)]
    pub pre_stop: Option<Handler<'a>>,
}

/// A probe or lifecycle handler: only the `host` of `httpGet` and `tcpSocket` matter here.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Handler<'a> {
    #[serde(borrow, default)]
    pub http_get: Option<HostField<'a>>,
    #[serde(borrow, default)]
    pub tcp_socket: Option<HostField<'a>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct HostField<'a> {
    #[serde(borrow, default)]
    pub host: Option<Str<'a>>,
}

/// The volume sources the restricted standard allows. A volume with no source at all is
/// defaulted to `emptyDir` by the API server before admission, so it counts as allowed.
/// `image` (a read-only OCI image volume) is allowed by the published standard since v1.33.
pub const RESTRICTED_ALLOWED_VOLUME_SOURCES: &[&str] = &[
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "image",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

/// A volume: its name, whether it is a hostPath (and which path), and the first source key
/// that the restricted standard does not allow (any key other than `name` and the allowed
/// sources, so a volume type this policy does not know fails closed).
#[derive(Debug, Default)]
pub struct Volume<'a> {
    pub name: Str<'a>,
    pub host_path: Option<Str<'a>>,
    pub restricted_source: Option<Str<'a>>,
}

impl<'de: 'a, 'a> Deserialize<'de> for Volume<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct HostPath<'a> {
            #[serde(borrow, default)]
            path: Option<Str<'a>>,
        }
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Volume<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a volume object")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut m: M) -> Result<Self::Value, M::Error> {
                let mut vol = Volume::default();
                while let Some(k) = m.next_key::<BorrowedStr<'a>>()? {
                    let key = k.0;
                    match key.as_ref() {
                        "name" => vol.name = m.next_value::<BorrowedStr<'a>>()?.0,
                        "hostPath" => {
                            let hp = m.next_value::<Option<HostPath<'a>>>()?;
                            if let Some(hp) = hp {
                                vol.host_path = Some(hp.path.unwrap_or_default());
                                vol.restricted_source.get_or_insert(key);
                            }
                        }
                        other => {
                            let v = m.next_value::<Option<IgnoredAny>>()?;
                            if v.is_some() && !RESTRICTED_ALLOWED_VOLUME_SOURCES.contains(&other) {
                                vol.restricted_source.get_or_insert(key);
                            }
                        }
                    }
                }
                Ok(vol)
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

/// Which list a container comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContainerKind {
    Init,
    Regular,
    Ephemeral,
}

impl ContainerKind {
    /// The pod-spec field that holds this kind of container.
    pub fn field(self) -> &'static str {
        match self {
            ContainerKind::Init => "initContainers",
            ContainerKind::Regular => "containers",
            ContainerKind::Ephemeral => "ephemeralContainers",
        }
    }
    /// How a message names this kind of container.
    pub fn noun(self) -> &'static str {
        match self {
            ContainerKind::Init => "init container",
            ContainerKind::Regular => "container",
            ContainerKind::Ephemeral => "ephemeral container",
        }
    }
}

/// A container with its position in the pod spec.
#[derive(Debug, Clone, Copy)]
pub struct ContainerRef<'p, 'a> {
    pub kind: ContainerKind,
    /// Index within its own list (`containers[1]`).
    pub index: usize,
    /// Index across all containers of the pod, in visiting order (profile lookup).
    pub ordinal: usize,
    pub container: &'p Container<'a>,
}

impl<'a> PodSpec<'a> {
    /// Visits init, regular and ephemeral containers, in that order.
    pub fn visit(&self) -> impl Iterator<Item = ContainerRef<'_, 'a>> {
        let lists = [
            (ContainerKind::Init, self.init_containers.as_deref()),
            (ContainerKind::Regular, self.containers.as_deref()),
            (
                ContainerKind::Ephemeral,
                self.ephemeral_containers.as_deref(),
            ),
        ];
        lists
            .into_iter()
            .flat_map(|(kind, list)| {
                list.unwrap_or(&[])
                    .iter()
                    .enumerate()
                    .map(move |(index, container)| (kind, index, container))
            })
            .enumerate()
            .map(|(ordinal, (kind, index, container))| ContainerRef {
                kind,
                index,
                ordinal,
                container,
            })
    }

    pub fn container_count(&self) -> usize {
        [
            &self.init_containers,
            &self.containers,
            &self.ephemeral_containers,
        ]
        .iter()
        .map(|l| l.as_ref().map_or(0, Vec::len))
        .sum()
    }
}

impl<'a> Container<'a> {
    pub fn sc(&self) -> Option<&SecurityContext<'a>> {
        self.security_context.as_ref()
    }
}
