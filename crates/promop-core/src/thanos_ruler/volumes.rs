//! Volumes of the pod and mounts of the ruler and the reloader, in the
//! reference's order: the remote-write configuration, the user's
//! configuration Secrets, the TLS assets, the web configuration, the rule
//! ConfigMaps, the data volume, the user's volumes.
use k8s_openapi::api::core::v1::SecretKeySelector;
use k8s_openapi::api::core::v1::{KeyToPath, SecretVolumeSource, Volume, VolumeMount};

use super::{Context, WEB_CONFIG_DIR};
use crate::k8s::StatefulSetError;
use crate::k8s::tls_assets;
use crate::k8s::volumes::{config_map_volume, data_volume, data_volume_name, mount};
use crate::k8s::web_config::WebConfig;

pub(super) const CONFIG_DIR: &str = "/etc/thanos/config";
pub(super) const RULES_DIR: &str = "/etc/thanos/rules";
pub(super) const DATA_DIR: &str = "/thanos/data";
const TLS_ASSETS_DIR: &str = "/etc/thanos/certs";
const REMOTE_WRITE_VOLUME: &str = "remote-write-config";

/// The path of `key` of the configuration Secret mounted as `volume`.
pub(super) fn optional_config(volume: &str, key: &str) -> String {
    format!("{CONFIG_DIR}/{volume}/{key}")
}

/// The data volume's default name.
pub(super) fn default_data_volume(name: &str) -> String {
    format!("thanos-ruler-{name}-data")
}

/// A Secret volume of one key, at the path of the same name.
fn secret_items_volume(name: &str, secret: &str, key: &str) -> Volume {
    Volume {
        name: name.to_owned(),
        secret: Some(SecretVolumeSource {
            secret_name: Some(secret.to_owned()),
            items: Some(vec![KeyToPath {
                key: key.to_owned(),
                path: key.to_owned(),
                ..KeyToPath::default()
            }]),
            ..SecretVolumeSource::default()
        }),
        ..Volume::default()
    }
}

/// Everything mounted, in the reference's order.
pub(super) struct Volumes {
    pub pod: Vec<Volume>,
    pub ruler: Vec<VolumeMount>,
    pub reloader: Vec<VolumeMount>,
    /// The rule directories the reloader watches.
    pub watched: Vec<String>,
    /// The web configuration file the reloader reads to reach the ruler.
    pub reloader_web_config: Option<String>,
}

pub(super) fn build(
    ctx: &Context<'_>,
    tls_assets_volume: Volume,
) -> Result<Volumes, StatefulSetError> {
    let spec = ctx.spec;
    let mut pod = vec![secret_items_volume(
        REMOTE_WRITE_VOLUME,
        &format!("{}-config", ctx.prefixed),
        super::remote_write::FILE,
    )];
    let mut ruler = vec![mount(
        REMOTE_WRITE_VOLUME,
        &format!("{CONFIG_DIR}/{REMOTE_WRITE_VOLUME}"),
        true,
    )];
    // A file the user names wins over the Secret of the same setting.
    let no_file = |file: &Option<String>| file.is_none();
    let configs: [(&str, Option<&SecretKeySelector>); 5] = [
        ("query-config", spec.query_config.as_ref()),
        ("alertmanager-config", spec.alertmanagers_config.as_ref()),
        (
            "objstorage-config",
            spec.object_storage_config
                .as_ref()
                .filter(|_| no_file(&spec.object_storage_config_file)),
        ),
        (
            "tracing-config",
            spec.tracing_config.as_ref().filter(|_| {
                spec.tracing_config_file
                    .as_deref()
                    .is_none_or(str::is_empty)
            }),
        ),
        (
            "alertrelabel-config",
            spec.alert_relabel_configs
                .as_ref()
                .filter(|_| no_file(&spec.alert_relabel_config_file)),
        ),
    ];
    for (volume, selector) in configs {
        if let Some(selector) = selector {
            pod.push(secret_items_volume(volume, &selector.name, &selector.key));
            ruler.push(mount(volume, &format!("{CONFIG_DIR}/{volume}"), true));
        }
    }
    pod.push(tls_assets_volume);
    ruler.push(mount(tls_assets::VOLUME, TLS_ASSETS_DIR, true));

    let mut reloader: Vec<VolumeMount> = ctx
        .rule_config_maps
        .iter()
        .map(|cm| mount(cm, &format!("{RULES_DIR}/{cm}"), false))
        .collect();
    let mut reloader_web_config = None;
    if ctx.web_config {
        let secret_name = format!("{}-web-config", ctx.prefixed);
        let web = WebConfig {
            mount_dir: WEB_CONFIG_DIR,
            secret_name: &secret_name,
            fields: spec.web.as_ref(),
        };
        let (volumes, mounts) = web
            .volumes()
            .map_err(|e| StatefulSetError::new("spec.web.tlsConfig", e.to_string()))?;
        pod.extend(volumes);
        ruler.extend(mounts.iter().cloned());
        reloader.extend(mounts);
        reloader_web_config = Some(web.file_path());
    }

    let default_data = default_data_volume(ctx.name);
    ruler.push(mount(
        &data_volume_name(spec.storage.as_ref(), &default_data),
        DATA_DIR,
        false,
    ));
    for cm in ctx.rule_config_maps {
        pod.push(config_map_volume(cm, cm, Some(true)));
        ruler.push(mount(cm, &format!("{RULES_DIR}/{cm}"), true));
    }
    pod.extend(data_volume(&default_data, spec.storage.as_ref()));
    pod.extend(spec.volumes.iter().flatten().cloned());
    ruler.extend(spec.volume_mounts.iter().flatten().cloned());
    Ok(Volumes {
        pod,
        ruler,
        reloader,
        watched: ctx
            .rule_config_maps
            .iter()
            .map(|cm| format!("{RULES_DIR}/{cm}"))
            .collect(),
        reloader_web_config,
    })
}
