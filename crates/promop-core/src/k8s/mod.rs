//! Building blocks of the Kubernetes objects the operator writes, shared by
//! the Prometheus, PrometheusAgent and (later) Alertmanager builders: object
//! metadata, command-line arguments, images, probes, the config-reloader
//! container and the strategic merge of user containers.
pub mod args;
pub mod container_merge;
pub mod image;
pub mod metadata;
pub mod names;
pub mod probe;
pub mod reloader;

use k8s_openapi::api::core::v1::{Capabilities, SecurityContext};

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
