//! Checks of the workload's own TLS settings (remote write/read, alerting,
//! tracing, API server access, scrape classes): the reference refuses to
//! reconcile a Prometheus whose TLS config names a file and a Secret for the
//! same item, a client certificate without its key, or a CA, certificate or
//! key that is missing or does not parse (it loads them as TLS assets).
//!
//! Two deliberate differences (`conformance/known-differences.md`), both
//! where the reference would write a configuration naming a file it never
//! writes: the tracing TLS config is checked like the others (the reference
//! neither loads nor writes its files; promop writes them), and an empty CA,
//! certificate or key is refused.
use promop_api::common::TlsConfig;
use promop_api::v1::Prometheus;
use promop_api::v1::prometheus::{CommonPrometheusFields, RemoteWriteSpec};

use super::tls::validate_tls_with_files;
use super::{Validator, join};
use crate::select::file_access::MonitorFileAccess;
use crate::select::reasons::Rejection;
use crate::snapshot::Snapshot;

/// The first invalid TLS config of the workload (in `namespace`), if any.
pub fn validate_workload_tls(
    snapshot: &Snapshot,
    namespace: &str,
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
    for (i, class) in common.scrape_classes.iter().flatten().enumerate() {
        let path = format!("spec.scrapeClasses[{i}].tlsConfig");
        configs.extend(class.tls_config.as_ref().map(|t| (path, t)));
    }
    // The assets do not depend on the version.
    let validator = Validator {
        snapshot,
        workload: common,
        namespace,
        version: crate::prometheus::Version::from(semver::Version::new(0, 0, 0)),
        monitor_file_access: MonitorFileAccess::All,
        lookups: None,
    };
    configs.into_iter().try_for_each(|(path, tls)| {
        validate_tls_with_files(tls, &path)?;
        validator.tls_assets(namespace, &tls.safe, &path)
    })
}

