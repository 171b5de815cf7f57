//! `tls_config` sections: Secret/ConfigMap material becomes files of the TLS
//! assets Secret, container files are referenced as they are.
use promop_api::common::{SafeTlsConfig, TlsConfig, TlsVersion};

use super::assets::Store;
use super::version::{Feature, Version};
use crate::yaml::{Mapping, Node};

/// Appends `tls_config` built from a TLS config that may reference files.
pub fn append(cfg: &mut Mapping, store: &Store<'_>, version: &Version, tls: Option<&TlsConfig>) {
    if let Some(tls) = tls {
        cfg.insert("tls_config", section(store, version, tls));
    }
}

/// Appends `tls_config` built from a TLS config restricted to Secrets and ConfigMaps.
pub fn append_safe(
    cfg: &mut Mapping,
    store: &Store<'_>,
    version: &Version,
    tls: Option<&SafeTlsConfig>,
) {
    if let Some(tls) = tls {
        cfg.insert("tls_config", safe_section(store, version, tls));
    }
}

fn section(store: &Store<'_>, version: &Version, tls: &TlsConfig) -> Mapping {
    let mut m = safe_section(store, version, &tls.safe);
    let files = &tls.files;
    for (key, value) in [
        ("ca_file", &files.ca_file),
        ("cert_file", &files.cert_file),
        ("key_file", &files.key_file),
    ] {
        m.insert_opt(key, value.as_deref().filter(|v| !v.is_empty()));
    }
    m
}

fn safe_section(store: &Store<'_>, version: &Version, tls: &SafeTlsConfig) -> Mapping {
    let mut m = Mapping::new();
    m.insert_opt("insecure_skip_verify", tls.insecure_skip_verify);
    m.insert_opt(
        "ca_file",
        tls.ca.as_ref().and_then(|ca| store.tls_asset_path(ca)),
    );
    m.insert_opt(
        "cert_file",
        tls.cert
            .as_ref()
            .and_then(|cert| store.tls_asset_path(cert)),
    );
    m.insert_opt(
        "key_file",
        tls.key_secret
            .as_ref()
            .map(|key| store.tls_secret_path(key)),
    );
    m.insert_opt(
        "server_name",
        tls.server_name.as_deref().filter(|s| !s.is_empty()),
    );
    if version.supports(Feature::TlsMinVersion) {
        m.insert_opt("min_version", tls.min_version.map(tls_version));
    }
    if version.supports(Feature::TlsMaxVersion) {
        m.insert_opt("max_version", tls.max_version.map(tls_version));
    }
    m
}

fn tls_version(v: TlsVersion) -> Node {
    let name = match v {
        TlsVersion::Tls10 => "TLS10",
        TlsVersion::Tls11 => "TLS11",
        TlsVersion::Tls12 => "TLS12",
        TlsVersion::Tls13 => "TLS13",
    };
    Node::from(name)
}

/// A safe TLS config seen as a full one; an empty one counts as unset (the
/// reference compares it with the zero value).
pub fn from_safe(tls: Option<&SafeTlsConfig>) -> Option<TlsConfig> {
    tls.filter(|t| **t != SafeTlsConfig::default())
        .map(|safe| TlsConfig {
            safe: safe.clone(),
            files: Default::default(),
        })
}
