//! `promop_<resource>_status_condition{name, namespace, condition, status}`:
//! the status conditions of the workloads, like the reference's
//! `prometheus_operator_<resource>_status_condition` (v0.94) under promop's
//! prefix. Rendered from the caches at scrape time, so a deleted workload's
//! series disappear with it; one series per known status, 1 for the current.
use std::fmt::Write;
use std::sync::{Arc, OnceLock};

use kube::ResourceExt;
use promop_api::common::Condition;

use crate::stores::Stores;

/// The statuses each condition gets a series for, in the reference's order.
const STATUSES: [&str; 4] = ["True", "Degraded", "False", "Unknown"];

static SOURCES: OnceLock<Stores> = OnceLock::new();

/// Makes `/metrics` report the conditions of the workloads in `stores`
/// (the first registration wins: one set of caches per process).
pub fn register(stores: &Stores) {
    let _ = SOURCES.set(stores.clone());
}

/// The condition series of the registered caches (empty before).
pub fn render() -> String {
    let Some(stores) = SOURCES.get() else {
        return String::new();
    };
    let mut out = String::new();
    let prometheuses = stores.prometheuses.state();
    write_family(
        &mut out,
        "prometheus",
        live(&prometheuses, |p| {
            p.status.as_ref()?.workload.conditions.as_deref()
        }),
    );
    let agents = stores.prometheus_agents.state();
    write_family(
        &mut out,
        "prometheus_agent",
        live(&agents, |p| {
            p.status.as_ref()?.workload.conditions.as_deref()
        }),
    );
    let alertmanagers = stores.alertmanagers.state();
    write_family(
        &mut out,
        "alertmanager",
        live(&alertmanagers, |a| a.status.as_ref()?.conditions.as_deref()),
    );
    let thanos_rulers = stores.thanos_rulers.state();
    write_family(
        &mut out,
        "thanos_ruler",
        live(&thanos_rulers, |t| t.status.as_ref()?.conditions.as_deref()),
    );
    out
}

/// The objects not being deleted, with their conditions.
fn live<'a, K: ResourceExt>(
    objects: &'a [Arc<K>],
    conditions: impl Fn(&'a K) -> Option<&'a [Condition]> + 'a,
) -> impl Iterator<Item = (String, String, &'a [Condition])> + 'a {
    objects
        .iter()
        .filter(|o| o.meta().deletion_timestamp.is_none())
        .map(move |o| {
            let namespace = o.namespace().unwrap_or_default();
            (o.name_any(), namespace, conditions(o).unwrap_or_default())
        })
}

/// Writes one metric family in the text format: HELP and TYPE, then a
/// series per (object, condition, status).
fn write_family<'a>(
    out: &mut String,
    resource: &str,
    objects: impl Iterator<Item = (String, String, &'a [Condition])>,
) {
    let name = format!("promop_{resource}_status_condition");
    let _ = writeln!(
        out,
        "# HELP {name} The current status conditions of a {resource} resource"
    );
    let _ = writeln!(out, "# TYPE {name} gauge");
    for (object, namespace, conditions) in objects {
        for condition in conditions {
            for status in STATUSES {
                let value = u8::from(condition.status == status);
                let _ = writeln!(
                    out,
                    "{name}{{name=\"{}\",namespace=\"{}\",condition=\"{}\",status=\"{status}\"}} {value}",
                    escape(&object),
                    escape(&namespace),
                    escape(&condition.type_),
                );
            }
        }
    }
}

/// A label value in the text format.
fn escape(value: &str) -> String {
    value
        .replace('\\', r"\\")
        .replace('"', "\\\"")
        .replace('\n', r"\n")
}

#[cfg(test)]
mod tests {
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

    use super::*;

    fn condition(type_: &str, status: &str) -> Condition {
        Condition {
            type_: type_.into(),
            status: status.into(),
            last_transition_time: Time(Default::default()),
            reason: None,
            message: None,
            observed_generation: None,
        }
    }

    #[test]
    fn one_series_per_status_with_the_current_one_at_1() {
        let conditions = [
            condition("Available", "Degraded"),
            condition("Reconciled", "True"),
        ];
        let mut out = String::new();
        write_family(
            &mut out,
            "prometheus",
            [("main".to_owned(), "monitoring".to_owned(), &conditions[..])].into_iter(),
        );
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 2 + 2 * 4, "{out}");
        assert_eq!(lines[1], "# TYPE promop_prometheus_status_condition gauge");
        assert_eq!(
            lines[2..6],
            [
                r#"promop_prometheus_status_condition{name="main",namespace="monitoring",condition="Available",status="True"} 0"#,
                r#"promop_prometheus_status_condition{name="main",namespace="monitoring",condition="Available",status="Degraded"} 1"#,
                r#"promop_prometheus_status_condition{name="main",namespace="monitoring",condition="Available",status="False"} 0"#,
                r#"promop_prometheus_status_condition{name="main",namespace="monitoring",condition="Available",status="Unknown"} 0"#,
            ]
        );
        assert!(lines[6].ends_with(r#"condition="Reconciled",status="True"} 1"#));
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), r#"a\"b\\c\nd"#);
    }
}
