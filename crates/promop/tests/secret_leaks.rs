//! No Secret value leaves the configuration, end to end: on the real test
//! bed, `promop run --log-level=debug` meets one object per case that plants
//! a unique password where a message could quote it (an
//! additionalScrapeConfigs Secret holding a mapping, an `alertmanager.yaml`
//! with a YAML syntax error or a bad TLS version next to a credential, a
//! Slack URL from a Secret that is not a URL, SigV4 and OAuth2 credentials
//! next to a bad setting). Once promop has reported every case (a condition
//! or an Event naming the object and the field), no password may appear in
//! any status, any Event, the operator's log, or the output of
//! `promop render|lint|explain` on the same manifests and of `promop
//! explain` on the cluster.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use k8s_openapi::api::events::v1::Event;
use kube::api::{ApiResource, DynamicObject, ListParams};
use kube::{Api, Client};
use promop_api::v1::{Alertmanager, Prometheus, ServiceMonitor};
use promop_api::v1alpha1::AlertmanagerConfig;
use promop_testenv::{TestEnv, apply_manifests};
use serde_json::Value;

mod common;
use common::Operator;

/// Generous: the operator reconciles in well under a second; a loaded
/// machine may take longer.
const TIMEOUT: Duration = Duration::from_secs(90);

/// The cases, one a workload or config object (read by `promop` too).
const MANIFESTS: &str = include_str!("secret_leaks/manifests.yaml");

/// Where promop reports a case, and what the report must say.
enum Report {
    /// The `Reconciled` condition of a workload.
    Condition(&'static str, &'static str),
    /// A Warning Event regarding a config object.
    Event(&'static str, &'static str),
}

/// Each case: where it is reported (kind, name) and the words naming the
/// field and the problem.
const REPORTS: [(Report, &str); 7] = [
    (
        Report::Condition("Prometheus", "mapping"),
        "expected a list, got !!map",
    ),
    (
        Report::Condition("Prometheus", "remote"),
        "spec.remoteWrite[0]: oauth2 and sigv4 can't be set at the same time",
    ),
    (
        Report::Condition("Alertmanager", "syntax"),
        "yaml: line 2 column",
    ),
    (
        Report::Condition("Alertmanager", "tls"),
        "unknown TLS version in 'min_version'",
    ),
    (
        Report::Event("ServiceMonitor", "app"),
        "spec.endpoints[0].oauth2.clientId.configMap",
    ),
    (
        Report::Event("AlertmanagerConfig", "chat"),
        "the URL read from the Secret",
    ),
    (
        Report::Event("AlertmanagerConfig", "aws"),
        "configmaps \"ids\" not found",
    ),
];

#[tokio::test]
async fn no_planted_password_reaches_status_events_logs_or_the_cli() -> Result<()> {
    let env = TestEnv::with_upstream_crds().await?;
    let client = env.client();
    let dir = tempfile::tempdir()?;
    let manifests = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/secret_leaks/manifests.yaml");
    apply_manifests(&client, MANIFESTS).await?;
    let operator = Operator::start(&env, dir.path(), "promop", &[])?;

    for (report, words) in &REPORTS {
        wait_reported(&client, report, words)
            .await
            .with_context(|| format!("log:\n{}", operator.logs()))?;
    }

    let mut places = vec![
        ("statuses".to_owned(), statuses(&client).await?),
        ("events".to_owned(), events(&client).await?),
        ("the operator's log".to_owned(), operator.logs()),
    ];
    let file = manifests.to_str().context("manifests path")?;
    let kubeconfig = env.kubeconfig_path().to_str().context("kubeconfig path")?;
    for args in [
        &["render", "-f", file][..],
        &["render", "--objects", "--rules", "-f", file],
        &["lint", "-f", file],
        &["explain", "-f", file],
        &["explain", "-o", "json", "-f", file],
        &["explain", "--kubeconfig", kubeconfig],
    ] {
        places.push((format!("promop {}", args.join(" ")), promop(args)));
    }
    let planted = planted();
    ensure!(planted.len() == 7, "one password a case: {planted:?}");
    for (place, text) in &places {
        for planted in &planted {
            ensure!(
                !text.contains(planted),
                "{planted} leaked into {place}:\n{text}"
            );
        }
    }
    // lint and explain say what is wrong too, naming each rejected object.
    let said = places.iter().filter(|(p, _)| {
        p.starts_with("promop lint") || (p.starts_with("promop explain") && !p.contains("json"))
    });
    for (place, text) in said {
        for object in [
            "ServiceMonitor monitoring/app",
            "AlertmanagerConfig monitoring/chat",
            "AlertmanagerConfig monitoring/aws",
        ] {
            ensure!(
                text.contains(object),
                "{place} does not name {object}:\n{text}"
            );
        }
    }
    Ok(())
}

