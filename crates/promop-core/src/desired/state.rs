//! A workload's whole desired state in one call: the generated
//! configuration with what was selected and rejected, the rule ConfigMaps
//! and every object the operator writes. The operator applies it; `promop
//! render --objects` prints it.
use std::borrow::Cow;

use k8s_openapi::api::core::v1::{ConfigMap, Service};
use promop_api::v1::Alertmanager;

use super::{
    AlertmanagerObjects, OperatorOptions, PrometheusObjects, alertmanager_objects,
    prometheus_objects,
};
use crate::pipeline::{
    AlertmanagerOutput, PipelineError, PrometheusOutput, alertmanager_config,
    prometheus_config_with,
};
use crate::prometheus::Workload;
use crate::prometheus::memo::Memo;

use crate::select::ScrapeScope;
use crate::select::namespaces::WatchedNamespaces;
use crate::select::reasons::RejectedObject;
use crate::snapshot::Snapshot;

/// The step of a desired state that failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    /// The workload or its config objects give no configuration (or no
    /// rule ConfigMaps).
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    /// The workload's objects cannot be built (an invalid spec field).
    #[error(transparent)]
    Objects(#[from] RejectedObject),
}

/// Everything the operator writes for a Prometheus or PrometheusAgent.
pub struct PrometheusState<'a> {
    /// The configuration, the selection it came from and the rule
    /// ConfigMaps (with the PrometheusRules their generation rejected).
    pub output: PrometheusOutput<'a>,
    pub objects: PrometheusObjects,
    /// The user manages the configuration Secret (no resource selector at
    /// all): it is created empty when missing and never overwritten.
    pub unmanaged: bool,
    /// The configuration's text, as the Secret holds it, when generated
    /// without a memo (`render`: printing it again would cost as much as
    /// the generation); `None` when unmanaged, or with a memo (the operator
    /// never needs it joined).
    pub config_text: Option<String>,
}

/// Everything the operator writes for an Alertmanager.
pub struct AlertmanagerState<'a> {
    pub output: AlertmanagerOutput<'a>,
    pub objects: AlertmanagerObjects,
}

/// The desired state of a Prometheus or PrometheusAgent.
pub fn prometheus_state<'a>(
    snapshot: &'a Snapshot,
    workload: Workload<'a>,
    scope: &ScrapeScope,
    options: &OperatorOptions,
) -> Result<PrometheusState<'a>, StateError> {
    prometheus_state_with(snapshot, workload, scope, options, None)
}

/// [`prometheus_state`] reusing the jobs of earlier generations in `memo`
/// (the operator's).
pub fn prometheus_state_with<'a>(
    snapshot: &'a Snapshot,
    workload: Workload<'a>,
    scope: &ScrapeScope,
    options: &OperatorOptions,
    memo: Option<&Memo>,
) -> Result<PrometheusState<'a>, StateError> {
    let capabilities = options.capabilities();
    let output = prometheus_config_with(snapshot, workload, scope, capabilities, memo)?;
    let unmanaged = unmanaged(workload, options);
    // The operator (with a memo) only compresses the text: it is never
    // joined; `render` prints it, joined once.
    let config_text = (!unmanaged && memo.is_none()).then(|| output.config.text());
    let objects = {
        let text_parts = match (unmanaged, &config_text) {
            (true, _) => Vec::new(),
            (false, Some(text)) => vec![Cow::Borrowed(text.as_str())],
            (false, None) => output.config.text_parts(),
        };
        let config: Vec<&str> = text_parts.iter().map(|part| part.as_ref()).collect();
        // The tree spares the objects' build parsing the text back.
        let parts = output.config.asset_parts();
        let tree = (!unmanaged).then_some(parts.as_slice());
        let names = &output.rules.names;
        prometheus_objects(snapshot, workload, &config, tree, names, options)?
    };
    Ok(PrometheusState {
        output,
        objects,
        unmanaged,
        config_text,
    })
}

/// The desired state of an Alertmanager; its AlertmanagerConfigs are
/// selected in `watched`.
pub fn alertmanager_state<'a>(
    snapshot: &'a Snapshot,
    am: &'a Alertmanager,
    watched: &WatchedNamespaces,
    options: &OperatorOptions,
) -> Result<AlertmanagerState<'a>, StateError> {
    let output = alertmanager_config(snapshot, am, watched)?;
    let objects = alertmanager_objects(snapshot, am, &output.config, options)?;
    Ok(AlertmanagerState { output, objects })
}

impl PrometheusState<'_> {
    /// The rule ConfigMaps to write.
    pub fn rule_config_maps(&self) -> &[ConfigMap] {
        &self.output.rules.config_maps
    }

    /// Every selected object that was rejected: the selection's, and the
    /// PrometheusRules the rule generation rejected (which include the
    /// selection's PrometheusRules).
    pub fn rejected(&self) -> Vec<RejectedObject> {
        let rules = self.output.rules.rejected.iter().cloned();
        self.output
            .rejected()
            .into_iter()
            .filter(|r| r.kind != "PrometheusRule")
            .chain(rules)
            .collect()
    }
}

/// No resource selector at all: the user manages the configuration, as the
/// reference allows unless `--disable-unmanaged-prometheus-configuration`.
fn unmanaged(workload: Workload<'_>, options: &OperatorOptions) -> bool {
    let c = workload.common();
    options.unmanaged_configuration
        && workload.server().is_some()
        && c.service_monitor_selector.is_none()
        && c.pod_monitor_selector.is_none()
        && c.probe_selector.is_none()
        && c.scrape_config_selector.is_none()
}

/// The governing Service is shared by the workloads of a namespace: each
/// adds itself as an owner of the one already in `services`.
pub fn add_service(services: &mut Vec<Service>, service: Option<&Service>) {
    let Some(service) = service else { return };
    let same = |s: &Service| {
        s.metadata.name == service.metadata.name
            && s.metadata.namespace == service.metadata.namespace
    };
    match services.iter_mut().find(|s| same(s)) {
        Some(existing) => crate::k8s::service::merge_owners(existing, service),
        None => services.push(service.clone()),
    }
}
