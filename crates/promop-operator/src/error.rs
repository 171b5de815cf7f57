//! The one error type of reconciliation; its variants name the metric label
//! of failed reconciles (`reason`).
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
    #[error("{0}")]
    Build(String),
    /// Generations kept reading Secrets/ConfigMaps not fetched yet.
    #[error("referenced Secrets and ConfigMaps still changing after {0} rounds")]
    ReferencesUnsettled(usize),
    #[error("compressing the configuration: {0}")]
    Compress(#[source] std::io::Error),
    #[error("encoding an object: {0}")]
    Encode(#[from] serde_json::Error),
    #[error("Kubernetes API: {0}")]
    Kube(#[from] kube::Error),
}

impl Error {
    /// A short, stable label for metrics and logs.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::IncompleteObject(..) => "incomplete_object",
            Self::CachesNotReady(_) => "caches_not_ready",
            Self::Pipeline(_) => "invalid_configuration",
            Self::Build(_) => "invalid_spec",
            Self::ReferencesUnsettled(_) => "references_unsettled",
            Self::Compress(_) => "compress",
            Self::Encode(_) => "encode",
            Self::Kube(_) => "kube_api",
        }
    }
}
