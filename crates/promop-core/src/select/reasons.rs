//! Why a config resource is not used by a workload: the answers of `promop explain`.
use std::fmt;

/// Why an object was not selected, or was selected and then rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    /// The operator does not watch the namespace (`--namespaces`/`--deny-namespaces`).
    NamespaceNotWatched { namespace: String },
    /// The workload's namespace selector is unset: only its own namespace counts.
    NotOwnNamespace {
        namespace: String,
        own: String,
        field: &'static str,
    },
    /// No Namespace object is known, so a namespace selector cannot match it.
    NamespaceUnknown {
        namespace: String,
        field: &'static str,
    },
    /// The namespace's labels do not match the workload's namespace selector.
    NamespaceNotMatched {
        namespace: String,
        field: &'static str,
        selector: String,
    },
    /// The object's labels do not match the workload's selector.
    LabelsNotMatched {
        field: &'static str,
        selector: String,
    },
    /// Selected, but invalid: skipped with an event, as the reference does.
    Rejected(Rejection),
}

/// An invalid field of a selected object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    /// Field path in the object (`spec.endpoints[1].bearerTokenFile`).
    pub path: String,
    pub message: String,
}

impl Rejection {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::NamespaceNotWatched { namespace } => {
                write!(f, "namespace {namespace} is not watched by the operator")
            }
            Reason::NotOwnNamespace {
                namespace,
                own,
                field,
            } => write!(
                f,
                "namespace {namespace} is not {own} ({field} is unset: only the workload's own namespace is selected)"
            ),
            Reason::NamespaceUnknown { namespace, field } => write!(
                f,
                "namespace {namespace} is unknown (no Namespace object to match {field} against)"
            ),
            Reason::NamespaceNotMatched {
                namespace,
                field,
                selector,
            } => write!(f, "namespace {namespace} does not match {field} {selector}"),
            Reason::LabelsNotMatched { field, selector } => {
                write!(f, "labels do not match {field} {selector}")
            }
            Reason::Rejected(rejection) => write!(f, "rejected: {rejection}"),
        }
    }
}
