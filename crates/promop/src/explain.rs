//! `promop explain`: which config objects each workload of a set of
//! manifests uses, and why the others are not used — the selector or
//! namespace selector that does not match, the namespace the operator does
//! not watch, the invalid field, or the schema the API server would refuse.
//! With an object (`servicemonitor/shop/orders`), only that object is
//! explained, and the exit status tells whether any workload uses it.
use std::fmt::Write as _;

use anyhow::bail;
use promop_core::manifests::{Loaded, ObjectId, Outcome};
use promop_core::pipeline::{alertmanager_config, prometheus_config};
use promop_core::select::namespaces::WatchedNamespaces;
use promop_core::select::{KindSelection, Selection};

use crate::render::Scope;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    scope: Scope,
    /// The object to explain: `KIND/[NAMESPACE/]NAME`, KIND one of
    /// servicemonitor (smon), podmonitor (pmon), probe (prb), scrapeconfig
    /// (scfg), prometheusrule (promrule), alertmanagerconfig (amcfg);
    /// NAMESPACE defaults to -n.
    #[arg(value_name = "OBJECT")]
    object: Option<String>,
}

/// The config kinds, their lower-case names and short names.
const KINDS: [(&str, &str, &str); 6] = [
    ("ServiceMonitor", "servicemonitor", "smon"),
    ("PodMonitor", "podmonitor", "pmon"),
    ("Probe", "probe", "prb"),
    ("ScrapeConfig", "scrapeconfig", "scfg"),
    ("PrometheusRule", "prometheusrule", "promrule"),
    ("AlertmanagerConfig", "alertmanagerconfig", "amcfg"),
];

/// `KIND/[NAMESPACE/]NAME` → (Kind, namespace/name).
fn parse_object(text: &str, namespace: &str) -> anyhow::Result<(&'static str, String)> {
    let mut parts = text.splitn(3, '/');
    let kind = parts.next().unwrap_or_default().to_lowercase();
    let kind = KINDS
        .iter()
        .find(|(k, lower, short)| {
            let plural = format!("{lower}s");
            [k.to_lowercase().as_str(), *lower, *short, plural.as_str()].contains(&kind.as_str())
        })
        .map(|(k, _, _)| *k);
    let rest: Vec<&str> = parts.collect();
    match (kind, rest.as_slice()) {
        (Some(kind), [name]) if !name.is_empty() => Ok((kind, format!("{namespace}/{name}"))),
        (Some(kind), [ns, name]) if !ns.is_empty() && !name.is_empty() && !name.contains('/') => {
            Ok((kind, format!("{ns}/{name}")))
        }
        (None, _) => bail!(
            "{text}: unknown kind; one of {}",
            KINDS.map(|(_, lower, _)| lower).join(", ")
        ),
        _ => bail!("{text}: expected KIND/NAME or KIND/NAMESPACE/NAME"),
    }
}

/// What a workload does with each object of one kind: `(key, None)` when
/// used, `(key, Some(why))` when not.
type Verdicts = Vec<(String, Option<String>)>;

fn verdicts<T>(selection: &KindSelection<'_, T>) -> Verdicts {
    let mut out: Verdicts = selection
        .selected
        .iter()
        .map(|s| (s.key.clone(), None))
        .chain(
            selection
                .skipped
                .iter()
                .map(|s| (s.key.clone(), Some(s.reason.to_string()))),
        )
        .collect();
    out.sort();
    out
}

fn prometheus_verdicts(selection: &Selection<'_>, agent: bool) -> Vec<(&'static str, Verdicts)> {
    let mut out = vec![
        ("ServiceMonitor", verdicts(&selection.service_monitors)),
        ("PodMonitor", verdicts(&selection.pod_monitors)),
        ("Probe", verdicts(&selection.probes)),
        ("ScrapeConfig", verdicts(&selection.scrape_configs)),
    ];
    if !agent {
        out.push(("PrometheusRule", verdicts(&selection.prometheus_rules)));
    }
    out
}

