//! The Thanos sidecar (`spec.thanos`): serves the local TSDB over gRPC and,
//! with object storage, uploads its blocks. Uploading needs local
//! compaction either disabled or coordinated with the sidecar.
use k8s_openapi::api::core::v1::{
    Container, ContainerPort, EnvVar, EnvVarSource, SecretKeySelector, SecretVolumeSource, Volume,
    VolumeMount,
};
use promop_api::v1::prometheus::{PrometheusSpec, ThanosSpec};
use promop_api::v1::workload::Argument;

use super::super::version::{Feature, Version};
use super::volumes::{DATA_SUB_PATH, data_volume_name};
use super::{STORAGE_DIR, StatefulSetError, route_prefix, scheme, string_of};
use crate::k8s::args::{build, flag, switch};
use crate::k8s::probe::clean_path;
use crate::k8s::volumes::storage_sub_path;
use crate::k8s::{image, security_context};
use crate::version::{DEFAULT_THANOS_VERSION, thanos};

pub const DEFAULT_BASE_IMAGE: &str = "quay.io/thanos/thanos";
const CONFIG_DIR: &str = "/etc/thanos/config";
const HTTP_CLIENT_FILE: &str = "prometheus.http-client-file.yaml";
/// The volume (and Secret name suffix) of the sidecar's HTTP client configuration.
pub const HTTP_CLIENT_SUFFIX: &str = "thanos-prometheus-http-client-file";
/// The shipper's meta file, read by Prometheus to delay compaction.
const SHIPPER_META_FILE: &str = "thanos.shipper.json";

/// How local compaction works alongside the sidecar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Compaction {
    /// No upload: Prometheus compacts as usual.
    Default,
    /// Off (min = max block duration) so that uncompacted blocks get uploaded.
    Disabled,
    /// On, but only for blocks the shipper has uploaded (Prometheus >= 3.9,
    /// Thanos >= 0.42).
    Delayed,
}

fn thanos_version(thanos: &ThanosSpec) -> Result<thanos::Version, StatefulSetError> {
    let raw = thanos.version.as_deref().unwrap_or(DEFAULT_THANOS_VERSION);
    thanos::Version::parse(raw).map_err(|_| {
        StatefulSetError::new(
            "spec.thanos.version",
            format!("failed to parse Thanos version {raw:?}"),
        )
    })
}

fn uploads(thanos: &ThanosSpec) -> bool {
    thanos.object_storage_config.is_some() || thanos.object_storage_config_file.is_some()
}

pub(super) fn compaction(
    spec: &PrometheusSpec,
    version: &Version,
) -> Result<Compaction, StatefulSetError> {
    if spec.disable_compaction == Some(true) {
        return Ok(Compaction::Disabled);
    }
    let Some(thanos) = spec.thanos.as_ref().filter(|t| uploads(t)) else {
        return Ok(Compaction::Default);
    };
    let thanos = thanos_version(thanos)?;
    let delayed = version.supports(Feature::DelayedCompaction)
        && thanos.supports(thanos::Feature::ShipperDelayedCompaction);
    Ok(if delayed {
        Compaction::Delayed
    } else {
        Compaction::Disabled
    })
}

