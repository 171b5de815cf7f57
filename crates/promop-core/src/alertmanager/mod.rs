//! The Alertmanager configuration the reference writes into the Secret
//! `alertmanager-<name>-generated`: a base (the user's Secret, or an
//! AlertmanagerConfig named by `spec.alertmanagerConfiguration`) merged
//! with every selected AlertmanagerConfig, then sanitized for
//! `spec.version` and printed like yaml.v2.
pub mod base_config;
pub mod duration;
pub mod global;
pub mod http_config;
pub mod ignored_fields;
pub mod inhibit_rules;
pub mod matchers;
pub mod receivers;
pub mod route;
pub mod sanitize;
pub mod secrets;
pub mod service;
pub mod statefulset;
pub mod time_intervals;
pub mod types;
pub mod validate;
pub mod version;

use promop_api::v1::Alertmanager;
use promop_api::v1::alertmanager::AlertmanagerConfigMatcherStrategyType as Strategy;
use promop_api::v1alpha1::AlertmanagerConfig;

use self::route::Enforcer;
use self::secrets::{Secrets, TEMPLATES_DIR};
use self::version::{Feature, Version};
use crate::select::reasons::{RejectedObject, Rejection, RejectionKind};
use crate::snapshot::Snapshot;
use crate::yaml::{self, Mapping, Node};

/// `spec.version` (or the reference's default), refused below 0.15.
pub fn version_of(am: &Alertmanager) -> Result<Version, RejectionKind> {
    let text = am
        .spec
        .version
        .as_deref()
        .filter(|v| !v.is_empty())
        .unwrap_or(version::DEFAULT_ALERTMANAGER_VERSION);
    let v =
        Version::parse(text).map_err(|e| format!("failed to parse alertmanager version: {e}"))?;
    let unsupported = || format!("unsupported Alertmanager version {text:?}");
    version::needs(&v, Feature::Managed, |_| unsupported())?;
    Ok(v)
}

/// Whether the reference manages the configuration (else it copies the
/// user's Secret as it is).
pub fn merges(am: &Alertmanager) -> bool {
    am.spec.alertmanager_config_selector.is_some() || am.spec.alertmanager_configuration.is_some()
}

/// The configuration text for an Alertmanager and its selected (already
/// validated) AlertmanagerConfigs, in `namespace/name` order; the error is
/// why the reference writes none (about the Alertmanager as a whole).
pub fn generate(
    snapshot: &Snapshot,
    am: &Alertmanager,
    selected: &[&AlertmanagerConfig],
) -> Result<String, RejectedObject> {
    let namespace = am.metadata.namespace.as_deref().unwrap_or_default();
    let name = am.metadata.name.as_deref().unwrap_or_default();
    let fail = |kind: RejectionKind| {
        RejectedObject::new("Alertmanager", namespace, name, Rejection::new("", kind))
    };
    let version = version_of(am).map_err(fail)?;
    if !merges(am) {
        return Ok(base_config::raw(snapshot, am));
    }
    let mut config = match &am.spec.alertmanager_configuration {
        Some(configuration) => {
            let name = configuration.name.as_deref().unwrap_or_default();
            let amc = snapshot
                .alertmanager_configs
                .iter()
                .find(|c| {
                    c.metadata.namespace.as_deref() == Some(namespace)
                        && c.metadata.name.as_deref() == Some(name)
                })
                .ok_or_else(|| {
                    fail(format!(
                        "failed to get global AlertmanagerConfig: alertmanagerconfigs.monitoring.coreos.com {name:?} not found"
                    ).into())
                })?;
            let mut config =
                from_alertmanager_config(snapshot, configuration.global.as_ref(), amc, &version)
                    .map_err(|e| {
                        fail(e.context("failed to initialize from global AlertmanagerConfig"))
                    })?;
            let templates: Vec<Node> = configuration
                .templates
                .iter()
                .flatten()
                .flat_map(|t| {
                    let keys = [
                        t.config_map.as_ref().map(|c| c.key.as_str()),
                        t.secret.as_ref().map(|s| s.key.as_str()),
                    ];
                    keys.into_iter()
                        .flatten()
                        .map(|k| Node::Str(format!("{TEMPLATES_DIR}/{k}")))
                        .collect::<Vec<_>>()
                })
                .collect();
            if let Some(Node::Seq(existing)) = config.get_mut("templates") {
                existing.extend(templates);
            }
            config
        }
        None => base_config::parse(&base_config::raw(snapshot, am))
            .map_err(|e| fail(e.context("failed to initialize from secret")))?,
    };
    let strategy = am
        .spec
        .alertmanager_config_matcher_strategy
        .as_ref()
        .and_then(|s| s.type_)
        .unwrap_or(Strategy::OnNamespace);
    let enforcer = Enforcer {
        strategy,
        alertmanager_namespace: namespace,
        version,
    };
    add_alertmanager_configs(snapshot, &mut config, selected, &enforcer)
        .map_err(|e| fail(e.context("failed to generate Alertmanager configuration")))?;
    Ok(yaml::to_string(&Node::Map(config)))
}

