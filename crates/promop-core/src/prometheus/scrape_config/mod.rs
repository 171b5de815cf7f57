//! Scrape jobs of ScrapeConfig objects: one job per object, named
//! `scrapeConfig/<namespace>/<name>`, with the object's service discoveries
//! (one module each: `build` writes it, `check` validates it) in the
//! reference's order.
mod azure_sd;
mod client;
mod consul_sd;
mod digitalocean_sd;
mod dns_sd;
mod docker_sd;
mod dockerswarm_sd;
mod ec2_sd;
mod eureka_sd;
mod file_sd;
mod gce_sd;
mod hetzner_sd;
mod http_sd;
mod ionos_sd;
mod kubernetes_sd;
mod kuma_sd;
mod lightsail_sd;
mod linode_sd;
mod nomad_sd;
mod openstack_sd;
mod ovhcloud_sd;
mod puppetdb_sd;
mod scaleway_sd;
mod static_config;

use promop_api::common::{NameEscapingScheme, NameValidationScheme};
use promop_api::common::{OAuth2, SafeAuthorization};
use promop_api::v1alpha1::ScrapeConfig;
use promop_api::v1alpha1::scrape_config::{HttpClientAuth, ScrapeConfigSpec};

use super::enforced_namespace_label::{ConfigKind, enforce};
use super::scrape::{self, Limits};
use super::version::Feature;
use super::{Context, RejectedObject, auth, proxy, relabel, sharding, tls};
use crate::select::reasons::RejectionKind;
use crate::select::validate::{Checked, Validator};
use crate::yaml::{Mapping, Node};
use client::SdConfig;

/// The scrape job of a ScrapeConfig.
pub(crate) fn job(ctx: &Context<'_>, sc: &ScrapeConfig) -> Result<Option<Node>, RejectedObject> {
    let namespace = sc.metadata.namespace.as_deref().unwrap_or_default();
    let name = sc.metadata.name.as_deref().unwrap_or_default();
    let spec = &sc.spec;
    let class = ctx.classes.resolve(spec.scrape_class.as_deref());
    let store = ctx.store(namespace);
    let version = &ctx.version;

    let mut cfg = Mapping::new();
    cfg.insert("job_name", format!("scrapeConfig/{namespace}/{name}"));
    if spec.honor_timestamps.is_some() {
        scrape::append_honor_timestamps(&mut cfg, ctx, spec.honor_timestamps);
    }
    scrape::append_track_timestamps_staleness(&mut cfg, ctx, spec.track_timestamps_staleness);
    if spec.honor_labels.is_some() {
        scrape::append_honor_labels(&mut cfg, ctx, spec.honor_labels);
    }
    cfg.insert_opt("metrics_path", spec.metrics_path.as_deref());
    if let Some(params) = spec.params.as_ref().filter(|p| !p.is_empty()) {
        cfg.insert("params", Mapping::sorted(params.clone()));
    }
    if version.supports(Feature::EnableCompression) {
        cfg.insert_opt("enable_compression", spec.enable_compression);
    }
    if version.supports(Feature::EnableHttp2) {
        cfg.insert_opt("enable_http2", spec.enable_http2);
    }
    cfg.insert_opt("scrape_interval", spec.scrape_interval.as_deref());
    cfg.insert_opt("scrape_timeout", spec.scrape_timeout.as_deref());
    scrape::append_scrape_protocols(&mut cfg, version, spec.scrape_protocols.as_deref());
    scrape::append_fallback_scrape_protocol(
        &mut cfg,
        version,
        class.fallback_scrape_protocol(spec.fallback_scrape_protocol),
    );
    cfg.insert_opt("scheme", spec.scheme.as_ref().map(|s| s.to_lowercase()));
    proxy::append(&mut cfg, &store, version, &spec.proxy);
    auth::append_basic_auth(&mut cfg, &store, spec.auth.basic_auth.as_ref());
    let authorization = class.authorization(spec.auth.authorization.as_ref());
    auth::append_authorization(&mut cfg, &store, version, authorization.as_ref());
    auth::append_oauth2(&mut cfg, &store, version, spec.auth.oauth2.as_ref());
    let tls_config = class.tls_config(tls::from_safe(spec.tls_config.as_ref()));
    tls::append(&mut cfg, &store, version, tls_config.as_ref());
    scrape::append_limits(
        &mut cfg,
        ctx,
        Limits {
            sample: spec.sample_limit,
            target: spec.target_limit,
            label: spec.label_limit,
            label_name_length: spec.label_name_length_limit,
            label_value_length: spec.label_value_length_limit,
            keep_dropped_targets: spec.keep_dropped_targets,
        },
    );
    scrape::append_native_histograms(&mut cfg, version, &spec.native_histograms);
    scrape::append_body_size_limit(&mut cfg, ctx, spec.body_size_limit.as_ref());

    let sd = SdBuilder {
        ctx,
        object: (namespace, name),
    };
    sd.append_all(&mut cfg, spec)?;

    let mut rules = vec![relabel::job_name_rule()];
    rules.extend(relabel::rules(class.relabelings()));
    if let Some(job) = &spec.job_name {
        let mut m = Mapping::new();
        m.insert("target_label", "job");
        m.insert("action", "replace");
        m.insert("replacement", job.as_str());
        rules.push(Node::Map(m));
    }
    // The reference enforces the namespace label in the relabelings only
    // when the object has some.
    if let Some(own) = spec.relabelings.as_deref().filter(|r| !r.is_empty()) {
        let own = enforce(
            &ctx.workload,
            ConfigKind::ScrapeConfig,
            namespace,
            name,
            own,
        );
        rules.extend(relabel::rules(&own));
    }
    if ctx.shards != 1 && !sharding::has_hashmod(&rules) {
        sharding::append(&mut rules, ctx, "__address__");
    }
    cfg.insert("relabel_configs", rules);

    let own = enforce(
        &ctx.workload,
        ConfigKind::ScrapeConfig,
        namespace,
        name,
        spec.metric_relabelings.as_deref().unwrap_or_default(),
    );
    scrape::append_metric_relabelings(&mut cfg, &class, &own);

    if version.supports(Feature::MetricNameValidationScheme) {
        cfg.insert_opt(
            "metric_name_validation_scheme",
            spec.name_validation_scheme.map(|s| match s {
                NameValidationScheme::Utf8 => "utf8",
                NameValidationScheme::Legacy => "legacy",
            }),
        );
    }
    if version.supports(Feature::MetricNameEscapingScheme) {
        cfg.insert_opt(
            "metric_name_escaping_scheme",
            spec.name_escaping_scheme.map(|s| match s {
                NameEscapingScheme::AllowUtf8 => "allow-utf-8",
                NameEscapingScheme::Underscores => "underscores",
                NameEscapingScheme::Dots => "dots",
                NameEscapingScheme::Values => "values",
            }),
        );
    }
    Ok(Some(Node::Map(cfg)))
}

