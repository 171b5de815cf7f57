//! DNS service discovery.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::common::Duration;

/// DNS record type queried by a DNS discovery.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum DnsRecordType {
    #[default]
    A,
    #[serde(rename = "AAAA")]
    Aaaa,
    #[serde(rename = "MX")]
    Mx,
    #[serde(rename = "NS")]
    Ns,
    #[serde(rename = "SRV")]
    Srv,
}

/// Discovers targets by querying DNS names periodically (resolvers from
/// `/etc/resolv.conf`).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DnsSdConfig {
    /// Names to query.
    #[schemars(length(min = 1), inner(length(min = 1)))]
    pub names: Vec<String>,
    /// How often the names are resolved again; Prometheus' default when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_interval: Option<Duration>,
    /// Record type; Prometheus' default (SRV) when unset. NS needs
    /// Prometheus >= 2.49, MX >= 2.38.
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "type")]
    pub type_: Option<DnsRecordType>,
    /// Port of the targets; ignored for SRV records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 65535))]
    pub port: Option<i32>,
}