fn shape(config: Mapping) -> Result<Mapping, RejectionKind> {
    match types::shape(&Node::Map(config), &types::CONFIG).map_err(|e| e.0)? {
        Node::Map(m) => Ok(m),
        _ => Ok(Mapping::new()),
    }
}

/// Appends to the list `key`, creating it when absent.
fn push(config: &mut Mapping, key: &str, node: Node) {
    match config.get_mut(key) {
        Some(Node::Seq(items)) => items.push(node),
        _ => {
            config.remove(key);
            config.insert(key, Node::Seq(vec![node]));
        }
    }
}

/// Whether the global section sets `smtp_smarthost` and `smtp_from`.
fn global_smtp(config: &Mapping) -> (bool, bool) {
    let Some(Node::Map(g)) = config.get("global") else {
        return (false, false);
    };
    let set = |k: &str| matches!(g.get(k), Some(Node::Str(s)) if !s.is_empty());
    (set("smtp_smarthost"), set("smtp_from"))
}

/// `initializeFromAlertmanagerConfig`: the AlertmanagerConfig's route,
/// receivers, inhibition rules and time intervals as the whole base
/// (names prefixed, no namespace matchers).
fn from_alertmanager_config(
    snapshot: &Snapshot,
    global: Option<&promop_api::v1::alertmanager::AlertmanagerGlobalConfig>,
    amc: &AlertmanagerConfig,
    version: &Version,
) -> Result<Mapping, RejectionKind> {
    let namespace = amc.metadata.namespace.as_deref().unwrap_or_default();
    let cr = amc.metadata.name.as_deref().unwrap_or_default();
    let secrets = Secrets {
        snapshot,
        namespace,
    };
    validate::check(amc, &secrets, version)?;
    let mut config = Mapping::new();
    if let Some(g) = global {
        global::check(g, &secrets, version)?;
        config.insert("global", global::convert(g, &secrets)?);
    }
    let rules: Vec<Node> = amc
        .spec
        .inhibit_rules
        .iter()
        .flatten()
        .map(|r| Node::Map(inhibit_rules::convert(r, version)))
        .collect();
    config.insert("inhibit_rules", Node::Seq(rules));
    if let Some(r) = &amc.spec.route {
        config.insert("route", route::convert(r, namespace, cr, version));
    }
    let ctx = receivers::Ctx {
        secrets,
        cr,
        version,
        global_smtp: global_smtp(&config),
    };
    let mut list = Vec::new();
    for r in amc.spec.receivers.iter().flatten() {
        list.push(Node::Map(receivers::convert(r, &ctx)?));
    }
    config.insert("receivers", Node::Seq(list));
    let mut intervals = Vec::new();
    for mti in amc.spec.mute_time_intervals.iter().flatten() {
        intervals.push(time_intervals::convert(mti, namespace, cr)?);
    }
    config.insert("mute_time_intervals", Node::Seq(intervals));
    let mut config = shape(config)?;
    sanitize::config(&mut config, version)?;
    base_config::root_route(&config)?;
    shape(config)
}

