//! The Secrets `<prefix>-<name>-tls-assets-<n>`: the CA, certificate and key
//! files that the generated configuration points to under
//! `/etc/prometheus/certs`, split so that no Secret exceeds the API's size
//! limit, and projected together into one volume.
use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::{
    ProjectedVolumeSource, Secret, SecretProjection, Volume, VolumeProjection,
};
use serde_json::Value;

use promop_api::common::SecretOrConfigMap;

use super::Workload;
use super::assets::{AssetSource, TLS_ASSETS_DIR, TlsAssetKey};
use crate::snapshot::Snapshot;

/// The data a Secret may hold, leaving room for its metadata (1 MiB - 50 kB).
pub const MAX_SECRET_DATA_BYTES: usize = 1024 * 1024 - 50_000;

/// The files of the assets Secrets (file name → content): those the
/// `tls_config` sections of the generated configuration `config` (YAML)
/// point to, but the tracing one's, and those of every scrape class of the
/// workload, used or not (what the reference loads into its store).
///
/// Like the reference, a CA is kept when it has content, a certificate and
/// its key only together and both with content.
pub fn collect(
    config: &str,
    workload: Workload<'_>,
    snapshot: &Snapshot,
) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    if let Ok(Value::Object(mut doc)) = serde_saphyr::from_str::<Value>(config) {
        // The reference's Prometheus reads its tracing CA from a file that
        // it never writes.
        doc.remove("tracing");
        walk(&Value::Object(doc), snapshot, &mut files);
    }
    let namespace = workload.namespace();
    for class in workload.common().scrape_classes.iter().flatten() {
        let Some(tls) = class.tls_config.as_ref().map(|t| &t.safe) else {
            continue;
        };
        let key = |source: &SecretOrConfigMap| {
            let (kind, name, key) = match (&source.secret, &source.config_map) {
                (Some(s), _) => (AssetSource::Secret, &s.name, &s.key),
                (None, Some(c)) => (AssetSource::ConfigMap, &c.name, &c.key),
                (None, None) => return None,
            };
            let asset = TlsAssetKey::new(kind, namespace, name, key);
            let content = asset.value(snapshot).filter(|v| !v.is_empty())?.to_vec();
            Some((asset.file_name(), content))
        };
        files.extend(tls.ca.as_ref().and_then(key));
        let key_secret = tls.key_secret.as_ref().map(|k| SecretOrConfigMap {
            secret: Some(k.clone()),
            config_map: None,
        });
        if let (Some(cert), Some(k)) = (
            tls.cert.as_ref().and_then(key),
            key_secret.as_ref().and_then(key),
        ) {
            files.extend([cert, k]);
        }
    }
    files
}

fn walk(value: &Value, snapshot: &Snapshot, files: &mut BTreeMap<String, Vec<u8>>) {
    match value {
        Value::Object(map) => {
            let asset = |field: &str| {
                let key = TlsAssetKey::from_path(map.get(field)?.as_str()?)?;
                let content = key.value(snapshot).filter(|v| !v.is_empty())?;
                Some((key.file_name(), content.to_vec()))
            };
            files.extend(asset("ca_file"));
            if let (Some(cert), Some(key)) = (asset("cert_file"), asset("key_file")) {
                files.extend([cert, key]);
            }
            map.values().for_each(|v| walk(v, snapshot, files));
        }
        Value::Array(items) => items.iter().for_each(|v| walk(v, snapshot, files)),
        _ => {}
    }
}

/// The files split into Secrets in key order, a new Secret starting when
/// the next file would pass [`MAX_SECRET_DATA_BYTES`]. Always at least one
/// (possibly empty) Secret, so that the volume exists.
pub fn shard(files: BTreeMap<String, Vec<u8>>) -> Vec<BTreeMap<String, ByteString>> {
    let mut shards = vec![BTreeMap::new()];
    let mut size = 0;
    for (key, value) in files {
        let len = key.len() + value.len();
        if size + len > MAX_SECRET_DATA_BYTES {
            shards.push(BTreeMap::new());
            size = 0;
        }
        size += len;
        if let Some(current) = shards.last_mut() {
            current.insert(key, ByteString(value));
        }
    }
    shards
}

/// `<base>-<n>`.
pub fn secret_name(base: &str, index: usize) -> String {
    format!("{base}-{index}")
}

/// The `tls-assets` volume projecting every assets Secret.
pub fn volume(secrets: &[Secret]) -> Volume {
    let sources = secrets
        .iter()
        .map(|s| VolumeProjection {
            secret: Some(SecretProjection {
                name: s.metadata.name.clone().unwrap_or_default(),
                ..SecretProjection::default()
            }),
            ..VolumeProjection::default()
        })
        .collect();
    Volume {
        name: "tls-assets".to_owned(),
        projected: Some(ProjectedVolumeSource {
            sources: Some(sources),
            ..ProjectedVolumeSource::default()
        }),
        ..Volume::default()
    }
}

/// Where the volume is mounted.
pub const MOUNT_PATH: &str = TLS_ASSETS_DIR;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifests::{Loaded, Strictness};

    #[test]
    fn assets_are_the_referenced_files_with_content() {
        let mut loaded = Loaded::default();
        let manifests = "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: ns}\n\
                         stringData: {ca: CA, crt: CRT, key: KEY, empty: ''}\n";
        loaded
            .add_yaml("t", manifests, "ns", Strictness::ObjectsOnly)
            .unwrap();
        let config = "a:\n  tls_config:\n    ca_file: /etc/prometheus/certs/0_ns_s_ca\n\
                      b:\n- tls_config:\n    cert_file: /etc/prometheus/certs/0_ns_s_crt\n    key_file: /etc/prometheus/certs/0_ns_s_key\n\
                      - tls_config:\n    ca_file: /etc/prometheus/certs/0_ns_s_empty\n    cert_file: /etc/prometheus/certs/0_ns_s_crt\n";
        let prometheus = promop_api::v1::Prometheus::new("p", Default::default());
        let files = collect(config, Workload::Prometheus(&prometheus), &loaded.snapshot);
        let keys: Vec<_> = files.keys().map(String::as_str).collect();
        assert_eq!(keys, ["0_ns_s_ca", "0_ns_s_crt", "0_ns_s_key"]);
        assert_eq!(files["0_ns_s_key"], b"KEY");
    }

    #[test]
    fn shards_split_at_the_size_limit() {
        let big = vec![b'x'; MAX_SECRET_DATA_BYTES / 2];
        let files = BTreeMap::from([
            ("a".into(), big.clone()),
            ("b".into(), big.clone()),
            ("c".into(), vec![1]),
        ]);
        let shards = shard(files);
        assert_eq!(shards.len(), 2);
        assert_eq!(shards[1].keys().collect::<Vec<_>>(), ["b", "c"]);
        assert_eq!(shard(BTreeMap::new()).len(), 1);
    }
}
