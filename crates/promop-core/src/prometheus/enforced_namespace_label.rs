//! `enforcedNamespaceLabel` and `excludedFromEnforcement`: the namespace of
//! the config object is forced onto every series, by a rule appended last so
//! that no user rule can override it.
use promop_api::common::RelabelConfig;
use promop_api::v1::workload::ObjectReferenceResource;

use super::workload::Workload;

/// The config object kinds that can be excluded from enforcement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigKind {
    ServiceMonitor,
    PodMonitor,
    Probe,
    ScrapeConfig,
}

impl ConfigKind {
    fn resource(self) -> ObjectReferenceResource {
        match self {
            Self::ServiceMonitor => ObjectReferenceResource::ServiceMonitors,
            Self::PodMonitor => ObjectReferenceResource::PodMonitors,
            Self::Probe => ObjectReferenceResource::Probes,
            Self::ScrapeConfig => ObjectReferenceResource::ScrapeConfigs,
        }
    }
}

/// `rules` followed, unless the object is excluded, by the rule setting the
/// enforced label to the object's namespace.
pub fn enforce(
    workload: &Workload<'_>,
    kind: ConfigKind,
    namespace: &str,
    name: &str,
    rules: &[RelabelConfig],
) -> Vec<RelabelConfig> {
    let mut out = rules.to_vec();
    let cpf = workload.common();
    let Some(label) = cpf
        .enforced_namespace_label
        .as_deref()
        .filter(|l| !l.is_empty())
    else {
        return out;
    };
    let excluded = cpf.excluded_from_enforcement.iter().flatten().any(|r| {
        r.resource == kind.resource()
            && !r.namespace.is_empty()
            && r.namespace == namespace
            && r.name.as_deref().is_none_or(|n| n.is_empty() || n == name)
    });
    if !excluded {
        out.push(RelabelConfig {
            target_label: Some(label.to_owned()),
            replacement: Some(namespace.to_owned()),
            ..Default::default()
        });
    }
    out
}
