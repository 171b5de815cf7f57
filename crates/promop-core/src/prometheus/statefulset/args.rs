//! The flags of the prometheus container, in the reference's order. A flag
//! the target version does not know is left out (the reference logs a
//! warning); the flags' features are in [`FLAG_FEATURES`].
use promop_api::v1::prometheus::{
    ChunkEncodingFloats, CommonPrometheusFields, PrometheusSpec, ReloadStrategyType,
    RemoteWriteMessageVersion,
};
use promop_api::v1::workload::Argument;

use super::super::version::{Feature, Version};
use super::{STORAGE_DIR, route_prefix, string_of};
use crate::k8s::args::{flag, switch};

/// The feature of each flag that not every Prometheus understands (flags
/// listed with their value when the value decides).
const FLAG_FEATURES: &[(&str, Feature)] = &[
    ("web.page-title", Feature::WebPageTitleFlag),
    (
        "web.enable-remote-write-receiver",
        Feature::RemoteWriteReceiverFlag,
    ),
    (
        "web.remote-write-receiver.accepted-protobuf-messages",
        Feature::RemoteWriteReceiverProtobufMessagesFlag,
    ),
    (
        "enable-feature=metadata-wal-records",
        Feature::MetadataWalRecords,
    ),
    (
        "enable-feature=otlp-write-receiver",
        Feature::OtlpWriteReceiverFeatureFlag,
    ),
    (
        "enable-feature=xor2-encoding",
        Feature::Xor2EncodingFeatureFlag,
    ),
    ("enable-feature", Feature::EnableFeatureFlag),
    ("log.format", Feature::LogFormatFlag),
    ("storage.tsdb.retention.size", Feature::RetentionSizeFlag),
    ("rules.alert.for-outage-tolerance", Feature::RulesAlertFlags),
    ("rules.alert.for-grace-period", Feature::RulesAlertFlags),
    ("rules.alert.resend-delay", Feature::RulesAlertFlags),
    ("query.max-samples", Feature::QueryMaxSamplesFlag),
    ("storage.tsdb.wal-compression", Feature::WalCompressionFlag),
    (
        "no-storage.tsdb.wal-compression",
        Feature::WalCompressionFlag,
    ),
];

/// Flags in order, skipping those the version lacks.
pub(super) struct Flags<'a> {
    version: &'a Version,
    pub list: Vec<Argument>,
}

impl<'a> Flags<'a> {
    pub fn new(version: &'a Version) -> Self {
        Self {
            version,
            list: Vec::new(),
        }
    }

    pub fn push(&mut self, arg: Argument) {
        let with_value = format!("{}={}", arg.name, arg.value.as_deref().unwrap_or_default());
        let feature = FLAG_FEATURES
            .iter()
            .find(|(name, _)| *name == with_value)
            .or_else(|| FLAG_FEATURES.iter().find(|(name, _)| *name == arg.name));
        if feature.is_none_or(|(_, feature)| self.version.supports(*feature)) {
            self.list.push(arg);
        }
    }
}

/// Flags shared by servers and agents.
pub(super) fn common(flags: &mut Flags<'_>, cpf: &CommonPrometheusFields) {
    let version = flags.version;
    flags.push(flag(
        "config.file",
        "/etc/prometheus/config_out/prometheus.env.yaml",
    ));
    if version.supports(Feature::ConsoleFlags) {
        flags.push(flag("web.console.templates", "/etc/prometheus/consoles"));
        flags.push(flag(
            "web.console.libraries",
            "/etc/prometheus/console_libraries",
        ));
    }
    if cpf.reload_strategy.unwrap_or(ReloadStrategyType::Http) == ReloadStrategyType::Http {
        flags.push(switch("web.enable-lifecycle"));
    }
    if let Some(web) = &cpf.web {
        if let Some(title) = &web.page_title {
            flags.push(flag("web.page-title", title));
        }
        if let Some(max) = web.max_connections {
            flags.push(flag("web.max-connections", max.to_string()));
        }
    }
    if cpf.enable_remote_write_receiver == Some(true) {
        flags.push(switch("web.enable-remote-write-receiver"));
        let versions = cpf
            .remote_write_receiver_message_versions
            .as_deref()
            .unwrap_or_default();
        if !versions.is_empty() {
            let names: Vec<&str> = versions
                .iter()
                .map(|v| match v {
                    RemoteWriteMessageVersion::V1_0 => "prometheus.WriteRequest",
                    RemoteWriteMessageVersion::V2_0 => "io.prometheus.write.v2.Request",
                })
                .collect();
            flags.push(flag(
                "web.remote-write-receiver.accepted-protobuf-messages",
                names.join(","),
            ));
        }
    }
    // Remote write 2.0 needed metadata WAL records before Prometheus 3.4.
    let sends_v2 = cpf
        .remote_write
        .iter()
        .flatten()
        .any(|rw| rw.message_version == Some(RemoteWriteMessageVersion::V2_0));
    if sends_v2 && version.supports(Feature::MetadataWalRecords) {
        flags.push(flag("enable-feature", "metadata-wal-records"));
    }
    let otlp = cpf.enable_otlp_receiver.unwrap_or(cpf.otlp.is_some());
    if otlp {
        if version.supports(Feature::OtlpReceiverFlag) {
            flags.push(switch("web.enable-otlp-receiver"));
        } else {
            flags.push(flag("enable-feature", "otlp-write-receiver"));
        }
    }
    let features = cpf.enable_features.as_deref().unwrap_or_default();
    if !features.is_empty() {
        flags.push(flag("enable-feature", features.join(",")));
    }
    let xor2 = cpf
        .tsdb
        .as_ref()
        .and_then(|t| t.chunk_encoding.as_ref())
        .and_then(|c| c.floats)
        == Some(ChunkEncodingFloats::Xor2);
    if xor2 && !features.iter().any(|f| f == "xor2-encoding") {
        flags.push(flag("enable-feature", "xor2-encoding"));
    }
    if let Some(url) = cpf.external_url.as_deref().filter(|u| !u.is_empty()) {
        flags.push(flag("web.external-url", url));
    }
    flags.push(flag("web.route-prefix", route_prefix(cpf)));
    let level = cpf.log_level.as_ref().map(string_of).unwrap_or_default();
    if !level.is_empty() && level != "info" {
        flags.push(flag("log.level", level));
    }
    let format = cpf.log_format.as_ref().map(string_of).unwrap_or_default();
    if !format.is_empty() && format != "logfmt" {
        flags.push(flag("log.format", format));
    }
    if cpf.listen_local == Some(true) {
        flags.push(flag("web.listen-address", "127.0.0.1:9090"));
    }
}

