//! `reloader` (issue 18): how long a ServiceMonitor change takes to reach
//! the running Prometheus (`/api/v1/status/config`), through each chain,
//! promop writing the objects in both:
//!
//! * `kubelet`: promop in its default mode (the reference's objects), the
//!   test-bed kubelet syncing the config Secret volume as a real one does
//!   (every `--sync-period` seconds plus up to 50%, 60 by default) and the
//!   reference's `prometheus-config-reloader` running as the sidecar;
//! * `promop-watch`: `promop run --config-reloader=promop-watch`, its pods'
//!   `promop config-reloader` reading the Secret from the API server; no
//!   volume sync.
//!
//! Before each change a pause drawn from [0, sync period) puts the change
//! at a random point of the kubelet's cycle, as users' changes are; the
//! scenario is [`promop_testenv::reload_e2e`].
use std::path::Path;

use anyhow::{Context, Result};
use promop_testenv::reload_e2e::ReloadScenario;
use promop_testenv::{PodOptions, TestEnv, VolumeSync};
use serde_json::{Value, json};

use super::changes::summary;
use super::{Operator, Running};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Chain {
    Kubelet,
    PromopWatch,
}

impl Chain {
    pub fn name(self) -> &'static str {
        match self {
            Chain::Kubelet => "kubelet",
            Chain::PromopWatch => "promop-watch",
        }
    }
}

/// `changes` changes through `chain`, with the kubelet's volume sync
/// `sync` (kubelet chain).
pub async fn reloader(
    chain: Chain,
    run: usize,
    promop: &Path,
    changes: usize,
    sync: VolumeSync,
) -> Result<Value> {
    let env = TestEnv::with_upstream_crds().await?;
    let client = env.client();
    let (flags, pod_options): (&[&str], PodOptions) = match chain {
        Chain::Kubelet => (
            &[],
            PodOptions {
                reference_reloader: true,
                volume_sync: Some(sync),
                ..PodOptions::default()
            },
        ),
        Chain::PromopWatch => (
            &["--config-reloader=promop-watch"],
            PodOptions {
                promop_binary: Some(promop.to_owned()),
                ..PodOptions::default()
            },
        ),
    };
    let mut op = Running::start_with(Operator::Promop, &env, promop, flags).await?;
    let mut scenario = ReloadScenario::start(&env, &pod_options, String::new)
        .await
        .context("starting the scenario")?;
    let mut samples = Vec::with_capacity(changes);
    for i in 1..=changes {
        if chain == Chain::Kubelet {
            op.idle(sync.phase()).await?;
        }
        let sample = scenario
            .change_to_served(&client)
            .await
            .with_context(|| format!("change {i}"))?;
        eprintln!("  change {i}: {sample:.1?}");
        samples.push(sample);
    }
    let mut report = json!({
        "bench": "reloader",
        "chain": chain.name(),
        "run": run,
        "sync_period_seconds": sync.period.as_secs_f64(),
        "sync_jitter": sync.jitter,
    });
    if let Value::Object(fields) = &mut report {
        fields.extend(summary("served_", &samples));
    }
    Ok(report)
}
