//! Clients of a ServiceAccount instead of the admin: to run promop with
//! nothing but the RBAC a test grants it.
use std::path::PathBuf;

use anyhow::{Context, Result};
use k8s_openapi::api::authentication::v1::{TokenRequest, TokenRequestSpec};
use k8s_openapi::api::core::v1::ServiceAccount;
use kube::api::PostParams;
use kube::{Api, Client};

use crate::TestEnv;

impl TestEnv {
    /// A token of ServiceAccount `namespace/name` (which must exist), from
    /// the TokenRequest API; the apiserver authenticates it as
    /// `system:serviceaccount:<namespace>:<name>`.
    pub async fn service_account_token(&self, namespace: &str, name: &str) -> Result<String> {
        let request = TokenRequest {
            spec: Some(TokenRequestSpec::default()),
            ..TokenRequest::default()
        };
        Api::<ServiceAccount>::namespaced(self.client(), namespace)
            .create_token_request(name, &PostParams::default(), &request)
            .await
            .with_context(|| format!("token of ServiceAccount {namespace}/{name}"))?
            .status
            .and_then(|s| s.token)
            .context("TokenRequest without a token")
    }

    /// A client authenticated as ServiceAccount `namespace/name`.
    pub async fn service_account_client(&self, namespace: &str, name: &str) -> Result<Client> {
        let token = self.service_account_token(namespace, name).await?;
        let mut config = self.client_config(None).await?;
        config.auth_info = kube::config::AuthInfo {
            token: Some(token.into()),
            ..kube::config::AuthInfo::default()
        };
        Ok(Client::try_from(config)?)
    }

    /// A kubeconfig (for another process) authenticated as ServiceAccount
    /// `namespace/name`.
    pub async fn service_account_kubeconfig(&self, namespace: &str, name: &str) -> Result<PathBuf> {
        let token = self.service_account_token(namespace, name).await?;
        let path = self.dir().join(format!("kubeconfig-sa-{namespace}-{name}"));
        let yaml = crate::apiserver::kubeconfig_yaml(self.server_url(), &self.pki, &token)?;
        std::fs::write(&path, yaml).with_context(|| format!("writing {}", path.display()))?;
        Ok(path)
    }
}
