//! Issue 17 (Vault): a credential rotated in a Kubernetes Secret — as the
//! Vault Secrets Operator does when Vault's value changes — reaches the
//! configuration promop generates within seconds, and never appears in
//! promop's log, its /metrics, the objects' status or Events.
//!
//! On the test bed's apiserver, `promop run --log-level=debug` reconciles the
//! example stack's Alertmanager (its AlertmanagerConfig takes the Slack
//! webhook URL and the PagerDuty routing key from Secrets) and Prometheus (its
//! remote write takes the basic-auth credentials from a Secret). The Secrets
//! are the destinations of deploy/examples/vault's VaultStaticSecrets; the
//! test writes them as VSO does (the whole `data` replaced), then measures
//! until the generated configuration Secrets — `alertmanager-orders-generated`
//! (`alertmanager.yaml.gz`) and `prometheus-orders` (`prometheus.yaml.gz`),
//! which the pods mount — hold the new values and no longer the old ones.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail, ensure};
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{ApiResource, DynamicObject, ListParams, PostParams};
use kube::{Api, Client};
use promop_api::v1::{Alertmanager, Prometheus};
use promop_api::v1alpha1::AlertmanagerConfig;
use promop_testenv::{TestEnv, apply_manifests, parse_yaml_documents};
use serde_json::Value;

mod common;
use common::Operator;

const MONITORING: &str = "monitoring";
/// Generous: promop regenerates in well under a second; a loaded machine
/// may take longer. Not a bound on the measurement (that is printed).
const TIMEOUT: Duration = Duration::from_secs(60);
const ROTATIONS: usize = 10;

/// The generated configuration Secrets and their keys.
const ALERTMANAGER_CONFIG: (&str, &str) = ("alertmanager-orders-generated", "alertmanager.yaml.gz");
const PROMETHEUS_CONFIG: (&str, &str) = ("prometheus-orders", "prometheus.yaml.gz");

/// The Secrets VSO writes (name, key) and which generated configuration
/// each value ends up in.
const ROTATED: [(&str, &str, (&str, &str)); 4] = [
    ("alerting-slack", "webhook-url", ALERTMANAGER_CONFIG),
    ("alerting-pagerduty", "routing-key", ALERTMANAGER_CONFIG),
    ("remote-write-credentials", "password", PROMETHEUS_CONFIG),
    ("remote-write-credentials", "username", PROMETHEUS_CONFIG),
];

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/examples")
}

fn objects(file: &Path) -> Result<Vec<Value>> {
    let text = std::fs::read_to_string(file).with_context(|| file.display().to_string())?;
    parse_yaml_documents(&text).with_context(|| file.display().to_string())
}

/// A value nobody else could have written: `PREFIX-rotation-nanos`.
fn unique(prefix: &str, rotation: usize) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{prefix}-{rotation}-{nanos:x}")
}

/// The values of one generation of the rotated Secrets, by (Secret, key).
fn generation(rotation: usize) -> BTreeMap<(&'static str, &'static str), String> {
    ROTATED
        .iter()
        .map(|(secret, key, _)| {
            let value = match *key {
                "webhook-url" => format!(
                    "https://hooks.slack.com/services/{}",
                    unique("SLACK", rotation)
                ),
                "routing-key" => unique("PDKEY", rotation),
                "password" => unique("RWPASS", rotation),
                _ => unique("RWUSER", rotation),
            };
            ((*secret, *key), value)
        })
        .collect()
}

/// Writes the Secrets as VSO does: the whole `data` replaced (created the
/// first time, with the destination's labels).
async fn write_secrets(
    client: &Client,
    values: &BTreeMap<(&'static str, &'static str), String>,
) -> Result<()> {
    let api = Api::<Secret>::namespaced(client.clone(), MONITORING);
    let mut by_secret: BTreeMap<&str, BTreeMap<String, ByteString>> = BTreeMap::new();
    for ((secret, key), value) in values {
        by_secret
            .entry(secret)
            .or_default()
            .insert((*key).to_owned(), ByteString(value.clone().into_bytes()));
    }
    for (name, data) in by_secret {
        match api.get_opt(name).await? {
            Some(mut secret) => {
                secret.data = Some(data);
                secret.string_data = None;
                api.replace(name, &PostParams::default(), &secret).await?;
            }
            None => {
                let mut secret: Secret = serde_json::from_value(serde_json::json!({
                    "metadata": {
                        "name": name,
                        "namespace": MONITORING,
                        "labels": {"app.kubernetes.io/part-of": "orders-example"},
                    },
                    "type": "Opaque",
                }))?;
                secret.data = Some(data);
                api.create(&PostParams::default(), &secret).await?;
            }
        }
    }
    Ok(())
}

/// The gunzipped configuration promop generated, if written yet.
async fn generated(client: &Client, (name, key): (&str, &str)) -> Result<Option<String>> {
    let api = Api::<Secret>::namespaced(client.clone(), MONITORING);
    let Some(secret) = api.get_opt(name).await? else {
        return Ok(None);
    };
    let Some(gz) = secret.data.and_then(|mut d| d.remove(key)) else {
        return Ok(None);
    };
    let mut text = String::new();
    flate2::read::GzDecoder::new(gz.0.as_slice())
        .read_to_string(&mut text)
        .with_context(|| format!("{name}/{key} is not gzip"))?;
    Ok(Some(text))
}

/// Whether `config` holds every value of `now` and none of `before` that
/// belongs to the configuration `which`.
fn holds(
    config: &str,
    which: (&str, &str),
    now: &BTreeMap<(&'static str, &'static str), String>,
    before: &BTreeMap<(&'static str, &'static str), String>,
) -> bool {
    ROTATED
        .iter()
        .filter(|(_, _, target)| *target == which)
        .all(|(secret, key, _)| {
            config.contains(&now[&(*secret, *key)]) && !config.contains(&before[&(*secret, *key)])
        })
}

