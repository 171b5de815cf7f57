//! Remote write of samples (also used by ThanosRuler).
use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::common::{
    Authorization, AzureAd, BasicAuth, Duration, OAuth2, ProxyConfig, RelabelConfig, Sigv4,
    TlsConfig, Url,
};

/// Version of the remote-write protobuf message.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum RemoteWriteMessageVersion {
    #[serde(rename = "V1.0")]
    V1_0,
    #[serde(rename = "V2.0")]
    V2_0,
}

/// An endpoint samples are written to.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RemoteWriteSpec {
    /// URL of the endpoint (HTTP or HTTPS).
    pub url: Url,
    /// Unique name of the queue, used in metrics and logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Message version sent (`V2.0` also records metadata in the WAL); check
    /// what the receiver supports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_version: Option<RemoteWriteMessageVersion>,
    /// Sends exemplars (needs the `exemplar-storage` feature).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_exemplars: Option<bool>,
    /// Sends native histograms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_native_histograms: Option<bool>,
    /// Timeout of the requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_timeout: Option<Duration>,
    /// HTTP headers of the requests (those set by Prometheus cannot be
    /// overridden).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<BTreeMap<String, String>>,
    /// Relabelings applied to the samples before sending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_relabel_configs: Option<Vec<RelabelConfig>>,
    /// OAuth2 credentials (exclusive with the other authentications).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth2: Option<OAuth2>,
    /// Basic authentication (exclusive with the other authentications).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basic_auth: Option<BasicAuth>,
    /// Deprecated: file holding a bearer token; use `authorization`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bearer_token_file: Option<String>,
    /// Authorization header (exclusive with the other authentications).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization: Option<Authorization>,
    /// AWS Signature Version 4 signing (exclusive with the other
    /// authentications).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sigv4: Option<Sigv4>,
    /// Azure AD authentication (exclusive with the other authentications).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azure_ad: Option<AzureAd>,
    /// Deprecated: bearer token in clear text; use `authorization`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bearer_token: Option<String>,
    /// TLS settings towards the endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_config: Option<TlsConfig>,
    #[serde(flatten)]
    pub proxy: ProxyConfig,
    /// Follows HTTP 3xx redirects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_redirects: Option<bool>,
    /// Tuning of the sending queue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_config: Option<QueueConfig>,
    /// How series metadata is sent: not at all when empty, sent when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata_config: Option<MetadataConfig>,
    /// Enables HTTP/2.
    #[serde(
        default,
        rename = "enableHTTP2",
        skip_serializing_if = "Option::is_none"
    )]
    pub enable_http2: Option<bool>,
    /// Resolves the host name itself and connects to one random address
    /// instead of trying them in order.
    #[serde(
        default,
        rename = "roundRobinDNS",
        skip_serializing_if = "Option::is_none"
    )]
    pub round_robin_dns: Option<bool>,
}

/// Tuning of a remote-write queue.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct QueueConfig {
    /// Samples buffered per shard before dropping.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "crate::common::int::plain_integer")]
    pub capacity: Option<i64>,
    /// Minimum number of shards (concurrency).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "crate::common::int::plain_integer")]
    pub min_shards: Option<i64>,
    /// Maximum number of shards (concurrency).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "crate::common::int::plain_integer")]
    pub max_shards: Option<i64>,
    /// Maximum number of samples per request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "crate::common::int::plain_integer")]
    pub max_samples_per_send: Option<i64>,
    /// Maximum time a sample waits in the buffer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_send_deadline: Option<Duration>,
    /// Maximum number of retries of a batch on recoverable errors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "crate::common::int::plain_integer")]
    pub max_retries: Option<i64>,
    /// Initial retry delay, doubled at every retry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_backoff: Option<Duration>,
    /// Maximum retry delay.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_backoff: Option<Duration>,
    /// Retries on HTTP 429 responses (experimental).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_on_rate_limit: Option<bool>,
    /// Drops samples older than this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample_age_limit: Option<Duration>,
}

/// How series metadata is sent to the remote storage.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MetadataConfig {
    /// Sends metadata (ignored with message version 2.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send: Option<bool>,
    /// How often metadata is sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_interval: Option<Duration>,
    /// Maximum number of metadata entries per request (-1: no limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = -1))]
    pub max_samples_per_send: Option<i32>,
}
