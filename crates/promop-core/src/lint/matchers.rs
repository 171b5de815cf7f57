//! A check of lint's own on AlertmanagerConfigs: the reference accepts a
//! regex matcher without compiling it, then Alertmanager refuses the whole
//! generated configuration (every tenant loses its routing). Alertmanager
//! anchors the regex like `^(?:VALUE)$`.
use promop_api::v1alpha1::AlertmanagerConfig;

use crate::snapshot::Objects;
use promop_api::v1alpha1::alertmanager_config::{MatchType, Route};
use regex::Regex;

use super::{Problem, Severity, id_of, one_line};

pub(super) fn errors(configs: &Objects<AlertmanagerConfig>) -> Vec<Problem> {
    let mut out = Vec::new();
    for amc in configs {
        if let Some(route) = &amc.spec.route {
            route_matchers(amc, route, "spec.route", &mut out);
        }
    }
    out
}

fn route_matchers(amc: &AlertmanagerConfig, route: &Route, path: &str, out: &mut Vec<Problem>) {
    for (i, m) in route.matchers.iter().flatten().enumerate() {
        let regex = match m.match_type {
            Some(t) => matches!(t, MatchType::Regexp | MatchType::NotRegexp),
            None => m.regex.unwrap_or(false),
        };
        let value = m.value.as_deref().unwrap_or_default();
        if let (true, Err(e)) = (regex, Regex::new(&format!("^(?:{value})$"))) {
            out.push(Problem {
                object: id_of("AlertmanagerConfig", amc),
                field: Some(format!("{path}.matchers[{i}].value")),
                message: format!(
                    "invalid regex {value:?}: {}; Alertmanager would refuse the generated configuration",
                    one_line(&e.to_string())
                ),
                severity: Severity::Error,
                workload: None,
                missing: None,
            });
        }
    }
    // Child routes that do not decode are the validation's business.
    for (i, child) in route.child_routes().unwrap_or_default().iter().enumerate() {
        route_matchers(amc, child, &format!("{path}.routes[{i}]"), out);
    }
}
