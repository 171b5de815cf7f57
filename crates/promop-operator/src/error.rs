//! The one error type of reconciliation; its variants name the metric label
//! of failed reconciles (`reason`).
use promop_core::desired::StateError;
use promop_core::pipeline::PipelineError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A workload without namespace or uid (not yet stored by the API).
    #[error("{0}: object has no {1} yet")]
    IncompleteObject(String, &'static str),
    /// The caches did not finish their first list in time.
    #[error("caches not ready after {0:?}")]
    CachesNotReady(std::time::Duration),
    /// The workload or its config objects cannot be turned into a configuration.
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    /// The workload's objects cannot be built (e.g. an invalid spec field).
    #[error(transparent)]
    Objects(#[from] promop_core::desired::ObjectsError),
    #[error(transparent)]
    Rules(#[from] promop_core::prometheus::rules::RulesError),
    /// Generations kept reading Secrets/ConfigMaps not fetched yet.
    #[error("referenced Secrets and ConfigMaps still changing after {0} rounds")]
    ReferencesUnsettled(usize),
    /// A StatefulSet was deleted to be created again (immutable fields).
    #[error("StatefulSet {0} deleted to be recreated with changed immutable fields")]
    Recreating(String),
    /// The API server refused a StatefulSet change for another reason than
    /// an immutable field (invalid value, admission policy); the running
    /// StatefulSet is kept.
    #[error("StatefulSet {0} not updated: {1}")]
    StatefulSetRefused(String, String),
    #[error("encoding an object: {0}")]
    Encode(#[from] serde_json::Error),
    #[error("Kubernetes API: {0}")]
    Kube(#[from] kube::Error),
}

/// Each failed step of a desired state keeps its own reason.
impl From<StateError> for Error {
    fn from(error: StateError) -> Self {
        match error {
            StateError::Pipeline(PipelineError::Rules(e)) => Self::Rules(e),
            StateError::Pipeline(e) => Self::Pipeline(e),
            StateError::Objects(e) => Self::Objects(e),
        }
    }
}

impl Error {
    /// A short, stable label for metrics and logs.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::IncompleteObject(..) => "incomplete_object",
            Self::CachesNotReady(_) => "caches_not_ready",
            Self::Pipeline(_) => "invalid_configuration",
            Self::Objects(_) => "invalid_spec",
            Self::Rules(_) => "invalid_rules",
            Self::ReferencesUnsettled(_) => "references_unsettled",
            Self::Recreating(_) => "recreating",
            Self::StatefulSetRefused(..) => "statefulset_refused",
            Self::Encode(_) => "encode",
            Self::Kube(_) => "kube_api",
        }
    }
}
