//! Volumes of the pod and mounts of the prometheus container: the config
//! Secret and its expanded copy, the TLS assets, the data directory, the
//! user's Secrets and ConfigMaps, log files and (servers) rule files.
use k8s_openapi::api::core::v1::{
    ConfigMapVolumeSource, EmptyDirVolumeSource, PersistentVolumeClaim, SecretVolumeSource, Volume,
    VolumeMount,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use promop_api::v1::prometheus::{CommonPrometheusFields, PrometheusSpec};
use promop_api::v1::workload::StorageSpec;

use super::super::tls_assets;
use super::{RULES_DIR, STORAGE_DIR};
use crate::k8s::names::{InvalidLabel, label};

pub const CONFIG_DIR: &str = "/etc/prometheus/config";
pub const CONFIG_OUT_DIR: &str = "/etc/prometheus/config_out";
const SECRETS_DIR: &str = "/etc/prometheus/secrets/";
const CONFIG_MAPS_DIR: &str = "/etc/prometheus/configmaps/";
const LOG_VOLUME: &str = "log-file";
const LOG_DIR: &str = "/var/log/prometheus";

/// The pod's volumes and the prometheus container's mounts, in order.
#[derive(Default)]
pub(super) struct Volumes {
    pub pod: Vec<Volume>,
    pub prometheus: Vec<VolumeMount>,
}

fn mount(name: &str, path: &str, read_only: bool) -> VolumeMount {
    VolumeMount {
        name: name.to_owned(),
        mount_path: path.to_owned(),
        read_only: read_only.then_some(true),
        ..VolumeMount::default()
    }
}

fn secret_volume(name: &str, secret: &str) -> Volume {
    Volume {
        name: name.to_owned(),
        secret: Some(SecretVolumeSource {
            secret_name: Some(secret.to_owned()),
            ..SecretVolumeSource::default()
        }),
        ..Volume::default()
    }
}

fn config_map_volume(name: &str, config_map: &str, optional: Option<bool>) -> Volume {
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

fn empty_dir(name: &str, source: EmptyDirVolumeSource) -> Volume {
    Volume {
        name: name.to_owned(),
        empty_dir: Some(source),
        ..Volume::default()
    }
}

/// A log file given without directory goes to a shared emptyDir volume.
fn uses_log_volume(file: Option<&str>) -> bool {
    file.is_some_and(|f| !f.is_empty() && !f.contains('/'))
}

/// `prometheus-db` as sub-path unless the storage disables it.
pub(super) fn storage_sub_path(storage: Option<&StorageSpec>) -> Option<String> {
    match storage {
        None => None,
        Some(s) if s.disable_mount_sub_path == Some(true) => None,
        Some(_) => Some("prometheus-db".to_owned()),
    }
}

/// The name of the data volume: the claim template's own name, else `<prefixed>-db`.
pub(super) fn data_volume_name(prefixed: &str, cpf: &CommonPrometheusFields) -> String {
    cpf.storage
        .as_ref()
        .and_then(|s| s.volume_claim_template.as_ref())
        .and_then(|t| t.metadata.as_ref())
        .and_then(|m| m.name.clone())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| format!("{prefixed}-db"))
}

/// What servers and agents share.
pub(super) fn common(
    prefixed: &str,
    cpf: &CommonPrometheusFields,
    tls_assets_volume: Volume,
) -> Result<Volumes, InvalidLabel> {
    let mut v = Volumes {
        pod: vec![
            secret_volume("config", prefixed),
            tls_assets_volume,
            empty_dir(
                "config-out",
                // tmpfs: the expanded configuration may hold secrets.
                EmptyDirVolumeSource {
                    medium: Some("Memory".to_owned()),
                    ..EmptyDirVolumeSource::default()
                },
            ),
        ],
        prometheus: vec![
            mount("config-out", CONFIG_OUT_DIR, true),
            mount("tls-assets", tls_assets::MOUNT_PATH, true),
            VolumeMount {
                sub_path: storage_sub_path(cpf.storage.as_ref()),
                ..mount(&data_volume_name(prefixed, cpf), STORAGE_DIR, false)
            },
        ],
    };
    v.prometheus
        .extend(cpf.volume_mounts.iter().flatten().cloned());
    for secret in cpf.secrets.iter().flatten() {
        let name = label("secret", secret)?;
        v.pod.push(secret_volume(&name, secret));
        v.prometheus
            .push(mount(&name, &format!("{SECRETS_DIR}{secret}"), true));
    }
    for config_map in cpf.config_maps.iter().flatten() {
        let name = label("configmap", config_map)?;
        v.pod.push(config_map_volume(&name, config_map, None));
        v.prometheus.push(mount(
            &name,
            &format!("{CONFIG_MAPS_DIR}{config_map}"),
            true,
        ));
    }
    if uses_log_volume(cpf.scrape_failure_log_file.as_deref()) {
        v.pod
            .push(empty_dir(LOG_VOLUME, EmptyDirVolumeSource::default()));
        v.prometheus.push(mount(LOG_VOLUME, LOG_DIR, false));
    }
    Ok(v)
}

/// The server's rule ConfigMaps (optional: they may not exist yet) and the
/// query log volume (unless the scrape failure log already brought it).
pub(super) fn server(v: &mut Volumes, spec: &PrometheusSpec, rule_config_maps: &[String]) {
    let query_log = uses_log_volume(spec.query_log_file.as_deref())
        && spec.common.scrape_failure_log_file.is_none();
    if query_log {
        v.pod
            .push(empty_dir(LOG_VOLUME, EmptyDirVolumeSource::default()));
    }
    for name in rule_config_maps {
        v.pod.push(config_map_volume(name, name, Some(true)));
    }
    for name in rule_config_maps {
        v.prometheus
            .push(mount(name, &format!("{RULES_DIR}/{name}"), true));
    }
    if query_log {
        v.prometheus.push(mount(LOG_VOLUME, LOG_DIR, false));
    }
}

/// The reloader's mounts: the configuration and its expanded copy.
pub(super) fn reloader_mounts() -> Vec<VolumeMount> {
    vec![
        mount("config", CONFIG_DIR, false),
        mount("config-out", CONFIG_OUT_DIR, false),
    ]
}

/// The data volume when it is not a claim: an emptyDir (default or the
/// storage's) or an ephemeral volume.
pub(super) fn data_volume(prefixed: &str, storage: Option<&StorageSpec>) -> Option<Volume> {
    let name = format!("{prefixed}-db");
    match storage {
        None => Some(empty_dir(&name, EmptyDirVolumeSource::default())),
        Some(StorageSpec {
            empty_dir: Some(dir),
            ..
        }) => Some(empty_dir(&name, dir.clone())),
        Some(StorageSpec {
            ephemeral: Some(e), ..
        }) => Some(Volume {
            name,
            ephemeral: Some(e.clone()),
            ..Volume::default()
        }),
        Some(_) => None,
    }
}

/// The claim template when the storage asks for one (`ReadWriteOnce` by
/// default). Its apiVersion and kind are dropped as the reference does.
pub(super) fn claim_template(
    prefixed: &str,
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
                    .unwrap_or_else(|| format!("{prefixed}-db")),
            ),
            labels: meta.labels,
            annotations: meta.annotations,
            ..ObjectMeta::default()
        },
        spec: Some(spec),
        status: template.status,
    })
}
