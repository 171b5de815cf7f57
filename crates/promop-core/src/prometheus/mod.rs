//! Generation of the Prometheus configuration (`prometheus.yaml`) of a
//! Prometheus or PrometheusAgent, in the reference's section and key order.
//!
//! The config objects come already selected and validated (`crate::select`);
//! generation only reads them, the workload and the referenced Secrets.
pub mod alerting;
pub mod assets;
pub mod auth;
pub mod enforced_namespace_label;
pub mod generated;
pub mod global;
pub mod kubernetes_sd;
pub mod memo;
pub mod otlp;
pub mod proxy;
pub mod relabel;
pub mod remote_read;
pub mod remote_write;
pub mod rule_files;
pub mod rules;
pub mod scrape;
pub mod scrape_class;
pub mod scrape_config;
pub mod secret_yaml;
pub mod service;
pub mod sharding;
pub mod statefulset;
pub mod storage;
pub mod tls;
pub mod tls_assets;
pub mod tracing;
pub mod version;
pub mod workload;

use promop_api::common::ServiceDiscoveryRole;
use promop_api::v1::{PodMonitor, Probe, ServiceMonitor};
use promop_api::v1alpha1::ScrapeConfig;

pub(crate) use crate::select::reasons::RejectedObject;
use crate::select::reasons::{Rejection, RejectionKind};
use crate::snapshot::Snapshot;
use crate::yaml::Mapping;
use assets::{LoadedSecrets, Store};
pub use generated::GeneratedConfig;
use memo::{Lookups, Memo};
use scrape_class::ScrapeClasses;
pub use version::{Feature, Version};
pub use workload::Workload;

/// Everything one configuration is generated from.
#[derive(Clone, Copy, Debug)]
pub struct ConfigInput<'a> {
    pub workload: Workload<'a>,
    /// Selected and valid config objects, each slice sorted by namespace/name.
    pub service_monitors: &'a [&'a ServiceMonitor],
    pub pod_monitors: &'a [&'a PodMonitor],
    pub probes: &'a [&'a Probe],
    pub scrape_configs: &'a [&'a ScrapeConfig],
    /// Secrets and ConfigMaps referenced by the workload and the objects.
    pub snapshot: &'a Snapshot,
    /// Number of shards (`spec.shards`, at least 1).
    pub shards: i32,
    /// Names of the rule ConfigMaps (`prometheus-<name>-rulefiles-<n>`).
    pub rule_config_maps: &'a [String],
    pub capabilities: Capabilities,
    /// The jobs of earlier generations of this workload (the operator's).
    pub memo: Option<&'a Memo>,
}

/// What the cluster and the operator's feature gates allow; they change the
/// output like the reference's generator options.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Capabilities {
    /// The API serves EndpointSlices (Kubernetes >= 1.21).
    pub endpoint_slice: bool,
    /// Pods carry the topology zone label (Kubernetes >= 1.35).
    pub pod_topology_labels: bool,
    /// Feature gate `PrometheusTopologySharding`.
    pub topology_sharding: bool,
    /// Feature gate `PrometheusShardRetentionPolicy`.
    pub shard_retention_policy: bool,
}

impl Default for Capabilities {
    /// A current cluster and the reference's default feature gates (both
    /// sharding gates are enabled by default in v0.94.1).
    fn default() -> Self {
        Self {
            endpoint_slice: true,
            pod_topology_labels: true,
            topology_sharding: true,
            shard_retention_policy: true,
        }
    }
}

impl<'a> ConfigInput<'a> {
    /// An input with no config object, the workload's shard count and
    /// default capabilities.
    pub fn new(workload: Workload<'a>, snapshot: &'a Snapshot) -> Self {
        Self {
            workload,
            service_monitors: &[],
            pod_monitors: &[],
            probes: &[],
            scrape_configs: &[],
            snapshot,
            shards: workload.shards(),
            rule_config_maps: &[],
            capabilities: Capabilities::default(),
            memo: None,
        }
    }
}

impl RejectedObject {
    /// The workload, rejected for `field`: no configuration is generated.
    pub(crate) fn invalid(
        workload: &Workload<'_>,
        field: &str,
        kind: impl Into<RejectionKind>,
    ) -> Self {
        workload.rejected(Rejection::new(field, kind))
    }
}

/// The most shards a workload may have (each is a StatefulSet of its own).
pub const MAX_SHARDS: i32 = 10_000;

/// What every part of the generator needs to know.
pub(crate) struct Context<'a> {
    pub workload: Workload<'a>,
    pub loaded: LoadedSecrets,
    pub version: Version,
    pub snapshot: &'a Snapshot,
    pub classes: ScrapeClasses<'a>,
    pub capabilities: Capabilities,
    pub shards: i32,
    /// The jobs of earlier generations, and the hash of what every job is
    /// built from besides its object and lookups (see [`memo`]).
    pub memo: Option<(&'a Memo, u64)>,
    /// With a memo: the lookups of the config object whose jobs are built.
    pub lookups: Option<Lookups>,
}

