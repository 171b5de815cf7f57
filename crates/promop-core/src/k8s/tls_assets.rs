//! The TLS assets Secrets `<prefix>-<name>-tls-assets-<n>` of a workload:
//! the CA, certificate and key files its generated configuration points to
//! under its certificates directory, named after their source, split so
//! that no Secret exceeds the API's size limit and projected together into
//! one volume.
use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::{
    ProjectedVolumeSource, Secret, SecretProjection, Volume, VolumeProjection,
};
use serde_json::Value;

use crate::snapshot::Snapshot;
use crate::yaml::Node;

/// The data a Secret may hold, leaving room for its metadata (1 MiB - 50 kB).
pub const MAX_SECRET_DATA_BYTES: usize = 1024 * 1024 - 50_000;
/// The name of the projected volume.
pub const VOLUME: &str = "tls-assets";

/// Where a TLS asset comes from (its number starts the file name).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum AssetSource {
    Secret = 0,
    ConfigMap = 1,
}

/// One file of the TLS assets Secrets: a key of a Secret or ConfigMap.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct TlsAssetKey {
    pub source: AssetSource,
    pub namespace: String,
    pub name: String,
    pub key: String,
}

impl TlsAssetKey {
    pub fn new(source: AssetSource, namespace: &str, name: &str, key: &str) -> Self {
        Self {
            source,
            namespace: namespace.to_owned(),
            name: name.to_owned(),
            key: key.to_owned(),
        }
    }

    /// `<0|1>_<ns>_<name>_<key>`, the key in the assets Secret.
    pub fn file_name(&self) -> String {
        format!(
            "{}_{}_{}_{}",
            self.source as u8, self.namespace, self.name, self.key
        )
    }

    /// The asset a path under `dir` points to. Names and namespaces cannot
    /// hold `_` (DNS names), so the split is unambiguous.
    pub fn from_path(dir: &str, path: &str) -> Option<Self> {
        let file = path.strip_prefix(dir)?.strip_prefix('/')?;
        let mut parts = file.splitn(4, '_');
        let source = match parts.next()? {
            "0" => AssetSource::Secret,
            "1" => AssetSource::ConfigMap,
            _ => return None,
        };
        let (namespace, name, key) = (parts.next()?, parts.next()?, parts.next()?);
        Some(Self::new(source, namespace, name, key))
    }

    /// The asset's content in the snapshot.
    pub fn value<'s>(&self, snapshot: &'s Snapshot) -> Option<&'s [u8]> {
        match self.source {
            AssetSource::Secret => snapshot.secret_value(&self.namespace, &self.name, &self.key),
            AssetSource::ConfigMap => snapshot
                .config_map_value(&self.namespace, &self.name, &self.key)
                .map(str::as_bytes),
        }
    }
}

/// A parsed configuration, as the TLS-asset scan reads it: JSON parsed from
/// a configuration's text, or the generator's own tree (no copy of a large
/// configuration is made for the scan).
pub trait ConfigTree {
    /// The entries of a mapping; none for other nodes.
    fn entries(&self) -> Box<dyn Iterator<Item = (&str, &Self)> + '_>;
    /// The items of a sequence; none for other nodes.
    fn items(&self) -> &[Self]
    where
        Self: Sized;
    fn text(&self) -> Option<&str>;
}

impl ConfigTree for Value {
    fn entries(&self) -> Box<dyn Iterator<Item = (&str, &Self)> + '_> {
        match self {
            Value::Object(map) => Box::new(map.iter().map(|(k, v)| (k.as_str(), v))),
            _ => Box::new(std::iter::empty()),
        }
    }
    fn items(&self) -> &[Self] {
        self.as_array().map_or(&[], Vec::as_slice)
    }
    fn text(&self) -> Option<&str> {
        self.as_str()
    }
}

