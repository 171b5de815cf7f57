//! Manifests (multi-document YAML) into a [`Snapshot`], the way the API
//! server would store them: unknown fields pruned, CRD defaults applied,
//! invalid objects set aside with a reason. Pure: the caller reads the text.
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Secret};
use promop_api::object::{MonitoringObject, decode_object, is_monitoring_kind};
use promop_api::v1beta1::alertmanager_config::conversion;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::snapshot::{ObjectKey, Objects, Snapshot};

const MONITORING_GROUP: &str = "monitoring.coreos.com/";

/// What was read: the snapshot and one line per object that was skipped or
/// changed on the way (`kind ns/name: field.path: why`).
#[derive(Debug, Default)]
pub struct Loaded {
    pub snapshot: Snapshot,
    /// The notes as text, one line each.
    pub warnings: Vec<String>,
    /// The same, structured (`promop lint` reports them with their origin).
    pub notes: Vec<Note>,
    /// Where each object of the snapshot was read (its last definition).
    pub origins: BTreeMap<ObjectId, Origin>,
}

/// A document of the input: the file (or `-`) and its index, from 0.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Origin {
    pub source: String,
    pub index: usize,
}

/// Kind, namespace and name of an object.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ObjectId {
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

impl ObjectId {
    pub fn new(kind: impl Into<String>, namespace: &str, name: &str) -> Self {
        Self {
            kind: kind.into(),
            namespace: namespace.to_owned(),
            name: name.to_owned(),
        }
    }
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}/{}", self.kind, self.namespace, self.name)
    }
}

/// Something met while reading: a document or field ignored, an object
/// skipped (the API server would refuse it) or replaced by a later one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    pub origin: Origin,
    /// `None` for a document that is not an object.
    pub object: Option<ObjectId>,
    pub field: Option<String>,
    pub message: String,
    pub outcome: Outcome,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The document or field is ignored; the rest is kept.
    Ignored,
    /// The object is not in the snapshot: the API server would refuse it.
    Skipped,
    /// A later definition of the same object replaced this one.
    Replaced,
    /// Read, but not used by the generators yet.
    Unused,
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.object {
            Some(object) => write!(f, "{object}: ")?,
            None => write!(
                f,
                "{}: document {}: ",
                self.origin.source, self.origin.index
            )?,
        }
        if let Some(field) = &self.field {
            write!(f, "{field}: ")?;
        }
        f.write_str(&self.message)?;
        if self.outcome == Outcome::Skipped {
            f.write_str("; object skipped")?;
        }
        Ok(())
    }
}

/// Input that cannot be used at all (`promop render` exits with code 2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{source_name}: document {index}: {message}")]
pub struct UnusableInput {
    pub source_name: String,
    pub index: usize,
    pub message: String,
}

/// How strict reading is about documents that are not Kubernetes objects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strictness {
    /// Every document must be a Kubernetes object (a file named explicitly).
    ObjectsOnly,
    /// Other YAML is skipped with a warning (a file met while walking a
    /// directory may be a raw Prometheus or Alertmanager config).
    SkipOthers,
}

impl Loaded {
    /// The objects of one text, those without a namespace in `default`: the
    /// snapshot of a scenario or a test fixture.
    pub fn objects(source_name: &str, text: &str) -> Result<Self, UnusableInput> {
        let mut loaded = Self::default();
        loaded.add_yaml(source_name, text, "default", Strictness::ObjectsOnly)?;
        Ok(loaded)
    }

    /// Adds every document of `text` (named `source_name` in messages);
    /// objects without a namespace go to `namespace`.
    pub fn add_yaml(
        &mut self,
        source_name: &str,
        text: &str,
        namespace: &str,
        strictness: Strictness,
    ) -> Result<(), UnusableInput> {
        let docs: Vec<Value> =
            serde_saphyr::from_multiple_with_options(text, yaml_options(text.len())).map_err(
                |e| UnusableInput {
                    source_name: source_name.to_owned(),
                    index: 0,
                    message: yaml_error(&e, text.len()),
                },
            )?;
        for (index, doc) in docs.into_iter().enumerate() {
            let origin = Origin {
                source: source_name.to_owned(),
                index,
            };
            for object in flatten_lists(doc) {
                if strictness == Strictness::SkipOthers && !is_object(&object) {
                    self.note(Note {
                        origin: origin.clone(),
                        object: None,
                        field: None,
                        message: "not a Kubernetes object, ignored".into(),
                        outcome: Outcome::Ignored,
                    });
                    continue;
                }
                add(self, object, namespace, &origin).map_err(|message| UnusableInput {
                    source_name: source_name.to_owned(),
                    index,
                    message,
                })?;
            }
        }
        Ok(())
    }

