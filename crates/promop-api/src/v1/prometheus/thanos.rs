//! The Thanos sidecar of Prometheus.
use k8s_openapi::api::core::v1::{ResourceRequirements, SecretKeySelector, VolumeMount};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::common::{Duration, GrpcServerTlsConfig};
use crate::v1::workload::{Argument, LogFormat, LogLevel};

/// Settings of the Thanos sidecar.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ThanosSpec {
    /// Thanos image; wins over `baseImage`, `tag` and `sha`. Set `version` too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Thanos version; the operator's default version when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Deprecated: use `image`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// Deprecated: use `image`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha: Option<String>,
    /// Deprecated: use `image`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_image: Option<String>,
    /// Resource requests and limits of the sidecar.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceRequirements>,
    /// Secret key with the object storage configuration used to upload
    /// blocks (`objectStorageConfigFile` wins).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_storage_config: Option<SecretKeySelector>,
    /// File with the object storage configuration (wins over
    /// `objectStorageConfig`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_storage_config_file: Option<String>,
    /// Deprecated: use `grpcListenLocal` and `httpListenLocal`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listen_local: Option<bool>,
    /// gRPC endpoints listen on the loopback address only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grpc_listen_local: Option<bool>,
    /// HTTP endpoints listen on the loopback address only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_listen_local: Option<bool>,
    /// Secret key with the tracing configuration (`tracingConfigFile` wins;
    /// experimental).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracing_config: Option<SecretKeySelector>,
    /// File with the tracing configuration (experimental).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracing_config_file: Option<String>,
    /// TLS settings of the StoreAPI gRPC server (only `minVersion`, `caFile`,
    /// `certFile`, `keyFile`, `cipherSuites` and `curves` are used).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grpc_server_tls_config: Option<GrpcServerTlsConfig>,
    /// Log level of the sidecar.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_level: Option<LogLevel>,
    /// Log format of the sidecar.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_format: Option<LogFormat>,
    /// Start of the time range served by the StoreAPI: RFC 3339 time or
    /// duration relative to now (e.g. `-1d`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_time: Option<String>,
    /// Duration of the TSDB blocks; keep it a multiple of 120 times the
    /// longest scrape or rule interval.
    #[serde(default, rename = "blockSize", skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = "2h"))]
    pub block_size: Option<Duration>,
    /// Maximum time the sidecar waits for Prometheus to start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready_timeout: Option<Duration>,
    /// How often the Prometheus configuration is fetched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub get_config_interval: Option<Duration>,
    /// Timeout of fetching the Prometheus configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub get_config_timeout: Option<Duration>,
    /// Extra volume mounts of the `thanos-sidecar` container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_mounts: Option<Vec<VolumeMount>>,
    /// Extra flags of the sidecar; conflicts with the operator's flags fail
    /// the reconciliation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_args: Option<Vec<Argument>>,
}
