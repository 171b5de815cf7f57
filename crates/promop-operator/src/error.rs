//! The one error type of reconciliation. Its variants name the step that
//! failed — reading the caches, fetching a referenced object, generating,
//! applying an object, writing the status — and the object concerned; each
//! has a stable metric label ([`Error::reason`]).
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
    /// A referenced Secret or ConfigMap (`namespace/name`) could not be read.
    #[error("reading {kind} {name}: {source}")]
    Fetch {
        kind: &'static str,
        name: String,
        source: kube::Error,
    },
    /// Generations kept reading Secrets/ConfigMaps not fetched yet.
    #[error("referenced Secrets and ConfigMaps still changing after {0} rounds")]
    ReferencesUnsettled(usize),
    /// The core gives no desired state: the workload or its config objects
    /// give no configuration, no rule ConfigMaps, or no objects.
    #[error(transparent)]
    Generate(#[from] StateError),
    /// The API refused a write or deletion of an object (`namespace/name`).
    #[error("writing {kind} {name}: {source}")]
    Apply {
        kind: &'static str,
        name: String,
        source: kube::Error,
    },
    /// A StatefulSet or DaemonSet (`<Kind> <name>`) was deleted to be
    /// created again (immutable fields).
    #[error("{0} deleted to be recreated with changed immutable fields")]
    Recreating(String),
    /// The API server refused a StatefulSet or DaemonSet (`<Kind> <name>`)
    /// change for another reason than an immutable field (invalid value,
    /// admission policy); the running one is kept.
    #[error("{0} not updated: {1}")]
    StatefulSetRefused(String, String),
    /// The custom governing Service is missing or does not select the
    /// workload's pods (the reference's message).
    #[error("{0}")]
    GoverningService(String),
    /// The workload's status could not be written.
    #[error("writing the status: {0}")]
    Status(kube::Error),
    #[error("encoding an object: {0}")]
    Encode(#[from] serde_json::Error),
    /// Any other call of the API.
    #[error("Kubernetes API: {0}")]
    Kube(#[from] kube::Error),
}

impl Error {
    /// A short, stable label for metrics and logs. The generation's labels
    /// say which of its parts failed, as before the step variants.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::IncompleteObject(..) => "incomplete_object",
            Self::CachesNotReady(_) => "caches_not_ready",
            Self::Fetch { .. } => "fetch",
            Self::ReferencesUnsettled(_) => "references_unsettled",
            Self::Generate(StateError::Pipeline(PipelineError::Rules(_))) => "invalid_rules",
            Self::Generate(StateError::Pipeline(_)) => "invalid_configuration",
            Self::Generate(StateError::Objects(_)) => "invalid_spec",
            Self::Apply { .. } => "apply",
            Self::Recreating(_) => "recreating",
            Self::StatefulSetRefused(..) => "statefulset_refused",
            Self::GoverningService(_) => "governing_service",
            Self::Status(_) => "status",
            Self::Encode(_) => "encode",
            Self::Kube(_) => "kube_api",
        }
    }

    /// Names the object a failed API call was about: an API error becomes
    /// [`Error::Apply`] on `kind` `name`; other errors are kept.
    pub(crate) fn applying(self, kind: &'static str, name: impl Into<String>) -> Self {
        match self {
            Self::Kube(source) => Self::Apply {
                kind,
                name: name.into(),
                source,
            },
            other => other,
        }
    }

    /// The API's answer, when the API refused a write.
    pub(crate) fn api_status(&self) -> Option<&kube::core::Status> {
        match self {
            Self::Apply {
                source: kube::Error::Api(status),
                ..
            }
            | Self::Kube(kube::Error::Api(status)) => Some(status),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use promop_core::select::reasons::{RejectedObject, Rejection};

    fn api(code: u16) -> kube::Error {
        kube::Error::Api(
            serde_json::from_value(serde_json::json!({"code": code, "message": "refused"}))
                .unwrap(),
        )
    }

    #[test]
    fn api_errors_name_the_object_they_were_about() {
        let error = Error::Kube(api(422)).applying("Secret", "ns/prometheus-main");
        assert_eq!(error.reason(), "apply");
        assert!(
            error
                .to_string()
                .starts_with("writing Secret ns/prometheus-main: ")
        );
        assert_eq!(error.api_status().map(|s| s.code), Some(422));
        // Other failures keep their own step.
        let error = Error::Recreating("prometheus-main".into()).applying("StatefulSet", "x");
        assert_eq!(error.reason(), "recreating");
    }

    #[test]
    fn each_step_has_its_own_label() {
        let reasons = [
            Error::IncompleteObject("Prometheus ns/main".into(), "uid"),
            Error::CachesNotReady(std::time::Duration::from_secs(1)),
            Error::Fetch {
                kind: "Secret",
                name: "ns/s".into(),
                source: api(500),
            },
            Error::ReferencesUnsettled(4),
            Error::Generate(StateError::Objects(RejectedObject::new(
                "Prometheus",
                "ns",
                "main",
                Rejection::new("spec.retention", "invalid"),
            ))),
            Error::Apply {
                kind: "Secret",
                name: "ns/s".into(),
                source: api(500),
            },
            Error::Recreating("s".into()),
            Error::StatefulSetRefused("s".into(), "denied".into()),
            Error::Status(api(500)),
            Error::Kube(api(500)),
        ]
        .map(|e| e.reason());
        assert_eq!(
            reasons,
            [
                "incomplete_object",
                "caches_not_ready",
                "fetch",
                "references_unsettled",
                "invalid_spec",
                "apply",
                "recreating",
                "statefulset_refused",
                "status",
                "kube_api",
            ]
        );
    }
}
