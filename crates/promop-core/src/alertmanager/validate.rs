//! Checks the reference makes on an AlertmanagerConfig before using it
//! (semantic validation, then version gates and references to Secrets). A
//! failing object is skipped; the others stay. Each receiver's own checks
//! are in its module under `receivers/`; the helpers they share (URLs,
//! `httpConfig`, the gates' wording) are here.
use std::collections::BTreeSet;

use promop_api::common::SafeTlsConfig;
use promop_api::v1alpha1::AlertmanagerConfig;
use promop_api::v1alpha1::alertmanager_config::{HttpConfig, Route};

use super::secrets::Secrets;
use super::version::{Feature, Version, needs};
use super::{inhibit_rules, matchers, receivers, time_intervals};
use crate::select::reasons::{Rejection, RejectionKind};
use crate::select::validate::{validate_oauth2, validate_proxy, validate_safe_tls};

/// What Alertmanager's URL type refuses in a URL.
enum UrlProblem<'a> {
    UnsupportedScheme(&'a str),
    EmptyHost,
}

/// `http(s)://host…`, what Alertmanager's URL type accepts.
fn url_problem(text: &str) -> Option<UrlProblem<'_>> {
    let rest = text
        .strip_prefix("http://")
        .or_else(|| text.strip_prefix("https://"));
    match rest {
        None => Some(UrlProblem::UnsupportedScheme(
            text.split(':').next().unwrap_or_default(),
        )),
        Some(r)
            if r.split(['/', '?', '#'])
                .next()
                .unwrap_or_default()
                .is_empty() =>
        {
            Some(UrlProblem::EmptyHost)
        }
        Some(_) => None,
    }
}

/// A URL of the object's spec, quoted in the message as the reference does.
pub fn url(text: &str) -> Result<(), RejectionKind> {
    match url_problem(text) {
        None => Ok(()),
        Some(UrlProblem::UnsupportedScheme(scheme)) => Err(format!(
            "validate url from string failed for {text}: unsupported scheme {scheme:?} for URL"
        )
        .into()),
        Some(UrlProblem::EmptyHost) => Err(format!(
            "validate url from string failed for {text}: host for URL must not be empty"
        )
        .into()),
    }
}

/// A URL read from a Secret (a Slack or Discord webhook URL is the
/// credential itself): unlike the reference, the message never quotes it,
/// nor its scheme (without `://` that is the whole text).
pub fn secret_url(text: &str) -> Result<(), RejectionKind> {
    let problem = match url_problem(text) {
        None => return Ok(()),
        Some(UrlProblem::UnsupportedScheme(_)) => "unsupported scheme for URL",
        Some(UrlProblem::EmptyHost) => "host for URL must not be empty",
    };
    Err(
        format!("validate url from string failed for the URL read from the Secret: {problem}")
            .into(),
    )
}

/// A URL that may be a Go template (then it is not checked further).
pub fn template_url(text: &str) -> Result<(), RejectionKind> {
    if text.contains("{{") {
        return Ok(());
    }
    url(text)
}

/// [`template_url`] for a URL read from a Secret ([`secret_url`]).
pub fn secret_template_url(text: &str) -> Result<(), RejectionKind> {
    if text.contains("{{") {
        return Ok(());
    }
    secret_url(text)
}

/// An optional URL, named `field` in the message.
pub(super) fn opt_url(text: Option<&str>, field: &str) -> Result<(), RejectionKind> {
    match text.filter(|t| !t.is_empty()) {
        Some(t) => url(t).map_err(|e| e.context(&format!("invalid '{field}'"))),
        None => Ok(()),
    }
}

