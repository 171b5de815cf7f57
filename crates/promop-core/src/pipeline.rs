//! The whole job for one workload: select its config objects, then generate
//! its configuration. Used by `promop render` and by the operator alike.
mod alertmanager;

pub use self::alertmanager::{AlertmanagerOutput, alertmanager_config};
use crate::prometheus::memo::Memo;
use crate::prometheus::rules::RuleConfigMaps;
use crate::prometheus::{self, Capabilities, ConfigInput, GeneratedConfig, Workload};
use crate::select::reasons::RejectedObject;
use crate::select::validate::validate_workload_tls;
use crate::select::{self, ScrapeScope, Selection};
use crate::snapshot::Snapshot;

/// The configuration of a workload and how its config objects were chosen.
#[derive(Debug)]
pub struct PrometheusOutput<'a> {
    pub config: GeneratedConfig,
    pub selection: Selection<'a>,
    /// The rule ConfigMaps of the selected PrometheusRules (none for an
    /// agent): the configuration lists them in `rule_files`.
    pub rules: RuleConfigMaps,
}

/// Why a workload got no configuration: the object at fault and the step
/// that found it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PipelineError {
    /// The workload's own settings (TLS assets).
    #[error(transparent)]
    Workload(RejectedObject),
    /// Its selectors or version.
    #[error(transparent)]
    Select(RejectedObject),
    /// Its rule files.
    #[error(transparent)]
    Rules(RejectedObject),
    /// Its configuration.
    #[error(transparent)]
    Generate(RejectedObject),
    /// An Alertmanager's configuration.
    #[error(transparent)]
    Alertmanager(RejectedObject),
}

/// Selects and generates the configuration of a Prometheus or PrometheusAgent
/// with the reference's default feature gates.
pub fn prometheus_config<'a>(
    snapshot: &'a Snapshot,
    workload: Workload<'a>,
    scope: &ScrapeScope,
) -> Result<PrometheusOutput<'a>, PipelineError> {
    prometheus_config_with(snapshot, workload, scope, Capabilities::default(), None)
}

/// [`prometheus_config`] with the operator's feature gates (and cluster)
/// in `capabilities`, and the jobs of earlier generations in `memo`.
pub fn prometheus_config_with<'a>(
    snapshot: &'a Snapshot,
    workload: Workload<'a>,
    scope: &ScrapeScope,
    capabilities: Capabilities,
    memo: Option<&Memo>,
) -> Result<PrometheusOutput<'a>, PipelineError> {
    let server = match workload {
        Workload::Prometheus(p) => Some(p),
        Workload::Agent(_) => None,
    };
    validate_workload_tls(snapshot, workload.namespace(), workload.common(), server)
        .map_err(|rejection| PipelineError::Workload(workload.rejected(rejection)))?;
    let selection = match workload {
        Workload::Prometheus(p) => select::select_for_prometheus_with(snapshot, p, scope, memo),
        Workload::Agent(a) => select::select_for_agent_with(snapshot, a, scope, memo),
    }
    .map_err(PipelineError::Select)?;
    let service_monitors: Vec<_> = selection
        .service_monitors
        .selected
        .iter()
        .map(|s| s.object)
        .collect();
    let pod_monitors: Vec<_> = selection
        .pod_monitors
        .selected
        .iter()
        .map(|s| s.object)
        .collect();
    let probes: Vec<_> = selection.probes.selected.iter().map(|s| s.object).collect();
    let scrape_configs: Vec<_> = selection
        .scrape_configs
        .selected
        .iter()
        .map(|s| s.object)
        .collect();
    let rules = prometheus::rules::config_maps(snapshot, workload, &selection, memo)
        .map_err(PipelineError::Rules)?;
    let input = ConfigInput {
        service_monitors: &service_monitors,
        pod_monitors: &pod_monitors,
        probes: &probes,
        scrape_configs: &scrape_configs,
        rule_config_maps: &rules.names,
        capabilities,
        memo,
        ..ConfigInput::new(workload, snapshot)
    };
    let config = prometheus::generate(&input).map_err(PipelineError::Generate)?;
    Ok(PrometheusOutput {
        config,
        selection,
        rules,
    })
}

impl PrometheusOutput<'_> {
    /// The selected objects that were rejected as invalid, as the operator
    /// reports them in events.
    pub fn rejected(&self) -> Vec<RejectedObject> {
        let s = &self.selection;
        (s.service_monitors.rejected("ServiceMonitor"))
            .chain(s.pod_monitors.rejected("PodMonitor"))
            .chain(s.probes.rejected("Probe"))
            .chain(s.scrape_configs.rejected("ScrapeConfig"))
            .chain(s.prometheus_rules.rejected("PrometheusRule"))
            .collect()
    }
}
