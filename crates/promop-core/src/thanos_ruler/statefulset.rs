//! The StatefulSet `thanos-ruler-<name>`: the `thanos-ruler` container, the
//! config-reloader sidecar watching the rule ConfigMaps, the user's
//! containers merged in by name, and the user's pod settings.
use k8s_openapi::api::apps::v1::{StatefulSet, StatefulSetSpec};
use k8s_openapi::api::core::v1::{Container, ContainerPort, PodSpec, PodTemplateSpec, Volume};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use promop_api::v1::ThanosRuler;

use super::volumes::{self, Volumes};
use super::{APP_NAME, Context, GRPC_PORT, WEB_PORT, args, selector_labels};
use crate::desired::OperatorOptions;
use crate::k8s::metadata::{
    self, DEFAULT_CONTAINER_KEY, INPUT_HASH_KEY, Labels, Owner, VERSION_KEY, merged, non_empty,
    non_empty_vec, without_kubectl_annotations,
};
use crate::k8s::pod::string_of;
use crate::k8s::probe::{clean_path, url};
use crate::k8s::reloader::{Reload, Reloader, field_env};
use crate::k8s::{StatefulSetError, container_merge, image, pod, security_context};

const DEFAULT_MEMORY_REQUEST: &str = "200Mi";
const DEFAULT_TERMINATION_GRACE_SECONDS: i64 = 120;

/// The StatefulSet of `ruler`, mounting `rule_config_maps` (in that order)
/// and the TLS assets Secrets projected by `tls_assets_volume`.
pub fn build(
    ruler: &ThanosRuler,
    rule_config_maps: &[String],
    options: &OperatorOptions,
    owner: &Owner,
    tls_assets_volume: &Volume,
) -> Result<StatefulSet, StatefulSetError> {
    let ctx = Context::new(ruler, rule_config_maps, options)?;
    let spec = ctx.spec;
    let vols = volumes::build(&ctx, tls_assets_volume.clone())?;
    let generated = vec![ruler_container(&ctx, &vols)?, reloader(&ctx, &vols)];
    let containers =
        container_merge::merge(generated, spec.containers.as_deref().unwrap_or_default()).map_err(
            |e| {
                StatefulSetError::new(
                    "spec.containers",
                    e.kind.context("failed to merge containers spec"),
                )
            },
        )?;

    // The pods' labels: podMetadata, then the operator's, then the
    // selector's; the selector is all of them but the version (so changing
    // podMetadata labels recreates the StatefulSet, as in the reference).
    let pod_metadata = spec.pod_metadata.as_ref();
    let mut selector = pod_metadata
        .and_then(|m| m.labels.clone())
        .unwrap_or_default();
    metadata::merge(&mut selector, &options.labels);
    metadata::merge(&mut selector, &selector_labels(ctx.name));
    let mut pod_labels = selector.clone();
    pod_labels.insert(VERSION_KEY.to_owned(), ctx.version.to_string());
    let mut pod_annotations = pod_metadata
        .and_then(|m| m.annotations.clone())
        .unwrap_or_default();
    pod_annotations.insert(DEFAULT_CONTAINER_KEY.to_owned(), APP_NAME.to_owned());

    let mut pod_spec = PodSpec {
        node_selector: spec.node_selector.clone(),
        scheduler_name: spec.scheduler_name.clone().filter(|s| !s.is_empty()),
        priority_class_name: spec.priority_class_name.clone().filter(|s| !s.is_empty()),
        service_account_name: spec.service_account_name.clone().filter(|s| !s.is_empty()),
        security_context: spec.security_context.clone(),
        tolerations: spec.tolerations.clone(),
        affinity: spec.affinity.clone(),
        topology_spread_constraints: spec.topology_spread_constraints.clone(),
        enable_service_links: spec.enable_service_links,
        host_users: spec.host_users,
        // Passed as given, not merged with anything generated.
        init_containers: spec.init_containers.clone().filter(|c| !c.is_empty()),
        image_pull_secrets: spec.image_pull_secrets.clone().filter(|s| !s.is_empty()),
        host_aliases: pod::host_aliases(spec.host_aliases.as_ref()),
        termination_grace_period_seconds: Some(
            spec.termination_grace_period_seconds
                .unwrap_or(DEFAULT_TERMINATION_GRACE_SECONDS),
        ),
        containers,
        volumes: non_empty_vec(vols.pod),
        ..PodSpec::default()
    };
    pod::set_dns(
        &mut pod_spec,
        false,
        spec.dns_policy.as_ref(),
        spec.dns_config.as_ref(),
    );

    let sts_spec = StatefulSetSpec {
        replicas: spec.replicas,
        service_name: Some(ctx.service_name().to_owned()),
        pod_management_policy: Some(pod::pod_management_policy(
            spec.pod_management_policy.as_ref(),
        )),
        update_strategy: Some(pod::update_strategy(spec.update_strategy.as_ref())),
        min_ready_seconds: spec.min_ready_seconds.filter(|s| *s != 0),
        selector: LabelSelector {
            match_labels: Some(selector.clone()),
            ..LabelSelector::default()
        },
        template: PodTemplateSpec {
            metadata: Some(ObjectMeta {
                labels: Some(pod_labels),
                annotations: Some(pod_annotations),
                ..ObjectMeta::default()
            }),
            spec: Some(pod_spec),
        },
        volume_claim_templates: crate::k8s::volumes::claim_template(
            &volumes::default_data_volume(ctx.name),
            spec.storage.as_ref(),
        )
        .map(|c| vec![c]),
        ..StatefulSetSpec::default()
    };

    let mut labels = merged(
        &metadata::managed_by(),
        ruler.metadata.labels.as_ref().unwrap_or(&Labels::new()),
    );
    metadata::merge(&mut labels, &selector);
    metadata::merge(&mut labels, &options.labels);
    let mut annotations = ruler.metadata.annotations.clone().unwrap_or_default();
    metadata::merge(&mut annotations, &options.annotations);
    annotations.insert(INPUT_HASH_KEY.to_owned(), String::new());
    Ok(StatefulSet {
        metadata: ObjectMeta {
            name: Some(ctx.prefixed.clone()),
            namespace: Some(ctx.namespace.to_owned()),
            labels: Some(labels),
            annotations: non_empty(without_kubectl_annotations(annotations)),
            owner_references: Some(vec![owner.controller_ref()]),
            ..ObjectMeta::default()
        },
        spec: sts_spec,
        status: None,
    })
}