/// The combinations of an `httpConfig` the reference refuses.
pub(super) fn http_config(hc: Option<&HttpConfig>) -> Result<(), RejectionKind> {
    let Some(hc) = hc else { return Ok(()) };
    let bearer = hc.bearer_token_secret.is_some();
    let err = |m: &str| Err(RejectionKind::from(m).context("'httpConfig'"));
    if (hc.basic_auth.is_some() || hc.oauth2.is_some()) && bearer {
        return err(
            "at most one of 'basicAuth', 'oauth2' and 'bearerTokenSecret' must be configured",
        );
    }
    if hc.authorization.is_some() {
        if bearer {
            return err("'authorization' is not compatible with 'bearerTokenSecret'");
        }
        if hc.basic_auth.is_some() || hc.oauth2.is_some() {
            return err(
                "at most one of 'basicAuth', 'oauth2' and 'authorization' must be configured",
            );
        }
    }
    if let Some(oauth2) = &hc.oauth2 {
        if hc.basic_auth.is_some() {
            return err(
                "at most one of 'basicAuth', 'oauth2' and 'authorization' must be configured",
            );
        }
        validate_oauth2(oauth2, "oauth2").map_err(in_http_config)?;
    }
    if let Some(tls) = &hc.tls_config {
        validate_safe_tls(tls, "tlsConfig").map_err(in_http_config)?;
    }
    validate_proxy(&hc.proxy, "").map_err(in_http_config)
}

/// A problem of a shared endpoint setting, said of the `httpConfig`.
fn in_http_config(rejection: Rejection) -> RejectionKind {
    rejection.kind.context("'httpConfig'")
}

/// Semantic checks that do not depend on the version (nor on Secrets): the
/// reference's `ValidateAlertmanagerConfig`, also what admission checks.
pub fn semantic(amc: &AlertmanagerConfig) -> Result<(), RejectionKind> {
    let mut names = BTreeSet::new();
    for r in amc.spec.receivers.iter().flatten() {
        if !names.insert(r.name.as_str()) {
            return Err(format!("{:?} receiver is not unique", r.name).into());
        }
        receivers::validate(r)
            .map_err(|e| e.context(&format!("failed to validate receiver {:?}", r.name)))?;
    }
    let mut intervals = BTreeSet::new();
    for (i, mti) in amc.spec.mute_time_intervals.iter().flatten().enumerate() {
        time_intervals::validate(mti)
            .map_err(|e| e.context(&format!("mute time interval[{i}] is invalid")))?;
        intervals.insert(mti.name.as_str());
    }
    if let Some(route) = &amc.spec.route {
        validate_route(route, &names, &intervals, true)?;
    }
    Ok(())
}

fn validate_route(
    r: &Route,
    receivers: &BTreeSet<&str>,
    intervals: &BTreeSet<&str>,
    top: bool,
) -> Result<(), RejectionKind> {
    match r.receiver.as_deref().unwrap_or_default() {
        "" if top => return Err("root route must define a receiver".into()),
        "" => {}
        name if !receivers.contains(name) => {
            return Err(format!("receiver {name:?} not found").into());
        }
        _ => {}
    }
    let group_by = r.group_by.as_deref().unwrap_or_default();
    let unique: BTreeSet<&String> = group_by.iter().collect();
    if unique.len() != group_by.len() {
        return Err(format!(
            "duplicate values not permitted in route 'groupBy': [{}]",
            group_by.join(" ")
        )
        .into());
    }
    if group_by.len() > 1 && group_by.iter().any(|g| g == "...") {
        return Err(format!(
            "'...' must be a sole value in route 'groupBy': [{}]",
            group_by.join(" ")
        )
        .into());
    }
    for name in r.mute_time_intervals.iter().flatten() {
        if !intervals.contains(name.as_str()) {
            return Err(format!("mute time interval {name:?} not found").into());
        }
    }
    for name in r.active_time_intervals.iter().flatten() {
        if !intervals.contains(name.as_str()) {
            return Err(format!("time interval {name:?} not found").into());
        }
    }
    for (i, m) in r.matchers.iter().flatten().enumerate() {
        matchers::validate(m).map_err(|e| e.context(&format!("matcher[{i}]")))?;
    }
    let children = r.child_routes().map_err(|e| e.to_string())?;
    for (i, child) in children.iter().enumerate() {
        validate_route(child, receivers, intervals, false)
            .map_err(|e| e.context(&format!("route[{i}]")))?;
    }
    Ok(())
}

