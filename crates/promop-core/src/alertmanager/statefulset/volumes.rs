//! Volumes of the pod, mounts of the alertmanager container and of the
//! reloaders, the directories the reloader watches, and the flags that
//! point at mounted files (web and cluster TLS configuration).
use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::{
    ConfigMapProjection, EmptyDirVolumeSource, KeyToPath, ProjectedVolumeSource, SecretProjection,
    Volume, VolumeMount, VolumeProjection,
};
use promop_api::v1::workload::Argument;

use super::super::secrets::{TEMPLATES_DIR, TLS_ASSETS_DIR};
use super::cluster_tls::ClusterTls;
use super::{Context, WEB_CONFIG_DIR, generated_secret_name};
use crate::alertmanager::version::Feature;
use crate::k8s::StatefulSetError;
use crate::k8s::args::flag;
use crate::k8s::names::label;
use crate::k8s::tls_assets;
use crate::k8s::volumes::{
    config_map_volume, data_volume_name, empty_dir, mount, secret_volume, storage_sub_path,
};
use crate::k8s::web_config::WebConfig;

pub(super) const CONFIG_DIR: &str = "/etc/alertmanager/config";
pub(super) const CONFIG_OUT_DIR: &str = "/etc/alertmanager/config_out";
const CONFIG_VOLUME: &str = "config-volume";
const CONFIG_OUT_VOLUME: &str = "config-out";
const TEMPLATES_VOLUME: &str = "notification-templates";
const SECRETS_DIR: &str = "/etc/alertmanager/secrets";
const CONFIG_MAPS_DIR: &str = "/etc/alertmanager/configmaps";
const STORAGE_DIR: &str = "/alertmanager";

/// The data volume's default name.
pub(super) fn default_data_volume(name: &str) -> String {
    format!("alertmanager-{name}-db")
}

/// Everything mounted, in the reference's order.
pub(crate) struct Volumes {
    /// Without the data volume and the user's volumes (they come last).
    pub pod: Vec<Volume>,
    pub alertmanager: Vec<VolumeMount>,
    pub reloader: Vec<VolumeMount>,
    pub watched: Vec<String>,
    /// `--web.config.file`, `--cluster.tls-config`.
    pub flags: Vec<Argument>,
    /// The web configuration file the reloader reads to reach Alertmanager.
    pub reloader_web_config: Option<String>,
}

