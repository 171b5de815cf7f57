//! Scrape jobs and rule files kept between generations. The operator
//! regenerates a workload's configuration on every change, yet a change
//! touches the jobs of one config object, or one PrometheusRule's file: the
//! others are reused, already emitted, while nothing they were built from
//! changed.
//!
//! A rule file is a function of its PrometheusRule and the workload's rule
//! context (format, version, enforcement, PromQL features): an entry holds
//! the rule's uid and resourceVersion and a hash of the context.
//!
//! The jobs of a config object are a function of the object, the
//! workload's generation inputs, and what its Secret and ConfigMap lookups
//! found. A memo entry holds the three: the object's uid and
//! resourceVersion (objects without them, as read from files, are never
//! kept), a hash of the workload's inputs, and every lookup with the
//! resourceVersion it found. Any of them different, and the jobs are built
//! again. The output stays byte for byte what a generation from scratch
//! gives (`tests/memo.rs`).
//!
//! The selection's check of a config object (its validation: TLS material
//! parsed, relabelings compiled…) is kept the same way, by the object's
//! version, a hash of the workload's selection inputs and the Secrets and
//! ConfigMaps the check read.
use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use rustc_hash::{FxHashMap, FxHashSet};

use super::assets::LoadedSecrets;
use crate::snapshot::{Snapshot, by_key};
use crate::yaml::{self, Node};

/// The jobs of one config object, emitted as items of `scrape_configs`.
#[derive(Debug)]
pub struct EmittedJobs {
    /// `- job_name: …` items, each ending with a line break.
    pub text: String,
    /// The `*_file` entries that name TLS assets, in their mappings: what
    /// the TLS assets scan reads of the jobs.
    pub assets: Node,
}

impl EmittedJobs {
    pub(crate) fn emit(jobs: &[Node]) -> Self {
        let assets = jobs.iter().filter_map(asset_entries).collect();
        Self {
            text: yaml::sequence_to_string(jobs),
            assets: Node::Seq(assets),
        }
    }
}

/// The part of `node` that names files under the TLS assets directory.
fn asset_entries(node: &Node) -> Option<Node> {
    match node {
        Node::Map(map) => {
            let mut kept = yaml::Mapping::new();
            for (key, value) in map.iter() {
                let named = match value {
                    Node::Str(path) => (key.ends_with("_file")
                        && path.starts_with(super::assets::TLS_ASSETS_DIR))
                    .then(|| value.clone()),
                    other => asset_entries(other),
                };
                kept.insert_opt(key, named);
            }
            (!kept.is_empty()).then_some(Node::Map(kept))
        }
        Node::Seq(items) | Node::FlowSeq(items) => {
            let kept: Vec<Node> = items.iter().filter_map(asset_entries).collect();
            (!kept.is_empty()).then_some(Node::Seq(kept))
        }
        _ => None,
    }
}

/// A Secret or ConfigMap lookup made while building one object's jobs, and
/// what it found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lookup {
    config_map: bool,
    namespace: String,
    name: String,
    /// A Secret the generation may read (see [`LoadedSecrets`]).
    loaded: bool,
    /// The resourceVersion found; `None` when missing.
    version: Option<String>,
    /// Read by a check (in full, whatever `LoadedSecrets` holds).
    by_check: bool,
}

/// The lookups of the object being built.
pub(crate) type Lookups = RefCell<Vec<Lookup>>;

impl Lookup {
    pub(crate) fn secret(
        snapshot: &Snapshot,
        loaded: &LoadedSecrets,
        namespace: &str,
        name: &str,
    ) -> Self {
        let found = by_key(&snapshot.secrets, namespace, name).map(|s| &s.metadata);
        Self {
            config_map: false,
            loaded: loaded.contains(namespace, name),
            version: found.map(version),
            namespace: namespace.to_owned(),
            name: name.to_owned(),
            by_check: false,
        }
    }

    /// A Secret (or a ConfigMap) a check reads.
    pub(crate) fn checked(
        snapshot: &Snapshot,
        config_map: bool,
        namespace: &str,
        name: &str,
    ) -> Self {
        let found = match config_map {
            true => Self::config_map(snapshot, namespace, name),
            false => Self::secret(snapshot, &LoadedSecrets::default(), namespace, name),
        };
        Self {
            loaded: true,
            by_check: true,
            ..found
        }
    }

    pub(crate) fn config_map(snapshot: &Snapshot, namespace: &str, name: &str) -> Self {
        let found = by_key(&snapshot.config_maps, namespace, name).map(|c| &c.metadata);
        Self {
            config_map: true,
            loaded: true,
            version: found.map(version),
            namespace: namespace.to_owned(),
            name: name.to_owned(),
            by_check: false,
        }
    }