fn port(name: &str, number: i32) -> ContainerPort {
    ContainerPort {
        name: Some(name.to_owned()),
        container_port: number,
        protocol: Some("TCP".to_owned()),
        ..ContainerPort::default()
    }
}

fn ruler_container(ctx: &Context<'_>, vols: &Volumes) -> Result<Container, StatefulSetError> {
    let base = Some(ctx.options.thanos_base_image.as_str())
        .filter(|b| !b.is_empty())
        .unwrap_or(crate::prometheus::statefulset::thanos_sidecar::DEFAULT_BASE_IMAGE);
    let image = image::path(
        ctx.spec.image.as_deref(),
        base,
        ctx.version_text,
        None,
        None,
    )
    .map_err(|e| StatefulSetError::new("spec.image", format!("failed to build image path: {e}")))?;
    let mut ports = vec![port("grpc", GRPC_PORT)];
    if !ctx.listen_local {
        ports.push(port(ctx.port_name, WEB_PORT));
    }
    Ok(Container {
        name: APP_NAME.to_owned(),
        image: Some(image),
        image_pull_policy: ctx
            .spec
            .image_pull_policy
            .as_ref()
            .map(string_of)
            .filter(|p| !p.is_empty()),
        args: Some(args::build(ctx)?),
        env: Some(vec![field_env("POD_NAME", "metadata.name")]),
        ports: Some(ports),
        resources: Some(pod::with_memory_request(
            ctx.spec.resources.as_ref(),
            DEFAULT_MEMORY_REQUEST,
        )),
        security_context: Some(security_context()),
        termination_message_policy: Some("FallbackToLogsOnError".to_owned()),
        volume_mounts: Some(vols.ruler.clone()),
        ..Container::default()
    })
}

/// The config-reloader: reloads the ruler when a rule ConfigMap changes.
/// The ruler's image pull policy is not passed on, as in the reference.
fn reloader(ctx: &Context<'_>, vols: &Volumes) -> Container {
    let options = ctx.options;
    let log_level = ctx.spec.log_level.as_ref().map(string_of);
    let log_format = ctx.spec.log_format.as_ref().map(string_of);
    let mut r = Reloader::new(&options.reloader, false, &options.local_host);
    r.log_level = log_level.as_deref();
    r.log_format = log_format.as_deref();
    r.volume_mounts = vols.reloader.clone();
    r.watched_dirs = vols.watched.clone();
    r.shard = Some(-1);
    let scheme = if ctx.https { "https" } else { "http" };
    let host = format!("{}:{WEB_PORT}", options.local_host);
    let route_prefix = ctx.spec.route_prefix.as_deref().unwrap_or_default();
    let path = clean_path(&format!("{route_prefix}/-/reload"));
    r.reload = Some(Reload::Url(url(scheme, &host, &path)));
    r.listen_local = ctx.listen_local;
    r.web_config_file = vols.reloader_web_config.clone();
    r.container()
}
