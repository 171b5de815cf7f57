//! The whole job for one Alertmanager: select and check its
//! AlertmanagerConfigs, then build its configuration.
use promop_api::v1::Alertmanager;
use promop_api::v1alpha1::AlertmanagerConfig;

use super::PipelineError;
use crate::alertmanager;
use crate::select::namespaces::WatchedNamespaces;
use crate::select::reasons::RejectedObject;
use crate::select::{KindSelection, select_for_alertmanager};
use crate::snapshot::Snapshot;

/// The configuration of an Alertmanager (the text of `alertmanager.yaml`
/// in the generated Secret) and how its AlertmanagerConfigs were chosen.
#[derive(Debug)]
pub struct AlertmanagerOutput<'a> {
    pub config: String,
    pub selection: KindSelection<'a, AlertmanagerConfig>,
}

impl AlertmanagerOutput<'_> {
    /// The AlertmanagerConfigs rejected as invalid.
    pub fn rejected(&self) -> Vec<RejectedObject> {
        self.selection.rejected("AlertmanagerConfig").collect()
    }
}

/// Selects the AlertmanagerConfigs of an Alertmanager and generates its
/// configuration. Without `alertmanagerConfigSelector` and
/// `alertmanagerConfiguration` the user's Secret is used as it is.
pub fn alertmanager_config<'a>(
    snapshot: &'a Snapshot,
    am: &'a Alertmanager,
    watched: &WatchedNamespaces,
) -> Result<AlertmanagerOutput<'a>, PipelineError> {
    let selection = if alertmanager::merges(am) {
        select_for_alertmanager(snapshot, am, watched).map_err(PipelineError::Select)?
    } else {
        KindSelection::default()
    };
    let selected: Vec<&AlertmanagerConfig> = selection.selected.iter().map(|s| s.object).collect();
    let config =
        alertmanager::generate(snapshot, am, &selected).map_err(PipelineError::Alertmanager)?;
    Ok(AlertmanagerOutput { config, selection })
}
