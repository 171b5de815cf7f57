//! The explanation of one input: built once from the generations, then
//! written as text (one line per object) or as JSON (`-o json`).
use std::fmt::Write as _;

use promop_core::manifests::{Note, ObjectId, Outcome};
use promop_core::pipeline::{alertmanager_config, prometheus_config};
use promop_core::prometheus::rules::thanos_ruler_rules;
use promop_core::select::namespaces::WatchedNamespaces;
use promop_core::select::{KindSelection, ScrapeScope, Selection};
use serde_json::{Value, json};

use super::{Input, KINDS, WORKLOAD_KINDS};
use crate::render::Only;

/// The object asked about: `(Kind, namespace/name)`.
pub type Object = (&'static str, String);

/// What a workload does with each object of one kind: `(key, None)` when
/// used, `(key, Some(why))` when not.
type Verdicts = Vec<(String, Option<String>)>;

/// The verdicts of a workload per kind, or why it got no configuration.
type Outcomes = Result<Vec<(&'static str, Verdicts)>, String>;

/// One workload and what it does with the objects (only the asked object's
/// verdicts when there is one).
struct Workload {
    kind: &'static str,
    namespace: String,
    name: String,
    outcomes: Outcomes,
}

/// Everything `explain` says about an input.
pub struct Report<'a> {
    input: &'a Input,
    object: Option<&'a Object>,
    workloads: Vec<Workload>,
    /// No workload at all in the input (after --prometheus/--alertmanager).
    none: bool,
    refused: Vec<&'a Note>,
}

fn verdicts<T>(selection: &KindSelection<'_, T>) -> Verdicts {
    let mut out: Verdicts = selection
        .selected
        .iter()
        .map(|s| (s.key.to_string(), None))
        .chain(
            selection
                .skipped
                .iter()
                .map(|s| (s.key.to_string(), Some(s.reason.to_string()))),
        )
        .collect();
    out.sort();
    out
}

fn prometheus_verdicts(selection: &Selection<'_>, agent: bool) -> Vec<(&'static str, Verdicts)> {
    let mut out = vec![
        ("ServiceMonitor", verdicts(&selection.service_monitors)),
        ("PodMonitor", verdicts(&selection.pod_monitors)),
        ("Probe", verdicts(&selection.probes)),
        ("ScrapeConfig", verdicts(&selection.scrape_configs)),
    ];
    if !agent {
        out.push(("PrometheusRule", verdicts(&selection.prometheus_rules)));
    }
    out
}

/// Only the verdicts about `object`, if given.
fn about(kinds: Vec<(&'static str, Verdicts)>, object: Option<&Object>) -> Outcomes {
    Ok(kinds
        .into_iter()
        .map(|(kind, verdicts)| {
            let wanted = |key: &String| object.is_none_or(|(k, o)| *k == kind && o == key);
            (
                kind,
                verdicts.into_iter().filter(|(k, _)| wanted(k)).collect(),
            )
        })
        .collect())
}

/// Why objects are not in the snapshot at all (the API server would refuse
/// them, or promop cannot decode them): the notes of their loading, of
/// `object` or of every config and workload kind.
fn refused<'a>(input: &'a Input, object: Option<&Object>) -> Vec<&'a Note> {
    let wanted = |id: &ObjectId| match object {
        Some((kind, key)) => id.kind == *kind && format!("{}/{}", id.namespace, id.name) == *key,
        None => {
            KINDS.iter().any(|(kind, _, _)| id.kind == *kind) || WORKLOAD_KINDS.contains(&&*id.kind)
        }
    };
    input
        .loaded
        .notes
        .iter()
        .filter(|n| n.outcome == Outcome::Skipped && n.object.as_ref().is_some_and(wanted))
        .collect()
}

impl<'a> Report<'a> {
    /// Runs the generation of every workload `only` selects.
    pub fn new(
        input: &'a Input,
        only: &Only,
        scope: &ScrapeScope,
        object: Option<&'a Object>,
    ) -> Self {
        let snapshot = &input.loaded.snapshot;
        let watched = WatchedNamespaces::all();
        let selected = only.select(snapshot);
        let none = selected.is_empty();
        let mut workloads = Vec::new();
        for workload in selected.prometheuses {
            let agent = workload.kind() == "PrometheusAgent";
            workloads.push(Workload {
                kind: workload.kind(),
                namespace: workload.namespace().to_owned(),
                name: workload.name().to_owned(),
                outcomes: match prometheus_config(snapshot, workload, scope) {
                    Ok(output) => about(prometheus_verdicts(&output.selection, agent), object),
                    Err(e) => Err(e.to_string()),
                },
            });
        }
        for am in selected.alertmanagers {
            workloads.push(Workload {
                kind: "Alertmanager",
                namespace: am.metadata.namespace.clone().unwrap_or_default(),
                name: am.metadata.name.clone().unwrap_or_default(),
                outcomes: match alertmanager_config(snapshot, am, &watched) {
                    Ok(output) => about(
                        vec![("AlertmanagerConfig", verdicts(&output.selection))],
                        object,
                    ),
                    Err(e) => Err(e.to_string()),
                },
            });
        }
        for ruler in selected.thanos_rulers {
            workloads.push(Workload {
                kind: "ThanosRuler",
                namespace: ruler.metadata.namespace.clone().unwrap_or_default(),
                name: ruler.metadata.name.clone().unwrap_or_default(),
                outcomes: match thanos_ruler_rules(snapshot, ruler, &watched) {
                    Ok((rules, _)) => about(vec![("PrometheusRule", verdicts(&rules))], object),
                    Err(e) => Err(e.to_string()),
                },
            });
        }
        Self {
            input,
            object,
            workloads,
            none,
            refused: refused(input, object),
        }
    }

