//! Checks of the workload's own TLS settings (remote write/read, alerting,
//! tracing, API server access): the reference refuses to reconcile a
//! Prometheus whose TLS config names a file and a Secret for the same item,
//! or a client certificate without its key.
use promop_api::common::TlsConfig;
use promop_api::v1::Prometheus;
use promop_api::v1::prometheus::CommonPrometheusFields;

use super::tls::validate_tls_with_files;
use crate::select::reasons::Rejection;

/// The first invalid TLS config of the workload, if any.
pub fn validate_workload_tls(
    common: &CommonPrometheusFields,
    server: Option<&Prometheus>,
) -> Result<(), Rejection> {
    let mut configs: Vec<(String, &TlsConfig)> = Vec::new();
    for (i, rw) in common.remote_write.iter().flatten().enumerate() {
        configs.extend(
            rw.tls_config
                .as_ref()
                .map(|t| (format!("spec.remoteWrite[{i}].tlsConfig"), t)),
        );
    }
    if let Some(t) = common
        .apiserver_config
        .as_ref()
        .and_then(|a| a.tls_config.as_ref())
    {
        configs.push(("spec.apiserverConfig.tlsConfig".into(), t));
    }
    if let Some(t) = common
        .tracing_config
        .as_ref()
        .and_then(|t| t.tls_config.as_ref())
    {
        configs.push(("spec.tracingConfig.tlsConfig".into(), t));
    }
    if let Some(spec) = server.map(|p| &p.spec) {
        for (i, rr) in spec.remote_read.iter().flatten().enumerate() {
            configs.extend(
                rr.tls_config
                    .as_ref()
                    .map(|t| (format!("spec.remoteRead[{i}].tlsConfig"), t)),
            );
        }
        let alertmanagers = spec.alerting.iter().flat_map(|a| a.alertmanagers.iter());
        for (i, am) in alertmanagers.enumerate() {
            let path = format!("spec.alerting.alertmanagers[{i}].tlsConfig");
            configs.extend(am.tls_config.as_ref().map(|t| (path, t)));
        }
    }
    configs
        .into_iter()
        .try_for_each(|(path, tls)| validate_tls_with_files(tls, &path))
}