/// The reference's `AddRemoteWriteToStore` for a Thanos Ruler (in
/// `namespace`): every Secret and ConfigMap its `remoteWrite` entries
/// reference must hold the key, and TLS material must parse.
pub fn validate_remote_write(
    snapshot: &Snapshot,
    namespace: &str,
    remote_write: &[RemoteWriteSpec],
) -> Result<(), Rejection> {
    static NO_PROMETHEUS_FIELDS: std::sync::LazyLock<CommonPrometheusFields> =
        std::sync::LazyLock::new(Default::default);
    let validator = Validator {
        snapshot,
        workload: &NO_PROMETHEUS_FIELDS,
        namespace,
        version: crate::prometheus::Version::from(semver::Version::new(0, 0, 0)),
        monitor_file_access: MonitorFileAccess::All,
        lookups: None,
    };
    for (i, rw) in remote_write.iter().enumerate() {
        let path = format!("spec.remoteWrite[{i}]");
        validator.basic_auth(namespace, rw.basic_auth.as_ref(), &join(&path, "basicAuth"))?;
        validator.oauth2(namespace, rw.oauth2.as_ref(), &join(&path, "oauth2"))?;
        validator.tls_with_files(namespace, rw.tls_config.as_ref(), &join(&path, "tlsConfig"))?;
        validator.proxy(namespace, &rw.proxy, &path)?;
        if let Some(sigv4) = &rw.sigv4 {
            for (field, key) in [
                ("accessKey", &sigv4.access_key),
                ("secretKey", &sigv4.secret_key),
            ] {
                if let Some(key) = key {
                    validator.secret_key(
                        namespace,
                        key,
                        &join(&path, &format!("sigv4.{field}")),
                    )?;
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifests::{Loaded, Strictness};

    /// A self-signed certificate (the one of the select fixtures).
    const CA: &str = "-----BEGIN CERTIFICATE-----\n\
        MIIBgjCCASmgAwIBAgIUcTYvR5mF4lV8kcyKRy19B/NhkyIwCgYIKoZIzj0EAwIw\n\
        FjEUMBIGA1UEAwwLcHJvbW9wLXRlc3QwIBcNMjYxMTI1MTgwOTA1WhgPMjEyNjEx\n\
        MDExODA5MDVaMBYxFDASBgNVBAMMC3Byb21vcC10ZXN0MFkwEwYHKoZIzj0CAQYI\n\
        KoZIzj0DAQcDQgAErBRnLzFvJwa1c/c4rEmFqfO8zv7wiAhtYAy6vG5lLUSc2+9R\n\
        vwmEiujuH2NgYM2m+41ehWMW4zu7jZZ3KGhJuKNTMFEwHQYDVR0OBBYEFLlfkkJa\n\
        IcCwHBdFI+GxVPMWVSCoMB8GA1UdIwQYMBaAFLlfkkJaIcCwHBdFI+GxVPMWVSCo\n\
        MA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDRwAwRAIgA+CQohjSM0y6biKx\n\
        Hu9tPuPv2xlfeSh7IFLjdzmCabACIGL7iDxOZYmVFC/4cBzm/OOr8UUROkglHEJZ\n\
        Ha/JA9DV\n\
        -----END CERTIFICATE-----\n";

    fn check(spec: &str, secret: &str) -> Result<(), Rejection> {
        let manifests = format!(
            "apiVersion: v1\nkind: Secret\nmetadata: {{name: s, namespace: ns}}\n\
             stringData: {secret}\n---\n\
             apiVersion: monitoring.coreos.com/v1\nkind: Prometheus\n\
             metadata: {{name: p, namespace: ns}}\nspec: {spec}\n"
        );
        let mut loaded = Loaded::default();
        loaded
            .add_yaml("t", &manifests, "ns", Strictness::ObjectsOnly)
            .unwrap();
        let s = &loaded.snapshot;
        let p = &s.prometheuses[0];
        validate_workload_tls(s, "ns", &p.spec.common, Some(p))
    }

    #[test]
    fn a_missing_or_empty_asset_of_the_workload_is_refused() {
        let tracing = "{tracingConfig: {endpoint: 'otel:4317', tlsConfig: {ca: {secret: {name: s, key: ca}}}}}";
        let err = check(tracing, "{other: x}").unwrap_err();
        assert_eq!(err.path, "spec.tracingConfig.tlsConfig.ca.secret");
        assert!(err.message().contains("not found"), "{err}");
        let err = check(tracing, "{ca: ''}").unwrap_err();
        assert_eq!(err.path, "spec.tracingConfig.tlsConfig.ca");
        assert!(err.message().contains("empty"), "{err}");
        let remote_write = "{remoteWrite: [{url: 'https://rw', tlsConfig: {ca: {configMap: {name: m, key: ca}}}}]}";
        let err = check(remote_write, "{}").unwrap_err();
        assert_eq!(err.path, "spec.remoteWrite[0].tlsConfig.ca.configMap");
        let class = "{scrapeClasses: [{name: c, tlsConfig: {cert: {secret: {name: s, key: crt}}, \
                     keySecret: {name: s, key: key}}}]}";
        let err = check(class, "{crt: x, key: ''}").unwrap_err();
        assert_eq!(err.path, "spec.scrapeClasses[0].tlsConfig.keySecret");
    }

    #[test]
    fn a_workload_whose_assets_are_there_passes() {
        let tracing = "{tracingConfig: {endpoint: 'otel:4317', tlsConfig: {ca: {secret: {name: s, key: ca}}}}}";
        let secret = format!("{{ca: {CA:?}}}");
        assert_eq!(check(tracing, &secret), Ok(()));
        let err = check(tracing, "{ca: not a certificate}").unwrap_err();
        assert!(err.message().contains("PEM"), "{err}");
        assert_eq!(check("{}", "{}"), Ok(()));
        // Files the user names are the user's.
        let files = "{remoteWrite: [{url: 'https://rw', tlsConfig: {caFile: /etc/ca.crt}}]}";
        assert_eq!(check(files, "{}"), Ok(()));
    }
}
