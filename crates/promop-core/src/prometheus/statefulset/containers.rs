//! The prometheus container: image, ports and probes.
use k8s_openapi::api::core::v1::{ContainerPort, HTTPGetAction, Probe};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use promop_api::v1::prometheus::CommonPrometheusFields;

use super::super::version::Version;
use super::super::workload::Workload;
use super::{StatefulSetError, route_prefix};
use crate::k8s::image;
use crate::k8s::probe::{clean_path, exec_get};

/// The reference's default image repository of Prometheus.
pub const DEFAULT_BASE_IMAGE: &str = "quay.io/prometheus/prometheus";
const PROBE_TIMEOUT_SECONDS: i32 = 3;

/// The image: `spec.image`, else the base image (a server's `baseImage`,
/// `tag` and `sha` still count) completed with `v<version>`.
pub(super) fn image(
    workload: Workload<'_>,
    version: &Version,
    default_base: &str,
) -> Result<String, StatefulSetError> {
    let cpf = workload.common();
    let set = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
    let (base, tag, sha) = match workload.server() {
        Some(spec) => (set(&spec.base_image), set(&spec.tag), set(&spec.sha)),
        None => (None, None, None),
    };
    image::path(
        cpf.image.as_deref(),
        base.as_deref().unwrap_or(default_base),
        &format!("v{version}"),
        tag.as_deref(),
        sha.as_deref(),
    )
    .map_err(|e| StatefulSetError::new("spec.image", e.to_string()))
}

/// The web port, unless Prometheus listens on localhost only.
pub(super) fn ports(cpf: &CommonPrometheusFields, port_name: &str) -> Option<Vec<ContainerPort>> {
    (cpf.listen_local != Some(true)).then(|| {
        vec![ContainerPort {
            name: Some(port_name.to_owned()),
            container_port: 9090,
            protocol: Some("TCP".to_owned()),
            ..ContainerPort::default()
        }]
    })
}

/// Startup, readiness and liveness probes. `/-/ready` turns OK only after
/// the WAL replay, which may be long: the startup probe allows 15 minutes
/// by default (or `maximumStartupDurationSeconds`) before readiness counts.
pub(super) fn probes(cpf: &CommonPrometheusFields, port_name: &str) -> (Probe, Probe, Probe) {
    let (startup_period, startup_failures) = startup_timing(cpf.maximum_startup_duration_seconds);
    let ready = |period: i32, failures: i32, path: &str| Probe {
        timeout_seconds: Some(PROBE_TIMEOUT_SECONDS),
        period_seconds: Some(period),
        failure_threshold: Some(failures),
        ..handler(cpf, port_name, path)
    };
    (
        ready(startup_period, startup_failures, "/-/ready"),
        ready(5, 3, "/-/ready"),
        ready(5, 6, "/-/healthy"),
    )
}

fn handler(cpf: &CommonPrometheusFields, port_name: &str, path: &str) -> Probe {
    let path = clean_path(&format!("{}{path}", route_prefix(cpf)));
    if cpf.listen_local == Some(true) {
        return Probe {
            exec: Some(exec_get(&format!("http://localhost:9090{path}"))),
            ..Probe::default()
        };
    }
    let https = cpf
        .web
        .as_ref()
        .is_some_and(|w| w.config.tls_config.is_some());
    Probe {
        http_get: Some(HTTPGetAction {
            path: Some(path),
            port: IntOrString::String(port_name.to_owned()),
            scheme: https.then(|| "HTTPS".to_owned()),
            ..HTTPGetAction::default()
        }),
        ..Probe::default()
    }
}

/// (period, failure threshold) of the startup probe: 15 s × 60 by default;
/// from 60 s on, `ceil(max / 60)` failures of `ceil(max / failures)` seconds.
fn startup_timing(maximum: Option<i32>) -> (i32, i32) {
    let maximum = f64::from(maximum.unwrap_or(0));
    if maximum < 60.0 {
        return (15, 60);
    }
    let failures = (maximum / 60.0).ceil();
    ((maximum / failures).ceil() as i32, failures as i32)
}

#[cfg(test)]
mod tests {
    use super::startup_timing;

    #[test]
    fn startup_probe_timing_covers_the_maximum_duration() {
        assert_eq!(startup_timing(None), (15, 60));
        assert_eq!(startup_timing(Some(900)), (60, 15));
        assert_eq!(startup_timing(Some(100)), (50, 2));
    }
}
