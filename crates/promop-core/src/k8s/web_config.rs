//! The web configuration file (`--web.config.file`) of Prometheus and
//! Alertmanager, held by the Secret `<prefix>-<name>-web-config`, and the
//! volumes that bring it and the server's TLS material into the pod. The
//! TLS material ([`TlsReferences`]) is mounted the same way for
//! Alertmanager's cluster TLS.
use k8s_openapi::api::core::v1::{
    ConfigMapVolumeSource, SecretKeySelector, SecretVolumeSource, Volume, VolumeMount,
};
use promop_api::common::SecretOrConfigMap;
use promop_api::v1::workload::{
    WebConfigFileFields, WebHttpConfig, WebTlsConfig, XContentTypeOptions, XFrameOptions,
};

use crate::k8s::names::{InvalidLabel, unique_label};
use crate::k8s::probe::clean_path;
use crate::select::reasons::RejectionKind;
use crate::yaml::{self, Mapping, Node};

const FILE: &str = "web-config.yaml";
const VOLUME: &str = "web-config";
const TLS_VOLUME_PREFIX: &str = "web-config-tls-";

/// The key of the file in the Secret.
pub const SECRET_KEY: &str = FILE;

/// TLS material referenced from Secrets and ConfigMaps, each source mounted
/// whole under `mount_dir` (not by sub-path, so that renewed certificates
/// reach the pod without a restart).
#[derive(Clone, Debug)]
pub struct TlsReferences<'a> {
    pub mount_dir: String,
    /// The key is a plain (not optional) field upstream: unset reads as an
    /// empty selector.
    pub key_secret: SecretKeySelector,
    pub cert: Option<&'a SecretOrConfigMap>,
    /// The CA (a server's client CA, a client's server CA).
    pub ca: Option<&'a SecretOrConfigMap>,
}

impl TlsReferences<'_> {
    /// One volume and mount per source (key, certificate, CA), named
    /// `<prefix><secret|configmap>-<key|cert|client-ca>-<name>-<hash>`.
    pub fn volumes(&self, prefix: &str) -> Result<(Vec<Volume>, Vec<VolumeMount>), InvalidLabel> {
        let key = secret_source(&self.key_secret);
        let sources = [
            (Some(&key), "key", "key"),
            (self.cert, "cert", "cert"),
            (self.ca, "client-ca", "ca"),
        ];
        let (mut volumes, mut mounts) = (Vec::new(), Vec::new());
        for (source, role, suffix) in sources {
            let Some(source) = source else { continue };
            let (kind, name) = match (&source.secret, &source.config_map) {
                (Some(s), _) => ("secret", &s.name),
                (None, Some(c)) => ("configmap", &c.name),
                (None, None) => continue,
            };
            let volume_name = unique_label(&format!("{prefix}{kind}-{role}-"), name)?;
            let mut volume = Volume {
                name: volume_name.clone(),
                ..Volume::default()
            };
            if kind == "secret" {
                volume.secret = Some(SecretVolumeSource {
                    secret_name: Some(name.clone()),
                    ..SecretVolumeSource::default()
                });
            } else {
                volume.config_map = Some(ConfigMapVolumeSource {
                    name: name.clone(),
                    ..ConfigMapVolumeSource::default()
                });
            }
            volumes.push(volume);
            mounts.push(VolumeMount {
                name: volume_name,
                read_only: Some(true),
                mount_path: self.mount_path(source, suffix),
                ..VolumeMount::default()
            });
        }
        Ok((volumes, mounts))
    }

    /// `<dir>/secret/<name>-<suffix>` or `<dir>/configmap/<name>-<suffix>`.
    fn mount_path(&self, source: &SecretOrConfigMap, suffix: &str) -> String {
        let (kind, name) = match (&source.secret, &source.config_map) {
            (Some(s), _) => ("secret", &s.name),
            (None, Some(c)) => ("configmap", &c.name),
            (None, None) => return String::new(),
        };
        clean_path(&format!("{}/{kind}/{name}-{suffix}", self.mount_dir))
    }

    /// The path of a source's file in the container.
    fn file(&self, source: Option<&SecretOrConfigMap>, suffix: &str) -> Option<String> {
        let source = source?;
        let key = match (&source.secret, &source.config_map) {
            (Some(s), _) => &s.key,
            (None, Some(c)) => &c.key,
            (None, None) => return None,
        };
        Some(clean_path(&format!(
            "{}/{key}",
            self.mount_path(source, suffix)
        )))
    }

    /// The key file (always: the key Secret is not optional).
    pub fn key_file(&self) -> String {
        self.file(Some(&secret_source(&self.key_secret)), "key")
            .unwrap_or_default()
    }

    pub fn cert_file(&self) -> Option<String> {
        self.file(self.cert, "cert")
    }

    pub fn ca_file(&self) -> Option<String> {
        self.file(self.ca, "ca")
    }
}

fn secret_source(key: &SecretKeySelector) -> SecretOrConfigMap {
    SecretOrConfigMap {
        secret: Some(key.clone()),
        config_map: None,
    }
}

/// The web configuration of one workload.
#[derive(Clone, Copy, Debug)]
pub struct WebConfig<'a> {
    pub mount_dir: &'a str,
    pub secret_name: &'a str,
    pub fields: Option<&'a WebConfigFileFields>,
}

