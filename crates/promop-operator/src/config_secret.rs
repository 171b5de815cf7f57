//! The Secret `prometheus-<name>` (`prom-agent-<name>`) that holds the
//! gzipped configuration (`prometheus.yaml.gz`), with the metadata the reference puts on it so that
//! a takeover changes nothing: its managed-by labels and the Prometheus as
//! controlling owner; no annotations (until `--labels`/`--annotations` exist).
use std::collections::BTreeMap;
use std::io::Write;

use flate2::Compression;
use flate2::write::GzEncoder;
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::api::ObjectMeta;
use kube::ResourceExt;

use crate::error::Error;
use crate::workload::WorkloadResource;

/// The key of the configuration in the Secret.
pub const CONFIG_KEY: &str = "prometheus.yaml.gz";

/// The labels every object the reference writes carries (`managed-by` is its
/// legacy spelling); a drop-in replacement keeps them.
const MANAGED_BY: [(&str, &str); 2] = [
    ("managed-by", "prometheus-operator"),
    ("app.kubernetes.io/managed-by", "prometheus-operator"),
];

/// `prometheus-<name>` (`prom-agent-<name>`).
pub fn name<K: WorkloadResource>(workload: &K) -> String {
    format!("{}-{}", K::PREFIX, workload.name_any())
}

/// The desired Secret for `config` (the configuration's YAML text; empty for
/// an unmanaged configuration, which the reference stores as empty bytes).
pub fn desired<K: WorkloadResource>(prometheus: &K, config: &str) -> Result<Secret, Error> {
    let id = || format!("{} {}", prometheus.workload().kind(), prometheus.name_any());
    let namespace = prometheus
        .namespace()
        .ok_or_else(|| Error::IncompleteObject(id(), "namespace"))?;
    // The reference also sets blockOwnerDeletion (kube's
    // `controller_owner_ref` does not).
    let owner = OwnerReference {
        block_owner_deletion: Some(true),
        ..prometheus
            .controller_owner_ref(&())
            .ok_or_else(|| Error::IncompleteObject(id(), "uid"))?
    };
    Ok(Secret {
        metadata: ObjectMeta {
            name: Some(name(prometheus)),
            namespace: Some(namespace),
            labels: Some(
                MANAGED_BY
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
            ),
            owner_references: Some(vec![owner]),
            ..ObjectMeta::default()
        },
        data: Some(BTreeMap::from([(
            CONFIG_KEY.to_owned(),
            ByteString(gzip(config.as_bytes())?),
        )])),
        ..Secret::default()
    })
}

/// Gzip as the reference does it: nothing at all for empty input.
fn gzip(data: &[u8]) -> Result<Vec<u8>, Error> {
    if data.is_empty() {
        return Ok(Vec::new());
    }
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(data).map_err(Error::Compress)?;
    encoder.finish().map_err(Error::Compress)
}

#[cfg(test)]
mod tests {
    use super::*;
    use promop_api::v1::Prometheus;

    fn prometheus() -> Prometheus {
        let mut p = Prometheus::new("main", Default::default());
        p.metadata.namespace = Some("monitoring".into());
        p.metadata.uid = Some("0b7c-uid".into());
        p
    }

    #[test]
    fn desired_secret_has_reference_metadata_and_gzipped_config() {
        let s = desired(&prometheus(), "global: {}\n").unwrap();
        assert_eq!(s.metadata.name.as_deref(), Some("prometheus-main"));
        assert_eq!(s.metadata.namespace.as_deref(), Some("monitoring"));
        assert_eq!(
            s.labels().get("managed-by").map(String::as_str),
            Some("prometheus-operator")
        );
        let owner = &s.owner_references()[0];
        assert_eq!(
            (
                owner.api_version.as_str(),
                owner.kind.as_str(),
                owner.name.as_str()
            ),
            ("monitoring.coreos.com/v1", "Prometheus", "main")
        );
        assert_eq!(
            (owner.controller, owner.block_owner_deletion),
            (Some(true), Some(true))
        );
        let gz = &s.data.as_ref().unwrap()[CONFIG_KEY].0;
        let mut text = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(gz.as_slice()), &mut text)
            .unwrap();
        assert_eq!(text, "global: {}\n");
    }

    #[test]
    fn prometheus_without_uid_is_an_error_not_a_panic() {
        let mut p = prometheus();
        p.metadata.uid = None;
        assert!(matches!(
            desired(&p, ""),
            Err(Error::IncompleteObject(_, "uid"))
        ));
    }
}
