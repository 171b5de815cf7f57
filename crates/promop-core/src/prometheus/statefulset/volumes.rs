//! Volumes of the pod and mounts of the prometheus container: the config
//! Secret and its expanded copy, the TLS assets, the data directory, the
//! user's Secrets and ConfigMaps, log files and (servers) rule files.
use k8s_openapi::api::core::v1::{EmptyDirVolumeSource, Volume, VolumeMount};
use promop_api::v1::prometheus::{CommonPrometheusFields, PrometheusSpec};

use super::super::assets::TLS_ASSETS_DIR;
use super::{RULES_DIR, STORAGE_DIR};
use crate::k8s::names::{InvalidLabel, label};
use crate::k8s::tls_assets;
use crate::k8s::volumes::{self, config_map_volume, empty_dir, mount, secret_volume};

pub const CONFIG_DIR: &str = "/etc/prometheus/config";
pub const CONFIG_OUT_DIR: &str = "/etc/prometheus/config_out";
const SECRETS_DIR: &str = "/etc/prometheus/secrets/";
const CONFIG_MAPS_DIR: &str = "/etc/prometheus/configmaps/";
const CONFIG_VOLUME: &str = "config";
const LOG_VOLUME: &str = "log-file";
const LOG_DIR: &str = "/var/log/prometheus";

/// The pod's volumes and the prometheus container's mounts, in order.
#[derive(Default)]
pub(super) struct Volumes {
    pub pod: Vec<Volume>,
    pub prometheus: Vec<VolumeMount>,
}

/// A log file given without directory goes to a shared emptyDir volume.
fn uses_log_volume(file: Option<&str>) -> bool {
    file.is_some_and(|f| !f.is_empty() && !f.contains('/'))
}

/// The sub-path of the data directory in a storage volume.
pub(super) const DATA_SUB_PATH: &str = "prometheus-db";

/// The data volume's default name.
pub(super) fn default_data_volume(prefixed: &str) -> String {
    format!("{prefixed}-db")
}

/// The data volume's name: the claim template's own, else `<prefixed>-db`.
pub(super) fn data_volume_name(prefixed: &str, cpf: &CommonPrometheusFields) -> String {
    volumes::data_volume_name(cpf.storage.as_ref(), &default_data_volume(prefixed))
}

/// What servers and agents share; the data directory is mounted unless
/// `data_mount` is false (a DaemonSet keeps no data). In watch mode the
/// reloader reads the config Secret from the API: no volume of it.
pub(super) fn common(
    prefixed: &str,
    cpf: &CommonPrometheusFields,
    tls_assets_volume: Volume,
    data_mount: bool,
    watch_mode: bool,
) -> Result<Volumes, InvalidLabel> {
    let config = (!watch_mode).then(|| secret_volume(CONFIG_VOLUME, prefixed));
    let mut v = Volumes {
        pod: config
            .into_iter()
            .chain([
                tls_assets_volume,
                empty_dir(
                    "config-out",
                    // tmpfs: the expanded configuration may hold secrets.
                    EmptyDirVolumeSource {
                        medium: Some("Memory".to_owned()),
                        ..EmptyDirVolumeSource::default()
                    },
                ),
            ])
            .collect(),
        prometheus: vec![
            mount("config-out", CONFIG_OUT_DIR, true),
            mount(tls_assets::VOLUME, TLS_ASSETS_DIR, true),
        ],
    };
    if data_mount {
        v.prometheus.push(VolumeMount {
            sub_path: volumes::storage_sub_path(cpf.storage.as_ref(), DATA_SUB_PATH),
            ..mount(&data_volume_name(prefixed, cpf), STORAGE_DIR, false)
        });
    }
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

/// The server's rule ConfigMaps (optional: they may not exist yet; in
/// watch mode emptyDirs of the same names, which the reloader fills from
/// the API) and the query log volume (unless the scrape failure log
/// already brought it).
pub(super) fn server(
    v: &mut Volumes,
    spec: &PrometheusSpec,
    rule_config_maps: &[String],
    watch_mode: bool,
) {
    let query_log = uses_log_volume(spec.query_log_file.as_deref())
        && spec.common.scrape_failure_log_file.is_none();
    if query_log {
        v.pod
            .push(empty_dir(LOG_VOLUME, EmptyDirVolumeSource::default()));
    }
    for name in rule_config_maps {
        v.pod.push(if watch_mode {
            empty_dir(name, EmptyDirVolumeSource::default())
        } else {
            config_map_volume(name, name, Some(true))
        });
    }
    for name in rule_config_maps {
        v.prometheus
            .push(mount(name, &format!("{RULES_DIR}/{name}"), true));
    }
    if query_log {
        v.prometheus.push(mount(LOG_VOLUME, LOG_DIR, false));
    }
}

/// The reloader's mounts: the configuration (but in watch mode) and its
/// expanded copy.
pub(super) fn reloader_mounts(watch_mode: bool) -> Vec<VolumeMount> {
    let config = (!watch_mode).then(|| mount(CONFIG_VOLUME, CONFIG_DIR, false));
    config
        .into_iter()
        .chain([mount("config-out", CONFIG_OUT_DIR, false)])
        .collect()
}
