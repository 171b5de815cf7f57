//! AlertmanagerConfig (v1beta1, served but not stored).
//!
//! It differs from v1alpha1 in a few places: Secrets are selected with this
//! version's own [`SecretKeySelector`] (name and key both required), named
//! time intervals are `timeIntervals` of [`TimePeriod`]s, matchers have no
//! `regex`, OpsGenie has no `updateAlerts`, and most lists carry no
//! `x-kubernetes-list-type`. Everything else is the v1alpha1 type: re-exported
//! as is, or instantiated with [`SecretKeySelector`].
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::common::ConfigResourceStatus;
use crate::v1alpha1::alertmanager_config as v1alpha1;

pub mod conversion;
mod inhibit_rule;
mod matcher;
mod receiver;
mod receivers;
mod route;
mod secret_key_selector;
mod time_interval;

pub use inhibit_rule::InhibitRule;
pub use matcher::Matcher;
pub use receiver::Receiver;
pub use receivers::*;
pub use route::Route;
pub use secret_key_selector::SecretKeySelector;
pub use time_interval::{TimeInterval, TimePeriod};
pub use v1alpha1::{
    DayOfMonthRange, KeyValue, MONTH_RANGE_PATTERN, MatchType, PUSHOVER_DURATION_PATTERN,
    TIME_PATTERN, TimeRange, URL_PATTERN, WEEKDAY_RANGE_PATTERN, YEAR_RANGE_PATTERN,
};

/// HTTP client used by a receiver to reach its API.
pub type HttpConfig = v1alpha1::HttpConfig<SecretKeySelector>;

/// Alertmanager routes, receivers, inhibition rules and time intervals of a
/// namespace. How the first-level route matches alerts depends on the
/// Alertmanager's matcher strategy (by default: the object's namespace).
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "monitoring.coreos.com",
    version = "v1beta1",
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
    /// Route added as a first-level route of the Alertmanager configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<Route>,
    /// Receivers, with unique names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receivers: Option<Vec<Receiver>>,
    /// Inhibition rules; they only apply to alerts of the object's namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inhibit_rules: Option<Vec<InhibitRule>>,
    /// Named time intervals that routes can refer to, to be muted or active.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_intervals: Option<Vec<TimeInterval>>,
}
