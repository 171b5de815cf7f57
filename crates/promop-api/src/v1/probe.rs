//! Probe (v1): targets probed through a prober such as the blackbox exporter.
use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::common::{
    ConfigResourceStatus, Duration, HttpConfig, NamespaceSelector, NativeHistogramConfig,
    ProxyConfig, RelabelConfig, Scheme, ScrapeProtocol,
};

/// Static targets or Ingresses that Prometheus probes through a prober.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "monitoring.coreos.com",
    version = "v1",
    kind = "Probe",
    plural = "probes",
    singular = "probe",
    shortname = "prb",
    category = "prometheus-operator",
    status = "ConfigResourceStatus",
    namespaced
)]
#[serde(rename_all = "camelCase")]
pub struct ProbeSpec {
    /// Default `job` label of the probe metrics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_name: Option<String>,
    /// The prober; its `url` must be set for targets to be probed.
    #[serde(default, rename = "prober", skip_serializing_if = "Option::is_none")]
    pub prober: Option<ProberSpec>,
    /// Prober module describing how targets are probed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module: Option<String>,
    /// Targets to probe, static or discovered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub targets: Option<ProbeTargets>,
    /// Probe interval (the global scrape interval when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<Duration>,
    /// Probe timeout (the global scrape timeout when unset); at most `interval`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scrape_timeout: Option<Duration>,
    /// Relabeling rules applied to samples before ingestion.
    #[serde(
        default,
        rename = "metricRelabelings",
        skip_serializing_if = "Option::is_none"
    )]
    pub metric_relabelings: Option<Vec<RelabelConfig>>,
    /// Per-scrape limit of accepted samples.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub sample_limit: Option<i64>,
    /// Limit of accepted targets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub target_limit: Option<i64>,
    /// Protocols offered to targets, most preferred first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-list-type" = "set"))]
    pub scrape_protocols: Option<Vec<ScrapeProtocol>>,
    /// Protocol used when the target's Content-Type is missing or invalid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback_scrape_protocol: Option<ScrapeProtocol>,
    /// Per-scrape limit of labels of a sample.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub label_limit: Option<i64>,
    /// Per-scrape limit of the length of a label name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub label_name_length_limit: Option<i64>,
    /// Per-scrape limit of the length of a label value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub label_value_length_limit: Option<i64>,
    #[serde(flatten)]
    pub native_histogram: NativeHistogramConfig,
    /// Targets dropped by relabeling kept in memory (0: no limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub keep_dropped_targets: Option<i64>,
    /// Scrape class applied to the targets.
    #[serde(
        default,
        rename = "scrapeClass",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(length(min = 1))]
    pub scrape_class: Option<String>,
    /// HTTP query parameters of the probe requests; `module` wins over a
    /// `module` parameter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        length(min = 1),
        extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["name"])
    )]
    pub params: Option<Vec<ProbeParam>>,
    /// Authentication and TLS of the requests to the prober (`authorization`,
    /// `basicAuth`, `oauth2`, `bearerTokenSecret`, `tlsConfig`, ...).
    #[serde(flatten)]
    pub http: HttpConfig,
}

/// An HTTP query parameter of the probe requests.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProbeParam {
    /// Parameter name.
    #[schemars(length(min = 1))]
    pub name: String,
    /// Parameter values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1), inner(length(min = 1)))]
    pub values: Option<Vec<String>>,
}

/// Targets of a Probe: `staticConfig` or `ingress` (`staticConfig` wins when both are set).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProbeTargets {
    /// A static list of targets and their relabeling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub static_config: Option<ProbeTargetStaticConfig>,
    /// Ingresses to probe and their relabeling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress: Option<ProbeTargetIngress>,
}

/// A static list of probed targets.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProbeTargetStaticConfig {
    /// Hosts to probe.
    #[serde(default, rename = "static", skip_serializing_if = "Option::is_none")]
    pub static_: Option<Vec<String>>,
    /// Labels attached to every metric of these targets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    /// Relabeling rules applied to the targets before probing.
    #[serde(
        default,
        rename = "relabelingConfigs",
        skip_serializing_if = "Option::is_none"
    )]
    pub relabeling_configs: Option<Vec<RelabelConfig>>,
}

/// Ingresses whose host/path pairs are probed, one target each.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProbeTargetIngress {
    /// Labels of the Ingresses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<LabelSelector>,
    /// Namespaces the Ingresses are selected in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace_selector: Option<NamespaceSelector>,
    /// Relabeling rules applied to the targets before probing; the Ingress
    /// address is in `__tmp_prometheus_ingress_address`.
    #[serde(
        default,
        rename = "relabelingConfigs",
        skip_serializing_if = "Option::is_none"
    )]
    pub relabeling_configs: Option<Vec<RelabelConfig>>,
}

/// The prober the probe requests go through.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProberSpec {
    /// Address of the prober as `host:port`, without scheme.
    #[schemars(length(min = 1))]
    pub url: String,
    /// HTTP scheme of the requests to the prober.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheme: Option<Scheme>,
    /// HTTP path of the prober.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = "/probe"))]
    pub path: Option<String>,
    #[serde(flatten)]
    pub proxy: ProxyConfig,
}