pub(super) fn build(ctx: &Context<'_>, tls_assets: Volume) -> Result<Volumes, StatefulSetError> {
    let spec = ctx.spec;
    let mut v = Volumes {
        pod: vec![
            secret_volume(CONFIG_VOLUME, &generated_secret_name(ctx.name)),
            tls_assets,
            // tmpfs: the expanded configuration may hold secrets.
            empty_dir(
                CONFIG_OUT_VOLUME,
                EmptyDirVolumeSource {
                    medium: Some("Memory".to_owned()),
                    ..EmptyDirVolumeSource::default()
                },
            ),
        ],
        alertmanager: vec![
            mount(CONFIG_VOLUME, CONFIG_DIR, false),
            mount(CONFIG_OUT_VOLUME, CONFIG_OUT_DIR, true),
            mount(tls_assets::VOLUME, TLS_ASSETS_DIR, true),
            VolumeMount {
                sub_path: storage_sub_path(spec.storage.as_ref(), "alertmanager-db"),
                ..mount(
                    &data_volume_name(spec.storage.as_ref(), &default_data_volume(ctx.name)),
                    STORAGE_DIR,
                    false,
                )
            },
        ],
        reloader: vec![
            mount(CONFIG_VOLUME, CONFIG_DIR, true),
            mount(CONFIG_OUT_VOLUME, CONFIG_OUT_DIR, false),
        ],
        watched: vec![CONFIG_DIR.to_owned()],
        flags: Vec::new(),
        reloader_web_config: None,
    };
    if let Some(templates) = templates_volume(ctx) {
        v.pod.push(templates);
        let m = mount(TEMPLATES_VOLUME, TEMPLATES_DIR, true);
        v.alertmanager.push(m.clone());
        v.reloader.push(m);
        v.watched.push(TEMPLATES_DIR.to_owned());
    }
    let invalid = |field: &str| {
        let field = field.to_owned();
        move |e: crate::k8s::names::InvalidLabel| StatefulSetError::new(&field, e.to_string())
    };
    for secret in spec.secrets.iter().flatten() {
        let name = label("secret", secret).map_err(invalid("spec.secrets"))?;
        v.pod.push(secret_volume(&name, secret));
        v.add_watched(mount(&name, &format!("{SECRETS_DIR}/{secret}"), true));
    }
    for config_map in spec.config_maps.iter().flatten() {
        let name = label("configmap", config_map).map_err(invalid("spec.configMaps"))?;
        v.pod.push(config_map_volume(&name, config_map, None));
        v.add_watched(mount(
            &name,
            &format!("{CONFIG_MAPS_DIR}/{config_map}"),
            true,
        ));
    }
    v.alertmanager
        .extend(spec.volume_mounts.iter().flatten().cloned());

    // From 0.22 the web configuration file is always mounted, so that
    // switching TLS on or off does not redeploy.
    if ctx.version.supports(Feature::WebConfigFile) {
        let secret_name = format!("{}-web-config", ctx.prefixed);
        let fields = spec.web.as_ref().map(super::web_fields);
        let web = WebConfig {
            mount_dir: WEB_CONFIG_DIR,
            secret_name: &secret_name,
            fields: fields.as_ref(),
        };
        let (volumes, mounts) = web.volumes().map_err(invalid("spec.web.tlsConfig"))?;
        v.flags.push(flag("web.config.file", web.file_path()));
        v.pod.extend(volumes);
        v.alertmanager.extend(mounts.iter().cloned());
        v.reloader.extend(mounts);
        v.reloader_web_config = Some(web.file_path());
    }
    if ctx.version.supports(Feature::ClusterTls) {
        let cluster = ClusterTls::new(ctx.name, spec.cluster_tls.as_ref())?;
        let (volumes, mounts) = cluster.volumes()?;
        v.flags.extend(cluster.flag());
        v.pod.extend(volumes);
        v.alertmanager.extend(mounts);
    }
    Ok(v)
}

impl Volumes {
    /// A mount of both containers whose directory the reloader watches.
    fn add_watched(&mut self, m: VolumeMount) {
        self.watched.push(m.mount_path.clone());
        self.alertmanager.push(m.clone());
        self.reloader.push(m);
    }
}

/// The templates of `alertmanagerConfiguration`, projected into one
/// directory; a key already projected is skipped (file names would clash).
fn templates_volume(ctx: &Context<'_>) -> Option<Volume> {
    let templates = ctx
        .spec
        .alertmanager_configuration
        .as_ref()?
        .templates
        .as_ref()
        .filter(|t| !t.is_empty())?;
    let mut keys = BTreeSet::new();
    let mut sources = Vec::new();
    let item = |key: &str| {
        Some(vec![KeyToPath {
            key: key.to_owned(),
            path: key.to_owned(),
            ..KeyToPath::default()
        }])
    };
    for template in templates {
        if let Some(c) = &template.config_map
            && keys.insert(c.key.clone())
        {
            sources.push(VolumeProjection {
                config_map: Some(ConfigMapProjection {
                    name: c.name.clone(),
                    items: item(&c.key),
                    ..ConfigMapProjection::default()
                }),
                ..VolumeProjection::default()
            });
        }
        if let Some(s) = &template.secret
            && keys.insert(s.key.clone())
        {
            sources.push(VolumeProjection {
                secret: Some(SecretProjection {
                    name: s.name.clone(),
                    items: item(&s.key),
                    ..SecretProjection::default()
                }),
                ..VolumeProjection::default()
            });
        }
    }
    Some(Volume {
        name: TEMPLATES_VOLUME.to_owned(),
        projected: Some(ProjectedVolumeSource {
            sources: Some(sources),
            ..ProjectedVolumeSource::default()
        }),
        ..Volume::default()
    })
}
