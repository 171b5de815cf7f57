//! `spec.clusterTLS`: mutual TLS of the gossip between Alertmanager peers.
//! The Secret `alertmanager-<name>-cluster-tls-config` holds the file of
//! `--cluster.tls-config` (empty, and still written and mounted, without
//! cluster TLS); the server's and the client's TLS material are mounted
//! under `server_tls/` and `client_tls/`.
use k8s_openapi::api::core::v1::{Volume, VolumeMount};
use promop_api::v1::alertmanager::ClusterTlsConfig;
use promop_api::v1::workload::Argument;

use crate::k8s::StatefulSetError;
use crate::k8s::args::flag;
use crate::k8s::volumes::secret_volume;
use crate::k8s::web_config;
use crate::k8s::web_config::{TlsReferences, server_references, set, tls_server_options};
use crate::select::reasons::RejectionKind;
use crate::yaml::{self, Mapping, Node};

/// The key of the file in the Secret.
pub const SECRET_KEY: &str = "cluster-tls-config.yaml";
const DIR: &str = "/etc/alertmanager/cluster_tls_config";
const VOLUME: &str = "cluster-tls-config";
const SERVER_VOLUME_PREFIX: &str = "cluster-tls-server-config-";
const CLIENT_VOLUME_PREFIX: &str = "cluster-tls-client-config-";

/// `alertmanager-<name>-cluster-tls-config`.
pub fn secret_name(name: &str) -> String {
    format!("alertmanager-{name}-cluster-tls-config")
}

/// The cluster TLS configuration of one Alertmanager, checked.
pub struct ClusterTls<'a> {
    secret_name: String,
    config: Option<(&'a ClusterTlsConfig, TlsReferences<'a>, TlsReferences<'a>)>,
}

impl<'a> ClusterTls<'a> {
    /// Refuses what the reference refuses: a server without key or
    /// certificate, a client certificate without key (or the other way
    /// round), a client without certificate.
    pub fn new(name: &str, config: Option<&'a ClusterTlsConfig>) -> Result<Self, StatefulSetError> {
        let secret_name = secret_name(name);
        let Some(config) = config else {
            return Ok(Self {
                secret_name,
                config: None,
            });
        };
        let invalid = |kind: RejectionKind| StatefulSetError::new("spec.clusterTLS", kind);
        web_config::validate(&config.server)
            .map_err(|e| invalid(e.context("invalid server TLS configuration")))?;
        let client = &config.client;
        let has = |s: &Option<promop_api::common::SecretOrConfigMap>| {
            s.as_ref()
                .is_some_and(|s| s.secret.is_some() || s.config_map.is_some())
        };
        let message = match (has(&client.cert), client.key_secret.is_some()) {
            (true, false) => Some("client cert specified without client key"),
            (false, true) => Some("client key specified without client cert"),
            (false, false) => Some("certificate is required"),
            (true, true) => None,
        };
        if let Some(message) = message {
            return Err(invalid(
                format!("invalid client TLS configuration: {message}").into(),
            ));
        }
        let server = server_references(&format!("{DIR}/server_tls"), &config.server);
        let client = TlsReferences {
            mount_dir: format!("{DIR}/client_tls"),
            key_secret: client.key_secret.clone().unwrap_or_default(),
            cert: client.cert.as_ref(),
            ca: client.ca.as_ref(),
        };
        Ok(Self {
            secret_name,
            config: Some((config, server, client)),
        })
    }

    pub fn secret_name(&self) -> &str {
        &self.secret_name
    }

    fn file_path() -> String {
        format!("{DIR}/{SECRET_KEY}")
    }

    /// `--cluster.tls-config`, with cluster TLS only.
    pub fn flag(&self) -> Option<Argument> {
        self.config
            .as_ref()
            .map(|_| flag("cluster.tls-config", Self::file_path()))
    }

