//! The alerting chain on the test bed: Prometheus and Alertmanager run by
//! the test-bed kubelet, which has no endpoints controller.
use std::time::{Duration, Instant};

use anyhow::{Result, ensure};
use promop_testenv::RunningPod;

/// The `alertmanager-operated` Service's endpoint in `namespace`: the
/// Alertmanager the kubelet runs on 127.0.0.1:`port`.
pub fn alertmanager_endpoint(namespace: &str, port: u16) -> String {
    format!(
        r#"apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: alertmanager-operated-fqdn
  namespace: {namespace}
  labels: {{kubernetes.io/service-name: alertmanager-operated}}
addressType: FQDN
endpoints:
- addresses: ["127.0.0.1"]
  conditions: {{ready: true}}
ports: [{{name: web, port: {port}, protocol: TCP}}]
"#
    )
}

/// Waits until Prometheus has discovered the Alertmanager at `url`, for at
/// most `timeout`.
pub async fn wait_alertmanager_discovered(
    prom: &mut RunningPod,
    url: &str,
    timeout: Duration,
) -> Result<()> {
    let start = Instant::now();
    loop {
        prom.check_running()?;
        let found = prom.api_get("alertmanagers").await?;
        let active = found["activeAlertmanagers"].as_array();
        if (active.into_iter().flatten())
            .any(|am| am["url"].as_str().is_some_and(|u| u.starts_with(url)))
        {
            return Ok(());
        }
        ensure!(
            start.elapsed() < timeout,
            "Prometheus did not discover the Alertmanager {url}: {found}\n{}",
            prom.log_tail(20)
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
