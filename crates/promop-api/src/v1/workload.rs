//! Types shared by the workload kinds (Prometheus, PrometheusAgent,
//! Alertmanager and ThanosRuler): pod template knobs, storage, web server
//! settings and status.
use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    EmptyDirVolumeSource, EphemeralVolumeSource, PersistentVolumeClaimSpec,
    PersistentVolumeClaimStatus, SecretKeySelector,
};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use crate::common::Condition;
use crate::common::SecretOrConfigMap;

/// Labels, annotations and name of an object created by the operator from an
/// embedded template (a subset of `ObjectMeta`).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EmbeddedObjectMetadata {
    /// Name of the object (unique within a namespace).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Labels to set on the object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    /// Annotations to set on the object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
}

/// A PersistentVolumeClaim template, with a reduced metadata.
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
    /// Deprecated: never set by the operator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<PersistentVolumeClaimStatus>,
}

/// Storage of the workload's data. Without any option an emptyDir volume is
/// used; if several are set, `emptyDir` wins over `ephemeral`, which wins over
/// `volumeClaimTemplate`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StorageSpec {
    /// Deprecated: do not mount the volume with a subPath.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_mount_sub_path: Option<bool>,
    /// emptyDir volume used for the data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub empty_dir: Option<EmptyDirVolumeSource>,
    /// Generic ephemeral volume used for the data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ephemeral: Option<EphemeralVolumeSource>,
    /// PersistentVolumeClaim template of the StatefulSet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_claim_template: Option<EmbeddedPersistentVolumeClaim>,
}

/// Contents of the file given to `--web.config.file`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebConfigFileFields {
    /// TLS settings of the HTTPS server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_config: Option<WebTlsConfig>,
    /// HTTP settings of the web server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_config: Option<WebHttpConfig>,
}

/// HTTP settings of a web server.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebHttpConfig {
    /// Enables HTTP/2 (only effective with TLS). Changing it rolls the pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http2: Option<bool>,
    /// Headers added to the HTTP responses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<WebHttpHeaders>,
}

/// Value of the X-Frame-Options header (empty: not set).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
pub enum XFrameOptions {
    #[serde(rename = "")]
    Unset,
    Deny,
    SameOrigin,
}

/// Value of the X-Content-Type-Options header (empty: not set).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
pub enum XContentTypeOptions {
    #[serde(rename = "")]
    Unset,
    NoSniff,
}

/// Headers added to the HTTP responses of a web server.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebHttpHeaders {
    /// Content-Security-Policy header; not set when empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_security_policy: Option<String>,
    /// X-Frame-Options header; not set when empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x_frame_options: Option<XFrameOptions>,
    /// X-Content-Type-Options header; not set when empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x_content_type_options: Option<XContentTypeOptions>,
    /// X-XSS-Protection header; not set when empty.
    #[serde(
        default,
        rename = "xXSSProtection",
        skip_serializing_if = "Option::is_none"
    )]
    pub x_xss_protection: Option<String>,
    /// Strict-Transport-Security header; not set when empty. Use with care:
    /// browsers then insist on HTTPS for the whole domain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strict_transport_security: Option<String>,
}

/// TLS settings of an HTTPS web server.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebTlsConfig {
    /// Secret or ConfigMap holding the server certificate (exclusive with
    /// `certFile`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert: Option<SecretOrConfigMap>,
    /// Path of the server certificate in the container (exclusive with `cert`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert_file: Option<String>,
    /// Secret holding the server private key (exclusive with `keyFile`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_secret: Option<SecretKeySelector>,
    /// Path of the server private key in the container (exclusive with
    /// `keySecret`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_file: Option<String>,
    /// Secret or ConfigMap holding the CA used to verify client certificates
    /// (exclusive with `clientCAFile`).
    #[serde(default, rename = "client_ca", skip_serializing_if = "Option::is_none")]
    pub client_ca: Option<SecretOrConfigMap>,
    /// Path of the CA used to verify client certificates (exclusive with
    /// `client_ca`).
    #[serde(
        default,
        rename = "clientCAFile",
        skip_serializing_if = "Option::is_none"
    )]
    pub client_ca_file: Option<String>,
    /// Policy for client certificate authentication (Go's `tls.ClientAuthType`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_auth_type: Option<String>,
    /// Lowest accepted TLS version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_version: Option<String>,
    /// Highest accepted TLS version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_version: Option<String>,
    /// Cipher suites accepted up to TLS 1.2 (Go defaults when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cipher_suites: Option<Vec<String>>,
    /// Whether the server's cipher suite preference (order of
    /// `cipherSuites`) wins over the client's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefer_server_cipher_suites: Option<bool>,
    /// Elliptic curves used in an ECDHE handshake, by preference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub curve_preferences: Option<Vec<String>>,
}

/// An extra command-line argument of a container.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Argument {
    /// Flag name without the leading dashes, e.g. `scrape.discovery-reload-interval`.
    #[schemars(length(min = 1))]
    pub name: String,
    /// Flag value; may be empty for flags that take no value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// An entry of the pod's hosts file.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HostAlias {
    /// IP address of the entry.
    pub ip: String,
    /// Host names of the IP address.
    pub hostnames: Vec<String>,
}

