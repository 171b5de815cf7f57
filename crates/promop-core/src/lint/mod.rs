//! `promop lint`: the checks the reference makes on each object, run
//! offline on manifests so that a pull request can be gated on them.
//!
//! Nothing is checked twice here: the reading notes come from
//! [`crate::manifests`] (schema, pruning), the per-object checks from
//! selection ([`crate::select`]: monitors, rules) and the pipelines
//! (workloads, Alertmanager configurations). An object is checked with the
//! settings of every Prometheus, PrometheusAgent or Alertmanager of the
//! input that selects it, else with a default one (the reference's default
//! versions, no other settings). A few checks are lint's own: warnings
//! about monitors that may scrape something else than meant ([`monitors`])
//! and AlertmanagerConfig regexes that Alertmanager refuses ([`matchers`]).
mod matchers;
mod monitors;
pub mod references;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use promop_api::v1::{Prometheus, PrometheusSpec};

use crate::alertmanager::secrets::Secrets;
use crate::alertmanager::version::Version;
use crate::alertmanager::{merges, validate as am_validate};
use crate::desired::{OperatorOptions, StateError, thanos_ruler_state};
use crate::manifests::{Loaded, Note, ObjectId, Origin, Outcome};
use crate::pipeline::{PipelineError, alertmanager_config, prometheus_config};
use crate::prometheus::Workload;
use crate::prometheus::rules::{RuleContext, rule_file};
use crate::select::file_access::MonitorFileAccess;
use crate::select::namespaces::WatchedNamespaces;
use crate::select::reasons::{Reason, Reference, Rejection};
use crate::select::validate::{Validator, parse_version};
use crate::select::{self, HasMeta, KindSelection, ScrapeScope, select_for_alertmanager};
use crate::snapshot::{ObjectKey, Snapshot};
use crate::version::{DEFAULT_ALERTMANAGER_VERSION, DEFAULT_PROMETHEUS_VERSION};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// One problem of one object (or document).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Finding {
    pub origin: Option<Origin>,
    pub object: Option<ObjectId>,
    pub field: Option<String>,
    pub severity: Severity,
    pub message: String,
}

impl fmt::Display for Finding {
    /// `FILE:DOC: SEVERITY: KIND NS/NAME: FIELD: message`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.origin {
            Some(o) => write!(f, "{}:{}: ", o.source, o.index)?,
            None => f.write_str("-: ")?,
        }
        write!(f, "{}: ", self.severity)?;
        if let Some(object) = &self.object {
            write!(f, "{object}: ")?;
        }
        if let Some(field) = &self.field {
            write!(f, "{field}: ")?;
        }
        f.write_str(&self.message)
    }
}

/// Every finding of the input, in file and document order; the workloads
/// select as an operator with `scope` would.
pub fn lint(loaded: &Loaded, scope: &ScrapeScope) -> Vec<Finding> {
    let mut findings: Vec<Finding> = loaded.notes.iter().filter_map(note_finding).collect();
    let input = &loaded.snapshot;
    let problems = settle(input, PROMETHEUS_STAND_IN, |s| prometheus_side(s, scope))
        .into_iter()
        .chain(settle(input, AM_STAND_IN, alertmanager_side))
        .chain(settle(input, PROMETHEUS_STAND_IN, thanos_ruler_side))
        .chain(monitors::warnings(input))
        .chain(matchers::errors(&input.alertmanager_configs));
    for problem in merge_workloads(problems) {
        findings.push(Finding {
            origin: loaded.origins.get(&problem.object).cloned(),
            object: Some(problem.object),
            field: problem.field,
            severity: problem.severity,
            message: one_line(&problem.message),
        });
    }
    findings.sort();
    findings.dedup();
    findings
}

/// A message on one line (regex and YAML errors come on several).
pub fn one_line(text: &str) -> String {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    lines.join(" ")
}

/// Reading notes: a refused object is an error, an ignored field or
/// document and a duplicate definition are warnings.
fn note_finding(note: &Note) -> Option<Finding> {
    let severity = match note.outcome {
        Outcome::Skipped => Severity::Error,
        Outcome::Ignored | Outcome::Replaced => Severity::Warning,
        // Not a problem of the manifest.
        Outcome::Unused => return None,
    };
    let message = match note.outcome {
        Outcome::Skipped => format!("{} (the API server refuses the object)", note.message),
        _ => note.message.clone(),
    };
    Some(Finding {
        origin: Some(note.origin.clone()),
        object: note.object.clone(),
        field: note.field.clone(),
        severity,
        message,
    })
}