impl<'a> Context<'a> {
    fn new(input: &ConfigInput<'a>) -> Result<Self, RejectedObject> {
        let workload = input.workload;
        let version = Version::from_spec(workload.common().version.as_deref())
            .map_err(|e| RejectedObject::invalid(&workload, "spec.version", e.to_string()))?;
        if input.shards > MAX_SHARDS {
            // The reference lists every shard number in one regex and runs out
            // of memory on absurd counts; promop refuses them instead.
            let message = format!(
                "{} exceeds the supported maximum of {MAX_SHARDS}",
                input.shards
            );
            return Err(RejectedObject::invalid(&workload, "spec.shards", message));
        }
        Ok(Self {
            workload,
            loaded: loaded_secrets(input),
            version,
            snapshot: input.snapshot,
            classes: ScrapeClasses::of(&workload)?,
            capabilities: Capabilities {
                // Only the Prometheus controller applies shard retention.
                shard_retention_policy: input.capabilities.shard_retention_policy
                    && workload.server().is_some(),
                ..input.capabilities
            },
            shards: input.shards.max(1),
            memo: input.memo.map(|memo| (memo, memo::context_hash(input))),
            lookups: input.memo.map(|_| Lookups::default()),
        })
    }

    /// The Secrets and ConfigMaps of a namespace.
    pub fn store<'s>(&'s self, namespace: &'s str) -> Store<'s> {
        let store = Store::new(self.snapshot, &self.loaded, namespace);
        match &self.lookups {
            Some(lookups) => store.noting(lookups),
            None => store,
        }
    }

    /// The Kubernetes SD role for Services: `endpointslice` only when asked
    /// for and supported by both the cluster and Prometheus.
    pub fn endpoint_role(&self, role: Option<ServiceDiscoveryRole>) -> &'static str {
        let role = role.or(self.workload.common().service_discovery_role);
        if self.capabilities.endpoint_slice
            && self.version.supports(Feature::EndpointSliceRole)
            && role == Some(ServiceDiscoveryRole::EndpointSlice)
        {
            "endpointslice"
        } else {
            "endpoints"
        }
    }
}

/// The Secrets the reference reads before generating: those of the selected
/// objects (in their namespaces) and those the workload's own settings
/// reference (in its namespace; of scrape classes, only the TLS material).
fn loaded_secrets(input: &ConfigInput<'_>) -> LoadedSecrets {
    let mut loaded = LoadedSecrets::default();
    let snapshot = input.snapshot;
    // Monitors' Secrets are all in their endpoints: their specs' other
    // fields (selectors, labels, limits) hold no key reference.
    for sm in input.service_monitors {
        loaded.add_object(snapshot, &sm.metadata, sm);
    }
    for pm in input.pod_monitors {
        loaded.add_object(snapshot, &pm.metadata, pm);
    }
    for probe in input.probes {
        loaded.add_object(snapshot, &probe.metadata, probe);
    }
    for sc in input.scrape_configs {
        loaded.add_object(snapshot, &sc.metadata, sc);
    }
    let workload = input.workload;
    let own = workload.namespace();
    let cpf = workload.common();
    for class in cpf.scrape_classes.iter().flatten() {
        loaded.add(own, &class.tls_config);
    }
    loaded.add(own, &cpf.apiserver_config);
    loaded.add(own, &cpf.remote_write);
    if let Some(spec) = workload.server() {
        loaded.add(own, &spec.remote_read);
        loaded.add(own, &spec.alerting);
    }
    loaded
}

/// The configuration of the workload, in the reference's section order.
pub fn generate(input: &ConfigInput<'_>) -> Result<GeneratedConfig, RejectedObject> {
    let ctx = Context::new(input)?;
    global::validate_scrape_timeout(&ctx)?;
    let server = ctx.workload.server();

    let mut head = Mapping::new();
    head.insert("global", global::section(&ctx));
    global::append_runtime(&mut head, &ctx);
    if let Some(spec) = server {
        rule_files::append(&mut head, spec, input.rule_config_maps);
    }
    let jobs = scrape::jobs(&ctx, input)?;
    let mut cfg = Mapping::new();
    match server {
        Some(spec) => {
            storage::append(&mut cfg, &ctx, spec)?;
            alerting::append(&mut cfg, &ctx, spec)?;
            remote_write::append(&mut cfg, &ctx)?;
            remote_read::append(&mut cfg, &ctx, spec)?;
        }
        None => {
            storage::append_agent(&mut cfg, &ctx)?;
            remote_write::append(&mut cfg, &ctx)?;
        }
    }
    otlp::append(&mut cfg, &ctx)?;
    tracing::append(&mut cfg, &ctx)?;
    Ok(GeneratedConfig::new(head, jobs, cfg))
}
