//! `promop lint`: offline checks of manifests, one line per finding, with
//! an exit code a CI job can gate a pull request on.

use promop_core::lint::{Finding, Severity, lint, one_line};
use promop_core::manifests::{Loaded, Origin};
use promop_core::select::namespaces::WatchedNamespaces;
use promop_operator::options::Tenancy;
use serde_json::json;

use crate::color::Paint;
use crate::manifests;

/// `promop lint --help`: what is checked, with which settings, and the
/// output (the exit codes are in `exit_status`).
pub const LONG_ABOUT: &str = "\
Checks PrometheusRules, ServiceMonitors, PodMonitors, Probes,
ScrapeConfigs and AlertmanagerConfigs the way Prometheus Operator
v0.94.1 checks them before use, and every object against its CRD schema.

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
is the index of the YAML document in the file, from 0; on a terminal the
severity is coloured (see --no-color). With `-o json`: one object with
the counts and the findings, fields by name.";

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
    #[command(flatten)]
    tenancy: Tenancy,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    Text,
    Json,
}

/// The exit code (see `exit_status::LINT`); `colored`: the severity of the
/// text findings in colour.
pub fn run(args: &Args, colored: bool) -> anyhow::Result<u8> {
    manifests::require_paths(&args.input.files)?;
    let mut loaded = Loaded::default();
    // Input that cannot be read is reported like a finding, and the rest
    // is still checked.
    let mut unusable = Vec::new();
    for entry in manifests::inputs(&args.input.files)? {
        let added = entry.map_err(refused).and_then(|(file, strictness)| {
            let name = file.display().to_string();
            let text = manifests::read(&file, &args.input.limits).map_err(unreadable)?;
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
    let scope = args.tenancy.scrape_scope(WatchedNamespaces::all());
    let mut findings = lint(&loaded, &scope);
    let unusable_input = !unusable.is_empty();
    findings.extend(unusable);
    findings.sort();
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    let (errors, warnings) = (count(Severity::Error), count(Severity::Warning));
    let objects = loaded.origins.len();
    match args.output {
        Format::Text => {
            for finding in &findings {
                println!("{}", line(finding, colored));
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

/// A file refused before parsing, as the origin and message of a finding:
/// `FILE:0: error: PROBLEM`, like a file that is not YAML.
fn refused(file: manifests::RefusedFile) -> (Option<Origin>, String) {
    let origin = Origin {
        source: file.path.display().to_string(),
        index: 0,
    };
    (Some(origin), file.problem.to_string())
}

/// A file that could not be read, as the origin and message of a finding.
fn unreadable(error: anyhow::Error) -> (Option<Origin>, String) {
    match error.downcast::<manifests::RefusedFile>() {
        Ok(file) => refused(file),
        Err(error) => (None, format!("{error:#}")),
    }
}

/// The text line of a finding; `colored`: its severity in red (error) or
/// yellow (warning).
fn line(finding: &Finding, colored: bool) -> String {
    let text = finding.to_string();
    if !colored {
        return text;
    }
    let severity = finding.severity.to_string();
    let paint = match finding.severity {
        Severity::Error => Paint::Red,
        Severity::Warning => Paint::Yellow,
    };
    // The severity follows the origin (`FILE:DOC: `), before any other
    // field.
    text.replacen(
        &format!(": {severity}: "),
        &format!(": {}: ", paint.apply(&severity)),
        1,
    )
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

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(severity: Severity) -> Finding {
        Finding {
            origin: Some(Origin {
                source: "error: warning.yaml".into(),
                index: 0,
            }),
            object: None,
            field: Some("spec.error".into()),
            severity,
            message: "an error: here".into(),
        }
    }

    #[test]
    fn only_the_severity_is_coloured_and_only_when_asked() {
        let error = finding(Severity::Error);
        assert_eq!(line(&error, false), error.to_string());
        assert_eq!(
            line(&error, true),
            "error: warning.yaml:0: \x1b[1;31merror\x1b[0m: spec.error: an error: here"
        );
        let warning = finding(Severity::Warning);
        assert_eq!(
            line(&warning, true),
            "error: warning.yaml:0: \x1b[1;33mwarning\x1b[0m: spec.error: an error: here"
        );
    }
}
