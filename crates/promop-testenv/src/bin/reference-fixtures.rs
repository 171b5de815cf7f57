//! Generates the expected outputs of the conformance corpus by running the
//! reference operator (upstream v0.94.1) on every scenario.
//!
//! ```text
//! cargo run -p promop-testenv --bin reference-fixtures -- [FILTER...]
//! ```
//!
//! One apiserver and one reference operator serve the whole run. For each
//! `conformance/scenarios/<family>/<name>.yaml` whose `<family>/<name>`
//! contains one of the FILTERs (or every one), the scenario is applied (workloads last, so the operator
//! usually writes once), the config Secret of every Prometheus,
//! PrometheusAgent and Alertmanager and every object the operator wrote
//! (StatefulSets, DaemonSets, Services, Secrets, ConfigMaps; see
//! `promop_testenv::written`) are read once they have stayed unchanged for
//! a while, and stored under `conformance/expected/<family>/<name>/`. A
//! ThanosRuler has no configuration of its own to store: it is ready once
//! its StatefulSet `thanos-ruler-<name>` exists (a paused one at once: the
//! reference writes nothing for it), and refused (`<ns>__<name>.thanos-ruler.error`)
//! when its status says the reconcile failed. The scenario's
//! namespaces are then emptied and removed (there is no controller-manager:
//! this program does the namespace controller's part) so that the next
//! scenario starts from a clean cluster. `PROMOP_FIXTURES_LOG=1` prints the
//! operator's log of each scenario.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use flate2::read::GzDecoder;
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::api::{ApiResource, DynamicObject, ListParams};
use kube::{Api, Client};
use promop_testenv::corpus::{
    REFERENCE_FLAGS, Scenario, Workload, cleanup, conformance_dir, load_scenarios,
    namespaced_resources,
};
use promop_testenv::written::{without_uid, written_objects};
use promop_testenv::{ReferenceOperator, TestEnv};
use serde_json::Value;

/// How long a generated config must stay unchanged to count as final: the
/// operator rewrites it as the objects of a scenario reach its informers.
const STABLE_FOR: Duration = Duration::from_secs(2);
/// How long to wait for a config Secret to appear and settle.
const CONFIG_TIMEOUT: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(200);
/// What the reference generated for one workload.
#[derive(PartialEq)]
enum Generated {
    Config {
        config: String,
        /// Rule ConfigMaps' keys and contents (all rulefiles ConfigMaps
        /// merged).
        rules: BTreeMap<String, String>,
    },
    /// A ThanosRuler whose StatefulSet exists, or a paused one (the
    /// reference writes nothing for it): it has no configuration to store,
    /// its outputs are the objects.
    Objects,
    /// No config: the reconcile fails with this error (e.g. a setting the
    /// workload's version does not support).
    Refused(String),
}

/// The last `sync "<ns>/<name>" failed: <why>` error the operator logged for
/// the workload, as `<why>`. The line does not say which controller failed
/// (`msg="Unhandled Error" logger=UnhandledError err="sync \"<ns>/<name>\"
/// failed: ..."`, the same for every controller): ThanosRulers, which may
/// share a namespace and name with a Prometheus, are read from their status
/// instead ([`ruler_refusal`]).
fn sync_error(log: &str, w: &Workload) -> Option<String> {
    let marker = format!("sync \\\"{}/{}\\\" failed: ", w.namespace, w.name);
    let line = log.lines().rev().find(|l| l.contains(&marker))?;
    let why = &line[line.find(&marker)? + marker.len()..];
    Some(why.strip_suffix('"').unwrap_or(why).replace("\\\"", "\""))
}

/// Why the reference refuses a ThanosRuler: the message of its `Reconciled`
/// condition when that is `False` (reason `ReconciliationFailed`; the
/// message is the error the operator logs).
async fn ruler_refusal(client: &Client, w: &Workload) -> Result<Option<String>> {
    let ar = ApiResource {
        group: "monitoring.coreos.com".into(),
        version: "v1".into(),
        api_version: "monitoring.coreos.com/v1".into(),
        kind: "ThanosRuler".into(),
        plural: "thanosrulers".into(),
    };
    let rulers: Api<DynamicObject> = Api::namespaced_with(client.clone(), &w.namespace, &ar);
    let Some(ruler) = rulers.get_opt(&w.name).await? else {
        return Ok(None);
    };
    let conditions = ruler.data["status"]["conditions"].as_array().cloned();
    Ok(conditions.unwrap_or_default().iter().find_map(|c| {
        (c["type"] == "Reconciled" && c["status"] == "False")
            .then(|| c["message"].as_str().unwrap_or_default().to_owned())
    }))
}

