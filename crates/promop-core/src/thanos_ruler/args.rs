//! The arguments of `thanos rule`, in the reference's order.
use promop_api::common::{GrpcServerTlsConfig, TlsVersion};
use promop_api::v1::workload::Argument;

use super::Context;
use super::volumes::{CONFIG_DIR, DATA_DIR, RULES_DIR, optional_config};
use crate::k8s::StatefulSetError;
use crate::k8s::args::{self, flag};
use crate::k8s::pod::string_of;
use crate::version::thanos::{Feature, Version};

/// Why a ThanosRuler cannot run: it queries nothing.
fn no_query(name: &str) -> StatefulSetError {
    StatefulSetError::new(
        "spec.queryEndpoints",
        format!(
            "{name}: thanos ruler requires query config or at least one query endpoint to be specified"
        ),
    )
}

/// `rule`, the generated flags, the user's `additionalArgs`, then the web
/// configuration file (which additional arguments may repeat, as in the
/// reference).
pub(super) fn build(ctx: &Context<'_>) -> Result<Vec<String>, StatefulSetError> {
    let generated = flags(ctx)?;
    let additional = ctx.spec.additional_args.as_deref().unwrap_or_default();
    let mut out = vec!["rule".to_owned()];
    out.extend(
        args::build(&generated, additional)
            .map_err(|e| StatefulSetError::new("spec.additionalArgs", e.to_string()))?,
    );
    if ctx.web_config {
        out.push(format!("--http.config={WEB_CONFIG_FILE}"));
    }
    Ok(out)
}

const WEB_CONFIG_FILE: &str = "/etc/thanos/web_config/web-config.yaml";

