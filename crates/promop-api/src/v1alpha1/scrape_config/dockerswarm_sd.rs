//! Docker Swarm service discovery.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::http_client::{HttpClientAuth, HttpClientConfig};
use super::{DOCKER_HOST_PATTERN, Filter};
use crate::common::Duration;

/// Kind of Swarm object turned into targets.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum DockerSwarmRole {
    #[default]
    Services,
    Tasks,
    Nodes,
}

/// Discovers services, tasks or nodes of a Docker Swarm.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DockerSwarmSdConfig {
    /// Address of the Docker daemon.
    #[schemars(regex(pattern = DOCKER_HOST_PATTERN))]
    pub host: String,
    /// Kind of object to discover.
    pub role: DockerSwarmRole,
    /// Port used for tasks and services without a published port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 65535))]
    pub port: Option<i32>,
    /// Filters of the Docker list APIs (services, tasks or nodes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["name"]))]
    pub filters: Option<Vec<Filter>>,
    /// How often objects are listed again; Prometheus' default when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_interval: Option<Duration>,
    #[serde(flatten)]
    pub auth: HttpClientAuth,
    #[serde(flatten)]
    pub http_client: HttpClientConfig,
}
