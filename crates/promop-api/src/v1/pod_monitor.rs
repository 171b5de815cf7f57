//! PodMonitor (v1): how Prometheus scrapes Pods directly.
use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::common::{
    AttachMetadata, ByteSize, ConfigResourceStatus, Duration, HttpConfigWithProxy,
    NamespaceSelector, NativeHistogramConfig, RelabelConfig, Scheme, ScrapeProtocol,
    SelectorMechanism,
};

/// Which Pods Prometheus and PrometheusAgent scrape, and how: the Pods are
/// chosen by labels and namespaces, their ports by name or number.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "monitoring.coreos.com",
    version = "v1",
    kind = "PodMonitor",
    plural = "podmonitors",
    singular = "podmonitor",
    shortname = "pmon",
    category = "prometheus-operator",
    status = "ConfigResourceStatus",
    namespaced
)]
#[serde(rename_all = "camelCase")]
pub struct PodMonitorSpec {
    /// Label of the Pod whose value becomes the `job` label (`<namespace>/<name>`
    /// of the PodMonitor when empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_label: Option<String>,
    /// Labels copied from the Pod onto the scraped metrics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_target_labels: Option<Vec<String>>,
    /// Endpoints of the selected Pods to scrape.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_metrics_endpoints: Option<Vec<PodMetricsEndpoint>>,
    /// Labels of the Pods to scrape.
    pub selector: LabelSelector,
    /// How the endpoints are selected: relabeling rules (default) or role selectors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector_mechanism: Option<SelectorMechanism>,
    /// Namespaces the Pods are discovered in (the object's own by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace_selector: Option<NamespaceSelector>,
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
}

/// A Pod port scraped by Prometheus.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PodMetricsEndpoint {
    /// Name of the Pod port; takes precedence over `portNumber` and `targetPort`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<String>,
    /// Number of a port declared by the Pod.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 65535))]
    pub port_number: Option<i32>,
    /// Deprecated: name or number of the container port; use `port` or `portNumber`.
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
    #[serde(flatten)]
    pub http: HttpConfigWithProxy,
}
