//! Scrape settings shared by the monitor kinds, ScrapeConfig and Prometheus.
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::string_newtype;

/// Exposition format negotiated with a scrape target.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum ScrapeProtocol {
    PrometheusProto,
    #[serde(rename = "OpenMetricsText0.0.1")]
    OpenMetricsText0_0_1,
    #[serde(rename = "OpenMetricsText1.0.0")]
    OpenMetricsText1_0_0,
    #[serde(rename = "PrometheusText0.0.4")]
    PrometheusText0_0_4,
    #[serde(rename = "PrometheusText1.0.0")]
    PrometheusText1_0_0,
}

/// Rule for valid metric and label names.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum NameValidationScheme {
    #[serde(rename = "UTF8")]
    Utf8,
    Legacy,
}

/// How names outside the legacy character set are escaped when scraping.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum NameEscapingScheme {
    #[serde(rename = "AllowUTF8")]
    AllowUtf8,
    Underscores,
    Dots,
    Values,
}

/// How the endpoints to scrape are selected: relabeling rules or role selectors.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum SelectorMechanism {
    RelabelConfig,
    RoleSelector,
}

/// Kubernetes discovery role used for Services.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum ServiceDiscoveryRole {
    Endpoints,
    EndpointSlice,
}

/// URL scheme of scrape requests: `http` or `https`, in either case.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, Hash, JsonSchema)]
#[serde(transparent)]
pub struct Scheme(#[schemars(extend("enum" = ["http", "https", "HTTP", "HTTPS"]))] pub String);
string_newtype!(Scheme);

impl Scheme {
    /// The scheme in lower case, as Prometheus expects it.
    pub fn to_lowercase(&self) -> String {
        self.0.to_lowercase()
    }
}

/// Extra metadata attached to discovered targets.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttachMetadata {
    /// Attach the metadata of the node (`__meta_kubernetes_node_*`); needs list/watch on Nodes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<bool>,
}

/// Native histogram settings, flattened into the scrape-level specs.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NativeHistogramConfig {
    /// Scrape native histograms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scrape_native_histograms: Option<bool>,
    /// Also scrape the classic form of histograms exposed as native ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scrape_classic_histograms: Option<bool>,
    /// Buckets of a native histogram are merged beyond this count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub native_histogram_bucket_limit: Option<i64>,
    /// Buckets are merged while the growth factor between two is below this value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub native_histogram_min_bucket_factor: Option<Quantity>,
    /// Convert classic histograms to native histograms with custom buckets.
    #[serde(
        default,
        rename = "convertClassicHistogramsToNHCB",
        skip_serializing_if = "Option::is_none"
    )]
    pub convert_classic_histograms_to_nhcb: Option<bool>,
}
