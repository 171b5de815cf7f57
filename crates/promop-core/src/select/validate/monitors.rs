//! ServiceMonitor, PodMonitor and Probe checks (`checkServiceMonitor`,
//! `checkPodMonitor`, `checkProbe` of the reference), in its order.
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::LazyLock;

use promop_api::common::SelectorMechanism;
use promop_api::v1::{PodMonitor, Probe, ServiceMonitor};
use regex::Regex;

use super::http::{validate_credentials, validate_http};
use super::relabel::{is_valid_label_name, validate_relabel_configs};
use super::secrets::{prefixed, validate_proxy};
use super::tls::validate_tls_with_files;
use super::{Checked, Validator, join};
use crate::prometheus::Feature;
use crate::prometheus::version::needs;
use crate::select::label_selector::Selector;
use crate::select::reasons::{Rejection, RejectionKind};

impl Validator<'_> {
    pub fn check_service_monitor(&self, monitor: &ServiceMonitor) -> Checked {
        let ns = monitor.metadata.namespace.as_deref().unwrap_or_default();
        let spec = &monitor.spec;
        Selector::new(&spec.selector)
            .map_err(|e| Rejection::new("spec.selector", e.to_string()))?;
        self.selector_mechanism(spec.selector_mechanism)?;
        let file_denial = self.file_denial(ns);
        for (i, endpoint) in spec.endpoints.iter().enumerate() {
            let path = format!("spec.endpoints[{i}]");
            let http = &endpoint.http.http.http;
            let tls = endpoint.http.http.tls_config.as_ref();
            if let Some(why) = &file_denial {
                no_file_access(endpoint, &path, why)?;
            }
            validate_credentials(http, &path)?;
            if let Some(tls) = tls {
                validate_tls_with_files(tls, &join(&path, "tlsConfig"))
                    .map_err(|e| prefixed(e, "tlsConfig"))?;
            }
            validate_proxy(&endpoint.http.proxy, &path)?;
            if let Some(secret) = http
                .bearer_token_secret
                .as_ref()
                .filter(|s| !s.name.is_empty())
            {
                self.secret_key(ns, secret, &join(&path, "bearerTokenSecret"))?;
            }
            self.basic_auth(ns, http.basic_auth.as_ref(), &join(&path, "basicAuth"))?;
            self.tls_with_files(ns, tls, &join(&path, "tlsConfig"))?;
            self.oauth2(ns, http.oauth2.as_ref(), &join(&path, "oauth2"))?;
            self.safe_authorization(
                ns,
                http.authorization.as_ref(),
                &join(&path, "authorization"),
            )?;
            self.interval_and_timeout(
                endpoint.interval.as_deref(),
                endpoint.scrape_timeout.as_deref(),
                &path,
            )?;
            self.relabelings(endpoint.relabelings.as_ref(), &join(&path, "relabelings"))?;
            self.relabelings(
                endpoint.metric_relabelings.as_ref(),
                &join(&path, "metricRelabelings"),
            )?;
            self.proxy(ns, &endpoint.http.proxy, &path)?;
        }
        self.scrape_class(spec.scrape_class.as_ref(), "spec.scrapeClass")
    }

    pub fn check_pod_monitor(&self, monitor: &PodMonitor) -> Checked {
        let ns = monitor.metadata.namespace.as_deref().unwrap_or_default();
        let spec = &monitor.spec;
        Selector::new(&spec.selector).map_err(|e| {
            Rejection::new(
                "spec.selector",
                format!("failed to parse label selector: {e}"),
            )
        })?;
        self.selector_mechanism(spec.selector_mechanism)?;
        let endpoints = spec.pod_metrics_endpoints.as_deref().unwrap_or_default();
        for (i, endpoint) in endpoints.iter().enumerate() {
            let path = format!("spec.podMetricsEndpoints[{i}]");
            self.interval_and_timeout(
                endpoint.interval.as_deref(),
                endpoint.scrape_timeout.as_deref(),
                &path,
            )?;
            self.relabelings(endpoint.relabelings.as_ref(), &join(&path, "relabelings"))?;
            self.relabelings(
                endpoint.metric_relabelings.as_ref(),
                &join(&path, "metricRelabelings"),
            )?;
            let http = &endpoint.http.http.http;
            let tls = endpoint.http.http.tls_config.as_ref();
            validate_http(http, tls, &path)?;
            validate_proxy(&endpoint.http.proxy, &path)?;
            if let Some(secret) = http
                .bearer_token_secret
                .as_ref()
                .filter(|s| !s.name.is_empty() && !s.key.is_empty())
            {
                self.secret_key(ns, secret, &join(&path, "bearerTokenSecret"))?;
            }
            self.basic_auth(ns, http.basic_auth.as_ref(), &join(&path, "basicAuth"))?;
            self.safe_tls(ns, tls, &join(&path, "tlsConfig"))?;
            self.oauth2(ns, http.oauth2.as_ref(), &join(&path, "oauth2"))?;
            self.safe_authorization(
                ns,
                http.authorization.as_ref(),
                &join(&path, "authorization"),
            )?;
            self.proxy(ns, &endpoint.http.proxy, &path)?;
        }
        self.scrape_class(spec.scrape_class.as_ref(), "spec.scrapeClass")
    }

    /// The reference validates a Probe's credentials one by one (no
    /// mutual-exclusion check, unlike the monitors).
    pub fn check_probe(&self, probe: &Probe) -> Checked {
        let ns = probe.metadata.namespace.as_deref().unwrap_or_default();
        let spec = &probe.spec;
        self.scrape_class(spec.scrape_class.as_ref(), "spec.scrapeClass")?;
        let targets = spec.targets.clone().unwrap_or_default();
        if targets.static_config.is_none() && targets.ingress.is_none() {
            return Err(Rejection::new(
                "spec.targets",
                "at least one of .spec.targets.staticConfig and .spec.targets.ingress is required",
            ));
        }
        let http = &spec.http.http;
        if let Some(secret) = &http.bearer_token_secret {
            self.secret_key(ns, secret, "spec.bearerTokenSecret")?;
        }
        self.basic_auth(ns, http.basic_auth.as_ref(), "spec.basicAuth")?;
        self.safe_tls(ns, spec.http.tls_config.as_ref(), "spec.tlsConfig")?;
        self.safe_authorization(ns, http.authorization.as_ref(), "spec.authorization")?;
        self.oauth2(ns, http.oauth2.as_ref(), "spec.oauth2")?;
        self.interval_and_timeout(
            spec.interval.as_deref(),
            spec.scrape_timeout.as_deref(),
            "spec",
        )?;
        self.relabelings(spec.metric_relabelings.as_ref(), "spec.metricRelabelings")?;
        if let Some(static_config) = &targets.static_config {
            self.static_labels(
                static_config.labels.as_ref(),
                "spec.targets.staticConfig.labels",
            )?;
            self.relabelings(
                static_config.relabeling_configs.as_ref(),
                "spec.targets.staticConfig.relabelingConfigs",
            )?;
        }
        if let Some(ingress) = &targets.ingress {
            self.relabelings(
                ingress.relabeling_configs.as_ref(),
                "spec.targets.ingress.relabelingConfigs",
            )?;
        }
        let prober = spec.prober.clone().unwrap_or_default();
        self.proxy(ns, &prober.proxy, "spec.prober")
            .map_err(|e| prefixed(e, "proxy configuration"))?;
        validate_prober_url(&prober.url).map_err(|e| {
            let context = format!(
                "{:?} url specified in proberSpec is invalid, it should be of the format `hostname` or `hostname:port`",
                prober.url
            );
            Rejection::new("spec.prober.url", e.context(&context))
        })
    }

    pub(super) fn relabelings(
        &self,
        configs: Option<&Vec<promop_api::common::RelabelConfig>>,
        path: &str,
    ) -> Checked {
        validate_relabel_configs(configs, &self.version, path)
    }

    /// Static label names must be valid for the Prometheus version (checked
    /// in sorted order, as the reference does).
    pub(super) fn static_labels(
        &self,
        labels: Option<&BTreeMap<String, String>>,
        path: &str,
    ) -> Checked {
        match labels.into_iter().flatten().find(|(name, _)| {
            !is_valid_label_name(name, self.version.supports(Feature::Utf8LabelNames))
        }) {
            Some((name, _)) => Err(Rejection::new(path, format!("invalid label {name:?}"))),
            None => Ok(()),
        }
    }

    fn selector_mechanism(&self, mechanism: Option<SelectorMechanism>) -> Checked {
        if mechanism != Some(SelectorMechanism::RoleSelector) {
            return Ok(());
        }
        needs(&self.version, Feature::RoleSelector, |min| {
            format!(
                "RoleSelector selectorMechanism is only supported in Prometheus {min} and newer"
            )
        })
        .map_err(|kind| Rejection::new("spec.selectorMechanism", kind))
    }

    /// Why a monitor of `namespace` may not read files of the Prometheus
    /// container: `arbitraryFSAccessThroughSMs.deny` (the reference's words),
    /// then the operator's `--monitor-file-access`.
    fn file_denial(&self, namespace: &str) -> Option<String> {
        let spec_denies = self
            .workload
            .arbitrary_fs_access_through_sms
            .as_ref()
            .and_then(|a| a.deny)
            .unwrap_or(false);
        if spec_denies {
            return Some("which Prometheus specification prohibits".to_owned());
        }
        self.monitor_file_access.denial(namespace, self.namespace)
    }
}

