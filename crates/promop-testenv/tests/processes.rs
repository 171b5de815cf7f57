//! The stand-alone processes of the test bed: Prometheus v2/v3 scraping a
//! loopback target, evaluating rules; Alertmanager delivering to a webhook.

use std::time::{Duration, Instant};

use anyhow::{Result, ensure};
use promop_testenv::{
    AlertmanagerProcess, AlertmanagerVersion, MetricsServer, PrometheusProcess, PrometheusVersion,
    WebhookSink,
};
use serde_json::json;

const RULES: &str = r#"groups:
- name: testenv
  rules:
  - alert: AlwaysFiring
    expr: promop_testenv_value > 0
    labels:
      severity: none
"#;

async fn scrape_and_evaluate(version: PrometheusVersion) -> Result<()> {
    let t0 = Instant::now();
    let target =
        MetricsServer::start("# TYPE promop_testenv_value gauge\npromop_testenv_value 42\n")
            .await?;
    let config = format!(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
         rule_files: [rules/testenv.yaml]\n\
         scrape_configs:\n- job_name: static\n  static_configs:\n  - targets: ['{}']\n",
        target.addr()
    );
    version.check_config(&config, &["--syntax-only"])?;
    let mut prom =
        PrometheusProcess::start(version, &config, &[("rules/testenv.yaml", RULES)]).await?;
    let got = prom
        .wait_for_query("promop_testenv_value", Duration::from_secs(30), |v| {
            v.iter().any(|(_, x)| *x == 42.0)
        })
        .await?;
    ensure!(got[0].0["job"] == "static", "{got:?}");
    ensure!(target.scrapes() > 0);
    let active = prom.active_targets().await?;
    ensure!(
        active.len() == 1 && active[0]["health"] == "up",
        "{active:?}"
    );

    // The rule group is loaded and the alert fires.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let alerts = prom.alerts().await?;
        if alerts["alerts"].as_array().is_some_and(|a| !a.is_empty()) {
            break;
        }
        ensure!(Instant::now() < deadline, "no alert after 30s: {alerts}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let rules = prom.rules().await?;
    ensure!(rules["groups"][0]["name"] == "testenv", "{rules}");
    eprintln!("{version:?}: {:?}", t0.elapsed());
    Ok(())
}

#[tokio::test]
async fn prometheus_v2_scrapes_and_evaluates_rules() -> Result<()> {
    scrape_and_evaluate(PrometheusVersion::V2).await
}

#[tokio::test]
async fn prometheus_v3_scrapes_and_evaluates_rules() -> Result<()> {
    scrape_and_evaluate(PrometheusVersion::V3).await
}

#[tokio::test]
async fn promtool_rejects_an_invalid_config() -> Result<()> {
    let err = PrometheusVersion::V3
        .check_config(
            "scrape_configs:\n- job_name: x\n  bogus: 1\n",
            &["--syntax-only"],
        )
        .unwrap_err();
    ensure!(format!("{err:#}").contains("bogus"), "{err:#}");
    Ok(())
}

async fn deliver_to_webhook(version: AlertmanagerVersion) -> Result<()> {
    let t0 = Instant::now();
    let sink = WebhookSink::start().await?;
    let config = format!(
        "route:\n  receiver: sink\n  group_wait: 0s\n  group_interval: 1s\n\
         receivers:\n- name: sink\n  webhook_configs:\n  - url: '{}'\n",
        sink.url()
    );
    version.check_config(&config)?;
    let am = AlertmanagerProcess::start_version(version, &config, &[]).await?;
    am.post_alerts(&json!([{"labels": {"alertname": "TestEnv", "severity": "none"}}]))
        .await?;
    let got = sink.wait_for(1, Duration::from_secs(30)).await?;
    ensure!(
        got[0]["alerts"][0]["labels"]["alertname"] == "TestEnv",
        "{got:?}"
    );
    ensure!(got[0]["receiver"] == "sink", "{got:?}");
    let alerts = am.alerts().await?;
    ensure!(alerts.as_array().is_some_and(|a| a.len() == 1), "{alerts}");
    eprintln!("{version:?}: {:?}", t0.elapsed());
    Ok(())
}

#[tokio::test]
async fn alertmanager_delivers_to_webhook_sink() -> Result<()> {
    deliver_to_webhook(AlertmanagerVersion::Latest).await
}

#[tokio::test]
async fn alertmanager_v0_28_delivers_to_webhook_sink() -> Result<()> {
    deliver_to_webhook(AlertmanagerVersion::V0_28).await
}
