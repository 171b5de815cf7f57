//! `remote_write`: endpoints that receive the samples, with their
//! credentials, queue and metadata settings.
use promop_api::common::AzureAd;
use promop_api::v1::prometheus::{
    MetadataConfig, QueueConfig, RemoteWriteMessageVersion, RemoteWriteSpec,
};

use super::assets::Store;
use super::version::{Feature, Version, needs};
use super::{Context, RejectedObject, auth, proxy, relabel, tls};
use crate::yaml::{Mapping, Node};

/// Appends `remote_write` when the workload has remote write endpoints.
pub(crate) fn append(cfg: &mut Mapping, ctx: &Context<'_>) -> Result<(), RejectedObject> {
    let specs = ctx
        .workload
        .common()
        .remote_write
        .as_deref()
        .unwrap_or_default();
    if specs.is_empty() {
        return Ok(());
    }
    let store = ctx.store(ctx.workload.namespace());
    let mut endpoints = Vec::with_capacity(specs.len());
    for (i, spec) in specs.iter().enumerate() {
        validate(ctx, i, spec)?;
        endpoints.push(Node::Map(endpoint(&ctx.version, &store, spec)));
    }
    cfg.insert("remote_write", endpoints);
    Ok(())
}

/// Refuses endpoints with more than one authentication method, or an
/// Azure AD config without exactly one way to authenticate.
fn validate(ctx: &Context<'_>, index: usize, spec: &RemoteWriteSpec) -> Result<(), RejectedObject> {
    let field = format!("spec.remoteWrite[{index}]");
    let invalid = |m: String| Err(RejectedObject::invalid(&ctx.workload, &field, m));
    let set: Vec<&str> = [
        ("basicAuth", spec.basic_auth.is_some()),
        ("oauth2", spec.oauth2.is_some()),
        ("authorization", spec.authorization.is_some()),
        ("sigv4", spec.sigv4.is_some()),
        ("azureAd", spec.azure_ad.is_some()),
    ]
    .into_iter()
    .filter_map(|(name, set)| set.then_some(name))
    .collect();
    if set.len() > 1 {
        return invalid(format!(
            "{} can't be set at the same time, at most one of them must be defined",
            set.join(" and ")
        ));
    }
    if let Some(azure) = &spec.azure_ad {
        let methods = [
            azure.managed_identity.is_some(),
            azure.oauth.is_some(),
            azure.sdk.is_some(),
            azure.workload_identity.is_some(),
        ];
        match methods.iter().filter(|m| **m).count() {
            0 => {
                return invalid(
                    "must provide Azure Managed Identity, Azure OAuth, Azure SDK, or Azure Workload Identity in the Azure AD config".into(),
                );
            }
            1 => {}
            _ => return invalid("only one Azure AD authentication method can be provided".into()),
        }
        for (present, feature, name) in [
            (azure.oauth.is_some(), Feature::AzureAdOAuth, "oauth"),
            (azure.sdk.is_some(), Feature::AzureAdSdk, "sdk"),
            (
                azure.workload_identity.is_some(),
                Feature::AzureAdWorkloadIdentity,
                "workloadIdentity",
            ),
        ] {
            if present {
                needs(&ctx.version, feature, |min| {
                    format!("azureAD.{name} requires Prometheus >= v{min}")
                })
                .map_err(|kind| RejectedObject::invalid(&ctx.workload, &field, kind))?;
            }
        }
    }
    Ok(())
}

/// The endpoints of `specs` with every version gate open, as the
/// reference renders a Thanos Ruler's `remote-write.yaml` (its generator runs
/// without version checks; the Thanos gates are applied to the specs
/// before). Secrets are read in `namespace`.
pub fn ungated_endpoints(
    snapshot: &crate::snapshot::Snapshot,
    namespace: &str,
    specs: &[RemoteWriteSpec],
) -> Vec<Node> {
    // Above every gate of the table, below no removal a remote-write
    // field has.
    let version = Version::from(semver::Version::new(u64::from(u16::MAX), 0, 0));
    let mut loaded = super::assets::LoadedSecrets::default();
    loaded.add(namespace, &specs);
    let store = super::assets::Store::new(snapshot, &loaded, namespace);
    specs
        .iter()
        .map(|spec| Node::Map(endpoint(&version, &store, spec)))
        .collect()
}