/// A problem before it is placed in the input: the object, and the
/// workload whose settings found it (`None`: the default workload).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Problem {
    pub object: ObjectId,
    pub field: Option<String>,
    pub message: String,
    pub severity: Severity,
    pub workload: Option<ObjectId>,
    /// The Secret or ConfigMap whose absence is the problem.
    pub missing: Option<Reference>,
}

impl Problem {
    fn error(object: ObjectId, rejection: Rejection, workload: Option<&ObjectId>) -> Self {
        Self {
            object,
            message: rejection.message().to_owned(),
            missing: rejection.kind.reference().cloned(),
            field: Some(rejection.path).filter(|p| !p.is_empty()),
            severity: Severity::Error,
            workload: workload.cloned(),
        }
    }
}

/// The same problem found with the settings of several workloads is told
/// once, naming them.
fn merge_workloads(problems: impl Iterator<Item = Problem>) -> Vec<Problem> {
    type Key = (ObjectId, Option<String>, String, Severity);
    let mut merged: BTreeMap<Key, BTreeSet<Option<ObjectId>>> = BTreeMap::new();
    for p in problems {
        let key = (p.object, p.field, p.message, p.severity);
        merged.entry(key).or_default().insert(p.workload);
    }
    merged
        .into_iter()
        .map(|((object, field, message, severity), workloads)| {
            let named: Vec<String> = workloads.iter().flatten().map(|w| w.to_string()).collect();
            let message = if named.is_empty() {
                message
            } else {
                format!("{message} (with the settings of {})", named.join(", "))
            };
            Problem {
                object,
                field,
                message,
                severity,
                workload: None,
                missing: None,
            }
        })
        .collect()
}

/// The value of the stand-ins of Alertmanager-side references: the checks
/// there parse URLs out of Secrets (and `updateMessage` wants this one).
const AM_STAND_IN: &str = "https://slack.com/api/chat.postMessage";

/// The value of the stand-ins of Prometheus-side references: the checks
/// there parse certificates and keys out of Secrets and refuse empty ones,
/// so a throwaway self-signed certificate followed by its key passes as a
/// CA, a client certificate and a key alike (and as any other value).
const PROMETHEUS_STAND_IN: &str = "-----BEGIN CERTIFICATE-----
MIIBgjCCASmgAwIBAgIUcTYvR5mF4lV8kcyKRy19B/NhkyIwCgYIKoZIzj0EAwIw
FjEUMBIGA1UEAwwLcHJvbW9wLXRlc3QwIBcNMjYxMTI1MTgwOTA1WhgPMjEyNjEx
MDExODA5MDVaMBYxFDASBgNVBAMMC3Byb21vcC10ZXN0MFkwEwYHKoZIzj0CAQYI
KoZIzj0DAQcDQgAErBRnLzFvJwa1c/c4rEmFqfO8zv7wiAhtYAy6vG5lLUSc2+9R
vwmEiujuH2NgYM2m+41ehWMW4zu7jZZ3KGhJuKNTMFEwHQYDVR0OBBYEFLlfkkJa
IcCwHBdFI+GxVPMWVSCoMB8GA1UdIwQYMBaAFLlfkkJaIcCwHBdFI+GxVPMWVSCo
MA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDRwAwRAIgA+CQohjSM0y6biKx
Hu9tPuPv2xlfeSh7IFLjdzmCabACIGL7iDxOZYmVFC/4cBzm/OOr8UUROkglHEJZ
Ha/JA9DV
-----END CERTIFICATE-----
-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgd5VJx41GGgo5raQm
9LCrUPdZd0X2sWTkfBLkz6EATl+hRANCAASsFGcvMW8nBrVz9zisSYWp87zO/vCI
CG1gDLq8bmUtRJzb71G/CYSK6O4fY2Bgzab7jV6FYxbjO7uNlncoaEm4
-----END PRIVATE KEY-----
";

