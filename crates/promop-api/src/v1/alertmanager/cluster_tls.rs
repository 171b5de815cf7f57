//! `spec.clusterTLS`: mutual TLS between the members of the Alertmanager cluster.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::common::SafeTlsConfig;
use crate::v1::workload::WebTlsConfig;

/// TLS settings of the gossip traffic between Alertmanager peers.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct ClusterTlsConfig {
    /// Server side: how a peer serves TLS to the other peers.
    pub server: WebTlsConfig,
    /// Client side: how a peer connects to the other peers.
    pub client: SafeTlsConfig,
}
