//! Which config resources a Prometheus or PrometheusAgent uses, and why the
//! others are not used.
//!
//! For each kind the workload has a label selector (unset selects nothing,
//! `{}` everything) and a namespace selector (unset: the workload's own
//! namespace, `{}`: every watched namespace). Selected objects are then
//! validated; an invalid one is rejected with a reason, the others stay.
//! Results are sorted by `namespace/name`, the key the reference uses.
mod alertmanager_configs;
pub mod dereference;
pub mod file_access;
pub mod label_selector;
pub mod namespaces;
pub mod reasons;
mod rules;
pub mod validate;

use std::cell::RefCell;
use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use promop_api::v1::prometheus::CommonPrometheusFields;
use promop_api::v1::{PodMonitor, Probe, Prometheus, PrometheusRule, ServiceMonitor};
use promop_api::v1alpha1::{PrometheusAgent, ScrapeConfig};

pub use self::alertmanager_configs::select_for_alertmanager;
use self::file_access::MonitorFileAccess;
use self::label_selector::{Selector, SelectorError};
use self::namespaces::{NamespaceSelection, WatchedNamespaces};
use self::reasons::{Reason, RejectedObject, Rejection};
use self::validate::Validator;
use crate::prometheus::memo::{Checked, Lookups, Memo, Used};
use crate::snapshot::{ObjectKey, Objects, Snapshot};

/// The config resources of one workload.
#[derive(Debug)]
pub struct Selection<'a> {
    pub service_monitors: KindSelection<'a, ServiceMonitor>,
    pub pod_monitors: KindSelection<'a, PodMonitor>,
    pub probes: KindSelection<'a, Probe>,
    pub scrape_configs: KindSelection<'a, ScrapeConfig>,
    /// Always empty for a PrometheusAgent (it has no rules).
    pub prometheus_rules: KindSelection<'a, PrometheusRule>,
}

/// The objects of one kind: selected and valid, or skipped with a reason.
#[derive(Debug)]
pub struct KindSelection<'a, T> {
    /// Sorted by `namespace/name`.
    pub selected: Vec<Selected<'a, T>>,
    /// Every other object of the kind, sorted by `namespace/name`.
    pub skipped: Vec<Skipped>,
}

impl<T> Default for KindSelection<'_, T> {
    fn default() -> Self {
        Self {
            selected: Vec::new(),
            skipped: Vec::new(),
        }
    }
}

#[derive(Debug)]
pub struct Selected<'a, T> {
    pub key: ObjectKey,
    pub object: &'a T,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    pub key: ObjectKey,
    pub reason: Reason,
}

impl<T> KindSelection<'_, T> {
    /// `namespace/name` of the selected objects.
    pub fn selected_keys(&self) -> Vec<String> {
        self.selected.iter().map(|s| s.key.to_string()).collect()
    }

    /// The reason an object was skipped, if it was.
    pub fn reason(&self, key: &ObjectKey) -> Option<&Reason> {
        self.skipped
            .iter()
            .find(|s| &s.key == key)
            .map(|s| &s.reason)
    }

    /// The selected objects that were rejected as invalid, as the operator
    /// reports them in events.
    pub fn rejected(&self, kind: &'static str) -> impl Iterator<Item = RejectedObject> + '_ {
        self.skipped.iter().filter_map(move |s| match &s.reason {
            Reason::Rejected(why) => Some(RejectedObject::new(
                kind,
                &s.key.namespace,
                &s.key.name,
                why.clone(),
            )),
            _ => None,
        })
    }
}

/// The operator's settings that bound what every Prometheus and
/// PrometheusAgent selects.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScrapeScope {
    /// Where monitors, probes, ScrapeConfigs and rules are taken from
    /// (`--namespaces`, `--deny-namespaces`).
    pub namespaces: WatchedNamespaces,
    /// Which ServiceMonitors may read files (`--monitor-file-access`).
    pub monitor_file_access: MonitorFileAccess,
}

impl ScrapeScope {
    /// Every namespace, and file access as the reference allows it.
    pub fn reference() -> Self {
        Self {
            namespaces: WatchedNamespaces::all(),
            monitor_file_access: MonitorFileAccess::All,
        }
    }
}

/// Selects the config resources of a Prometheus, PrometheusRules included.
pub fn select_for_prometheus<'a>(
    snapshot: &'a Snapshot,
    prometheus: &'a Prometheus,
    scope: &ScrapeScope,
) -> Result<Selection<'a>, RejectedObject> {
    select_for_prometheus_with(snapshot, prometheus, scope, None)
}

/// [`select_for_prometheus`], with the checks of config objects and the
/// rule files (which validate PrometheusRules) kept in `memo`.
pub fn select_for_prometheus_with<'a>(
    snapshot: &'a Snapshot,
    prometheus: &'a Prometheus,
    scope: &ScrapeScope,
    memo: Option<&Memo>,
) -> Result<Selection<'a>, RejectedObject> {
    let workload = Workload::new("Prometheus", &prometheus.metadata, &prometheus.spec.common);
    let mut selection = workload.select_scrape_resources(snapshot, scope, memo)?;
    selection.prometheus_rules =
        rules::select_rules(&workload, prometheus, snapshot, &scope.namespaces, memo)?;
    Ok(selection)
}