/// Runs `check` until the only references it misses are answered by
/// stand-ins: a reference the input lacks becomes one warning per object
/// and Secret, and the object is checked again for its other problems.
fn settle(
    input: &Snapshot,
    stand_in: &str,
    check: impl Fn(&Snapshot) -> Vec<Problem>,
) -> Vec<Problem> {
    let mut snapshot = input.clone();
    let mut warnings: BTreeMap<(ObjectId, String), Problem> = BTreeMap::new();
    // Each round adds at least one stand-in; objects reference few.
    for _ in 0..64 {
        let mut errors = Vec::new();
        let mut changed = false;
        for problem in check(&snapshot) {
            let namespace = problem.object.namespace.clone();
            match problem.missing.clone() {
                Some(missing) if !references::present_in(&missing, input, &namespace) => {
                    changed |= references::stub(&missing, &mut snapshot, &namespace, stand_in);
                    let key = (problem.object.clone(), missing.describe());
                    warnings.entry(key).or_insert_with(|| Problem {
                        severity: Severity::Warning,
                        message: format!("{} (not in the input)", problem.message),
                        ..problem
                    });
                }
                _ => errors.push(problem),
            }
        }
        if !changed {
            errors.extend(warnings.into_values());
            return errors;
        }
    }
    warnings.into_values().collect()
}

fn id_of<T: HasMeta>(kind: &str, object: &T) -> ObjectId {
    let meta = object.meta();
    ObjectId::new(
        kind,
        meta.namespace.as_deref().unwrap_or_default(),
        meta.name.as_deref().unwrap_or_default(),
    )
}

fn key_id(kind: &str, key: &ObjectKey) -> ObjectId {
    ObjectId::new(kind, &key.namespace, &key.name)
}

/// Records what one workload selected (valid or not) and its rejections.
fn selection<T>(
    kind: &str,
    selection: &KindSelection<'_, T>,
    workload: &ObjectId,
    covered: &mut BTreeSet<ObjectId>,
    out: &mut Vec<Problem>,
) {
    for s in &selection.selected {
        covered.insert(key_id(kind, &s.key));
    }
    for s in &selection.skipped {
        if let Reason::Rejected(rejection) = &s.reason {
            let id = key_id(kind, &s.key);
            covered.insert(id.clone());
            out.push(Problem::error(id, rejection.clone(), Some(workload)));
        }
    }
}

/// Why a workload gets no configuration, on the object at fault.
fn pipeline_problem(workload: &ObjectId, error: PipelineError) -> Problem {
    let rejected = match error {
        PipelineError::Workload(e)
        | PipelineError::Select(e)
        | PipelineError::Rules(e)
        | PipelineError::Generate(e)
        | PipelineError::Alertmanager(e) => e,
    };
    let object = ObjectId::new(rejected.kind, &rejected.namespace, &rejected.name);
    let on_itself = object == *workload;
    Problem::error(
        object,
        *rejected.rejection,
        (!on_itself).then_some(workload),
    )
}

/// Monitors, ScrapeConfigs and PrometheusRules, and the Prometheus and
/// PrometheusAgent objects themselves.
fn prometheus_side(snapshot: &Snapshot, scope: &ScrapeScope) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut covered = BTreeSet::new();
    let servers = snapshot.prometheuses.iter().map(Workload::Prometheus);
    let agents = snapshot.prometheus_agents.iter().map(Workload::Agent);
    for workload in servers.chain(agents) {
        let id = ObjectId::new(workload.kind(), workload.namespace(), workload.name());
        let selected = match workload {
            Workload::Prometheus(p) => select::select_for_prometheus(snapshot, p, scope),
            Workload::Agent(a) => select::select_for_agent(snapshot, a, scope),
        };
        if let Ok(s) = &selected {
            selection(
                "ServiceMonitor",
                &s.service_monitors,
                &id,
                &mut covered,
                &mut out,
            );
            selection("PodMonitor", &s.pod_monitors, &id, &mut covered, &mut out);
            selection("Probe", &s.probes, &id, &mut covered, &mut out);
            selection(
                "ScrapeConfig",
                &s.scrape_configs,
                &id,
                &mut covered,
                &mut out,
            );
            selection(
                "PrometheusRule",
                &s.prometheus_rules,
                &id,
                &mut covered,
                &mut out,
            );
        }
        if let Err(e) = prometheus_config(snapshot, workload, scope) {
            out.push(pipeline_problem(&id, e));
        }
    }
    default_prometheus(snapshot, &covered, &mut out);
    out
}

