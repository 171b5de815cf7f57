//! The `alertmanager` container of an Alertmanager StatefulSet
//! (`alertmanager-<name>`), run by the kubelet like Prometheus' container:
//! its configuration is what the config-reloader writes from the generated
//! Secret (`alertmanager.yaml.gz` gunzipped to `--config.file`).
//!
//! The binary follows the image's tag ([`AlertmanagerVersion::of_spec`]).
//! Debian's build reads its templates from
//! `/usr/share/prometheus/alertmanager`: the unpacked package's directory is
//! bound there in the pod's root. The pod runs alone, so gossip is disabled
//! (`--cluster.listen-address=` empty; the `--cluster.peer`s are then
//! ignored by Alertmanager).

use std::path::PathBuf;

use anyhow::{Result, bail};
use kube::Client;
use serde_json::Value;

use super::{Mount, RunningPod, Workload, start_pod};
use crate::alertmanager::AlertmanagerVersion;
use crate::apiserver::TestEnv;
use crate::http;

/// Where Debian's Alertmanager looks for `default.tmpl` and its UI.
const ASSETS: &str = "/usr/share/prometheus/alertmanager";

/// The HTTP API of a running Alertmanager (v2).
#[derive(Debug, Clone)]
pub struct AlertmanagerApi {
    url: String,
}

/// The `alertmanager` container of an Alertmanager's pod.
pub type RunningAlertmanagerPod = RunningPod<AlertmanagerApi>;

impl AlertmanagerApi {
    /// `http://127.0.0.1:<port>`
    pub fn url(&self) -> &str {
        &self.url
    }

    /// `GET /api/v2/alerts`
    pub async fn alerts(&self) -> Result<Value> {
        http::get_json(&format!("{}/api/v2/alerts", self.url)).await
    }

    /// `GET /api/v2/status`: `config.original` is the loaded configuration.
    pub async fn status(&self) -> Result<Value> {
        http::get_json(&format!("{}/api/v2/status", self.url)).await
    }
}

impl Workload for AlertmanagerApi {
    const CONTAINER: &'static str = "alertmanager";
    const FLAGS: &'static [(&'static str, &'static str)] = &[("--cluster.listen-address", "")];

    fn binary(image_tag: &str) -> Result<PathBuf> {
        crate::paths::binary(AlertmanagerVersion::of_spec(Some(image_tag)).binary())
    }

    fn asset_mounts(image_tag: &str) -> Result<Vec<Mount>> {
        let binary = AlertmanagerVersion::of_spec(Some(image_tag)).binary();
        let source = crate::paths::package_share_dir(binary).join("prometheus/alertmanager");
        if !source.is_dir() {
            bail!(
                "{binary}'s assets not found in {}: run testenv/install.sh",
                source.display()
            );
        }
        Ok(vec![Mount {
            target: ASSETS.into(),
            source,
            read_only: true,
        }])
    }

    fn api(url: String) -> Self {
        Self { url }
    }
}

/// Waits for StatefulSet `namespace/statefulset` of an Alertmanager and the
/// objects its pod mounts, materializes the pod's volumes, writes the
/// configuration as the config-reloader does and runs its `alertmanager`
/// container until `/-/ready` answers.
pub async fn run_alertmanager_pod(
    client: &Client,
    env: &TestEnv,
    namespace: &str,
    statefulset: &str,
    ordinal: u32,
) -> Result<RunningAlertmanagerPod> {
    start_pod(
        client,
        env,
        namespace,
        statefulset,
        ordinal,
        &Default::default(),
    )
    .await
}
