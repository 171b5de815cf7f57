//! Remote write (Prometheus, PrometheusAgent, ThanosRuler).
use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{
    Authorization, AzureAd, BasicAuth, Duration, OAuth2, ProxyConfig, RelabelConfig, Sigv4,
    TlsConfig, Url,
};

/// An endpoint samples are written to.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RemoteWriteSpec {
    /// URL of the endpoint.
    pub url: Url,
    /// Queue name, unique when set; used in metrics and logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Version of the remote write protocol message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_version: Option<RemoteWriteMessageVersion>,
    /// Send exemplars (exemplar storage must be enabled).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_exemplars: Option<bool>,
    /// Send native histograms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_native_histograms: Option<bool>,
    /// Timeout of requests to the endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_timeout: Option<Duration>,
    /// Extra HTTP headers of each request (Prometheus' own cannot be overridden).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<BTreeMap<String, String>>,
    /// Relabeling rules applied before sending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_relabel_configs: Option<Vec<RelabelConfig>>,
    /// OAuth2 authentication; excludes the other authentication methods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth2: Option<OAuth2>,
    /// Basic authentication; excludes the other authentication methods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basic_auth: Option<BasicAuth>,
    /// Deprecated: file holding a bearer token; use `authorization`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bearer_token_file: Option<String>,
    /// `Authorization` header; excludes the other authentication methods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization: Option<Authorization>,
    /// AWS SigV4 signing; excludes the other authentication methods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sigv4: Option<Sigv4>,
    /// Azure AD authentication; excludes the other authentication methods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azure_ad: Option<AzureAd>,
    /// Deprecated: bearer token in clear text; use `authorization`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bearer_token: Option<String>,
    /// TLS settings of the connection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_config: Option<TlsConfig>,
    #[serde(flatten)]
    pub proxy: ProxyConfig,
    /// Follow HTTP 3xx redirects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_redirects: Option<bool>,
    /// Tuning of the sending queue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_config: Option<QueueConfig>,
    /// Sending of series metadata: none when empty, the defaults when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata_config: Option<MetadataConfig>,
    /// Enable HTTP/2.
    #[serde(
        default,
        rename = "enableHTTP2",
        skip_serializing_if = "Option::is_none"
    )]
    pub enable_http2: Option<bool>,
    /// Resolve the host name and connect to one random address of it.
    #[serde(
        default,
        rename = "roundRobinDNS",
        skip_serializing_if = "Option::is_none"
    )]
    pub round_robin_dns: Option<bool>,
}

/// Remote write protocol message version.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum RemoteWriteMessageVersion {
    #[serde(rename = "V1.0")]
    V1_0,
    #[serde(rename = "V2.0")]
    V2_0,
}

/// Tuning of the remote write queue.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct QueueConfig {
    /// Samples buffered per shard before dropping.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "super::int::plain_integer")]
    pub capacity: Option<i64>,
    /// Minimum number of shards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "super::int::plain_integer")]
    pub min_shards: Option<i64>,
    /// Maximum number of shards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "super::int::plain_integer")]
    pub max_shards: Option<i64>,
    /// Maximum samples per request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "super::int::plain_integer")]
    pub max_samples_per_send: Option<i64>,
    /// Longest time a sample waits in the buffer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_send_deadline: Option<Duration>,
    /// Maximum retries of a batch on recoverable errors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "super::int::plain_integer")]
    pub max_retries: Option<i64>,
    /// First retry delay, doubled at each retry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_backoff: Option<Duration>,
    /// Longest retry delay.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_backoff: Option<Duration>,
    /// Retry on HTTP 429 (experimental).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_on_rate_limit: Option<bool>,
    /// Drop samples older than this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample_age_limit: Option<Duration>,
}

/// Sending of series metadata to the remote storage.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MetadataConfig {
    /// Send metadata (ignored with message version 2.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send: Option<bool>,
    /// How often metadata is sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_interval: Option<Duration>,
    /// Maximum metadata samples per request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = -1))]
    pub max_samples_per_send: Option<i32>,
}
