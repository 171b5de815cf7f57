//! What the operators write, as watches deliver it: the config Secret's
//! configuration and the rule ConfigMaps' files, stamped with their arrival
//! time. Watching (instead of polling) bounds the measurement error by the
//! watch's delivery delay, which both operators share.
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use futures::StreamExt;
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client, Resource};
use promop_testenv::bench::{PROMETHEUS_NAME, PROMETHEUS_NAMESPACE, count_jobs};
use promop_testenv::secret_config;
use serde::de::DeserializeOwned;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::{CONFIG_TIMEOUT, Running};

/// The text of every version of the watched objects.
pub struct ContentWatch {
    contents: mpsc::UnboundedReceiver<Result<(Instant, String)>>,
    task: JoinHandle<()>,
}

impl ContentWatch {
    /// The config Secret `prometheus-<name>`: its `prometheus.yaml.gz`.
    pub fn config_secret(client: &Client) -> Self {
        let api: Api<Secret> = Api::namespaced(client.clone(), PROMETHEUS_NAMESPACE);
        let config = watcher::Config::default()
            .fields(&format!("metadata.name=prometheus-{PROMETHEUS_NAME}"));
        Self::start(api, config, secret_config)
    }

    /// The rule ConfigMaps `prometheus-<name>-rulefiles-<n>`: the files of
    /// one ConfigMap, concatenated.
    pub fn rule_config_maps(client: &Client) -> Self {
        let api: Api<ConfigMap> = Api::namespaced(client.clone(), PROMETHEUS_NAMESPACE);
        let config =
            watcher::Config::default().labels(&format!("prometheus-name={PROMETHEUS_NAME}"));
        Self::start(api, config, |cm: &ConfigMap| {
            Ok(cm.data.as_ref().map(|d| d.values().cloned().collect()))
        })
    }

    fn start<K>(
        api: Api<K>,
        config: watcher::Config,
        content: fn(&K) -> Result<Option<String>>,
    ) -> Self
    where
        K: Resource + Clone + DeserializeOwned + std::fmt::Debug + Send + 'static,
    {
        let (tx, contents) = mpsc::unbounded_channel();
        let task = tokio::spawn(async move {
            let mut objects = watcher(api, config)
                .default_backoff()
                .applied_objects()
                .boxed();
            while let Some(event) = objects.next().await {
                let at = Instant::now();
                let sent = match event {
                    Ok(object) => match content(&object) {
                        Ok(Some(text)) => tx.send(Ok((at, text))),
                        Ok(None) => Ok(()),
                        Err(e) => tx.send(Err(e)),
                    },
                    // The watcher re-lists after a backoff; a slow apiserver is no failure.
                    Err(e) => {
                        eprintln!("   watch: {e}");
                        Ok(())
                    }
                };
                if sent.is_err() {
                    return;
                }
            }
        });
        Self { contents, task }
    }

    /// The arrival time and content of the next version that satisfies
    /// `done`, checking every second that the operator still runs.
    pub async fn wait_for(
        &mut self,
        op: &mut Running,
        timeout: Duration,
        mut done: impl FnMut(&str) -> bool,
    ) -> Result<(Instant, String)> {
        let deadline = Instant::now() + timeout;
        loop {
            op.check_running()?;
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                bail!("no matching version after {timeout:?}");
            }
            let next = tokio::time::timeout(left.min(Duration::from_secs(1)), self.contents.recv());
            match next.await {
                Ok(Some(received)) => {
                    let (at, text) = received?;
                    if done(&text) {
                        return Ok((at, text));
                    }
                }
                Ok(None) => bail!("the watch stopped"),
                Err(_) => {}
            }
        }
    }
}

impl ContentWatch {
    /// The arrival of the first configuration, and of the first with
    /// `jobs` scrape jobs (the same one when the first is complete).
    pub async fn first_and_complete(
        &mut self,
        op: &mut Running,
        jobs: usize,
    ) -> Result<(Instant, Instant)> {
        let (first, config) = self.wait_for(op, CONFIG_TIMEOUT, |_| true).await?;
        if count_jobs(&config) >= jobs {
            return Ok((first, first));
        }
        let complete = self.wait_for(op, CONFIG_TIMEOUT, |c| count_jobs(c) >= jobs);
        Ok((first, complete.await?.0))
    }
}

impl Drop for ContentWatch {
    fn drop(&mut self) {
        self.task.abort();
    }
}