async fn read_generated(client: &Client, w: &Workload) -> Result<Option<Generated>> {
    if w.is_thanos_ruler() {
        if w.paused {
            return Ok(Some(Generated::Objects));
        }
        let sets: Api<StatefulSet> = Api::namespaced(client.clone(), &w.namespace);
        let set = sets.get_opt(&w.stateful_set()).await?;
        return Ok(set.map(|_| Generated::Objects));
    }
    let secrets: Api<Secret> = Api::namespaced(client.clone(), &w.namespace);
    let Some(secret) = secrets.get_opt(&w.config_secret()).await? else {
        return Ok(None);
    };
    // The reference first writes the Secret with an empty key, then the
    // gzipped configuration.
    let Some(gz) = secret
        .data
        .as_ref()
        .and_then(|d| d.get(w.config_key()))
        .filter(|gz| !gz.0.is_empty())
    else {
        return Ok(None);
    };
    let mut config = String::new();
    GzDecoder::new(gz.0.as_slice())
        .read_to_string(&mut config)
        .with_context(|| format!("gunzipping {}/{}", w.namespace, w.config_secret()))?;
    if config.trim().is_empty() {
        return Ok(None);
    }
    if w.is_alertmanager() {
        return Ok(Some(Generated::Config {
            config,
            rules: BTreeMap::new(),
        }));
    }
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), &w.namespace);
    let mut rules = BTreeMap::new();
    for cm in cms.list(&ListParams::default()).await? {
        let name = cm.metadata.name.unwrap_or_default();
        if name.starts_with(&w.rulefiles_prefix()) {
            rules.extend(cm.data.unwrap_or_default());
        }
    }
    Ok(Some(Generated::Config { config, rules }))
}

/// Polls until every workload's output exists and has not changed for
/// [`STABLE_FOR`].
async fn wait_stable(
    client: &Client,
    op: &ReferenceOperator,
    log_offset: usize,
    scenario: &Scenario,
) -> Result<(Vec<Generated>, Objects)> {
    let workloads = scenario.workloads();
    let (namespaces, inputs) = (scenario.namespaces(), scenario.input_ids());
    let start = Instant::now();
    let mut last: Vec<Option<Generated>> = workloads.iter().map(|_| None).collect();
    let mut last_objects = Objects::new();
    let mut changed_at = Instant::now();
    loop {
        let objects = written_objects(client, &namespaces, &inputs).await?;
        let mut now = Vec::new();
        let log = op.logs();
        let log = log.get(log_offset..).unwrap_or_default();
        let mut ruler_errors = BTreeMap::new();
        for w in workloads.iter().filter(|w| w.is_thanos_ruler()) {
            if let Some(why) = ruler_refusal(client, w).await? {
                ruler_errors.insert((w.namespace.clone(), w.name.clone()), why);
            }
        }
        for w in &workloads {
            let key = (w.namespace.clone(), w.name.clone());
            let generated = match read_generated(client, w).await? {
                Some(g) => Some(g),
                None if w.is_thanos_ruler() => {
                    ruler_errors.get(&key).cloned().map(Generated::Refused)
                }
                // A logged error that is a ThanosRuler's of the same
                // namespace and name is not this workload's.
                None => sync_error(log, w)
                    .filter(|why| ruler_errors.get(&key) != Some(why))
                    .map(Generated::Refused),
            };
            now.push(generated);
        }
        if now != last || objects != last_objects {
            last = now;
            last_objects = objects;
            changed_at = Instant::now();
        } else if last.iter().all(Option::is_some) && changed_at.elapsed() >= STABLE_FOR {
            return Ok((last.into_iter().flatten().collect(), last_objects));
        }
        if start.elapsed() > CONFIG_TIMEOUT {
            let missing: Vec<String> = workloads
                .iter()
                .zip(&last)
                .filter(|(_, g)| g.is_none())
                .map(|(w, _)| {
                    let object = if w.is_thanos_ruler() {
                        w.stateful_set()
                    } else {
                        w.config_secret()
                    };
                    format!("{}/{object}", w.namespace)
                })
                .collect();
            bail!(
                "no stable generated configuration after {CONFIG_TIMEOUT:?}; missing: {missing:?}"
            );
        }
        tokio::time::sleep(POLL).await;
    }
}

/// What the reference wrote, by `<Kind>__<ns>__<name>`, normalized.
type Objects = BTreeMap<String, Value>;

