//! Lint's own warnings about monitors that the reference accepts but that
//! likely scrape something else than meant: an empty selector (every
//! Service or Pod of the namespaces) and port names that no Kubernetes
//! port can have (the reference uses the name as an anchored regex on port
//! names, so `web` matches only `web` but `web.*` matches many).
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use promop_api::v1::{PodMonitor, ServiceMonitor};

use super::{Problem, Severity, id_of};
use crate::manifests::ObjectId;
use crate::snapshot::Snapshot;

pub(super) fn warnings(snapshot: &Snapshot) -> Vec<Problem> {
    let mut out = Vec::new();
    for monitor in &snapshot.service_monitors {
        service_monitor(monitor, &mut out);
    }
    for monitor in &snapshot.pod_monitors {
        pod_monitor(monitor, &mut out);
    }
    out
}

fn warn(out: &mut Vec<Problem>, object: &ObjectId, field: String, message: String) {
    out.push(Problem {
        object: object.clone(),
        field: Some(field),
        message,
        severity: Severity::Warning,
        workload: None,
        missing: None,
    });
}

fn is_empty(selector: &LabelSelector) -> bool {
    selector.match_labels.as_ref().is_none_or(|l| l.is_empty())
        && selector
            .match_expressions
            .as_ref()
            .is_none_or(|e| e.is_empty())
}

fn service_monitor(monitor: &ServiceMonitor, out: &mut Vec<Problem>) {
    let id = id_of("ServiceMonitor", monitor);
    if is_empty(&monitor.spec.selector) {
        let message = "empty selector: every Service of the monitor's namespaces is selected";
        warn(out, &id, "spec.selector".into(), message.into());
    }
    for (i, endpoint) in monitor.spec.endpoints.iter().enumerate() {
        let path = format!("spec.endpoints[{i}]");
        match endpoint.port.as_deref().filter(|p| !p.is_empty()) {
            Some(port) if !is_dns_label(port) => warn(
                out,
                &id,
                format!("{path}.port"),
                format!("{port:?} is not a valid Service port name (an RFC 1123 label)"),
            ),
            Some(_) => {}
            None if endpoint.target_port.is_none() => warn(
                out,
                &id,
                path,
                "neither port nor targetPort: every port of the selected Services is scraped"
                    .into(),
            ),
            None => {}
        }
    }
}

fn pod_monitor(monitor: &PodMonitor, out: &mut Vec<Problem>) {
    let id = id_of("PodMonitor", monitor);
    if is_empty(&monitor.spec.selector) {
        let message = "empty selector: every Pod of the monitor's namespaces is selected";
        warn(out, &id, "spec.selector".into(), message.into());
    }
    let endpoints = monitor.spec.pod_metrics_endpoints.iter().flatten();
    for (i, endpoint) in endpoints.enumerate() {
        let path = format!("spec.podMetricsEndpoints[{i}]");
        match endpoint.port.as_deref().filter(|p| !p.is_empty()) {
            Some(port) if !is_iana_service_name(port) => warn(
                out,
                &id,
                format!("{path}.port"),
                format!(
                    "{port:?} is not a valid container port name (an IANA service name: at most 15 characters, a-z, 0-9 and inner single '-', one letter at least)"
                ),
            ),
            Some(_) => {}
            None if endpoint.port_number.is_none() && endpoint.target_port.is_none() => warn(
                out,
                &id,
                path,
                "none of port, portNumber and targetPort: every port of the selected Pods is scraped"
                    .into(),
            ),
            None => {}
        }
    }
}

/// A Service port name: a DNS label (RFC 1123).
fn is_dns_label(name: &str) -> bool {
    let bytes = name.as_bytes();
    let alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    (1..=63).contains(&bytes.len())
        && bytes.first().is_some_and(alnum)
        && bytes.last().is_some_and(alnum)
        && bytes.iter().all(|b| alnum(b) || *b == b'-')
}

/// A container port name: Kubernetes' `IsValidPortName`.
fn is_iana_service_name(name: &str) -> bool {
    name.len() <= 15
        && is_dns_label(name)
        && !name.contains("--")
        && name.bytes().any(|b| b.is_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_names_follow_kubernetes() {
        assert!(is_dns_label("web"));
        assert!(is_dns_label("http-metrics-2"));
        assert!(!is_dns_label("Web"));
        assert!(!is_dns_label("web.*"));
        assert!(!is_dns_label("-web"));
        assert!(is_iana_service_name("metrics"));
        assert!(!is_iana_service_name("a-very-long-port-name"));
        assert!(!is_iana_service_name("8080"));
        assert!(!is_iana_service_name("http--x"));
    }
}