/// The server's own flags: retention (before 3.11, which reads it from the
/// configuration file), storage, admin API, rule and query settings.
pub(super) fn server(flags: &mut Flags<'_>, spec: &PrometheusSpec) {
    let version = flags.version;
    let retention = spec
        .retention
        .as_ref()
        .map(|d| d.0.as_str())
        .unwrap_or_default();
    let size = spec
        .retention_size
        .as_ref()
        .map(|s| s.0.as_str())
        .unwrap_or_default();
    if !version.supports(Feature::RetentionConfig) {
        let time = if retention.is_empty() && size.is_empty() {
            super::DEFAULT_RETENTION
        } else {
            retention
        };
        if !time.is_empty() {
            flags.push(flag("storage.tsdb.retention.time", time));
        }
        if !size.is_empty() {
            flags.push(flag("storage.tsdb.retention.size", size));
        }
    }
    flags.push(flag("storage.tsdb.path", STORAGE_DIR));
    if spec.enable_admin_api == Some(true) {
        flags.push(switch("web.enable-admin-api"));
    }
    if let Some(alert) = spec.rules.as_ref().and_then(|r| r.alert.as_ref()) {
        for (name, value) in [
            (
                "rules.alert.for-outage-tolerance",
                &alert.for_outage_tolerance,
            ),
            ("rules.alert.for-grace-period", &alert.for_grace_period),
            ("rules.alert.resend-delay", &alert.resend_delay),
        ] {
            if let Some(value) = value.as_deref().filter(|v| !v.is_empty()) {
                flags.push(flag(name, value));
            }
        }
    }
    if let Some(query) = &spec.query {
        if let Some(delta) = &query.lookback_delta {
            flags.push(flag("query.lookback-delta", delta));
        }
        if let Some(max) = query.max_samples.filter(|m| *m > 0) {
            flags.push(flag("query.max-samples", max.to_string()));
        }
        if let Some(max) = query.max_concurrency.filter(|m| *m > 0) {
            flags.push(flag("query.max-concurrency", max.to_string()));
        }
        if let Some(timeout) = &query.timeout {
            flags.push(flag("query.timeout", &timeout.0));
        }
    }
    // Deprecated, only for 2.11 to 2.38.
    if spec.allow_overlapping_blocks == Some(true)
        && version.supports(Feature::AllowOverlappingBlocksFlag)
    {
        flags.push(switch("storage.tsdb.allow-overlapping-blocks"));
    }
    match spec.common.wal_compression {
        Some(true) => flags.push(switch("storage.tsdb.wal-compression")),
        Some(false) => flags.push(switch("no-storage.tsdb.wal-compression")),
        None => {}
    }
}

/// The agent's own flags: agent mode and its storage.
pub(super) fn agent(flags: &mut Flags<'_>, cpf: &CommonPrometheusFields) {
    if flags.version.supports(Feature::AgentFlag) {
        flags.push(switch("agent"));
    } else {
        flags.push(flag("enable-feature", "agent"));
    }
    flags.push(flag("storage.agent.path", STORAGE_DIR));
    match cpf.wal_compression {
        Some(true) => flags.push(switch("storage.agent.wal-compression")),
        Some(false) => flags.push(switch("no-storage.agent.wal-compression")),
        None => {}
    }
}
