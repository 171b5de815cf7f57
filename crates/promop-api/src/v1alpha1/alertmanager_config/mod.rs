//! AlertmanagerConfig (v1alpha1, the storage version): a namespaced fragment
//! of Alertmanager configuration (routing tree, receivers, inhibition rules and
//! time intervals) that the operator merges into the configuration of the
//! Alertmanagers selecting it.
//!
//! Most types are shared with v1beta1: the receivers that only differ by the
//! kind of Secret key selector they use are generic over it (`S`, which
//! defaults to the Kubernetes `SecretKeySelector` used by this version).
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::common::ConfigResourceStatus;

mod http_config;
mod inhibit_rule;
mod matcher;
mod receiver;
mod receivers;
mod route;
mod time_interval;

pub use http_config::HttpConfig;
pub use inhibit_rule::InhibitRule;
pub use matcher::{MatchType, Matcher};
pub use receiver::{KeyValue, Receiver};
pub use receivers::*;
pub use route::Route;
pub(crate) use route::child_routes_schema;
pub use time_interval::{
    DayOfMonthRange, MONTH_RANGE_PATTERN, MuteTimeInterval, TIME_PATTERN, TimeInterval, TimeRange,
    WEEKDAY_RANGE_PATTERN, YEAR_RANGE_PATTERN,
};

/// Pattern of the `http://` or `https://` URLs of the receiver APIs.
pub const URL_PATTERN: &str = r"^https?://.+$";

/// Pattern of the durations of Pushover (like a Prometheus duration, but not `0`).
pub const PUSHOVER_DURATION_PATTERN: &str =
    r"^(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?$";

/// Alertmanager routes, receivers, inhibition rules and time intervals of a
/// namespace. Unless the Alertmanager says otherwise, they only apply to the
/// alerts whose `namespace` label is the namespace of the object.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "monitoring.coreos.com",
    version = "v1alpha1",
    kind = "AlertmanagerConfig",
    plural = "alertmanagerconfigs",
    singular = "alertmanagerconfig",
    shortname = "amcfg",
    category = "prometheus-operator",
    namespaced,
    status = "ConfigResourceStatus"
)]
#[serde(rename_all = "camelCase")]
pub struct AlertmanagerConfigSpec {
    /// Route added as a first-level route of the Alertmanager configuration,
    /// for the alerts of the object's namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<Route>,
    /// Receivers, with unique names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["name"]))]
    pub receivers: Option<Vec<Receiver>>,
    /// Inhibition rules; they only apply to alerts of the object's namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-list-type" = "atomic"))]
    pub inhibit_rules: Option<Vec<InhibitRule>>,
    /// Named time intervals that routes can refer to, to be muted or active.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-list-type" = "atomic"))]
    pub mute_time_intervals: Option<Vec<MuteTimeInterval>>,
}