/// Polls both configurations until they hold `now` (and not `before`);
/// returns how long each took from `start`.
async fn wait_rotated(
    client: &Client,
    start: Instant,
    now: &BTreeMap<(&'static str, &'static str), String>,
    before: &BTreeMap<(&'static str, &'static str), String>,
    operator: &Operator,
) -> Result<[Duration; 2]> {
    let mut took: [Option<Duration>; 2] = [None, None];
    loop {
        for (i, which) in [ALERTMANAGER_CONFIG, PROMETHEUS_CONFIG]
            .into_iter()
            .enumerate()
        {
            if took[i].is_none()
                && generated(client, which)
                    .await?
                    .is_some_and(|config| holds(&config, which, now, before))
            {
                took[i] = Some(start.elapsed());
            }
        }
        if let [Some(alertmanager), Some(prometheus)] = took {
            return Ok([alertmanager, prometheus]);
        }
        if start.elapsed() > TIMEOUT {
            bail!(
                "the generated configuration did not follow the rotated Secrets within \
                 {TIMEOUT:?} (alertmanager: {:?}, prometheus: {:?}); log:\n{}",
                took[0],
                took[1],
                operator.logs()
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn percentile(sorted: &[Duration], p: usize) -> Duration {
    sorted[(sorted.len() * p / 100).min(sorted.len() - 1)]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotated_secrets_reach_the_generated_configuration_and_no_log_status_or_event() -> Result<()>
{
    let env = TestEnv::with_upstream_crds().await?;
    let client = env.client();

    // The VSO destinations are the Secrets the base stack's objects use.
    let vso = objects(&examples().join("vault/vault-secrets-operator.yaml"))?;
    let destinations: Vec<&str> = vso
        .iter()
        .filter(|o| o["kind"] == "VaultStaticSecret")
        .filter_map(|o| o["spec"]["destination"]["name"].as_str())
        .collect();
    let rotated: std::collections::BTreeSet<&str> = ROTATED.iter().map(|r| r.0).collect();
    ensure!(
        destinations
            .iter()
            .copied()
            .collect::<std::collections::BTreeSet<_>>()
            == rotated,
        "VaultStaticSecret destinations {destinations:?} are not the Secrets {rotated:?}"
    );

    // The base stack's Alertmanager, AlertmanagerConfig and Prometheus,
    // without the placeholder Secrets that VSO takes over.
    let mut documents = Vec::new();
    for file in ["namespaces.yaml", "alertmanager.yaml", "prometheus.yaml"] {
        for object in objects(&examples().join(file))? {
            let name = object["metadata"]["name"].as_str().unwrap_or_default();
            if object["kind"] == "Secret" && rotated.contains(name) {
                continue;
            }
            documents.push(format!("---\n{object}\n"));
        }
    }
    apply_manifests(&client, &documents.concat()).await?;
    let mut before = generation(0);
    write_secrets(&client, &before).await?;

    let dir = tempfile::tempdir()?;
    let operator = Operator::start(&env, dir.path(), "promop", &[])?;
    let empty: BTreeMap<_, _> = before
        .keys()
        .map(|k| (*k, "\u{0}never-written".to_owned()))
        .collect();
    wait_rotated(&client, Instant::now(), &before, &empty, &operator).await?;

    let mut every_value: Vec<String> = before.values().cloned().collect();
    let (mut alertmanager, mut prometheus) = (Vec::new(), Vec::new());
    for rotation in 1..=ROTATIONS {
        let now = generation(rotation);
        every_value.extend(now.values().cloned());
        let start = Instant::now();
        write_secrets(&client, &now).await?;
        let [a, p] = wait_rotated(&client, start, &now, &before, &operator).await?;
        alertmanager.push(a);
        prometheus.push(p);
        before = now;
    }
    for (what, took) in [
        ("alertmanager-orders-generated", &mut alertmanager),
        ("prometheus-orders", &mut prometheus),
    ] {
        took.sort();
        println!(
            "rotated Secret -> {what}: p50 {:?}, max {:?} over {ROTATIONS} rotations",
            percentile(took, 50),
            took[took.len() - 1]
        );
    }

    let places = [
        ("the operator's log (debug)", operator.logs()),
        ("statuses", statuses(&client).await?),
        ("events", common::cluster_events(&client).await?.0),
        ("promop's /metrics", operator.get("/metrics")?.1),
    ];
    ensure!(
        places[0].1.contains("orders"),
        "the operator logged nothing about the stack:\n{}",
        places[0].1
    );
    for (place, text) in &places {
        for value in &every_value {
            ensure!(
                !text.contains(value.as_str()),
                "{value} leaked into {place}"
            );
        }
    }
    Ok(())
}

/// The status of every Prometheus, Alertmanager and AlertmanagerConfig.
async fn statuses(client: &Client) -> Result<String> {
    let mut all = Vec::new();
    for resource in [
        ApiResource::erase::<Prometheus>(&()),
        ApiResource::erase::<Alertmanager>(&()),
        ApiResource::erase::<AlertmanagerConfig>(&()),
    ] {
        let api = Api::<DynamicObject>::all_with(client.clone(), &resource);
        for object in api.list(&ListParams::default()).await? {
            all.push(object.data.get("status").cloned().unwrap_or(Value::Null));
        }
    }
    ensure!(
        all.iter().any(|s| !s.is_null()),
        "no status written: {all:?}"
    );
    Ok(serde_json::to_string_pretty(&all)?)
}