/// The sidecar container and its volume (the HTTP client configuration).
pub(super) fn sidecar(
    spec: &PrometheusSpec,
    prefixed: &str,
    base_image: &str,
    local_host: &str,
    compaction: Compaction,
) -> Result<Option<(Container, Vec<Volume>)>, StatefulSetError> {
    let Some(thanos) = &spec.thanos else {
        return Ok(None);
    };
    let cpf = &spec.common;
    let version = thanos_version(thanos)?;
    let image = image::path(
        thanos.image.as_deref(),
        thanos.base_image.as_deref().unwrap_or(base_image),
        thanos.version.as_deref().unwrap_or(DEFAULT_THANOS_VERSION),
        thanos.tag.as_deref(),
        thanos.sha.as_deref(),
    )
    .map_err(|e| {
        StatefulSetError::new(
            "spec.thanos.image",
            format!("failed to build image path: {e}"),
        )
    })?;
    let local =
        |specific: Option<bool>| thanos.listen_local == Some(true) || specific == Some(true);
    let bind = |local: bool| if local { "127.0.0.1" } else { "" };

    let mut args: Vec<Argument> = vec![
        flag(
            "prometheus.url",
            format!(
                "{}://{local_host}:9090{}",
                scheme(cpf),
                clean_path(&route_prefix(cpf))
            ),
        ),
        flag(
            "grpc-address",
            format!("{}:10901", bind(local(thanos.grpc_listen_local))),
        ),
        flag(
            "http-address",
            format!("{}:10902", bind(local(thanos.http_listen_local))),
        ),
    ];
    if let Some(tls) = &thanos.grpc_server_tls_config {
        args.extend(crate::thanos_ruler::grpc_server_tls(tls, &version));
    }

    let mut mounts: Vec<VolumeMount> = thanos
        .volume_mounts
        .iter()
        .flatten()
        .map(|m| VolumeMount {
            name: m.name.clone(),
            mount_path: m.mount_path.clone(),
            ..VolumeMount::default()
        })
        .collect();
    let mut env = Vec::new();
    if uploads(thanos) {
        match (
            &thanos.object_storage_config_file,
            &thanos.object_storage_config,
        ) {
            (Some(file), _) => args.push(flag("objstore.config-file", file)),
            (None, selector) => {
                args.push(flag("objstore.config", "$(OBJSTORE_CONFIG)"));
                env.push(secret_env("OBJSTORE_CONFIG", selector.clone()));
            }
        }
        args.push(flag("tsdb.path", STORAGE_DIR));
        mounts.push(VolumeMount {
            name: data_volume_name(prefixed, cpf),
            mount_path: STORAGE_DIR.to_owned(),
            sub_path: storage_sub_path(cpf.storage.as_ref(), DATA_SUB_PATH),
            ..VolumeMount::default()
        });
        if compaction == Compaction::Delayed {
            args.push(flag("shipper.meta-file-name", SHIPPER_META_FILE));
            args.push(switch("shipper.ignore-unequal-block-size"));
        }
    }
    let tracing_file = thanos
        .tracing_config_file
        .as_deref()
        .filter(|f| !f.is_empty());
    match (tracing_file, &thanos.tracing_config) {
        (Some(file), _) => args.push(flag("tracing.config-file", file)),
        (None, Some(selector)) => {
            args.push(flag("tracing.config", "$(TRACING_CONFIG)"));
            env.push(secret_env("TRACING_CONFIG", Some(selector.clone())));
        }
        (None, None) => {}
    }
    let pick = |own: String, common: String| if own.is_empty() { common } else { own };
    let level = pick(
        thanos.log_level.as_ref().map(string_of).unwrap_or_default(),
        cpf.log_level.as_ref().map(string_of).unwrap_or_default(),
    );
    if !level.is_empty() {
        args.push(flag("log.level", level));
    }
    let format = pick(
        thanos
            .log_format
            .as_ref()
            .map(string_of)
            .unwrap_or_default(),
        cpf.log_format.as_ref().map(string_of).unwrap_or_default(),
    );
    if !format.is_empty() {
        args.push(flag("log.format", format));
    }
    if let Some(min_time) = thanos.min_time.as_deref().filter(|t| !t.is_empty()) {
        args.push(flag("min-time", min_time));
    }
    if let Some(timeout) = &thanos.ready_timeout {
        args.push(flag("prometheus.ready_timeout", &timeout.0));
    }
    if version.supports(thanos::Feature::GetConfigTimeout) {
        if let Some(timeout) = &thanos.get_config_timeout {
            args.push(flag("prometheus.get_config_timeout", &timeout.0));
        }
        if let Some(interval) = &thanos.get_config_interval {
            args.push(flag("prometheus.get_config_interval", &interval.0));
        }
    }
    let mut volumes = Vec::new();
    if version.supports(thanos::Feature::HttpClientFile) {
        args.push(flag(
            "prometheus.http-client-file",
            format!("{CONFIG_DIR}/{HTTP_CLIENT_FILE}"),
        ));
        mounts.push(VolumeMount {
            name: HTTP_CLIENT_SUFFIX.to_owned(),
            mount_path: CONFIG_DIR.to_owned(),
            ..VolumeMount::default()
        });
        volumes.push(Volume {
            name: HTTP_CLIENT_SUFFIX.to_owned(),
            secret: Some(SecretVolumeSource {
                secret_name: Some(http_client_secret_name(prefixed)),
                ..SecretVolumeSource::default()
            }),
            ..Volume::default()
        });
    }
    let additional = thanos.additional_args.as_deref().unwrap_or_default();
    let built = build(&args, additional)
        .map_err(|e| StatefulSetError::new("spec.thanos.additionalArgs", e.to_string()))?;
    let port = |name: &str, number: i32| ContainerPort {
        name: Some(name.to_owned()),
        container_port: number,
        ..ContainerPort::default()
    };
    let container = Container {
        name: "thanos-sidecar".to_owned(),
        image: Some(image),
        image_pull_policy: super::pull_policy(cpf),
        termination_message_policy: Some("FallbackToLogsOnError".to_owned()),
        security_context: Some(security_context()),
        ports: Some(vec![port("http", 10902), port("grpc", 10901)]),
        resources: thanos.resources.clone(),
        volume_mounts: (!mounts.is_empty()).then_some(mounts),
        env: (!env.is_empty()).then_some(env),
        args: Some(std::iter::once("sidecar".to_owned()).chain(built).collect()),
        ..Container::default()
    };
    Ok(Some((container, volumes)))
}

/// `<prefixed>-thanos-prometheus-http-client-file`.
pub fn http_client_secret_name(prefixed: &str) -> String {
    format!("{prefixed}-{HTTP_CLIENT_SUFFIX}")
}

/// The sidecar's HTTP client configuration (`prometheus.http-client-file.yaml`):
/// it skips certificate verification towards the local Prometheus.
pub fn http_client_config() -> (&'static str, &'static str) {
    (
        HTTP_CLIENT_FILE,
        "tls_config:\n  insecure_skip_verify: true\n",
    )
}

fn secret_env(name: &str, selector: Option<SecretKeySelector>) -> EnvVar {
    EnvVar {
        name: name.to_owned(),
        value_from: Some(EnvVarSource {
            secret_key_ref: selector,
            ..EnvVarSource::default()
        }),
        ..EnvVar::default()
    }
}
