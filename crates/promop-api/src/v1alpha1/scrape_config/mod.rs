//! ScrapeConfig (v1alpha1): a namespaced Prometheus `scrape_config`, with
//! one module per service discovery mechanism.
use std::collections::BTreeMap;

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::common::{
    ByteSize, ConfigResourceStatus, Duration, NameEscapingScheme, NameValidationScheme,
    NativeHistogramConfig, ProxyConfig, RelabelConfig, SafeTlsConfig, Scheme, ScrapeProtocol,
};

pub mod azure_sd;
pub mod consul_sd;
pub mod digitalocean_sd;
pub mod dns_sd;
pub mod docker_sd;
pub mod dockerswarm_sd;
pub mod ec2_sd;
pub mod eureka_sd;
pub mod file_sd;
pub mod gce_sd;
pub mod hetzner_sd;
pub mod http_client;
pub mod http_sd;
pub mod ionos_sd;
pub mod kubernetes_sd;
pub mod kuma_sd;
pub mod lightsail_sd;
pub mod linode_sd;
pub mod nomad_sd;
pub mod openstack_sd;
pub mod ovhcloud_sd;
pub mod puppetdb_sd;
pub mod scaleway_sd;
pub mod static_config;

pub use azure_sd::{AzureAuthenticationMethod, AzureSdConfig};
pub use consul_sd::ConsulSdConfig;
pub use digitalocean_sd::DigitalOceanSdConfig;
pub use dns_sd::{DnsRecordType, DnsSdConfig};
pub use docker_sd::DockerSdConfig;
pub use dockerswarm_sd::{DockerSwarmRole, DockerSwarmSdConfig};
pub use ec2_sd::Ec2SdConfig;
pub use eureka_sd::EurekaSdConfig;
pub use file_sd::FileSdConfig;
pub use gce_sd::GceSdConfig;
pub use hetzner_sd::HetznerSdConfig;
pub use http_client::{HttpClientAuth, HttpClientConfig};
pub use http_sd::HttpSdConfig;
pub use ionos_sd::IonosSdConfig;
pub use kubernetes_sd::{
    K8sSelectorConfig, KubernetesRole, KubernetesSdConfig, NamespaceDiscovery,
};
pub use kuma_sd::KumaSdConfig;
pub use lightsail_sd::LightSailSdConfig;
pub use linode_sd::LinodeSdConfig;
pub use nomad_sd::NomadSdConfig;
pub use openstack_sd::{OpenStackRole, OpenStackSdConfig};
pub use ovhcloud_sd::{OvhCloudSdConfig, OvhService};
pub use puppetdb_sd::PuppetDbSdConfig;
pub use scaleway_sd::{ScalewayRole, ScalewaySdConfig};
pub use static_config::StaticConfig;

/// Pattern of the URLs of the discovery APIs (`v1alpha1` spelling, which
/// differs from the `v1` one in `crate::common::URL_PATTERN`).
pub const URL_PATTERN: &str = r"^https?://.+$";

/// Pattern of a Docker daemon address: any `scheme://...` URL.
pub const DOCKER_HOST_PATTERN: &str = r"^[a-zA-Z][a-zA-Z0-9+.-]*://.+$";