fn endpoint(version: &Version, store: &Store<'_>, spec: &RemoteWriteSpec) -> Mapping {
    let mut m = Mapping::new();
    m.insert("url", spec.url.as_ref());
    m.insert_opt("remote_timeout", spec.remote_timeout.as_deref());
    if let Some(headers) = spec.headers.as_ref().filter(|h| !h.is_empty())
        && version.supports(Feature::RemoteWriteHeaders)
    {
        m.insert("headers", Mapping::sorted(headers.clone()));
    }
    if version.supports(Feature::RemoteWriteName) {
        m.insert_opt("name", spec.name.as_deref().filter(|n| !n.is_empty()));
    }
    if version.supports(Feature::RemoteWriteMessageVersion) {
        m.insert_opt(
            "protobuf_message",
            spec.message_version.map(protobuf_message),
        );
    }
    if version.supports(Feature::SendExemplars) {
        m.insert_opt("send_exemplars", spec.send_exemplars);
    }
    if version.supports(Feature::SendNativeHistograms) {
        m.insert_opt("send_native_histograms", spec.send_native_histograms);
    }
    let relabelings = relabel::rules(spec.write_relabel_configs.iter().flatten());
    if !relabelings.is_empty() {
        m.insert("write_relabel_configs", relabelings);
    }

    auth::append_basic_auth(&mut m, store, spec.basic_auth.as_ref());
    m.insert_opt(
        "bearer_token",
        spec.bearer_token.as_deref().filter(|t| !t.is_empty()),
    );
    m.insert_opt(
        "bearer_token_file",
        spec.bearer_token_file.as_deref().filter(|f| !f.is_empty()),
    );
    auth::append_oauth2(&mut m, store, version, spec.oauth2.as_ref());
    tls::append(&mut m, store, version, spec.tls_config.as_ref());
    auth::append_authorization(&mut m, store, version, spec.authorization.as_ref());
    proxy::append(&mut m, store, version, &spec.proxy);
    if version.supports(Feature::RemoteWriteSigv4) {
        auth::append_sigv4(&mut m, store, version, spec.sigv4.as_ref());
    }
    if let Some(azure) = &spec.azure_ad
        && version.supports(Feature::AzureAd)
    {
        m.insert("azuread", azure_ad(version, store, azure));
    }
    if version.supports(Feature::FollowRedirects) {
        m.insert_opt("follow_redirects", spec.follow_redirects);
    }
    if version.supports(Feature::EnableHttp2) {
        m.insert_opt("enable_http2", spec.enable_http2);
    }
    if let Some(queue) = &spec.queue_config {
        m.insert("queue_config", queue_config(version, queue));
    }
    if let Some(metadata) = &spec.metadata_config
        && version.supports(Feature::MetadataConfig)
    {
        m.insert(
            "metadata_config",
            metadata_config(version, metadata, spec.message_version),
        );
    }
    if version.supports(Feature::RoundRobinDns) {
        m.insert_opt("round_robin_dns", spec.round_robin_dns);
    }
    m
}

fn protobuf_message(v: RemoteWriteMessageVersion) -> &'static str {
    match v {
        RemoteWriteMessageVersion::V1_0 => "prometheus.WriteRequest",
        RemoteWriteMessageVersion::V2_0 => "io.prometheus.write.v2.Request",
    }
}

/// `azuread`: one authentication method, the cloud and the scope.
fn azure_ad(version: &Version, store: &Store<'_>, azure: &AzureAd) -> Mapping {
    let mut m = Mapping::new();
    if let Some(identity) = &azure.managed_identity {
        let mut mi = Mapping::new();
        mi.insert_opt(
            "client_id",
            identity.client_id.as_deref().filter(|c| !c.is_empty()),
        );
        m.insert("managed_identity", mi);
    }
    // Like the reference, an unreadable client secret drops the section.
    if let Some(oauth) = &azure.oauth
        && let Some(secret) = store.secret(&oauth.client_secret)
        && version.supports(Feature::AzureAdOAuth)
    {
        let mut o = Mapping::new();
        o.insert("client_id", oauth.client_id.as_str());
        o.insert("client_secret", secret);
        o.insert("tenant_id", oauth.tenant_id.as_str());
        m.insert("oauth", o);
    }
    if let Some(sdk) = &azure.sdk
        && version.supports(Feature::AzureAdSdk)
    {
        let mut s = Mapping::new();
        s.insert("tenant_id", sdk.tenant_id.as_deref().unwrap_or_default());
        m.insert("sdk", s);
    }
    if let Some(wi) = &azure.workload_identity
        && version.supports(Feature::AzureAdWorkloadIdentity)
    {
        let mut w = Mapping::new();
        w.insert("client_id", wi.client_id.as_str());
        w.insert("tenant_id", wi.tenant_id.as_str());
        m.insert("workload_identity", w);
    }
    m.insert_opt("cloud", azure.cloud.as_deref());
    if version.supports(Feature::AzureAdScope) {
        m.insert_opt("scope", azure.scope.as_deref().filter(|s| !s.is_empty()));
    }
    m
}

/// `queue_config`: zero and unset values are left to Prometheus.
fn queue_config(version: &Version, q: &QueueConfig) -> Mapping {
    let non_zero = |v: Option<i64>| v.filter(|v| *v != 0);
    let mut m = Mapping::new();
    m.insert_opt("capacity", non_zero(q.capacity));
    if version.supports(Feature::QueueMinShards) {
        m.insert_opt("min_shards", non_zero(q.min_shards));
    }
    m.insert_opt("max_shards", non_zero(q.max_shards));
    m.insert_opt("max_samples_per_send", non_zero(q.max_samples_per_send));
    m.insert_opt("batch_send_deadline", q.batch_send_deadline.as_deref());
    if version.supports(Feature::QueueMaxRetries) {
        m.insert_opt("max_retries", non_zero(q.max_retries));
    }
    m.insert_opt("min_backoff", q.min_backoff.as_deref());
    m.insert_opt("max_backoff", q.max_backoff.as_deref());
    if q.retry_on_rate_limit == Some(true) && version.supports(Feature::RetryOnHttp429) {
        m.insert("retry_on_http_429", true);
    }
    if version.supports(Feature::SampleAgeLimit) {
        m.insert_opt("sample_age_limit", q.sample_age_limit.as_deref());
    }
    m
}

/// `metadata_config`; remote write 2.0 never sends metadata separately.
fn metadata_config(
    version: &Version,
    md: &MetadataConfig,
    message: Option<RemoteWriteMessageVersion>,
) -> Mapping {
    let send = message != Some(RemoteWriteMessageVersion::V2_0) && md.send == Some(true);
    let mut m = Mapping::new();
    m.insert("send", send);
    m.insert_opt(
        "send_interval",
        md.send_interval.as_deref().filter(|s| !s.is_empty()),
    );
    if version.supports(Feature::MetadataMaxSamplesPerSend) {
        m.insert_opt("max_samples_per_send", md.max_samples_per_send);
    }
    m
}