/// DNS policy of the pods.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
pub enum DnsPolicy {
    ClusterFirstWithHostNet,
    ClusterFirst,
    Default,
    None,
}

/// DNS settings of the pods, on top of those given by the DNS policy.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PodDnsConfig {
    /// Name server IP addresses, appended to those of the DNS policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(inner(length(min = 1)), extend("x-kubernetes-list-type" = "set"))]
    pub nameservers: Option<Vec<String>>,
    /// Search domains, appended to those of the DNS policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(inner(length(min = 1)), extend("x-kubernetes-list-type" = "set"))]
    pub searches: Option<Vec<String>>,
    /// Resolver options, overriding those of the DNS policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["name"]))]
    pub options: Option<Vec<PodDnsConfigOption>>,
}

/// A DNS resolver option.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PodDnsConfigOption {
    /// Option name (unique).
    #[schemars(length(min = 1))]
    pub name: String,
    /// Option value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// Pull policy of the images of the operator-managed containers.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
pub enum ImagePullPolicy {
    #[serde(rename = "")]
    Unset,
    Always,
    Never,
    IfNotPresent,
}

/// Log level of a component (empty: the component's default).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    #[serde(rename = "")]
    Unset,
    Debug,
    Info,
    Warn,
    Error,
}

/// Log format of a component (empty: the component's default).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[serde(rename = "")]
    Unset,
    Logfmt,
    Json,
}

/// How the StatefulSet creates and deletes pods when scaling.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
pub enum PodManagementPolicyType {
    OrderedReady,
    Parallel,
}

/// Strategy used to update the StatefulSet's pods.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [{
    "rule": "!(self.type != 'RollingUpdate' && has(self.rollingUpdate))",
    "message": "rollingUpdate requires type to be RollingUpdate",
}]))]
pub struct StatefulSetUpdateStrategy {
    /// Kind of update strategy (RollingUpdate by default).
    #[serde(rename = "type")]
    pub type_: StatefulSetUpdateStrategyType,
    /// Parameters of the RollingUpdate strategy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rolling_update: Option<RollingUpdateStatefulSetStrategy>,
}

/// Update strategies of a StatefulSet.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
pub enum StatefulSetUpdateStrategyType {
    OnDelete,
    RollingUpdate,
}

/// Parameters of the RollingUpdate strategy.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RollingUpdateStatefulSetStrategy {
    /// Maximum number (or percentage) of pods unavailable during the update;
    /// not 0, 1 by default. Needs the MaxUnavailableStatefulSet feature gate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_unavailable: Option<IntOrString>,
}

/// Group of the objects referenced by [`ObjectReference`].
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum MonitoringGroup {
    #[default]
    #[serde(rename = "monitoring.coreos.com")]
    MonitoringCoreosCom,
}

/// Resources that [`ObjectReference`] can point to.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ObjectReferenceResource {
    PrometheusRules,
    ServiceMonitors,
    PodMonitors,
    Probes,
    ScrapeConfigs,
}

/// Reference to PodMonitor, ServiceMonitor, Probe, ScrapeConfig or
/// PrometheusRule objects.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ObjectReference {
    /// API group of the referent (`monitoring.coreos.com`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = "monitoring.coreos.com"))]
    pub group: Option<MonitoringGroup>,
    /// Resource of the referent.
    pub resource: ObjectReferenceResource,
    /// Namespace of the referent.
    #[schemars(length(min = 1))]
    pub namespace: String,
    /// Name of the referent; all objects of the namespace when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// A PrometheusRule object excluded from namespace label enforcement.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PrometheusRuleExcludeConfig {
    /// Namespace of the PrometheusRule object.
    pub rule_namespace: String,
    /// Name of the PrometheusRule object.
    pub rule_name: String,
}

/// Well-known values of [`Condition::type_`].
pub mod condition_type {
    /// Whether enough pods are ready to serve.
    pub const AVAILABLE: &str = "Available";
    /// Whether the operator reconciled the managed resources with the spec.
    pub const RECONCILED: &str = "Reconciled";
    /// Whether a configuration resource was accepted by a workload.
    pub const ACCEPTED: &str = "Accepted";
}

/// Values of [`Condition::status`].
pub mod condition_status {
    pub const TRUE: &str = "True";
    pub const DEGRADED: &str = "Degraded";
    pub const FALSE: &str = "False";
    pub const UNKNOWN: &str = "Unknown";
}

/// Status fields shared by all workload kinds; flattened into their status.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadStatus {
    /// Whether reconciliation is paused (only deletions are performed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused: Option<bool>,
    /// Number of non-terminated pods of the workload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
    /// Number of non-terminated pods with the desired spec.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_replicas: Option<i32>,
    /// Number of pods ready for at least `minReadySeconds`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub available_replicas: Option<i32>,
    /// Number of unavailable pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unavailable_replicas: Option<i32>,
    /// Current state of the workload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["type"]))]
    pub conditions: Option<Vec<Condition>>,
}