/// Operator log lines about objects it rejected, for the scenario's
/// namespaces, without timestamps: `level=WARN msg="skipping object" ...`.
fn rejections(log: &str, namespaces: &BTreeSet<String>) -> Vec<String> {
    let mut out: Vec<String> = log
        .lines()
        .filter(|l| l.contains("skipping") || l.contains("rejected") || l.contains("invalid"))
        .filter(|l| namespaces.iter().any(|ns| l.contains(&format!("{ns}/"))))
        .map(strip_log_noise)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Drops the fields that vary between runs (time, source position).
fn strip_log_noise(line: &str) -> String {
    let mut fields = Vec::new();
    let mut rest = line.trim();
    while !rest.is_empty() {
        // logfmt: key=value or key="quoted value"
        let Some(eq) = rest.find('=') else {
            fields.push(rest.to_owned());
            break;
        };
        let key = &rest[..eq];
        let after = &rest[eq + 1..];
        let (value, next) = if let Some(q) = after.strip_prefix('"') {
            let mut end = None;
            let mut escaped = false;
            for (i, c) in q.char_indices() {
                match c {
                    '\\' if !escaped => escaped = true,
                    '"' if !escaped => {
                        end = Some(i);
                        break;
                    }
                    _ => escaped = false,
                }
            }
            let end = end.unwrap_or(q.len());
            // `after` = `"` + q: the value with its quotes is after[..end + 2].
            (
                after.get(..end + 2).unwrap_or(after),
                q.get(end + 1..).unwrap_or(""),
            )
        } else {
            let end = after.find(' ').unwrap_or(after.len());
            (&after[..end], &after[end..])
        };
        if !matches!(key, "time" | "ts" | "caller" | "source") {
            fields.push(format!("{key}={value}"));
        }
        rest = next.trim_start();
    }
    fields.join(" ")
}

fn write_expected(
    scenario: &Scenario,
    workloads: &[Workload],
    generated: &[Generated],
    objects: &Objects,
    rejected: &[String],
) -> Result<()> {
    let dir = conformance_dir().join("expected").join(&scenario.id);
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    for (w, g) in workloads.iter().zip(generated) {
        let (config, rules) = match g {
            Generated::Config { config, rules } => (config, rules),
            Generated::Refused(why) => {
                std::fs::write(dir.join(format!("{}.error", w.stem())), format!("{why}\n"))?;
                continue;
            }
            Generated::Objects => continue,
        };
        std::fs::write(dir.join(format!("{}.yaml", w.stem())), config)?;
        if !rules.is_empty() {
            let rules_dir = dir.join(format!("{}.rules", w.stem()));
            std::fs::create_dir_all(&rules_dir)?;
            for (key, content) in rules {
                let key = without_uid(key);
                std::fs::write(rules_dir.join(key), content)?;
            }
        }
    }
    if !objects.is_empty() {
        let objects_dir = dir.join("objects");
        std::fs::create_dir_all(&objects_dir)?;
        for (id, object) in objects {
            let yaml = serde_saphyr::to_string(object).with_context(|| id.clone())?;
            std::fs::write(objects_dir.join(format!("{id}.yaml")), yaml)?;
        }
    }
    if !rejected.is_empty() {
        std::fs::write(dir.join("rejected.txt"), rejected.join("\n") + "\n")?;
    }
    Ok(())
}

async fn run_scenario(
    client: &Client,
    op: &ReferenceOperator,
    scenario: &Scenario,
    resources: &[ApiResource],
) -> Result<()> {
    let log_offset = op.logs().len();
    let result = async {
        scenario.apply(client).await?;
        let workloads = scenario.workloads();
        let (generated, objects) = wait_stable(client, op, log_offset, scenario).await?;
        let log = op.logs();
        let rejected = rejections(
            log.get(log_offset..).unwrap_or(&log),
            &scenario.namespaces(),
        );
        if std::env::var_os("PROMOP_FIXTURES_LOG").is_some() {
            eprintln!("{}", log.get(log_offset..).unwrap_or_default());
        }
        write_expected(scenario, &workloads, &generated, &objects, &rejected)
    }
    .await;
    let result = result.map_err(|e| {
        // Why the reference wrote nothing is in its log.
        let log = op.logs();
        let errors: Vec<&str> = log
            .get(log_offset..)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains("level=error"))
            .collect();
        let last = errors.len().saturating_sub(3);
        e.context(format!("operator errors:\n{}", errors[last..].join("\n")))
    });
    let cleaned = cleanup(client, scenario, resources).await;
    result.and(cleaned)
}

#[tokio::main]
async fn main() -> Result<()> {
    let filters: Vec<String> = std::env::args().skip(1).collect();
    let scenarios = load_scenarios(&filters)?;
    ensure!(!scenarios.is_empty(), "no scenario matches {filters:?}");
    let t0 = Instant::now();
    let env = TestEnv::with_upstream_crds().await?;
    let client = env.client();
    let resources = namespaced_resources(&client).await?;
    let mut op = ReferenceOperator::start(&env, REFERENCE_FLAGS).await?;
    eprintln!(
        "test bed and reference operator ready after {:.1?}",
        t0.elapsed()
    );

    let mut failed = Vec::new();
    for (i, scenario) in scenarios.iter().enumerate() {
        let t = Instant::now();
        match run_scenario(&client, &op, scenario, &resources).await {
            Ok(()) => eprintln!(
                "[{}/{}] {} ({:.1?})",
                i + 1,
                scenarios.len(),
                scenario.id,
                t.elapsed()
            ),
            Err(e) => {
                eprintln!(
                    "[{}/{}] {} FAILED: {e:#}",
                    i + 1,
                    scenarios.len(),
                    scenario.id
                );
                failed.push(scenario.id.clone());
            }
        }
        op.check_running()
            .with_context(|| format!("reference operator died; log tail:\n{}", op.log_tail(40)))?;
    }
    eprintln!(
        "{} scenarios in {:.1?}, {} failed",
        scenarios.len(),
        t0.elapsed(),
        failed.len()
    );
    if !failed.is_empty() {
        eprintln!("operator log tail:\n{}", op.log_tail(30));
        bail!("failed scenarios: {failed:?}");
    }
    Ok(())
}