/// Checks the objects no workload of the input selects with a Prometheus
/// of default settings.
fn default_prometheus(snapshot: &Snapshot, covered: &BTreeSet<ObjectId>, out: &mut Vec<Problem>) {
    let prometheus = Prometheus::new("default", PrometheusSpec::default());
    let (Ok(version), Ok(rules)) = (
        parse_version(DEFAULT_PROMETHEUS_VERSION),
        RuleContext::for_prometheus(&prometheus),
    ) else {
        return;
    };
    // Its namespace is unknown: file access as the reference allows it.
    let validator = Validator {
        snapshot,
        workload: &prometheus.spec.common,
        namespace: "",
        version,
        monitor_file_access: MonitorFileAccess::All,
        lookups: None,
    };
    let mut check = |id: ObjectId, result: Result<(), Rejection>| {
        if let (false, Err(rejection)) = (covered.contains(&id), result) {
            out.push(Problem::error(id, rejection, None));
        }
    };
    for o in &snapshot.service_monitors {
        check(
            id_of("ServiceMonitor", o),
            validator.check_service_monitor(o),
        );
    }
    for o in &snapshot.pod_monitors {
        check(id_of("PodMonitor", o), validator.check_pod_monitor(o));
    }
    for o in &snapshot.probes {
        check(id_of("Probe", o), validator.check_probe(o));
    }
    for o in &snapshot.scrape_configs {
        check(id_of("ScrapeConfig", o), validator.check_scrape_config(o));
    }
    for o in &snapshot.prometheus_rules {
        check(id_of("PrometheusRule", o), rule_file(o, &rules).map(drop));
    }
}

/// ThanosRulers: what the operator would refuse in their own spec (no
/// query endpoint, conflicting arguments, an invalid web TLS or remote
/// write setting, a version they lack), and the PrometheusRules they reject.
/// A custom governing Service is the cluster's and is not checked here.
fn thanos_ruler_side(snapshot: &Snapshot) -> Vec<Problem> {
    let watched = WatchedNamespaces::all();
    let options = OperatorOptions::default();
    let mut out = Vec::new();
    let mut covered = BTreeSet::new();
    for ruler in &snapshot.thanos_rulers {
        let meta = &ruler.metadata;
        let id = ObjectId::new(
            "ThanosRuler",
            meta.namespace.as_deref().unwrap_or_default(),
            meta.name.as_deref().unwrap_or_default(),
        );
        match thanos_ruler_state(snapshot, ruler, &watched, &options) {
            Ok(state) => selection("PrometheusRule", &state.rules, &id, &mut covered, &mut out),
            Err(StateError::Objects(rejected)) => {
                let object = ObjectId::new(rejected.kind, &rejected.namespace, &rejected.name);
                out.push(Problem::error(object, *rejected.rejection, None));
            }
            Err(StateError::Pipeline(e)) => out.push(pipeline_problem(&id, e)),
        }
    }
    out
}

/// AlertmanagerConfigs and the Alertmanager objects themselves.
fn alertmanager_side(snapshot: &Snapshot) -> Vec<Problem> {
    let watched = WatchedNamespaces::all();
    let mut out = Vec::new();
    let mut covered = BTreeSet::new();
    for am in &snapshot.alertmanagers {
        let meta = &am.metadata;
        let id = ObjectId::new(
            "Alertmanager",
            meta.namespace.as_deref().unwrap_or_default(),
            meta.name.as_deref().unwrap_or_default(),
        );
        if merges(am)
            && let Ok(s) = select_for_alertmanager(snapshot, am, &watched)
        {
            selection("AlertmanagerConfig", &s, &id, &mut covered, &mut out);
        }
        // The base configuration is checked by the generation below.
        let base = am.spec.alertmanager_configuration.as_ref();
        if let Some(name) = base.and_then(|c| c.name.as_deref()) {
            covered.insert(ObjectId::new("AlertmanagerConfig", &id.namespace, name));
        }
        if let Err(e) = alertmanager_config(snapshot, am, &watched) {
            out.push(pipeline_problem(&id, e));
        }
    }
    let Ok(version) = Version::parse(DEFAULT_ALERTMANAGER_VERSION) else {
        return out;
    };
    for amc in &snapshot.alertmanager_configs {
        let id = id_of("AlertmanagerConfig", amc);
        if covered.contains(&id) {
            continue;
        }
        let secrets = Secrets {
            snapshot,
            namespace: &id.namespace,
        };
        if let Err(message) = am_validate::check(amc, &secrets, &version) {
            out.push(Problem::error(id, Rejection::new("spec", message), None));
        }
    }
    out
}