impl ConfigTree for Node {
    fn entries(&self) -> Box<dyn Iterator<Item = (&str, &Self)> + '_> {
        match self {
            Node::Map(map) => Box::new(map.iter()),
            _ => Box::new(std::iter::empty()),
        }
    }
    fn items(&self) -> &[Self] {
        match self {
            Node::Seq(items) | Node::FlowSeq(items) => items,
            _ => &[],
        }
    }
    fn text(&self) -> Option<&str> {
        match self {
            Node::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// The files of `snapshot` that the `ca_file`, `cert_file` and
/// `key_file` fields anywhere in `config` (a parsed configuration) point to
/// under `dir`. Like the reference, a CA is kept when it has content, a
/// certificate and its key only together and both with content.
pub fn referenced<T: ConfigTree>(
    config: &T,
    dir: &str,
    snapshot: &Snapshot,
) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    walk(config, dir, snapshot, &mut files);
    files
}

fn walk<T: ConfigTree>(
    node: &T,
    dir: &str,
    snapshot: &Snapshot,
    files: &mut BTreeMap<String, Vec<u8>>,
) {
    let asset = |field: &str| {
        let path = node.entries().find(|(k, _)| *k == field)?.1.text()?;
        let key = TlsAssetKey::from_path(dir, path)?;
        let content = key.value(snapshot).filter(|v| !v.is_empty())?;
        Some((key.file_name(), content.to_vec()))
    };
    files.extend(asset("ca_file"));
    if let (Some(cert), Some(key)) = (asset("cert_file"), asset("key_file")) {
        files.extend([cert, key]);
    }
    for (_, child) in node.entries() {
        walk(child, dir, snapshot, files);
    }
    for child in node.items() {
        walk(child, dir, snapshot, files);
    }
}

/// The TLS assets under `dir` that a `*_file` field of `config` names and
/// that are not among `files` (the assets written): a configuration naming
/// them would point at files that are never there. Paths under `dir` that
/// do not name an asset (`<0|1>_<ns>_<name>_<key>`) are left to whoever
/// wrote them.
pub fn unwritten<T: ConfigTree>(
    config: &T,
    dir: &str,
    files: &BTreeMap<String, Vec<u8>>,
) -> Vec<String> {
    fn walk<T: ConfigTree>(
        node: &T,
        dir: &str,
        files: &BTreeMap<String, Vec<u8>>,
        out: &mut Vec<String>,
    ) {
        for (key, child) in node.entries() {
            let path = child.text().filter(|_| key.ends_with("_file"));
            match path.and_then(|p| Some((p, TlsAssetKey::from_path(dir, p)?))) {
                Some((path, asset)) if !files.contains_key(&asset.file_name()) => {
                    out.push(path.to_owned());
                }
                _ => walk(child, dir, files, out),
            }
        }
        for child in node.items() {
            walk(child, dir, files, out);
        }
    }
    let mut out = Vec::new();
    walk(config, dir, files, &mut out);
    out.sort();
    out.dedup();
    out
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
    super::numbered::numbered(base, index)
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
        name: VOLUME.to_owned(),
        projected: Some(ProjectedVolumeSource {
            sources: Some(sources),
            ..ProjectedVolumeSource::default()
        }),
        ..Volume::default()
    }
}

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
        let config = "a:\n  tls_config:\n    ca_file: /certs/0_ns_s_ca\n\
                      b:\n- tls_config:\n    cert_file: /certs/0_ns_s_crt\n    key_file: /certs/0_ns_s_key\n\
                      - tls_config:\n    ca_file: /certs/0_ns_s_empty\n    cert_file: /certs/0_ns_s_crt\n\
                      c:\n  ca_file: /elsewhere/0_ns_s_ca\n";
        let doc: Value = serde_saphyr::from_str(config).unwrap();
        let files = referenced(&doc, "/certs", &loaded.snapshot);
        let keys: Vec<_> = files.keys().map(String::as_str).collect();
        assert_eq!(keys, ["0_ns_s_ca", "0_ns_s_crt", "0_ns_s_key"]);
        assert_eq!(files["0_ns_s_key"], b"KEY");
    }

    #[test]
    fn unwritten_assets_are_the_named_ones_without_a_file() {
        let config = "a:\n  tls_config:\n    ca_file: /certs/0_ns_s_ca\n    cert_file: /certs/0_ns_s_crt\n\
                      b:\n- key_file: /certs/1_ns_m_key\n- ca_file: /certs/own.pem\n\
                      c:\n  ca_file: /elsewhere/0_ns_s_x\n";
        let doc: Value = serde_saphyr::from_str(config).unwrap();
        let files = BTreeMap::from([("0_ns_s_ca".to_owned(), b"CA".to_vec())]);
        assert_eq!(
            unwritten(&doc, "/certs", &files),
            ["/certs/0_ns_s_crt", "/certs/1_ns_m_key"]
        );
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
