//! The Alertmanager gates. The reference refuses an AlertmanagerConfig that
//! uses a receiver or field the target Alertmanager lacks, drops unknown
//! fields from the configuration it generates (with a warning) and leaves
//! out flags, volumes and environment variables the version does not know.

super::gates! {
    /// A setting that only some Alertmanager versions accept.
    pub enum Feature {
        /// The Alertmanagers the reference manages (0.x from 0.15).
        Managed => "0.15.0".."1.0.0-0",
        // Receivers (integrations).
        Telegram => "0.24.0",
        Discord => "0.25.0",
        Webex => "0.25.0",
        Msteams => "0.26.0",
        MsteamsV2 => "0.28.0",
        Jira => "0.28.0",
        RocketChat => "0.28.0",
        IncidentIo => "0.29.0",
        Mattermost => "0.30.0",
        /// Mattermost settings in the global section.
        MattermostGlobal => "0.32.0",
        // Routing.
        /// `name="value"` matchers (routes, inhibit rules, AlertmanagerConfig
        /// matchers).
        MatchersV2 => "0.22.0",
        MuteTimeIntervals => "0.22.0",
        /// `time_intervals` and `active_time_intervals`.
        TimeIntervals => "0.24.0",
        /// `location` of a time interval.
        TimeIntervalLocation => "0.25.0",
        // HTTP client.
        Authorization => "0.22.0",
        OAuth2 => "0.22.0",
        FollowRedirects => "0.22.0",
        EnableHttp2 => "0.25.0",
        HttpHeaders => "0.28.0",
        TlsMinMaxVersion => "0.25.0",
        /// `noProxy`, `proxyFromEnvironment`, `proxyConnectHeader` of an
        /// AlertmanagerConfig's `httpConfig`.
        ProxyConfig => "0.25.0",
        /// The same fields kept (and checked) in a generated `http_config`.
        HttpConfigProxyFields => "0.26.0",
        /// Proxy settings of `oauth2`.
        OAuth2Proxy => "0.25.0",
        // Global section.
        SlackApiUrlFile => "0.22.0",
        SlackAppToken => "0.30.0",
        SmtpTlsConfig => "0.28.0",
        OpsgenieApiKeyFile => "0.24.0",
        SmtpAuthPasswordFile => "0.25.0",
        VictorOpsApiKeyFile => "0.25.0",
        WeChatApiSecretFile => "0.31.0",
        GlobalTelegramBotToken => "0.31.0",
        SmtpAuthSecretFile => "0.31.0",
        SmtpForceImplicitTls => "0.31.0",
        // Receiver fields.
        EmailThreading => "0.30.0",
        OpsgenieUpdateFields => "0.24.0",
        OpsgenieTeamsResponder => "0.24.0",
        PagerDutySourceAndKeyFiles => "0.25.0",
        PagerDutyTimeout => "0.30.0",
        PushoverFiles => "0.26.0",
        PushoverTtl => "0.27.0",
        PushoverMonospace => "0.29.0",
        SlackTimeoutAndAppUrl => "0.30.0",
        SlackMessageText => "0.31.0",
        SlackUpdateMessage => "0.32.0",
        WebhookUrlFile => "0.26.0",
        WebhookTimeout => "0.28.0",
        /// A templated webhook `url`.
        WebhookTemplatedUrl => "0.31.0",
        WebhookPayload => "0.32.0",
        MsteamsSummary => "0.27.0",
        SnsAwsHttpClient => "0.33.0",
        /// `external_id` of an SNS receiver's SigV4 settings.
        SnsSigv4ExternalId => "0.34.0",
        TelegramFiles => "0.26.0",
        TelegramChatIdFile => "0.31.0",
        /// Before 0.31 a Telegram receiver needs a bot token of its own.
        TelegramGlobalBotToken => "0.31.0",
        DiscordContent => "0.28.0",
        DiscordWebhookUrlFile => "0.28.0",
        JiraApiType => "0.29.0",
        MattermostAttachments => "0.32.0",
        // StatefulSet.
        LogFormatFlag => "0.16.0",
        /// `--web.get-concurrency`, `--web.timeout`.
        WebFlags => "0.17.0",
        /// The web configuration file, always mounted so that switching TLS
        /// on or off does not redeploy.
        WebConfigFile => "0.22.0",
        ClusterTls => "0.24.0",
        /// `--cluster.label`: gossip from another cluster with a recycled pod
        /// IP is rejected.
        ClusterLabel => "0.26.0",
        EnableFeatureFlag => "0.27.0",
        /// `--silences.max-silences`, `--silences.max-per-silence-bytes`.
        SilenceLimits => "0.28.0",
        /// `--dispatch.start-delay` from `minReadySeconds`.
        DispatchStartDelay => "0.30.0",
        /// `--cluster.peer-name` and the `POD_NAME` variable it reads.
        ClusterPeerName => "0.30.0",
    }
}
