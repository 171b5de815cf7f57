//! The governing Service `alertmanager-operated` of the Alertmanagers of a
//! namespace: headless, with the web port and both mesh ports, and
//! publishing pods before they are ready so that peers can find each other.
use k8s_openapi::api::core::v1::Service;
use promop_api::v1::alertmanager::AlertmanagerSpec;

use super::statefulset::{APP_NAME, GOVERNING_SERVICE, MESH_PORT, WEB_PORT, port_name};
use crate::k8s::metadata::{Labels, Owner};
use crate::k8s::service::{GoverningService, port};

pub fn governing_service(
    spec: &AlertmanagerSpec,
    namespace: &str,
    owner: &Owner,
    labels: &Labels,
    annotations: &Labels,
) -> Service {
    let web = port_name(spec);
    GoverningService {
        name: GOVERNING_SERVICE,
        namespace,
        operated_label: "operated-alertmanager",
        app_name: APP_NAME,
        ports: vec![
            port(web, WEB_PORT, web, Some("TCP")),
            port("tcp-mesh", MESH_PORT, "mesh-tcp", Some("TCP")),
            port("udp-mesh", MESH_PORT, "mesh-udp", Some("UDP")),
        ],
        publish_not_ready_addresses: true,
        owner,
        labels,
        annotations,
    }
    .build()
}