/// The version gates of an `httpConfig`.
pub(super) fn http_version(hc: Option<&HttpConfig>, v: &Version) -> Result<(), RejectionKind> {
    let Some(hc) = hc else { return Ok(()) };
    let gate = |what: &str, feature: Feature| {
        needs(v, feature, |min| {
            format!(
                "'{what}' config set in 'httpConfig' but supported in Alertmanager >= {min} only - current {v}"
            )
        })
    };
    if hc.authorization.is_some() {
        gate("authorization", Feature::Authorization)?;
    }
    if hc.oauth2.is_some() {
        gate("oauth2", Feature::OAuth2)?;
    }
    let p = &hc.proxy;
    if p.no_proxy.is_some()
        || p.proxy_from_environment.is_some()
        || p.proxy_connect_header.is_some()
    {
        gate("ProxyConfig", Feature::ProxyConfig)?;
    }
    Ok(())
}

/// The Secrets an HTTP config references must exist.
pub(super) fn http_secrets(hc: Option<&HttpConfig>, s: &Secrets<'_>) -> Result<(), RejectionKind> {
    let Some(hc) = hc else { return Ok(()) };
    if let Some(sel) = &hc.bearer_token_secret {
        s.get(sel)?;
    }
    if let Some(sel) = hc
        .authorization
        .as_ref()
        .and_then(|a| a.credentials.as_ref())
    {
        s.get(sel)?;
    }
    if let Some(b) = &hc.basic_auth {
        for sel in [&b.username, &b.password].into_iter().flatten() {
            s.get(sel)?;
        }
    }
    if let Some(o) = &hc.oauth2 {
        s.get_either(&o.client_id)?;
        s.get(&o.client_secret)?;
    }
    if let Some(tls) = &hc.tls_config {
        tls_secrets(tls, s)?;
    }
    Ok(())
}

/// The CA, certificate and key must exist, and (unlike the reference, which
/// names their files in the configuration but writes no empty asset, so
/// that Alertmanager refuses the whole configuration) not be empty.
pub(super) fn tls_secrets(tls: &SafeTlsConfig, s: &Secrets<'_>) -> Result<(), RejectionKind> {
    let empty = |what: &str| {
        Err(
            format!("'tlsConfig': {what}: the value is empty: no file would be written for it")
                .into(),
        )
    };
    for (field, sel) in [("ca", &tls.ca), ("cert", &tls.cert)] {
        let Some(sel) = sel else { continue };
        if s.get_either(sel)?.is_empty() {
            return empty(field);
        }
    }
    if let Some(sel) = &tls.key_secret
        && s.get(sel)?.is_empty()
    {
        return empty("keySecret");
    }
    Ok(())
}

/// The reference's message for a CRD field (`what`, quoted on its right
/// only, as the reference does) the version lacks.
pub(super) fn requires(v: &Version, feature: Feature, what: &str) -> Result<(), RejectionKind> {
    needs(v, feature, |min| {
        format!("{what}' is available in Alertmanager >= {min} only - current {v}")
    })
}

/// The message of the reference's `checkReceivers` for an integration the
/// version lacks.
pub(super) fn integration(v: &Version, feature: Feature, name: &str) -> Result<(), RejectionKind> {
    needs(v, feature, |min| {
        format!(
            "invalid syntax in receivers config; {name} integration is only available in Alertmanager >= {min}"
        )
    })
}