    fn note(&mut self, note: Note) {
        self.warnings.push(note.to_string());
        self.notes.push(note);
    }
}

/// How deeply mappings and sequences may nest in the input (the parser's
/// default): twice what Kubernetes objects need (the deepest CRD schemas
/// nest about 30 levels), and little enough for the parser's recursion to
/// fit a 2 MiB thread stack even in a debug build.
pub const MAX_DEPTH: usize = 64;

/// The parser's limits for a text of `len` bytes. The parser's defaults
/// (250,000 nodes, 1,024 documents, 64 MiB of scalars, 1,000,000 alias
/// events) are raised in proportion to the text, so that every text
/// without aliases passes, whatever its size (the caller bounds the size):
/// a node, an event or a document needs at least a byte of text, or a few.
/// Aliases can add at most as much again, which stops alias bombs ("billion
/// laughs") before they take memory or time.
fn yaml_options(len: usize) -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_depth = MAX_DEPTH;
    budget.flow_nesting_limit = MAX_DEPTH;
    budget.max_nodes = budget.max_nodes.max(len);
    budget.max_events = budget.max_events.max(len.saturating_mul(4));
    budget.max_documents = budget.max_documents.max(len / 4);
    budget.max_total_scalar_bytes = budget.max_total_scalar_bytes.max(len.saturating_mul(2));
    // The limits above bound the work; the ratio of aliases to anchors
    // would also refuse a file that merges one `&defaults` a hundred times.
    budget.enforce_alias_anchor_ratio = false;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options
}

/// Why a text of `len` bytes was refused: a limit of [`yaml_options`] in
/// words (without the parser's snippet: it would quote the whole line of
/// an alias bomb), or the parser's own message.
fn yaml_error(error: &serde_saphyr::Error, len: usize) -> String {
    match limit_breached(error, len) {
        Some(what) => {
            let at = error
                .location()
                .filter(|l| l.line() > 0)
                .map(|l| format!("line {} column {}: ", l.line(), l.column()))
                .unwrap_or_default();
            format!("not valid YAML: {at}{what}")
        }
        // Without the snippet either: a manifest may be a Secret.
        None => format!("not valid YAML: {}", crate::yaml::parse_error(error)),
    }
}

/// The limit of [`yaml_options`] that `error` reports, in words.
fn limit_breached(error: &serde_saphyr::Error, len: usize) -> Option<String> {
    use serde_saphyr::Error as E;
    use serde_saphyr::budget::BudgetBreach as B;
    use serde_saphyr::granit_parser::ErrorKind;
    let expanded = "once its aliases are expanded (an alias bomb?)";
    let deep = || format!("nested deeper than {MAX_DEPTH} levels");
    let limits = yaml_options(len).budget.unwrap_or_default();
    Some(match error {
        E::WithSnippet { error, .. } | E::AliasError { error, .. } => {
            return limit_breached(error, len);
        }
        E::Budget { breach, .. } => match breach {
            B::Depth { .. } => deep(),
            B::Nodes { .. } => format!("more than {} nodes {expanded}", limits.max_nodes),
            B::Events { .. } => format!("more than {} events {expanded}", limits.max_events),
            B::ScalarBytes { .. } => format!(
                "more than {} bytes of text {expanded}",
                limits.max_total_scalar_bytes
            ),
            B::RecordedAnchorEvents { .. } | B::RecordedAnchorBytes { .. } => {
                format!("too large {expanded}")
            }
            B::Aliases { .. } => format!("more than {} aliases", limits.max_aliases),
            B::Anchors { .. } => format!("more than {} anchors", limits.max_anchors),
            B::Documents { .. } => format!("more than {} documents", limits.max_documents),
            other => format!("over a limit of the YAML parser ({other:?})"),
        },
        E::AliasReplayLimitExceeded {
            max_total_replayed_events,
            ..
        } => format!("more than {max_total_replayed_events} events {expanded}"),
        E::AliasExpansionLimitExceeded { .. } | E::AliasReplayStackDepthExceeded { .. } => {
            format!("too many alias expansions {expanded}")
        }
        E::ExternalMessage { source, .. } => match source.as_ref() {
            serde_saphyr::ExternalMessageSource::Parser(scan)
                if matches!(scan.kind(), ErrorKind::RecursionLimitExceeded) =>
            {
                deep()
            }
            _ => return None,
        },
        _ => return None,
    })
}

