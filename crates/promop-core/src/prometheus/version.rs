//! The Prometheus version a configuration is generated for, and every
//! version gate of the generator in one table.
//!
//! The reference skips (with a warning) each setting that the target
//! Prometheus does not understand; generators ask [`Version::supports`]
//! with a [`Feature`] instead of comparing versions themselves.
use std::cmp::Ordering;

/// The reference's default Prometheus version (v0.93.0's
/// `operator.DefaultPrometheusVersion`).
pub const DEFAULT_PROMETHEUS_VERSION: &str = "v3.13.1";

/// A parsed `spec.version`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Version(semver::Version);

/// Why `spec.version` is not usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    #[error("failed to parse Prometheus version {0:?}")]
    Invalid(String),
    #[error("unsupported Prometheus version {0:?}")]
    Unsupported(String),
}

impl Version {
    /// Parses a version tolerantly like the reference (`v` prefix, missing
    /// minor or patch numbers), defaulting to [`DEFAULT_PROMETHEUS_VERSION`],
    /// and accepts only Prometheus 2 and 3.
    pub fn from_spec(spec: Option<&str>) -> Result<Self, VersionError> {
        let raw = spec
            .filter(|s| !s.is_empty())
            .unwrap_or(DEFAULT_PROMETHEUS_VERSION);
        let version = parse_tolerant(raw).ok_or_else(|| VersionError::Invalid(raw.to_owned()))?;
        if !(2..=3).contains(&version.major) {
            return Err(VersionError::Unsupported(raw.to_owned()));
        }
        Ok(Self(version))
    }

    pub fn major(&self) -> u64 {
        self.0.major
    }

    /// Whether this version understands `feature`.
    pub fn supports(&self, feature: Feature) -> bool {
        self.at_least(feature.minimum())
    }

    /// `self >= minimum`, with semver precedence (pre-releases come first).
    pub fn at_least(&self, minimum: &str) -> bool {
        parse_tolerant(minimum).is_some_and(|m| self.0.cmp_precedence(&m) != Ordering::Less)
    }
}

/// The version without `v` (`3.5.0`), as in image tags after a `v` and in
/// the pods' `app.kubernetes.io/version` label.
impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// `semver.ParseTolerant`: trims spaces and a leading `v`, completes
/// `2` and `2.45` to `2.0.0` and `2.45.0`.
pub(crate) fn parse_tolerant(raw: &str) -> Option<semver::Version> {
    let trimmed = raw.trim();
    let trimmed = trimmed.strip_prefix('v').unwrap_or(trimmed);
    let split = trimmed.find(['-', '+']).unwrap_or(trimmed.len());
    let (core, rest) = trimmed.split_at(split);
    let mut parts: Vec<&str> = core.split('.').collect();
    if parts.len() > 3 {
        return None;
    }
    while parts.len() < 3 {
        parts.push("0");
    }
    semver::Version::parse(&format!("{}{rest}", parts.join("."))).ok()
}

