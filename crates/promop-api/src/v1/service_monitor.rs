//! ServiceMonitor (v1): how Prometheus scrapes the endpoints of Services.
use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::common::{
    AttachMetadata, ByteSize, ConfigResourceStatus, Duration, HttpConfigWithProxyAndTlsFiles,
    NamespaceSelector, NativeHistogramConfig, RelabelConfig, Scheme, ScrapeProtocol,
    SelectorMechanism, ServiceDiscoveryRole,
};

/// Which Services Prometheus and PrometheusAgent scrape, and how: the Services
/// are chosen by labels and namespaces, their ports by name.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "monitoring.coreos.com",
    version = "v1",
    kind = "ServiceMonitor",
    plural = "servicemonitors",
    singular = "servicemonitor",
    shortname = "smon",
    category = "prometheus-operator",
    status = "ConfigResourceStatus",
    namespaced
)]
#[serde(rename_all = "camelCase")]
pub struct ServiceMonitorSpec {
    /// Label of the Service whose value becomes the `job` label (the Service
    /// name when empty or absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_label: Option<String>,
    /// Labels copied from the Service onto the scraped metrics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_labels: Option<Vec<String>>,
    /// Labels copied from the Pod onto the scraped metrics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_target_labels: Option<Vec<String>>,
    /// Endpoints to scrape.
    pub endpoints: Vec<Endpoint>,
    /// Labels of the Services (Endpoints objects) to scrape.
    pub selector: LabelSelector,
    /// How the endpoints are selected: relabeling rules (default) or role selectors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector_mechanism: Option<SelectorMechanism>,
    /// Namespaces the Services are discovered in (the object's own by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace_selector: Option<NamespaceSelector>,
    /// Per-scrape limit of accepted samples.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub sample_limit: Option<i64>,
    /// Protocols offered to targets, most preferred first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-list-type" = "set"))]
    pub scrape_protocols: Option<Vec<ScrapeProtocol>>,
    /// Protocol used when the target's Content-Type is missing or invalid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback_scrape_protocol: Option<ScrapeProtocol>,
    /// Limit of accepted targets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub target_limit: Option<i64>,
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
    /// Extra metadata attached to the discovered targets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attach_metadata: Option<AttachMetadata>,
    /// Scrape class applied to the targets.
    #[serde(
        default,
        rename = "scrapeClass",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(length(min = 1))]
    pub scrape_class: Option<String>,
    /// Limit of the uncompressed size of a scrape response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_size_limit: Option<ByteSize>,
    /// Discovery role of the targets; the workload's setting when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_discovery_role: Option<ServiceDiscoveryRole>,
}

/// A Service port scraped by Prometheus.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Endpoint {
    /// Name of the Service port; takes precedence over `targetPort`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<String>,
    /// Name or number of the container port of the Service's Pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_port: Option<IntOrString>,
    /// HTTP path of the metrics (`/metrics` when empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// HTTP scheme of the scrape requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheme: Option<Scheme>,
    /// URL query parameters of the scrape requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<BTreeMap<String, Vec<String>>>,
    /// Scrape interval (the global one when empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<Duration>,
    /// Scrape timeout (the global one when empty); at most `interval`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scrape_timeout: Option<Duration>,
    /// Keep the scraped labels when they collide with target labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub honor_labels: Option<bool>,
    /// Keep the timestamps exposed by the target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub honor_timestamps: Option<bool>,
    /// Track staleness of samples that carry explicit timestamps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub track_timestamps_staleness: Option<bool>,
    /// Relabeling rules applied to samples before ingestion.
    #[serde(
        default,
        rename = "metricRelabelings",
        skip_serializing_if = "Option::is_none"
    )]
    pub metric_relabelings: Option<Vec<RelabelConfig>>,
    /// Relabeling rules applied to the target's labels.
    #[serde(
        default,
        rename = "relabelings",
        skip_serializing_if = "Option::is_none"
    )]
    pub relabelings: Option<Vec<RelabelConfig>>,
    /// Drop Pods that are not running (default: true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter_running: Option<bool>,
    /// Deprecated: file holding a bearer token; use `authorization`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bearer_token_file: Option<String>,
    #[serde(flatten)]
    pub http: HttpConfigWithProxyAndTlsFiles,
}