/// Notes about one object read from one document.
struct Reading<'a> {
    loaded: &'a mut Loaded,
    origin: &'a Origin,
    id: ObjectId,
}

impl Reading<'_> {
    fn note(&mut self, field: Option<String>, message: impl Into<String>, outcome: Outcome) {
        self.loaded.note(Note {
            origin: self.origin.clone(),
            object: Some(self.id.clone()),
            field,
            message: message.into(),
            outcome,
        });
    }

    /// `field.path: why`, as the schema validation words it.
    fn refused(&mut self, violation: &str) {
        match violation.split_once(": ") {
            Some((field, why)) => self.note(Some(field.to_owned()), why, Outcome::Skipped),
            None => self.note(None, violation, Outcome::Skipped),
        }
    }
}

fn is_object(doc: &Value) -> bool {
    doc.get("apiVersion").is_some_and(Value::is_string)
        && doc.get("kind").is_some_and(Value::is_string)
}

/// `kind: List` documents hold their objects in `items`; empty documents hold none.
fn flatten_lists(doc: Value) -> Vec<Value> {
    match doc {
        Value::Null => Vec::new(),
        Value::Object(ref map) if map.get("kind").and_then(Value::as_str) == Some("List") => map
            .get("items")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
        other => vec![other],
    }
}

// A plain reason: it becomes an `UnusableInput` of the input file (the CLI
// exits), never the rejection of an object.
fn add(
    loaded: &mut Loaded,
    mut object: Value,
    default_namespace: &str,
    origin: &Origin,
) -> Result<(), String> {
    let Value::Object(map) = &mut object else {
        return Err("not a Kubernetes object (expected a mapping)".into());
    };
    let text = |key: &str| map.get(key).and_then(Value::as_str).map(str::to_owned);
    let (Some(api_version), Some(kind)) = (text("apiVersion"), text("kind")) else {
        return Err("missing apiVersion or kind".into());
    };
    let metadata = map
        .entry("metadata")
        .or_insert_with(|| Value::Object(Default::default()));
    if !(metadata.is_object() || metadata.is_null()) {
        return Err(format!("{kind}: metadata: must be a mapping"));
    }
    if kind != "Namespace" && metadata.get("namespace").is_none() {
        metadata["namespace"] = Value::from(default_namespace);
    }
    let object_name = metadata
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let id = ObjectId::new(
        kind.clone(),
        metadata["namespace"].as_str().unwrap_or_default(),
        object_name,
    );
    let name = id.to_string();
    let mut reading = Reading { loaded, origin, id };
    if object_name.is_empty() {
        // The API server refuses objects without a name.
        reading.note(Some("metadata.name".into()), "required", Outcome::Skipped);
        return Ok(());
    }
    let snapshot = &mut reading.loaded.snapshot;
    match (api_version.as_str(), kind.as_str()) {
        ("v1", "Namespace") => {
            let ns: Namespace = typed(object, &name)?;
            let key = ns.metadata.name.clone().unwrap_or_default();
            snapshot.namespaces.insert(key, ns);
        }
        ("v1", "Secret") => {
            let secret: Secret = typed(object, &name)?;
            let key = key_of(&secret.metadata);
            snapshot.secrets.insert(key, Arc::new(secret));
        }
        ("v1", "ConfigMap") => {
            let config_map: ConfigMap = typed(object, &name)?;
            let key = key_of(&config_map.metadata);
            snapshot.config_maps.insert(key, Arc::new(config_map));
        }
        (v, k) if v.starts_with(MONITORING_GROUP) => {
            if !is_monitoring_kind(v, k) {
                return Err(format!("unknown kind {k} of apiVersion {v}"));
            }
            add_monitoring_object(&mut reading, object);
            return Ok(());
        }
        // Other objects (workloads, Services, RBAC, ...) do not change the
        // generated configuration.
        _ => return Ok(()),
    }
    reading
        .loaded
        .origins
        .insert(reading.id.clone(), origin.clone());
    Ok(())
}

