//! Building blocks of the Kubernetes objects the operator writes, shared by
//! the Prometheus, PrometheusAgent and Alertmanager builders: object
//! metadata, command-line arguments, images, probes, volumes, pod fields,
//! the config-reloader container (and its RBAC in watch mode), the strategic merge of user containers,
//! the governing Service, the TLS assets and web configuration Secrets.
pub mod args;
pub mod container_merge;
pub mod image;
pub mod metadata;
pub mod names;
pub mod numbered;
pub mod pod;
pub mod probe;
pub mod reloader;
pub mod reloader_rbac;
pub mod service;
pub mod tls_assets;
pub mod volumes;
pub mod web_config;

use k8s_openapi::api::core::v1::{Capabilities, SecurityContext};

use crate::select::reasons::RejectionKind;

/// The hardened security context of every generated container: read-only
/// root file system, no privilege escalation, no capability.
pub fn security_context() -> SecurityContext {
    SecurityContext {
        allow_privilege_escalation: Some(false),
        read_only_root_filesystem: Some(true),
        capabilities: Some(Capabilities {
            drop: Some(vec!["ALL".to_owned()]),
            ..Capabilities::default()
        }),
        ..SecurityContext::default()
    }
}

/// A setting the StatefulSet cannot be built from (the field path and why).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {kind}")]
pub struct StatefulSetError {
    pub field: String,
    pub kind: RejectionKind,
}

impl StatefulSetError {
    pub fn new(field: &str, kind: impl Into<RejectionKind>) -> Self {
        Self {
            field: field.to_owned(),
            kind: kind.into(),
        }
    }
}