/// Builds the `<kind>_sd_configs` lists of one ScrapeConfig.
struct SdBuilder<'c, 'a> {
    ctx: &'c Context<'a>,
    object: (&'a str, &'a str),
}

impl<'a> SdBuilder<'_, 'a> {
    /// Appends `key: [...]` with one config per item, when there are items.
    fn append<T>(
        &self,
        cfg: &mut Mapping,
        key: &str,
        field: &str,
        items: Option<&[T]>,
        build: impl Fn(&mut SdConfig<'_>, &T) -> Result<(), RejectedObject>,
    ) -> Result<(), RejectedObject> {
        let Some(items) = items.filter(|i| !i.is_empty()) else {
            return Ok(());
        };
        let mut configs = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let mut sd = SdConfig::new(
                self.ctx.store(self.object.0),
                &self.ctx.version,
                self.object,
                format!("spec.{field}[{i}]"),
            );
            build(&mut sd, item)?;
            configs.push(sd.finish());
        }
        cfg.insert(key, configs);
        Ok(())
    }

    /// Every service discovery, in the reference's order.
    fn append_all(&self, cfg: &mut Mapping, spec: &ScrapeConfigSpec) -> Result<(), RejectedObject> {
        self.append(
            cfg,
            "static_configs",
            "staticConfigs",
            spec.static_configs.as_deref(),
            static_config::build,
        )?;
        self.append(
            cfg,
            "file_sd_configs",
            "fileSDConfigs",
            spec.file_sd_configs.as_deref(),
            file_sd::build,
        )?;
        self.append(
            cfg,
            "http_sd_configs",
            "httpSDConfigs",
            spec.http_sd_configs.as_deref(),
            http_sd::build,
        )?;
        self.append(
            cfg,
            "kubernetes_sd_configs",
            "kubernetesSDConfigs",
            spec.kubernetes_sd_configs.as_deref(),
            kubernetes_sd::build,
        )?;
        self.append(
            cfg,
            "consul_sd_configs",
            "consulSDConfigs",
            spec.consul_sd_configs.as_deref(),
            consul_sd::build,
        )?;
        self.append(
            cfg,
            "dns_sd_configs",
            "dnsSDConfigs",
            spec.dns_sd_configs.as_deref(),
            dns_sd::build,
        )?;
        self.append(
            cfg,
            "ec2_sd_configs",
            "ec2SDConfigs",
            spec.ec2_sd_configs.as_deref(),
            ec2_sd::build,
        )?;
        self.append(
            cfg,
            "azure_sd_configs",
            "azureSDConfigs",
            spec.azure_sd_configs.as_deref(),
            azure_sd::build,
        )?;
        self.append(
            cfg,
            "gce_sd_configs",
            "gceSDConfigs",
            spec.gce_sd_configs.as_deref(),
            gce_sd::build,
        )?;
        self.append(
            cfg,
            "openstack_sd_configs",
            "openstackSDConfigs",
            spec.openstack_sd_configs.as_deref(),
            openstack_sd::build,
        )?;
        self.append(
            cfg,
            "digitalocean_sd_configs",
            "digitalOceanSDConfigs",
            spec.digital_ocean_sd_configs.as_deref(),
            digitalocean_sd::build,
        )?;
        self.append(
            cfg,
            "kuma_sd_configs",
            "kumaSDConfigs",
            spec.kuma_sd_configs.as_deref(),
            kuma_sd::build,
        )?;
        self.append(
            cfg,
            "eureka_sd_configs",
            "eurekaSDConfigs",
            spec.eureka_sd_configs.as_deref(),
            eureka_sd::build,
        )?;
        self.append(
            cfg,
            "docker_sd_configs",
            "dockerSDConfigs",
            spec.docker_sd_configs.as_deref(),
            docker_sd::build,
        )?;
        self.append(
            cfg,
            "linode_sd_configs",
            "linodeSDConfigs",
            spec.linode_sd_configs.as_deref(),
            linode_sd::build,
        )?;
        self.append(
            cfg,
            "hetzner_sd_configs",
            "hetznerSDConfigs",
            spec.hetzner_sd_configs.as_deref(),
            hetzner_sd::build,
        )?;
        self.append(
            cfg,
            "nomad_sd_configs",
            "nomadSDConfigs",
            spec.nomad_sd_configs.as_deref(),
            nomad_sd::build,
        )?;
        self.append(
            cfg,
            "dockerswarm_sd_configs",
            "dockerSwarmSDConfigs",
            spec.docker_swarm_sd_configs.as_deref(),
            dockerswarm_sd::build,
        )?;
        self.append(
            cfg,
            "puppetdb_sd_configs",
            "puppetDBSDConfigs",
            spec.puppet_db_sd_configs.as_deref(),
            puppetdb_sd::build,
        )?;
        self.append(
            cfg,
            "lightsail_sd_configs",
            "lightSailSDConfigs",
            spec.light_sail_sd_configs.as_deref(),
            lightsail_sd::build,
        )?;
        self.append(
            cfg,
            "ovhcloud_sd_configs",
            "ovhcloudSDConfigs",
            spec.ovhcloud_sd_configs.as_deref(),
            ovhcloud_sd::build,
        )?;
        self.append(
            cfg,
            "scaleway_sd_configs",
            "scalewaySDConfigs",
            spec.scaleway_sd_configs.as_deref(),
            scaleway_sd::build,
        )?;
        self.append(
            cfg,
            "ionos_sd_configs",
            "ionosSDConfigs",
            spec.ionos_sd_configs.as_deref(),
            ionos_sd::build,
        )?;
        Ok(())
    }
}