/// An endpoint that may not read files names none.
fn no_file_access(
    endpoint: &promop_api::v1::service_monitor::Endpoint,
    path: &str,
    why: &str,
) -> Checked {
    if endpoint
        .bearer_token_file
        .as_deref()
        .is_some_and(|f| !f.is_empty())
    {
        return Err(Rejection::new(
            join(path, "bearerTokenFile"),
            format!("it accesses file system via bearer token file {why}"),
        ));
    }
    let Some(tls) = &endpoint.http.http.tls_config else {
        return Ok(());
    };
    let files = &tls.files;
    for (field, value) in [
        ("caFile", &files.ca_file),
        ("certFile", &files.cert_file),
        ("keyFile", &files.key_file),
    ] {
        if value.as_deref().is_some_and(|v| !v.is_empty()) {
            return Err(Rejection::new(
                join(path, &format!("tlsConfig.{field}")),
                format!("it accesses file system via tls config {why}"),
            ));
        }
    }
    Ok(())
}

/// govalidator's DNS name pattern.
static DNS_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^([a-zA-Z0-9_][a-zA-Z0-9_-]{0,62})(\.[a-zA-Z0-9_][a-zA-Z0-9_-]{0,62})*[._]?$")
        .expect("static regex")
});

/// govalidator's `IsHost`: an IP address or a DNS name.
fn is_host(host: &str) -> bool {
    if host.parse::<IpAddr>().is_ok() {
        return true;
    }
    !host.is_empty() && host.replace('.', "").len() <= 255 && DNS_NAME.is_match(host)
}

/// The prober URL is `host` or `host:port` (IPv6 in brackets with a port).
fn validate_prober_url(url: &str) -> Result<(), RejectionKind> {
    let Some((host, port)) = split_host_port(url) else {
        return if is_host(url) {
            Ok(())
        } else {
            Err(format!("invalid host: {url:?}").into())
        };
    };
    if !is_host(host) {
        return Err(format!("invalid host: {host:?}").into());
    }
    if !port.parse::<u32>().is_ok_and(|p| (1..65536).contains(&p)) {
        return Err(format!("invalid port: {port:?}").into());
    }
    Ok(())
}

/// Go's `net.SplitHostPort`, returning `None` where it fails.
fn split_host_port(address: &str) -> Option<(&str, &str)> {
    if let Some(rest) = address.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = after.strip_prefix(':')?;
        if port.contains(':') || host.contains(['[', ']']) {
            return None;
        }
        return Some((host, port));
    }
    let (host, port) = address.rsplit_once(':')?;
    if host.contains([':', '[', ']']) || port.contains(['[', ']']) {
        return None;
    }
    Some((host, port))
}
