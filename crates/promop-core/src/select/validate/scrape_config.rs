//! ScrapeConfig checks (`checkScrapeConfig` of the reference), in its order:
//! the scrape-level settings, then each service discovery.
//!
//! Like the reference, some discoveries gate on the Prometheus version even
//! when the ScrapeConfig does not use them (e.g. HTTP SD needs 2.28): with an
//! older Prometheus every ScrapeConfig is rejected.
use promop_api::v1alpha1::ScrapeConfig;
use promop_api::v1alpha1::scrape_config::{
    AzureAuthenticationMethod, DnsRecordType, HttpClientAuth, HttpClientConfig, KubernetesRole,
    OpenStackRole,
};

use super::{Checked, Validator, join};
use crate::prometheus::Feature;
use crate::prometheus::version::needs;
use crate::select::label_selector::{label_key_error, label_value_error};
use crate::select::reasons::{Rejection, RejectionKind};

impl Validator<'_> {
    pub fn check_scrape_config(&self, scrape_config: &ScrapeConfig) -> Checked {
        let ns = scrape_config
            .metadata
            .namespace
            .as_deref()
            .unwrap_or_default();
        let spec = &scrape_config.spec;
        self.scrape_class(spec.scrape_class.as_ref(), "spec.scrapeClass")?;
        self.relabelings(spec.relabelings.as_ref(), "spec.relabelings")?;
        self.client_auth(ns, &spec.auth, "spec")?;
        self.safe_tls(ns, spec.tls_config.as_ref(), "spec.tlsConfig")?;
        self.interval_and_timeout(
            spec.scrape_interval.as_deref(),
            spec.scrape_timeout.as_deref(),
            "spec",
        )?;
        self.proxy(ns, &spec.proxy, "spec")?;
        self.relabelings(spec.metric_relabelings.as_ref(), "spec.metricRelabelings")?;
        for (i, config) in list(&spec.static_configs) {
            self.static_labels(
                config.labels.as_ref(),
                &format!("spec.staticConfigs[{i}].labels"),
            )?;
        }

        self.gate(
            Feature::HttpSd,
            "spec.httpSDConfigs",
            "HTTP SD configuration",
        )?;
        for (i, sd) in list(&spec.http_sd_configs) {
            let path = format!("spec.httpSDConfigs[{i}]");
            go_url_parse(&sd.url).map_err(|e| Rejection::new(join(&path, "url"), e))?;
            self.sd_client(ns, &sd.auth, &sd.http_client, &path)?;
        }

        for (i, sd) in list(&spec.kubernetes_sd_configs) {
            let path = format!("spec.kubernetesSDConfigs[{i}]");
            self.sd_client(ns, &sd.auth, &sd.http_client, &path)?;
            if sd.role == KubernetesRole::EndpointSlice {
                self.field_gate(
                    Feature::EndpointSliceRole,
                    join(&path, "role"),
                    "EndpointSlice role is only supported for Prometheus version >=",
                )?;
            }
            if sd.api_server.is_some()
                && sd.namespaces.as_ref().and_then(|n| n.own_namespace) == Some(true)
            {
                return Err(Rejection::new(
                    join(&path, "namespaces.ownNamespace"),
                    "cannot use 'apiServer' and 'namespaces.ownNamespace' simultaneously",
                ));
            }
            let selectors = sd.selectors.as_deref().unwrap_or_default();
            let allowed = allowed_selector_roles(sd.role);
            for (j, selector) in selectors.iter().enumerate() {
                if !allowed.contains(&selector.role) {
                    let names: Vec<&str> = allowed.iter().map(|r| role_name(*r)).collect();
                    return Err(Rejection::new(
                        format!("{path}.selectors[{j}].role"),
                        format!(
                            "{:?} role supports only {} selectors",
                            sd.role,
                            names.join(", ")
                        ),
                    ));
                }
            }
            for (j, selector) in selectors.iter().enumerate() {
                if let Some(field) = &selector.field {
                    check_field_selector(field)
                        .map_err(|e| Rejection::new(format!("{path}.selectors[{j}].field"), e))?;
                }
                if let Some(label) = &selector.label {
                    check_label_selector_string(label)
                        .map_err(|e| Rejection::new(format!("{path}.selectors[{j}].label"), e))?;
                }
            }
        }

        for (i, sd) in list(&spec.consul_sd_configs) {
            let path = format!("spec.consulSDConfigs[{i}]");
            for (set, field, feature) in [
                (
                    sd.path_prefix.is_some(),
                    "pathPrefix",
                    Feature::ConsulPathPrefix,
                ),
                (
                    sd.namespace.is_some(),
                    "namespace",
                    Feature::ConsulNamespace,
                ),
                (sd.filter.is_some(), "filter", Feature::ConsulFilter),
                (
                    sd.health_filter.is_some(),
                    "healthFilter",
                    Feature::ConsulHealthFilter,
                ),
            ] {
                if set {
                    self.field_gate(
                        feature,
                        join(&path, field),
                        &format!("field `{field}` is only supported for Prometheus version >="),
                    )?;
                }
            }
            self.client_auth(ns, &sd.auth, &path)?;
            self.safe_tls(
                ns,
                sd.http_client.tls_config.as_ref(),
                &join(&path, "tlsConfig"),
            )?;
            if let Some(token) = &sd.token_ref {
                self.secret_key(ns, token, &join(&path, "tokenRef"))?;
            }
            self.proxy(ns, &sd.http_client.proxy, &path)?;
        }

        for (i, sd) in list(&spec.dns_sd_configs) {
            if let Some(kind) = sd.type_
                && kind != DnsRecordType::Srv
                && sd.port.is_none()
            {
                return Err(Rejection::new(
                    format!("spec.dnsSDConfigs[{i}].port"),
                    format!("port required for record type {:?}", dns_type_name(kind)),
                ));
            }
        }

        for (i, sd) in list(&spec.ec2_sd_configs) {
            let path = format!("spec.ec2SDConfigs[{i}]");
            if let Some(key) = &sd.access_key {
                self.secret_key(ns, key, &join(&path, "accessKey"))?;
            }
            if let Some(key) = &sd.secret_key {
                self.secret_key(ns, key, &join(&path, "secretKey"))?;
            }
            self.client_transport(ns, &sd.http_client, &path)?;
        }

        for (i, sd) in list(&spec.azure_sd_configs) {
            let path = format!("spec.azureSDConfigs[{i}]");
            let method = sd.authentication_method;
            let gated_method = match method {
                Some(AzureAuthenticationMethod::Sdk) => {
                    Some((Feature::AzureSdSdkAuthentication, "SDK"))
                }
                Some(AzureAuthenticationMethod::WorkloadIdentity) => {
                    Some((Feature::AzureSdWorkloadIdentity, "WorkloadIdentity"))
                }
                _ => None,
            };
            if let Some((feature, name)) = gated_method {
                self.field_gate(
                    feature,
                    join(&path, "authenticationMethod"),
                    &format!("{name} authentication is only supported from Prometheus version"),
                )?;
            }
            if sd.resource_group.is_some() {
                self.field_gate(
                    Feature::AzureSdResourceGroup,
                    join(&path, "resourceGroup"),
                    "ResourceGroup is only supported from Prometheus version >=",
                )?;
            }
            // Only OAuth (Prometheus' default) needs the client credentials.
            if matches!(
                method,
                Some(
                    AzureAuthenticationMethod::ManagedIdentity
                        | AzureAuthenticationMethod::Sdk
                        | AzureAuthenticationMethod::WorkloadIdentity
                )
            ) {
                continue;
            }
            let empty = |v: &Option<String>| v.as_deref().unwrap_or_default().is_empty();
            if empty(&sd.tenant_id) {
                return Err(Rejection::new(
                    join(&path, "tenantID"),
                    "configuration requires a tenantID",
                ));
            }
            if empty(&sd.client_id) {
                return Err(Rejection::new(
                    join(&path, "clientID"),
                    "configuration requires a clientID",
                ));
            }
            let Some(secret) = &sd.client_secret else {
                return Err(Rejection::new(
                    join(&path, "clientSecret"),
                    "configuration requires a clientSecret",
                ));
            };
            self.secret_key(ns, secret, &join(&path, "clientSecret"))?;
            self.basic_auth(ns, sd.auth.basic_auth.as_ref(), &join(&path, "basicAuth"))?;
            self.oauth2(ns, sd.auth.oauth2.as_ref(), &join(&path, "oauth2"))?;
            self.proxy(ns, &sd.http_client.proxy, &path)?;
            self.safe_tls(
                ns,
                sd.http_client.tls_config.as_ref(),
                &join(&path, "tlsConfig"),
            )?;
            self.safe_authorization(
                ns,
                sd.auth.authorization.as_ref(),
                &join(&path, "authorization"),
            )?;
        }

        for (i, sd) in list(&spec.openstack_sd_configs) {
            let path = format!("spec.openstackSDConfigs[{i}]");
            if sd.role == OpenStackRole::LoadBalancer {
                self.field_gate(
                    Feature::OpenStackLoadBalancerRole,
                    join(&path, "role"),
                    "The LoadBalancer role is only supported from Prometheus version",
                )?;
            }
            if let Some(secret) = &sd.password {
                self.secret_key(ns, secret, &join(&path, "password"))?;
            }
            if let Some(secret) = &sd.application_credential_secret {
                self.secret_key(ns, secret, &join(&path, "applicationCredentialSecret"))?;
            }
            self.safe_tls(ns, sd.tls_config.as_ref(), &join(&path, "tlsConfig"))?;
        }

        self.gate(
            Feature::DigitalOceanSd,
            "spec.digitalOceanSDConfigs",
            "service discovery for Digital Ocean",
        )?;
        for (i, sd) in list(&spec.digital_ocean_sd_configs) {
            let path = format!("spec.digitalOceanSDConfigs[{i}]");
            let auth = HttpClientAuth {
                authorization: sd.authorization.clone(),
                oauth2: sd.oauth2.clone(),
                basic_auth: None,
            };
            self.sd_client(ns, &auth, &sd.http_client, &path)?;
        }

        for (i, sd) in list(&spec.kuma_sd_configs) {
            let path = format!("spec.kumaSDConfigs[{i}]");
            if sd.client_id.is_some() {
                self.field_gate(
                    Feature::KumaSdClientId,
                    join(&path, "clientID"),
                    "field `clientID` in kuma SD configuration is only supported for Prometheus version >=",
                )?;
            }
            validate_server(&sd.server).map_err(|e| Rejection::new(join(&path, "server"), e))?;
            self.sd_client(ns, &sd.auth, &sd.http_client, &path)?;
        }

        for (i, sd) in list(&spec.eureka_sd_configs) {
            let path = format!("spec.eurekaSDConfigs[{i}]");
            self.sd_client(ns, &sd.auth, &sd.http_client, &path)?;
        }

        for (i, sd) in list(&spec.docker_sd_configs) {
            let path = format!("spec.dockerSDConfigs[{i}]");
            if sd.match_first_network.is_some() {
                self.field_gate(
                    Feature::DockerMatchFirstNetwork,
                    join(&path, "matchFirstNetwork"),
                    "field `matchFirstNetwork` is only supported for Prometheus version >=",
                )?;
            }
            self.client_auth(ns, &sd.auth, &path)?;
            self.safe_tls(
                ns,
                sd.http_client.tls_config.as_ref(),
                &join(&path, "tlsConfig"),
            )?;
            go_url_parse(&sd.host).map_err(|e| Rejection::new(join(&path, "host"), e))?;
            self.proxy(ns, &sd.http_client.proxy, &path)?;
        }

        self.gate(
            Feature::LinodeSd,
            "spec.linodeSDConfigs",
            "linode SD configuration",
        )?;
        for (i, sd) in list(&spec.linode_sd_configs) {
            let path = format!("spec.linodeSDConfigs[{i}]");
            let auth = HttpClientAuth {
                authorization: sd.authorization.clone(),
                oauth2: sd.oauth2.clone(),
                basic_auth: None,
            };
            self.sd_client(ns, &auth, &sd.http_client, &path)?;
        }

        for (i, sd) in list(&spec.hetzner_sd_configs) {
            let path = format!("spec.hetznerSDConfigs[{i}]");
            if sd.label_selector.is_some() {
                self.field_gate(
                    Feature::HetznerLabelSelector,
                    join(&path, "labelSelector"),
                    "field `labelSelector` is only supported for Prometheus version >=",
                )?;
            }
            self.sd_client(ns, &sd.auth, &sd.http_client, &path)?;
        }

        for (i, sd) in list(&spec.nomad_sd_configs) {
            let path = format!("spec.nomadSDConfigs[{i}]");
            validate_server(&sd.server).map_err(|e| Rejection::new(join(&path, "server"), e))?;
            self.sd_client(ns, &sd.auth, &sd.http_client, &path)?;
        }

        self.gate(
            Feature::DockerSwarmSd,
            "spec.dockerSwarmSDConfigs",
            "dockerswarm SD configuration",
        )?;
        for (i, sd) in list(&spec.docker_swarm_sd_configs) {
            let path = format!("spec.dockerSwarmSDConfigs[{i}]");
            go_url_parse(&sd.host).map_err(|e| Rejection::new(join(&path, "host"), e))?;
            self.sd_client(ns, &sd.auth, &sd.http_client, &path)?;
        }

        self.gate(
            Feature::PuppetDbSd,
            "spec.puppetDBSDConfigs",
            "puppetDB SD configuration",
        )?;
        for (i, sd) in list(&spec.puppet_db_sd_configs) {
            let path = format!("spec.puppetDBSDConfigs[{i}]");
            let (scheme, host) =
                go_url_parse(&sd.url).map_err(|e| Rejection::new(join(&path, "url"), e))?;
            if scheme != "http" && scheme != "https" {
                return Err(Rejection::new(
                    join(&path, "url"),
                    "URL scheme must be 'http' or 'https'",
                ));
            }
            if host.is_empty() {
                return Err(Rejection::new(join(&path, "url"), "host is missing in URL"));
            }
            self.sd_client(ns, &sd.auth, &sd.http_client, &path)?;
        }

        self.gate(
            Feature::LightSailSd,
            "spec.lightSailSDConfigs",
            "lightSail SD configuration",
        )?;
        for (i, sd) in list(&spec.light_sail_sd_configs) {
            let path = format!("spec.lightSailSDConfigs[{i}]");
            if let Some(key) = &sd.access_key {
                self.secret_key(ns, key, &join(&path, "accessKey"))?;
            }
            if let Some(key) = &sd.secret_key {
                self.secret_key(ns, key, &join(&path, "secretKey"))?;
            }
            self.sd_client(ns, &sd.auth, &sd.http_client, &path)?;
        }

        self.gate(
            Feature::OvhCloudSd,
            "spec.ovhcloudSDConfigs",
            "OVHCloud SD configuration",
        )?;
        for (i, sd) in list(&spec.ovhcloud_sd_configs) {
            let path = format!("spec.ovhcloudSDConfigs[{i}]");
            self.secret_key(
                ns,
                &sd.application_secret,
                &join(&path, "applicationSecret"),
            )?;
            self.secret_key(ns, &sd.consumer_key, &join(&path, "consumerKey"))?;
        }

        self.gate(
            Feature::ScalewaySd,
            "spec.scalewaySDConfigs",
            "ScaleWay SD configuration",
        )?;
        for (i, sd) in list(&spec.scaleway_sd_configs) {
            let path = format!("spec.scalewaySDConfigs[{i}]");
            self.secret_key(ns, &sd.secret_key, &join(&path, "secretKey"))?;
            self.proxy(ns, &sd.http_client.proxy, &path)?;
            self.safe_tls(
                ns,
                sd.http_client.tls_config.as_ref(),
                &join(&path, "tlsConfig"),
            )?;
        }

        self.gate(
            Feature::IonosSd,
            "spec.ionosSDConfigs",
            "IONOS SD configuration",
        )?;
        for (i, sd) in list(&spec.ionos_sd_configs) {
            let path = format!("spec.ionosSDConfigs[{i}]");
            self.safe_authorization(ns, Some(&sd.authorization), &join(&path, "authorization"))?;
            self.proxy(ns, &sd.http_client.proxy, &path)?;
            self.safe_tls(
                ns,
                sd.http_client.tls_config.as_ref(),
                &join(&path, "tlsConfig"),
            )?;
            self.oauth2(ns, sd.oauth2.as_ref(), &join(&path, "oauth2"))?;
        }
        Ok(())
    }

    /// The common tail of most discoveries: credentials, TLS and proxy.
    fn sd_client(
        &self,
        namespace: &str,
        auth: &HttpClientAuth,
        client: &HttpClientConfig,
        path: &str,
    ) -> Checked {
        self.client_auth(namespace, auth, path)?;
        self.client_transport(namespace, client, path)
    }

    /// A discovery that needs a minimum Prometheus version, used or not.
    fn gate(&self, feature: Feature, path: &str, what: &str) -> Checked {
        self.field_gate(
            feature,
            path.to_owned(),
            &format!("{what} is only supported for Prometheus version >="),
        )
    }

    /// A set field that needs a minimum Prometheus version: the message is
    /// `what` followed by the version.
    fn field_gate(&self, feature: Feature, path: String, what: &str) -> Checked {
        needs(&self.version, feature, |min| format!("{what} {min}"))
            .map_err(|kind| Rejection::new(path, kind))
    }
}