/// Checks every service discovery of a ScrapeConfig, in the reference's
/// order. Like the reference, some discoveries gate on the Prometheus version
/// even when unused (their `GATE`): with an older Prometheus every
/// ScrapeConfig is rejected.
pub(crate) fn check_all(v: &Validator<'_>, ns: &str, spec: &ScrapeConfigSpec) -> Checked {
    let sds = Sds { v, ns };
    sds.check(
        Some(http_sd::GATE),
        "httpSDConfigs",
        &spec.http_sd_configs,
        http_sd::check,
    )?;
    sds.check(
        None,
        "kubernetesSDConfigs",
        &spec.kubernetes_sd_configs,
        kubernetes_sd::check,
    )?;
    sds.check(
        None,
        "consulSDConfigs",
        &spec.consul_sd_configs,
        consul_sd::check,
    )?;
    sds.check(None, "dnsSDConfigs", &spec.dns_sd_configs, dns_sd::check)?;
    sds.check(None, "ec2SDConfigs", &spec.ec2_sd_configs, ec2_sd::check)?;
    sds.check(
        None,
        "azureSDConfigs",
        &spec.azure_sd_configs,
        azure_sd::check,
    )?;
    sds.check(
        None,
        "openstackSDConfigs",
        &spec.openstack_sd_configs,
        openstack_sd::check,
    )?;
    sds.check(
        Some(digitalocean_sd::GATE),
        "digitalOceanSDConfigs",
        &spec.digital_ocean_sd_configs,
        digitalocean_sd::check,
    )?;
    sds.check(None, "kumaSDConfigs", &spec.kuma_sd_configs, kuma_sd::check)?;
    sds.check(
        None,
        "eurekaSDConfigs",
        &spec.eureka_sd_configs,
        eureka_sd::check,
    )?;
    sds.check(
        None,
        "dockerSDConfigs",
        &spec.docker_sd_configs,
        docker_sd::check,
    )?;
    sds.check(
        Some(linode_sd::GATE),
        "linodeSDConfigs",
        &spec.linode_sd_configs,
        linode_sd::check,
    )?;
    sds.check(
        None,
        "hetznerSDConfigs",
        &spec.hetzner_sd_configs,
        hetzner_sd::check,
    )?;
    sds.check(
        None,
        "nomadSDConfigs",
        &spec.nomad_sd_configs,
        nomad_sd::check,
    )?;
    sds.check(
        Some(dockerswarm_sd::GATE),
        "dockerSwarmSDConfigs",
        &spec.docker_swarm_sd_configs,
        dockerswarm_sd::check,
    )?;
    sds.check(
        Some(puppetdb_sd::GATE),
        "puppetDBSDConfigs",
        &spec.puppet_db_sd_configs,
        puppetdb_sd::check,
    )?;
    sds.check(
        Some(lightsail_sd::GATE),
        "lightSailSDConfigs",
        &spec.light_sail_sd_configs,
        lightsail_sd::check,
    )?;
    sds.check(
        Some(ovhcloud_sd::GATE),
        "ovhcloudSDConfigs",
        &spec.ovhcloud_sd_configs,
        ovhcloud_sd::check,
    )?;
    sds.check(
        Some(scaleway_sd::GATE),
        "scalewaySDConfigs",
        &spec.scaleway_sd_configs,
        scaleway_sd::check,
    )?;
    sds.check(
        Some(ionos_sd::GATE),
        "ionosSDConfigs",
        &spec.ionos_sd_configs,
        ionos_sd::check,
    )
}