    /// The file's volume and mount (always), then the TLS material's.
    pub fn volumes(&self) -> Result<(Vec<Volume>, Vec<VolumeMount>), StatefulSetError> {
        let mut volumes = vec![secret_volume(VOLUME, &self.secret_name)];
        let mut mounts = vec![VolumeMount {
            name: VOLUME.to_owned(),
            sub_path: Some(SECRET_KEY.to_owned()),
            read_only: Some(true),
            mount_path: Self::file_path(),
            ..VolumeMount::default()
        }];
        if let Some((_, server, client)) = &self.config {
            for (refs, prefix) in [
                (server, SERVER_VOLUME_PREFIX),
                (client, CLIENT_VOLUME_PREFIX),
            ] {
                let (v, m) = refs
                    .volumes(prefix)
                    .map_err(|e| StatefulSetError::new("spec.clusterTLS", e.to_string()))?;
                volumes.extend(v);
                mounts.extend(m);
            }
        }
        Ok((volumes, mounts))
    }

    /// The file's content (empty without cluster TLS).
    pub fn contents(&self) -> String {
        let Some((config, server_refs, client_refs)) = &self.config else {
            return String::new();
        };
        let server = &config.server;
        let mut s = Mapping::new();
        s.insert(
            "key_file",
            set(&server.key_file).unwrap_or_else(|| server_refs.key_file()),
        );
        s.insert_opt(
            "cert_file",
            set(&server.cert_file).or_else(|| server_refs.cert_file()),
        );
        s.insert_opt("client_auth_type", set(&server.client_auth_type));
        s.insert_opt(
            "client_ca_file",
            set(&server.client_ca_file).or_else(|| server_refs.ca_file()),
        );
        tls_server_options(&mut s, server);
        let mut c = Mapping::new();
        c.insert("key_file", client_refs.key_file());
        c.insert_opt("cert_file", client_refs.cert_file());
        c.insert_opt("ca_file", client_refs.ca_file());
        c.insert_opt("server_name", config.client.server_name.clone());
        c.insert_opt("insecure_skip_verify", config.client.insecure_skip_verify);
        let mut cfg = Mapping::new();
        cfg.insert("tls_server_config", s);
        cfg.insert("tls_client_config", c);
        yaml::to_string(&Node::Map(cfg))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(yaml: &str) -> ClusterTlsConfig {
        serde_saphyr::from_str(yaml).unwrap()
    }

    #[test]
    fn the_server_lists_its_key_first_and_each_side_has_its_directory() {
        let c = config(
            "server: {keySecret: {name: s, key: k}, certFile: /c.crt}\n\
             client: {cert: {secret: {name: s, key: crt}}, keySecret: {name: s, key: k}, \
             ca: {configMap: {name: ca, key: ca.crt}}, insecureSkipVerify: false}\n",
        );
        let tls = ClusterTls::new("main", Some(&c)).unwrap();
        assert_eq!(
            tls.contents(),
            "tls_server_config:\n  key_file: /etc/alertmanager/cluster_tls_config/server_tls/secret/s-key/k\n  \
             cert_file: /c.crt\ntls_client_config:\n  \
             key_file: /etc/alertmanager/cluster_tls_config/client_tls/secret/s-key/k\n  \
             cert_file: /etc/alertmanager/cluster_tls_config/client_tls/secret/s-cert/crt\n  \
             ca_file: /etc/alertmanager/cluster_tls_config/client_tls/configmap/ca-ca/ca.crt\n  \
             insecure_skip_verify: false\n"
        );
        let (volumes, _) = tls.volumes().unwrap();
        let names: Vec<_> = volumes.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names[0], "cluster-tls-config");
        assert!(names[1].starts_with("cluster-tls-server-config-secret-key-s-"));
        assert!(names[4].starts_with("cluster-tls-client-config-configmap-client-ca-ca-"));
        assert_eq!(tls.flag().unwrap().name, "cluster.tls-config");
    }

    #[test]
    fn a_client_needs_a_certificate_and_without_cluster_tls_the_file_is_empty() {
        let c = config("server: {keySecret: {name: s, key: k}, certFile: /c}\nclient: {}\n");
        let err = ClusterTls::new("main", Some(&c)).err().unwrap();
        assert_eq!(
            err.kind.message(),
            "invalid client TLS configuration: certificate is required"
        );
        let none = ClusterTls::new("main", None).unwrap();
        assert_eq!(none.contents(), "");
        assert!(none.flag().is_none());
        assert_eq!(none.volumes().unwrap().0.len(), 1);
    }
}