    /// Whether the same lookup in `snapshot` finds what this one found
    /// (told without building it again: a reconcile asks for every lookup
    /// of every kept object).
    fn holds(&self, snapshot: &Snapshot, loaded: &LoadedSecrets) -> bool {
        let (namespace, name) = (self.namespace.as_str(), self.name.as_str());
        let (found, loaded) = match (self.config_map, self.by_check) {
            (true, _) => (
                by_key(&snapshot.config_maps, namespace, name).map(|c| &c.metadata),
                true,
            ),
            (false, true) => (
                by_key(&snapshot.secrets, namespace, name).map(|s| &s.metadata),
                true,
            ),
            (false, false) => (
                by_key(&snapshot.secrets, namespace, name).map(|s| &s.metadata),
                loaded.contains(namespace, name),
            ),
        };
        // An object without a resourceVersion never matches (see `version`).
        let same_version = match (found, &self.version) {
            (Some(meta), Some(version)) => meta.resource_version.as_ref() == Some(version),
            (None, None) => true,
            _ => false,
        };
        self.loaded == loaded && same_version
    }

    /// Notes the lookup in the snapshot's reads, as building the jobs
    /// would have: the operator fetches and watches what generations read.
    fn replay(&self, snapshot: &Snapshot) {
        match (self.config_map, self.loaded) {
            (true, _) => drop(snapshot.config_map(&self.namespace, &self.name)),
            (false, true) => drop(snapshot.secret(&self.namespace, &self.name)),
            (false, false) => {}
        }
    }
}

/// A resourceVersion, or a value no other object has when it has none (an
/// object without one is never the same as before).
fn version(meta: &ObjectMeta) -> String {
    meta.resource_version.clone().unwrap_or_else(|| {
        static UNVERSIONED: AtomicU64 = AtomicU64::new(0);
        let n = UNVERSIONED.fetch_add(1, Ordering::Relaxed);
        format!("unversioned-{n}")
    })
}

/// The objects the memo keeps something of, by uid (unique across kinds).
pub(crate) type Used<'a> = FxHashSet<&'a str>;

struct Entry {
    /// The object's resourceVersion (the entry is keyed by its uid).
    version: String,
    /// The hash of the workload's generation inputs.
    context: u64,
    lookups: Vec<Lookup>,
    jobs: Arc<EmittedJobs>,
}

/// A rule file, or why its PrometheusRule is rejected.
pub(crate) type RuleFile = Result<String, crate::select::reasons::Rejection>;

struct RuleEntry {
    version: String,
    context: u64,
    file: RuleFile,
}

/// A check's outcome, and what it read.
struct CheckEntry {
    version: String,
    context: u64,
    lookups: Vec<Lookup>,
    outcome: Checked,
}

/// The outcome of the selection's check of one object.
pub(crate) type Checked = Result<(), crate::select::reasons::Rejection>;

/// The emitted jobs and rule files of one workload's config objects (one
/// memo per workload: two workloads build different jobs from the same
/// object).
#[derive(Default)]
pub struct Memo {
    /// Each map is keyed by the object's uid.
    entries: Mutex<FxHashMap<String, Entry>>,
    rule_files: Mutex<FxHashMap<String, RuleEntry>>,
    /// The selection's checks of config objects.
    checks: Mutex<FxHashMap<String, CheckEntry>>,
    /// Objects whose jobs were reused, and built.
    reused: AtomicU64,
    built: AtomicU64,
}

impl std::fmt::Debug for Memo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Memo({} objects)", self.len())
    }
}

/// A hash of what every job of `input`'s workload is built from besides
/// its own object and lookups: the workload's identity and spec, the
/// cluster's capabilities and the shard count.
pub(crate) fn context_hash(input: &super::ConfigInput<'_>) -> u64 {
    use std::hash::{Hash, Hasher};
    let workload = input.workload;
    let spec = match workload {
        super::Workload::Prometheus(p) => serde_json::to_vec(&p.spec),
        super::Workload::Agent(a) => serde_json::to_vec(&a.spec),
    };
    let mut hasher = xxhash_rust::xxh64::Xxh64::new(0);
    (workload.kind(), workload.namespace(), workload.name()).hash(&mut hasher);
    spec.unwrap_or_default().hash(&mut hasher);
    (input.capabilities, input.shards).hash(&mut hasher);
    hasher.finish()
}

