//! Storage of the workload kinds.
use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    EmptyDirVolumeSource, EphemeralVolumeSource, PersistentVolumeClaimSpec,
    PersistentVolumeClaimStatus,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Storage of a workload: an emptyDir (the default), an ephemeral volume or a
/// PVC template, in that order of precedence.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StorageSpec {
    /// Deprecated: do not mount the volume with a subPath.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_mount_sub_path: Option<bool>,
    /// emptyDir volume; takes precedence over `ephemeral` and `volumeClaimTemplate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub empty_dir: Option<EmptyDirVolumeSource>,
    /// Generic ephemeral volume; takes precedence over `volumeClaimTemplate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ephemeral: Option<EphemeralVolumeSource>,
    /// Template of the PVCs of the StatefulSet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_claim_template: Option<EmbeddedPersistentVolumeClaim>,
}

/// A PersistentVolumeClaim with reduced metadata, embedded in a spec.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EmbeddedPersistentVolumeClaim {
    /// API version of the object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    /// Kind of the object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Name, labels and annotations of the claim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<EmbeddedObjectMetadata>,
    /// Desired characteristics of the volume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<PersistentVolumeClaimSpec>,
    /// Deprecated and never set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<PersistentVolumeClaimStatus>,
}

/// The subset of ObjectMeta that embedded objects may set.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EmbeddedObjectMetadata {
    /// Object name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Object labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    /// Object annotations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
}
