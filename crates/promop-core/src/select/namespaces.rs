//! Which namespaces a workload takes config resources from.
//!
//! A workload's `*NamespaceSelector` that is unset means its own namespace
//! only; `{}` means every namespace the operator watches. (A monitor's own
//! `namespaceSelector` is about where its targets live, not about selection;
//! `ignoreNamespaceSelectors` only concerns that one, at generation.)
use std::collections::BTreeSet;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::label_selector::{Selector, SelectorError};
use super::reasons::Reason;
use crate::snapshot::Snapshot;

/// The operator-level restriction of namespaces (the reference's
/// `--namespaces` and `--deny-namespaces`); both empty means all.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WatchedNamespaces {
    pub allow: BTreeSet<String>,
    pub deny: BTreeSet<String>,
}

impl WatchedNamespaces {
    /// Every namespace.
    pub fn all() -> Self {
        Self::default()
    }

    /// Only these namespaces (empty means all).
    pub fn only<I: IntoIterator<Item = S>, S: Into<String>>(namespaces: I) -> Self {
        Self {
            allow: namespaces.into_iter().map(Into::into).collect(),
            deny: BTreeSet::new(),
        }
    }

    pub fn watches(&self, namespace: &str) -> bool {
        (self.allow.is_empty() || self.allow.contains(namespace)) && !self.deny.contains(namespace)
    }
}

/// A workload's namespace selection, compiled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NamespaceSelection {
    /// Unset selector: the workload's own namespace.
    Own(String),
    /// Namespaces whose labels match.
    Matching(Selector),
}

impl NamespaceSelection {
    pub fn new(own: &str, selector: Option<&LabelSelector>) -> Result<Self, SelectorError> {
        Ok(match selector {
            None => NamespaceSelection::Own(own.to_owned()),
            Some(selector) => NamespaceSelection::Matching(Selector::new(selector)?),
        })
    }

    /// Whether objects of `namespace` are selected; `field` names the
    /// workload's selector in the reason.
    pub fn check(
        &self,
        namespace: &str,
        snapshot: &Snapshot,
        field: &'static str,
    ) -> Result<(), Reason> {
        match self {
            NamespaceSelection::Own(own) if own == namespace => Ok(()),
            NamespaceSelection::Own(own) => Err(Reason::NotOwnNamespace {
                namespace: namespace.to_owned(),
                own: own.clone(),
                field,
            }),
            NamespaceSelection::Matching(selector) => {
                // The reference lists Namespace objects from its cache: a
                // namespace without one is never matched, even by `{}`.
                let Some(ns) = snapshot.namespaces.get(namespace) else {
                    return Err(Reason::NamespaceUnknown {
                        namespace: namespace.to_owned(),
                        field,
                    });
                };
                let no_labels = Default::default();
                if selector.matches(ns.metadata.labels.as_ref().unwrap_or(&no_labels)) {
                    Ok(())
                } else {
                    Err(Reason::NamespaceNotMatched {
                        namespace: namespace.to_owned(),
                        field,
                        selector: selector.to_string(),
                    })
                }
            }
        }
    }
}