fn list<T>(items: &Option<Vec<T>>) -> impl Iterator<Item = (usize, &T)> {
    items.iter().flatten().enumerate()
}

fn allowed_selector_roles(role: KubernetesRole) -> &'static [KubernetesRole] {
    use KubernetesRole as R;
    match role {
        R::Pod => &[R::Pod],
        R::Service => &[R::Service],
        R::EndpointSlice => &[R::Pod, R::Service, R::EndpointSlice],
        R::Endpoints => &[R::Pod, R::Service, R::Endpoints],
        R::Node => &[R::Node],
        R::Ingress => &[R::Ingress],
    }
}

fn role_name(role: KubernetesRole) -> &'static str {
    use KubernetesRole as R;
    match role {
        R::Pod => "pod",
        R::Service => "service",
        R::EndpointSlice => "endpointslice",
        R::Endpoints => "endpoints",
        R::Node => "node",
        R::Ingress => "ingress",
    }
}

fn dns_type_name(kind: DnsRecordType) -> &'static str {
    match kind {
        DnsRecordType::A => "A",
        DnsRecordType::Aaaa => "AAAA",
        DnsRecordType::Mx => "MX",
        DnsRecordType::Ns => "NS",
        DnsRecordType::Srv => "SRV",
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

/// A field selector (`fields.ParseSelector`): `key=value`, `key==value` or
/// `key!=value` terms separated by commas.
fn check_field_selector(selector: &str) -> Result<(), RejectionKind> {
    for term in selector.split(',').filter(|t| !t.is_empty()) {
        let key = term.split(['=', '!']).next().unwrap_or_default();
        if !term.contains('=') || key.is_empty() {
            return Err(
                format!("invalid selector: '{selector}'; can't understand '{term}'").into(),
            );
        }
    }
    Ok(())
}

/// A label selector in string form (`labels.Parse`): `key`, `!key`,
/// `key=value`, `key==value`, `key!=value`, `key in (a,b)`, `key notin (a,b)`.
fn check_label_selector_string(selector: &str) -> Result<(), RejectionKind> {
    for term in split_terms(selector) {
        let term = term.trim();
        if term.is_empty() {
            return Err(format!("found '', expected: identifier in {selector:?}").into());
        }
        let (key, values): (&str, Vec<&str>) = if let Some(key) = term.strip_prefix('!') {
            (key.trim(), Vec::new())
        } else if let Some((key, set)) = split_set(term, " notin ").or(split_set(term, " in ")) {
            let set = set.trim();
            let inner = set
                .strip_prefix('(')
                .and_then(|s| s.strip_suffix(')'))
                .ok_or_else(|| format!("found '{set}', expected: '(' in {selector:?}"))?;
            (key, inner.split(',').map(str::trim).collect())
        } else if let Some((key, value)) =
            ["==", "!=", "="].iter().find_map(|op| term.split_once(op))
        {
            (key.trim(), vec![value.trim()])
        } else {
            (term, Vec::new())
        };
        if let Some(e) = label_key_error(key) {
            return Err(format!("key: Invalid value: {key:?}: {e}").into());
        }
        for value in values {
            if let Some(e) = label_value_error(value) {
                return Err(format!("values[0][{key}]: Invalid value: {value:?}: {e}").into());
            }
        }
    }
    Ok(())
}

fn split_set<'s>(term: &'s str, operator: &str) -> Option<(&'s str, &'s str)> {
    term.split_once(operator).map(|(k, v)| (k.trim(), v))
}

/// Splits on commas outside parentheses.
fn split_terms(selector: &str) -> Vec<&str> {
    if selector.trim().is_empty() {
        return Vec::new();
    }
    let mut terms = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, c) in selector.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                terms.push(&selector[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    terms.push(&selector[start..]);
    terms
}