/// The uid and resourceVersion of an object read from the API; `None`
/// for objects without them (never kept).
pub(crate) fn object_version(meta: &ObjectMeta) -> Option<(&str, &str)> {
    Some((meta.uid.as_deref()?, meta.resource_version.as_deref()?))
}

impl Memo {
    /// The kept jobs of `key`, if built from the same object version and
    /// context, and every lookup finds what it found then. A hit notes the
    /// lookups in the snapshot's reads.
    pub(crate) fn get(
        &self,
        (uid, version): (&str, &str),
        context: u64,
        snapshot: &Snapshot,
        loaded: &LoadedSecrets,
    ) -> Option<Arc<EmittedJobs>> {
        let entries = self.lock();
        let entry = entries.get(uid)?;
        let same = entry.version == version
            && entry.context == context
            && entry.lookups.iter().all(|l| l.holds(snapshot, loaded));
        if !same {
            return None;
        }
        entry.lookups.iter().for_each(|l| l.replay(snapshot));
        self.reused.fetch_add(1, Ordering::Relaxed);
        Some(entry.jobs.clone())
    }

    pub(crate) fn put(
        &self,
        (uid, version): (&str, &str),
        context: u64,
        lookups: Vec<Lookup>,
        jobs: Arc<EmittedJobs>,
    ) {
        let entry = Entry {
            version: version.to_owned(),
            context,
            lookups,
            jobs,
        };
        self.built.fetch_add(1, Ordering::Relaxed);
        self.lock().insert(uid.to_owned(), entry);
    }

    /// How many times an object's jobs were reused, and built and kept.
    pub fn counts(&self) -> (u64, u64) {
        let load = |n: &AtomicU64| n.load(Ordering::Relaxed);
        (load(&self.reused), load(&self.built))
    }

    /// Forgets the objects not in `used` (no longer selected, or deleted).
    pub(crate) fn retain(&self, used: &Used<'_>) {
        self.lock().retain(|uid, _| used.contains(uid.as_str()));
    }

    /// The rule file of `rule` in the rule context hashed as `context`:
    /// kept, or built and kept.
    pub(crate) fn rule_file(
        &self,
        meta: &ObjectMeta,
        context: u64,
        build: impl FnOnce() -> RuleFile,
    ) -> RuleFile {
        let Some((uid, version)) = object_version(meta) else {
            return build();
        };
        let mut files = lock(&self.rule_files);
        if let Some(entry) = files.get(uid)
            && entry.version == version
            && entry.context == context
        {
            self.reused.fetch_add(1, Ordering::Relaxed);
            return entry.file.clone();
        }
        let file = build();
        self.built.fetch_add(1, Ordering::Relaxed);
        let entry = RuleEntry {
            version: version.to_owned(),
            context,
            file: file.clone(),
        };
        files.insert(uid.to_owned(), entry);
        file
    }

    /// Forgets the rule files of PrometheusRules not in `used`.
    pub(crate) fn retain_rule_files(&self, used: &Used<'_>) {
        lock(&self.rule_files).retain(|uid, _| used.contains(uid.as_str()));
    }

    /// The outcome of `check` on the object whose metadata is `meta`, in the selection context hashed as `context`: kept, or found
    /// and kept with the reads the check noted in `lookups`.
    pub(crate) fn check(
        &self,
        meta: &ObjectMeta,
        context: u64,
        snapshot: &Snapshot,
        lookups: &Lookups,
        check: impl FnOnce() -> Checked,
    ) -> Checked {
        let Some((uid, version)) = object_version(meta) else {
            return check();
        };
        if let Some(entry) = lock(&self.checks).get(uid)
            && entry.version == version
            && entry.context == context
            && entry
                .lookups
                .iter()
                .all(|l| l.holds(snapshot, &LoadedSecrets::default()))
        {
            entry.lookups.iter().for_each(|l| l.replay(snapshot));
            return entry.outcome.clone();
        }
        lookups.borrow_mut().clear();
        let outcome = check();
        let entry = CheckEntry {
            version: version.to_owned(),
            context,
            lookups: lookups.take(),
            outcome: outcome.clone(),
        };
        lock(&self.checks).insert(uid.to_owned(), entry);
        outcome
    }

    /// Forgets the checks of objects not in `checked`.
    pub(crate) fn retain_checks(&self, checked: &Used<'_>) {
        lock(&self.checks).retain(|uid, _| checked.contains(uid.as_str()));
    }

    /// How many objects' jobs are kept.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, FxHashMap<String, Entry>> {
        lock(&self.entries)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Entries are replaced whole: a panic cannot leave one half-written.
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}
