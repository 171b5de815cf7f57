//! The Thanos gates, for the sidecar (`spec.thanos`) and Thanos Ruler.

/// A parsed Thanos version.
pub type Version = super::Version<Feature>;

super::gates! {
    /// A setting that only some Thanos versions accept.
    pub enum Feature {
        // Rule files of Thanos Ruler.
        RuleGroupLimit => "0.24.0",
        RuleGroupQueryOffset => "0.38.0",
        RuleGroupLabels => "0.39.0",
        RuleKeepFiringFor => "0.34.0",
        /// UTF-8 metric and label names in rules.
        RuleUtf8Names => "0.38.0",
        // Thanos Ruler's flags and files.
        /// `--http.config`: the web configuration file.
        WebConfigFile => "0.21.0",
        /// `--remote-write.config-file` (stateless mode).
        RulerRemoteWrite => "0.24.0",
        /// `--for-outage-tolerance` and `--for-grace-period`.
        RuleOutageTolerance => "0.30.0",
        /// `--rule-concurrent-evaluation`.
        RuleConcurrentEval => "0.37.0",
        /// `--rule-query-offset`.
        RuleQueryOffset => "0.38.0",
        /// `--enable-feature`.
        EnableFeature => "0.39.0",
        // Remote-write fields of Thanos Ruler, by the Prometheus release
        // each Thanos release embeds.
        RemoteWriteTlsMinVersion => "0.28.0",
        RemoteWriteTlsMaxVersion => "0.30.0",
        /// Azure AD OAuth.
        RemoteWriteAzureAd => "0.31.0",
        RemoteWriteSampleAgeLimit => "0.32.0",
        RemoteWriteAzureAdSdk => "0.36.0",
        /// A managed identity without client ID (Prometheus 3.5.1).
        RemoteWriteManagedIdentityWithoutClientId => "0.40.0",
        // Sidecar flags.
        /// `--prometheus.http-client-file`.
        HttpClientFile => "0.24.0",
        /// `--prometheus.get_config_timeout` and `--prometheus.get_config_interval`.
        GetConfigTimeout => "0.29.0",
        /// `--grpc-server-tls-min-version`.
        GrpcServerTlsMinVersion => "0.37.0",
        /// `--grpc-server-tls-ciphers` and `--grpc-server-tls-curves`.
        GrpcServerTlsCiphersAndCurves => "0.42.0",
        /// The shipper's meta file that Prometheus reads to delay compaction
        /// (with [`super::prometheus::Feature::DelayedCompaction`]).
        ShipperDelayedCompaction => "0.42.0",
    }
}
