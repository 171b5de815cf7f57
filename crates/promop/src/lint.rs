//! `promop lint`: offline checks of manifests, one line per finding, with
//! an exit code a CI job can gate a pull request on.

use promop_core::lint::{Finding, Severity, lint, one_line};
use promop_core::manifests::{Loaded, Origin};
use serde_json::json;

use crate::manifests;

/// `promop lint --help`: what is checked, with which settings, and the
/// exit codes.
pub const LONG_ABOUT: &str = "\
Checks PrometheusRules, ServiceMonitors, PodMonitors, Probes,
ScrapeConfigs and AlertmanagerConfigs the way Prometheus Operator
v0.93.0 checks them before use, and every object against its CRD schema.

Each monitoring object is checked with the settings (version, enabled
features, arbitraryFSAccessThroughSMs, scrape classes, ...) of every
Prometheus, PrometheusAgent or Alertmanager of the input that selects
it; an object that none selects is checked with a default one (the
reference's default Prometheus and Alertmanager versions, no other
settings). A Secret or ConfigMap that an object references but that the
input lacks is a warning (the operator rejects the object only if the
cluster lacks it too). Lint adds checks of its own: monitors with an
empty selector, port names no Kubernetes port can have or no port at all
(warnings), AlertmanagerConfig regex matchers that Alertmanager refuses.

Documents of the files read that are not Kubernetes objects are warnings.

Findings go to stdout, one a line:
`FILE:DOC: error|warning: KIND NAMESPACE/NAME: FIELD: message`, where DOC
is the index of the YAML document in the file, from 0.

Exit status: 0 without errors (warnings alone do not fail, unless
--strict), 1 with errors, 2 when some input cannot be used (not YAML,
not Kubernetes objects, unreadable).";

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    input: manifests::Input,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value = "text")]
    output: Format,
    /// Fail (exit 1) on warnings too.
    #[arg(long)]
    strict: bool,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    Text,
    Json,
}

pub fn run(args: &Args) -> anyhow::Result<u8> {
    manifests::require_paths(&args.input.files)?;
    let mut loaded = Loaded::default();
    // Input that cannot be read is reported like a finding, and the rest
    // is still checked.
    let mut unusable = Vec::new();
    for (file, strictness) in manifests::inputs(&args.input.files)? {
        let name = file.display().to_string();
        let added = manifests::read(&file).map_err(|e| (None, format!("{e:#}")));
        let added = added.and_then(|text| {
            loaded
                .add_yaml(&name, &text, &args.input.namespace, strictness)
                .map_err(|e| {
                    let origin = Origin {
                        source: e.source_name,
                        index: e.index,
                    };
                    (Some(origin), e.message)
                })
        });
        if let Err((origin, message)) = added {
            unusable.push(Finding {
                origin,
                object: None,
                field: None,
                severity: Severity::Error,
                message: one_line(&message),
            });
        }
    }
    let mut findings = lint(&loaded);
    let unusable_input = !unusable.is_empty();
    findings.extend(unusable);
    findings.sort();
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    let (errors, warnings) = (count(Severity::Error), count(Severity::Warning));
    let objects = loaded.origins.len();
    match args.output {
        Format::Text => {
            for finding in &findings {
                println!("{finding}");
            }
            eprintln!(
                "{objects} objects checked: {errors} {}, {warnings} {}",
                plural(errors, "error"),
                plural(warnings, "warning")
            );
        }
        Format::Json => {
            let report = json!({
                "objects": objects,
                "errors": errors,
                "warnings": warnings,
                "findings": findings.iter().map(to_json).collect::<Vec<_>>(),
            });
            println!("{report:#}");
        }
    }
    Ok(if unusable_input {
        2
    } else if errors > 0 || (args.strict && warnings > 0) {
        1
    } else {
        0
    })
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        word.to_owned()
    } else {
        format!("{word}s")
    }
}

fn to_json(f: &Finding) -> serde_json::Value {
    json!({
        "file": f.origin.as_ref().map(|o| &o.source),
        "document": f.origin.as_ref().map(|o| o.index),
        "severity": f.severity.to_string(),
        "kind": f.object.as_ref().map(|o| &o.kind),
        "namespace": f.object.as_ref().map(|o| &o.namespace),
        "name": f.object.as_ref().map(|o| &o.name),
        "field": f.field,
        "message": f.message,
    })
}
