//! Which AlertmanagerConfigs an Alertmanager uses: `alertmanagerConfigSelector`
//! (unset selects none) in the namespaces of
//! `alertmanagerConfigNamespaceSelector` (unset: its own), minus the object
//! named by `spec.alertmanagerConfiguration`, which is the base instead.
//! Each selected object is checked for the Alertmanager's version; an
//! invalid one is skipped with the reference's reason.
use std::sync::LazyLock;

use promop_api::v1::Alertmanager;
use promop_api::v1::prometheus::CommonPrometheusFields;
use promop_api::v1alpha1::AlertmanagerConfig;

use super::namespaces::WatchedNamespaces;
use super::reasons::Rejection;
use super::{KindSelection, SelectError, SelectorFields, Workload};
use crate::alertmanager::secrets::Secrets;
use crate::alertmanager::{validate, version_of};
use crate::snapshot::Snapshot;

/// Selection reads only the kind, namespace and name of the workload.
static NO_PROMETHEUS_FIELDS: LazyLock<CommonPrometheusFields> =
    LazyLock::new(CommonPrometheusFields::default);

pub fn select_for_alertmanager<'a>(
    snapshot: &'a Snapshot,
    am: &'a Alertmanager,
    watched: &WatchedNamespaces,
) -> Result<KindSelection<'a, AlertmanagerConfig>, SelectError> {
    let namespace = am.metadata.namespace.as_deref().unwrap_or_default();
    let name = am.metadata.name.as_deref().unwrap_or_default();
    let version = version_of(am).map_err(|e| SelectError::InvalidVersion {
        kind: "Alertmanager",
        namespace: namespace.to_owned(),
        name: name.to_owned(),
        message: e.to_string(),
    })?;
    let workload = Workload {
        kind: "Alertmanager",
        namespace,
        name,
        common: &NO_PROMETHEUS_FIELDS,
    };
    let fields = SelectorFields {
        field: "alertmanagerConfigSelector",
        selector: am.spec.alertmanager_config_selector.as_ref(),
        namespace_field: "alertmanagerConfigNamespaceSelector",
        namespace_selector: am.spec.alertmanager_config_namespace_selector.as_ref(),
    };
    let mut selection = workload.select(
        snapshot,
        watched,
        &snapshot.alertmanager_configs,
        fields,
        |amc| {
            let secrets = Secrets {
                snapshot,
                namespace: amc.metadata.namespace.as_deref().unwrap_or_default(),
            };
            validate::check(amc, &secrets, &version).map_err(|e| Rejection::new("spec", e))
        },
    )?;
    if let Some(base) = am
        .spec
        .alertmanager_configuration
        .as_ref()
        .and_then(|c| c.name.as_deref())
    {
        let key = format!("{namespace}/{base}");
        selection.selected.retain(|s| s.key != key);
        selection.skipped.retain(|s| s.key != key);
    }
    Ok(selection)
}
