//! Dereference, the step before generation: every Secret and ConfigMap a
//! workload's generation may read, found without reading any, so that the
//! operator fetches them all at once (in parallel) instead of discovering
//! them one generation at a time.
//!
//! They are what the workload's spec and the objects its selectors match
//! reference by key selector (`{name, key}`), plus the Secrets named
//! without one. Objects are not validated here: a reference of an object
//! that validation will reject is fetched too, as its rejection names it.
use promop_api::v1::Alertmanager;

use super::alertmanager_configs::select_configs;
use super::namespaces::WatchedNamespaces;
use super::{ScrapeScope, Workload};
use crate::alertmanager::base_config;
use crate::prometheus;
use crate::snapshot::{ReadKeys, Snapshot};

/// What a Prometheus or PrometheusAgent's generation may read: noted in
/// `snapshot.reads`, and returned.
pub fn prometheus_references(
    snapshot: &Snapshot,
    workload: prometheus::Workload<'_>,
    scope: &ScrapeScope,
) -> ReadKeys {
    let meta = match workload {
        prometheus::Workload::Prometheus(p) => {
            snapshot.note_references(&p.metadata, p);
            &p.metadata
        }
        prometheus::Workload::Agent(a) => {
            snapshot.note_references(&a.metadata, a);
            &a.metadata
        }
    };
    let selecting = Workload {
        dereference: true,
        ..Workload::new(workload.kind(), meta, workload.common())
    };
    // A selector that does not parse fails the generation before it reads.
    let _ = selecting.select_scrape_resources(snapshot, scope, None);
    snapshot.reads.keys()
}

/// What an Alertmanager's generation may read: noted in `snapshot.reads`,
/// and returned.
pub fn alertmanager_references(
    snapshot: &Snapshot,
    am: &Alertmanager,
    watched: &WatchedNamespaces,
) -> ReadKeys {
    let namespace = am.metadata.namespace.as_deref().unwrap_or_default();
    snapshot.note_references(&am.metadata, am);
    // The user's configuration Secret is named, not selected by key.
    snapshot.secret(namespace, &base_config::secret_name(am));
    let _ = select_configs(snapshot, am, watched, true);
    snapshot.reads.keys()
}