fn route_version(r: &Route, v: &Version) -> Result<(), RejectionKind> {
    let ms = r.matchers.as_deref().unwrap_or_default();
    if matchers::any_v2(ms) {
        needs(v, Feature::MatchersV2, |min| {
            format!(
                "invalid syntax in route config for 'matchers' comparison based matching is supported in Alertmanager >= {min} only (matchers={}) (receiver={})",
                matchers::go_list(ms),
                r.receiver.as_deref().unwrap_or_default()
            )
        })?;
    }
    for child in r.child_routes().map_err(|e| e.to_string())? {
        route_version(&child, v)?;
    }
    Ok(())
}

/// `checkAlertmanagerConfigResource`.
pub fn check(
    amc: &AlertmanagerConfig,
    secrets: &Secrets<'_>,
    v: &Version,
) -> Result<(), RejectionKind> {
    semantic(amc)?;
    for r in amc.spec.receivers.iter().flatten() {
        receivers::check(r, secrets, v)?;
    }
    if let Some(route) = &amc.spec.route {
        route_version(route, v)?;
    }
    inhibit_rules::check(
        amc.spec.inhibit_rules.as_deref().unwrap_or_default(),
        amc.metadata.name.as_deref().unwrap_or_default(),
        v,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifests::{Loaded, Strictness};
    use crate::select::reasons::Reference;

    /// `check` of the one AlertmanagerConfig in `spec`, with a Secret `s`
    /// holding the key `url`.
    fn check_spec(spec: &str, version: &str) -> Result<(), RejectionKind> {
        let manifests = format!(
            "apiVersion: v1\nkind: Secret\nmetadata: {{name: s, namespace: ns}}\n\
             stringData: {{url: 'https://hooks.example.com/x'}}\n---\n\
             apiVersion: monitoring.coreos.com/v1alpha1\nkind: AlertmanagerConfig\n\
             metadata: {{name: amc, namespace: ns}}\nspec: {spec}\n"
        );
        let mut loaded = Loaded::default();
        loaded
            .add_yaml("t", &manifests, "ns", Strictness::ObjectsOnly)
            .expect("manifests");
        let snapshot = &loaded.snapshot;
        let secrets = Secrets {
            snapshot,
            namespace: "ns",
        };
        let version = Version::parse(version).expect("version");
        check(&snapshot.alertmanager_configs[0], &secrets, &version)
    }

    #[test]
    fn a_missing_secret_or_key_names_its_reference() {
        let slack = |name: &str, key: &str| {
            format!(
                "{{route: {{receiver: r}}, receivers: [{{name: r, slackConfigs: [{{apiURL: {{name: {name}, key: {key}}}}}]}}]}}"
            )
        };
        assert_eq!(check_spec(&slack("s", "url"), "0.28.0"), Ok(()));
        let err = check_spec(&slack("other", "url"), "0.28.0").unwrap_err();
        assert_eq!(err.reference(), Some(&Reference::secret("other", None)));
        assert_eq!(
            err.message(),
            r#"unable to get secret "other": secrets "other" not found"#
        );
        let err = check_spec(&slack("s", "token"), "0.28.0").unwrap_err();
        assert_eq!(
            err.reference(),
            Some(&Reference::secret("s", Some("token")))
        );
        assert_eq!(err.message(), r#"key "token" in secret "s" not found"#);
    }

    #[test]
    fn a_failed_gate_is_too_old_and_keeps_its_wording() {
        let spec = "{route: {receiver: r}, receivers: [{name: r, telegramConfigs: [{chatID: 1, botToken: {name: s, key: url}}]}]}";
        let err = check_spec(spec, "0.23.0").unwrap_err();
        let RejectionKind::TooOld {
            feature,
            min_version,
            ..
        } = &err
        else {
            panic!("not a version gate: {err:?}");
        };
        assert_eq!((feature.as_str(), *min_version), ("Telegram", "0.24.0"));
        assert_eq!(
            err.message(),
            "telegramConfigs' is available in Alertmanager >= 0.24.0 only - current 0.23.0"
        );
        assert_eq!(check_spec(spec, "0.24.0"), Ok(()));
    }
}
