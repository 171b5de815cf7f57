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

/// An invalid field of a selected object: where, and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    /// Field path in the object (`spec.endpoints[1].bearerTokenFile`);
    /// empty when the problem is the object as a whole.
    pub path: String,
    pub kind: RejectionKind,
}

/// What is wrong with a field. Each kind keeps the reference's wording in
/// its message (Events and conditions quote it) beside the typed facts that
/// `lint` and `explain` act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RejectionKind {
    /// A Secret or ConfigMap the field references, or its key, is missing.
    Missing {
        /// Boxed to keep rejections small (they travel in `Result`s).
        reference: Box<Reference>,
        message: String,
    },
    /// The product's version lacks the feature the field needs.
    TooOld {
        /// The product's `Feature` variant (`SlackAppToken`).
        feature: String,
        min_version: &'static str,
        message: String,
    },
    /// Any other invalid value.
    Invalid(String),
}

/// Whether a [`Reference`] names a Secret or a ConfigMap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum RefKind {
    Secret,
    ConfigMap,
}

/// A Secret or ConfigMap, or one of its keys, that an object references.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Reference {
    pub kind: RefKind,
    /// `None` for the object's own namespace.
    pub namespace: Option<String>,
    pub name: String,
    /// `None` when the object itself is missing.
    pub key: Option<String>,
}

impl Reference {
    pub fn secret(name: &str, key: Option<&str>) -> Self {
        Self::new(RefKind::Secret, name, key)
    }

    pub fn config_map(name: &str, key: Option<&str>) -> Self {
        Self::new(RefKind::ConfigMap, name, key)
    }

    fn new(kind: RefKind, name: &str, key: Option<&str>) -> Self {
        Self {
            kind,
            namespace: None,
            name: name.to_owned(),
            key: key.map(str::to_owned),
        }
    }

    /// The same reference in another namespace than the object's.
    pub fn in_namespace(mut self, namespace: &str) -> Self {
        self.namespace = Some(namespace.to_owned());
        self
    }

    /// `secret "name"` for messages.
    pub fn describe(&self) -> String {
        let kind = match self.kind {
            RefKind::Secret => "secret",
            RefKind::ConfigMap => "configmap",
        };
        format!("{kind} {:?}", self.name)
    }
}

impl RejectionKind {
    /// The reference's message.
    pub fn message(&self) -> &str {
        match self {
            Self::Missing { message, .. } | Self::TooOld { message, .. } => message,
            Self::Invalid(message) => message,
        }
    }

    /// `missing` said in `message`.
    pub fn missing(reference: Reference, message: impl Into<String>) -> Self {
        Self::Missing {
            reference: Box::new(reference),
            message: message.into(),
        }
    }

    /// A version gate that failed, said in `message`.
    pub fn too_old<F: fmt::Debug>(
        too_old: crate::version::TooOld<F>,
        message: impl Into<String>,
    ) -> Self {
        Self::TooOld {
            feature: format!("{:?}", too_old.feature),
            min_version: too_old.min_version,
            message: message.into(),
        }
    }

    /// The same problem with `context: ` before its message.
    pub fn context(self, context: &str) -> Self {
        let prefixed = |message: String| format!("{context}: {message}");
        match self {
            Self::Missing { reference, message } => Self::Missing {
                reference,
                message: prefixed(message),
            },
            Self::TooOld {
                feature,
                min_version,
                message,
            } => Self::TooOld {
                feature,
                min_version,
                message: prefixed(message),
            },
            Self::Invalid(message) => Self::Invalid(prefixed(message)),
        }
    }

    /// The missing Secret or ConfigMap, if that is the problem.
    pub fn reference(&self) -> Option<&Reference> {
        match self {
            Self::Missing { reference, .. } => Some(reference),
            _ => None,
        }
    }
}

impl From<String> for RejectionKind {
    fn from(message: String) -> Self {
        Self::Invalid(message)
    }
}

impl From<&str> for RejectionKind {
    fn from(message: &str) -> Self {
        Self::Invalid(message.to_owned())
    }
}

impl fmt::Display for RejectionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl Rejection {
    /// A field with an invalid value, or any problem given as a kind.
    pub fn new(path: impl Into<String>, kind: impl Into<RejectionKind>) -> Self {
        Self {
            path: path.into(),
            kind: kind.into(),
        }
    }

    /// The reference's message, without the path.
    pub fn message(&self) -> &str {
        self.kind.message()
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            return f.write_str(self.message());
        }
        write!(f, "{}: {}", self.path, self.message())
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

/// An object the core cannot build from — a workload whose own settings are
/// invalid, or a config object that breaks its configuration — and why.
/// Printed `{kind} {namespace}/{name}: {path}: {message}`, the form the
/// operator's status conditions and the CLI's errors use.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{kind} {namespace}/{name}: {rejection}")]
pub struct RejectedObject {
    pub kind: &'static str,
    pub namespace: String,
    pub name: String,
    /// Boxed: errors travel in `Result`s, which should stay small.
    pub rejection: Box<Rejection>,
}

impl RejectedObject {
    pub fn new(kind: &'static str, namespace: &str, name: &str, rejection: Rejection) -> Self {
        Self {
            kind,
            namespace: namespace.to_owned(),
            name: name.to_owned(),
            rejection: Box::new(rejection),
        }
    }
}