/// `AddAlertmanagerConfigs`: inhibition rules, routes (before the base's
/// own, with `continue: true`), receivers and time intervals of each
/// object, then sanitizing of the whole.
fn add_alertmanager_configs(
    snapshot: &Snapshot,
    config: &mut Mapping,
    selected: &[&AlertmanagerConfig],
    enforcer: &Enforcer<'_>,
) -> Result<(), RejectionKind> {
    let version = &enforcer.version;
    let global_smtp = global_smtp(config);
    let mut sub_routes = Vec::new();
    for amc in selected {
        let namespace = amc.metadata.namespace.as_deref().unwrap_or_default();
        let cr = amc.metadata.name.as_deref().unwrap_or_default();
        let key = format!("{namespace}/{cr}");
        for rule in amc.spec.inhibit_rules.iter().flatten() {
            let rule = enforcer.inhibit_rule(inhibit_rules::convert(rule, version), namespace);
            push(config, "inhibit_rules", Node::Map(rule));
        }
        let Some(r) = &amc.spec.route else { continue };
        sub_routes.push(Node::Map(
            enforcer.route(route::convert(r, namespace, cr, version), namespace),
        ));
        let ctx = receivers::Ctx {
            secrets: Secrets {
                snapshot,
                namespace,
            },
            cr,
            version,
            global_smtp,
        };
        for r in amc.spec.receivers.iter().flatten() {
            let converted = receivers::convert(r, &ctx)
                .map_err(|e| e.context(&format!("AlertmanagerConfig {key}")))?;
            push(config, "receivers", Node::Map(converted));
        }
        for mti in amc.spec.mute_time_intervals.iter().flatten() {
            let converted = time_intervals::convert(mti, namespace, cr)
                .map_err(|e| e.context(&format!("AlertmanagerConfig {key}")))?;
            push(config, "mute_time_intervals", converted);
        }
    }
    if let Some(Node::Map(root)) = config.get_mut("route") {
        if let Some(Node::Seq(existing)) = root.remove("routes") {
            sub_routes.extend(existing);
        }
        root.insert("routes", Node::Seq(sub_routes));
    }
    let mut shaped = shape(std::mem::take(config))?;
    sanitize::config(&mut shaped, version)?;
    *config = shape(shaped)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Mapping {
        base_config::parse(text).expect("valid base")
    }

    #[test]
    fn unknown_fields_of_the_base_are_refused() {
        let err = base_config::parse("route:\n  receiver: a\n  foo: 1\nreceivers:\n- name: a\n")
            .expect_err("strict decoding");
        assert!(
            err.message()
                .contains("field foo not found in type alertmanager.route"),
            "{err}"
        );
    }

    #[test]
    fn fields_too_new_for_the_version_are_dropped() {
        let mut config = parse(
            "route:\n  receiver: a\nreceivers:\n- name: a\n  webhook_configs:\n  - url: http://x/\n    timeout: 90s\n",
        );
        sanitize::config(&mut config, &Version::parse("0.27.0").unwrap()).expect("sanitized");
        let text = yaml::to_string(&Node::Map(config));
        assert!(!text.contains("timeout"), "{text}");
        let mut config = parse(
            "route:\n  receiver: a\nreceivers:\n- name: a\n  webhook_configs:\n  - url: http://x/\n    timeout: 90s\n",
        );
        sanitize::config(&mut config, &Version::parse("0.28.0").unwrap()).expect("sanitized");
        assert!(yaml::to_string(&Node::Map(config)).contains("timeout: 1m30s"));
    }

    #[test]
    fn refused_combinations_fail_the_whole_configuration() {
        let mut config = parse(
            "route:\n  receiver: a\nreceivers:\n- name: a\n  webhook_configs:\n  - url: http://x/\n    http_config:\n      no_proxy: example.com\n",
        );
        let err =
            sanitize::config(&mut config, &Version::parse("0.28.0").unwrap()).expect_err("refused");
        assert!(err.message().contains("'no_proxy'"), "{err}");
    }

    /// The base configuration with one receiver, sanitized for `version`.
    fn sanitized(receiver: &str, version: &str) -> Result<String, RejectionKind> {
        let mut config = parse(&format!(
            "route:\n  receiver: a\nreceivers:\n- name: a\n  {receiver}\n"
        ));
        sanitize::config(&mut config, &Version::parse(version).unwrap())?;
        Ok(yaml::to_string(&Node::Map(config)))
    }

    #[test]
    fn sigv4_external_id_needs_0_34() {
        let sns = "sns_configs: [{topic_arn: t, sigv4: {role_arn: r, external_id: e}}]";
        let old = sanitized(sns, "0.33.1").expect("sanitized");
        assert!(!old.contains("external_id"), "{old}");
        let new = sanitized(sns, "0.34.0").expect("sanitized");
        assert!(new.contains("external_id: e"), "{new}");
    }

    #[test]
    fn a_discord_webhook_url_comes_from_exactly_one_place() {
        let file = "discord_configs: [{webhook_url_file: /etc/url}]";
        assert!(
            sanitized(file, "0.28.0")
                .unwrap()
                .contains("webhook_url_file")
        );
        // Dropped below 0.28, which leaves no URL at all.
        let err = sanitized(file, "0.27.0").expect_err("no URL");
        assert!(
            err.message().contains("no webhook_url or webhook_url_file"),
            "{err}"
        );
        let both = "discord_configs: [{webhook_url: 'http://x/', webhook_url_file: /etc/url}]";
        let err = sanitized(both, "0.33.1").expect_err("both");
        assert!(
            err.message().contains("cannot be set at the same time"),
            "{err}"
        );
    }

    #[test]
    fn mattermost_urls_are_checked() {
        let ok = "mattermost_configs: [{webhook_url: 'http://x/', icon_url: '{{ .X }}', \
                  attachments: [{title_link: 'https://y/'}]}]";
        sanitized(ok, "0.33.1").expect("valid URLs");
        let bad_webhook = "mattermost_configs: [{webhook_url: 'ftp://x/'}]";
        let err = sanitized(bad_webhook, "0.33.1").expect_err("bad scheme");
        assert!(
            err.message().starts_with("invalid 'webhook_url': "),
            "{err}"
        );
        let bad_icon = "mattermost_configs: [{webhook_url: 'http://x/', footer_icon: 'x'}]";
        let err = sanitized(bad_icon, "0.33.1").expect_err("bad icon");
        assert!(
            err.message().starts_with("invalid 'footer_icon': "),
            "{err}"
        );
        let bad_attachment = "mattermost_configs: [{webhook_url: 'http://x/', \
                              attachments: [{}, {image_url: 'http://'}]}]";
        let err = sanitized(bad_attachment, "0.33.1").expect_err("bad attachment");
        assert!(
            err.message()
                .starts_with("invalid 'image_url' in attachments[1]: "),
            "{err}"
        );
        // Below 0.32 the message's attachment fields are dropped, not checked.
        let old = "mattermost_configs: [{webhook_url: 'http://x/', thumb_url: 'x'}]";
        sanitized(old, "0.31.0").expect("dropped");
    }
}