/// A setting that only some Prometheus versions accept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Feature {
    // Service discovery.
    EndpointSliceRole,
    ServiceMonitorAttachMetadata,
    PodMonitorAttachMetadata,
    // Scrape settings.
    HonorTimestamps,
    TrackTimestampsStaleness,
    ScrapeProtocols,
    PrometheusText1,
    FallbackScrapeProtocol,
    TargetLimit,
    LabelLimits,
    KeepDroppedTargets,
    BodySizeLimit,
    ScrapeNativeHistograms,
    NativeHistogramBucketLimit,
    NativeHistogramMinBucketFactor,
    ScrapeClassicHistograms,
    ConvertClassicHistogramsToNhcb,
    /// From 2.45, limits of the global section apply to every scrape job, so
    /// an enforced limit is no longer repeated in jobs that set none.
    GlobalScrapeLimits,
    // HTTP client.
    FollowRedirects,
    EnableHttp2,
    ProxyFromEnvironment,
    TlsMinVersion,
    TlsMaxVersion,
    Authorization,
    OAuth2,
    OAuth2ProxyAndTls,
    Sigv4ExternalId,
    Sigv4UseFipsStsEndpoint,
    // Global section.
    GlobalKeepDroppedTargets,
    Runtime,
    RuleQueryOffset,
    QueryLogFile,
    ScrapeFailureLogFile,
    MetricNameValidationScheme,
    MetricNameEscapingScheme,
    GlobalConvertClassicHistogramsToNhcb,
    GlobalAlwaysScrapeClassicHistograms,
    GlobalScrapeNativeHistograms,
    // Alerting (generator part 2).
    AlertmanagerApiVersion,
    AlertmanagerBasicAuth,
    AlertmanagerSigv4,
    AlertmanagerAlertRelabelConfigs,
    // Remote write and read.
    RemoteWriteHeaders,
    RemoteWriteName,
    RemoteWriteMessageVersion,
    SendExemplars,
    SendNativeHistograms,
    RemoteWriteSigv4,
    AzureAd,
    AzureAdOAuth,
    AzureAdSdk,
    AzureAdWorkloadIdentity,
    AzureAdScope,
    QueueMinShards,
    /// From 2.11 Prometheus no longer accepts `queue_config.max_retries`.
    QueueMaxRetriesRemoved,
    RetryOnHttp429,
    SampleAgeLimit,
    MetadataConfig,
    MetadataMaxSamplesPerSend,
    RoundRobinDns,
    RemoteReadHeaders,
    RemoteReadName,
    FilterExternalLabels,
    // Storage, OTLP.
    Storage,
    OutOfOrderTimeWindow,
    AgentOutOfOrderTimeWindow,
    StaleSeriesCompactionThreshold,
    ChunkEncoding,
    RetentionConfig,
    Otlp,
    OtlpTranslationStrategy,
    OtlpKeepIdentifyingResourceAttributes,
    OtlpConvertHistogramsToNhcb,
    OtlpNoTranslation,
    OtlpPromoteAllResourceAttributes,
    OtlpPromoteScopeMetadata,
    OtlpUnderscoreEscapingWithoutSuffixes,
    OtlpLabelNameSanitization,
    // ScrapeConfig service discoveries.
    EnableCompression,
    KubernetesSdSelectors,
    Ec2Filters,
    Ec2HttpClient,
    DnsMxRecord,
    DnsNsRecord,
    DockerMatchFirstNetwork,
    HetznerLabelSelector,
}

