//! Docker service discovery.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::http_client::{HttpClientAuth, HttpClientConfig};
use super::{DOCKER_HOST_PATTERN, Filter};
use crate::common::Duration;

/// Discovers the containers of a Docker engine: one target per network IP
/// and exposed port.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DockerSdConfig {
    /// Address of the Docker daemon (e.g. `unix:///var/run/docker.sock`).
    #[schemars(regex(pattern = DOCKER_HOST_PATTERN))]
    pub host: String,
    /// Port used for containers that expose none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 65535))]
    pub port: Option<i32>,
    /// Host used for containers in host networking mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub host_networking_host: Option<String>,
    /// Use only the first network of containers attached to several
    /// (Prometheus' default: true; Prometheus >= 2.54.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub match_first_network: Option<bool>,
    /// Filters restricting the listed containers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["name"]))]
    pub filters: Option<Vec<Filter>>,
    /// How often containers are listed again; Prometheus' default when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_interval: Option<Duration>,
    #[serde(flatten)]
    pub auth: HttpClientAuth,
    #[serde(flatten)]
    pub http_client: HttpClientConfig,
}
