//! The governing Service `thanos-ruler-operated` of the ThanosRulers of a
//! namespace: headless, with the web and gRPC ports.
use k8s_openapi::api::core::v1::Service;
use promop_api::v1::thanos_ruler::ThanosRulerSpec;

use super::{APP_NAME, GOVERNING_SERVICE, GRPC_PORT, WEB_PORT, port_name};
use crate::k8s::metadata::{Labels, Owner};
use crate::k8s::service::{GoverningService, port};

pub fn governing_service(
    spec: &ThanosRulerSpec,
    namespace: &str,
    owner: &Owner,
    labels: &Labels,
    annotations: &Labels,
) -> Service {
    let web = port_name(spec);
    GoverningService {
        name: GOVERNING_SERVICE,
        namespace,
        operated_label: "operated-thanos-ruler",
        app_name: APP_NAME,
        ports: vec![
            port(web, WEB_PORT, web, Some("TCP")),
            port("grpc", GRPC_PORT, "grpc", Some("TCP")),
        ],
        publish_not_ready_addresses: false,
        owner,
        labels,
        annotations,
    }
    .build()
}
