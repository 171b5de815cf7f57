//! The alertmanager container (image, ports, probes, environment) and the
//! config-reloader sidecar and init container.
use k8s_openapi::api::core::v1::{Container, ContainerPort, HTTPGetAction, Probe, VolumeMount};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use promop_api::v1::workload::Argument;

use super::volumes::{CONFIG_DIR, CONFIG_OUT_DIR, Volumes};
use super::{CONFIG_KEY, Context, MESH_PORT, WEB_PORT, reloader_watched};
use crate::alertmanager::version::Feature;
use crate::k8s::StatefulSetError;
use crate::k8s::args;
use crate::k8s::image;
use crate::k8s::pod::{self, string_of};
use crate::k8s::probe::{clean_path, url};
use crate::k8s::reloader::{Reload, Reloader, field_env};
use crate::k8s::security_context;

const PROBE_TIMEOUT_SECONDS: i32 = 3;
const DEFAULT_MEMORY_REQUEST: &str = "200Mi";

fn pull_policy(ctx: &Context<'_>) -> Option<String> {
    ctx.spec
        .image_pull_policy
        .as_ref()
        .map(string_of)
        .filter(|p| !p.is_empty())
}

/// The image: `spec.image`, else the base image completed with the tag,
/// the digest or `spec.version` as written.
fn image(ctx: &Context<'_>) -> Result<String, StatefulSetError> {
    let spec = ctx.spec;
    let set = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
    let base = set(&spec.base_image).unwrap_or_else(|| ctx.options.alertmanager_base_image.clone());
    image::path(
        spec.image.as_deref(),
        &base,
        ctx.version_text,
        set(&spec.tag).as_deref(),
        set(&spec.sha).as_deref(),
    )
    .map_err(|e| StatefulSetError::new("spec.image", format!("failed to build image path: {e}")))
}

fn port(name: &str, number: i32, protocol: &str) -> ContainerPort {
    ContainerPort {
        name: Some(name.to_owned()),
        container_port: number,
        protocol: Some(protocol.to_owned()),
        ..ContainerPort::default()
    }
}

/// Liveness and readiness probes on the web port (none when Alertmanager
/// listens on localhost only).
fn probes(ctx: &Context<'_>) -> (Option<Probe>, Option<Probe>) {
    if ctx.listen_local {
        return (None, None);
    }
    let get = |path: &str| {
        Some(HTTPGetAction {
            path: Some(clean_path(&format!("{}{path}", ctx.route_prefix))),
            port: IntOrString::String(ctx.port_name.to_owned()),
            scheme: ctx.https.then(|| "HTTPS".to_owned()),
            ..HTTPGetAction::default()
        })
    };
    let liveness = Probe {
        http_get: get("/-/healthy"),
        timeout_seconds: Some(PROBE_TIMEOUT_SECONDS),
        failure_threshold: Some(10),
        ..Probe::default()
    };
    let readiness = Probe {
        http_get: get("/-/ready"),
        initial_delay_seconds: Some(3),
        timeout_seconds: Some(PROBE_TIMEOUT_SECONDS),
        period_seconds: Some(5),
        failure_threshold: Some(10),
        ..Probe::default()
    };
    (Some(liveness), Some(readiness))
}

pub(super) fn alertmanager(
    ctx: &Context<'_>,
    flags: Vec<Argument>,
    mounts: Vec<VolumeMount>,
) -> Result<Container, StatefulSetError> {
    let args = args::build(
        &flags,
        ctx.spec.additional_args.as_deref().unwrap_or_default(),
    )
    .map_err(|e| StatefulSetError::new("spec.additionalArgs", e.to_string()))?;
    let mut ports = Vec::new();
    if !ctx.listen_local {
        ports.push(port(ctx.port_name, WEB_PORT, "TCP"));
    }
    ports.push(port("mesh-tcp", MESH_PORT, "TCP"));
    ports.push(port("mesh-udp", MESH_PORT, "UDP"));
    // POD_IP for `--cluster.listen-address`, POD_NAME for `--cluster.peer-name` (0.30).
    let mut env = vec![field_env("POD_IP", "status.podIP")];
    if ctx.version.supports(Feature::ClusterPeerName) {
        env.push(field_env("POD_NAME", "metadata.name"));
    }
    let (liveness_probe, readiness_probe) = probes(ctx);
    Ok(Container {
        name: "alertmanager".to_owned(),
        image: Some(image(ctx)?),
        image_pull_policy: pull_policy(ctx),
        args: Some(args),
        ports: Some(ports),
        volume_mounts: Some(mounts),
        liveness_probe,
        readiness_probe,
        resources: Some(pod::with_memory_request(
            ctx.spec.resources.as_ref(),
            DEFAULT_MEMORY_REQUEST,
        )),
        security_context: Some(security_context()),
        env: Some(env),
        termination_message_policy: Some("FallbackToLogsOnError".to_owned()),
        ..Container::default()
    })
}

/// The config-reloader sidecar (`init: false`) or init container.
pub(super) fn reloader(ctx: &Context<'_>, vols: &Volumes, init: bool) -> Container {
    let options = ctx.options;
    let log_level = ctx.spec.log_level.as_ref().map(string_of);
    let log_format = ctx.spec.log_format.as_ref().map(string_of);
    let mut r = Reloader::new(&options.reloader, init, &options.local_host);
    r.image_pull_policy = pull_policy(ctx);
    r.log_level = log_level.as_deref();
    r.log_format = log_format.as_deref();
    r.volume_mounts = vols.reloader.clone();
    r.watched_dirs = vols.watched.clone();
    r.config_file = Some(format!("{CONFIG_DIR}/{CONFIG_KEY}"));
    r.watched = Some(reloader_watched(ctx.namespace, ctx.name));
    r.config_envsubst_file = Some(format!("{CONFIG_OUT_DIR}/alertmanager.env.yaml"));
    r.shard = Some(-1);
    if !init {
        let scheme = if ctx.https { "https" } else { "http" };
        let host = format!("{}:{WEB_PORT}", options.local_host);
        let path = clean_path(&format!("{}/-/reload", ctx.route_prefix));
        r.reload = Some(Reload::Url(url(scheme, &host, &path)));
        r.listen_local = ctx.listen_local;
        r.web_config_file = vols.reloader_web_config.clone();
    }
    r.container()
}