/// The lines of one workload: every object of every kind, or only `object`.
fn explain_workload(
    report: &mut String,
    title: &str,
    kinds: &[(&'static str, Verdicts)],
    object: Option<&(&'static str, String)>,
    used: &mut bool,
) {
    let mut lines = String::new();
    for (kind, verdicts) in kinds {
        if object.is_some_and(|(k, _)| k != kind) {
            continue;
        }
        for (key, why) in verdicts {
            if object.is_some_and(|(_, o)| o != key) {
                continue;
            }
            *used |= why.is_none();
            let _ = match why {
                None => writeln!(lines, "  {kind} {key}: used"),
                Some(why) => writeln!(lines, "  {kind} {key}: not used: {why}"),
            };
        }
    }
    match (object, lines.is_empty()) {
        (Some(_), true) => {}
        (None, true) => {
            let _ = writeln!(report, "{title}\n  (no object of these kinds)");
        }
        (_, false) => {
            let _ = write!(report, "{title}\n{lines}");
        }
    }
}

/// Why config objects are not in the snapshot at all (the API server would
/// refuse them): the notes of their loading, of `only` or of every kind.
fn refused(loaded: &Loaded, only: Option<&(&'static str, String)>) -> Vec<String> {
    let wanted = |id: &ObjectId| match only {
        Some((kind, key)) => id.kind == *kind && format!("{}/{}", id.namespace, id.name) == *key,
        None => KINDS.iter().any(|(kind, _, _)| id.kind == *kind),
    };
    loaded
        .notes
        .iter()
        .filter(|n| n.outcome == Outcome::Skipped && n.object.as_ref().is_some_and(wanted))
        .map(ToString::to_string)
        .collect()
}

/// 0: explained (with OBJECT: used by at least one workload); 1: OBJECT is
/// used by none, or a workload got no configuration.
pub fn run(args: &Args) -> anyhow::Result<u8> {
    let loaded = args.scope.input.load()?;
    let object = args
        .object
        .as_deref()
        .map(|o| parse_object(o, &args.scope.input.namespace))
        .transpose()?;
    let snapshot = &loaded.snapshot;
    let watched = WatchedNamespaces::all();
    let (workloads, alertmanagers) = args.scope.only.select(snapshot);
    let mut report = String::new();
    let (mut used, mut failed) = (false, false);
    let mut none = workloads.is_empty();
    for workload in workloads {
        let title = format!(
            "{} {}/{}",
            workload.kind(),
            workload.namespace(),
            workload.name()
        );
        match prometheus_config(snapshot, workload, &watched) {
            Ok(output) => {
                let agent = workload.kind() == "PrometheusAgent";
                let kinds = prometheus_verdicts(&output.selection, agent);
                explain_workload(&mut report, &title, &kinds, object.as_ref(), &mut used);
            }
            Err(e) => {
                let _ = writeln!(report, "{title}\n  no configuration: {e}");
                failed = true;
            }
        }
    }
    none &= alertmanagers.is_empty();
    for am in alertmanagers {
        let title = format!(
            "Alertmanager {}/{}",
            am.metadata.namespace.as_deref().unwrap_or_default(),
            am.metadata.name.as_deref().unwrap_or_default()
        );
        match alertmanager_config(snapshot, am, &watched) {
            Ok(output) => {
                let kinds = [("AlertmanagerConfig", verdicts(&output.selection))];
                explain_workload(&mut report, &title, &kinds, object.as_ref(), &mut used);
            }
            Err(e) => {
                let _ = writeln!(report, "{title}\n  no configuration: {e}");
                failed = true;
            }
        }
    }
    if none {
        report.push_str("no Prometheus, PrometheusAgent or Alertmanager in the input\n");
    }
    let notes = refused(&loaded, object.as_ref());
    if !notes.is_empty() {
        report.push_str("Refused by the API server's schema (no workload sees them):\n");
        for note in notes {
            let _ = writeln!(report, "  {note}");
        }
    } else if let Some((kind, key)) = &object
        && !report.contains(&format!(" {kind} {key}: "))
    {
        let _ = writeln!(report, "{kind} {key}: not in the input");
    }
    print!("{report}");
    Ok(u8::from(failed || object.is_some() && !used))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_are_named_by_kind_namespace_and_name() {
        let parse = |t| parse_object(t, "default").map_err(|e| e.to_string());
        assert_eq!(
            parse("servicemonitor/shop/orders"),
            Ok(("ServiceMonitor", "shop/orders".into()))
        );
        assert_eq!(
            parse("amcfg/pager"),
            Ok(("AlertmanagerConfig", "default/pager".into()))
        );
        assert_eq!(
            parse("PrometheusRules/a/b"),
            Ok(("PrometheusRule", "a/b".into()))
        );
        assert!(
            parse("deployment/a/b")
                .unwrap_err()
                .contains("unknown kind")
        );
        assert!(parse("probe/").unwrap_err().contains("expected KIND/NAME"));
        assert!(parse("probe/a/b/c").is_err());
    }
}