    /// 0: explained (with an object: used by at least one workload); 1:
    /// the object is used by none, or a workload got no configuration.
    pub fn exit_code(&self) -> u8 {
        let failed = self.workloads.iter().any(|w| w.outcomes.is_err());
        u8::from(failed || self.object.is_some() && !self.used())
    }

    fn verdicts(&self) -> impl Iterator<Item = &Option<String>> {
        self.workloads
            .iter()
            .filter_map(|w| w.outcomes.as_ref().ok())
            .flatten()
            .flat_map(|(_, verdicts)| verdicts.iter().map(|(_, why)| why))
    }

    fn used(&self) -> bool {
        self.verdicts().any(Option::is_none)
    }

    /// Whether the asked object is in the input at all: some workload
    /// judged it, or it was refused.
    fn found(&self) -> bool {
        self.verdicts().next().is_some() || !self.refused.is_empty()
    }

    /// One line per object, under its workload.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for u in &self.input.unreadable {
            let _ = writeln!(out, "{}: not readable ({})", u.kind, u.reason);
        }
        for w in &self.workloads {
            let title = format!("{} {}/{}", w.kind, w.namespace, w.name);
            let kinds = match &w.outcomes {
                Ok(kinds) => kinds,
                Err(e) => {
                    let _ = writeln!(out, "{title}\n  no configuration: {e}");
                    continue;
                }
            };
            let mut lines = String::new();
            for (kind, verdicts) in kinds {
                for (key, why) in verdicts {
                    let _ = match why {
                        None => writeln!(lines, "  {kind} {key}: used"),
                        Some(why) => writeln!(lines, "  {kind} {key}: not used: {why}"),
                    };
                }
            }
            match (self.object, lines.is_empty()) {
                (Some(_), true) => {}
                (None, true) => {
                    let _ = writeln!(out, "{title}\n  (no object of these kinds)");
                }
                (_, false) => {
                    let _ = write!(out, "{title}\n{lines}");
                }
            }
        }
        if self.none {
            let place = self.input.source.place();
            let _ = writeln!(
                out,
                "no Prometheus, PrometheusAgent or Alertmanager in {place}"
            );
        }
        if !self.refused.is_empty() {
            let _ = writeln!(out, "{}", self.input.source.refused_heading());
            for note in &self.refused {
                let _ = writeln!(out, "  {note}");
            }
        } else if let Some((kind, key)) = self.object
            && !self.found()
        {
            let _ = writeln!(out, "{kind} {key}: not in {}", self.input.source.place());
        }
        out
    }

    /// `{unreadable, workloads: [{kind, namespace, name, error | kinds:
    /// {Kind: [{namespace, name, used, reason}]}}], refused, object}`.
    pub fn json(&self) -> Value {
        // With an object: only the workloads that judged it, its kind only.
        let only_judged = self.object.is_some();
        let workloads: Vec<Value> = self
            .workloads
            .iter()
            .filter_map(|w| workload_json(w, only_judged))
            .collect();
        let refused: Vec<Value> = self
            .refused
            .iter()
            .map(|note| {
                let id = note.object.as_ref();
                json!({
                    "kind": id.map(|id| id.kind.as_str()),
                    "namespace": id.map(|id| id.namespace.as_str()),
                    "name": id.map(|id| id.name.as_str()),
                    "field": note.field,
                    "reason": note.message,
                })
            })
            .collect();
        let unreadable: Vec<Value> = self
            .input
            .unreadable
            .iter()
            .map(|u| json!({"kind": u.kind, "reason": u.reason}))
            .collect();
        let mut out = json!({
            "source": self.input.source.name(),
            "unreadable": unreadable,
            "workloads": workloads,
            "refused": refused,
        });
        if let Some((kind, key)) = self.object {
            let (namespace, name) = key.split_once('/').unwrap_or_default();
            out["object"] = json!({
                "kind": kind,
                "namespace": namespace,
                "name": name,
                "found": self.found(),
                "used": self.used(),
            });
        }
        out
    }
}

/// A workload and its verdicts per kind; with `only_judged`, `None` when
/// it judged no object, and the kinds without objects left out.
fn workload_json(w: &Workload, only_judged: bool) -> Option<Value> {
    let mut out = json!({"kind": w.kind, "namespace": w.namespace, "name": w.name});
    match &w.outcomes {
        Err(e) => out["error"] = Value::from(e.as_str()),
        Ok(kinds) => {
            let kinds: serde_json::Map<String, Value> = kinds
                .iter()
                .filter(|(_, verdicts)| !(only_judged && verdicts.is_empty()))
                .map(|(kind, verdicts)| {
                    let objects = verdicts.iter().map(|(key, why)| {
                        let (namespace, name) = key.split_once('/').unwrap_or_default();
                        let mut object = json!({
                            "namespace": namespace,
                            "name": name,
                            "used": why.is_none(),
                        });
                        if let Some(why) = why {
                            object["reason"] = Value::from(why.as_str());
                        }
                        object
                    });
                    ((*kind).to_owned(), objects.collect())
                })
                .collect();
            if only_judged && kinds.is_empty() {
                return None;
            }
            out["kinds"] = Value::Object(kinds);
        }
    }
    Some(out)
}