/// The passwords the cases plant (`PLANTED-…`).
fn planted() -> BTreeSet<&'static str> {
    MANIFESTS
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '-')
        .filter(|word| word.starts_with("PLANTED-") && word.len() > "PLANTED-".len())
        .collect()
}

/// stdout and stderr of `promop ARGS`.
fn promop(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_promop"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("running promop");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    format!("{stdout}{stderr}")
}

/// Polls until `report` exists and says `words`.
async fn wait_reported(client: &Client, report: &Report, words: &str) -> Result<()> {
    let start = Instant::now();
    loop {
        let said = match report {
            Report::Condition(kind, name) => reconciled_message(client, kind, name).await?,
            Report::Event(kind, name) => event_notes(client, kind, name).await?,
        };
        if said.contains(words) {
            return Ok(());
        }
        if start.elapsed() > TIMEOUT {
            let (Report::Condition(kind, name) | Report::Event(kind, name)) = report;
            bail!("{kind} {name}: no report saying {words:?} (said: {said:?})");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn resource(kind: &str) -> ApiResource {
    match kind {
        "Prometheus" => ApiResource::erase::<Prometheus>(&()),
        "Alertmanager" => ApiResource::erase::<Alertmanager>(&()),
        "ServiceMonitor" => ApiResource::erase::<ServiceMonitor>(&()),
        _ => ApiResource::erase::<AlertmanagerConfig>(&()),
    }
}

/// The message of the `Reconciled` condition of a workload, if any.
async fn reconciled_message(client: &Client, kind: &str, name: &str) -> Result<String> {
    let api = Api::<DynamicObject>::namespaced_with(client.clone(), "monitoring", &resource(kind));
    let object = api.get(name).await?;
    let conditions = object.data["status"]["conditions"].as_array().cloned();
    Ok(conditions
        .into_iter()
        .flatten()
        .find(|c| c["type"] == "Reconciled")
        .and_then(|c| c["message"].as_str().map(str::to_owned))
        .unwrap_or_default())
}

/// The notes of the Warning Events regarding an object.
async fn event_notes(client: &Client, kind: &str, name: &str) -> Result<String> {
    let events = Api::<Event>::namespaced(client.clone(), "monitoring")
        .list(&ListParams::default())
        .await?;
    Ok(events
        .items
        .iter()
        .filter(|e| {
            let regarding = e.regarding.as_ref();
            e.type_.as_deref() == Some("Warning")
                && regarding.and_then(|r| r.kind.as_deref()) == Some(kind)
                && regarding.and_then(|r| r.name.as_deref()) == Some(name)
        })
        .filter_map(|e| e.note.clone())
        .collect::<Vec<_>>()
        .join("\n"))
}

/// Every object of the case kinds, status included, as JSON.
async fn statuses(client: &Client) -> Result<String> {
    let mut all = Vec::new();
    for kind in [
        "Prometheus",
        "Alertmanager",
        "ServiceMonitor",
        "AlertmanagerConfig",
    ] {
        let api = Api::<DynamicObject>::all_with(client.clone(), &resource(kind));
        for object in api.list(&ListParams::default()).await? {
            all.push(object.data.get("status").cloned().unwrap_or(Value::Null));
        }
    }
    Ok(serde_json::to_string_pretty(&all)?)
}

/// Every Event of the cluster, in both APIs (notes, messages and all).
async fn events(client: &Client) -> Result<String> {
    let (text, v1, core) = common::cluster_events(client).await?;
    ensure!(v1 > 0 && core > 0, "no Events");
    Ok(text)
}
