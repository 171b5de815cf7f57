//! The Prometheus gates: the first version (and, for removed settings, the
//! last version + 1) of every setting that only some versions understand.
//! The reference skips (with a warning) each setting that the target
//! Prometheus does not understand.

super::gates! {
    /// A setting that only some Prometheus versions accept.
    pub enum Feature {
        // Service discovery.
        EndpointSliceRole => "2.21.0",
        ServiceMonitorAttachMetadata => "2.37.0",
        PodMonitorAttachMetadata => "2.35.0",
        // Scrape settings.
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
        /// `always_scrape_classic_histograms` instead of
        /// `scrape_classic_histograms`: every 3.x, pre-releases included.
        AlwaysScrapeClassicHistograms => "3.0.0-0",
        /// From 2.45, limits of the global section apply to every scrape job, so
        /// an enforced limit is no longer repeated in jobs that set none.
        GlobalScrapeLimits => "2.45.0",
        // HTTP client.
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
        // Global section.
        GlobalKeepDroppedTargets => "2.47.0",
        Runtime => "2.53.0",
        /// `rule_query_offset` in the global section.
        RuleQueryOffset => "2.53.0",
        QueryLogFile => "2.16.0",
        ScrapeFailureLogFile => "2.55.0",
        MetricNameValidationScheme => "3.0.0",
        MetricNameEscapingScheme => "3.4.0",
        GlobalConvertClassicHistogramsToNhcb => "3.4.0",
        GlobalAlwaysScrapeClassicHistograms => "3.5.0",
        GlobalScrapeNativeHistograms => "3.8.0",
        // Alerting (generator part 2).
        AlertmanagerApiVersion => "2.11.0",
        /// Alertmanager's v1 API (`apiVersion: V1`); Prometheus 3 speaks v2 only.
        AlertmanagerApiV1 => "0.0.0".."3.0.0-0",
        AlertmanagerBasicAuth => "2.26.0",
        AlertmanagerSigv4 => "2.48.0",
        AlertmanagerAlertRelabelConfigs => "2.51.0",
        // Remote write and read.
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
        /// Prometheus accepts `queue_config.max_retries` only before 2.11.
        QueueMaxRetries => "0.0.0".."2.11.0",
        RetryOnHttp429 => "2.26.0",
        SampleAgeLimit => "2.50.0",
        MetadataConfig => "2.23.0",
        MetadataMaxSamplesPerSend => "2.29.0",
        RoundRobinDns => "3.1.0",
        RemoteReadHeaders => "2.26.0",
        RemoteReadName => "2.15.0",
        FilterExternalLabels => "2.34.0",
        // Storage, OTLP.
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
        // ScrapeConfig service discoveries.
        EnableCompression => "2.49.0",
        KubernetesSdSelectors => "2.17.0",
        Ec2Filters => "2.3.0",
        Ec2HttpClient => "2.41.0",
        DnsMxRecord => "2.38.0",
        DnsNsRecord => "2.49.0",
        DockerMatchFirstNetwork => "2.54.1",
        HetznerLabelSelector => "3.5.0",

        // ScrapeConfig validation.
        HttpSd => "2.28.0",
        LinodeSd => "2.28.0",
        DigitalOceanSd => "2.20.0",
        ConsulPathPrefix => "2.45.0",
        ConsulNamespace => "2.28.0",
        ConsulFilter => "3.0.0",
        ConsulHealthFilter => "3.11.2",
        AzureSdSdkAuthentication => "2.52.0",
        AzureSdWorkloadIdentity => "3.11.0",
        AzureSdResourceGroup => "2.35.0",
        OpenStackLoadBalancerRole => "3.2.0",
        KumaSdClientId => "2.50.0",
        DockerSwarmSd => "2.20.0",
        PuppetDbSd => "2.31.0",
        LightSailSd => "2.27.0",
        OvhCloudSd => "2.40.0",
        ScalewaySd => "2.26.0",
        IonosSd => "2.36.0",
        // Monitor validation.
        /// `selectorMechanism: RoleSelector`.
        RoleSelector => "2.17.0",
        /// UTF-8 label names in monitors: every 3.x, pre-releases included.
        Utf8LabelNames => "3.0.0-0",
        /// The `lowercase` and `uppercase` relabel actions.
        RelabelLowercaseUppercase => "2.36.0",
        /// The `keepequal` and `dropequal` relabel actions.
        RelabelKeepEqualDropEqual => "2.41.0",
        // Rule files.
        RuleGroupLimit => "2.31.0",
        RuleGroupQueryOffset => "2.53.0",
        RuleGroupLabels => "3.0.0",
        RuleKeepFiringFor => "2.42.0",
        /// UTF-8 metric and label names in rules.
        RuleUtf8Names => "3.0.0",
        // StatefulSet: flags of the prometheus container.
        WebPageTitleFlag => "2.6.0",
        /// `--web.console.templates` and `--web.console.libraries`, gone in 3.
        ConsoleFlags => "0.0.0".."3.0.0-0",
        /// `--web.enable-otlp-receiver` instead of
        /// `--enable-feature=otlp-write-receiver`.
        OtlpReceiverFlag => "3.0.0-0",
        /// `--agent` instead of `--enable-feature=agent`.
        AgentFlag => "3.0.0-0",
        RemoteWriteReceiverFlag => "2.33.0",
        RemoteWriteReceiverProtobufMessagesFlag => "2.54.0",
        /// `--enable-feature=metadata-wal-records`, which remote write 2.0
        /// needed before 3.4.
        MetadataWalRecords => "2.54.0".."3.4.0",
        OtlpWriteReceiverFeatureFlag => "2.47.0",
        Xor2EncodingFeatureFlag => "3.13.0",
        EnableFeatureFlag => "2.25.0",
        LogFormatFlag => "2.6.0",
        RetentionSizeFlag => "2.7.0",
        /// `--rules.alert.for-outage-tolerance`, `for-grace-period`, `resend-delay`.
        RulesAlertFlags => "2.4.0",
        QueryMaxSamplesFlag => "2.5.0",
        WalCompressionFlag => "2.11.0",
        /// `--storage.tsdb.allow-overlapping-blocks`, deprecated in 2.39.
        AllowOverlappingBlocksFlag => "2.11.0".."2.39.0",
        /// `--no-storage.tsdb.allow-overlapping-compaction`.
        NoOverlappingCompactionFlag => "2.55.0",
        /// The web configuration file, always mounted so that switching TLS
        /// on or off does not redeploy.
        WebConfigFile => "2.24.0",
        /// Compaction of only the blocks the Thanos sidecar has uploaded
        /// (with [`super::thanos::Feature::ShipperDelayedCompaction`]).
        DelayedCompaction => "3.9.0",
    }
}
