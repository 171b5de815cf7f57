//! The flags of the prometheus container, in the reference's order. A flag
//! the target version does not know is left out (the reference logs a
//! warning); the minimum versions are in [`FLAG_MINIMUM`].
use promop_api::v1::prometheus::{
    ChunkEncodingFloats, CommonPrometheusFields, PrometheusSpec, ReloadStrategyType,
    RemoteWriteMessageVersion,
};
use promop_api::v1::workload::Argument;

use super::super::version::Version;
use super::{STORAGE_DIR, route_prefix, string_of};
use crate::k8s::args::{flag, switch};

/// The first Prometheus version that understands each flag (flags listed
/// with their value when the value decides).
const FLAG_MINIMUM: &[(&str, &str)] = &[
    ("web.page-title", "2.6.0"),
    ("web.enable-remote-write-receiver", "2.33.0"),
    (
        "web.remote-write-receiver.accepted-protobuf-messages",
        "2.54.0",
    ),
    ("enable-feature=metadata-wal-records", "2.54.0"),
    ("enable-feature=otlp-write-receiver", "2.47.0"),
    ("enable-feature=xor2-encoding", "3.13.0"),
    ("enable-feature", "2.25.0"),
    ("log.format", "2.6.0"),
    ("storage.tsdb.retention.size", "2.7.0"),
    ("rules.alert.for-outage-tolerance", "2.4.0"),
    ("rules.alert.for-grace-period", "2.4.0"),
    ("rules.alert.resend-delay", "2.4.0"),
    ("query.max-samples", "2.5.0"),
    ("storage.tsdb.wal-compression", "2.11.0"),
    ("no-storage.tsdb.wal-compression", "2.11.0"),
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
        let minimum = FLAG_MINIMUM
            .iter()
            .find(|(name, _)| *name == with_value)
            .or_else(|| FLAG_MINIMUM.iter().find(|(name, _)| *name == arg.name));
        if minimum.is_none_or(|(_, min)| self.version.at_least(min)) {
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
    if version.major() == 2 {
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
    if sends_v2 && version.at_least("2.54.0") && !version.at_least("3.4.0") {
        flags.push(flag("enable-feature", "metadata-wal-records"));
    }
    let otlp = cpf.enable_otlp_receiver.unwrap_or(cpf.otlp.is_some());
    if otlp {
        if version.major() >= 3 {
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
    if !version.at_least("3.11.0") {
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
        && version.at_least("2.11.0")
        && !version.at_least("2.39.0")
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
    match flags.version.major() {
        2 => flags.push(flag("enable-feature", "agent")),
        _ => flags.push(switch("agent")),
    }
    flags.push(flag("storage.agent.path", STORAGE_DIR));
    match cpf.wal_compression {
        Some(true) => flags.push(switch("storage.agent.wal-compression")),
        Some(false) => flags.push(switch("no-storage.agent.wal-compression")),
        None => {}
    }
}