/// A scrape job, rendered into the configuration of the Prometheus and
/// PrometheusAgent objects that select it.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "monitoring.coreos.com",
    version = "v1alpha1",
    kind = "ScrapeConfig",
    plural = "scrapeconfigs",
    singular = "scrapeconfig",
    shortname = "scfg",
    category = "prometheus-operator",
    status = "ConfigResourceStatus",
    namespaced
)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [{
    "rule": "[has(self.basicAuth), has(self.authorization), has(self.oauth2)].filter(x, x).size() <= 1",
    "message": "at most one of basicAuth, authorization, or oauth2 can be configured"
}]))]
pub struct ScrapeConfigSpec {
    /// Value of the `job` label of the scraped series (set by relabeling:
    /// the operator names the job itself so that names stay unique).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub job_name: Option<String>,
    /// Static targets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub static_configs: Option<Vec<StaticConfig>>,
    /// File-based discoveries.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "fileSDConfigs"
    )]
    pub file_sd_configs: Option<Vec<FileSdConfig>>,
    /// HTTP discoveries.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "httpSDConfigs"
    )]
    pub http_sd_configs: Option<Vec<HttpSdConfig>>,
    /// Kubernetes discoveries.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "kubernetesSDConfigs"
    )]
    pub kubernetes_sd_configs: Option<Vec<KubernetesSdConfig>>,
    /// Consul discoveries.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "consulSDConfigs"
    )]
    pub consul_sd_configs: Option<Vec<ConsulSdConfig>>,
    /// DNS discoveries.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "dnsSDConfigs"
    )]
    pub dns_sd_configs: Option<Vec<DnsSdConfig>>,
    /// AWS EC2 discoveries.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "ec2SDConfigs"
    )]
    pub ec2_sd_configs: Option<Vec<Ec2SdConfig>>,
    /// Azure discoveries.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "azureSDConfigs"
    )]
    pub azure_sd_configs: Option<Vec<AzureSdConfig>>,
    /// Google Compute Engine discoveries.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "gceSDConfigs"
    )]
    pub gce_sd_configs: Option<Vec<GceSdConfig>>,
    /// OpenStack discoveries.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "openstackSDConfigs"
    )]
    pub openstack_sd_configs: Option<Vec<OpenStackSdConfig>>,
    /// DigitalOcean discoveries.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "digitalOceanSDConfigs"
    )]
    pub digital_ocean_sd_configs: Option<Vec<DigitalOceanSdConfig>>,
    /// Kuma discoveries.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "kumaSDConfigs"
    )]
    pub kuma_sd_configs: Option<Vec<KumaSdConfig>>,
    /// Eureka discoveries.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "eurekaSDConfigs"
    )]
    pub eureka_sd_configs: Option<Vec<EurekaSdConfig>>,
    /// Docker discoveries.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "dockerSDConfigs"
    )]
    pub docker_sd_configs: Option<Vec<DockerSdConfig>>,
    /// Linode discoveries.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "linodeSDConfigs"
    )]
    pub linode_sd_configs: Option<Vec<LinodeSdConfig>>,
    /// Hetzner discoveries.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "hetznerSDConfigs"
    )]
    pub hetzner_sd_configs: Option<Vec<HetznerSdConfig>>,
    /// Nomad discoveries.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "nomadSDConfigs"
    )]
    pub nomad_sd_configs: Option<Vec<NomadSdConfig>>,
    /// Docker Swarm discoveries.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "dockerSwarmSDConfigs"
    )]
    pub docker_swarm_sd_configs: Option<Vec<DockerSwarmSdConfig>>,
    /// PuppetDB discoveries.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "puppetDBSDConfigs"
    )]
    pub puppet_db_sd_configs: Option<Vec<PuppetDbSdConfig>>,
    /// AWS Lightsail discoveries.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "lightSailSDConfigs"
    )]
    pub light_sail_sd_configs: Option<Vec<LightSailSdConfig>>,
    /// OVHcloud discoveries.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "ovhcloudSDConfigs"
    )]
    pub ovhcloud_sd_configs: Option<Vec<OvhCloudSdConfig>>,
    /// Scaleway instance and bare-metal discoveries.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "scalewaySDConfigs"
    )]
    pub scaleway_sd_configs: Option<Vec<ScalewaySdConfig>>,
    /// IONOS Cloud discoveries.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "ionosSDConfigs"
    )]
    pub ionos_sd_configs: Option<Vec<IonosSdConfig>>,
    /// Relabeling of the targets before scraping. The operator adds rules
    /// for a few Kubernetes fields; the original job name is in the
    /// `__tmp_prometheus_job_name` label.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "relabelings"
    )]
    #[schemars(length(min = 1))]
    pub relabelings: Option<Vec<RelabelConfig>>,
    /// HTTP path of the metrics; Prometheus' default (`/metrics`) when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub metrics_path: Option<String>,
    /// Interval between two scrapes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scrape_interval: Option<Duration>,
    /// Timeout of a scrape; may not exceed the scrape interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scrape_timeout: Option<Duration>,
    /// Protocols offered to the targets, most preferred first (Prometheus
    /// >= 2.49); Prometheus' default when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1), extend("x-kubernetes-list-type" = "set"))]
    pub scrape_protocols: Option<Vec<ScrapeProtocol>>,
    /// Protocol assumed when a target answers with a missing or unusable
    /// Content-Type (Prometheus >= 3.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback_scrape_protocol: Option<ScrapeProtocol>,
    /// Keep the timestamps exposed by the targets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub honor_timestamps: Option<bool>,
    /// Track the staleness of series with explicit timestamps (Prometheus
    /// >= 2.48; no effect when `honorTimestamps` is false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub track_timestamps_staleness: Option<bool>,
    /// On label conflicts, keep the labels of the scraped series rather than
    /// the target's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub honor_labels: Option<bool>,
    /// URL query parameters of the scrape requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-map-type" = "atomic"))]
    pub params: Option<BTreeMap<String, Vec<String>>>,
    /// Scheme of the scrape requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheme: Option<Scheme>,
    /// Set to false to ask the targets for uncompressed responses
    /// (Prometheus >= 2.49; Prometheus' default: true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_compression: Option<bool>,
    /// Whether HTTP/2 may be used.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "enableHTTP2"
    )]
    pub enable_http2: Option<bool>,
    /// Credentials of the scrape requests (at most one kind).
    #[serde(flatten)]
    pub auth: HttpClientAuth,
    /// TLS settings of the scrape requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_config: Option<SafeTlsConfig>,
    /// Maximum number of samples accepted per scrape.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub sample_limit: Option<i64>,
    /// Maximum number of targets accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub target_limit: Option<i64>,
    /// Maximum number of labels of a sample (Prometheus >= 2.27).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub label_limit: Option<i64>,
    /// Maximum length of a label name (Prometheus >= 2.27).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub label_name_length_limit: Option<i64>,
    /// Maximum length of a label value (Prometheus >= 2.27).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub label_value_length_limit: Option<i64>,
    /// Maximum size of an uncompressed response body; larger scrapes fail
    /// (Prometheus >= 2.28).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_size_limit: Option<ByteSize>,
    /// Native histogram settings.
    #[serde(flatten)]
    pub native_histograms: NativeHistogramConfig,
    /// Maximum number of targets dropped by relabeling kept in memory; 0
    /// means no limit (Prometheus >= 2.47).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub keep_dropped_targets: Option<i64>,
    /// Relabeling of the samples before ingestion.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "metricRelabelings"
    )]
    #[schemars(length(min = 1))]
    pub metric_relabelings: Option<Vec<RelabelConfig>>,
    /// Proxy of the scrape requests.
    #[serde(flatten)]
    pub proxy: ProxyConfig,
    /// Validation rule of metric and label names (Prometheus >= 3.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_validation_scheme: Option<NameValidationScheme>,
    /// Escaping of metric names requested by content negotiation
    /// (Prometheus >= 3.4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_escaping_scheme: Option<NameEscapingScheme>,
    /// Scrape class applied to this job.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "scrapeClass"
    )]
    #[schemars(length(min = 1))]
    pub scrape_class: Option<String>,
}

/// Name/values pair restricting a discovery to matching resources.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Filter {
    /// Name of the filter.
    #[schemars(length(min = 1))]
    pub name: String,
    /// Accepted values.
    #[schemars(length(min = 1), inner(length(min = 1)))]
    #[schemars(extend("x-kubernetes-list-type" = "set"))]
    pub values: Vec<String>,
}
