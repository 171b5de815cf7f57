//! Volumes and mounts of generated pods: plain Secret, ConfigMap and
//! emptyDir volumes, and the data volume of a workload's `storage` (an
//! emptyDir, an ephemeral volume or a claim template).
use k8s_openapi::api::core::v1::{
    ConfigMapVolumeSource, EmptyDirVolumeSource, PersistentVolumeClaim, SecretVolumeSource, Volume,
    VolumeMount,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use promop_api::v1::workload::StorageSpec;

/// A mount of a whole volume (`readOnly` left out when false).
pub fn mount(name: &str, path: &str, read_only: bool) -> VolumeMount {
    VolumeMount {
        name: name.to_owned(),
        mount_path: path.to_owned(),
        read_only: read_only.then_some(true),
        ..VolumeMount::default()
    }
}

pub fn secret_volume(name: &str, secret: &str) -> Volume {
    Volume {
        name: name.to_owned(),
        secret: Some(SecretVolumeSource {
            secret_name: Some(secret.to_owned()),
            ..SecretVolumeSource::default()
        }),
        ..Volume::default()
    }
}

pub fn config_map_volume(name: &str, config_map: &str, optional: Option<bool>) -> Volume {
    Volume {
        name: name.to_owned(),
        config_map: Some(ConfigMapVolumeSource {
            name: config_map.to_owned(),
            optional,
            ..ConfigMapVolumeSource::default()
        }),
        ..Volume::default()
    }
}

pub fn empty_dir(name: &str, source: EmptyDirVolumeSource) -> Volume {
    Volume {
        name: name.to_owned(),
        empty_dir: Some(source),
        ..Volume::default()
    }
}

/// The sub-path of the data mount (`sub_path`, e.g. `prometheus-db`) when
/// there is a storage that does not disable it.
pub fn storage_sub_path(storage: Option<&StorageSpec>, sub_path: &str) -> Option<String> {
    match storage {
        None => None,
        Some(s) if s.disable_mount_sub_path == Some(true) => None,
        Some(_) => Some(sub_path.to_owned()),
    }
}

/// The name of the data volume: the claim template's own name, else `default`.
pub fn data_volume_name(storage: Option<&StorageSpec>, default: &str) -> String {
    storage
        .and_then(|s| s.volume_claim_template.as_ref())
        .and_then(|t| t.metadata.as_ref())
        .and_then(|m| m.name.clone())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

/// The data volume `name` when it is not a claim: an emptyDir (default or
/// the storage's) or an ephemeral volume.
pub fn data_volume(name: &str, storage: Option<&StorageSpec>) -> Option<Volume> {
    match storage {
        None => Some(empty_dir(name, EmptyDirVolumeSource::default())),
        Some(StorageSpec {
            empty_dir: Some(dir),
            ..
        }) => Some(empty_dir(name, dir.clone())),
        Some(StorageSpec {
            ephemeral: Some(e), ..
        }) => Some(Volume {
            name: name.to_owned(),
            ephemeral: Some(e.clone()),
            ..Volume::default()
        }),
        Some(_) => None,
    }
}

/// The claim template when the storage asks for one (named `default_name`
/// unless it has a name, `ReadWriteOnce` by default). Its apiVersion and
/// kind are dropped as the reference does.
pub fn claim_template(
    default_name: &str,
    storage: Option<&StorageSpec>,
) -> Option<PersistentVolumeClaim> {
    let storage = storage?;
    if storage.empty_dir.is_some() || storage.ephemeral.is_some() {
        return None;
    }
    let template = storage.volume_claim_template.clone().unwrap_or_default();
    let meta = template.metadata.unwrap_or_default();
    let mut spec = template.spec.unwrap_or_default();
    if spec.access_modes.is_none() {
        spec.access_modes = Some(vec!["ReadWriteOnce".to_owned()]);
    }
    Some(PersistentVolumeClaim {
        metadata: ObjectMeta {
            name: Some(
                meta.name
                    .filter(|n| !n.is_empty())
                    .unwrap_or_else(|| default_name.to_owned()),
            ),
            labels: meta.labels,
            annotations: meta.annotations,
            ..ObjectMeta::default()
        },
        spec: Some(spec),
        status: template.status,
    })
}