impl<'a> WebConfig<'a> {
    fn tls(&self) -> Option<&'a WebTlsConfig> {
        self.fields.and_then(|f| f.tls_config.as_ref())
    }

    fn references(&self, tls: &'a WebTlsConfig) -> TlsReferences<'a> {
        server_references(self.mount_dir, tls)
    }

    /// The path of the file in the container (`--web.config.file`).
    pub fn file_path(&self) -> String {
        format!("{}/{FILE}", self.mount_dir)
    }

    /// The file's volume and mount, then those of the TLS material.
    pub fn volumes(&self) -> Result<(Vec<Volume>, Vec<VolumeMount>), InvalidLabel> {
        let mut volumes = vec![super::volumes::secret_volume(VOLUME, self.secret_name)];
        let mut mounts = vec![VolumeMount {
            name: VOLUME.to_owned(),
            sub_path: Some(FILE.to_owned()),
            read_only: Some(true),
            mount_path: self.file_path(),
            ..VolumeMount::default()
        }];
        if let Some(tls) = self.tls() {
            let (v, m) = self.references(tls).volumes(TLS_VOLUME_PREFIX)?;
            volumes.extend(v);
            mounts.extend(m);
        }
        Ok((volumes, mounts))
    }

    /// The file's content (empty without TLS and HTTP settings).
    pub fn contents(&self) -> String {
        let tls = self.tls();
        let http = self.fields.and_then(|f| f.http_config.as_ref());
        if tls.is_none() && http.is_none() {
            return String::new();
        }
        let mut cfg = Mapping::new();
        if let Some(tls) = tls {
            let refs = self.references(tls);
            let mut m = Mapping::new();
            m.insert_opt(
                "cert_file",
                set(&tls.cert_file).or_else(|| refs.cert_file()),
            );
            m.insert_opt(
                "key_file",
                set(&tls.key_file).or_else(|| Some(refs.key_file())),
            );
            m.insert_opt("client_auth_type", set(&tls.client_auth_type));
            m.insert_opt(
                "client_ca_file",
                set(&tls.client_ca_file).or_else(|| refs.ca_file()),
            );
            tls_server_options(&mut m, tls);
            cfg.insert("tls_server_config", m);
        }
        if let Some(http) = http {
            cfg.insert("http_server_config", http_section(http));
        }
        yaml::to_string(&Node::Map(cfg))
    }
}

/// The references of a TLS server's key, certificate and client CA.
pub fn server_references<'a>(mount_dir: &str, tls: &'a WebTlsConfig) -> TlsReferences<'a> {
    TlsReferences {
        mount_dir: mount_dir.to_owned(),
        key_secret: tls.key_secret.clone().unwrap_or_default(),
        cert: tls.cert.as_ref(),
        ca: tls.client_ca.as_ref(),
    }
}

/// The reference's checks of a TLS server configuration.
pub fn validate(tls: &WebTlsConfig) -> Result<(), RejectionKind> {
    let given = |s: &Option<SecretOrConfigMap>| {
        s.as_ref()
            .is_some_and(|s| s.secret.is_some() || s.config_map.is_some())
    };
    let key_secret = tls
        .key_secret
        .as_ref()
        .is_some_and(|k| *k != SecretKeySelector::default());
    let (key_file, cert_file) = (set(&tls.key_file).is_some(), set(&tls.cert_file).is_some());
    if given(&tls.client_ca) && set(&tls.client_ca_file).is_some() {
        return Err("cannot specify both clientCAFile and clientCA".into());
    }
    if given(&tls.cert) && cert_file {
        return Err("cannot specify both cert and certFile".into());
    }
    if key_file && key_secret {
        return Err("cannot specify both keyFile and keySecret".into());
    }
    if !key_file && !key_secret {
        return Err("TLS private key must be defined".into());
    }
    if !cert_file && !given(&tls.cert) {
        return Err("TLS certificate must be defined".into());
    }
    Ok(())
}

/// A set, non-empty string.
pub fn set(value: &Option<String>) -> Option<String> {
    value.clone().filter(|s| !s.is_empty())
}

/// The protocol settings of a TLS server section, after its files.
pub fn tls_server_options(m: &mut Mapping, tls: &WebTlsConfig) {
    m.insert_opt("min_version", set(&tls.min_version));
    m.insert_opt("max_version", set(&tls.max_version));
    if let Some(suites) = tls.cipher_suites.clone().filter(|s| !s.is_empty()) {
        m.insert("cipher_suites", suites);
    }
    m.insert_opt(
        "prefer_server_cipher_suites",
        tls.prefer_server_cipher_suites,
    );
    if let Some(curves) = tls.curve_preferences.clone().filter(|c| !c.is_empty()) {
        m.insert("curve_preferences", curves);
    }
}

fn http_section(http: &WebHttpConfig) -> Mapping {
    let mut m = Mapping::new();
    m.insert_opt("http2", http.http2);
    let Some(h) = &http.headers else { return m };
    let mut headers = Mapping::new();
    headers.insert_opt("Content-Security-Policy", set(&h.content_security_policy));
    headers.insert_opt(
        "Strict-Transport-Security",
        set(&h.strict_transport_security),
    );
    headers.insert_opt(
        "X-Content-Type-Options",
        h.x_content_type_options.and_then(|o| match o {
            XContentTypeOptions::Unset => None,
            XContentTypeOptions::NoSniff => Some("nosniff"),
        }),
    );
    headers.insert_opt(
        "X-Frame-Options",
        h.x_frame_options.and_then(|o| match o {
            XFrameOptions::Unset => None,
            XFrameOptions::Deny => Some("deny"),
            XFrameOptions::SameOrigin => Some("sameorigin"),
        }),
    );
    headers.insert_opt("X-XSS-Protection", set(&h.x_xss_protection));
    m.insert("headers", headers);
    m
}
