//! The whole job for one workload: select its config objects, then generate
//! its configuration. Used by `promop render` and by the operator alike.
mod alertmanager;

pub use self::alertmanager::{AlertmanagerOutput, alertmanager_config};
use crate::prometheus::rules::{RuleConfigMaps, RulesError};
use crate::prometheus::{self, ConfigInput, GenerateError, Workload};
use crate::select::namespaces::WatchedNamespaces;
use crate::select::reasons::Rejection;
use crate::select::validate::validate_workload_tls;
use crate::select::{self, SelectError, Selection};
use crate::snapshot::Snapshot;
use crate::yaml::Node;

/// The configuration of a workload and how its config objects were chosen.
#[derive(Debug)]
pub struct PrometheusOutput<'a> {
    pub config: Node,
    pub selection: Selection<'a>,
    /// The rule ConfigMaps of the selected PrometheusRules (none for an
    /// agent): the configuration lists them in `rule_files`.
    pub rules: RuleConfigMaps,
}

/// Why a workload got no configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Select(#[from] SelectError),
    #[error(transparent)]
    Generate(#[from] GenerateError),
    #[error(transparent)]
    Alertmanager(#[from] crate::alertmanager::GenerateError),
    #[error(transparent)]
    Rules(#[from] RulesError),
    #[error("{kind} {namespace}/{name}: {rejection}")]
    InvalidWorkload {
        kind: &'static str,
        namespace: String,
        name: String,
        rejection: Rejection,
    },
}

/// Selects and generates the configuration of a Prometheus or PrometheusAgent.
pub fn prometheus_config<'a>(
    snapshot: &'a Snapshot,
    workload: Workload<'a>,
    watched: &WatchedNamespaces,
) -> Result<PrometheusOutput<'a>, PipelineError> {
    let server = match workload {
        Workload::Prometheus(p) => Some(p),
        Workload::Agent(_) => None,
    };
    validate_workload_tls(snapshot, workload.namespace(), workload.common(), server).map_err(
        |rejection| PipelineError::InvalidWorkload {
            kind: workload.kind(),
            namespace: workload.namespace().to_owned(),
            name: workload.name().to_owned(),
            rejection,
        },
    )?;
    let selection = match workload {
        Workload::Prometheus(p) => select::select_for_prometheus(snapshot, p, watched)?,
        Workload::Agent(a) => select::select_for_agent(snapshot, a, watched)?,
    };
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
    let rules = prometheus::rules::config_maps(snapshot, workload, &selection)?;
    let input = ConfigInput {
        service_monitors: &service_monitors,
        pod_monitors: &pod_monitors,
        probes: &probes,
        scrape_configs: &scrape_configs,
        rule_config_maps: &rules.names,
        ..ConfigInput::new(workload, snapshot)
    };
    let config = prometheus::generate(&input)?;
    Ok(PrometheusOutput {
        config,
        selection,
        rules,
    })
}

impl PrometheusOutput<'_> {
    /// The selected objects that were rejected as invalid
    /// (`Kind namespace/name: why`), as the operator reports them in events.
    pub fn rejected(&self) -> Vec<String> {
        use crate::select::{KindSelection, reasons::Reason};
        fn of<T>(kind: &str, selection: &KindSelection<'_, T>, out: &mut Vec<String>) {
            for skipped in &selection.skipped {
                if let Reason::Rejected(why) = &skipped.reason {
                    out.push(format!("{kind} {}: {why}", skipped.key));
                }
            }
        }
        let s = &self.selection;
        let mut out = Vec::new();
        of("ServiceMonitor", &s.service_monitors, &mut out);
        of("PodMonitor", &s.pod_monitors, &mut out);
        of("Probe", &s.probes, &mut out);
        of("ScrapeConfig", &s.scrape_configs, &mut out);
        of("PrometheusRule", &s.prometheus_rules, &mut out);
        out
    }
}
