//! The DaemonSet of a PrometheusAgent in DaemonSet mode (`prom-agent-<name>`,
//! feature gate `PrometheusAgentDaemonSet`): one pod per node, scraping the
//! pods of its node. Same pod template as a StatefulSet's shard but for what
//! [`Shape::DaemonSet`] changes; no governing Service, no input hash.
use k8s_openapi::api::apps::v1::{DaemonSet, DaemonSetSpec};

use super::{Inputs, Shape, StatefulSetError, object_metadata, pod, prefixed_name};

/// The agent's DaemonSet.
pub fn build(inputs: &Inputs<'_>) -> Result<DaemonSet, StatefulSetError> {
    let cpf = inputs.workload.common();
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
