//! Rust types of the `monitoring.coreos.com` API served by the Prometheus
//! Operator, and the CustomResourceDefinitions generated from them.
pub mod common;
pub mod crd;
pub mod object;
pub mod v1;
pub mod v1alpha1;
pub mod v1beta1;
