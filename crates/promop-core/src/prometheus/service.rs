//! The ports of the governing Service of Prometheus (`prometheus-operated`)
//! and PrometheusAgent (`prometheus-agent-operated`); the Service itself is
//! `k8s::service`.
use k8s_openapi::api::core::v1::ServicePort;

use crate::k8s::service::port;

/// The web port, and the Thanos sidecar's gRPC port when there is one.
pub fn ports(port_name: &str, thanos_grpc: bool) -> Vec<ServicePort> {
    let mut ports = vec![port(port_name, 9090, port_name, None)];
    if thanos_grpc {
        ports.push(port("grpc", 10901, "grpc", None));
    }
    ports
}