fn flags(ctx: &Context<'_>) -> Result<Vec<Argument>, StatefulSetError> {
    let spec = ctx.spec;
    let v = &ctx.version;
    let text = |value: &Option<promop_api::common::Duration>| {
        value
            .as_ref()
            .map(|d| d.0.clone())
            .filter(|d| !d.is_empty())
    };
    let mut out = vec![
        flag("data-dir", DATA_DIR),
        flag(
            "eval-interval",
            text(&spec.evaluation_interval).unwrap_or_else(|| "15s".to_owned()),
        ),
        flag(
            "tsdb.retention",
            text(&spec.retention).unwrap_or_else(|| "24h".to_owned()),
        ),
    ];
    let gated = [
        (
            "rule-query-offset",
            text(&spec.rule_query_offset),
            Feature::RuleQueryOffset,
        ),
        (
            "rule-concurrent-evaluation",
            spec.rule_concurrent_eval
                .filter(|n| *n > 0)
                .map(|n| n.to_string()),
            Feature::RuleConcurrentEval,
        ),
        (
            "for-outage-tolerance",
            text(&spec.rule_outage_tolerance),
            Feature::RuleOutageTolerance,
        ),
        (
            "for-grace-period",
            text(&spec.rule_grace_period),
            Feature::RuleOutageTolerance,
        ),
    ];
    for (name, value, feature) in gated {
        if let Some(value) = value.filter(|_| v.supports(feature)) {
            out.push(flag(name, value));
        }
    }
    if let Some(delay) = text(&spec.resend_delay) {
        out.push(flag("resend-delay", delay));
    }
    if let Some(features) = spec.enable_features.as_ref().filter(|f| !f.is_empty())
        && v.supports(Feature::EnableFeature)
    {
        out.push(flag("enable-feature", features.join(",")));
    }
    // Neither escaped nor de-duplicated, as in the reference.
    out.push(flag("label", r#"thanos_ruler_replica="$(POD_NAME)""#));
    for (key, value) in spec.labels.iter().flatten() {
        out.push(flag("label", format!("{key}=\"{value}\"")));
    }
    out.push(flag("alert.label-drop", "thanos_ruler_replica"));
    for label in spec.alert_drop_labels.iter().flatten() {
        out.push(flag("alert.label-drop", label.as_str()));
    }
    if ctx.listen_local {
        out.push(flag("http-address", "localhost:10902"));
    }
    if let Some(level) = spec
        .log_level
        .as_ref()
        .map(string_of)
        .filter(|l| !l.is_empty() && l != "info")
    {
        out.push(flag("log.level", level));
    }
    if let Some(format) = spec
        .log_format
        .as_ref()
        .map(string_of)
        .filter(|f| !f.is_empty())
    {
        out.push(flag("log.format", format));
    }
    out.push(flag("rule-file", format!("{RULES_DIR}/*/*.yaml")));
    if spec.remote_write.as_ref().is_some_and(|r| !r.is_empty())
        && v.supports(Feature::RulerRemoteWrite)
    {
        out.push(flag(
            "remote-write.config-file",
            format!(
                "{CONFIG_DIR}/remote-write-config/{}",
                super::remote_write::FILE
            ),
        ));
    }
    match (&spec.query_config, spec.query_endpoints.as_deref()) {
        (Some(config), _) => out.push(flag(
            "query.config-file",
            optional_config("query-config", &config.key),
        )),
        (None, Some(endpoints)) if !endpoints.is_empty() => {
            out.extend(endpoints.iter().map(|e| flag("query", e.as_str())));
        }
        _ => return Err(no_query(ctx.name)),
    }
    match (
        &spec.alertmanagers_config,
        spec.alertmanagers_url.as_deref(),
    ) {
        (Some(config), _) => out.push(flag(
            "alertmanagers.config-file",
            optional_config("alertmanager-config", &config.key),
        )),
        (None, Some(urls)) => {
            out.extend(urls.iter().map(|u| flag("alertmanagers.url", u.as_str())))
        }
        (None, None) => {}
    }
    let file_or_secret = |file: &Option<String>, secret: Option<&str>, volume: &str| {
        file.clone()
            .or_else(|| secret.map(|key| optional_config(volume, key)))
    };
    if let Some(path) = file_or_secret(
        &spec.object_storage_config_file,
        spec.object_storage_config.as_ref().map(|s| s.key.as_str()),
        "objstorage-config",
    ) {
        out.push(flag("objstore.config-file", path));
    }
    if let Some(path) = file_or_secret(
        &spec.tracing_config_file.clone().filter(|f| !f.is_empty()),
        spec.tracing_config.as_ref().map(|s| s.key.as_str()),
        "tracing-config",
    ) {
        out.push(flag("tracing.config-file", path));
    }
    if let Some(path) = file_or_secret(
        &spec.alert_relabel_config_file,
        spec.alert_relabel_configs.as_ref().map(|s| s.key.as_str()),
        "alertrelabel-config",
    ) {
        out.push(flag("alert.relabel-config-file", path));
    }
    if let Some(tls) = &spec.grpc_server_tls_config {
        out.extend(grpc_server_tls(tls, v));
    }
    for (name, value) in [
        ("web.external-prefix", &spec.external_prefix),
        ("web.route-prefix", &spec.route_prefix),
        ("alert.query-url", &spec.alert_query_url),
    ] {
        if let Some(value) = value.as_deref().filter(|v| !v.is_empty()) {
            out.push(flag(name, value));
        }
    }
    Ok(out)
}

/// The gRPC server's TLS flags of a Thanos component (Ruler or sidecar):
/// files, minimum version (0.37), one flag per cipher suite and curve (0.42).
pub(crate) fn grpc_server_tls(tls: &GrpcServerTlsConfig, version: &Version) -> Vec<Argument> {
    let mut out = Vec::new();
    let files = &tls.tls.files;
    for (name, value) in [
        ("grpc-server-tls-cert", &files.cert_file),
        ("grpc-server-tls-key", &files.key_file),
        ("grpc-server-tls-client-ca", &files.ca_file),
    ] {
        if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
            out.push(flag(name, v));
        }
    }
    if let Some(min) = tls
        .tls
        .safe
        .min_version
        .filter(|_| version.supports(Feature::GrpcServerTlsMinVersion))
    {
        let v = match min {
            TlsVersion::Tls10 => "1.0",
            TlsVersion::Tls11 => "1.1",
            TlsVersion::Tls12 => "1.2",
            TlsVersion::Tls13 => "1.3",
        };
        out.push(flag("grpc-server-tls-min-version", v));
    }
    for (name, list) in [
        ("grpc-server-tls-ciphers", &tls.cipher_suites),
        ("grpc-server-tls-curves", &tls.curves),
    ] {
        if let Some(list) = list
            .as_ref()
            .filter(|l| !l.is_empty() && version.supports(Feature::GrpcServerTlsCiphersAndCurves))
        {
            // One flag per value (0.93.1 fixed the comma-joined list, which
            // Thanos rejects).
            out.extend(list.iter().map(|value| flag(name, value.as_str())));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use promop_api::v1::ThanosRuler;

    use super::*;
    use crate::desired::OperatorOptions;

    fn args(spec: &str) -> Result<Vec<String>, StatefulSetError> {
        let ruler: ThanosRuler = serde_saphyr::from_str(&format!(
            "apiVersion: monitoring.coreos.com/v1\nkind: ThanosRuler\n\
             metadata: {{name: main, namespace: ns}}\nspec: {spec}\n"
        ))
        .unwrap();
        let options = OperatorOptions::default();
        let maps = ["thanos-ruler-main-rulefiles-0".to_owned()];
        build(&Context::new(&ruler, &maps, &options)?)
    }

    const GATED: &str = "queryEndpoints: [q], ruleQueryOffset: 1m, ruleConcurrentEval: 2, \
                         ruleOutageTolerance: 1h, ruleGracePeriod: 5m, resendDelay: 2m, \
                         enableFeatures: [a, b]";

    #[test]
    fn flags_follow_the_version_gates() {
        let old = args(&format!("{{version: v0.29.0, {GATED}}}")).unwrap();
        assert_eq!(
            old,
            [
                "rule",
                "--data-dir=/thanos/data",
                "--eval-interval=15s",
                "--tsdb.retention=24h",
                "--resend-delay=2m",
                "--label=thanos_ruler_replica=\"$(POD_NAME)\"",
                "--alert.label-drop=thanos_ruler_replica",
                "--rule-file=/etc/thanos/rules/*/*.yaml",
                "--query=q",
                "--http.config=/etc/thanos/web_config/web-config.yaml",
            ]
        );
        let new = args(&format!("{{version: v0.39.0, {GATED}}}")).unwrap();
        for flag in [
            "--rule-query-offset=1m",
            "--rule-concurrent-evaluation=2",
            "--for-outage-tolerance=1h",
            "--for-grace-period=5m",
            "--enable-feature=a,b",
        ] {
            assert!(new.contains(&flag.to_owned()), "{flag} in {new:?}");
        }
        let ancient = args("{version: v0.20.0, queryEndpoints: [q]}").unwrap();
        assert!(!ancient.iter().any(|a| a.starts_with("--http.config")));
    }

    #[test]
    fn labels_are_sorted_after_the_replica_label_and_not_deduplicated() {
        let flags = args(
            "{version: v0.42.4, queryEndpoints: [q], labels: {z: '1', thanos_ruler_replica: x}, \
             alertDropLabels: [b, a]}",
        )
        .unwrap();
        let labels: Vec<&String> = flags
            .iter()
            .filter(|f| f.starts_with("--label") || f.starts_with("--alert.label-drop"))
            .collect();
        assert_eq!(
            labels,
            [
                "--label=thanos_ruler_replica=\"$(POD_NAME)\"",
                "--label=thanos_ruler_replica=\"x\"",
                "--label=z=\"1\"",
                "--alert.label-drop=thanos_ruler_replica",
                "--alert.label-drop=b",
                "--alert.label-drop=a",
            ]
        );
    }

    #[test]
    fn a_ruler_must_query_something_and_may_not_override_managed_flags() {
        let none = args("{version: v0.42.4}").unwrap_err();
        assert!(
            none.to_string()
                .contains("main: thanos ruler requires query config")
        );
        let config_wins =
            args("{version: v0.42.4, queryEndpoints: [q], queryConfig: {name: s, key: q.yaml}}")
                .unwrap();
        assert!(
            config_wins
                .contains(&"--query.config-file=/etc/thanos/config/query-config/q.yaml".to_owned())
        );
        assert!(!config_wins.iter().any(|a| a.starts_with("--query=")));
        let clash = args(
            "{version: v0.42.4, queryEndpoints: [q], additionalArgs: [{name: label, value: a}]}",
        )
        .unwrap_err();
        assert!(
            clash
                .to_string()
                .contains("already managed by the operator: label"),
            "{clash}"
        );
        // The web configuration flag is not protected: it comes last, twice.
        let twice = args(
            "{version: v0.42.4, queryEndpoints: [q], additionalArgs: [{name: http.config, value: /x}]}",
        )
        .unwrap();
        assert_eq!(
            &twice[twice.len() - 2..],
            [
                "--http.config=/x",
                "--http.config=/etc/thanos/web_config/web-config.yaml"
            ]
        );
    }
}
