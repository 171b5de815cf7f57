//! The DaemonSet of a PrometheusAgent in DaemonSet mode (`prom-agent-<name>`,
//! feature gate `PrometheusAgentDaemonSet`): one pod per node, scraping the
//! pods of its node. Same pod template as a StatefulSet's shard but for what
//! [`Shape::DaemonSet`] changes; no governing Service, no input hash.
use k8s_openapi::api::apps::v1::{DaemonSet, DaemonSetSpec};
use promop_api::v1::prometheus::CommonPrometheusFields;

use super::{Inputs, Shape, StatefulSetError, object_metadata, pod, prefixed_name};

/// The agent's DaemonSet.
pub fn build(inputs: &Inputs<'_>) -> Result<DaemonSet, StatefulSetError> {
    let cpf = inputs.workload.common();
    check(cpf)?;
    let pod = pod(inputs, Shape::DaemonSet)?;
    let spec = DaemonSetSpec {
        selector: pod.label_selector(),
        min_ready_seconds: cpf.min_ready_seconds.filter(|s| *s != 0),
        template: pod.template,
        ..DaemonSetSpec::default()
    };
    let name = prefixed_name(inputs.workload);
    Ok(DaemonSet {
        metadata: object_metadata(inputs, name, &pod.selector, None),
        spec,
        status: None,
    })
}

/// The CRD's validation rules (CEL) for DaemonSet mode: the API server
/// refuses such an agent, and so does `promop render`, which reads
/// manifests no API server has seen, with the CRD's words.
fn check(cpf: &CommonPrometheusFields) -> Result<(), StatefulSetError> {
    let set = [
        ("replicas", cpf.replicas.is_some()),
        ("storage", cpf.storage.is_some()),
        (
            "persistentVolumeClaimRetentionPolicy",
            cpf.persistent_volume_claim_retention_policy.is_some(),
        ),
        ("scrapeConfigSelector", cpf.scrape_config_selector.is_some()),
        ("probeSelector", cpf.probe_selector.is_some()),
        (
            "scrapeConfigNamespaceSelector",
            cpf.scrape_config_namespace_selector.is_some(),
        ),
        (
            "probeNamespaceSelector",
            cpf.probe_namespace_selector.is_some(),
        ),
        (
            "serviceMonitorSelector",
            cpf.service_monitor_selector.is_some(),
        ),
        (
            "serviceMonitorNamespaceSelector",
            cpf.service_monitor_namespace_selector.is_some(),
        ),
        (
            "additionalScrapeConfigs",
            cpf.additional_scrape_configs.is_some(),
        ),
        ("shardingStrategy", cpf.sharding_strategy.is_some()),
    ];
    if let Some((field, _)) = set.iter().find(|(_, set)| *set) {
        return Err(StatefulSetError::new(
            &format!("spec.{field}"),
            format!("{field} cannot be set when mode is DaemonSet"),
        ));
    }
    if cpf.shards.is_some_and(|n| n > 1) {
        return Err(StatefulSetError::new(
            "spec.shards",
            "shards cannot be greater than 1 when mode is DaemonSet",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checked(spec: &str) -> Result<(), StatefulSetError> {
        let cpf: CommonPrometheusFields = serde_saphyr::from_str(spec).unwrap();
        check(&cpf)
    }

    #[test]
    fn what_the_crd_forbids_in_daemon_set_mode_is_refused_with_its_words() {
        assert!(checked("podMonitorSelector: {}\nshards: 1\n").is_ok());
        let e = checked("serviceMonitorSelector: {}\n").unwrap_err();
        assert_eq!(e.field, "spec.serviceMonitorSelector");
        assert_eq!(
            e.kind.to_string(),
            "serviceMonitorSelector cannot be set when mode is DaemonSet"
        );
        let e = checked("shards: 2\n").unwrap_err();
        assert_eq!(e.field, "spec.shards");
        assert!(checked("replicas: 1\n").is_err());
    }
}