/// Checks the service discoveries of one ScrapeConfig.
struct Sds<'v, 'a> {
    v: &'v Validator<'a>,
    ns: &'v str,
}

impl Sds<'_, '_> {
    /// The discovery's gate, if any, then each item at `spec.<field>[i]`.
    fn check<T>(
        &self,
        gate: Option<(Feature, &str)>,
        field: &str,
        items: &Option<Vec<T>>,
        check: fn(&Validator<'_>, &str, &T, &str) -> Checked,
    ) -> Checked {
        if let Some((feature, what)) = gate {
            self.v.gate(feature, &format!("spec.{field}"), what)?;
        }
        for (i, item) in items.iter().flatten().enumerate() {
            check(self.v, self.ns, item, &format!("spec.{field}[{i}]"))?;
        }
        Ok(())
    }
}

/// The credentials of a discovery that takes only `authorization` and `oauth2`.
fn token_auth(
    authorization: Option<&SafeAuthorization>,
    oauth2: Option<&OAuth2>,
) -> HttpClientAuth {
    HttpClientAuth {
        authorization: authorization.cloned(),
        oauth2: oauth2.cloned(),
        basic_auth: None,
    }
}

/// What Go's `url.Parse` rejects (control characters, bad `%` escapes, an
/// unclosed IPv6 bracket), returning the scheme and host otherwise.
fn go_url_parse(url: &str) -> Result<(String, String), RejectionKind> {
    if url.chars().any(|c| c.is_ascii_control()) {
        return Err(format!("parse {url:?}: net/url: invalid control character in URL").into());
    }
    let bytes = url.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'%' {
            let hex = bytes.get(i + 1..i + 3);
            if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                return Err(format!("parse {url:?}: invalid URL escape").into());
            }
        }
    }
    let (scheme, rest) = match url.split_once(':') {
        Some((scheme, rest))
            if scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) =>
        {
            (scheme.to_lowercase(), rest)
        }
        Some(("", _)) => {
            return Err(format!("parse {url:?}: missing protocol scheme").into());
        }
        _ => (String::new(), url),
    };
    let host = match rest.strip_prefix("//") {
        Some(authority) => {
            let end = authority.find(['/', '?', '#']).unwrap_or(authority.len());
            let authority = &authority[..end];
            let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            if host.starts_with('[') && !host.contains(']') {
                return Err(format!("parse {url:?}: missing ']' in host").into());
            }
            host.to_owned()
        }
        None => String::new(),
    };
    Ok((scheme, host))
}

/// The reference's `validateServer`: a URL with a scheme and a host.
fn validate_server(server: &str) -> Result<(), RejectionKind> {
    let (scheme, host) = go_url_parse(server).map_err(|e| e.context("cannot parse server"))?;
    if scheme.is_empty() || host.is_empty() {
        return Err(format!("must not be empty and have a scheme: {server}").into());
    }
    Ok(())
}