/// Selects the config resources of a PrometheusAgent.
pub fn select_for_agent<'a>(
    snapshot: &'a Snapshot,
    agent: &'a PrometheusAgent,
    scope: &ScrapeScope,
) -> Result<Selection<'a>, RejectedObject> {
    select_for_agent_with(snapshot, agent, scope, None)
}

/// [`select_for_agent`], with the checks kept in `memo`.
pub fn select_for_agent_with<'a>(
    snapshot: &'a Snapshot,
    agent: &'a PrometheusAgent,
    scope: &ScrapeScope,
    memo: Option<&Memo>,
) -> Result<Selection<'a>, RejectedObject> {
    Workload::new("PrometheusAgent", &agent.metadata, &agent.spec.common)
        .select_scrape_resources(snapshot, scope, memo)
}

/// A Prometheus or PrometheusAgent, through the fields they share.
pub(crate) struct Workload<'a> {
    pub kind: &'static str,
    pub namespace: &'a str,
    pub name: &'a str,
    pub common: &'a CommonPrometheusFields,
    /// Dereferencing ([`dereference`]): the objects the selectors match
    /// note what they reference instead of being validated.
    pub dereference: bool,
}

/// The selector fields of one kind, named as in the workload's spec.
pub(crate) struct SelectorFields<'a> {
    pub field: &'static str,
    pub selector: Option<&'a LabelSelector>,
    pub namespace_field: &'static str,
    pub namespace_selector: Option<&'a LabelSelector>,
}

impl<'a> Workload<'a> {
    pub(crate) fn new(
        kind: &'static str,
        meta: &'a ObjectMeta,
        common: &'a CommonPrometheusFields,
    ) -> Self {
        Self {
            kind,
            namespace: meta.namespace.as_deref().unwrap_or_default(),
            name: meta.name.as_deref().unwrap_or_default(),
            common,
            dereference: false,
        }
    }

