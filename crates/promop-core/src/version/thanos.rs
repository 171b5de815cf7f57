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
