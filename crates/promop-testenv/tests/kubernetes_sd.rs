//! A real Prometheus v3 discovers, through the local apiserver, targets the
//! test declares as EndpointSlice (role endpointslice, `api_server` +
//! `tls_config` + `authorization`) and Endpoints (role endpoints,
//! `kubeconfig_file`), and scrapes them (`up == 1`).
//!
//! The apiserver refuses loopback addresses in Endpoints and in IPv4/IPv6
//! EndpointSlices. An EndpointSlice of addressType FQDN may name
//! "127.0.0.1", which Prometheus scrapes as is; the Endpoints object carries
//! a documentation address (192.0.2.10, never contacted) that the job's
//! relabeling rewrites to 127.0.0.1.

use std::time::{Duration, Instant};

use anyhow::{Result, ensure};
use promop_testenv::{
    MetricsServer, PrometheusProcess, PrometheusVersion, TestEnv, apply_manifests,
};

const NS: &str = "sd-test";

fn objects(port: u16) -> String {
    format!(
        r#"apiVersion: v1
kind: Service
metadata: {{name: app, namespace: {NS}, labels: {{app: app}}}}
spec:
  ports: [{{name: web, port: {port}, protocol: TCP}}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: app-fqdn
  namespace: {NS}
  labels: {{kubernetes.io/service-name: app}}
addressType: FQDN
endpoints:
- addresses: ["127.0.0.1"]
  conditions: {{ready: true}}
ports: [{{name: web, port: {port}, protocol: TCP}}]
---
apiVersion: v1
kind: Endpoints
metadata: {{name: app, namespace: {NS}, labels: {{app: app}}}}
subsets:
- addresses: [{{ip: 192.0.2.10}}]
  ports: [{{name: web, port: {port}, protocol: TCP}}]
"#
    )
}

fn prometheus_config(env: &TestEnv) -> String {
    format!(
        r#"global:
  scrape_interval: 1s
scrape_configs:
- job_name: eps
  kubernetes_sd_configs:
  - role: endpointslice
    api_server: {server}
    tls_config: {{ca_file: {ca}}}
    authorization: {{credentials_file: {token}}}
    namespaces: {{names: [{NS}]}}
  relabel_configs:
  - {{source_labels: [__meta_kubernetes_service_name], regex: app, action: keep}}
  - {{source_labels: [__meta_kubernetes_endpointslice_port_name], regex: web, action: keep}}
- job_name: ep
  kubernetes_sd_configs:
  - role: endpoints
    kubeconfig_file: {kubeconfig}
    namespaces: {{names: [{NS}]}}
  relabel_configs:
  - {{source_labels: [__meta_kubernetes_service_name], regex: app, action: keep}}
  - {{source_labels: [__meta_kubernetes_endpoint_port_name], regex: web, action: keep}}
  - {{source_labels: [__address__], regex: '192\.0\.2\.10:(\d+)', target_label: __address__, replacement: '127.0.0.1:$1'}}
"#,
        server = env.server_url(),
        ca = env.ca_cert_path().display(),
        token = env.admin_token_path().display(),
        kubeconfig = env.kubeconfig_path().display(),
    )
}

#[tokio::test]
async fn prometheus_v3_discovers_endpointslices_and_endpoints() -> Result<()> {
    let t0 = Instant::now();
    let env = TestEnv::start().await?;
    let target = MetricsServer::start("# TYPE app_info gauge\napp_info 1\n").await?;
    apply_manifests(&env.client(), &objects(target.port())).await?;

    let config = prometheus_config(&env);
    PrometheusVersion::V3.check_config(&config, &[])?;
    let mut prom = PrometheusProcess::start(PrometheusVersion::V3, &config, &[]).await?;

    let instance = format!("127.0.0.1:{}", target.port());
    for job in ["eps", "ep"] {
        let up = prom
            .wait_for_query(
                &format!("up{{job=\"{job}\"}}"),
                Duration::from_secs(60),
                |v| v.iter().any(|(_, x)| *x == 1.0),
            )
            .await?;
        ensure!(up.len() == 1, "{job}: {up:?}");
        ensure!(up[0].0["instance"] == instance.as_str(), "{job}: {up:?}");
        ensure!(
            up[0].0["namespace"].is_null(),
            "no namespace label without relabeling"
        );
    }
    let targets = prom.active_targets().await?;
    let eps = targets
        .iter()
        .find(|t| t["labels"]["job"] == "eps")
        .expect("eps target");
    ensure!(
        eps["discoveredLabels"]["__meta_kubernetes_endpointslice_address_type"] == "FQDN",
        "{eps}"
    );
    ensure!(target.scrapes() >= 2);
    eprintln!("both jobs up after {:?}", t0.elapsed());
    Ok(())
}
