//! AlertmanagerConfig (v1alpha1). Work in progress: fields are being added.
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Desired state of a AlertmanagerConfig.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "monitoring.coreos.com",
    version = "v1alpha1",
    kind = "AlertmanagerConfig",
    plural = "alertmanagerconfigs",
    shortname = "amcfg",
    category = "prometheus-operator",
    namespaced
)]
#[serde(rename_all = "camelCase")]
pub struct AlertmanagerConfigSpec {}
