//! Scrape classes: settings inherited by the scrape objects that use them.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::common::{AttachMetadata, Authorization, RelabelConfig, ScrapeProtocol, TlsConfig};

/// Named scrape settings that scrape objects can refer to.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScrapeClass {
    /// Name of the class.
    #[schemars(length(min = 1))]
    pub name: String,
    /// Applies the class to scrape objects that name none (one class at most).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<bool>,
    /// Protocol used when a target's Content-Type is missing or invalid,
    /// unless the scrape object sets one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback_scrape_protocol: Option<ScrapeProtocol>,
    /// TLS settings; those of the scrape object win (only `caFile`,
    /// `certFile` and `keyFile` are supported).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_config: Option<TlsConfig>,
    /// Authorization used when the scrape object sets none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization: Option<Authorization>,
    /// Relabelings applied to every target, after the operator's and before
    /// the scrape object's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relabelings: Option<Vec<RelabelConfig>>,
    /// Metric relabelings applied before the scrape object's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric_relabelings: Option<Vec<RelabelConfig>>,
    /// Metadata attached to discovered targets, unless the scrape object sets
    /// its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attach_metadata: Option<AttachMetadata>,
}
