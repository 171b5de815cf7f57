//! The web configuration file (`web.config.file`) of Prometheus, held by the
//! Secret `<prefix>-<name>-web-config`, and the volumes that bring it and
//! the web server's TLS material into the pod.
use k8s_openapi::api::core::v1::{
    ConfigMapVolumeSource, SecretKeySelector, SecretVolumeSource, Volume, VolumeMount,
};
use promop_api::common::SecretOrConfigMap;
use promop_api::v1::workload::{
    WebConfigFileFields, WebHttpConfig, WebTlsConfig, XContentTypeOptions, XFrameOptions,
};

use crate::k8s::names::{InvalidLabel, unique_label};
use crate::yaml::{self, Mapping, Node};

/// Where Prometheus finds its web configuration and TLS files.
pub const WEB_CONFIG_DIR: &str = "/etc/prometheus/web_config";
const FILE: &str = "web-config.yaml";
const VOLUME: &str = "web-config";
const TLS_VOLUME_PREFIX: &str = "web-config-tls-";

/// The web configuration of one workload.
#[derive(Clone, Copy, Debug)]
pub struct WebConfig<'a> {
    pub mount_dir: &'a str,
    pub secret_name: &'a str,
    pub fields: Option<&'a WebConfigFileFields>,
}

/// The key of the file in the Secret.
pub const SECRET_KEY: &str = FILE;

impl WebConfig<'_> {
    fn tls(&self) -> Option<&WebTlsConfig> {
        self.fields.and_then(|f| f.tls_config.as_ref())
    }

    /// The path of the file in the container (`--web.config.file`).
    pub fn file_path(&self) -> String {
        format!("{}/{FILE}", self.mount_dir)
    }

    /// The file's volume and mount, then one volume and mount per TLS
    /// Secret or ConfigMap (whole volumes, so that renewed certificates
    /// reach the pod).
    pub fn volumes(&self) -> Result<(Vec<Volume>, Vec<VolumeMount>), InvalidLabel> {
        let mut volumes = vec![Volume {
            name: VOLUME.to_owned(),
            secret: Some(SecretVolumeSource {
                secret_name: Some(self.secret_name.to_owned()),
                ..SecretVolumeSource::default()
            }),
            ..Volume::default()
        }];
        let mut mounts = vec![VolumeMount {
            name: VOLUME.to_owned(),
            sub_path: Some(FILE.to_owned()),
            read_only: Some(true),
            mount_path: self.file_path(),
            ..VolumeMount::default()
        }];
        if let Some(tls) = self.tls() {
            let key = key_secret(tls);
            let sources = [
                (Some(secret_ref(&key)), "key"),
                (tls.cert.clone(), "cert"),
                (tls.client_ca.clone(), "client-ca"),
            ];
            for (source, role) in sources {
                let Some(source) = source else { continue };
                let (kind, name) = match (&source.secret, &source.config_map) {
                    (Some(s), _) => ("secret", s.name.clone()),
                    (None, Some(c)) => ("configmap", c.name.clone()),
                    (None, None) => continue,
                };
                let volume_name =
                    unique_label(&format!("{TLS_VOLUME_PREFIX}{kind}-{role}-"), &name)?;
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
                    mount_path: self.mount_path(&source, role_suffix(role)),
                    ..VolumeMount::default()
                });
            }
        }
        Ok((volumes, mounts))
    }

    /// `<dir>/secret/<name>-<suffix>` or `<dir>/configmap/<name>-<suffix>`.
    fn mount_path(&self, source: &SecretOrConfigMap, suffix: &str) -> String {
        match (&source.secret, &source.config_map) {
            (Some(s), _) => format!("{}/secret/{}-{suffix}", self.mount_dir, s.name),
            (None, Some(c)) => format!("{}/configmap/{}-{suffix}", self.mount_dir, c.name),
            (None, None) => String::new(),
        }
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
            cfg.insert("tls_server_config", self.tls_section(tls));
        }
        if let Some(http) = http {
            cfg.insert("http_server_config", http_section(http));
        }
        yaml::to_string(&Node::Map(cfg))
    }

    fn tls_section(&self, tls: &WebTlsConfig) -> Mapping {
        let set = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
        let file = |source: &Option<SecretOrConfigMap>, suffix: &str| {
            let source = source.as_ref()?;
            let key = source
                .secret
                .as_ref()
                .map(|s| &s.key)
                .or(source.config_map.as_ref().map(|c| &c.key))?;
            Some(format!("{}/{key}", self.mount_path(source, suffix)))
        };
        let key = key_secret(tls);
        let mut m = Mapping::new();
        m.insert_opt(
            "cert_file",
            set(&tls.cert_file).or_else(|| file(&tls.cert, "cert")),
        );
        m.insert_opt(
            "key_file",
            set(&tls.key_file).or_else(|| file(&Some(secret_ref(&key)), "key")),
        );
        m.insert_opt("client_auth_type", set(&tls.client_auth_type));
        m.insert_opt(
            "client_ca_file",
            set(&tls.client_ca_file).or_else(|| file(&tls.client_ca, "ca")),
        );
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
        m
    }
}

/// The mount path suffix of each TLS role (the client CA mounts as `-ca`).
fn role_suffix(role: &str) -> &str {
    match role {
        "client-ca" => "ca",
        other => other,
    }
}

/// The key Secret is a plain (not optional) field upstream: unset reads as
/// an empty selector.
fn key_secret(tls: &WebTlsConfig) -> SecretKeySelector {
    tls.key_secret.clone().unwrap_or_default()
}

fn secret_ref(key: &SecretKeySelector) -> SecretOrConfigMap {
    SecretOrConfigMap {
        secret: Some(key.clone()),
        config_map: None,
    }
}

fn http_section(http: &WebHttpConfig) -> Mapping {
    let mut m = Mapping::new();
    m.insert_opt("http2", http.http2);
    let Some(h) = &http.headers else { return m };
    let set = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
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
