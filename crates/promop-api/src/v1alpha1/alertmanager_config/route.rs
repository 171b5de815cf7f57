//! Routing tree.
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};

use super::Matcher;
use crate::common::NonEmptyDuration;

/// Node of the routing tree.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Route {
    /// Name of the receiver of this route, one of `receivers` when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receiver: Option<String>,
    /// Labels to group alerts by, without repetition; `...` groups by all
    /// labels and must then be alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-list-type" = "set"))]
    pub group_by: Option<Vec<String>>,
    /// Wait before the first notification of a group, e.g. `30s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_wait: Option<NonEmptyDuration>,
    /// Wait before notifying about changes of a group, e.g. `5m`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_interval: Option<NonEmptyDuration>,
    /// Wait before repeating a notification, e.g. `4h`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat_interval: Option<NonEmptyDuration>,
    /// Conditions on the alert labels. On the first-level route, the operator
    /// replaces matchers on `namespace` with one on the object's namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-list-type" = "atomic"))]
    pub matchers: Option<Vec<Matcher>>,
    /// Keep matching the following sibling routes; always true for the
    /// first-level route.
    #[serde(default, rename = "continue", skip_serializing_if = "Option::is_none")]
    pub continue_: Option<bool>,
    /// Child routes, each a route. They are free-form in the schema
    /// because CRD schemas cannot be recursive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-list-type" = "atomic"))]
    #[schemars(schema_with = "child_routes_schema")]
    pub routes: Option<Vec<serde_json::Value>>,
    /// Names of the time intervals during which this route is muted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-list-type" = "set"))]
    pub mute_time_intervals: Option<Vec<String>>,
    /// Names of the time intervals during which this route is active.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-list-type" = "set"))]
    pub active_time_intervals: Option<Vec<String>>,
}

impl Route {
    /// Parses the child routes.
    pub fn child_routes(&self) -> Result<Vec<Route>, serde_json::Error> {
        self.routes
            .iter()
            .flatten()
            .map(|r| serde_json::from_value(r.clone()))
            .collect()
    }
}

/// Schema of `routes`: a list of values that the API server keeps as they are.
pub(crate) fn child_routes_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "array",
        "items": { "x-kubernetes-preserve-unknown-fields": true },
    })
}