impl Feature {
    /// The first Prometheus version with the feature (the reference's gates).
    pub fn minimum(self) -> &'static str {
        use Feature::*;
        match self {
            EndpointSliceRole => "2.21.0",
            ServiceMonitorAttachMetadata => "2.37.0",
            PodMonitorAttachMetadata => "2.35.0",
            HonorTimestamps => "2.9.0",
            TrackTimestampsStaleness => "2.48.0",
            ScrapeProtocols => "2.49.0",
            PrometheusText1 => "3.0.0-rc.0",
            FallbackScrapeProtocol => "3.0.0",
            TargetLimit => "2.21.0",
            LabelLimits => "2.27.0",
            KeepDroppedTargets => "2.47.0",
            BodySizeLimit => "2.28.0",
            ScrapeNativeHistograms => "3.8.0",
            NativeHistogramBucketLimit => "2.45.0",
            NativeHistogramMinBucketFactor => "2.50.0",
            ScrapeClassicHistograms => "2.45.0",
            ConvertClassicHistogramsToNhcb => "3.0.0",
            GlobalScrapeLimits => "2.45.0",
            FollowRedirects => "2.26.0",
            EnableHttp2 => "2.35.0",
            ProxyFromEnvironment => "2.43.0",
            TlsMinVersion => "2.35.0",
            TlsMaxVersion => "2.41.0",
            Authorization => "2.26.0",
            OAuth2 => "2.27.0",
            OAuth2ProxyAndTls => "2.43.0",
            Sigv4ExternalId => "3.11.0",
            Sigv4UseFipsStsEndpoint => "2.54.0",
            GlobalKeepDroppedTargets => "2.47.0",
            Runtime => "2.53.0",
            RuleQueryOffset => "2.53.0",
            QueryLogFile => "2.16.0",
            ScrapeFailureLogFile => "2.55.0",
            MetricNameValidationScheme => "3.0.0",
            MetricNameEscapingScheme => "3.4.0",
            GlobalConvertClassicHistogramsToNhcb => "3.4.0",
            GlobalAlwaysScrapeClassicHistograms => "3.5.0",
            GlobalScrapeNativeHistograms => "3.8.0",
            AlertmanagerApiVersion => "2.11.0",
            AlertmanagerBasicAuth => "2.26.0",
            AlertmanagerSigv4 => "2.48.0",
            AlertmanagerAlertRelabelConfigs => "2.51.0",
            RemoteWriteHeaders => "2.15.0",
            RemoteWriteName => "2.15.0",
            RemoteWriteMessageVersion => "2.54.0",
            SendExemplars => "2.27.0",
            SendNativeHistograms => "2.40.0",
            RemoteWriteSigv4 => "2.26.0",
            AzureAd => "2.45.0",
            AzureAdOAuth => "2.48.0",
            AzureAdSdk => "2.52.0",
            AzureAdWorkloadIdentity => "3.7.0",
            AzureAdScope => "3.9.0",
            QueueMinShards => "2.6.0",
            QueueMaxRetriesRemoved => "2.11.0",
            RetryOnHttp429 => "2.26.0",
            SampleAgeLimit => "2.50.0",
            MetadataConfig => "2.23.0",
            MetadataMaxSamplesPerSend => "2.29.0",
            RoundRobinDns => "3.1.0",
            RemoteReadHeaders => "2.26.0",
            RemoteReadName => "2.15.0",
            FilterExternalLabels => "2.34.0",
            Storage => "2.29.0",
            OutOfOrderTimeWindow => "2.39.0",
            AgentOutOfOrderTimeWindow => "2.54.0",
            StaleSeriesCompactionThreshold => "3.10.0",
            ChunkEncoding => "3.13.0",
            RetentionConfig => "3.11.0",
            Otlp => "2.55.0",
            OtlpTranslationStrategy => "3.0.0",
            OtlpKeepIdentifyingResourceAttributes => "3.1.0",
            OtlpConvertHistogramsToNhcb => "3.4.0",
            OtlpNoTranslation => "3.4.0",
            OtlpPromoteAllResourceAttributes => "3.5.0",
            OtlpPromoteScopeMetadata => "3.6.0",
            OtlpUnderscoreEscapingWithoutSuffixes => "3.6.0",
            OtlpLabelNameSanitization => "3.8.0",
            EnableCompression => "2.49.0",
            KubernetesSdSelectors => "2.17.0",
            Ec2Filters => "2.3.0",
            Ec2HttpClient => "2.41.0",
            DnsMxRecord => "2.38.0",
            DnsNsRecord => "2.49.0",
            DockerMatchFirstNetwork => "2.54.1",
            HetznerLabelSelector => "3.5.0",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_like_semver_parse_tolerant() {
        let v = Version::from_spec(Some("v2.45")).unwrap();
        assert!(v.at_least("2.45.0"));
        assert!(!v.at_least("2.45.1"));
        assert_eq!(Version::from_spec(None).unwrap().major(), 3);
        assert!(Version::from_spec(Some("1.8.0")).is_err());
        assert!(Version::from_spec(Some("latest")).is_err());
    }

    #[test]
    fn pre_releases_precede_releases() {
        let rc = Version::from_spec(Some("v3.0.0-rc.1")).unwrap();
        assert!(rc.supports(Feature::PrometheusText1));
        assert!(!rc.supports(Feature::FallbackScrapeProtocol));
    }
}