/// The decoded object; the error is an [`add`] reason (`UnusableInput`).
fn typed<T: DeserializeOwned>(object: Value, name: &str) -> Result<T, String> {
    serde_path_to_error::deserialize(object)
        .map_err(|e| format!("{name}: {}: {}", e.path(), e.inner()))
}

fn key_of(metadata: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta) -> ObjectKey {
    ObjectKey::new(
        metadata.namespace.clone().unwrap_or_default(),
        metadata.name.clone().unwrap_or_default(),
    )
}

/// Prunes and defaults like the API server, then decodes; an object that
/// does not decode is skipped with a note, as the API server would refuse it.
fn add_monitoring_object(reading: &mut Reading<'_>, mut object: Value) {
    let pruned = promop_api::crd::apply_defaults(&mut object).unwrap_or_default();
    for path in pruned {
        reading.note(
            Some(path),
            "unknown field, ignored (the API server prunes it)",
            Outcome::Ignored,
        );
    }
    let refused = promop_api::crd::validate(&object).unwrap_or_default();
    if !refused.is_empty() {
        // The API server would refuse the object: the operator never sees it.
        for violation in refused {
            reading.refused(&violation);
        }
        return;
    }
    // The API server stores AlertmanagerConfigs as v1alpha1, converted by
    // the conversion webhook after the v1beta1 schema has checked them.
    if let Some(stored) = conversion::convert(&object, conversion::V1ALPHA1) {
        object = stored;
        promop_api::crd::apply_defaults(&mut object);
    }
    let decoded = match decode_object(object) {
        Ok(decoded) => decoded,
        Err(e) => {
            reading.note(None, e.to_string(), Outcome::Skipped);
            return;
        }
    };
    // An object is in the snapshot exactly when its origin was recorded.
    let replaced = reading.loaded.origins.contains_key(&reading.id);
    let s = &mut reading.loaded.snapshot;
    match decoded.object {
        MonitoringObject::Prometheus(o) => upsert(&mut s.prometheuses, *o, replaced),
        MonitoringObject::PrometheusAgent(o) => upsert(&mut s.prometheus_agents, *o, replaced),
        MonitoringObject::Alertmanager(o) => upsert(&mut s.alertmanagers, *o, replaced),
        MonitoringObject::ThanosRuler(o) => upsert(&mut s.thanos_rulers, *o, replaced),
        MonitoringObject::ServiceMonitor(o) => upsert(&mut s.service_monitors, *o, replaced),
        MonitoringObject::PodMonitor(o) => upsert(&mut s.pod_monitors, *o, replaced),
        MonitoringObject::Probe(o) => upsert(&mut s.probes, *o, replaced),
        MonitoringObject::ScrapeConfig(o) => upsert(&mut s.scrape_configs, *o, replaced),
        MonitoringObject::PrometheusRule(o) => upsert(&mut s.prometheus_rules, *o, replaced),
        MonitoringObject::AlertmanagerConfigV1alpha1(o) => {
            upsert(&mut s.alertmanager_configs, *o, replaced)
        }
        MonitoringObject::AlertmanagerConfigV1beta1(_) => {
            // Not reached: converted to v1alpha1 above.
            reading.note(None, "not converted to v1alpha1", Outcome::Skipped);
            return;
        }
    }
    if replaced {
        // The note belongs to the earlier definition, where it was read.
        let earlier = reading.loaded.origins.get(&reading.id);
        reading.loaded.note(Note {
            origin: earlier.unwrap_or(reading.origin).clone(),
            object: Some(reading.id.clone()),
            field: None,
            message: "defined more than once; the last definition is used".into(),
            outcome: Outcome::Replaced,
        });
    }
    let (id, origin) = (reading.id.clone(), reading.origin.clone());
    reading.loaded.origins.insert(id, origin);
}