    pub(crate) fn select_scrape_resources(
        &self,
        snapshot: &'a Snapshot,
        scope: &ScrapeScope,
        memo: Option<&Memo>,
    ) -> Result<Selection<'a>, RejectedObject> {
        let version = validate::prometheus_version(self.common)
            .map_err(|message| self.rejected(Rejection::new("spec.version", message)))?;
        let lookups = Lookups::default();
        let validator = Validator {
            snapshot,
            workload: self.common,
            namespace: self.namespace,
            version,
            monitor_file_access: scope.monitor_file_access,
            lookups: memo.map(|_| &lookups),
        };
        let context = memo
            .map(|_| self.check_context(&validator))
            .unwrap_or_default();
        let checked = RefCell::new(Used::default());
        // The check of the object whose metadata is `meta`, kept in the
        // memo if any.
        let check = |meta: &'a ObjectMeta, check: &dyn Fn() -> Checked| match memo {
            Some(memo) => {
                checked.borrow_mut().extend(meta.uid.as_deref());
                memo.check(meta, context, snapshot, &lookups, check)
            }
            None => check(),
        };
        let watched = &scope.namespaces;
        let c = self.common;
        let fields =
            |field, selector: &'a Option<LabelSelector>, namespace_field, ns| SelectorFields {
                field,
                selector: selector.as_ref(),
                namespace_field,
                namespace_selector: Option::as_ref(ns),
            };
        let selection = Selection {
            service_monitors: self.select(
                snapshot,
                watched,
                &snapshot.service_monitors,
                fields(
                    "serviceMonitorSelector",
                    &c.service_monitor_selector,
                    "serviceMonitorNamespaceSelector",
                    &c.service_monitor_namespace_selector,
                ),
                |o| check(&o.metadata, &|| validator.check_service_monitor(o)),
            )?,
            pod_monitors: self.select(
                snapshot,
                watched,
                &snapshot.pod_monitors,
                fields(
                    "podMonitorSelector",
                    &c.pod_monitor_selector,
                    "podMonitorNamespaceSelector",
                    &c.pod_monitor_namespace_selector,
                ),
                |o| check(&o.metadata, &|| validator.check_pod_monitor(o)),
            )?,
            probes: self.select(
                snapshot,
                watched,
                &snapshot.probes,
                fields(
                    "probeSelector",
                    &c.probe_selector,
                    "probeNamespaceSelector",
                    &c.probe_namespace_selector,
                ),
                |o| check(&o.metadata, &|| validator.check_probe(o)),
            )?,
            scrape_configs: self.select(
                snapshot,
                watched,
                &snapshot.scrape_configs,
                fields(
                    "scrapeConfigSelector",
                    &c.scrape_config_selector,
                    "scrapeConfigNamespaceSelector",
                    &c.scrape_config_namespace_selector,
                ),
                |o| check(&o.metadata, &|| validator.check_scrape_config(o)),
            )?,
            prometheus_rules: KindSelection::default(),
        };
        if let Some(memo) = memo {
            memo.retain_checks(&checked.into_inner());
        }
        Ok(selection)
    }

    /// A hash of what the checks of config objects depend on besides the
    /// objects and what they read: the workload and the operator's scope.
    fn check_context(&self, validator: &Validator<'_>) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut hasher = xxhash_rust::xxh64::Xxh64::new(0);
        (self.kind, self.namespace, self.name).hash(&mut hasher);
        serde_json::to_vec(self.common)
            .unwrap_or_default()
            .hash(&mut hasher);
        format!(
            "{:?} {:?}",
            validator.version, validator.monitor_file_access
        )
        .hash(&mut hasher);
        hasher.finish()
    }

    fn invalid_selector(&self, field: &'static str, source: SelectorError) -> RejectedObject {
        self.rejected(Rejection::new(format!("spec.{field}"), source.to_string()))
    }

    /// The workload itself, rejected.
    pub(crate) fn rejected(&self, rejection: Rejection) -> RejectedObject {
        RejectedObject::new(self.kind, self.namespace, self.name, rejection)
    }

    /// Selection of one kind: namespaces, then labels, then validation.
    pub(crate) fn select<T: HasMeta + serde::Serialize>(
        &self,
        snapshot: &Snapshot,
        watched: &WatchedNamespaces,
        objects: &'a Objects<T>,
        fields: SelectorFields<'_>,
        check: impl Fn(&'a T) -> Result<(), Rejection>,
    ) -> Result<KindSelection<'a, T>, RejectedObject> {
        let namespaces = NamespaceSelection::new(self.namespace, fields.namespace_selector)
            .map_err(|e| self.invalid_selector(fields.namespace_field, e))?;
        let selector = Selector::from_optional(fields.selector)
            .map_err(|e| self.invalid_selector(fields.field, e))?;
        let mut outcomes: Vec<(ObjectKey, Result<&'a T, Reason>)> = Vec::new();
        for object in objects {
            let meta = object.meta();
            let namespace = meta.namespace.as_deref().unwrap_or_default();
            let name = meta.name.as_deref().unwrap_or_default();
            let outcome = if !watched.watches(namespace) {
                Err(Reason::NamespaceNotWatched {
                    namespace: namespace.to_owned(),
                })
            } else if let Err(reason) =
                namespaces.check(namespace, snapshot, fields.namespace_field)
            {
                Err(reason)
            } else if !selector.matches(meta.labels.as_ref().unwrap_or(&BTreeMap::new())) {
                Err(Reason::LabelsNotMatched {
                    field: fields.field,
                    selector: selector.to_string(),
                })
            } else if self.dereference {
                snapshot.note_references(meta, object);
                Ok(object)
            } else {
                check(object).map(|()| object).map_err(|rejection| {
                    // Rejected maybe for a Secret a cold cache lacks: name
                    // every one it references, so that they are fetched
                    // together rather than one per generation.
                    snapshot.note_references(meta, object);
                    Reason::Rejected(rejection)
                })
            };
            outcomes.push((ObjectKey::new(namespace, name), outcome));
        }
        let mut result = KindSelection::default();
        for (key, outcome) in in_reference_order(outcomes) {
            match outcome {
                Ok(object) => result.selected.push(Selected { key, object }),
                Err(reason) => result.skipped.push(Skipped { key, reason }),
            }
        }
        Ok(result)
    }
}

/// `outcomes` ordered like the reference's, by `namespace/name` as one
/// string (not the same as by namespace, then name: `a-b/x` comes before
/// `a/x`); of the same key, the later replaces the earlier.
fn in_reference_order<V>(mut outcomes: Vec<(ObjectKey, V)>) -> Vec<(ObjectKey, V)> {
    fn joined(key: &ObjectKey) -> impl Iterator<Item = u8> + '_ {
        let slash = std::iter::once(b'/');
        key.namespace.bytes().chain(slash).chain(key.name.bytes())
    }
    // Stable: of equal keys, the later stays last.
    outcomes.sort_by(|(a, _), (b, _)| joined(a).cmp(joined(b)));
    let mut ordered: Vec<(ObjectKey, V)> = Vec::with_capacity(outcomes.len());
    for (key, value) in outcomes {
        match ordered.last_mut() {
            Some(last) if last.0 == key => *last = (key, value),
            _ => ordered.push((key, value)),
        }
    }
    ordered
}

/// Access to the metadata of the selectable kinds.
pub trait HasMeta {
    fn meta(&self) -> &ObjectMeta;
}

macro_rules! has_meta {
    ($($kind:ty),*) => {$(
        impl HasMeta for $kind {
            fn meta(&self) -> &ObjectMeta {
                &self.metadata
            }
        }
    )*};
}
has_meta!(
    promop_api::v1alpha1::AlertmanagerConfig,
    ServiceMonitor,
    PodMonitor,
    Probe,
    ScrapeConfig,
    PrometheusRule
);