/// Adds an object, or, when `replaced`, replaces the one of the same
/// namespace and name that came earlier in the input (what a second
/// `kubectl apply` would do). Only a replacement searches: thousands of
/// objects would take quadratic time.
fn upsert<K: kube_core::Resource>(objects: &mut Objects<K>, object: K, replaced: bool) {
    if replaced {
        objects.upsert(object, |a, b| {
            a.meta().namespace == b.meta().namespace && a.meta().name == b.meta().name
        });
    } else {
        objects.push(object);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Loaded, UnusableInput> {
        let mut loaded = Loaded::default();
        loaded.add_yaml("in.yaml", text, "default", Strictness::ObjectsOnly)?;
        Ok(loaded)
    }

    fn refusal(text: &str) -> String {
        read(text).expect_err("refused").message
    }

    /// `name: &a [x, x, ...]` and nine more levels, each nine aliases of
    /// the one before: 10^9 nodes once expanded.
    fn billion_laughs() -> String {
        let mut text = String::from("a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (prev, name) in ('a'..='i').zip('b'..='j') {
            let aliases = vec![format!("*{prev}"); 9].join(", ");
            text.push_str(&format!("{name}: &{name} [{aliases}]\n"));
        }
        text
    }

    #[test]
    fn a_later_definition_replaces_an_earlier_one() {
        let monitor = |name: &str, port: &str| {
            format!(
                "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\n\
                 metadata: {{name: {name}}}\nspec: {{selector: {{}}, endpoints: [{{port: {port}}}]}}\n"
            )
        };
        let refused = "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\n\
                       metadata: {name: a}\nspec: {endpoints: []}\n";
        let docs = [
            monitor("a", "one"),
            monitor("b", "web"),
            refused.to_owned(),
            monitor("a", "two"),
        ];
        let loaded = read(&docs.join("---\n")).expect("read");
        let monitors = &loaded.snapshot.service_monitors;
        let ports: Vec<_> = monitors
            .iter()
            .map(|m| m.spec.endpoints[0].port.as_deref().unwrap_or_default())
            .collect();
        assert_eq!(ports, ["two", "web"], "replaced in place");
        let replaced: Vec<_> = loaded
            .notes
            .iter()
            .filter(|n| n.outcome == Outcome::Replaced)
            .collect();
        assert_eq!(replaced.len(), 1, "{:?}", loaded.notes);
        assert_eq!(
            replaced[0].origin.index, 0,
            "noted where the first one was read"
        );
        assert_eq!(
            loaded.origins[&ObjectId::new("ServiceMonitor", "default", "a")].index,
            3
        );
    }

    #[test]
    fn an_alias_bomb_is_refused_by_name() {
        let message = refusal(&billion_laughs());
        assert!(message.starts_with("not valid YAML: line "), "{message}");
        assert!(
            message.ends_with("once its aliases are expanded (an alias bomb?)"),
            "{message}"
        );
        // No snippet of the source.
        assert!(
            !message.contains("lol") && !message.contains('\n'),
            "{message}"
        );
    }

    #[test]
    fn nesting_deeper_than_the_limit_is_refused_block_or_flow() {
        let flow = format!("a: {}{}\n", "[".repeat(10_000), "]".repeat(10_000));
        let mut block = String::new();
        for depth in 0..10_000 {
            block.push_str(&format!("{}k:\n", " ".repeat(depth)));
        }
        for text in [flow, block] {
            let message = refusal(&text);
            assert!(message.starts_with("not valid YAML: line "), "{message}");
            assert!(
                message.ends_with(&format!("nested deeper than {MAX_DEPTH} levels")),
                "{message}"
            );
        }
        // Up to the limit is fine.
        let deepest = MAX_DEPTH - 1;
        let text = format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: a}}\nx: {}{}\n",
            "[".repeat(deepest),
            "]".repeat(deepest)
        );
        read(&text).expect("nesting within the limit");
    }

    #[test]
    fn large_inputs_without_aliases_pass_the_parser_limits() {
        // More documents (1,024) and nodes (250,000) than the parser's
        // defaults allow.
        let doc = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: NAME}\ndata: {a: b, c: d}\n";
        let text: Vec<String> = (0..50_000)
            .map(|i| doc.replace("NAME", &format!("m{i}")))
            .collect();
        let loaded = read(&text.join("---\n")).expect("read");
        assert_eq!(loaded.snapshot.config_maps.len(), 50_000);
    }

    #[test]
    fn a_file_merging_one_anchor_many_times_is_read() {
        let mut text = String::from(
            "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  base: &base {x: y}\n",
        );
        for i in 0..300 {
            text.push_str(&format!("  k{i}: *base\n"));
        }
        read(&text).expect("read");
    }
}
